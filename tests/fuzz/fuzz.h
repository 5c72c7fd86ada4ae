/* SPDX-License-Identifier: MIT */
/* What every fuzz target (tests/fuzz/fuzz_*.c) defines, and the small helpers they share: the
 * same file is linked with libFuzzer (`make fuzz`) and with tests/fuzz/replay.c (`make check`). */
#ifndef FEEDSPOOL_FUZZ_H
#define FEEDSPOOL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point: runs one input; always returns 0 (a finding aborts). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: say which and abort, so that libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__,       \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
