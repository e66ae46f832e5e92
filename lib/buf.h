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

#endif
