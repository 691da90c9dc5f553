/* The exact-field Metropolis walker (anneal_walk.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_walk.h"

int anneal_walker_alloc(int64_t n, anneal_walker *w) {
  memset(w, 0, sizeof *w);
  w->s = ceas_malloc((size_t)(n ? n : 1));
  w->f = ceas_malloc((size_t)(n ? n : 1) * sizeof *w->f);
  if (w->s && w->f) return CEAS_OK;
  anneal_walker_free(w);
  return CEAS_ENOMEM;
}

void anneal_walker_free(anneal_walker *w) {
  free(w->s);
  free(w->f);
  free(w->nz);
  free(w->flips);
  w->s = NULL;
  w->f = NULL;
  w->nz = NULL;
  w->flips = NULL;
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
  w->deg_sum = 0;
}

int anneal_walker_model(anneal_walker *w, const ceas_anneal_problem *pb, int sync,
                        double sigma_rel, uint64_t seed, uint64_t read, uint64_t id) {
  const size_t n = (size_t)(pb->n ? pb->n : 1);
  w->sync = sync;
  ceas_anneal_noise_init(&w->noise, seed, read, CEAS_ANNEAL_PURPOSE_FIELD_NOISE,
                         sigma_rel * pb->field_scale);
  w->noise_site0 = id * (uint64_t)(4 * ((pb->n + 3) / 4));
  if (w->noise.sigma > 0 && !w->nz && !(w->nz = ceas_malloc(n * sizeof *w->nz)))
    return CEAS_ENOMEM;
  if (sync && !w->flips && !(w->flips = ceas_malloc(n * sizeof *w->flips))) return CEAS_ENOMEM;
  return CEAS_OK;
}

/* The Metropolis decision of the walker from dE and the site's random word. */
static inline int decide(double dE, uint64_t word, double beta) {
  if (dE < 0) return 1;
  if (dE == 0) return (int)(word >> 63);
  return ceas_rng_u01(word) < exp(-beta * dE);
}

static inline void flip_site(const ceas_anneal_problem *pb, int64_t i, anneal_walker *w) {
  int8_t *s = w->s;
  double *f = w->f;
  w->E += 2.0 * s[i] * f[i];
  s[i] = (int8_t)-s[i];
  const double d = 2.0 * s[i];
  for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) f[pb->indices[k]] += d * pb->J[k];
  w->deg_sum += (uint64_t)(pb->indptr[i + 1] - pb->indptr[i]);
}

/* The sweep under the NPU model: decisions from noisy fields, applied as they are
 * made (async) or after all of them (sync). */
static uint64_t sweep_model(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t sweep,
                            uint64_t id, uint64_t tag, double beta, anneal_walker *w) {
  const int64_t n = pb->n;
  const float *nz = NULL;
  if (w->noise.sigma > 0) {
    ceas_anneal_noise_fill(&w->noise, sweep, w->noise_site0, n, w->nz);
    nz = w->nz;
  }
  uint64_t bits[4], flips = 0;
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    if ((i & 3) == 0) ceas_rng_bits(key, sweep, (uint64_t)i >> 2, id, tag, bits);
    double fi = nz ? w->f[i] + (double)nz[i] : w->f[i];
    if (!decide(2.0 * w->s[i] * fi, bits[i & 3], beta)) continue;
    flips++;
    if (w->sync)
      w->flips[m++] = i;
    else
      flip_site(pb, i, w);
  }
  for (int64_t t = 0; t < m; t++) flip_site(pb, w->flips[t], w);
  return flips;
}

uint64_t anneal_walker_sweep(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t sweep,
                             uint64_t id, uint64_t tag, double beta, anneal_walker *w) {
  if (w->sync || w->noise.sigma > 0) return sweep_model(pb, key, sweep, id, tag, beta, w);
  const int64_t n = pb->n;
  int8_t *s = w->s;
  double *f = w->f;
  uint64_t bits[4], flips = 0, deg = 0;
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
    deg += (uint64_t)(pb->indptr[i + 1] - pb->indptr[i]);
  }
  w->deg_sum += deg;
  return flips;
}
