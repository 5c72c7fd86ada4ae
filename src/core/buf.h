/* SPDX-License-Identifier: MIT */
/* Growable byte buffers: the one string builder every module uses. */
#ifndef FEEDSPOOL_BUF_H
#define FEEDSPOOL_BUF_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *data; /* NUL-terminated whenever cap > 0 */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_init(struct buf *b);
/* Frees the data; inline, and no free() call for a buffer never used: the converters keep
 * several scratch buffers per call that mostly stay empty. */
static inline void buf_fini(struct buf *b)
{
	if (b->data)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Makes room for extra more bytes (and the NUL) in one allocation, so that appending them
 * costs no growth on the way: 0 or -ENOMEM. */
int buf_reserve(struct buf *b, size_t extra);
/* The slow path of buf_append and buf_putc: grows the buffer, then appends. */
int buf_append_grow(struct buf *b, const void *p, size_t n);
/* Appends n bytes; 0 or -ENOMEM. The data stays NUL-terminated. Inline: the parser and the JSON
 * writer append a million short pieces per corpus, and most fit the memory already there. */
static inline int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len) { /* cap > len always holds once cap > 0 */
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_grow(b, p, n);
}

static inline int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

static inline int buf_putc(struct buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_grow(b, &c, 1);
}

int buf_put_utf8(struct buf *b, unsigned cp);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data as a C string ("" for an empty buffer); never NULL. */
const char *buf_cstr(const struct buf *b);
/* Hands the data to the caller (free() it) and leaves b empty; NULL on ENOMEM. */
char *buf_steal(struct buf *b);
/* Appends what is left to read of fd (a file or a pipe), at most max bytes in all in b: 0, or
 * -errno from read, -ENOMEM, or -EFBIG once b would hold more than max. */
int buf_read_fd(struct buf *b, int fd, size_t max);
/* Drops trailing ASCII whitespace. */
void buf_rtrim(struct buf *b);

#endif
