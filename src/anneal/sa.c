/* sa: simulated annealing by single-spin Metropolis with local-field bookkeeping.
 *
 * State: spins s (int8) and local fields f_i = (sum_j J_ij s_j + h_i) / unit, unit
 * the common coupling magnitude when there is one (pb->unit; else 1), so that a
 * flip of i costs dE_i = 2 unit s_i f_i to evaluate. An accepted flip adds
 * -2 s_i(old) J_ji / unit to every f_j: one contiguous axpy over row i of the dense
 * copy (float32 rows, or int8 signs when all |J| are equal), vectorised with an
 * AVX2 clone where the CPU has it, or one indexed update per CSR neighbour.
 * A rejected flip touches nothing.
 *
 * Paths: with ±1 couplings (in units) and no field the fields are int16 integers
 * (|f| <= degree < 2^15) and a flip adds ±2 x (int8 row of the dense copy: 1 byte
 * of couplings and 2 of fields per neighbour instead of 4 + 4), or ±2 x the CSR
 * signs; acceptance thresholds are tabulated per sweep. Otherwise float32 fields.
 * In units, float32 fields of ±1 couplings are exact integers too, so the int16,
 * dense float32/int8 and sparse paths compute the same numbers; with general
 * couplings the dense and sparse float paths still add the very same products in
 * the same order (a dense row holds exact zeros elsewhere, and ISO C mode forbids
 * fused multiply-adds). Every path makes the same decisions: tests compare them
 * bit for bit, and the AVX2 loops against the baseline ones.
 *
 * Sweep k (counted from 0) at beta_k makes n updates: sites 0 .. n-1 in order
 * (sequential, the default, as in D-Wave's neal) or n sites drawn uniformly
 * (random order: update t picks floor(w_t n / 2^32) from its own 32-bit word,
 * a bias below n / 2^32). Update t accepts iff x = beta_k dE <= 0 or
 * u_t < e^-x 2^32, u_t the t-th 32-bit word of the Philox4x32 blocks
 * (t/4, sweep, under the read's key): exact Metropolis up to float32 rounding of
 * e^-x (relative 2^-24) and the 2^-32 resolution of u (x > 22.18, where
 * e^-x < 2^-32, is rejected outright).
 *
 * General couplings leave rounding drift in float32 fields; every REFRESH sweeps
 * they are recomputed from the couplings in double, as is the running energy
 * (±1 couplings without field need no refresh: nothing drifts). The running
 * energy decides which end-of-sweep state is the best so far and when the target
 * looks reached; the target is then confirmed with the exact energy, and the
 * reported energies are recomputed exactly from the configurations.
 *
 * The NPU model (ceas_anneal_params update / field_noise) runs sweep_npu on float
 * fields: update t of sweep k decides with f_i + nu_t, nu_t the field noise of
 * (seed, read, k, t) in units of pb->unit, and sync collects the accepted sites and
 * flips them after the last decision (each flip adding its exact dE). The ideal
 * machine keeps the loops above; the cost model's row updates are flips x degree
 * on regular graphs (no change to the loops) and counted per flip otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_private.h"

#define REFRESH 256
/* ln 2^32: above this e^-x 2^32 < 1 and no 32-bit uniform can accept. */
#define X_MAX 22.18f
/* Purpose of the read's Philox4x32 key (ASCII "SA"). */
#define PURPOSE_SA UINT64_C(0x5341)
/* Counter words (c2, c3) of the initial spins, apart from every sweep's
 * (sweep low, sweep high) because sa_check allows fewer than 2^32 - 1 sweeps. */
#define INIT_C 0xFFFFFFFFu
/* Blocks of the site words in random order, apart from the acceptance words. */
#define SITE_BLOCK0 (UINT64_C(1) << 32)

typedef void (*axpy_fn)(int64_t n, float c, const float *restrict a, float *restrict y);
typedef void (*axpy8_fn)(int64_t n, float c, const int8_t *restrict a, float *restrict y);
typedef void (*axpy16_fn)(int64_t n, int c, const int8_t *restrict a, int16_t *restrict y);

/* The loops, compiled twice: for the baseline ISA and, on x86-64, for AVX2. */
#define AXPY_BODIES(suffix, attr)                                                         \
  attr static void axpy_##suffix(int64_t n, float c, const float *restrict a,             \
                                 float *restrict y) {                                     \
    for (int64_t j = 0; j < n; j++) y[j] += c * a[j];                                     \
  }                                                                                       \
  attr static void axpy8_##suffix(int64_t n, float c, const int8_t *restrict a,           \
                                  float *restrict y) {                                    \
    for (int64_t j = 0; j < n; j++) y[j] += c * (float)a[j];                              \
  }                                                                                       \
  attr static void axpy16_##suffix(int64_t n, int c, const int8_t *restrict a,            \
                                   int16_t *restrict y) {                                 \
    int16_t c16 = (int16_t)c;                                                             \
    for (int64_t j = 0; j < n; j++) y[j] = (int16_t)(y[j] + c16 * a[j]);                  \
  }

AXPY_BODIES(plain, )
#if defined(__x86_64__) && defined(__GNUC__)
AXPY_BODIES(avx2, __attribute__((target("avx2"))))
#define SA_HAVE_AVX2 1
#endif

typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  int8_t *s;
  float *f;       /* local fields in units of pb->unit (float path) */
  int16_t *f16;   /* the same as exact integers (int path), or NULL */
  float *thr;     /* int path: acceptance thresholds by |f| (kcap entries) */
  int64_t kcap;   /* int path: 1 + the largest |f| (the largest degree) */
  int8_t *sgn;    /* int path without dense copy: the CSR couplings' signs */
  uint32_t *u;    /* 4 ceil(n/4) acceptance words, then as many site words */
  int64_t nblk;   /* Philox blocks per sweep and purpose */
  axpy_fn axpy;
  axpy8_fn axpy8;
  axpy16_fn axpy16;
  /* NPU model (float fields only) and cost */
  int model;      /* field noise or sync: sweep_npu */
  float *nz;      /* n: the sweep's field noise, by update slot */
  int64_t *flip;  /* n: sync's accepted sites */
  int64_t deg0;   /* the common degree of a regular graph, else -1 (count per flip) */
} sa_work;

static int sa_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  if (pb->n < 1) return ceas_error_set(CEAS_EINPUT, "sa: the problem has no spins");
  if (!p->schedule || p->schedule->sweeps < 1)
    return ceas_error_set(CEAS_EINPUT, "sa: expected a schedule of at least one sweep");
  if (p->schedule->sweeps >= (UINT64_C(1) << 32) - 1)
    return ceas_error_set(CEAS_EINPUT, "sa: at most 2^32 - 2 sweeps");
  for (uint64_t k = 0; k < p->schedule->sweeps; k++)
    if (!(p->schedule->betas[k] >= 0) || !isfinite(p->schedule->betas[k]))
      return ceas_error_set(CEAS_EINPUT, "sa: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, p->schedule->betas[k]);
  return CEAS_OK;
}

static void sa_free(void *work) {
  sa_work *w = work;
  if (!w) return;
  free(w->s);
  free(w->f);
  free(w->f16);
  free(w->thr);
  free(w->sgn);
  free(w->u);
  free(w->nz);
  free(w->flip);
  free(w);
}

static int sa_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                    void **out) {
  *out = NULL;
  sa_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->pb = pb;
  w->p = p;
  w->nblk = (pb->n + 3) / 4;
  w->s = ceas_malloc((size_t)pb->n);
  w->f = ceas_malloc((size_t)pb->n * sizeof *w->f);
  w->u = ceas_malloc((size_t)(8 * w->nblk) * sizeof *w->u);
  /* Integer fields need ±1 couplings (in units), no field and |f| <= largest
   * degree < 2^15. CEASIM_SA_FLOAT=1 forces float fields (tests compare the two). */
  int64_t maxdeg = 0;
  w->deg0 = pb->indptr[1] - pb->indptr[0];
  for (int64_t i = 0; i < pb->n; i++) {
    if (pb->indptr[i + 1] - pb->indptr[i] > maxdeg) maxdeg = pb->indptr[i + 1] - pb->indptr[i];
    if (pb->indptr[i + 1] - pb->indptr[i] != w->deg0) w->deg0 = -1;
  }
  /* The NPU model's noise and synchronous updates run on float fields (exact
   * integers all the same for +-1 couplings without field). */
  w->model = p->field_noise > 0 || p->update == CEAS_ANNEAL_UPDATE_SYNC;
  int int_path = pb->one_magnitude && !pb->has_field && maxdeg < 32767 && !w->model &&
                 !getenv("CEASIM_SA_FLOAT");
  int ok = 1;
  if (p->field_noise > 0) ok = (w->nz = ceas_malloc((size_t)pb->n * sizeof *w->nz)) != NULL;
  if (ok && p->update == CEAS_ANNEAL_UPDATE_SYNC)
    ok = (w->flip = ceas_malloc((size_t)pb->n * sizeof *w->flip)) != NULL;
  if (ok && int_path) {
    w->kcap = maxdeg + 1;
    w->f16 = ceas_malloc((size_t)pb->n * sizeof *w->f16);
    w->thr = ceas_malloc((size_t)w->kcap * sizeof *w->thr);
    ok = w->f16 && w->thr;
    if (ok && !pb->dense8) {
      w->sgn = ceas_malloc((size_t)(pb->nnz ? pb->nnz : 1));
      ok = w->sgn != NULL;
      for (int64_t k = 0; ok && k < pb->nnz; k++) w->sgn[k] = pb->Jf[k] > 0 ? 1 : -1;
    }
  }
  if (!w->s || !w->f || !w->u || !ok) {
    sa_free(w);
    return CEAS_ENOMEM;
  }
  w->axpy = axpy_plain;
  w->axpy8 = axpy8_plain;
  w->axpy16 = axpy16_plain;
#ifdef SA_HAVE_AVX2
  /* CEASIM_NO_AVX2=1 forces the baseline loops (to time them, or to check that
   * the two agree). */
  if (__builtin_cpu_supports("avx2") && !getenv("CEASIM_NO_AVX2")) {
    w->axpy = axpy_avx2;
    w->axpy8 = axpy8_avx2;
    w->axpy16 = axpy16_avx2;
  }
#endif
  *out = w;
  return CEAS_OK;
}

/* Fields from scratch in double, rounded once (exactly, for ±1 couplings without
 * field); returns the energy, summed as ceas_anneal_energy sums it. */
static double refresh_fields(sa_work *w) {
  const ceas_anneal_problem *pb = w->pb;
  const int8_t *s = w->s;
  double e2 = 0, eh = 0;
  for (int64_t i = 0; i < pb->n; i++) {
    double x = 0;
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      x += pb->J[k] * s[pb->indices[k]];
    e2 += x * s[i];
    eh += pb->h[i] * s[i];
    double fu = (x + pb->h[i]) / pb->unit;
    w->f[i] = (float)fu;
    if (w->f16) w->f16[i] = (int16_t)lrint(fu);
  }
  return -0.5 * e2 - eh;
}

static inline int accept(float x, uint32_t u) {
  return x <= 0.0f || (x < X_MAX && (float)u < expf(-x) * 0x1p32f);
}

/* One sweep with float fields; returns the flips and adds their dE (in units) to
 * *de_sum. beta_u = beta * unit. deg_sum non-NULL: adds the flipped sites'
 * degrees (the cost model on irregular graphs; always inlined, so the NULL copy is
 * the loop without the count). */
static inline __attribute__((always_inline)) uint64_t
sweep_float_body(sa_work *w, float beta_u, const uint32_t *u, const uint32_t *site,
                 double *de_sum, uint64_t *deg_sum) {
  const ceas_anneal_problem *pb = w->pb;
  const int64_t n = pb->n;
  int8_t *restrict s = w->s;
  float *restrict f = w->f;
  const float *dense = pb->dense;
  const int8_t *dense8 = pb->dense8;
  const int64_t *indptr = pb->indptr;
  const int32_t *indices = pb->indices;
  const float *Jf = pb->Jf;
  uint64_t flips = 0, dsum = 0;
  double acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site ? (int64_t)(((uint64_t)site[t] * (uint64_t)n) >> 32) : t;
    float de = s[i] > 0 ? 2.0f * f[i] : -2.0f * f[i];
    if (!accept(beta_u * de, u[t])) continue;
    float c = s[i] > 0 ? -2.0f : 2.0f;
    s[i] = (int8_t)-s[i];
    acc += de;
    flips++;
    if (deg_sum) dsum += (uint64_t)(indptr[i + 1] - indptr[i]);
    if (dense8) {
      w->axpy8(n, c, dense8 + (size_t)i * (size_t)n, f);
    } else if (dense) {
      w->axpy(n, c, dense + (size_t)i * (size_t)n, f);
    } else {
      for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) f[indices[k]] += c * Jf[k];
    }
  }
  *de_sum += acc;
  if (deg_sum) *deg_sum += dsum;
  return flips;
}

static uint64_t sweep_float(sa_work *w, float beta_u, const uint32_t *u,
                            const uint32_t *site, double *de_sum) {
  return sweep_float_body(w, beta_u, u, site, de_sum, NULL);
}

static uint64_t sweep_float_deg(sa_work *w, float beta_u, const uint32_t *u,
                                const uint32_t *site, double *de_sum, uint64_t *deg_sum) {
  return sweep_float_body(w, beta_u, u, site, de_sum, deg_sum);
}

/* The same with exact int16 fields, updated by int8 rows or CSR signs (same
 * decisions: the float fields hold these very integers). dE = 2 unit |f| takes few
 * values, so the thresholds e^-x 2^32 of the sweep are tabulated by |f| first, each
 * computed exactly as accept() computes it: the same comparisons, fewer expf calls. */
static inline __attribute__((always_inline)) uint64_t
sweep_int_body(sa_work *w, float beta_u, const uint32_t *u, const uint32_t *site,
               double *de_sum, uint64_t *deg_sum) {
  const int64_t n = w->pb->n;
  int8_t *restrict s = w->s;
  int16_t *restrict f = w->f16;
  const int8_t *dense8 = w->pb->dense8;
  const int8_t *sgn = w->sgn;
  const int64_t *indptr = w->pb->indptr;
  const int32_t *indices = w->pb->indices;
  float *thr = w->thr;
  /* |f| < kcap; from kmax on x >= X_MAX and nothing is accepted. */
  int64_t kmax = 1;
  while (kmax < w->kcap && beta_u * (float)(2 * kmax) < X_MAX) {
    thr[kmax] = expf(-(beta_u * (float)(2 * kmax))) * 0x1p32f;
    kmax++;
  }
  uint64_t flips = 0, dsum = 0;
  int64_t acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site ? (int64_t)(((uint64_t)site[t] * (uint64_t)n) >> 32) : t;
    int de = 2 * s[i] * f[i];
    if (de > 0 && (de >= 2 * kmax || (float)u[t] >= thr[de >> 1])) continue;
    int c = -2 * s[i];
    s[i] = (int8_t)-s[i];
    acc += de;
    flips++;
    if (deg_sum) dsum += (uint64_t)(indptr[i + 1] - indptr[i]);
    if (dense8) {
      w->axpy16(n, c, dense8 + (size_t)i * (size_t)n, f);
    } else {
      for (int64_t k = indptr[i]; k < indptr[i + 1]; k++)
        f[indices[k]] = (int16_t)(f[indices[k]] + c * sgn[k]);
    }
  }
  *de_sum += (double)acc;
  if (deg_sum) *deg_sum += dsum;
  return flips;
}

static uint64_t sweep_int(sa_work *w, float beta_u, const uint32_t *u,
                          const uint32_t *site, double *de_sum) {
  return sweep_int_body(w, beta_u, u, site, de_sum, NULL);
}

static uint64_t sweep_int_deg(sa_work *w, float beta_u, const uint32_t *u,
                              const uint32_t *site, double *de_sum, uint64_t *deg_sum) {
  return sweep_int_body(w, beta_u, u, site, de_sum, deg_sum);
}

/* Flips site i of the float fields: its exact dE (in units, from the current
 * fields) goes to *acc, the row update to the fields. */
static inline void flip_float(sa_work *w, int64_t i, double *acc, uint64_t *deg_sum) {
  const ceas_anneal_problem *pb = w->pb;
  const int64_t n = pb->n;
  int8_t *s = w->s;
  float *f = w->f;
  float de = s[i] > 0 ? 2.0f * f[i] : -2.0f * f[i];
  float c = s[i] > 0 ? -2.0f : 2.0f;
  s[i] = (int8_t)-s[i];
  *acc += de;
  *deg_sum += (uint64_t)(pb->indptr[i + 1] - pb->indptr[i]);
  if (pb->dense8) {
    w->axpy8(n, c, pb->dense8 + (size_t)i * (size_t)n, f);
  } else if (pb->dense) {
    w->axpy(n, c, pb->dense + (size_t)i * (size_t)n, f);
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
static uint64_t sweep_npu(sa_work *w, float beta_u, const uint32_t *u, const uint32_t *site,
                          const float *nz, int sync, double *de_sum, uint64_t *deg_sum) {
  const int64_t n = w->pb->n;
  const int8_t *s = w->s;
  const float *f = w->f;
  uint64_t flips = 0;
  int64_t m = 0;
  double acc = 0;
  for (int64_t t = 0; t < n; t++) {
    int64_t i = site ? (int64_t)(((uint64_t)site[t] * (uint64_t)n) >> 32) : t;
    float fi = nz ? f[i] + nz[t] : f[i];
    float de = s[i] > 0 ? 2.0f * fi : -2.0f * fi;
    if (!accept(beta_u * de, u[t])) continue;
    flips++;
    if (sync)
      w->flip[m++] = i;
    else
      flip_float(w, i, &acc, deg_sum);
  }
  for (int64_t k = 0; k < m; k++) flip_float(w, w->flip[k], &acc, deg_sum);
  *de_sum += acc;
  return flips;
}

static int sa_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                   ceas_anneal_read *res, int8_t *best, double *trace) {
  sa_work *w = work;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const int64_t n = pb->n;
  const uint64_t sweeps = p->schedule->sweeps;
  const double *betas = p->schedule->betas;
  memset(res, 0, sizeof *res);
  double t0 = ceas_wtime();
  ceas_rng_key key = {p->seed, r};
  ceas_rng_key32 k32 = ceas_rng_key32_derive(key, PURPOSE_SA);
  ceas_rng_fill32(k32, 0, INIT_C, INIT_C, w->u, (size_t)w->nblk);
  for (int64_t i = 0; i < n; i++) w->s[i] = (w->u[i] >> 31) ? 1 : -1;
  /* ±1 couplings (in units) without field: fields and energy changes are exact
   * integers in float32 and int16 alike, nothing drifts and nothing needs refreshing. */
  const int exact = pb->one_magnitude && !pb->has_field && n < (INT64_C(1) << 24);
  double e_u = 0; /* energy change since the last refresh, in units */
  double e0 = refresh_fields(w), e = e0;
  double best_e = e;
  memcpy(best, w->s, (size_t)n);
  const double noise = 1e-12 * pb->abs_sum;  /* below any real improvement */
  const double slack = 1e-6 * pb->abs_sum;   /* above float32 drift between refreshes */
  double tol = p->target_tol;
  double last_checked = INFINITY;
  uint32_t *site = p->order == CEAS_ANNEAL_ORDER_RANDOM ? w->u + 4 * w->nblk : NULL;
  ceas_anneal_noise nz;
  ceas_anneal_field_noise_init(&nz, pb, p->seed, r, p->field_noise);
  const int sync = p->update == CEAS_ANNEAL_UPDATE_SYNC;
  /* Degrees of the flipped sites: counted per flip only on irregular graphs. */
  uint64_t deg_sum = 0;
  const int count = w->deg0 < 0;
  if (p->has_target && ceas_anneal_energy(pb, w->s) <= p->target + tol) res->reached = 1;
  for (uint64_t k = 0; k < sweeps; k++) {
    if (hooks && hooks->stop && *hooks->stop)
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
    ceas_rng_fill32(k32, 0, (uint32_t)k, (uint32_t)(k >> 32), w->u, (size_t)w->nblk);
    if (site)
      ceas_rng_fill32(k32, SITE_BLOCK0, (uint32_t)k, (uint32_t)(k >> 32), site,
                      (size_t)w->nblk);
    float beta_u = (float)(betas[k] * pb->unit);
    if (w->model) {
      if (w->nz) ceas_anneal_noise_fill(&nz, k, 0, n, w->nz);
      res->flips += sweep_npu(w, beta_u, w->u, site, w->nz, sync, &e_u, &deg_sum);
    } else if (count) {
      res->flips += w->f16 ? sweep_int_deg(w, beta_u, w->u, site, &e_u, &deg_sum)
                           : sweep_float_deg(w, beta_u, w->u, site, &e_u, &deg_sum);
    } else {
      res->flips += w->f16 ? sweep_int(w, beta_u, w->u, site, &e_u)
                           : sweep_float(w, beta_u, w->u, site, &e_u);
    }
    e = e0 + pb->unit * e_u;
    if ((k + 1) % REFRESH == 0) {
      if (!exact) {
        e0 = e = refresh_fields(w);
        e_u = 0;
      }
      if (hooks && hooks->sweeps_done) hooks->sweeps_done(hooks->ctx, k + 1);
    }
    if (e < best_e - noise) {
      best_e = e;
      res->best_sweep = k + 1;
      memcpy(best, w->s, (size_t)n);
    }
    if (p->has_target && !res->reached && e <= p->target + tol + slack &&
        e < last_checked - noise) {
      last_checked = e;
      if (ceas_anneal_energy(pb, w->s) <= p->target + tol) {
        res->reached = 1;
        res->sweeps_to_target = k + 1;
        res->updates_to_target = (k + 1) * (uint64_t)n;
        res->seconds_to_target = ceas_wtime() - t0;
      }
    }
    if (trace && (k + 1) % p->trace_every == 0) trace[(k + 1) / p->trace_every - 1] = e;
  }
  res->updates = sweeps * (uint64_t)n;
  /* Regular graphs: every flip updates deg0 neighbours (the refreshes against
   * float32 drift are the simulator's, not the machine's, and are not counted). */
  if (!count && !w->model) deg_sum = res->flips * (uint64_t)w->deg0;
  ceas_anneal_cost_metropolis(pb, p->j_bits, sweeps, deg_sum, &res->cost);
  res->best_energy = ceas_anneal_energy(pb, best);
  res->final_energy = ceas_anneal_energy(pb, w->s);
  res->seconds = ceas_wtime() - t0;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_sa = {
    "sa",
    "simulated annealing: single-spin Metropolis, local-field bookkeeping",
    sa_check,
    sa_alloc,
    sa_read,
    sa_free};
