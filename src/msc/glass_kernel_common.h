/* What the instruction-set variants of the glass kernels share (glass_kernels*.c,
 * one translation unit per variant so that they compile in parallel). */
#ifndef CEAS_GLASS_KERNEL_COMMON_H
#define CEAS_GLASS_KERNEL_COMMON_H
#include <string.h>

#include "glass_private.h"
#include "msc_simd.h"

typedef int8_t glass_v32i8 __attribute__((vector_size(32)));

/* Bond masks: one byte (0 or -1) per site and slot, sign-extended. */
#define GLASS_BOND1(b) ((uint64_t)(int64_t)(b))
/* A byte broadcast to all 32 bytes (one vpbroadcastb from memory). */
#define GLASS_BOND_BCAST(b) ((msc_v4)((glass_v32i8){0} + (int8_t)(b)))
/* Four sites' bytes as four 64-bit masks. A compare of the broadcast word against
 * per-lane byte selectors: GCC 12 turns __builtin_convertvector of four int8 into
 * scalar extracts and inserts, four times the instructions. */
#define GLASS_BOND_LD4(v, p)                                                      \
  do {                                                                            \
    uint32_t w_;                                                                  \
    memcpy(&w_, (p), sizeof w_);                                                  \
    const msc_v4 sel_ = {0xff, 0xff00, 0xff0000, 0xff000000};                     \
    (v) = (msc_v4)(((msc_v4)(msc_v8u32){w_, w_, w_, w_, w_, w_, w_, w_} & sel_) != 0); \
  } while (0)

/* Unsatisfied-bond words buffered per chunk of a row before they enter the
 * counter: 64 sites (R = 256) or 64 four-site vectors (R = 64) of up to three
 * bonds, plus a row end and the < 16 words left from the previous chunk. */
#define GLASS_CHUNK 64
#define GLASS_BUF (3 * GLASS_CHUNK + 32)

#endif
