#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "ceas_core.h"
#include "ceas_measure.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- generic estimators ------------------------------------------------- */

/* Mean and standard error of n values spaced `stride` apart. Two passes, so the
 * variance does not suffer the cancellation of sum x^2 - n mean^2 when the
 * fluctuations are small against the mean (energies of large systems). */
static void strided_mean_error(const double *x, size_t n, size_t stride,
                               double *mean, double *error) {
  if (n == 0) {
    *mean = NAN;
    *error = NAN;
    return;
  }
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += x[i * stride];
  double mu = s / (double)n;
  *mean = mu;
  if (n < 2) {
    *error = NAN;
    return;
  }
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = x[i * stride] - mu;
    ss += d * d;
  }
  *error = sqrt(ss / ((double)n * (double)(n - 1)));
}

void ceas_measure_mean_error(const double *x, size_t n, double *mean,
                             double *error) {
  strided_mean_error(x, n, 1, mean, error);
}

/* Sokal's automatic window (A. D. Sokal, "Monte Carlo methods in statistical
 * mechanics: foundations and new algorithms", Cargèse lectures 1996; Madras &
 * Sokal, J. Stat. Phys. 50, 109 (1988)). rho(t) is built one lag at a time so that the work stops at the
 * window: O(n W) rather than the O(n^2) of the full autocorrelation function.
 * `closed` is 0 when no W < n/2 satisfied W >= c tau(W); the value returned is
 * then the one at the largest W tried and only a lower bound in practice. */
/* Beyond this many lags the direct O(n W) sums give way to one FFT: a slowly
 * decorrelating series (critical slowing down, W in the thousands) then costs
 * O(n log n) instead of O(n^2). */
#define DIRECT_LAGS 64

/* Unnormalised autocovariance sums r[t] = sum_i d_i d_{i+t}, d = x - mu, for all
 * t < n, by Wiener–Khinchin with zero padding to >= 2n (no wrap-around). NULL if
 * memory is short; the caller then keeps summing directly. */
static double *autocovariance_fft(const double *x, size_t n, double mu) {
  size_t len = 1;
  while (len < 2 * n) len *= 2;
  double *d = calloc(len, sizeof *d);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++) d[i] = x[i] - mu;
  gsl_fft_real_radix2_transform(d, 1, len);
  /* Halfcomplex layout: d[k] = Re X_k, d[len - k] = Im X_k. */
  d[0] = d[0] * d[0];
  d[len / 2] = d[len / 2] * d[len / 2];
  for (size_t k = 1; k < len / 2; k++) {
    d[k] = d[k] * d[k] + d[len - k] * d[len - k];
    d[len - k] = 0.0;
  }
  gsl_fft_halfcomplex_radix2_inverse(d, 1, len);
  return d;
}

static void tau_window(const double *x, size_t n, double *tau, double *tau_err,
                       size_t *window, int *closed) {
  int constant = 1;
  for (size_t i = 1; i < n && constant; i++) constant = (x[i] == x[0]);

  double mu = 0.0;
  if (!constant) {
    for (size_t i = 0; i < n; i++) mu += x[i];
    mu /= (double)n;
  }
  double c0 = 0.0;
  if (!constant) {
    for (size_t i = 0; i < n; i++) {
      double d = x[i] - mu;
      c0 += d * d;
    }
    c0 /= (double)n;
  }
  /* A series with no fluctuation has no correlation to integrate: 1/2 is the
   * value of an uncorrelated series under this convention and keeps the
   * variance formula 2 tau sigma^2 / n (= 0) consistent. c0 == 0 also covers
   * differences so small that their squares underflow. */
  if (constant || c0 == 0.0) {
    *tau = 0.5;
    *tau_err = 0.0;
    *window = 0;
    *closed = 1;
    return;
  }

  size_t w_max = (n - 1) / 2; /* largest W with W < n/2 */
  double t_sum = 0.5;
  size_t w = 0;
  int done = 0;
  double *acov = NULL; /* all lags by FFT, once the window outgrows DIRECT_LAGS */
  while (w < w_max) {
    w++;
    if (w > DIRECT_LAGS && !acov) acov = autocovariance_fft(x, n, mu);
    double c = 0.0;
    size_t m = n - w;
    if (acov) {
      c = acov[w];
    } else {
      for (size_t i = 0; i < m; i++) c += (x[i] - mu) * (x[i + w] - mu);
    }
    t_sum += (c / (double)m) / c0;
    if ((double)w >= CEAS_MEASURE_WINDOW_C * t_sum) {
      done = 1;
      break;
    }
  }
  free(acov);
  *tau = t_sum;
  /* fabs: for anticorrelated series the truncated sum can be negative, and an
   * error bar must not be. */
  *tau_err = fabs(t_sum) * sqrt(2.0 * (2.0 * (double)w + 1.0) / (double)n);
  *window = w;
  *closed = done;
}

static int check_finite(const double *x, size_t n, const char *who,
                        const char *what) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return ceas_error_set(CEAS_EINPUT, "%s: %s[%zu] = %g is not finite", who,
                            what, i, x[i]);
  return CEAS_OK;
}

int ceas_measure_tau_int(const double *x, size_t n, double *tau,
                         double *tau_err, size_t *window) {
  if (!x || !tau)
    return ceas_error_set(CEAS_EINPUT, "ceas_measure_tau_int: NULL %s",
                          !x ? "series" : "output");
  if (n < 2)
    return ceas_error_set(CEAS_EINPUT,
                          "ceas_measure_tau_int: need n >= 2 samples, got %zu", n);
  int rc = check_finite(x, n, "ceas_measure_tau_int", "x");
  if (rc) return rc;
  double t, e;
  size_t w;
  int closed;
  tau_window(x, n, &t, &e, &w, &closed);
  *tau = t;
  if (tau_err) *tau_err = e;
  if (window) *window = w;
  return CEAS_OK;
}

void ceas_measure_bin(const double *x, size_t n, size_t b, double *bins) {
  if (!x || !bins || b == 0) return;
  size_t nb = n / b;
  const double *p = x + n % b;
  for (size_t i = 0; i < nb; i++) {
    double s = 0.0;
    for (size_t j = 0; j < b; j++) s += p[i * b + j];
    bins[i] = s / (double)b;
  }
}

/* Each level is computed in place (bin means are formed on the fly), so the
 * function needs no memory and cannot fail; the mean of the bin means is the
 * mean of the retained samples, which gives the two-pass variance cheaply. */
double ceas_measure_binned_error(const double *x, size_t n, size_t b) {
  if (!x || b < 1 || n / b < 2) return NAN;
  size_t nb = n / b;
  const double *p = x + n % b;
  double mu = 0.0;
  for (size_t i = 0; i < nb * b; i++) mu += p[i];
  mu /= (double)(nb * b);
  double ss = 0.0;
  for (size_t i = 0; i < nb; i++) {
    double s = 0.0;
    for (size_t j = 0; j < b; j++) s += p[i * b + j];
    double d = s / (double)b - mu;
    ss += d * d;
  }
  return sqrt(ss / ((double)nb * (double)(nb - 1)));
}

/* The growth stops at n (bins longer than the series are shrunk again anyway), so
 * that an infinite tau cannot overflow b. */
size_t ceas_measure_bin_size(double tau, size_t n, int *long_enough) {
  size_t b = 1;
  while ((double)b < CEAS_MEASURE_BIN_TAUS * tau && b <= n / 2) b *= 2;
  while (n / b < CEAS_MEASURE_MIN_BINS && b > 1) b /= 2;
  if (long_enough)
    *long_enough = n / b >= CEAS_MEASURE_MIN_BINS && (double)b >= CEAS_MEASURE_BIN_TAUS * tau;
  return b;
}

size_t ceas_measure_binning_levels(const double *x, size_t n, double *err,
                                   size_t cap) {
  if (!x || !err) return 0;
  size_t count = 0;
  for (size_t b = 1; count < cap && n / b >= CEAS_MEASURE_MIN_BINS; b *= 2)
    err[count++] = ceas_measure_binned_error(x, n, b);
  return count;
}

int ceas_measure_neff_compute(const double *x, size_t n, double var, ceas_measure_neff *o) {
  if (!o) return ceas_error_set(CEAS_EINPUT, "ceas_measure_neff_compute: NULL output");
  int rc = ceas_measure_tau_int(x, n, &o->tau, &o->tau_err, &o->window);
  if (rc) return rc;
  double mu = 0.0, ss = 0.0;
  for (size_t i = 0; i < n; i++) mu += x[i];
  mu /= (double)n;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
  o->mean = mu;
  o->var_x = ss / (double)n;
  size_t b = ceas_measure_bin_size(o->tau, n, &o->bins_ok);
  o->bin = b;
  o->nbins = n / b;
  o->err = ceas_measure_binned_error(x, n, b);
  o->n_eff_binned = o->err > 0 ? var / (o->err * o->err) : INFINITY;
  o->n_eff_tau = o->var_x > 0 ? var * (double)n / (2.0 * o->tau * o->var_x) : INFINITY;
  o->n_eff_rel_err = sqrt(2.0 / (double)(o->nbins - 1));
  return 0;
}

/* Delete-one jackknife (B. Efron, "The Jackknife, the Bootstrap and Other
 * Resampling Plans", SIAM 1982): the leave-one-out estimates remove the
 * O(1/nb) bias of a smooth nonlinear f, and their spread, scaled by (nb-1)/nb,
 * estimates the variance of f(all). */
int ceas_measure_jackknife(const double *bins, size_t nbins, size_t k,
                           ceas_measure_fn f, void *ctx, double *value,
                           double *error) {
  if (!bins || !f || !value || !error)
    return ceas_error_set(CEAS_EINPUT, "ceas_measure_jackknife: NULL argument");
  if (nbins < 2)
    return ceas_error_set(CEAS_EINPUT,
                          "ceas_measure_jackknife: need at least 2 bins, got %zu",
                          nbins);
  if (k == 0)
    return ceas_error_set(CEAS_EINPUT,
                          "ceas_measure_jackknife: need at least 1 series");

  double *sum = ceas_calloc(2 * k, sizeof *sum);
  double *fi = ceas_malloc(nbins * sizeof *fi);
  if (!sum || !fi) {
    free(sum);
    free(fi);
    return CEAS_ENOMEM;
  }
  double *means = sum + k;

  for (size_t i = 0; i < nbins; i++)
    for (size_t j = 0; j < k; j++) sum[j] += bins[i * k + j];
  for (size_t j = 0; j < k; j++) means[j] = sum[j] / (double)nbins;
  double f_all = f(means, ctx);

  double nb = (double)nbins;
  double fbar = 0.0;
  for (size_t i = 0; i < nbins; i++) {
    for (size_t j = 0; j < k; j++)
      means[j] = (sum[j] - bins[i * k + j]) / (nb - 1.0);
    fi[i] = f(means, ctx);
    fbar += fi[i];
  }
  fbar /= nb;
  double ss = 0.0;
  for (size_t i = 0; i < nbins; i++) {
    double d = fi[i] - fbar;
    ss += d * d;
  }
  *value = nb * f_all - (nb - 1.0) * fbar;
  *error = sqrt((nb - 1.0) / nb * ss);

  free(sum);
  free(fi);
  return CEAS_OK;
}

/* ---- Ising observables -------------------------------------------------- */

#define OBS_NAME(name, units, description) name,
static const char *const obs_names[] = {CEAS_MEASURE_OBS_DOCS(OBS_NAME)};
#undef OBS_NAME
_Static_assert(sizeof obs_names / sizeof obs_names[0] == CEAS_OBS_COUNT,
               "CEAS_MEASURE_OBS_DOCS has one row per CEAS_OBS_*");

/* NULL for an index outside [0, CEAS_OBS_COUNT). */
const char *ceas_measure_obs_name(int obs) {
  if (obs < 0 || obs >= CEAS_OBS_COUNT) return NULL;
  return obs_names[obs];
}

/* Binned columns. Energy and |m| enter shifted by a reference value (their
 * plain means): <e^2> - <e>^2 and <m^2> - <|m|>^2 are invariant under the shift
 * but, unshifted, lose about log10(N) digits to cancellation because the
 * fluctuations of e and |m| are O(N^-1/2) against O(1) values. m^2 = |m|^2, so
 * (|m| - a0)^2 carries the connected part exactly. */
enum { COL_DE, COL_DE2, COL_DA, COL_DA2, COL_M2, COL_M4, COL_F, COL_MAX };

typedef struct {
  double beta;
  double n_spins;
  double xi_norm; /* 2 sin(pi / L) */
} obs_ctx;

static double fn_specific_heat(const double *mu, void *ctx) {
  const obs_ctx *c = ctx;
  return c->beta * c->beta * c->n_spins * (mu[COL_DE2] - mu[COL_DE] * mu[COL_DE]);
}

static double fn_chi_connected(const double *mu, void *ctx) {
  const obs_ctx *c = ctx;
  return c->beta * c->n_spins * (mu[COL_DA2] - mu[COL_DA] * mu[COL_DA]);
}

static double fn_binder(const double *mu, void *ctx) {
  (void)ctx;
  return 1.0 - mu[COL_M4] / (3.0 * mu[COL_M2] * mu[COL_M2]);
}

static double fn_xi_2nd(const double *mu, void *ctx) {
  const obs_ctx *c = ctx;
  double ratio = c->n_spins * mu[COL_M2] / mu[COL_F] - 1.0;
  /* At high temperature xi_2nd is well below one lattice spacing and
   * S(0)/F - 1 = O(xi^2) is smaller than its own noise, so a jackknife sample
   * can fall below zero. xi >= 0 by definition; taking the boundary value 0
   * keeps the jackknife finite (one NaN sample would poison value and error)
   * and moves the estimate by less than its error bar in that regime. */
  if (ratio < 0.0) return 0.0;
  return sqrt(ratio) / c->xi_norm;
}

static void set_undefined(ceas_measure_value *v) {
  v->mean = NAN;
  v->error = NAN;
  v->tau_int = NAN;
  v->tau_int_err = NAN;
  v->defined = 0;
}

static int validate_series(const ceas_measure_series *s) {
  static const char who[] = "ceas_measure_analyze";
  if (!s->e || !s->m)
    return ceas_error_set(CEAS_EINPUT, "%s: NULL %s series", who,
                          !s->e ? "energy" : "magnetisation");
  if (s->n < 2 * (size_t)CEAS_MEASURE_MIN_BINS)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: n = %zu measurements, need at least %d", who, s->n,
                          2 * CEAS_MEASURE_MIN_BINS);
  if (!isfinite(s->n_spins) || !(s->n_spins > 0.0))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: number of spins must be finite and > 0, got %g",
                          who, s->n_spins);
  if (!isfinite(s->beta) || s->beta < 0.0)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: beta must be finite and >= 0, got %g", who,
                          s->beta);
  if (s->f && s->L < 2)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: linear size L must be >= 2 for xi_2nd, got %ld",
                          who, s->L);
  const size_t total = s->n * (s->replicas > 1 ? s->replicas : 1);
  int rc = check_finite(s->e, total, who, "e");
  if (!rc) rc = check_finite(s->m, total, who, "m");
  if (!rc && s->f) rc = check_finite(s->f, total, who, "F");
  return rc;
}

int ceas_measure_analyze(const ceas_measure_series *s, ceas_measure_result *r) {
  if (!s || !r)
    return ceas_error_set(CEAS_EINPUT, "ceas_measure_analyze: NULL %s",
                          !s ? "series" : "result");
  for (int i = 0; i < CEAS_OBS_COUNT; i++) set_undefined(&r->obs[i]);
  r->bin_size = 0;
  r->n_bins = 0;
  r->converged = 0;
  int rc = validate_series(s);
  if (rc) return rc;

  const size_t n = s->n;
  const size_t R = s->replicas > 1 ? s->replicas : 1;
  const size_t k = s->f ? COL_MAX : COL_F;
  double *buf = ceas_malloc(n * sizeof *buf);
  if (!buf) return CEAS_ENOMEM;

  /* tau_int of e, |m|, m^2, m^4 (of the replica averages: the estimators are
   * those averages, and their autocorrelation in time is what decides how
   * many of them are independent); the first three fix the bin size. */
  double tau[4], tau_err[4];
  size_t win;
  int closed, all_closed = 1;
  for (int q = 0; q < 4; q++) {
    for (size_t i = 0; i < n; i++) {
      double acc = 0.0;
      for (size_t r = 0; r < R; r++) {
        double x = s->e[i * R + r], m = s->m[i * R + r];
        acc += q == 0 ? x : q == 1 ? fabs(m) : q == 2 ? m * m : (m * m) * (m * m);
      }
      buf[i] = acc / (double)R;
    }
    tau_window(buf, n, &tau[q], &tau_err[q], &win, &closed);
    if (q < 3) all_closed &= closed;
  }
  free(buf);

  double tau_max = fmax(tau[0], fmax(tau[1], tau[2]));
  int long_enough;
  const size_t b = ceas_measure_bin_size(tau_max, n, &long_enough);
  const size_t nb = n / b;
  r->bin_size = b;
  r->n_bins = nb;
  r->converged = all_closed && long_enough;

  double e0 = 0.0, a0 = 0.0;
  for (size_t i = 0; i < n * R; i++) {
    e0 += s->e[i];
    a0 += fabs(s->m[i]);
  }
  e0 /= (double)(n * R);
  a0 /= (double)(n * R);

  double *bins = ceas_calloc(nb * k, sizeof *bins);
  if (!bins) return CEAS_ENOMEM;
  const size_t off = n % b;
  for (size_t ib = 0; ib < nb; ib++) {
    double *row = bins + ib * k;
    /* A bin is b consecutive times with all R replicas of each: replicas of
     * one time may be correlated with each other, bins far apart are not. */
    for (size_t j = 0; j < b * R; j++) {
      size_t i = (off + ib * b) * R + j;
      double de = s->e[i] - e0;
      double m2 = s->m[i] * s->m[i];
      double da = fabs(s->m[i]) - a0;
      row[COL_DE] += de;
      row[COL_DE2] += de * de;
      row[COL_DA] += da;
      row[COL_DA2] += da * da;
      row[COL_M2] += m2;
      row[COL_M4] += m2 * m2;
      if (s->f) row[COL_F] += s->f[i];
    }
    for (size_t c = 0; c < k; c++) row[c] /= (double)(b * R);
  }

  obs_ctx ctx = {s->beta, s->n_spins,
                 s->f ? 2.0 * sin(M_PI / (double)s->L) : NAN};
  ceas_measure_value *o = r->obs;
  double mean, err;

  strided_mean_error(bins + COL_DE, nb, k, &mean, &err);
  o[CEAS_OBS_ENERGY].mean = e0 + mean;
  o[CEAS_OBS_ENERGY].error = err;
  strided_mean_error(bins + COL_DA, nb, k, &mean, &err);
  o[CEAS_OBS_ABS_M].mean = a0 + mean;
  o[CEAS_OBS_ABS_M].error = err;
  strided_mean_error(bins + COL_M2, nb, k, &o[CEAS_OBS_M2].mean,
                     &o[CEAS_OBS_M2].error);
  strided_mean_error(bins + COL_M4, nb, k, &o[CEAS_OBS_M4].mean,
                     &o[CEAS_OBS_M4].error);
  /* chi = beta N <m^2> is linear in a mean, so its error is the scaled binning
   * error of m^2 and it shares m^2's autocorrelation time. */
  o[CEAS_OBS_SUSCEPTIBILITY].mean = s->beta * s->n_spins * o[CEAS_OBS_M2].mean;
  o[CEAS_OBS_SUSCEPTIBILITY].error =
      s->beta * s->n_spins * o[CEAS_OBS_M2].error;

  o[CEAS_OBS_ENERGY].tau_int = tau[0];
  o[CEAS_OBS_ENERGY].tau_int_err = tau_err[0];
  o[CEAS_OBS_ABS_M].tau_int = tau[1];
  o[CEAS_OBS_ABS_M].tau_int_err = tau_err[1];
  o[CEAS_OBS_M2].tau_int = tau[2];
  o[CEAS_OBS_M2].tau_int_err = tau_err[2];
  o[CEAS_OBS_M4].tau_int = tau[3];
  o[CEAS_OBS_M4].tau_int_err = tau_err[3];
  o[CEAS_OBS_SUSCEPTIBILITY].tau_int = tau[2];
  o[CEAS_OBS_SUSCEPTIBILITY].tau_int_err = tau_err[2];

  static const struct {
    int obs;
    ceas_measure_fn fn;
  } jk[] = {
      {CEAS_OBS_SPECIFIC_HEAT, fn_specific_heat},
      {CEAS_OBS_SUSCEPTIBILITY_CONNECTED, fn_chi_connected},
      {CEAS_OBS_BINDER, fn_binder},
      {CEAS_OBS_XI_2ND, fn_xi_2nd},
  };
  for (size_t i = 0; i < sizeof jk / sizeof jk[0]; i++) {
    if (jk[i].obs == CEAS_OBS_XI_2ND && !s->f) continue;
    rc = ceas_measure_jackknife(bins, nb, k, jk[i].fn, &ctx,
                                &o[jk[i].obs].mean, &o[jk[i].obs].error);
    if (rc) break;
  }
  free(bins);
  if (rc) return rc;

  for (int i = 0; i < CEAS_OBS_COUNT; i++) o[i].defined = 1;
  if (!s->f) set_undefined(&o[CEAS_OBS_XI_2ND]);
  return CEAS_OK;
}

void ceas_measure_result_print(FILE *out, const ceas_measure_result *r) {
  fprintf(out, "%-26s %14s %12s %14s\n", "observable", "mean", "error", "tau_int");
  for (int o = 0; o < CEAS_OBS_COUNT; o++) {
    const ceas_measure_value *v = &r->obs[o];
    if (!v->defined) continue;
    char tau[48] = "";
    if (!isnan(v->tau_int)) snprintf(tau, sizeof tau, "%.3g +- %.2g", v->tau_int, v->tau_int_err);
    fprintf(out, "%-26s %14.8g %12.3g %14s\n", ceas_measure_obs_name(o), v->mean, v->error, tau);
  }
  fprintf(out, "errors from %zu bins of %zu measurements%s\n", r->n_bins, r->bin_size,
          r->converged ? ""
                       : "  (WARNING: fewer than 16 tau_int per bin: run longer; "
                         "error bars may be too small)");
}
