/* The row loops of the local-field bookkeeping (machine.c's Metropolis machine,
 * npu.c's readout of sb/analog): a flip of site i adds c x (row i) to the fields,
 * a recompute takes row dot products. One definition, instantiated by each user
 * for the baseline ISA and, on x86-64, for AVX2 (ANNEAL_ROW_BODIES(avx2,
 * __attribute__((target("avx2"))))), so the loops cannot drift apart. ISO C mode
 * forbids fused multiply-adds, so every instance adds the same products in the same
 * order: tests compare the ISAs bit for bit. Shared by src/anneal; not installed. */
#ifndef CEAS_ANNEAL_ROWS_H
#define CEAS_ANNEAL_ROWS_H

#include <stdint.h>

#define ANNEAL_ROW_BODIES(suffix, attr)                                                   \
  attr __attribute__((unused)) static int32_t anneal_sdot_i8_##suffix(                    \
      int64_t n, const int8_t *restrict a, const int8_t *restrict s) {                    \
    int32_t acc = 0;                                                                      \
    for (int64_t j = 0; j < n; j++) acc += (int32_t)a[j] * (int32_t)s[j];                 \
    return acc;                                                                           \
  }                                                                                       \
  attr __attribute__((unused)) static void anneal_axpy_f32_##suffix(                      \
      int64_t n, float c, const float *restrict a, float *restrict y) {                   \
    for (int64_t j = 0; j < n; j++) y[j] += c * a[j];                                     \
  }                                                                                       \
  attr __attribute__((unused)) static void anneal_axpy_i8_##suffix(                       \
      int64_t n, float c, const int8_t *restrict a, float *restrict y) {                  \
    for (int64_t j = 0; j < n; j++) y[j] += c * (float)a[j];                              \
  }                                                                                       \
  attr __attribute__((unused)) static void anneal_axpy_i16_##suffix(                      \
      int64_t n, int c, const int8_t *restrict a, int16_t *restrict y) {                  \
    int16_t c16 = (int16_t)c;                                                             \
    for (int64_t j = 0; j < n; j++) y[j] = (int16_t)(y[j] + c16 * a[j]);                  \
  }

#endif
