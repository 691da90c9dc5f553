/*
 * Peaks and crossings of curves that come with jackknife samples. Every sample
 * goes through the same procedure as the full data, so the spread of the
 * jackknife positions is the error of the position, including the part that
 * comes from the curve's shape changing from sample to sample.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>

#include "ceas_analysis.h"
#include "ceas_core.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct {
  const ceas_analysis_curve *a, *b;
  int sample;
  double sign; /* peaks: -1 so that the minimiser finds the maximum */
} eval_ctx;

static double value_of(const ceas_analysis_curve *c, double beta, int sample) {
  return c->fn(beta, sample, c->which_value, c->ctx);
}

static double neg_value(double beta, void *p) {
  const eval_ctx *e = p;
  return -value_of(e->a, beta, e->sample);
}

static double difference(double beta, void *p) {
  const eval_ctx *e = p;
  return value_of(e->b, beta, e->sample) - value_of(e->a, beta, e->sample);
}

static double grid_x(double lo, double hi, size_t grid, size_t i) {
  return i + 1 == grid ? hi : lo + (hi - lo) * (double)i / (double)(grid - 1);
}

/* ---- peaks ----------------------------------------------------------------------- */

/* Maximum of one sample on [lo, hi]: grid scan, then Brent. 0 when the grid
 * maximum sits at an end of the interval (no interior peak there). */
static int peak_one(const ceas_analysis_curve *c, int sample, double lo, double hi,
                    size_t grid, gsl_min_fminimizer *m, double *x, double *y) {
  size_t best = 0;
  double vbest = -INFINITY;
  for (size_t i = 0; i < grid; i++) {
    double v = value_of(c, grid_x(lo, hi, grid, i), sample);
    if (v > vbest) {
      vbest = v;
      best = i;
    }
  }
  if (!isfinite(vbest) || best == 0 || best + 1 == grid) return 0;
  double a = grid_x(lo, hi, grid, best - 1), b = grid_x(lo, hi, grid, best + 1);
  double x0 = grid_x(lo, hi, grid, best);
  eval_ctx e = {c, NULL, sample, -1.0};
  gsl_function F = {neg_value, &e};
  *x = x0;
  *y = vbest;
  /* The grid maximum brackets the true one. GSL wants the middle point strictly
   * above both ends; on a tie with a neighbour (a peak halfway between two grid
   * points) the maximum lies between the tied points, whose midpoint then is
   * strictly higher for a unimodal curve and makes a valid bracket. */
  if (gsl_min_fminimizer_set(m, &F, x0, a, b) != GSL_SUCCESS) {
    double va = value_of(c, a, sample), vb = value_of(c, b, sample);
    double lo2 = vb >= va ? x0 : a, hi2 = vb >= va ? b : x0, mid = 0.5 * (lo2 + hi2);
    if (gsl_min_fminimizer_set(m, &F, mid, lo2, hi2) != GSL_SUCCESS) return 1;
    a = lo2;
    b = hi2;
    x0 = mid;
  }
  for (int it = 0; it < 100; it++) {
    if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS) break;
    a = gsl_min_fminimizer_x_lower(m);
    b = gsl_min_fminimizer_x_upper(m);
    if (gsl_min_test_interval(a, b, 1e-12 * (1.0 + fabs(x0)), 0.0) == GSL_SUCCESS) break;
  }
  *x = gsl_min_fminimizer_x_minimum(m);
  *y = -gsl_min_fminimizer_f_minimum(m);
  return 1;
}

int ceas_analysis_peak_find(const ceas_analysis_curve *c, size_t grid,
                            ceas_analysis_peak *p) {
  p->found = 0;
  p->beta = p->beta_error = p->value = p->value_error = NAN;
  if (grid < 3 || !(c->hi > c->lo))
    return ceas_error_set(CEAS_EINPUT, "peak: need >= 3 grid points and lo < hi");
  const size_t B = c->n_blocks;
  double *xs = ceas_malloc(2 * (B + 1) * sizeof *xs);
  gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (!xs || !m) {
    free(xs);
    if (m) gsl_min_fminimizer_free(m);
    return ceas_error_set(CEAS_ENOMEM, "peak: out of memory");
  }
  double *ys = xs + B + 1;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  p->found = peak_one(c, -1, c->lo, c->hi, grid, m, &p->beta, &p->value);
  if (p->found) {
    /* As for crossings: a jackknife sample's peak is near the full one, so each is
     * looked for in a window of 10% of the range first (each evaluation costs a
     * pass over every measured energy: for graphs with continuous couplings that
     * is every measurement), and on the whole range only if the window's maximum
     * is at its edge. */
    int all = 1;
    double w = 0.05 * (c->hi - c->lo);
    size_t g = grid / 10 < 9 ? 9 : grid / 10;
    for (size_t b = 0; b < B; b++) {
      double wl = fmax(c->lo, p->beta - w), wh = fmin(c->hi, p->beta + w);
      int ok = peak_one(c, (int)b, wl, wh, g, m, &xs[b], &ys[b]);
      if (!ok) ok = peak_one(c, (int)b, c->lo, c->hi, grid, m, &xs[b], &ys[b]);
      if (!ok) {
        xs[b] = ys[b] = NAN;
        all = 0;
      }
    }
    if (all && B >= 2) {
      p->beta_error = ceas_analysis_jackknife_error(xs, B);
      p->value_error = ceas_analysis_jackknife_error(ys, B);
    }
  } else {
    p->beta = p->value = NAN;
  }
  gsl_set_error_handler(old);
  gsl_min_fminimizer_free(m);
  free(xs);
  return CEAS_OK;
}

/* ---- crossings ------------------------------------------------------------------- */

/* Root of b - a in [x0, x1] where the difference changes sign. */
static double refine_root(eval_ctx *e, gsl_root_fsolver *s, double x0, double x1,
                          double d0, double d1) {
  if (d0 == 0.0) return x0;
  if (d1 == 0.0) return x1;
  gsl_function F = {difference, e};
  if (gsl_root_fsolver_set(s, &F, x0, x1) != GSL_SUCCESS) return 0.5 * (x0 + x1);
  double r = 0.5 * (x0 + x1);
  for (int it = 0; it < 100; it++) {
    if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) break;
    r = gsl_root_fsolver_root(s);
    double lo = gsl_root_fsolver_x_lower(s), hi = gsl_root_fsolver_x_upper(s);
    if (gsl_root_test_interval(lo, hi, 1e-13 * (1.0 + fabs(r)), 0.0) == GSL_SUCCESS) break;
  }
  return r;
}

/* Crossing for one sample. near: NaN for the full data (choose by direction and
 * steepness), else the full-data crossing (choose the nearest sign change).
 * rising (may be NULL): whether b - a goes from below to above at the root. */
static int crossing_one(const ceas_analysis_curve *a, const ceas_analysis_curve *b,
                        int sample, double lo, double hi, size_t grid, double near,
                        gsl_root_fsolver *s, double *root, int *rising_out) {
  eval_ctx e = {a, b, sample, 1.0};
  double best_score = -INFINITY;
  int found = 0;
  double bx0 = 0, bx1 = 0, bd0 = 0, bd1 = 0;
  double xp = lo, dp = difference(lo, &e);
  for (size_t i = 1; i < grid; i++) {
    double x = grid_x(lo, hi, grid, i), d = difference(x, &e);
    int rising = dp < 0 && d >= 0, falling = dp > 0 && d <= 0;
    if (rising || falling) {
      /* Full data: any rising change beats any falling one, then the steepest.
       * Jackknife: the nearest to the full-data crossing. */
      double score = !isnan(near) ? -fabs(0.5 * (xp + x) - near)
                                  : (rising ? 1.0 : 0.0) + atan(fabs(d - dp)) / M_PI;
      if (score > best_score) {
        best_score = score;
        bx0 = xp;
        bx1 = x;
        bd0 = dp;
        bd1 = d;
        found = 1;
      }
    }
    xp = x;
    dp = d;
  }
  if (!found) return 0;
  *root = refine_root(&e, s, bx0, bx1, bd0, bd1);
  if (rising_out) *rising_out = bd0 < 0;
  return 1;
}

/* b - a at beta for the full data, in units of its jackknife error (the sizes are
 * independent runs, so the paired samples give the error of the difference). */
static double difference_z(const ceas_analysis_curve *a, const ceas_analysis_curve *b,
                           double beta, double *col) {
  const size_t B = a->n_blocks;
  double d = value_of(b, beta, -1) - value_of(a, beta, -1);
  for (size_t k = 0; k < B; k++)
    col[k] = value_of(b, beta, (int)k) - value_of(a, beta, (int)k);
  double err = ceas_analysis_jackknife_error(col, B);
  if (err > 0) return d / err;
  /* Noiseless curves: any nonzero difference is significant. */
  return err == 0 ? (d > 0 ? INFINITY : d < 0 ? -INFINITY : 0.0) : NAN;
}

/* Largest signed significance sign * (b - a) / error met walking from the root
 * towards end (exclusive of the root), stopping once CEAS_CROSSING_SIGMA is
 * reached. Steps of a tenth of the grid: the difference and its error are smooth
 * on that scale, and a refused pair is walked over its whole range. */
static double walk_significance(const ceas_analysis_curve *a, const ceas_analysis_curve *b,
                                double root, double end, double sign, size_t grid,
                                double *col) {
  size_t n = grid / 10 < 8 ? 8 : grid / 10;
  double best = -INFINITY;
  for (size_t i = 1; i <= n; i++) {
    double z = sign * difference_z(a, b, root + (end - root) * (double)i / (double)n, col);
    if (isnan(z)) return NAN;
    if (z > best) best = z;
    if (best > CEAS_CROSSING_SIGMA) break;
  }
  return best;
}

const char *ceas_analysis_crossing_status_name(ceas_analysis_crossing_status st) {
  switch (st) {
  case CEAS_CROSSING_ACCEPTED: return "accepted";
  case CEAS_CROSSING_NO_SIGN_CHANGE: return "no sign change in the common beta range";
  case CEAS_CROSSING_OUTSIDE_SAMPLED: return "root outside the sampled beta range";
  case CEAS_CROSSING_NOT_SIGNIFICANT:
    return "the curves do not separate by more than 2 sigma on both sides";
  case CEAS_CROSSING_NO_ERROR: return "no jackknife error to test significance";
  }
  return "unknown";
}

typedef struct {
  double beta, value, s1, s2, inv_nu;
} crossing_sample;

static void crossing_extras(const ceas_analysis_curve *a, const ceas_analysis_curve *b,
                            int sample, crossing_sample *cs) {
  cs->value = 0.5 * (value_of(a, cs->beta, sample) + value_of(b, cs->beta, sample));
  cs->s1 = cs->s2 = cs->inv_nu = NAN;
  if (a->which_slope >= 0 && b->which_slope >= 0) {
    cs->s1 = a->fn(cs->beta, sample, a->which_slope, a->ctx);
    cs->s2 = b->fn(cs->beta, sample, b->which_slope, b->ctx);
    if (cs->s1 > 0 && cs->s2 > 0 && b->L > a->L && a->L > 0)
      cs->inv_nu = log(cs->s2 / cs->s1) / log(b->L / a->L);
  }
}

int ceas_analysis_crossing_find(const ceas_analysis_curve *a,
                                const ceas_analysis_curve *b, size_t grid,
                                ceas_analysis_crossing *x) {
  x->found = 0;
  x->status = CEAS_CROSSING_NO_SIGN_CHANGE;
  x->z_below = x->z_above = NAN;
  x->L1 = a->L;
  x->L2 = b->L;
  x->beta = x->beta_error = x->value = x->value_error = NAN;
  x->slope1 = x->slope1_error = x->slope2 = x->slope2_error = NAN;
  x->inv_nu = x->inv_nu_error = NAN;
  if (a->n_blocks != b->n_blocks)
    return ceas_error_set(CEAS_EINPUT, "crossing: curves have %zu and %zu jackknife blocks",
                          a->n_blocks, b->n_blocks);
  if (grid < 2) return ceas_error_set(CEAS_EINPUT, "crossing: need >= 2 grid points");
  double lo = fmax(a->lo, b->lo), hi = fmin(a->hi, b->hi);
  if (!(hi > lo)) return CEAS_OK;
  const size_t B = a->n_blocks;
  crossing_sample *jk = ceas_malloc((B + 1) * sizeof *jk);
  double *col = ceas_malloc((B + 1) * sizeof *col);
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!jk || !col || !s) {
    free(jk);
    free(col);
    if (s) gsl_root_fsolver_free(s);
    return ceas_error_set(CEAS_ENOMEM, "crossing: out of memory");
  }
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  crossing_sample full;
  int rising = 0;
  if (crossing_one(a, b, -1, lo, hi, grid, NAN, s, &full.beta, &rising)) {
    double slo = fmax(a->sampled_lo, b->sampled_lo), shi = fmin(a->sampled_hi, b->sampled_hi);
    crossing_extras(a, b, -1, &full);
    x->beta = full.beta;
    x->value = full.value;
    if (!(full.beta >= slo && full.beta <= shi)) {
      x->status = CEAS_CROSSING_OUTSIDE_SAMPLED;
    } else if (B < 2) {
      x->status = CEAS_CROSSING_NO_ERROR;
    } else {
      double sign = rising ? 1.0 : -1.0;
      x->z_below = walk_significance(a, b, full.beta, slo, -sign, grid, col);
      x->z_above = walk_significance(a, b, full.beta, shi, sign, grid, col);
      x->status = x->z_below > CEAS_CROSSING_SIGMA && x->z_above > CEAS_CROSSING_SIGMA
                      ? CEAS_CROSSING_ACCEPTED
                      : isnan(x->z_below) || isnan(x->z_above) ? CEAS_CROSSING_NO_ERROR
                                                               : CEAS_CROSSING_NOT_SIGNIFICANT;
    }
  }
  if (x->status == CEAS_CROSSING_ACCEPTED) {
    x->found = 1;
    /* Jackknife samples differ from the full data by O(1/B) of the noise: look
     * near the full crossing first (a window of 10% of the range), then
     * everywhere. */
    int all = 1;
    double w = 0.05 * (hi - lo);
    for (size_t k = 0; k < B; k++) {
      double wl = fmax(lo, full.beta - w), wh = fmin(hi, full.beta + w);
      size_t g = grid / 10 < 8 ? 8 : grid / 10;
      int ok = crossing_one(a, b, (int)k, wl, wh, g, full.beta, s, &jk[k].beta, NULL);
      if (!ok) ok = crossing_one(a, b, (int)k, lo, hi, grid, full.beta, s, &jk[k].beta, NULL);
      if (ok)
        crossing_extras(a, b, (int)k, &jk[k]);
      else
        all = 0, jk[k].beta = jk[k].value = jk[k].s1 = jk[k].s2 = jk[k].inv_nu = NAN;
    }
    x->beta = full.beta;
    x->value = full.value;
    x->slope1 = full.s1;
    x->slope2 = full.s2;
    x->inv_nu = full.inv_nu;
    if (all) {
#define JK_ERR(field, dst)                                       \
  do {                                                           \
    for (size_t k = 0; k < B; k++) col[k] = jk[k].field;         \
    dst = ceas_analysis_jackknife_error(col, B);                 \
  } while (0)
      JK_ERR(beta, x->beta_error);
      JK_ERR(value, x->value_error);
      JK_ERR(s1, x->slope1_error);
      JK_ERR(s2, x->slope2_error);
      JK_ERR(inv_nu, x->inv_nu_error);
#undef JK_ERR
    }
  }
  gsl_set_error_handler(old);
  gsl_root_fsolver_free(s);
  free(jk);
  free(col);
  return CEAS_OK;
}

void ceas_analysis_curve_at(const ceas_analysis_curve *c, double beta, int slope,
                            double *value, double *error) {
  int which = slope ? c->which_slope : c->which_value;
  *value = c->fn(beta, -1, which, c->ctx);
  *error = NAN;
  const size_t B = c->n_blocks;
  if (B < 2) return;
  double sum = 0, sum2 = 0;
  for (size_t b = 0; b < B; b++) {
    double d = c->fn(beta, (int)b, which, c->ctx) - *value;
    if (!isfinite(d)) return;
    sum += d;
    sum2 += d * d;
  }
  double mean = sum / (double)B;
  *error = sqrt(((double)B - 1.0) * fmax(sum2 / (double)B - mean * mean, 0.0));
}
