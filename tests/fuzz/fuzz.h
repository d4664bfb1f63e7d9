/*
 * Fuzz harnesses: each *_fuzzer.c defines the libFuzzer entry point; the
 * real fuzzers link it with -fsanitize=fuzzer (CMake option CH_FUZZ, clang),
 * the *_replay binaries with replay.c, which runs the saved inputs of
 * corpus/<name>/ in ctest.
 */
#ifndef CH_FUZZ_H
#define CH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** libFuzzer's entry point: one input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * Copies @p data into a new NUL-terminated buffer and splits it at the
 * first @p max - 1 occurrences of @p sep: fields[i] point into the buffer,
 * the last one holds the rest; fields past *count are left untouched.
 * @return the buffer (free() it), NULL when out of memory.
 */
char *ch_fuzz_split(const uint8_t *data, size_t size, char sep, char **fields, size_t max,
		    size_t *count);

#endif /* CH_FUZZ_H */
