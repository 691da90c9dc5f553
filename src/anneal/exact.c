/* Exact ground states by Gray-code enumeration: consecutive Gray codes differ in
 * one spin (the lowest set bit of the step number), so each state costs one energy
 * increment 2 s_i f_i and an O(deg) update of the neighbours' local fields. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_private.h"

int ceas_anneal_exact_ground(const ceas_anneal_problem *pb, double *e0,
                             uint64_t *degeneracy, int8_t *config) {
  int64_t n = pb->n;
  if (n > CEAS_ANNEAL_EXACT_MAX)
    return ceas_error_set(CEAS_EINPUT,
                          "exact enumeration: %lld spins, at most %d can be enumerated",
                          (long long)n, CEAS_ANNEAL_EXACT_MAX);
  /* Without fields E(s) = E(-s): fix the last spin and count each state twice. */
  int fixed = !pb->has_field && n > 1;
  int m = (int)(fixed ? n - 1 : n);
  int8_t *s = ceas_malloc((size_t)n);
  double *f = ceas_malloc((size_t)n * sizeof *f);
  if (!s || !f) {
    free(s);
    free(f);
    return CEAS_ENOMEM;
  }
  memset(s, 1, (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    f[i] = pb->h[i];
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) f[i] += pb->J[k];
  }
  double e = ceas_anneal_energy(pb, s);
  double tol = 1e-9 * pb->abs_sum;
  double emin = e;
  uint64_t count = 1, arg = 0;
  uint64_t states = UINT64_C(1) << m;
  for (uint64_t t = 1; t < states; t++) {
    int i = __builtin_ctzll(t);
    e += 2.0 * s[i] * f[i];
    s[i] = (int8_t)-s[i];
    double c = 2.0 * s[i];
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      f[pb->indices[k]] += c * pb->J[k];
    if (e < emin - tol) {
      emin = e;
      count = 1;
      arg = t;
    } else if (e <= emin + tol) {
      count++;
      if (e < emin) {
        emin = e;
        arg = t;
      }
    }
  }
  /* Gray code of step t: bit i set <=> spin i flipped from +1. */
  uint64_t g = arg ^ (arg >> 1);
  for (int64_t i = 0; i < n; i++) s[i] = i < m && ((g >> i) & 1u) ? -1 : 1;
  *e0 = ceas_anneal_energy(pb, s); /* free of the increments' rounding */
  *degeneracy = fixed ? 2 * count : count;
  if (config) memcpy(config, s, (size_t)n);
  free(s);
  free(f);
  return CEAS_OK;
}
