/* The bit-sliced building blocks shared by the replica-packed kernels
 * (kernels*.c, ferromagnet; glass_kernels*.c, ±J): vector types, loads, mask
 * conversions, the interleaved Philox4x64 round and the flip-mask adders. Included
 * once by each kernel file, before its body is compiled per instruction set. */
#ifndef CEAS_MSC_SIMD_H
#define CEAS_MSC_SIMD_H

#include <stdint.h>
#include <string.h>

/* GCC on x86-64: the AVX2 and AVX-512 variants are built (under #pragma GCC target)
 * and chosen at run time; elsewhere only the baseline variant. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MSC_HAVE_X86 1
#endif

typedef uint64_t msc_v4 __attribute__((vector_size(32)));
typedef uint32_t msc_v8u32 __attribute__((vector_size(32)));
typedef int32_t msc_v4i32 __attribute__((vector_size(16)));
typedef int64_t msc_v4i64 __attribute__((vector_size(32)));

#define MSC_CAT2(a, b) a##b
#define MSC_CAT(a, b) MSC_CAT2(a, b)
#define MSC_LD(v, p) memcpy(&(v), (p), sizeof(v))
#define MSC_ST(p, v) memcpy((p), &(v), sizeof(v))
/* A 32-bit mask as one 64-bit word, as one site's four lanes, as four sites. */
#define MSC_MASK1(m) ((uint64_t)(int64_t)(int32_t)(m))
#define MSC_MASK_BCAST(m) ((msc_v4)(msc_v8u32){(m), (m), (m), (m), (m), (m), (m), (m)})
#define MSC_MASK_LD4(v, p)                                                        \
  do {                                                                            \
    msc_v4i32 t_;                                                                 \
    memcpy(&t_, (p), sizeof t_);                                                  \
    (v) = (msc_v4)__builtin_convertvector(t_, msc_v4i64);                         \
  } while (0)

/* Philox4x64 constants (Salmon et al. 2011; Random123's philox.h). Any
 * disagreement with ceas_rng_bits fails test_msc's scalar-reference tests. */
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

/* 2D flip mask. With k of the four neighbours antiparallel: odd = k & 1, any =
 * k >= 2, ge4 = k == 4 (pairs (n1, n2) and (n3, n4) are half adders; x1 & x2 is
 * the carry of one antiparallel neighbour in each pair). Sites flip for k >= 3,
 * and with the shared uniform's masks m0 (k = 0: e^{-8 beta}), m1 (k = 1:
 * e^{-4 beta}) and m2 (k = 2: 1/2). */
#define MSC_FLIP2D(T, s, n1, n2, n3, n4, m0, m1, m2, out)                         \
  do {                                                                            \
    const T x1_ = (n1) ^ (n2), x2_ = (n3) ^ (n4);                                 \
    const T y1_ = ((s) ^ (n1)) & ((s) ^ (n2)), y2_ = ((s) ^ (n3)) & ((s) ^ (n4)); \
    const T odd_ = x1_ ^ x2_, any_ = y1_ | y2_ | (x1_ & x2_), ge4_ = y1_ & y2_;   \
    const T even_ = ge4_ | (any_ & (m2)) | (~any_ & (m0));                        \
    (out) = (odd_ & (any_ | (m1))) | (~odd_ & even_);                             \
  } while (0)

/* 3D flip mask: two full adders over the six antiparallel bits give k = s1 + s2
 * + 2 (c1 + c2); with b0 = s1 ^ s2, cc = s1 & s2, k = b0 + 2 w, w = c1 + c2 + cc.
 * ge4 = (w >= 2) = maj(c1, c2, cc) flips always; otherwise w = any and the masks
 * m0..m3 (k = 0..3: e^{-12 beta}, e^{-8 beta}, e^{-4 beta}, 1/2) decide. */
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

#endif
