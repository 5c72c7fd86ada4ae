/* SPDX-License-Identifier: MIT */
/* Writing JSON text straight into a buffer: the hot path of article output, where building
 * Jansson values costs about 100 instructions per byte (Jansson still parses JSON Feed and serves
 * the cold paths; tests check that both writers agree). */
#ifndef FEEDSPOOL_JSON_WRITE_H
#define FEEDSPOOL_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends s as a JSON string (quoted, escaped per RFC 8259), or null when s is NULL. Bytes that
 * are not valid UTF-8 are read as windows-1252, so the output is always valid JSON. 0 or -ENOMEM. */
int json_write_string(struct buf *out, const char *s);
int json_write_stringn(struct buf *out, const char *s, size_t n);
/* json_write_string() as it runs outside ASan builds: the escaping loop finds s's NUL itself,
 * reading whole 16-byte aligned blocks, so the bytes of the block before s and after its NUL
 * are read (never a block without a byte of s). For the tests, which pad s to its blocks. */
int json_write_string_scan(struct buf *out, const char *s);
/* Appends s as Jansson's json_dumps() writes it (\u00XX escapes in capitals), or, when s is not
 * valid UTF-8, U+FFFD as article.c's Jansson model makes it: for text that must stay what
 * Jansson wrote (the feed object of `feedspool parse`). null when s is NULL. 0 or -ENOMEM. */
int json_write_string_jansson(struct buf *out, const char *s);
/* Appends "key": (the key is trusted: ASCII without characters that need escaping). */
int json_write_key(struct buf *out, const char *key);
int json_write_int(struct buf *out, int64_t v);

#endif
