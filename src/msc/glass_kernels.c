/* Kernel sets of the ±J glass: the row kernels of glass_body.inc compiled for
 * AVX-512VL, AVX2 and the baseline instruction set, chosen at run time.
 *
 * The counting of kernels.c is reused unchanged through one identity: bond (i, j)
 * is unsatisfied iff s_i ^ s_j ^ b_ij = 1 (b = 1 for J = -1, a set spin bit is
 * s = -1), so feeding the adders the neighbour word n ^ B (B = all ones where
 * J = -1) instead of n makes "antiparallel neighbours" read "unsatisfied bonds".
 * A flip turns the k unsatisfied bonds of a site into satisfied ones and the
 * 2d - k satisfied into unsatisfied: dE = 2 (2d - k) - 2 k = 4 (d - k), the
 * ferromagnet's formula with k counted this way. The adders and the macros below
 * are those of kernels.c (static there); with every B = 0 the kernel is the
 * ferromagnetic one word for word, which test_msc_glass checks bitwise. */
#include <string.h>

#include "glass_private.h"

typedef uint64_t msc_v4 __attribute__((vector_size(32)));
typedef uint32_t msc_v8u32 __attribute__((vector_size(32)));
typedef int32_t msc_v4i32 __attribute__((vector_size(16)));
typedef int64_t msc_v4i64 __attribute__((vector_size(32)));
typedef int8_t glass_v32i8 __attribute__((vector_size(32)));

#define MSC_CAT2(a, b) a##b
#define MSC_CAT(a, b) MSC_CAT2(a, b)
#define MSC_LD(v, p) memcpy(&(v), (p), sizeof(v))
#define MSC_ST(p, v) memcpy((p), &(v), sizeof(v))
#define MSC_MASK1(m) ((uint64_t)(int64_t)(int32_t)(m))
#define MSC_MASK_BCAST(m) ((msc_v4)(msc_v8u32){(m), (m), (m), (m), (m), (m), (m), (m)})
#define MSC_MASK_LD4(v, p)                                                        \
  do {                                                                            \
    msc_v4i32 t_;                                                                 \
    memcpy(&t_, (p), sizeof t_);                                                  \
    (v) = (msc_v4)__builtin_convertvector(t_, msc_v4i64);                         \
  } while (0)
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

/* Philox4x64 constants (Random123's philox.h); a disagreement with ceas_rng_bits
 * fails test_msc_glass's scalar reference. */
#define MSC_PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define MSC_PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define MSC_PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define MSC_PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)
#define MSC_PHILOX_ROUND(x0, x1, x2, x3, k0, k1)                                  \
  do {                                                                            \
    const unsigned __int128 p0_ = (unsigned __int128)MSC_PHILOX_M0 * (x0);        \
    const unsigned __int128 p1_ = (unsigned __int128)MSC_PHILOX_M1 * (x2);        \
    (x0) = (uint64_t)(p1_ >> 64) ^ (x1) ^ (k0);                                   \
    (x1) = (uint64_t)p1_;                                                         \
    (x2) = (uint64_t)(p0_ >> 64) ^ (x3) ^ (k1);                                   \
    (x3) = (uint64_t)p0_;                                                         \
  } while (0)

/* 2D flip mask from the four "unsatisfied" bits s ^ n_m (k of them set): odd =
 * k & 1, any = k >= 2, ge4 = k == 4. Flips for k >= 3, else with the masks m0
 * (k = 0: e^{-8 beta}), m1 (k = 1: e^{-4 beta}), m2 (k = 2: 1/2). */
#define MSC_FLIP2D(T, s, n1, n2, n3, n4, m0, m1, m2, out)                         \
  do {                                                                            \
    const T x1_ = (n1) ^ (n2), x2_ = (n3) ^ (n4);                                 \
    const T y1_ = ((s) ^ (n1)) & ((s) ^ (n2)), y2_ = ((s) ^ (n3)) & ((s) ^ (n4)); \
    const T odd_ = x1_ ^ x2_, any_ = y1_ | y2_ | (x1_ & x2_), ge4_ = y1_ & y2_;   \
    const T even_ = ge4_ | (any_ & (m2)) | (~any_ & (m0));                        \
    (out) = (odd_ & (any_ | (m1))) | (~odd_ & even_);                             \
  } while (0)

/* 3D: two full adders over the six bits, k = s1 + s2 + 2 (c1 + c2); k >= 4
 * flips always, otherwise the masks m0..m3 (k = 0..3) decide. */
#define MSC_FLIP3D(T, s, n1, n2, n3, n4, n5, n6, m0, m1, m2, m3, out)             \
  do {                                                                            \
    const T a1_ = (s) ^ (n1), a2_ = (s) ^ (n2), a3_ = (s) ^ (n3);                 \
    const T a4_ = (s) ^ (n4), a5_ = (s) ^ (n5), a6_ = (s) ^ (n6);                 \
    const T s1_ = a1_ ^ a2_ ^ a3_, c1_ = (a1_ & a2_) | (a3_ & (a1_ ^ a2_));       \
    const T s2_ = a4_ ^ a5_ ^ a6_, c2_ = (a4_ & a5_) | (a6_ & (a4_ ^ a5_));       \
    const T b0_ = s1_ ^ s2_, cc_ = s1_ & s2_;                                     \
    const T ge4_ = (c1_ & c2_) | (cc_ & (c1_ ^ c2_)), any_ = c1_ | c2_ | cc_;     \
    const T odds_ = (any_ & (m3)) | (~any_ & (m1));                               \
    const T evens_ = (any_ & (m2)) | (~any_ & (m0));                              \
    (out) = ge4_ | (b0_ & odds_) | (~b0_ & evens_);                               \
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
