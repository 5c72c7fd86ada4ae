/* SPDX-License-Identifier: MIT */
/* Near-duplicate detection: a 64-bit SimHash over word shingles of the case-folded body. */
#ifndef FEEDSPOOL_DEDUP_H
#define FEEDSPOOL_DEDUP_H

#include <stddef.h>
#include <stdint.h>

/* Hamming distance at or below which two bodies are the same story (DESIGN.md). */
#define DEDUP_MAX_DISTANCE 3

/* The SimHash of text (UTF-8): words are Unicode-case-folded and normalized (utf8proc), split
 * on anything that is not a letter or digit, and hashed (XXH3) as 3-word shingles. 0 when the
 * text has too few words to say anything (fewer than 8). */
uint64_t dedup_simhash(const char *text, size_t len);
int dedup_distance(uint64_t a, uint64_t b);

#endif
