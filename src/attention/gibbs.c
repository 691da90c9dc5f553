/* Softmax as a Gibbs distribution: entropy, score moments, CEAS addresses, and
 * the beta-grid scan of a head. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "scan_kernels.h"

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
 * For beta >= 0 the largest beta s_j is at s_max for every beta, so with
 * d_j = s_j - s_max <= 0 the weights are w_j = e^{beta d_j} <= 1, and on a uniform
 * stretch of the grid w_j(beta + h) = w_j(beta) r_j with r_j = e^{h d_j}: one
 * multiplication per score and grid point instead of e^x. Each step adds at most
 * ~2 ulp to a weight (the product's rounding and r_j's ~1 ulp, scan_body.inc),
 * so an exact e^x every SCAN_ANCHOR points keeps every weight within
 * ~SCAN_ANCHOR * 2 ulp of e^{beta d_j} -- below the old evaluation's own error
 * 2 eps beta |s| of its exponent wherever beta |s| > SCAN_ANCHOR. The moments are
 * taken in one pass,
 *   S0 = sum w, S1 = sum w d, S2 = sum w (d - c)^2,
 * H = ln S0 - beta S1/S0 (two non-negative terms, as in gibbs_core; S0 is summed
 * without the tokens at s_max, whose weight is exactly 1, and ln S0 taken by
 * log1p, so a condensed query's H ~ e^{-beta gap} keeps its digits), Var =
 * S2/S0 - (S1/S0 - c)^2 with c the previous grid point's mean, so the subtraction
 * is between numbers of the size of Var; where it is not (S2/S0 > 16 Var, e.g.
 * after a large jump in beta) a second pass over the stored weights about the
 * now known mean repeats it (no e^x). Sums run in ATT_BLOCK lanes, plain within
 * chunks of 16 terms and compensated (Kahan) across chunks: all terms of a sum
 * have one sign, so ~20 eps relative independent of n. The passes, and e^x
 * itself (~1.1 ulp, 1 exactly at 0), are the vector kernels of scan_kernels.h:
 * AVX-512 or AVX2 where the CPU has them, the same bits on every instruction set.
 *
 * Tail: the d_j are ordered by SCAN_BUCKETS buckets of equal width (a counting
 * sort: every d in a bucket is below every d of the buckets before it), and at
 * each beta the pass stops before the first bucket whose largest d is below
 * d_2 - 64 ln2 / beta, d_2 the largest d < 0: every dropped weight is below
 * 2^-64 w_2. What they would add to Z = n_top + S0' is below n 2^-64 w_2; to
 * beta sum w |d| below n 2^-64 w_2 (beta |d_2| + 64 ln2) (x e^-x falls for
 * x > 1); H = ln Z + beta sum w |d| / Z >= max(w_2 ln2, beta w_2 |d_2| / Z), so
 * H moves by less than ~(2.5 + 64) n 2^-64 < 70 n 2^-64 relative
 * (1.6e-14 at n = 4096); Var likewise relative to its own scale. Beyond the REM
 * point most weights drop out: the cost falls with beta.
 * beta < 0 goes through gibbs_core, the evaluation itself (beta = 0 does not:
 * every weight is e^0 = 1 exactly, and a grid that starts there starts its first
 * stretch there).
 * Measured (bench/README.md, "ceasim attention scan speed"): n = 4096, 301
 * points, one core (Xeon, AVX-512): the scan 120 s (c192d4f) -> 11 s (dccb063)
 * -> ~3 s. */
#define SCAN_ANCHOR 16
#define SCAN_BUCKETS 256

typedef struct {
  size_t n, np, nblk; /* scores; n rounded up to ATT_BLOCK (padding: d = 0, w = 0) */
  double n_top;       /* how many scores equal s_max: their weight is 1 at every beta */
  double d2;          /* the largest d below 0 (-inf if none) */
  double *d, *w, *r;
  size_t start[SCAN_BUCKETS + 1];
  double lim[SCAN_BUCKETS]; /* the largest d in buckets b, b+1, ...: non-increasing */
} scan_ws;

static int scan_ws_init(scan_ws *ws, size_t n) {
  ws->n = n;
  ws->np = (n + ATT_BLOCK - 1) / ATT_BLOCK * ATT_BLOCK;
  ws->nblk = ws->np / ATT_BLOCK;
  ws->d = ceas_calloc(3 * ws->np, sizeof(double)); /* d, w, r; the padding stays 0 */
  ws->w = ws->d ? ws->d + ws->np : NULL;
  ws->r = ws->d ? ws->w + ws->np : NULL;
  return ws->d ? CEAS_OK : CEAS_ENOMEM;
}

/* d_j = s_j - s_max in bucket order, n_top and d2; the extremes of s. */
static void scan_prepare(scan_ws *ws, const double *s, double *s_max, double *s_min) {
  const size_t n = ws->n;
  double smax = s[0], smin = s[0];
  for (size_t j = 1; j < n; j++) {
    smax = s[j] > smax ? s[j] : smax;
    smin = s[j] < smin ? s[j] : smin;
  }
  /* The bucket of d: floor(d / d_min (B - 1)), monotone in d (every step rounds
   * monotonically). */
  double k = smin < smax ? (SCAN_BUCKETS - 1) / (smin - smax) : 0;
  size_t *st = ws->start;
  memset(st, 0, sizeof ws->start);
  for (size_t j = 0; j < n; j++) {
    size_t b = (size_t)((s[j] - smax) * k);
    st[(b < SCAN_BUCKETS ? b : SCAN_BUCKETS - 1) + 1]++;
  }
  for (int b = 0; b < SCAN_BUCKETS; b++) {
    st[b + 1] += st[b];
    ws->lim[b] = -INFINITY;
  }
  ws->n_top = 0;
  ws->d2 = -INFINITY;
  for (size_t j = 0; j < n; j++) {
    double d = s[j] - smax;
    size_t b = (size_t)(d * k);
    b = b < SCAN_BUCKETS ? b : SCAN_BUCKETS - 1;
    ws->d[st[b]++] = d;
    ws->lim[b] = d > ws->lim[b] ? d : ws->lim[b];
    ws->n_top += d == 0;
    if (d < 0 && d > ws->d2) ws->d2 = d;
  }
  for (int b = SCAN_BUCKETS; b > 0; b--) st[b] = st[b - 1]; /* back to the starts */
  st[0] = 0;
  for (int b = SCAN_BUCKETS - 2; b >= 0; b--) /* an empty bucket: the next one's */
    if (st[b + 1] == st[b]) ws->lim[b] = ws->lim[b + 1];
  *s_max = smax;
  *s_min = smin;
}

/* Blocks that hold every weight >= 2^-64 w_2 at beta >= 0 (the tail bound above)
 * and >= e^-665 (ATT_TINY's neighbourhood: below it the kernels write 0); at
 * beta = 0 the cut is -inf: all. */
static size_t scan_blocks(const scan_ws *ws, double beta) {
  double cut = fmax(ws->d2 - 64 * 0.6931471805599453 / beta, -665 / beta);
  size_t lo = 0, hi = SCAN_BUCKETS; /* the first bucket with lim < cut, or none */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (ws->lim[mid] < cut) hi = mid;
    else lo = mid + 1;
  }
  size_t kept = ws->start[lo];
  return (kept + ATT_BLOCK - 1) / ATT_BLOCK;
}

/* H from S0' (m[0]) and S1 (m[1]) at beta; *md = <d>. */
static double scan_entropy(const scan_ws *ws, double beta, const double *m, double *md) {
  *md = m[1] / (ws->n_top + m[0]);
  double h = log1p((ws->n_top - 1) + m[0]) - beta * *md;
  return h > 0 ? h : 0;
}

/* H, <d> and Var from the moments about c; *c becomes the mean (relative to s_max). */
static void scan_moments(const ceas_att_kernels *K, scan_ws *ws, size_t nb, double beta,
                         const double m[3], double *c, double *H, double *var) {
  double md;
  *H = scan_entropy(ws, beta, m, &md);
  double z = ws->n_top + m[0], dc = md - *c, ve = m[2] / z;
  double v = ve - dc * dc;
  if (!(ve <= 16 * v)) {
    double u[3];
    K->pass(ws->w, ws->r, ws->d, nb, md, 0, u);
    v = u[2] / z;
  }
  *var = v > 0 ? v : 0;
  *c = md;
}

/* w = e^{beta d} over nb blocks, the padding 0. */
static void scan_anchor(const ceas_att_kernels *K, scan_ws *ws, size_t nb, double beta) {
  K->exp_fill(ws->d, beta, ws->w, nb);
  for (size_t j = ws->n; j < nb * ATT_BLOCK; j++) ws->w[j] = 0;
}

/* Every grid point of one query's scores s (ws->n of them) into g[b]. */
static void scan_query(scan_ws *ws, const double *s, const double *beta, size_t n_beta,
                       ceas_attention_gibbs *g) {
  const size_t n = ws->n;
  const ceas_att_kernels *K = ceas_att_kernels_get();
  double smax, smin;
  scan_prepare(ws, s, &smax, &smin);
  double c = 0, h = 0, sigma = pop_sigma(s, n);
  for (size_t j = 0; j < n; j++) c += ws->d[j];
  c /= (double)n;
  size_t b_anchor = 0;
  int have_w = 0, have_r = 0;
  for (size_t b = 0; b < n_beta; b++) {
    double bt = beta[b], m[3];
    ceas_attention_gibbs *o = g + b;
    o->beta = bt;
    if (!(bt >= 0) || !isfinite(bt * (smax - smin))) {
      double mean;
      gibbs_core(s, n, bt, &o->H, &mean, &o->var, NULL);
      c = mean - smax;
      have_w = 0;
    } else {
      size_t k = b - b_anchor, nb = scan_blocks(ws, bt);
      int uniform = have_w && k < SCAN_ANCHOR;
      /* r is kept from stretch to stretch while the spacing stays within the
       * tolerance below; a new spacing costs one e^x pass, like an anchor. r
       * covers the blocks in use when it was made: beta only grows, so the
       * blocks in use only shrink. */
      if (uniform && k == 1 &&
          (!have_r || !(fabs(bt - beta[b - 1] - h) <= 4 * DBL_EPSILON * bt))) {
        h = bt - beta[b - 1];
        K->exp_fill(ws->d, h, ws->r, nb);
        have_r = 1;
      }
      /* The stretch's k-th point must be beta[b_anchor] + k h to a few ulp of
       * beta, the rounding the grid itself carries (CLI grids are A + (B-A) b/(N-1)). */
      if (uniform && fabs(beta[b_anchor] + (double)k * h - bt) <= 4 * DBL_EPSILON * bt) {
        K->pass(ws->w, ws->r, ws->d, nb, c, 1, m);
      } else {
        scan_anchor(K, ws, nb, bt);
        K->pass(ws->w, ws->r, ws->d, nb, c, 0, m);
        b_anchor = b;
        have_w = 1;
      }
      scan_moments(K, ws, nb, bt, m, &c, &o->H, &o->var);
    }
    gibbs_derived(o, sigma, n);
  }
}

/* f(beta) = beta sigma - sqrt(2 H(beta)) and f' = sigma + beta Var / sqrt(2 H)
 * (dH/dbeta = -beta Var), from the entropy kernel over the bucket-ordered d.
 * Var here is <d^2> - <d>^2: its cancellation costs digits of the Newton step
 * only, never of f. */
static double beta_star_f(const ceas_att_kernels *K, const scan_ws *ws, double sigma,
                          double beta, double *df) {
  double m[3], md;
  K->entropy(ws->d, beta, scan_blocks(ws, beta), m);
  double r = sqrt(2 * scan_entropy(ws, beta, m, &md));
  double var = m[2] / (ws->n_top + m[0]) - md * md;
  *df = sigma + (r > 0 && var > 0 ? beta * var / r : 0);
  return beta * sigma - r;
}

int ceas_attention_beta_star_fixed(const double *s, size_t n, double *beta) {
  if (n < 2) return ceas_error_set(CEAS_EINPUT, "beta* fixed point: n = %zu < 2 scores", n);
  for (size_t j = 0; j < n; j++)
    if (!isfinite(s[j]))
      return ceas_error_set(CEAS_EINPUT, "beta* fixed point: score %zu = %g is not finite", j,
                            s[j]);
  double sigma = pop_sigma(s, n);
  if (!(sigma > 0))
    return ceas_error_set(CEAS_EINPUT, "beta* fixed point: all scores equal (sigma = 0)");
  scan_ws ws_, *ws = &ws_;
  if (scan_ws_init(ws, n)) return ceas_error_set(CEAS_ENOMEM, "beta* fixed point: out of memory");
  double smax, smin, df;
  const ceas_att_kernels *K = ceas_att_kernels_get();
  scan_prepare(ws, s, &smax, &smin);
  /* f increases strictly from f(0) = -sqrt(2 ln n) < 0; bracket by doubling from
   * the REM value, where f >= 0 for REM-like scores already. */
  double lo = 0, hi = sqrt(2 * log((double)n)) / sigma, x = hi;
  double f_hi = beta_star_f(K, ws, sigma, hi, &df);
  while (f_hi < 0) {
    lo = hi;
    hi *= 2;
    x = hi;
    f_hi = beta_star_f(K, ws, sigma, hi, &df);
  }
  double fx = f_hi;
  /* Safeguarded Newton: a step that leaves the bracket (lo, hi) is replaced by
   * bisection, so the bracket always holds the root; near it the convergence is
   * quadratic (~5 passes of n e^x from the REM value instead of Illinois' ~12).
   * It stops after a Newton step below 1e-10 beta, which leaves an error ~1e-20 beta
   * (quadratic), or when the bracket is 1e-13 wide, the bisection's old width. */
  for (int it = 0; it < 200; it++) {
    if (fx >= 0) hi = x;
    else lo = x;
    double step = fx / df, xn = x - step;
    int newton = xn > lo && xn < hi;
    x = newton ? xn : 0.5 * (lo + hi);
    if ((newton && fabs(step) <= 1e-10 * x) || hi - lo <= 1e-13 * hi) break;
    fx = beta_star_f(K, ws, sigma, x, &df);
  }
  *beta = x;
  free(ws->d);
  return CEAS_OK;
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
  scan_ws ws = {0};
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
  if (!sc->beta || !sc->peak_beta || !s || !cols || !heat_q || !tmp || !sig || !rem || !g ||
      scan_ws_init(&ws, n))
    goto done;
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
