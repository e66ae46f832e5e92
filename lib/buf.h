#ifndef TERRA_BUF_H
#define TERRA_BUF_H
/* A growable, always NUL-terminated byte buffer for building lines. */
#include <stddef.h>

typedef struct terra_buf {
	char *p;
	size_t len, cap;
} terra_buf;

/* Appends n bytes; -1 (errno ENOMEM) when memory runs out. */
int terra_buf_put(terra_buf *b, const char *s, size_t n);
int terra_buf_puts(terra_buf *b, const char *s);

/* Room for one more element in a growing array: when n (the elements in
 * use) has reached *cap, *(T **)arr is reallocated to twice *cap elements
 * of size bytes (first when it has none) and *cap updated. 0, or -1 (errno
 * ENOMEM) with the array and *cap as they were. arr is the address of the
 * array's pointer, whatever its element type. */
int terra_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first);

#endif
