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

/* The first pass of an evaluation: the maximum of beta s_j, and with
 * u_j = beta s_j - max <= 0, z = Z' = sum e^{u_j} >= 1, pu = sum e^{u_j} u_j and
 * ms = sum e^{u_j} s_j. H = ln Z' - sum p_j u_j is a sum of two non-negative
 * terms, so it has no cancellation even when H is tiny (the textbook
 * ln Z - beta <s> has). */
static void gibbs_pass1(const double *s, size_t n, double beta, double *max, long double *z,
                        long double *pu, long double *ms) {
  double mx = -INFINITY;
  for (size_t j = 0; j < n; j++)
    if (beta * s[j] > mx) mx = beta * s[j];
  long double z_ = 0, pu_ = 0, ms_ = 0;
  for (size_t j = 0; j < n; j++) {
    double u = beta * s[j] - mx;
    double w = exp(u);
    z_ += w;
    pu_ += (long double)w * u;
    ms_ += (long double)w * s[j];
  }
  *max = mx;
  *z = z_;
  *pu = pu_;
  *ms = ms_;
}

static double gibbs_entropy(long double z, long double pu) {
  double h = (double)(logl(z) - pu / z);
  return h > 0 ? h : 0; /* rounding can leave -1e-19 when one token holds all */
}

/* The core of the evaluation, without sigma (which does not depend on beta and
 * would double the cost of a scan). */
static void gibbs_core(const double *s, size_t n, double beta, double *H,
                       double *mean, double *var, double *p) {
  double mx;
  long double z, pu, ms;
  gibbs_pass1(s, n, beta, &mx, &z, &pu, &ms);
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
  *H = gibbs_entropy(z, pu);
  *mean = (double)m;
  *var = (double)(v / z);
}

/* Everything that follows from beta, H, Var and sigma: one copy of the formulas,
 * so that the scan's columns are the evaluation's to the last bit. */
static void gibbs_derived(ceas_attention_gibbs *g, double sigma, size_t n) {
  double beta = g->beta;
  g->n_eff = exp(g->H);
  g->heat = beta * beta * g->var;
  g->sigma = sigma;
  g->gate = beta * sigma * sqrt(2 * g->H);
  g->beta_star = sigma > 0 ? sqrt(2 * g->H) / sigma : INFINITY;
  g->beta_rem = sigma > 0 ? sqrt(2 * log((double)n)) / sigma : INFINITY;
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
  gibbs_derived(&g, pop_sigma(s, n), n);
  *out = g;
  return CEAS_OK;
}

/* beta sigma - sqrt(2 H(beta)), from the first pass alone (H needs no Var). */
static double beta_star_f(const double *s, size_t n, double sigma, double beta) {
  double mx;
  long double z, pu, ms;
  gibbs_pass1(s, n, beta, &mx, &z, &pu, &ms);
  return beta * sigma - sqrt(2 * gibbs_entropy(z, pu));
}

int ceas_attention_beta_star_fixed(const double *s, size_t n, double *beta) {
  if (n < 2) return ceas_error_set(CEAS_EINPUT, "beta* fixed point: n = %zu < 2 scores", n);
  double sigma = pop_sigma(s, n);
  if (!(sigma > 0))
    return ceas_error_set(CEAS_EINPUT, "beta* fixed point: all scores equal (sigma = 0)");
  /* f(b) = b sigma - sqrt(2 H(b)) increases strictly; bracket by doubling from
   * the REM value, where f >= 0 for REM-like scores already. */
  double lo = 0, hi = sqrt(2 * log((double)n)) / sigma, f_lo = beta_star_f(s, n, sigma, lo), f_hi;
  for (;;) {
    f_hi = beta_star_f(s, n, sigma, hi);
    if (f_hi >= 0) break;
    lo = hi;
    f_lo = f_hi;
    hi *= 2;
  }
  /* Illinois (regula falsi that halves the stale end's f): the bracket's ends
   * both converge, superlinearly, ~10 evaluations instead of bisection's 43 (each
   * is n e^x); a step that did not halve the bracket is followed by a bisection,
   * so it never takes more than twice bisection's count. */
  int side = 0;
  double width = hi - lo;
  while (hi - lo > 1e-13 * hi) {
    double x = hi - lo > 0.5 * width ? 0.5 * (lo + hi) : (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
    width = hi - lo;
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    double fx = beta_star_f(s, n, sigma, x);
    if (fx >= 0) {
      hi = x;
      f_hi = fx;
      if (side == 1) f_lo *= 0.5;
      side = 1;
    } else {
      lo = x;
      f_lo = fx;
      if (side == -1) f_hi *= 0.5;
      side = -1;
    }
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

/* ---- the scan's fast path --------------------------------------------------
 * For beta > 0 the largest beta s_j is at s_max for every beta, so with
 * d_j = s_j - s_max <= 0 the weights are w_j = e^{beta d_j} <= 1, and on a uniform
 * stretch of the grid w_j(beta + h) = w_j(beta) r_j with r_j = e^{h d_j}: one
 * multiplication per score and grid point instead of e^x. Each step adds at most
 * ~1.5 ulp to a weight (the product's rounding and r_j's), so an exact e^x every
 * SCAN_ANCHOR points keeps every weight within ~SCAN_ANCHOR * 1.5 ulp of
 * e^{beta d_j} -- below the old evaluation's own error 2 eps beta |s| of its
 * exponent wherever beta |s| > SCAN_ANCHOR. The moments are taken in one pass,
 *   S0 = sum w, S1 = sum w d, S2 = sum w (d - c)^2,
 * H = ln S0 - beta S1/S0 (two non-negative terms, as in gibbs_core; S0 is summed
 * without the tokens at s_max, whose weight is exactly 1, and ln S0 taken by
 * log1p, so a condensed query's H ~ e^{-beta gap} keeps its digits), Var =
 * S2/S0 - (S1/S0 - c)^2 with c the previous grid point's mean, so the subtraction
 * is between numbers of the size of Var; where it is not (S2/S0 > 16 Var, e.g.
 * after a large jump in beta) a second pass over the stored weights about the
 * now known mean repeats it (no e^x). Sums are compensated (Kahan) in
 * SCAN_LANES independent lanes: double accuracy independent of n, and loops
 * the compiler vectorises without reassociating. beta <= 0 and grid points off
 * the uniform stretch go through gibbs_core, the evaluation itself.
 * Measured (bench/README.md, "ceasim attention scan speed"): n = 4096, 301
 * points, one core: the scan 120 s -> 11 s. */
#define SCAN_LANES 8
#define SCAN_ANCHOR 16
/* Weights below this are set to 0: against S0 >= 1 they change nothing at double
 * precision, and products that leave them subnormal cost a microcode assist each. */
#define SCAN_TINY 0x1p-960

typedef struct {
  size_t n, np;    /* scores, and n rounded up to SCAN_LANES (padding: w = d = 0) */
  double n_top;    /* how many scores equal s_max: their weight is 1 at every beta */
  double *d, *w, *r;
} scan_ws;

typedef struct {
  double s[SCAN_LANES], c[SCAN_LANES];
} lane_sum;

static inline void lane_add(lane_sum *a, int l, double x) {
  double y = x - a->c[l], t = a->s[l] + y;
  a->c[l] = (t - a->s[l]) - y;
  a->s[l] = t;
}

static double lane_total(const lane_sum *a) {
  double s = 0, c = 0;
  for (int l = 0; l < 2 * SCAN_LANES; l++) {
    double y = (l < SCAN_LANES ? a->s[l] : -a->c[l - SCAN_LANES]) - c, t = s + y;
    c = (t - s) - y;
    s = t;
  }
  return s;
}

/* One pass: optionally advance w by r (step), then the three sums about c.
 * `step` is a compile-time constant at each call site (inlined). */
static inline void scan_pass(scan_ws *ws, int step, double c, double out[3]) {
  lane_sum s0 = {{0}, {0}}, s1 = {{0}, {0}}, s2 = {{0}, {0}};
  double *restrict w = ws->w;
  const double *restrict r = ws->r, *restrict d = ws->d;
  for (size_t j = 0; j < ws->np; j += SCAN_LANES)
    for (int l = 0; l < SCAN_LANES; l++) {
      double x = w[j + l];
      if (step) {
        x *= r[j + l];
        x = x < SCAN_TINY ? 0 : x;
        w[j + l] = x;
      }
      double dd = d[j + l], e = dd - c, xd = x * dd;
      lane_add(&s0, l, dd < 0 ? x : 0);
      lane_add(&s1, l, xd);
      lane_add(&s2, l, x * e * e);
    }
  out[0] = lane_total(&s0);
  out[1] = lane_total(&s1);
  out[2] = lane_total(&s2);
}

static void scan_anchor(scan_ws *ws, double beta) {
  for (size_t j = 0; j < ws->n; j++) {
    double x = exp(beta * ws->d[j]);
    ws->w[j] = x < SCAN_TINY ? 0 : x;
  }
}

/* H, <d> and Var from the moments about c; *c becomes the mean (relative to s_max). */
static void scan_moments(scan_ws *ws, double beta, const double m[3], double *c, double *H,
                         double *var) {
  double z = ws->n_top + m[0], md = m[1] / z, dc = md - *c, ve = m[2] / z;
  double v = ve - dc * dc;
  if (!(ve <= 16 * v)) {
    double u[3];
    scan_pass(ws, 0, md, u);
    v = u[2] / z;
  }
  double h = log1p((ws->n_top - 1) + m[0]) - beta * md;
  *H = h > 0 ? h : 0;
  *var = v > 0 ? v : 0;
  *c = md;
}

/* Every grid point of one query's scores s (ws->n of them) into g[b]. */
static void scan_query(scan_ws *ws, const double *s, const double *beta, size_t n_beta,
                       ceas_attention_gibbs *g) {
  const size_t n = ws->n;
  double smax = s[0], smin = s[0];
  for (size_t j = 1; j < n; j++) {
    smax = fmax(smax, s[j]);
    smin = fmin(smin, s[j]);
  }
  double c = 0, h = 0, sigma = pop_sigma(s, n);
  ws->n_top = 0;
  for (size_t j = 0; j < n; j++) {
    ws->d[j] = s[j] - smax;
    c += ws->d[j];
    ws->n_top += ws->d[j] == 0;
  }
  c /= (double)n;
  size_t b_anchor = 0;
  int have_w = 0, have_r = 0;
  for (size_t b = 0; b < n_beta; b++) {
    double bt = beta[b], m[3];
    ceas_attention_gibbs *o = g + b;
    o->beta = bt;
    if (!(bt > 0) || !isfinite(bt * (smax - smin))) {
      double mean;
      gibbs_core(s, n, bt, &o->H, &mean, &o->var, NULL);
      c = mean - smax;
      have_w = 0;
    } else {
      size_t k = b - b_anchor;
      int uniform = have_w && k < SCAN_ANCHOR;
      /* r is kept from stretch to stretch while the spacing stays within the
       * tolerance below; a new spacing costs n e^x, like an anchor. */
      if (uniform && k == 1 &&
          (!have_r || !(fabs(bt - beta[b - 1] - h) <= 4 * DBL_EPSILON * bt))) {
        h = bt - beta[b - 1];
        for (size_t j = 0; j < n; j++) ws->r[j] = exp(h * ws->d[j]);
        have_r = 1;
      }
      /* The stretch's k-th point must be beta[b_anchor] + k h to a few ulp of
       * beta, the rounding the grid itself carries (CLI grids are A + (B-A) b/(N-1)). */
      if (uniform && fabs(beta[b_anchor] + (double)k * h - bt) <= 4 * DBL_EPSILON * bt) {
        scan_pass(ws, 1, c, m);
      } else {
        scan_anchor(ws, bt);
        scan_pass(ws, 0, c, m);
        b_anchor = b;
        have_w = 1;
      }
      scan_moments(ws, bt, m, &c, &o->H, &o->var);
    }
    gibbs_derived(o, sigma, n);
  }
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
  ceas_attention_gibbs *g = NULL;
  scan_ws ws = {.n = n, .np = (n + SCAN_LANES - 1) / SCAN_LANES * SCAN_LANES};
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
  g = ceas_malloc(n_beta * sizeof *g);
  ws.d = ceas_calloc(3 * ws.np, sizeof(double)); /* d, w, r; the padding stays 0 */
  if (!sc->beta || !sc->peak_beta || !s || !cols || !heat_q || !tmp || !sig || !rem || !g ||
      !ws.d)
    goto done;
  ws.w = ws.d + ws.np;
  ws.r = ws.w + ws.np;
  memcpy(sc->beta, beta, n_beta * sizeof *beta);
  double **arr[10] = {&sc->H_mean, &sc->H_err, &sc->var_mean, &sc->var_err, &sc->heat_mean,
                      &sc->heat_err, &sc->gate_mean, &sc->gate_err, &sc->beta_star_mean,
                      &sc->beta_star_err};
  for (int a = 0; a < 10; a++) *arr[a] = sc->beta + (size_t)(a + 1) * n_beta;
  size_t n_rem = 0;
  for (size_t i = 0; i < nq; i++) {
    ceas_attention_head_scores(h, i, s);
    for (size_t j = 0; j < n; j++)
      if (!isfinite(s[j])) {
        rc = ceas_error_set(CEAS_EINPUT, "softmax: score %zu = %g is not finite", j, s[j]);
        goto done;
      }
    scan_query(&ws, s, beta, n_beta, g);
    for (size_t b = 0; b < n_beta; b++) {
      double *c = cols + 5 * (b * nq + i);
      c[0] = g[b].H;
      c[1] = g[b].var;
      c[2] = g[b].heat;
      c[3] = g[b].gate;
      c[4] = g[b].beta_star;
      heat_q[b] = g[b].heat;
    }
    sig[i] = g[0].sigma;
    if (isfinite(g[0].beta_rem)) rem[n_rem++] = g[0].beta_rem;
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
  free(g);
  free(ws.d);
  return rc;
}
