/* The single-spin Metropolis machine with local-field bookkeeping
 * (anneal_machine.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_machine.h"
#include "anneal_rows.h"

/* ln 2^32: above this e^-x 2^32 < 1 and no 32-bit uniform can accept. */
#define X_MAX 22.18f
/* Blocks of the site words in random order, apart from the acceptance words. */
#define SITE_BLOCK0 (UINT64_C(1) << 32)

ANNEAL_ROW_BODIES(plain, )
#if defined(__x86_64__) && defined(__GNUC__)
ANNEAL_ROW_BODIES(avx2, __attribute__((target("avx2"))))
#define MACHINE_HAVE_AVX2 1
#endif

void ceas_anneal_machine_free(anneal_machine *m) {
  free(m->s);
  free(m->f);
  free(m->f16);
  free(m->thr);
  free(m->sgn);
  free(m->u);
  free(m->nz);
  free(m->flip);
  memset(m, 0, sizeof *m);
}

int ceas_anneal_machine_alloc(const ceas_anneal_problem *pb, double field_noise, int sync, int random,
                         anneal_machine *m) {
  memset(m, 0, sizeof *m);
  m->pb = pb;
  m->nblk = (pb->n + 3) / 4;
  m->random = random;
  m->sync = sync;
  m->s = ceas_malloc((size_t)pb->n);
  m->f = ceas_malloc((size_t)pb->n * sizeof *m->f);
  m->u = ceas_malloc((size_t)(8 * m->nblk) * sizeof *m->u);
  /* Integer fields need ±1 couplings (in units), no field and |f| <= largest
   * degree < 2^15. */
  int64_t maxdeg = 0;
  m->deg0 = pb->indptr[1] - pb->indptr[0];
  for (int64_t i = 0; i < pb->n; i++) {
    if (pb->indptr[i + 1] - pb->indptr[i] > maxdeg) maxdeg = pb->indptr[i + 1] - pb->indptr[i];
    if (pb->indptr[i + 1] - pb->indptr[i] != m->deg0) m->deg0 = -1;
  }
  m->exact = pb->one_magnitude && !pb->has_field && pb->n < (INT64_C(1) << 24);
  /* The NPU model's noise and synchronous updates run on float fields (exact
   * integers all the same for ±1 couplings without field). */
  m->model = field_noise > 0 || sync;
  int int_path = pb->one_magnitude && !pb->has_field && maxdeg < 32767 && !m->model &&
                 !getenv("CEASIM_SA_FLOAT");
  int ok = 1;
  if (field_noise > 0) ok = (m->nz = ceas_malloc((size_t)pb->n * sizeof *m->nz)) != NULL;
  m->noise_rel = field_noise;
  if (ok && sync) ok = (m->flip = ceas_malloc((size_t)pb->n * sizeof *m->flip)) != NULL;
  if (ok && int_path) {
    m->kcap = maxdeg + 1;
    m->f16 = ceas_malloc((size_t)pb->n * sizeof *m->f16);
    m->thr = ceas_malloc((size_t)m->kcap * sizeof *m->thr);
    ok = m->f16 && m->thr;
    if (ok && !pb->dense8) {
      m->sgn = ceas_malloc((size_t)(pb->nnz ? pb->nnz : 1));
      ok = m->sgn != NULL;
      for (int64_t k = 0; ok && k < pb->nnz; k++) m->sgn[k] = pb->Jf[k] > 0 ? 1 : -1;
    }
  }
  if (!m->s || !m->f || !m->u || !ok) {
    ceas_anneal_machine_free(m);
    return CEAS_ENOMEM;
  }
  m->axpy = anneal_axpy_f32_plain;
  m->axpy8 = anneal_axpy_i8_plain;
  m->axpy16 = anneal_axpy_i16_plain;
#ifdef MACHINE_HAVE_AVX2
  if (__builtin_cpu_supports("avx2") && !getenv("CEASIM_NO_AVX2")) {
    m->axpy = anneal_axpy_f32_avx2;
    m->axpy8 = anneal_axpy_i8_avx2;
    m->axpy16 = anneal_axpy_i16_avx2;
  }
#endif
  return CEAS_OK;
}

/* Fields from scratch in double, rounded once (exactly, for ±1 couplings without
 * field); returns the energy, summed as ceas_anneal_energy sums it. */
static double refresh_fields(anneal_machine *m) {
  const ceas_anneal_problem *pb = m->pb;
  const int8_t *s = m->s;
  double e2 = 0, eh = 0;
  for (int64_t i = 0; i < pb->n; i++) {
    double x = 0;
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      x += pb->J[k] * s[pb->indices[k]];
    e2 += x * s[i];
    eh += pb->h[i] * s[i];
    double fu = (x + pb->h[i]) / pb->unit;
    m->f[i] = (float)fu;
    if (m->f16) m->f16[i] = (int16_t)lrint(fu);
  }
  return -0.5 * e2 - eh;
}

void ceas_anneal_machine_start(anneal_machine *m, ceas_rng_key32 key, uint64_t seed, uint64_t read,
                          uint64_t noise_site0) {
  m->key = key;
  m->zero_half = 0;
  if (m->nz) ceas_anneal_field_noise_init(&m->noise, m->pb, seed, read, m->noise_rel);
  m->noise_site0 = noise_site0;
  m->E0 = m->E = refresh_fields(m);
  m->e_u = 0;
  m->since = 0;
  m->flips = 0;
  m->deg_counted = 0;
}

/* x = beta_u de; zh: a move with de = 0 is accepted with probability 1/2 (the top
 * bit of u), as the int path decides it. */
static inline int accept(float de, float beta_u, uint32_t u, int zh) {
  if (de == 0.0f) return !zh || (u >> 31);
  float x = beta_u * de;
  return x <= 0.0f || (x < X_MAX && (float)u < expf(-x) * 0x1p32f);
}

static inline int64_t site_of(const uint32_t *site, int64_t t, int64_t n) {
  return site ? (int64_t)(((uint64_t)site[t] * (uint64_t)n) >> 32) : t;
}

/* One sweep with float fields; returns the flips and adds their dE (in units) to
 * *de_sum. beta_u = beta * unit. deg_sum non-NULL: adds the flipped sites'
 * degrees (always inlined, so the NULL copy is the loop without the count). */
static inline __attribute__((always_inline)) uint64_t
sweep_float_body(anneal_machine *m, float beta_u, const uint32_t *u, const uint32_t *site,
                 double *de_sum, uint64_t *deg_sum) {
  const ceas_anneal_problem *pb = m->pb;
  const int64_t n = pb->n;
  int8_t *restrict s = m->s;
  float *restrict f = m->f;
  const float *dense = pb->dense;
  const int8_t *dense8 = pb->dense8;
  const int64_t *indptr = pb->indptr;
  const int32_t *indices = pb->indices;
  const float *Jf = pb->Jf;
  const int zh = m->zero_half;
  uint64_t flips = 0, dsum = 0;
  double acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site_of(site, t, n);
    float de = s[i] > 0 ? 2.0f * f[i] : -2.0f * f[i];
    if (!accept(de, beta_u, u[t], zh)) continue;
    float c = s[i] > 0 ? -2.0f : 2.0f;
    s[i] = (int8_t)-s[i];
    acc += de;
    flips++;
    if (deg_sum) dsum += (uint64_t)(indptr[i + 1] - indptr[i]);
    if (dense8) {
      m->axpy8(n, c, dense8 + (size_t)i * (size_t)n, f);
    } else if (dense) {
      m->axpy(n, c, dense + (size_t)i * (size_t)n, f);
    } else {
      for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) f[indices[k]] += c * Jf[k];
    }
  }
  *de_sum += acc;
  if (deg_sum) *deg_sum += dsum;
  return flips;
}

/* The same with exact int16 fields, updated by int8 rows or CSR signs (same
 * decisions: the float fields hold these very integers). dE = 2 unit |f| takes few
 * values, so the thresholds e^-x 2^32 of the sweep are tabulated by |f| first, each
 * computed exactly as accept() computes it: the same comparisons, fewer expf calls. */
static inline __attribute__((always_inline)) uint64_t
sweep_int_body(anneal_machine *m, float beta_u, const uint32_t *u, const uint32_t *site,
               double *de_sum, uint64_t *deg_sum) {
  const int64_t n = m->pb->n;
  int8_t *restrict s = m->s;
  int16_t *restrict f = m->f16;
  const int8_t *dense8 = m->pb->dense8;
  const int8_t *sgn = m->sgn;
  const int64_t *indptr = m->pb->indptr;
  const int32_t *indices = m->pb->indices;
  float *thr = m->thr;
  const int zh = m->zero_half;
  /* |f| < kcap; from kmax on x >= X_MAX and nothing is accepted. */
  int64_t kmax = 1;
  while (kmax < m->kcap && beta_u * (float)(2 * kmax) < X_MAX) {
    thr[kmax] = expf(-(beta_u * (float)(2 * kmax))) * 0x1p32f;
    kmax++;
  }
  uint64_t flips = 0, dsum = 0;
  int64_t acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site_of(site, t, n);
    int de = 2 * s[i] * f[i];
    if (de == 0 ? zh && !(u[t] >> 31)
                : de > 0 && (de >= 2 * kmax || (float)u[t] >= thr[de >> 1]))
      continue;
    int c = -2 * s[i];
    s[i] = (int8_t)-s[i];
    acc += de;
    flips++;
    if (deg_sum) dsum += (uint64_t)(indptr[i + 1] - indptr[i]);
    if (dense8) {
      m->axpy16(n, c, dense8 + (size_t)i * (size_t)n, f);
    } else {
      for (int64_t k = indptr[i]; k < indptr[i + 1]; k++)
        f[indices[k]] = (int16_t)(f[indices[k]] + c * sgn[k]);
    }
  }
  *de_sum += (double)acc;
  if (deg_sum) *deg_sum += dsum;
  return flips;
}

static uint64_t sweep_float(anneal_machine *m, float b, const uint32_t *u, const uint32_t *site,
                            double *de) {
  return sweep_float_body(m, b, u, site, de, NULL);
}
static uint64_t sweep_float_deg(anneal_machine *m, float b, const uint32_t *u,
                                const uint32_t *site, double *de, uint64_t *deg) {
  return sweep_float_body(m, b, u, site, de, deg);
}
static uint64_t sweep_int(anneal_machine *m, float b, const uint32_t *u, const uint32_t *site,
                          double *de) {
  return sweep_int_body(m, b, u, site, de, NULL);
}
static uint64_t sweep_int_deg(anneal_machine *m, float b, const uint32_t *u,
                              const uint32_t *site, double *de, uint64_t *deg) {
  return sweep_int_body(m, b, u, site, de, deg);
}

/* Flips site i of the float fields: its exact dE (in units, from the current
 * fields) goes to *acc, the row update to the fields. */
static inline void flip_float(anneal_machine *m, int64_t i, double *acc, uint64_t *deg_sum) {
  const ceas_anneal_problem *pb = m->pb;
  const int64_t n = pb->n;
  int8_t *s = m->s;
  float *f = m->f;
  float de = s[i] > 0 ? 2.0f * f[i] : -2.0f * f[i];
  float c = s[i] > 0 ? -2.0f : 2.0f;
  s[i] = (int8_t)-s[i];
  *acc += de;
  *deg_sum += (uint64_t)(pb->indptr[i + 1] - pb->indptr[i]);
  if (pb->dense8) {
    m->axpy8(n, c, pb->dense8 + (size_t)i * (size_t)n, f);
  } else if (pb->dense) {
    m->axpy(n, c, pb->dense + (size_t)i * (size_t)n, f);
  } else {
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      f[pb->indices[k]] += c * pb->Jf[k];
  }
}

/* A sweep of the NPU model on float fields: update t decides with the noisy field
 * f_i + nz[t] (nz NULL: none); async applies each accepted flip at once, sync
 * collects them and applies them after the last decision, in site order. The
 * energy bookkeeping uses the exact fields only. With no noise and async this is
 * sweep_float's sequence of decisions (tests compare them). */
static uint64_t sweep_npu(anneal_machine *m, float beta_u, const uint32_t *u,
                          const uint32_t *site, const float *nz, double *de_sum,
                          uint64_t *deg_sum) {
  const int64_t n = m->pb->n;
  const int8_t *s = m->s;
  const float *f = m->f;
  uint64_t flips = 0;
  int64_t q = 0;
  double acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site_of(site, t, n);
    float fi = nz ? f[i] + nz[t] : f[i];
    float de = s[i] > 0 ? 2.0f * fi : -2.0f * fi;
    if (!accept(de, beta_u, u[t], m->zero_half)) continue;
    flips++;
    if (m->sync)
      m->flip[q++] = i;
    else
      flip_float(m, i, &acc, deg_sum);
  }
  for (int64_t k = 0; k < q; k++) flip_float(m, m->flip[k], &acc, deg_sum);
  *de_sum += acc;
  return flips;
}

uint64_t ceas_anneal_machine_sweep(anneal_machine *m, uint64_t k, double beta) {
  const ceas_anneal_problem *pb = m->pb;
  ceas_rng_fill32(m->key, 0, (uint32_t)k, (uint32_t)(k >> 32), m->u, (size_t)m->nblk);
  uint32_t *site = NULL;
  if (m->random) {
    site = m->u + 4 * m->nblk;
    ceas_rng_fill32(m->key, SITE_BLOCK0, (uint32_t)k, (uint32_t)(k >> 32), site,
                    (size_t)m->nblk);
  }
  float beta_u = (float)(beta * pb->unit);
  uint64_t flips;
  if (m->model) {
    if (m->nz) ceas_anneal_noise_fill(&m->noise, k, m->noise_site0, pb->n, m->nz);
    flips = sweep_npu(m, beta_u, m->u, site, m->nz, &m->e_u, &m->deg_counted);
  } else if (m->deg0 < 0) {
    flips = m->f16 ? sweep_int_deg(m, beta_u, m->u, site, &m->e_u, &m->deg_counted)
                   : sweep_float_deg(m, beta_u, m->u, site, &m->e_u, &m->deg_counted);
  } else {
    flips = m->f16 ? sweep_int(m, beta_u, m->u, site, &m->e_u)
                   : sweep_float(m, beta_u, m->u, site, &m->e_u);
  }
  m->flips += flips;
  m->E = m->E0 + pb->unit * m->e_u;
  if (++m->since == ANNEAL_MACHINE_REFRESH) {
    m->since = 0;
    if (!m->exact) {
      m->E0 = m->E = refresh_fields(m);
      m->e_u = 0;
    }
  }
  return flips;
}

uint64_t ceas_anneal_machine_deg_sum(const anneal_machine *m) {
  /* Regular graphs without the NPU model: every flip updates deg0 neighbours (the
   * refreshes against float32 drift are the simulator's, not the machine's). */
  if (m->deg0 >= 0 && !m->model) return m->flips * (uint64_t)m->deg0;
  return m->deg_counted;
}

void ceas_anneal_machine_fields(const anneal_machine *m, double *out) {
  const double unit = m->pb->unit;
  for (int64_t i = 0; i < m->pb->n; i++)
    out[i] = unit * (m->f16 ? (double)m->f16[i] : (double)m->f[i]);
}

void ceas_anneal_machine_start_walker(anneal_machine *m, ceas_rng_key key, uint64_t id,
                                 uint64_t init_tag, uint64_t sweep_tag, uint64_t seed,
                                 uint64_t read) {
  const int64_t n = m->pb->n;
  uint64_t bits[4];
  for (int64_t i = 0; i < n; i++) {
    if (i % 256 == 0) ceas_rng_bits(key, 0, (uint64_t)i / 256, id, init_tag, bits);
    m->s[i] = (bits[(i % 256) / 64] >> (i % 64)) & 1 ? -1 : 1;
  }
  /* The walker's own 32-bit key: the counter (~0, id, tag) of key32_derive's
   * kind with the walker in the second word, so (id, tag) pairs never share one. */
  ceas_rng_bits(key, ~UINT64_C(0), id, sweep_tag, UINT64_C(0x6b65793332), bits);
  ceas_rng_key32 k32 = {{(uint32_t)bits[0], (uint32_t)(bits[0] >> 32)}};
  ceas_anneal_machine_start(m, k32, seed, read, id * (uint64_t)(4 * m->nblk));
  m->zero_half = 1;
}
