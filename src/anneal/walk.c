/* The exact-field Metropolis walker (anneal_walk.h). */
#include <math.h>
#include <stdlib.h>

#include "anneal_walk.h"

int anneal_walker_alloc(int64_t n, anneal_walker *w) {
  w->s = ceas_malloc((size_t)(n ? n : 1));
  w->f = ceas_malloc((size_t)(n ? n : 1) * sizeof *w->f);
  w->E = 0;
  if (w->s && w->f) return CEAS_OK;
  anneal_walker_free(w);
  return CEAS_ENOMEM;
}

void anneal_walker_free(anneal_walker *w) {
  free(w->s);
  free(w->f);
  w->s = NULL;
  w->f = NULL;
}

void anneal_walker_init(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t id,
                        uint64_t init_tag, anneal_walker *w) {
  const int64_t n = pb->n;
  uint64_t bits[4];
  for (int64_t i = 0; i < n; i++) {
    if (i % 256 == 0) ceas_rng_bits(key, 0, (uint64_t)i / 256, id, init_tag, bits);
    w->s[i] = (bits[(i % 256) / 64] >> (i % 64)) & 1 ? -1 : 1;
  }
  for (int64_t i = 0; i < n; i++) {
    double f = pb->h ? pb->h[i] : 0.0;
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) f += pb->J[k] * w->s[pb->indices[k]];
    w->f[i] = f;
  }
  w->E = ceas_anneal_energy(pb, w->s);
}

uint64_t anneal_walker_sweep(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t sweep,
                             uint64_t id, uint64_t tag, double beta, anneal_walker *w) {
  const int64_t n = pb->n;
  int8_t *s = w->s;
  double *f = w->f;
  uint64_t bits[4], flips = 0;
  for (int64_t i = 0; i < n; i++) {
    if ((i & 3) == 0) ceas_rng_bits(key, sweep, (uint64_t)i >> 2, id, tag, bits);
    double dE = 2.0 * s[i] * f[i];
    int flip;
    if (dE < 0)
      flip = 1;
    else if (dE == 0)
      flip = (int)(bits[i & 3] >> 63);
    else
      flip = ceas_rng_u01(bits[i & 3]) < exp(-beta * dE);
    if (!flip) continue;
    flips++;
    s[i] = (int8_t)-s[i];
    w->E += dE;
    const double d = 2.0 * s[i];
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) f[pb->indices[k]] += d * pb->J[k];
  }
  return flips;
}
