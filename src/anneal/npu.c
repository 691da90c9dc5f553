/* The NPU hardware model: coupling quantisation, analog field noise, the cost
 * model, the machine's matrix-vector product and the spin readout shared by the
 * analog methods (anneal_npu.h states the contracts). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_rows.h"
#include "anneal_private.h"

/* Philox4x64 stream of stochastic rounding, apart from the read streams (read
 * numbers) and the instance stream. ASCII "quantise". */
#define QUANT_STREAM UINT64_C(0x7175616e74697365)
/* Non-exact readouts recompute their float32 fields from scratch after this many
 * incremental updates, bounding the drift (as sa does every 256 sweeps). */
#define REFRESH 256

/* ---- coupling precision -------------------------------------------------- */

int ceas_anneal_rounding_parse(const char *s, ceas_anneal_rounding *out) {
  if (!strcmp(s, "nearest") || !strcmp(s, "round"))
    *out = CEAS_ANNEAL_ROUND_NEAREST;
  else if (!strcmp(s, "stochastic"))
    *out = CEAS_ANNEAL_ROUND_STOCHASTIC;
  else
    return ceas_error_set(CEAS_EINPUT,
                          "--j-rounding: expected nearest or stochastic, got '%s'", s);
  return CEAS_OK;
}

const char *ceas_anneal_rounding_name(ceas_anneal_rounding r) {
  return r == CEAS_ANNEAL_ROUND_STOCHASTIC ? "stochastic" : "nearest";
}

/* The grid value of coupling (a, b), a < b: a pure function of the pair, so both
 * stored directions agree and the visiting order does not matter. */
static double quantize_one(double J, double step, double levels, double j_max,
                           ceas_anneal_rounding rounding, ceas_rng_key key, int64_t a,
                           int64_t b) {
  double t = J / step, q;
  if (rounding == CEAS_ANNEAL_ROUND_NEAREST) {
    q = round(t);
  } else {
    uint64_t w[4];
    ceas_rng_bits(key, (uint64_t)a, (uint64_t)b, 0, 0, w);
    double fl = floor(t);
    q = fl + (ceas_rng_u01(w[0]) < t - fl ? 1.0 : 0.0);
  }
  /* J / step can exceed the top level by an ulp; the end points are ±j_max
   * themselves (levels * step may differ from j_max in the last bit), which keeps
   * couplings of one magnitude exactly as they are. */
  if (q >= levels) return j_max;
  if (q <= -levels) return -j_max;
  return q * step;
}

int ceas_anneal_quantize(const ceas_anneal_problem *pb, int bits,
                         ceas_anneal_rounding rounding, uint64_t seed,
                         ceas_anneal_problem **out, ceas_anneal_quant_report *rep) {
  *out = NULL;
  if (bits != 0 && (bits < 2 || bits > CEAS_ANNEAL_JBITS_MAX))
    return ceas_error_set(CEAS_EINPUT,
                          "--j-bits: expected 0 (exact couplings) or 2 .. %d bits, got %d",
                          CEAS_ANNEAL_JBITS_MAX, bits);
  const int64_t n = pb->n, nnz = pb->nnz;
  double j_max = 0;
  for (int64_t k = 0; k < nnz; k++) j_max = fmax(j_max, fabs(pb->J[k]));
  double levels = bits ? ldexp(1.0, bits - 1) - 1.0 : 0.0;
  double step = bits && j_max > 0 ? j_max / levels : 0.0;
  double *Jq = ceas_malloc((size_t)(nnz ? nnz : 1) * sizeof *Jq);
  if (!Jq) return CEAS_ENOMEM;
  ceas_rng_key key = {seed, QUANT_STREAM};
  double err_max = 0, err_sq = 0, wq = 0;
  int64_t couplings = 0, zeroed = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) {
      int64_t j = pb->indices[k];
      double J = pb->J[k];
      Jq[k] = step > 0 ? quantize_one(J, step, levels, j_max, rounding, key, i < j ? i : j,
                                      i < j ? j : i)
                       : J;
      if (j > i) {
        double d = fabs(Jq[k] - J);
        err_max = fmax(err_max, d);
        err_sq += d * d;
        couplings++;
        zeroed += J != 0 && Jq[k] == 0;
        wq -= Jq[k];
      }
    }
  ceas_lattice_system *sys = NULL;
  int rc = ceas_lattice_graph_alloc(n, pb->indptr, pb->indices, Jq, pb->h, pb->origin, &sys);
  free(Jq);
  if (!rc) rc = ceas_anneal_problem_from_system(sys, pb->source, pb->origin, out);
  if (rc) return rc;
  ceas_anneal_problem *q = *out;
  q->n_param = pb->n_param;
  q->bonds = pb->bonds;
  q->seed = pb->seed;
  q->maxcut = pb->maxcut;
  /* The cut identity cut = (W - E)/2 holds on the quantised weights; bits 0 keeps
   * the original sum bit for bit (it was summed in file order). */
  q->w_sum = step > 0 ? wq : pb->w_sum;
  if ((pb->dense || pb->dense8) && (rc = ceas_anneal_problem_set_dense(q, 1))) {
    ceas_anneal_problem_free(q);
    *out = NULL;
    return rc;
  }
  if (rep) {
    rep->bits = bits;
    rep->rounding = rounding;
    rep->j_max = j_max;
    rep->step = step;
    rep->couplings = couplings;
    rep->zeroed = zeroed;
    rep->max_err = j_max > 0 ? err_max / j_max : 0;
    rep->rms_err = j_max > 0 && couplings ? sqrt(err_sq / (double)couplings) / j_max : 0;
  }
  return CEAS_OK;
}

void ceas_anneal_rescore(const ceas_anneal_problem *pb, ceas_anneal_result *r) {
  r->best_energy = INFINITY;
  for (uint64_t q = 0; q < r->reads; q++) {
    double e = ceas_anneal_energy(pb, r->configs + q * (uint64_t)pb->n);
    r->per_read[q].best_energy = e;
    if (e < r->best_energy) {
      r->best_energy = e;
      r->best_read = q;
    }
  }
}

/* ---- analog noise on local fields ------------------------------------------ */

void ceas_anneal_noise_init(ceas_anneal_noise *nz, uint64_t seed, uint64_t read,
                            uint64_t purpose, double sigma) {
  ceas_rng_key key = {seed, read};
  nz->key = ceas_rng_key32_derive(key, purpose);
  nz->sigma = (float)sigma;
}

/* Box-Muller on words (w[0], w[1]) and (w[2], w[3]): four normals. u1 in (0, 1]
 * keeps the logarithm finite. */
static void normals4(const uint32_t w[4], float sigma, float z[4]) {
  for (int p = 0; p < 2; p++) {
    float u1 = ((float)(w[2 * p] >> 8) + 1.0f) * 0x1p-24f;
    float th = (float)(w[2 * p + 1] >> 8) * 0x1p-24f * 6.28318530718f;
    float r = sigma * sqrtf(-2.0f * logf(u1));
    z[2 * p] = r * cosf(th);
    z[2 * p + 1] = r * sinf(th);
  }
}

float ceas_anneal_noise_site(const ceas_anneal_noise *nz, uint64_t step, int64_t site) {
  uint32_t w[4];
  uint64_t blk = (uint64_t)site >> 2;
  ceas_rng_bits32(nz->key, (uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)step,
                  (uint32_t)(step >> 32), w);
  float z[4];
  normals4(w, nz->sigma, z);
  return z[site & 3];
}

/* out[i] (+)= noise of site site0 + i; site0 % 4 == 0. */
static void noise_blocks(const ceas_anneal_noise *nz, uint64_t step, uint64_t site0,
                         int64_t n, float *out, int add) {
  uint32_t w[4 * 64];
  const uint64_t first = site0 >> 2;
  for (int64_t b0 = 0; b0 < (n + 3) / 4; b0 += 64) {
    int64_t nb = (n + 3) / 4 - b0 < 64 ? (n + 3) / 4 - b0 : 64;
    ceas_rng_fill32(nz->key, first + (uint64_t)b0, (uint32_t)step, (uint32_t)(step >> 32),
                    w, (size_t)nb);
    for (int64_t b = 0; b < nb; b++) {
      float z[4];
      normals4(w + 4 * b, nz->sigma, z);
      for (int64_t l = 0; l < 4 && 4 * (b0 + b) + l < n; l++) {
        float *o = &out[4 * (b0 + b) + l];
        *o = add ? *o + z[l] : z[l];
      }
    }
  }
}

void ceas_anneal_noise_add(const ceas_anneal_noise *nz, uint64_t step, int64_t n,
                           float *out) {
  noise_blocks(nz, step, 0, n, out, 1);
}

void ceas_anneal_noise_fill(const ceas_anneal_noise *nz, uint64_t step, uint64_t site0,
                            int64_t n, float *out) {
  noise_blocks(nz, step, site0, n, out, 0);
}

void ceas_anneal_field_noise_init(ceas_anneal_noise *nz, const ceas_anneal_problem *pb,
                                  uint64_t seed, uint64_t read, double sigma_rel) {
  ceas_anneal_noise_init(nz, seed, read, CEAS_ANNEAL_PURPOSE_FIELD_NOISE,
                         sigma_rel * pb->field_scale / pb->unit);
}

/* ---- cost model ------------------------------------------------------------ */

void ceas_anneal_cost_pj_default(int coupling_bits, ceas_anneal_cost_pj *pj) {
  pj->spin_update = 3.7 + 0.9;
  pj->mac = coupling_bits == 0 ? 3.7 + 0.9 : coupling_bits <= 8 ? 0.2 + 0.03 : 3.1 + 0.1;
  pj->byte = 10.0 / 8.0;
}

int ceas_anneal_cost_pj_parse(const char *spec, ceas_anneal_cost_pj *pj) {
  char buf[256];
  if (strlen(spec) >= sizeof buf)
    return ceas_error_set(CEAS_EINPUT, "--cost-pj: expected at most %zu characters",
                          sizeof buf - 1);
  if (!strchr(spec, '='))
    return ceas_error_set(CEAS_EINPUT,
                          "--cost-pj: expected NAME=PICOJOULES[,...] with NAME mac, byte or "
                          "update, got '%s'",
                          spec);
  strcpy(buf, spec);
  ceas_anneal_cost_pj v = *pj;
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    double *dst = NULL;
    if (eq) {
      *eq = 0;
      if (!strcmp(tok, "mac")) dst = &v.mac;
      else if (!strcmp(tok, "byte")) dst = &v.byte;
      else if (!strcmp(tok, "update")) dst = &v.spin_update;
    }
    if (!dst)
      return ceas_error_set(CEAS_EINPUT,
                            "--cost-pj: expected NAME=PICOJOULES with NAME mac, byte or "
                            "update, got '%s'",
                            tok);
    double x;
    int rc = ceas_parse_double(eq + 1, "--cost-pj", &x);
    if (rc) return rc;
    if (!(x >= 0))
      return ceas_error_set(CEAS_EINPUT, "--cost-pj: %s must be >= 0 pJ, got %g", tok, x);
    *dst = x;
  }
  *pj = v;
  return CEAS_OK;
}

double ceas_anneal_cost_energy_pj(const ceas_anneal_cost *c, const ceas_anneal_cost_pj *pj) {
  return (double)c->spin_updates * pj->spin_update + (double)c->macs * pj->mac +
         (double)c->bytes * pj->byte;
}

int ceas_anneal_coupling_bytes(int bits) { return bits == 0 ? 4 : (bits + 7) / 8; }

void ceas_anneal_cost_mvm(const ceas_anneal_problem *pb, int bits, ceas_anneal_cost *c) {
  memset(c, 0, sizeof *c);
  c->macs = (uint64_t)pb->nnz;
  c->bytes = (uint64_t)pb->nnz * (uint64_t)ceas_anneal_coupling_bytes(bits) +
             8 * (uint64_t)pb->n;
}

void ceas_anneal_cost_row(const ceas_anneal_problem *pb, int64_t i, int bits,
                          ceas_anneal_cost *c) {
  uint64_t deg = (uint64_t)(pb->indptr[i + 1] - pb->indptr[i]);
  memset(c, 0, sizeof *c);
  c->macs = deg;
  c->bytes = deg * ((uint64_t)ceas_anneal_coupling_bytes(bits) + 8);
}

void ceas_anneal_cost_add(ceas_anneal_cost *acc, const ceas_anneal_cost *c, uint64_t times) {
  acc->spin_updates += times * c->spin_updates;
  acc->macs += times * c->macs;
  acc->bytes += times * c->bytes;
}

void ceas_anneal_cost_rows(uint64_t deg_sum, int bits, ceas_anneal_cost *acc) {
  acc->macs += deg_sum;
  acc->bytes += deg_sum * ((uint64_t)ceas_anneal_coupling_bytes(bits) + 8);
}

void ceas_anneal_cost_metropolis(const ceas_anneal_problem *pb, int bits, uint64_t sweeps,
                                 uint64_t deg_sum, ceas_anneal_cost *c) {
  ceas_anneal_cost_mvm(pb, bits, c);
  c->spin_updates = sweeps * (uint64_t)pb->n;
  ceas_anneal_cost_rows(deg_sum, bits, c);
}

void ceas_anneal_cost_pj_of(const ceas_anneal_params *p, ceas_anneal_cost_pj *pj) {
  if (p->cost_pj)
    *pj = *p->cost_pj;
  else
    ceas_anneal_cost_pj_default(p->j_bits, pj);
}

void ceas_anneal_result_price(ceas_anneal_result *r, const ceas_anneal_cost_pj *pj) {
  for (uint64_t q = 0; q < r->reads; q++)
    r->per_read[q].energy_pj = ceas_anneal_cost_energy_pj(&r->per_read[q].cost, pj);
}

int ceas_anneal_npu_check(const ceas_anneal_params *p) {
  if (!(p->field_noise >= 0) || !isfinite(p->field_noise))
    return ceas_error_set(CEAS_EINPUT,
                          "--field-noise: expected a finite sigma >= 0 (relative to the "
                          "field scale), got %g",
                          p->field_noise);
  if (p->update != CEAS_ANNEAL_UPDATE_ASYNC && p->update != CEAS_ANNEAL_UPDATE_SYNC)
    return ceas_error_set(CEAS_EINPUT, "--update: expected async or sync");
  if (p->update == CEAS_ANNEAL_UPDATE_SYNC && p->order != CEAS_ANNEAL_ORDER_SEQUENTIAL)
    return ceas_error_set(CEAS_EINPUT,
                          "--update sync: every spin decides at once, so --order random "
                          "does not apply");
  if (p->j_bits != 0 && (p->j_bits < 2 || p->j_bits > CEAS_ANNEAL_JBITS_MAX))
    return ceas_error_set(CEAS_EINPUT, "--j-bits: expected 0 or 2 .. %d, got %d",
                          CEAS_ANNEAL_JBITS_MAX, p->j_bits);
  if (p->cost_pj && !(p->cost_pj->spin_update >= 0 && p->cost_pj->mac >= 0 &&
                      p->cost_pj->byte >= 0 && isfinite(p->cost_pj->spin_update) &&
                      isfinite(p->cost_pj->mac) && isfinite(p->cost_pj->byte)))
    return ceas_error_set(CEAS_EINPUT, "--cost-pj: expected finite picojoules >= 0");
  return CEAS_OK;
}

/* ---- the machine's matrix-vector product ------------------------------------ */

/* Sixteen partial sums per row, lane l holding the products j = l mod 16, combined
 * 8+8, 4+4, 2+2, 1+1: the order is fixed by the source, so a compiler that maps the
 * lanes onto SSE or AVX2 registers adds exactly the same numbers. */
#define LANES 16

static inline float lanes_sum(float acc[LANES]) {
  for (int w = LANES / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; l++) acc[l] += acc[l + w];
  return acc[0];
}

/* The baseline dense products (the reference for the AVX2 ones below). */
static void mvm_f32_plain(int64_t n, const float *restrict A, const float *restrict x,
                          float *restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const float *restrict a = A + (size_t)i * (size_t)n;
    float acc[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += a[j + l] * x[j + l];
    for (int l = 0; j + l < n; l++) acc[l] += a[j + l] * x[j + l];
    out[i] = lanes_sum(acc);
  }
}

static void mvm_i8_plain(int64_t n, const int8_t *restrict A, const float *restrict x,
                         float *restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const int8_t *restrict a = A + (size_t)i * (size_t)n;
    float acc[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += (float)a[j + l] * x[j + l];
    for (int l = 0; j + l < n; l++) acc[l] += (float)a[j + l] * x[j + l];
    out[i] = lanes_sum(acc);
  }
}

ANNEAL_ROW_BODIES(plain, )
#if defined(__x86_64__) && defined(__GNUC__)
ANNEAL_ROW_BODIES(avx2, __attribute__((target("avx2"))))
#define NPU_HAVE_AVX2 1
#include <immintrin.h>

/* The dense products by hand: GCC maps the 16 lanes onto four SSE registers and
 * widens int8 in two steps. Here lanes 0-7 and 8-15 are two AVX2 registers, two
 * rows share each load of x, and the tail and the tree are the scalar code above,
 * so the sums are bitwise those of the baseline loops. */
#define ROWS_AVX2(name, T, LOAD8)                                                       \
  __attribute__((target("avx2"))) static void name(int64_t n, const T *A,              \
                                                     const float *x, float *out) {       \
    const int64_t n16 = n & ~(int64_t)15;                                               \
    int64_t i = 0;                                                                      \
    for (; i < n; i += 2) {                                                             \
      const int two = i + 1 < n;                                                        \
      const T *a0 = A + (size_t)i * (size_t)n, *a1 = two ? a0 + n : a0;                 \
      __m256 p0 = _mm256_setzero_ps(), p1 = p0, q0 = p0, q1 = p0;                       \
      for (int64_t j = 0; j < n16; j += 16) {                                           \
        __m256 x0 = _mm256_loadu_ps(x + j), x1 = _mm256_loadu_ps(x + j + 8);            \
        p0 = _mm256_add_ps(p0, _mm256_mul_ps(LOAD8(a0 + j), x0));                       \
        p1 = _mm256_add_ps(p1, _mm256_mul_ps(LOAD8(a0 + j + 8), x1));                   \
        q0 = _mm256_add_ps(q0, _mm256_mul_ps(LOAD8(a1 + j), x0));                       \
        q1 = _mm256_add_ps(q1, _mm256_mul_ps(LOAD8(a1 + j + 8), x1));                   \
      }                                                                                 \
      float acc[LANES], acc1[LANES];                                                    \
      _mm256_storeu_ps(acc, p0);                                                        \
      _mm256_storeu_ps(acc + 8, p1);                                                    \
      _mm256_storeu_ps(acc1, q0);                                                       \
      _mm256_storeu_ps(acc1 + 8, q1);                                                   \
      for (int l = 0; n16 + l < n; l++) {                                               \
        acc[l] += (float)a0[n16 + l] * x[n16 + l];                                      \
        acc1[l] += (float)a1[n16 + l] * x[n16 + l];                                     \
      }                                                                                 \
      out[i] = lanes_sum(acc);                                                          \
      if (two) out[i + 1] = lanes_sum(acc1);                                            \
    }                                                                                   \
    _mm256_zeroupper(); /* the rule of ceas_core.h */                                   \
  }

#define LOAD8_I8(p) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p))))
#define LOAD8_F32(p) _mm256_loadu_ps(p)
ROWS_AVX2(mvm_i8_rows_avx2, int8_t, LOAD8_I8)
ROWS_AVX2(mvm_f32_rows_avx2, float, LOAD8_F32)
#endif

static int want_avx2(void) {
#ifdef NPU_HAVE_AVX2
  /* CEASIM_NO_AVX2=1 forces the baseline loops (to time them, or to check that
   * the two agree). */
  return __builtin_cpu_supports("avx2") && !getenv("CEASIM_NO_AVX2");
#else
  return 0;
#endif
}

static void mvm_with(const ceas_anneal_problem *pb, int avx2, const float *x, float *out) {
  const int64_t n = pb->n;
  (void)avx2;
#ifdef NPU_HAVE_AVX2
  if (avx2 && pb->dense8) return mvm_i8_rows_avx2(n, pb->dense8, x, out);
  if (avx2 && pb->dense) return mvm_f32_rows_avx2(n, pb->dense, x, out);
#endif
  if (pb->dense8) return mvm_i8_plain(n, pb->dense8, x, out);
  if (pb->dense) return mvm_f32_plain(n, pb->dense, x, out);
  for (int64_t i = 0; i < n; i++) {
    float acc = 0;
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      acc += pb->Jf[k] * x[pb->indices[k]];
    out[i] = acc;
  }
}

void ceas_anneal_mvm(const ceas_anneal_problem *pb, const float *x, float *out) {
  mvm_with(pb, want_avx2(), x, out);
}

/* ---- spin readout ----------------------------------------------------------- */

int ceas_anneal_readout_init(ceas_anneal_readout *ro, const ceas_anneal_problem *pb,
                             const ceas_anneal_params *p) {
  memset(ro, 0, sizeof *ro);
  ro->pb = pb;
  ro->p = p;
  size_t n = (size_t)pb->n;
  ro->s = ceas_malloc(n);
  ro->g = ceas_malloc(n * sizeof *ro->g);
  ro->sf = ceas_malloc(n * sizeof *ro->sf);
  ro->changed = ceas_malloc(n * sizeof *ro->changed);
  if (!ro->s || !ro->g || !ro->sf || !ro->changed) {
    ceas_anneal_readout_free(ro);
    return CEAS_ENOMEM;
  }
  /* Fields in units are sums of ±1 below 2^24 in magnitude: exact in float32. */
  ro->exact = pb->one_magnitude && !pb->has_field && pb->n < (INT64_C(1) << 24);
  ro->avx2 = want_avx2();
  return CEAS_OK;
}

void ceas_anneal_readout_free(ceas_anneal_readout *ro) {
  free(ro->s);
  free(ro->g);
  free(ro->sf);
  free(ro->changed);
  memset(ro, 0, sizeof *ro);
}

/* Fields and energy of s from scratch. */
static void readout_recompute(ceas_anneal_readout *ro) {
  const ceas_anneal_problem *pb = ro->pb;
  const int64_t n = pb->n;
  const int8_t *s = ro->s;
  double e2 = 0, eh = 0;
  if (pb->dense8) {
    for (int64_t i = 0; i < n; i++) {
      const int8_t *row = pb->dense8 + (size_t)i * (size_t)n;
#ifdef NPU_HAVE_AVX2
      int32_t a = ro->avx2 ? anneal_sdot_i8_avx2(n, row, s) : anneal_sdot_i8_plain(n, row, s);
#else
      int32_t a = anneal_sdot_i8_plain(n, row, s);
#endif
      e2 += (double)a * s[i];
      eh += pb->h[i] * s[i];
      ro->g[i] = (float)((double)a + pb->h[i] / pb->unit);
    }
    ro->e = -0.5 * pb->unit * e2 - eh;
  } else if (pb->dense) {
    for (int64_t i = 0; i < n; i++) ro->sf[i] = (float)s[i];
    mvm_with(pb, ro->avx2, ro->sf, ro->g);
    for (int64_t i = 0; i < n; i++) {
      e2 += (double)ro->g[i] * s[i];
      eh += pb->h[i] * s[i];
      ro->g[i] = (float)((double)ro->g[i] + pb->h[i] / pb->unit);
    }
    ro->e = -0.5 * pb->unit * e2 - eh;
  } else {
    for (int64_t i = 0; i < n; i++) {
      double x = 0;
      for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
        x += pb->J[k] * s[pb->indices[k]];
      e2 += x * s[i];
      eh += pb->h[i] * s[i];
      ro->g[i] = (float)((x + pb->h[i]) / pb->unit);
    }
    ro->e = -0.5 * e2 - eh;
  }
  ro->since_refresh = 0;
}

/* Flips site j and updates the fields: dE = 2 s_j g_j (zero diagonal: g_j does not
 * see s_j), then every neighbour's field moves by -2 s_j(old) J_kj. */
static void readout_flip(ceas_anneal_readout *ro, int64_t j) {
  const ceas_anneal_problem *pb = ro->pb;
  const int64_t n = pb->n;
  float c = ro->s[j] > 0 ? -2.0f : 2.0f;
  ro->e += 2.0 * ro->s[j] * (double)ro->g[j] * pb->unit;
  ro->s[j] = (int8_t)-ro->s[j];
#ifdef NPU_HAVE_AVX2
  if (ro->avx2 && pb->dense8) return anneal_axpy_i8_avx2(n, c, pb->dense8 + (size_t)j * (size_t)n, ro->g);
  if (ro->avx2 && pb->dense) return anneal_axpy_f32_avx2(n, c, pb->dense + (size_t)j * (size_t)n, ro->g);
#endif
  if (pb->dense8) return anneal_axpy_i8_plain(n, c, pb->dense8 + (size_t)j * (size_t)n, ro->g);
  if (pb->dense) return anneal_axpy_f32_plain(n, c, pb->dense + (size_t)j * (size_t)n, ro->g);
  for (int64_t k = pb->indptr[j]; k < pb->indptr[j + 1]; k++)
    ro->g[pb->indices[k]] += c * pb->Jf[k];
}

/* s = sign(x); returns the number of spins that changed. */
static uint64_t readout_sync(ceas_anneal_readout *ro, const float *x) {
  const ceas_anneal_problem *pb = ro->pb;
  const int64_t n = pb->n;
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if ((x[i] < 0.0f) != (ro->s[i] < 0)) ro->changed[m++] = i;
  if (m == 0) return 0;
  /* A dense flip costs one row update, a recompute n row dot products, and the two
   * rows cost about the same (both stream the int8 or float32 row; measured on SK
   * N = 1000, dSB: recomputing past n/8 changed signs took 31 ns per spin update,
   * past n/2 .. n 15.6 ns): recompute only when most signs changed. On sparse rows
   * likewise past half of all rows. */
  int64_t limit = n / 2;
  if (m > limit) {
    for (int64_t t = 0; t < m; t++) ro->s[ro->changed[t]] = (int8_t)-ro->s[ro->changed[t]];
    readout_recompute(ro);
  } else {
    for (int64_t t = 0; t < m; t++) readout_flip(ro, ro->changed[t]);
    if (!ro->exact && ++ro->since_refresh >= REFRESH) readout_recompute(ro);
  }
  return (uint64_t)m;
}

void ceas_anneal_readout_start(ceas_anneal_readout *ro, const float *x,
                               ceas_anneal_read *res, int8_t *best, double *trace) {
  const ceas_anneal_problem *pb = ro->pb;
  const ceas_anneal_params *p = ro->p;
  memset(res, 0, sizeof *res);
  ro->res = res;
  ro->best = best;
  ro->trace = trace;
  ro->t0 = ceas_wtime();
  for (int64_t i = 0; i < pb->n; i++) ro->s[i] = x[i] < 0.0f ? -1 : 1;
  readout_recompute(ro);
  ro->best_e = ro->e;
  memcpy(best, ro->s, (size_t)pb->n);
  ro->last_checked = INFINITY;
  if (p->has_target && ceas_anneal_energy(pb, ro->s) <= p->target + p->target_tol)
    res->reached = 1;
}

void ceas_anneal_readout_step(ceas_anneal_readout *ro, uint64_t k, const float *x) {
  const ceas_anneal_problem *pb = ro->pb;
  const ceas_anneal_params *p = ro->p;
  ceas_anneal_read *res = ro->res;
  res->flips += readout_sync(ro, x);
  const double noise = 1e-12 * pb->abs_sum; /* below any real improvement */
  const double slack = 1e-6 * pb->abs_sum;  /* above float32 drift between refreshes */
  double e = ro->e;
  if (e < ro->best_e - noise) {
    ro->best_e = e;
    res->best_sweep = k + 1;
    memcpy(ro->best, ro->s, (size_t)pb->n);
  }
  if (p->has_target && !res->reached && e <= p->target + p->target_tol + slack &&
      e < ro->last_checked - noise) {
    ro->last_checked = e;
    if (ceas_anneal_energy(pb, ro->s) <= p->target + p->target_tol) {
      res->reached = 1;
      res->sweeps_to_target = k + 1;
      res->updates_to_target = (k + 1) * (uint64_t)pb->n;
      res->seconds_to_target = ceas_wtime() - ro->t0;
    }
  }
  if (ro->trace && p->trace_every && (k + 1) % p->trace_every == 0)
    ro->trace[(k + 1) / p->trace_every - 1] = e;
}

void ceas_anneal_readout_after(ceas_anneal_readout *ro, uint64_t k, uint64_t S, uint64_t every,
                               const ceas_anneal_hooks *hooks, const float *x) {
  const ceas_anneal_params *p = ro->p;
  if ((k + 1) % every == 0 || k + 1 == S || (p->trace_every && (k + 1) % p->trace_every == 0))
    ceas_anneal_readout_step(ro, k, x);
  if ((k + 1) % 256 == 0 && hooks && hooks->sweeps_done) hooks->sweeps_done(hooks->ctx, k + 1);
}

void ceas_anneal_readout_finish(ceas_anneal_readout *ro, uint64_t steps) {
  ceas_anneal_read *res = ro->res;
  res->updates = steps * (uint64_t)ro->pb->n;
  res->best_energy = ceas_anneal_energy(ro->pb, ro->best);
  res->final_energy = ceas_anneal_energy(ro->pb, ro->s);
  res->seconds = ceas_wtime() - ro->t0;
}

/* ---- the analog methods' common entry points -------------------------------- */

void ceas_anneal_dyn_params_default(ceas_anneal_dyn_params *d) {
  d->dt = NAN;
  d->a0 = 1.0;
  d->c0 = NAN;
  d->eps = NAN;
  d->eps_rel = 1.0;
  d->p0 = -1.0;
  d->p1 = 1.5;
  d->noise = 0.3;
  d->x_init = NAN;
  d->field_noise = 0.0;
  d->j_bits = 0;
  d->check_every = 1;
}

int ceas_anneal_dyn_check(const char *name, const ceas_anneal_dyn_params *d) {
  if (!(d->dt > 0) || !isfinite(d->dt))
    return ceas_error_set(CEAS_EINPUT, "%s: --dt must be a finite time step > 0, got %g",
                          name, d->dt);
  if (!(d->x_init > 0 && d->x_init <= 1))
    return ceas_error_set(CEAS_EINPUT, "%s: --x-init must be in (0, 1], got %g", name,
                          d->x_init);
  if (!(d->field_noise >= 0) || !isfinite(d->field_noise))
    return ceas_error_set(CEAS_EINPUT, "%s: --field-noise must be finite and >= 0, got %g",
                          name, d->field_noise);
  if (d->check_every < 1)
    return ceas_error_set(CEAS_EINPUT, "%s: --check-every must be at least 1", name);
  if (d->j_bits != 0 && (d->j_bits < 2 || d->j_bits > CEAS_ANNEAL_JBITS_MAX))
    return ceas_error_set(CEAS_EINPUT, "%s: --j-bits: expected 0 or 2 .. %d, got %d", name,
                          CEAS_ANNEAL_JBITS_MAX, d->j_bits);
  return CEAS_OK;
}

int ceas_anneal_dyn_check_run(const char *name, const char *what,
                              const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  if (pb->n < 1) return ceas_error_set(CEAS_EINPUT, "%s: the problem has no spins", name);
  if (!p->schedule || p->schedule->sweeps < 1)
    return ceas_error_set(CEAS_EINPUT, "%s: expected at least one time step (--sweeps)",
                          name);
  if (p->order != CEAS_ANNEAL_ORDER_SEQUENTIAL)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: all %s move together in each step; --order random does not "
                          "apply",
                          name, what);
  return CEAS_OK;
}

void ceas_anneal_dyn_params_of(const ceas_anneal_params *p, ceas_anneal_dyn_params *d) {
  if (p->method_params)
    *d = *(const ceas_anneal_dyn_params *)p->method_params;
  else
    ceas_anneal_dyn_params_default(d);
  if (p->field_noise > 0) d->field_noise = p->field_noise;
  if (p->j_bits) d->j_bits = p->j_bits;
}

int ceas_anneal_dyn_alloc(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                          const ceas_anneal_params *p, const ceas_anneal_dyn_params *d,
                          void **work) {
  *work = NULL;
  if (m->params != CEAS_ANNEAL_PARAMS_DYN)
    return ceas_error_set(CEAS_EINTERNAL, "%s: not an analog-dynamics method", m->name);
  /* The entry's alloc() reads d through the parameters (it keeps a copy of them). */
  ceas_anneal_params q = *p;
  q.method_params = d;
  int rc = m->check(pb, &q);
  return rc ? rc : m->alloc(pb, &q, work);
}

const ceas_anneal_cost *ceas_anneal_dyn_cost(const void *work) {
  return &((const ceas_anneal_dyn_head *)work)->cost;
}
