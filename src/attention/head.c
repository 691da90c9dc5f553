/* Synthetic attention heads from counter-based normals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"

/* The stream tag keeps head draws disjoint from the Monte Carlo streams that use
 * the same user seed ("ATTN" in ASCII). c0 names what is drawn. */
#define ATT_STREAM UINT64_C(0x4154544e)
enum { P_Q = 1, P_K, P_CENTRE, P_XI, P_AQ, P_BQ, P_AK, P_BK, P_V };

void ceas_attention_normal_fill(ceas_rng_key key, uint64_t c0, uint64_t c1,
                                double *out, size_t len) {
  const double two_pi = 6.283185307179586476925286766559;
  for (size_t b = 0; b * 4 < len; b++) {
    uint64_t w[4];
    ceas_rng_bits(key, c0, c1, (uint64_t)b, 0, w);
    double z[4];
    for (int pr = 0; pr < 2; pr++) {
      /* u1 in (0,1] so the log is finite; the pair is exactly Box–Muller. */
      double r = sqrt(-2.0 * log(ceas_rng_u01_open0(w[2 * pr])));
      double t = two_pi * ceas_rng_u01(w[2 * pr + 1]);
      z[2 * pr] = r * cos(t);
      z[2 * pr + 1] = r * sin(t);
    }
    for (size_t i = 0; i < 4 && b * 4 + i < len; i++) out[b * 4 + i] = z[i];
  }
}

/* A purpose of its own (P_V) keeps the values off every counter that Q and K use,
 * so heads drawn before values existed are unchanged. */
void ceas_attention_head_values(const ceas_attention_spec *spec, size_t d_v, double *v) {
  ceas_rng_key key = {spec->seed, ATT_STREAM};
  for (size_t j = 0; j < spec->n; j++) ceas_attention_normal_fill(key, P_V, j, v + j * d_v, d_v);
}

void ceas_attention_head_free(ceas_attention_head *h) {
  if (!h) return;
  free(h->q);
  free(h->k);
  free(h);
}

/* out (n x d) = A (n x r) B (r x d) / sqrt(r); rows of A are drawn per row so
 * that a head's row i does not depend on n. */
static int lowrank(ceas_rng_key key, uint64_t pa, uint64_t pb, size_t n,
                   size_t d, size_t r, double *out) {
  double *a = ceas_malloc(r * sizeof *a), *bm = ceas_malloc(r * d * sizeof *bm);
  if (!a || !bm) {
    free(a);
    free(bm);
    return CEAS_ENOMEM;
  }
  for (size_t l = 0; l < r; l++) ceas_attention_normal_fill(key, pb, l, bm + l * d, d);
  double sc = 1.0 / sqrt((double)r);
  for (size_t i = 0; i < n; i++) {
    ceas_attention_normal_fill(key, pa, i, a, r);
    for (size_t c = 0; c < d; c++) {
      double acc = 0;
      for (size_t l = 0; l < r; l++) acc += a[l] * bm[l * d + c];
      out[i * d + c] = acc * sc;
    }
  }
  free(a);
  free(bm);
  return CEAS_OK;
}

int ceas_attention_head_alloc(const ceas_attention_spec *spec,
                              ceas_attention_head **out) {
  *out = NULL;
  size_t n = spec->n, d = spec->d_k;
  if (n < 1 || d < 1)
    return ceas_error_set(CEAS_EINPUT, "attention head: n = %zu and d_k = %zu must be >= 1", n, d);
  if (n > SIZE_MAX / sizeof(double) / d || n > SIZE_MAX / sizeof(double) / n)
    return ceas_error_set(CEAS_EINPUT, "attention head: n = %zu, d_k = %zu too large", n, d);
  switch (spec->kind) {
  case CEAS_ATTENTION_GAUSSIAN: break;
  case CEAS_ATTENTION_CLUSTERED:
    if (spec->clusters < 1 || spec->clusters > n)
      return ceas_error_set(CEAS_EINPUT, "attention head: clusters = %zu, expected 1..n = %zu",
                            spec->clusters, n);
    if (!(spec->spread >= 0) || !isfinite(spec->spread))
      return ceas_error_set(CEAS_EINPUT, "attention head: spread = %g, expected finite >= 0",
                            spec->spread);
    break;
  case CEAS_ATTENTION_LOWRANK:
    if (spec->rank < 1 || spec->rank > d)
      return ceas_error_set(CEAS_EINPUT, "attention head: rank = %zu, expected 1..d_k = %zu",
                            spec->rank, d);
    break;
  default:
    return ceas_error_set(CEAS_EINPUT, "attention head: unknown kind %d", (int)spec->kind);
  }
  size_t bytes;
  const size_t f[] = {n, d, 2 * sizeof(double)}; /* Q and K: sizes from input */
  if (ceas_size_check("--tokens x --d-k: the head's Q and K", &bytes, 3, f)) return CEAS_EINPUT;
  ceas_attention_head *h = ceas_calloc(1, sizeof *h);
  if (!h) return CEAS_ENOMEM;
  h->n = n;
  h->d_k = d;
  h->q = ceas_malloc(n * d * sizeof *h->q);
  h->k = ceas_malloc(n * d * sizeof *h->k);
  if (!h->q || !h->k) {
    ceas_attention_head_free(h);
    return CEAS_ENOMEM;
  }
  ceas_rng_key key = {spec->seed, ATT_STREAM};
  int rc = CEAS_OK;
  if (spec->kind == CEAS_ATTENTION_LOWRANK) {
    rc = lowrank(key, P_AQ, P_BQ, n, d, spec->rank, h->q);
    if (rc == CEAS_OK) rc = lowrank(key, P_AK, P_BK, n, d, spec->rank, h->k);
  } else {
    for (size_t i = 0; i < n; i++) ceas_attention_normal_fill(key, P_Q, i, h->q + i * d, d);
    if (spec->kind == CEAS_ATTENTION_GAUSSIAN) {
      for (size_t j = 0; j < n; j++) ceas_attention_normal_fill(key, P_K, j, h->k + j * d, d);
    } else {
      /* Deterministic balanced assignment j mod c: cluster sizes are known
       * exactly, which the tests and the analysis of N_eff rely on. */
      size_t c = spec->clusters;
      double *mu = ceas_malloc(c * d * sizeof *mu);
      if (!mu) {
        rc = CEAS_ENOMEM;
      } else {
        for (size_t m = 0; m < c; m++) ceas_attention_normal_fill(key, P_CENTRE, m, mu + m * d, d);
        for (size_t j = 0; j < n; j++) {
          double *kj = h->k + j * d;
          ceas_attention_normal_fill(key, P_XI, j, kj, d);
          const double *mj = mu + (j % c) * d;
          for (size_t a = 0; a < d; a++) kj[a] = mj[a] + spec->spread * kj[a];
        }
        free(mu);
      }
    }
  }
  if (rc != CEAS_OK) {
    ceas_attention_head_free(h);
    return rc;
  }
  *out = h;
  return CEAS_OK;
}

/* Each score is the same sum in the same order (a = 0, 1, ...) as a plain dot
 * product, so the bits do not depend on the blocking; four keys at a time give
 * four independent chains of additions instead of one. */
void ceas_attention_head_scores(const ceas_attention_head *h, size_t i, double *s) {
  const size_t d = h->d_k, n = h->n;
  const double *qi = h->q + i * d;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const double *k0 = h->k + j * d, *k1 = k0 + d, *k2 = k1 + d, *k3 = k2 + d;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t a = 0; a < d; a++) {
      a0 += qi[a] * k0[a];
      a1 += qi[a] * k1[a];
      a2 += qi[a] * k2[a];
      a3 += qi[a] * k3[a];
    }
    s[j] = a0;
    s[j + 1] = a1;
    s[j + 2] = a2;
    s[j + 3] = a3;
  }
  for (; j < n; j++) {
    const double *kj = h->k + j * d;
    double acc = 0;
    for (size_t a = 0; a < d; a++) acc += qi[a] * kj[a];
    s[j] = acc;
  }
}

void ceas_attention_head_score_matrix(const ceas_attention_head *h, double *scores) {
  for (size_t i = 0; i < h->n; i++) ceas_attention_head_scores(h, i, scores + i * h->n);
}
