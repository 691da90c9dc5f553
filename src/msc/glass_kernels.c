/* Kernel sets of the ±J glass: the row kernels of glass_body.inc compiled for
 * AVX-512VL, AVX2 and the baseline instruction set, chosen at run time.
 *
 * The counting of kernels.c is reused unchanged through one identity: bond (i, j)
 * is unsatisfied iff s_i ^ s_j ^ b_ij = 1 (b = 1 for J = -1, a set spin bit is
 * s = -1), so feeding the adders the neighbour word n ^ B (B = all ones where
 * J = -1) instead of n makes "antiparallel neighbours" read "unsatisfied bonds".
 * A flip turns the k unsatisfied bonds of a site into satisfied ones and the
 * 2d - k satisfied into unsatisfied: dE = 2 (2d - k) - 2 k = 4 (d - k), the
 * ferromagnet's formula with k counted this way. The adders and macros are shared
 * with kernels.c through msc_simd.h; with every B = 0 the kernel is the
 * ferromagnetic one word for word, which test_msc_glass checks bitwise. */
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

#define GLASS_SFX _generic
#define GLASS_ISA_NAME "generic"
#include "glass_body.inc"
#undef GLASS_SFX
#undef GLASS_ISA_NAME

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GLASS_HAVE_X86 1

#pragma GCC push_options
#pragma GCC target("avx2,bmi2")
#define GLASS_SFX _avx2
#define GLASS_ISA_NAME "avx2"
#include "glass_body.inc"
#undef GLASS_SFX
#undef GLASS_ISA_NAME
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,bmi2,avx512f,avx512vl")
#define GLASS_SFX _avx512
#define GLASS_ISA_NAME "avx512"
#include "glass_body.inc"
#undef GLASS_SFX
#undef GLASS_ISA_NAME
#pragma GCC pop_options
#endif

const glass_isa *const glass_isas[] = {
#ifdef GLASS_HAVE_X86
    &glass_isa_avx512, &glass_isa_avx2,
#endif
    &glass_isa_generic, NULL};

int glass_isa_supported(const glass_isa *isa) {
#ifdef GLASS_HAVE_X86
  if (isa == &glass_isa_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("bmi2");
  if (isa == &glass_isa_avx2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#endif
  return isa == &glass_isa_generic;
}
