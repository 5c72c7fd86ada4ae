/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648) decoding, for Atom content published with mode="base64" or a binary type. */
#ifndef FEEDSPOOL_BASE64_H
#define FEEDSPOOL_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Decodes s (whitespace ignored; a last group short of 4 characters needs its "=" padding) and
 * appends the bytes to out. Returns 0, or -EINVAL when s holds anything but base64 (out then
 * holds what was decoded before it). */
int base64_decode(const char *s, size_t n, struct buf *out);

#endif
