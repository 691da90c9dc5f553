/* Softmax as a Gibbs distribution: entropy, score moments, CEAS addresses, and
 * the beta-grid scan of a head. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"

static double pop_sigma(const double *s, size_t n) {
  long double m = 0, v = 0;
  for (size_t j = 0; j < n; j++) m += s[j];
  m /= (long double)n;
  for (size_t j = 0; j < n; j++) v += (s[j] - m) * (s[j] - m);
  return (double)sqrtl(v / (long double)n);
}

/* The core of the evaluation, without sigma (which does not depend on beta and
 * would double the cost of a scan). */
static void gibbs_core(const double *s, size_t n, double beta, double *H,
                       double *mean, double *var, double *p) {
  double mx = -INFINITY;
  for (size_t j = 0; j < n; j++)
    if (beta * s[j] > mx) mx = beta * s[j];
  /* With u_j = beta s_j - max <= 0: Z' = sum e^{u_j} >= 1, and
   * H = ln Z' - sum p_j u_j is a sum of two non-negative terms, so it has no
   * cancellation even when H is tiny (the textbook ln Z - beta <s> has). */
  long double z = 0, pu = 0, ms = 0;
  for (size_t j = 0; j < n; j++) {
    double u = beta * s[j] - mx;
    double w = exp(u);
    z += w;
    pu += (long double)w * u;
    ms += (long double)w * s[j];
  }
  long double m = ms / z;
  long double v = 0;
  /* Second pass about the mean: the one-pass <s^2> - <s>^2 loses everything
   * once the distribution has condensed on tokens with nearly equal scores. */
  for (size_t j = 0; j < n; j++) {
    double w = exp(beta * s[j] - mx);
    long double ds = s[j] - m;
    v += w * ds * ds;
    if (p) p[j] = (double)(w / z);
  }
  double h = (double)(logl(z) - pu / z);
  *H = h > 0 ? h : 0; /* rounding can leave -1e-19 when one token holds all */
  *mean = (double)m;
  *var = (double)(v / z);
}

int ceas_attention_gibbs_eval(const double *s, size_t n, double beta,
                              ceas_attention_gibbs *out, double *p) {
  if (n < 1) return ceas_error_set(CEAS_EINPUT, "softmax: n = 0 scores");
  if (!isfinite(beta)) return ceas_error_set(CEAS_EINPUT, "softmax: beta = %g is not finite", beta);
  for (size_t j = 0; j < n; j++)
    if (!isfinite(s[j]))
      return ceas_error_set(CEAS_EINPUT, "softmax: score %zu = %g is not finite", j, s[j]);
  ceas_attention_gibbs g;
  g.beta = beta;
  gibbs_core(s, n, beta, &g.H, &g.mean, &g.var, p);
  g.n_eff = exp(g.H);
  g.heat = beta * beta * g.var;
  g.sigma = pop_sigma(s, n);
  g.gate = beta * g.sigma * sqrt(2 * g.H);
  g.beta_star = g.sigma > 0 ? sqrt(2 * g.H) / g.sigma : INFINITY;
  g.beta_rem = g.sigma > 0 ? sqrt(2 * log((double)n)) / g.sigma : INFINITY;
  *out = g;
  return CEAS_OK;
}

int ceas_attention_beta_star_fixed(const double *s, size_t n, double *beta) {
  if (n < 2) return ceas_error_set(CEAS_EINPUT, "beta* fixed point: n = %zu < 2 scores", n);
  double sigma = pop_sigma(s, n);
  if (!(sigma > 0))
    return ceas_error_set(CEAS_EINPUT, "beta* fixed point: all scores equal (sigma = 0)");
  double H, m, v;
  /* f(b) = b sigma - sqrt(2 H(b)) increases strictly; bracket by doubling from
   * the REM value, where f >= 0 for REM-like scores already. */
  double lo = 0, hi = sqrt(2 * log((double)n)) / sigma;
  for (;;) {
    gibbs_core(s, n, hi, &H, &m, &v, NULL);
    if (hi * sigma - sqrt(2 * H) >= 0) break;
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1e-13 * hi) {
    double mid = 0.5 * (lo + hi);
    gibbs_core(s, n, mid, &H, &m, &v, NULL);
    if (mid * sigma - sqrt(2 * H) >= 0) hi = mid;
    else lo = mid;
  }
  *beta = 0.5 * (lo + hi);
  return CEAS_OK;
}

double ceas_attention_grid_peak(const double *x, const double *y, size_t n) {
  size_t k = 0;
  for (size_t i = 1; i < n; i++)
    if (y[i] > y[k]) k = i;
  if (k == 0 || k == n - 1) return x[k];
  /* Vertex of the parabola through three (not necessarily equidistant) points;
   * y[k] is a maximum of the three, so the vertex lies in [x[k-1], x[k+1]]. */
  double x0 = x[k - 1], x1 = x[k], x2 = x[k + 1];
  double y0 = y[k - 1], y1 = y[k], y2 = y[k + 1];
  double d1 = (y1 - y0) / (x1 - x0), d2 = (y2 - y1) / (x2 - x1);
  double c = (d2 - d1) / (x2 - x0);
  if (!(c < 0)) return x1;
  double v = 0.5 * (x0 + x1) - d1 / (2 * c);
  if (v < x0) v = x0;
  if (v > x2) v = x2;
  return v;
}

void ceas_attention_scan_free(ceas_attention_scan *s) {
  if (!s) return;
  free(s->beta);
  free(s->peak_beta);
  free(s);
}

static void mean_err(const double *x, size_t n, double *mean, double *err) {
  long double m = 0, v = 0;
  for (size_t i = 0; i < n; i++) m += x[i];
  m /= (long double)n;
  for (size_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
  *mean = (double)m;
  *err = n > 1 ? (double)sqrtl(v / (long double)(n - 1) / (long double)n) : 0.0;
}

int ceas_attention_scan_alloc(const ceas_attention_head *h, const double *beta,
                              size_t n_beta, ceas_attention_scan **out) {
  *out = NULL;
  if (n_beta < 3) return ceas_error_set(CEAS_EINPUT, "beta scan: %zu grid points, need >= 3", n_beta);
  for (size_t b = 0; b < n_beta; b++) {
    if (!isfinite(beta[b]))
      return ceas_error_set(CEAS_EINPUT, "beta scan: beta[%zu] = %g is not finite", b, beta[b]);
    if (b > 0 && !(beta[b] > beta[b - 1]))
      return ceas_error_set(CEAS_EINPUT, "beta scan: grid not strictly increasing at %zu", b);
  }
  const size_t nq = h->n, n = h->n;
  size_t bytes; /* the per-query columns: grid points (--beta A:B:N) x queries (n) */
  const size_t f[] = {n_beta, nq, 5 * sizeof(double)};
  if (ceas_size_check("--beta A:B:N x the head's n: the per-query scan columns", &bytes, 3, f))
    return CEAS_EINPUT;
  int rc = CEAS_ENOMEM;
  double *s = NULL, *cols = NULL, *heat_q = NULL, *tmp = NULL, *sig = NULL, *rem = NULL;
  ceas_attention_scan *sc = ceas_calloc(1, sizeof *sc);
  if (!sc) goto done;
  sc->n_beta = n_beta;
  sc->n_query = nq;
  /* One block holds the grid and the ten per-beta arrays. */
  sc->beta = ceas_malloc(11 * n_beta * sizeof(double));
  sc->peak_beta = ceas_malloc(nq * sizeof(double));
  s = ceas_malloc(n * sizeof *s);
  cols = ceas_malloc(5 * n_beta * nq * sizeof *cols); /* H, var, heat, gate, beta* */
  heat_q = ceas_malloc(n_beta * sizeof *heat_q);
  tmp = ceas_malloc(nq * sizeof *tmp);
  sig = ceas_malloc(nq * sizeof *sig);
  rem = ceas_malloc(nq * sizeof *rem);
  if (!sc->beta || !sc->peak_beta || !s || !cols || !heat_q || !tmp || !sig || !rem) goto done;
  memcpy(sc->beta, beta, n_beta * sizeof *beta);
  double **arr[10] = {&sc->H_mean, &sc->H_err, &sc->var_mean, &sc->var_err, &sc->heat_mean,
                      &sc->heat_err, &sc->gate_mean, &sc->gate_err, &sc->beta_star_mean,
                      &sc->beta_star_err};
  for (int a = 0; a < 10; a++) *arr[a] = sc->beta + (size_t)(a + 1) * n_beta;
  size_t n_rem = 0;
  for (size_t i = 0; i < nq; i++) {
    ceas_attention_head_scores(h, i, s);
    for (size_t b = 0; b < n_beta; b++) {
      ceas_attention_gibbs g = {0};
      rc = ceas_attention_gibbs_eval(s, n, beta[b], &g, NULL);
      if (rc) goto done;
      double *c = cols + 5 * (b * nq + i);
      c[0] = g.H;
      c[1] = g.var;
      c[2] = g.heat;
      c[3] = g.gate;
      c[4] = g.beta_star;
      heat_q[b] = g.heat;
      if (b == 0) {
        sig[i] = g.sigma;
        if (isfinite(g.beta_rem)) rem[n_rem++] = g.beta_rem;
      }
    }
    sc->peak_beta[i] = ceas_attention_grid_peak(beta, heat_q, n_beta);
  }
  for (size_t b = 0; b < n_beta; b++) {
    for (int q = 0; q < 5; q++) {
      size_t m = 0;
      for (size_t i = 0; i < nq; i++) {
        double v = cols[5 * (b * nq + i) + q];
        if (isfinite(v)) tmp[m++] = v; /* beta* is +inf for sigma = 0 queries */
      }
      if (m > 0) mean_err(tmp, m, &(*arr[2 * q])[b], &(*arr[2 * q + 1])[b]);
      else (*arr[2 * q])[b] = (*arr[2 * q + 1])[b] = NAN;
    }
  }
  mean_err(sc->peak_beta, nq, &sc->peak_mean, &sc->peak_err);
  sc->peak_of_mean = ceas_attention_grid_peak(beta, sc->heat_mean, n_beta);
  double e;
  mean_err(sig, nq, &sc->sigma_mean, &e);
  if (n_rem > 0) mean_err(rem, n_rem, &sc->beta_rem_mean, &e);
  else sc->beta_rem_mean = INFINITY;
  *out = sc;
  sc = NULL;
  rc = CEAS_OK;
done:
  ceas_attention_scan_free(sc);
  free(s);
  free(cols);
  free(heat_q);
  free(tmp);
  free(sig);
  free(rem);
  return rc;
}
