/* Helpers of the GPU test programs (tests/gpu/gpu_msc_*.c): a monotonic clock
 * and the tally of bitwise check cases with its one-line summary, so that
 * tests/gpu/run.sh reads the same line from every program. */
#ifndef CEAS_GPU_TEST_H
#define CEAS_GPU_TEST_H

#include <stdio.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double gpu_test_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  int cases, fails, errors;
} gpu_test_tally;

/* Counts one case's result: 0 equal, > 0 a mismatch, < 0 an error. */
static inline void gpu_test_count(gpu_test_tally *t, int r) {
  t->cases++;
  t->fails += r > 0;
  t->errors += r < 0;
}

/* Prints the summary line; 1 if any case failed or broke, else 0. */
static inline int gpu_test_summary(const gpu_test_tally *t) {
  printf("check: %d cases, %d mismatches, %d errors\n", t->cases, t->fails, t->errors);
  return t->fails || t->errors;
}

#endif
