/* Generated instances. Each coupling is a pure function of (seed, its bond): the
 * Philox4x64 key is (seed, CEAS_ANNEAL_INSTANCE_STREAM) and the counter names the
 * bond, so an instance never depends on the order in which bonds are visited. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "anneal_private.h"

/* Counter word 2 separates the draws of the different generators. */
enum { PURPOSE_SK_SIGN = 1, PURPOSE_SK_GAUSS = 2, PURPOSE_EA = 3 };

/* Standard normal from two words (Box–Muller; u1 in (0, 1] keeps the log finite). */
static double normal_from(const uint64_t w[4]) {
  double u1 = ceas_rng_u01_open0(w[0]), u2 = ceas_rng_u01(w[1]);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int ceas_anneal_problem_sk(int64_t n, ceas_anneal_bonds bonds, uint64_t seed,
                           ceas_anneal_problem **out) {
  *out = NULL;
  if (n < 2 || n > CEAS_ANNEAL_DENSE_MAX)
    return ceas_error_set(CEAS_EINPUT, "--n: expected 2 <= n <= %d spins for sk, got %lld",
                          CEAS_ANNEAL_DENSE_MAX, (long long)n);
  int64_t ne = n * (n - 1) / 2;
  int32_t *ei = ceas_malloc((size_t)ne * sizeof *ei);
  int32_t *ej = ceas_malloc((size_t)ne * sizeof *ej);
  double *w = ceas_malloc((size_t)ne * sizeof *w);
  int rc = CEAS_OK;
  if (!ei || !ej || !w) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  ceas_rng_key key = {seed, CEAS_ANNEAL_INSTANCE_STREAM};
  double scale = 1.0 / sqrt((double)n);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t bits[4];
    uint64_t have = UINT64_MAX; /* block of 256 signs held in bits */
    for (int64_t j = i + 1; j < n; j++, k++) {
      ei[k] = (int32_t)i;
      ej[k] = (int32_t)j;
      if (bonds == CEAS_ANNEAL_BONDS_PM) {
        /* 256 pairs (i, j) share one call: bit j mod 256 of block (i, j / 256). */
        uint64_t blk = (uint64_t)j >> 8;
        if (blk != have) {
          ceas_rng_bits(key, (uint64_t)i, blk, PURPOSE_SK_SIGN, 0, bits);
          have = blk;
        }
        unsigned b = (unsigned)j & 255u;
        w[k] = (bits[b >> 6] >> (b & 63u)) & 1u ? scale : -scale;
      } else {
        ceas_rng_bits(key, (uint64_t)i, (uint64_t)j, PURPOSE_SK_GAUSS, 0, bits);
        w[k] = normal_from(bits) * scale;
      }
    }
  }
  char origin[128];
  snprintf(origin, sizeof origin, "sk n=%lld bonds=%s seed=%llu", (long long)n,
           ceas_anneal_bonds_name(bonds), (unsigned long long)seed);
  rc = ceas_anneal_build(n, ne, ei, ej, w, NULL, CEAS_ANNEAL_SRC_SK, origin, out);
  if (!rc) {
    (*out)->n_param = n;
    (*out)->bonds = bonds;
    (*out)->seed = seed;
  }
done:
  free(ei);
  free(ej);
  free(w);
  return rc;
}

int ceas_anneal_problem_ea(int dim, int64_t L, ceas_anneal_bonds bonds, uint64_t seed,
                           ceas_anneal_problem **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "ea: expected dimension 2 or 3, got %d", dim);
  /* L = 2 would join a pair by two bonds (x+1 and x-1 coincide). */
  int64_t Lmax = dim == 2 ? 46340 : 1290;
  if (L < 3 || L > Lmax)
    return ceas_error_set(CEAS_EINPUT, "--L: expected 3 <= L <= %lld for ea%dd, got %lld",
                          (long long)Lmax, dim, (long long)L);
  int64_t n = dim == 2 ? L * L : L * L * L;
  int64_t ne = dim * n;
  int32_t *ei = ceas_malloc((size_t)ne * sizeof *ei);
  int32_t *ej = ceas_malloc((size_t)ne * sizeof *ej);
  double *w = ceas_malloc((size_t)ne * sizeof *w);
  int rc = CEAS_OK;
  if (!ei || !ej || !w) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  ceas_rng_key key = {seed, CEAS_ANNEAL_INSTANCE_STREAM};
  int64_t k = 0;
  for (int64_t x = 0; x < n; x++) {
    int64_t c[3] = {x % L, (x / L) % L, dim == 3 ? x / (L * L) : 0};
    int64_t stride = 1;
    for (int d = 0; d < dim; d++, stride *= L) {
      int64_t y = c[d] == L - 1 ? x - (L - 1) * stride : x + stride;
      uint64_t bits[4];
      ceas_rng_bits(key, (uint64_t)x, (uint64_t)d, PURPOSE_EA, 0, bits);
      ei[k] = (int32_t)(x < y ? x : y);
      ej[k] = (int32_t)(x < y ? y : x);
      w[k] = bonds == CEAS_ANNEAL_BONDS_PM ? ((bits[2] >> 63) ? 1.0 : -1.0)
                                           : normal_from(bits);
      k++;
    }
  }
  char origin[128];
  snprintf(origin, sizeof origin, "ea%dd L=%lld bonds=%s seed=%llu", dim, (long long)L,
           ceas_anneal_bonds_name(bonds), (unsigned long long)seed);
  rc = ceas_anneal_build(n, ne, ei, ej, w, NULL,
                         dim == 2 ? CEAS_ANNEAL_SRC_EA2D : CEAS_ANNEAL_SRC_EA3D, origin, out);
  if (!rc) {
    (*out)->n_param = L;
    (*out)->bonds = bonds;
    (*out)->seed = seed;
  }
done:
  free(ei);
  free(ej);
  free(w);
  return rc;
}
