/* Internal to src/gpu's annealers (sa_dense.cu, sb_dense.cu): ±1 couplings as
 * two bit matrices by blocks of 32 columns, and the field change that a set of
 * sign changes in one block makes, in popcounts.
 *
 * Word c n + x of Z has bit j set iff J(x, 32c + j) != 0, of N iff it is < 0
 * (in units: J in {-1, 0, 1}). For P, M the block's sites whose spin became +1
 * and -1, sum_{k in P} J_xk - sum_{k in M} J_xk = (|Z&P| - 2|N&P|) -
 * (|Z&M| - 2|N&M|), and a field f_x = sum_k J_xk s_k moves by twice that: the
 * fields' update after any number of flips in the block costs two words and
 * four popcounts a site, where the CPU adds one int8 row a flip. With P, M the
 * block's sites of spin +1 and -1, the same sum is the block's share of f_x. */
#ifndef CEAS_GPU_ANNEAL_BITS_CUH
#define CEAS_GPU_ANNEAL_BITS_CUH

#include <stdint.h>
#include <stdlib.h>

#include "ceas_core.h"

typedef struct {
  int n, nb;      /* sites, blocks of 32 columns */
  int complete;   /* every off-diagonal coupling nonzero: Z is never loaded */
  const uint32_t *Z, *N;
} anneal_bits;

/* Row x's words for columns 32c .. 32c + 31 (complete: every column below n
 * but x itself). */
__device__ __forceinline__ void anneal_bits_words(const anneal_bits &b, int c, int x,
                                                  uint32_t *z, uint32_t *neg) {
  *neg = b.N[(size_t)c * b.n + x];
  if (b.complete) {
    const int left = b.n - 32 * c;
    uint32_t m = left >= 32 ? 0xffffffffu : (1u << left) - 1u;
    if ((x >> 5) == c) m &= ~(1u << (x & 31));
    *z = m;
  } else {
    *z = b.Z[(size_t)c * b.n + x];
  }
}

__device__ __forceinline__ int anneal_bits_pm(uint32_t z, uint32_t neg, uint32_t P, uint32_t M) {
  return (__popc(z & P) - 2 * __popc(neg & P)) - (__popc(z & M) - 2 * __popc(neg & M));
}

/* The bit matrices of the n x n int8 couplings (host memory, freed by the
 * caller); CEAS_EINPUT naming `who` unless they are symmetric, in {-1, 0, 1},
 * with zero diagonal. */
static inline int anneal_bits_make(const char *who, int64_t n, const int8_t *J, uint32_t **Z,
                                   uint32_t **N, int *complete) {
  const size_t nw = (size_t)((n + 31) / 32) * (size_t)n;
  *Z = (uint32_t *)calloc(nw, sizeof **Z);
  *N = (uint32_t *)calloc(nw, sizeof **N);
  if (!*Z || !*N) {
    free(*Z), free(*N);
    *Z = *N = NULL;
    return ceas_error_set(CEAS_ENOMEM, "%s: host memory", who);
  }
  *complete = 1;
  for (int64_t x = 0; x < n; x++)
    for (int64_t y = 0; y < n; y++) {
      const int8_t v = J[x * n + y];
      if ((v != 0 && v != 1 && v != -1) || v != J[y * n + x] || (x == y && v)) {
        free(*Z), free(*N);
        *Z = *N = NULL;
        return ceas_error_set(CEAS_EINPUT, "%s: couplings: expected a symmetric matrix of "
                              "-1, 0, 1 with zero diagonal", who);
      }
      if (v) (*Z)[(size_t)(y / 32) * n + x] |= 1u << (y % 32);
      if (v < 0) (*N)[(size_t)(y / 32) * n + x] |= 1u << (y % 32);
      *complete &= x == y || v != 0;
    }
  return CEAS_OK;
}

#endif
