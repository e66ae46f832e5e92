#ifndef TERRA_UTF8_H
#define TERRA_UTF8_H
/* The bytes of JSON strings as the canonical writer spells them (lib/canon.h). */
#include <stddef.h>

/* Length of the UTF-8 sequence of a code point >= U+0080 at p (left bytes
 * there), or 0 when it is not valid UTF-8 (overlong, a surrogate, past
 * U+10FFFF, cut short). */
size_t terra_utf8_len(const unsigned char *p, size_t left);

/* How many of the left bytes at p are, from the first, plain string bytes:
 * 0x20 to 0x7f but '"' and '\\', each standing for itself. Read eight at a
 * time while all eight are plain. */
size_t terra_json_plain_run(const unsigned char *p, size_t left);

#endif
