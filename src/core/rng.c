#include <Random123/philox.h>
#include <stdlib.h>

#include "ceas_core.h"

void ceas_rng_bits(ceas_rng_key key, uint64_t c0, uint64_t c1, uint64_t c2,
                   uint64_t c3, uint64_t out[4]) {
  philox4x64_key_t k = {{key.seed, key.stream}};
  philox4x64_ctr_t c = {{c0, c1, c2, c3}};
  philox4x64_ctr_t r = philox4x64(c, k);
  out[0] = r.v[0];
  out[1] = r.v[1];
  out[2] = r.v[2];
  out[3] = r.v[3];
}

/* The marker in c3 keeps derived keys apart from every other use of the 4x64
 * stream, whose c3 is 0 throughout ceasim. */
ceas_rng_key32 ceas_rng_key32_derive(ceas_rng_key key, uint64_t purpose) {
  uint64_t b[4];
  ceas_rng_bits(key, ~UINT64_C(0), ~UINT64_C(0), purpose, UINT64_C(0x6b65793332), b);
  ceas_rng_key32 k = {{(uint32_t)b[0], (uint32_t)(b[0] >> 32)}};
  return k;
}

void ceas_rng_bits32(ceas_rng_key32 key, uint32_t c0, uint32_t c1, uint32_t c2,
                     uint32_t c3, uint32_t out[4]) {
  philox4x32_key_t k = {{key.k[0], key.k[1]}};
  philox4x32_ctr_t c = {{c0, c1, c2, c3}};
  philox4x32_ctr_t r = philox4x32(c, k);
  for (int i = 0; i < 4; i++) out[i] = r.v[i];
}

static void fill32_scalar(ceas_rng_key32 key, uint64_t first, uint32_t c2, uint32_t c3,
                          uint32_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t b = first + i;
    ceas_rng_bits32(key, (uint32_t)b, (uint32_t)(b >> 32), c2, c3, out + 4 * i);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CEAS_HAVE_FILL32_AVX2 1

/* hi and lo 32-bit halves of m * b for 8 lanes (m in every lane). */
__attribute__((target("avx2"))) static inline void mulhilo8(__m256i m, __m256i b,
                                                            __m256i *hi, __m256i *lo) {
  __m256i pe = _mm256_mul_epu32(m, b);
  __m256i po = _mm256_mul_epu32(m, _mm256_srli_epi64(b, 32));
  *lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
}

/* Philox4x32-10 (Salmon et al. 2011; the rounds and constants of Random123's
 * philox.h) on 8 counters per vector, words transposed back to block order; the
 * whole groups of 8 blocks only, the caller does the rest with the scalar code.
 * It calls nothing and ends in vzeroupper: GCC 12 inserted none on the path
 * into the scalar tail (n not a multiple of 8), so the SSE code after it (the
 * tail, libm's expf in the annealer) ran with dirty upper YMM halves, 120 instead
 * of 33 ns per spin update on a Xeon (issue 14). The rule for every AVX2/AVX-512
 * function is in ceas_core.h. */
__attribute__((target("avx2"))) static size_t fill32_avx2(ceas_rng_key32 key,
                                                          uint64_t first, uint32_t c2,
                                                          uint32_t c3, uint32_t *out,
                                                          size_t n) {
  const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u);
  const __m256i m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t b = first + i;
    __m256i x0 = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)b), lane);
    /* The low word wraps inside the group when b mod 2^32 > 2^32 - 8. */
    __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(_mm256_set1_epi32((int)(uint32_t)b),
                                                         _mm256_set1_epi32(INT32_MIN)),
                                       _mm256_xor_si256(x0, _mm256_set1_epi32(INT32_MIN)));
    __m256i x1 = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(b >> 32)), carry);
    __m256i x2 = _mm256_set1_epi32((int)c2), x3 = _mm256_set1_epi32((int)c3);
    uint32_t k0 = key.k[0], k1 = key.k[1];
    for (int r = 0; r < 10; r++) {
      __m256i hi0, lo0, hi1, lo1;
      mulhilo8(m0, x0, &hi0, &lo0);
      mulhilo8(m1, x2, &hi1, &lo1);
      __m256i y0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32((int)k0));
      __m256i y2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32((int)k1));
      x0 = y0;
      x1 = lo1;
      x2 = y2;
      x3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    __m256i a = _mm256_unpacklo_epi32(x0, x1), c = _mm256_unpackhi_epi32(x0, x1);
    __m256i d = _mm256_unpacklo_epi32(x2, x3), e = _mm256_unpackhi_epi32(x2, x3);
    __m256i b04 = _mm256_unpacklo_epi64(a, d), b15 = _mm256_unpackhi_epi64(a, d);
    __m256i b26 = _mm256_unpacklo_epi64(c, e), b37 = _mm256_unpackhi_epi64(c, e);
    __m256i *o = (__m256i *)(void *)(out + 4 * i);
    _mm256_storeu_si256(o, _mm256_permute2x128_si256(b04, b15, 0x20));
    _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(b26, b37, 0x20));
    _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(b04, b15, 0x31));
    _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(b26, b37, 0x31));
  }
  _mm256_zeroupper();
  return i;
}
#endif

void ceas_rng_fill32(ceas_rng_key32 key, uint64_t first, uint32_t c2, uint32_t c3,
                     uint32_t *out, size_t n) {
  size_t done = 0;
#ifdef CEAS_HAVE_FILL32_AVX2
  /* CEASIM_NO_AVX2=1 forces the scalar path, to time or check it by hand; the
   * tests compare whichever path runs with the one-block generator. */
  static int avx2 = -1;
  if (avx2 < 0) avx2 = __builtin_cpu_supports("avx2") && !getenv("CEASIM_NO_AVX2");
  if (avx2) done = fill32_avx2(key, first, c2, c3, out, n);
#endif
  fill32_scalar(key, first + done, c2, c3, out + 4 * done, n - done);
}

void ceas_rng_seq_init(ceas_rng_seq *s, ceas_rng_key key, uint64_t c0,
                       uint64_t c1, uint64_t c2) {
  s->key = key;
  s->c0 = c0;
  s->c1 = c1;
  s->c2 = c2;
  s->index = 0;
  s->cached = 0;
}

/* The block is a function of (prefix, index / 4) only, so a cursor whose index
 * was set from a checkpoint continues exactly where the original would have. */
void ceas_rng_seq_refill(ceas_rng_seq *s) {
  uint64_t blk = s->index >> 2;
  ceas_rng_bits(s->key, s->c0, s->c1, s->c2, blk, s->block);
  s->cached = blk + 1;
}
