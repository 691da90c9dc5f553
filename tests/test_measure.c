/*
 * Specification of ceas_measure: every check compares an estimator with an
 * answer known in closed form, with a tolerance built from the estimator's own
 * statistical uncertainty (a few standard deviations) plus any known bias.
 *
 * References: AR(1) autocorrelation rho(t) = a^t, hence tau_int =
 * (1 + a) / (2 (1 - a)) in the 1/2 + sum rho convention (Sokal, Cargèse
 * lectures 1996); Madras & Sokal, J. Stat. Phys. 50, 109 (1988) for the
 * error of the windowed estimator; Efron, "The Jackknife, the Bootstrap and
 * Other Resampling Plans" (1982) for the jackknife of a squared mean; the
 * variance of a Gaussian sample variance, 2 sigma^4 / n.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "ceas_core.h"
#include "ceas_measure.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define NEAR(got, want, tol, what)                                           \
  cr_assert(fabs((got) - (want)) <= (tol),                                   \
            "%s: got %.10g, want %.10g +- %.3g (off by %.3g)", (what),       \
            (double)(got), (double)(want), (double)(tol),                    \
            fabs((double)(got) - (double)(want)))

static gsl_rng *new_rng(unsigned long seed) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  cr_assert_not_null(r);
  gsl_rng_set(r, seed);
  return r;
}

static double *alloc_series(size_t n) {
  double *x = malloc(n * sizeof *x);
  cr_assert_not_null(x);
  return x;
}

/* Stationary AR(1) with unit variance: start from the stationary law so no
 * sample needs discarding. */
static void ar1(gsl_rng *r, double a, double *x, size_t n) {
  double s = sqrt(1.0 - a * a);
  x[0] = gsl_ran_gaussian(r, 1.0);
  for (size_t i = 1; i < n; i++) x[i] = a * x[i - 1] + s * gsl_ran_gaussian(r, 1.0);
}

static void gaussian(gsl_rng *r, double mu, double sigma, double *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = mu + gsl_ran_gaussian(r, sigma);
}

static double ar1_tau(double a) { return (1.0 + a) / (2.0 * (1.0 - a)); }

/* Expected standard error of the mean from nb bins of size b of the unit-
 * variance AR(1): var(bin mean) = (1/b)[1 + 2 sum_{t<b} (1 - t/b) a^t]. Its
 * shortfall against sqrt(2 tau / n) is the finite-bin bias of binning. */
static double ar1_bin_error(double a, size_t b, size_t nb) {
  double s = 1.0, at = 1.0;
  for (size_t t = 1; t < b; t++) {
    at *= a;
    s += 2.0 * (1.0 - (double)t / (double)b) * at;
  }
  return sqrt(s / (double)b / (double)nb);
}

/* ---- small exact facts --------------------------------------------------- */

Test(measure, observable_names) {
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_ENERGY), "energy");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_ABS_M), "abs_magnetization");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_M2), "m2");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_M4), "m4");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_SPECIFIC_HEAT), "specific_heat");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_SUSCEPTIBILITY),
                   "susceptibility");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_SUSCEPTIBILITY_CONNECTED),
                   "susceptibility_connected");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_BINDER), "binder");
  cr_assert_str_eq(ceas_measure_obs_name(CEAS_OBS_XI_2ND), "xi_2nd");
  cr_assert_null(ceas_measure_obs_name(-1));
  cr_assert_null(ceas_measure_obs_name(CEAS_OBS_COUNT));
}

Test(measure, bin_drops_leading_remainder) {
  /* 10 samples in bins of 3: sample 0 (nearest thermalisation) is dropped. */
  double x[10] = {100, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  double bins[3] = {0};
  ceas_measure_bin(x, 10, 3, bins);
  cr_assert_float_eq(bins[0], 2.0, 1e-15);
  cr_assert_float_eq(bins[1], 5.0, 1e-15);
  cr_assert_float_eq(bins[2], 8.0, 1e-15);
}

Test(measure, mean_error_small_sample) {
  /* mean 2.5, sum of squared deviations 5: error = sqrt(5 / (4 * 3)). */
  double x[4] = {1, 2, 3, 4}, mean, err;
  ceas_measure_mean_error(x, 4, &mean, &err);
  cr_assert_float_eq(mean, 2.5, 1e-15);
  cr_assert_float_eq(err, sqrt(5.0 / 12.0), 1e-15);
}

Test(measure, tau_constant_series) {
  double x[100];
  for (int i = 0; i < 100; i++) x[i] = 0.1; /* 0.1 is not exact in binary */
  double tau = -1, err = -1;
  size_t w = 99;
  cr_assert_eq(ceas_measure_tau_int(x, 100, &tau, &err, &w), CEAS_OK);
  cr_assert_eq(tau, 0.5);
  cr_assert_eq(err, 0.0);
  cr_assert_eq(w, 0);
}

/* ---- tau_int and binning on AR(1) ---------------------------------------- */

/* The windowed estimator is biased low by the neglected tail
 * sum_{t>W} rho(t) = a^{W+1} / (1 - a) (in general about tau e^{-W/tau_exp}),
 * and by about 2 W tau / n from normalising with the sample mean; its
 * statistical error is the Madras-Sokal one. Allow 3 of those plus both
 * biases. */
static void check_ar1_tau(double a, unsigned long seed) {
  const size_t n = (size_t)1 << 20;
  double *x = alloc_series(n);
  gsl_rng *r = new_rng(seed);
  ar1(r, a, x, n);
  double tau, err;
  size_t w;
  cr_assert_eq(ceas_measure_tau_int(x, n, &tau, &err, &w), CEAS_OK);
  double exact = ar1_tau(a);
  double bias = pow(a, (double)w + 1.0) / (1.0 - a) + 2.0 * (double)w * exact / (double)n;
  cr_assert(w >= CEAS_MEASURE_WINDOW_C * tau && w < n / 2,
            "window %zu did not close (tau = %g)", w, tau);
  NEAR(tau, exact, 3.0 * err + bias, "tau_int");
  /* The documented Madras-Sokal formula, at the estimate. */
  cr_assert_float_eq(err, tau * sqrt(2.0 * (2.0 * (double)w + 1.0) / (double)n),
                     1e-12 * err);
  gsl_rng_free(r);
  free(x);
}

Test(measure, tau_ar1_a09) { check_ar1_tau(0.9, 11); }
Test(measure, tau_ar1_a05) { check_ar1_tau(0.5, 12); }
/* tau = 49.5: the window (~300 lags) runs past the direct sums into the FFT
 * autocovariance, which must give the same physics. */
Test(measure, tau_ar1_a098_fft_path) { check_ar1_tau(0.98, 13); }

/* Binning error of the AR(1) mean against the exact sqrt(2 tau / n). An error
 * estimated from nb bins has relative standard deviation 1/sqrt(2 nb); bins of
 * finite size b add the (computed) bias ar1_bin_error / exact - 1. */
static void check_ar1_binning(double a, unsigned long seed) {
  const size_t n = (size_t)1 << 20;
  double *e = alloc_series(n), *m = alloc_series(n);
  gsl_rng *r = new_rng(seed);
  ar1(r, a, e, n);
  gaussian(r, 0.0, 1.0, m, n);
  double exact_tau = ar1_tau(a);
  double exact_err = sqrt(2.0 * exact_tau / (double)n);

  ceas_measure_series s = {.e = e, .m = m, .n = n, .n_spins = 16, .beta = 0.3};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert(res.converged);
  /* The bin size is the smallest power of two >= 16 tau; with tau within a few
   * percent of exact that is the one for the exact tau. */
  size_t want_b = 1;
  while ((double)want_b < 16.0 * exact_tau) want_b *= 2;
  cr_assert_eq(res.bin_size, want_b, "bin size %zu, want %zu", res.bin_size, want_b);
  cr_assert_eq(res.n_bins, n / want_b);

  const ceas_measure_value *en = &res.obs[CEAS_OBS_ENERGY];
  double nb = (double)res.n_bins;
  double bias = fabs(ar1_bin_error(a, res.bin_size, res.n_bins) / exact_err - 1.0);
  NEAR(en->error / exact_err, 1.0, 4.0 / sqrt(2.0 * nb) + bias, "analyze: error / exact");
  NEAR(en->mean, 0.0, 4.0 * exact_err, "analyze: mean");
  /* analyze does not report W; W >= c tau bounds the truncation bias, and
   * W < 2 c tau is ample for the (tiny) sample-mean bias. */
  NEAR(en->tau_int, exact_tau,
       3.0 * en->tau_int_err +
           pow(a, CEAS_MEASURE_WINDOW_C * en->tau_int) / (1.0 - a) +
           2.0 * (2.0 * CEAS_MEASURE_WINDOW_C * en->tau_int) * exact_tau / (double)n,
       "analyze: tau");

  double levels[32];
  size_t nl = ceas_measure_binning_levels(e, n, levels, 32);
  cr_assert_eq(nl, 16, "levels b = 1 .. 2^15 leave >= 32 bins of 2^20");
  size_t l = 0;
  while (((size_t)1 << l) < want_b) l++;
  size_t b = (size_t)1 << l;
  bias = fabs(ar1_bin_error(a, b, n / b) / exact_err - 1.0);
  NEAR(levels[l] / exact_err, 1.0, 4.0 / sqrt(2.0 * (double)(n / b)) + bias,
       "binning level error / exact");
  /* b = 1 ignores the correlation: it gives the naive s / sqrt(n), short of
   * the truth by sqrt(2 tau). s^2 of a correlated Gaussian series has relative
   * sd sqrt(4 tau_{x^2} / n), tau_{x^2} = (1 + a^2) / (2 (1 - a^2)) (rho_{x^2}(t)
   * = a^{2t}), so s has half that; the sample mean biases s^2 by -2 tau / n. */
  double tau_x2 = (1.0 + a * a) / (2.0 * (1.0 - a * a));
  NEAR(levels[0] * sqrt((double)n), 1.0,
       4.0 * sqrt(tau_x2 / (double)n) + 2.0 * exact_tau / (double)n,
       "binning level 0 = naive error");

  gsl_rng_free(r);
  free(e);
  free(m);
}

Test(measure, binning_ar1_a09) { check_ar1_binning(0.9, 21); }
Test(measure, binning_ar1_a05) { check_ar1_binning(0.5, 22); }

Test(measure, independent_data) {
  const size_t n = (size_t)1 << 18;
  const double sigma = 2.0;
  double *x = alloc_series(n);
  gsl_rng *r = new_rng(31);
  gaussian(r, 3.0, sigma, x, n);

  double tau, err;
  size_t w;
  cr_assert_eq(ceas_measure_tau_int(x, n, &tau, &err, &w), CEAS_OK);
  /* rho(t) = 0 for t >= 1: no truncation bias, only the sample-mean one. */
  NEAR(tau, 0.5, 3.0 * err + 2.0 * (double)w * 0.5 / (double)n, "tau_int");

  double exact = sigma / sqrt((double)n);
  double mean, e1;
  ceas_measure_mean_error(x, n, &mean, &e1);
  NEAR(e1 / exact, 1.0, 4.0 / sqrt(2.0 * (double)n), "mean_error / exact");
  NEAR(mean, 3.0, 4.0 * exact, "mean");

  double levels[16];
  size_t nl = ceas_measure_binning_levels(x, n, levels, 16);
  cr_assert_eq(nl, 14, "2^18 / 2^13 = 32 bins is the last level");
  cr_assert_float_eq(levels[0], e1, 1e-12 * e1);
  for (size_t l = 0; l < nl; l++) {
    double nb = (double)(n >> l);
    NEAR(levels[l] / exact, 1.0, 4.0 / sqrt(2.0 * nb), "binning level / exact");
  }
  cr_assert_eq(ceas_measure_binning_levels(x, n, levels, 3), 3, "cap respected");
  gsl_rng_free(r);
  free(x);
}

/* ---- jackknife ------------------------------------------------------------ */

static double f_mean(const double *mu, void *ctx) {
  (void)ctx;
  return mu[0];
}

static double f_mean_sq(const double *mu, void *ctx) {
  (void)ctx;
  return mu[0] * mu[0];
}

Test(measure, jackknife_linear_is_standard_error) {
  const size_t n = 1000;
  double *x = alloc_series(n);
  gsl_rng *r = new_rng(41);
  gaussian(r, -1.0, 0.5, x, n);
  double mean, err, v, e;
  ceas_measure_mean_error(x, n, &mean, &err);
  cr_assert_eq(ceas_measure_jackknife(x, n, 1, f_mean, NULL, &v, &e), CEAS_OK);
  /* For a linear f the jackknife reproduces the mean and its standard error
   * exactly (Efron 1982). */
  cr_assert_float_eq(v, mean, 1e-12);
  cr_assert_float_eq(e, err, 1e-12 * err);
  gsl_rng_free(r);
  free(x);
}

Test(measure, jackknife_mean_squared) {
  const size_t n = 4096;
  const double mu = 2.0, sigma = 1.0;
  double *x = alloc_series(n);
  gsl_rng *r = new_rng(42);
  gaussian(r, mu, sigma, x, n);
  double v, e;
  cr_assert_eq(ceas_measure_jackknife(x, n, 1, f_mean_sq, NULL, &v, &e), CEAS_OK);

  /* The bias-corrected jackknife of xbar^2 is exactly xbar^2 - s^2 / n with
   * the unbiased sample variance s^2, an unbiased estimator of mu^2. */
  double mean, se;
  ceas_measure_mean_error(x, n, &mean, &se); /* se^2 = s^2 / n */
  NEAR(v, mean * mean - se * se, 1e-9, "jackknife = xbar^2 - s^2/n");

  NEAR(v, mu * mu, 4.0 * e, "bias-corrected estimate vs mu^2");
  /* Delta method: sd(xbar^2) = 2 |mu| sigma / sqrt(n) (next order
   * sigma^2 / (4 mu^2 n) relative, negligible). The jackknife error is about
   * 2 |xbar| s / sqrt(n); its relative sd combines 1/sqrt(2n) from s and
   * sigma / (|mu| sqrt(n)) from xbar. */
  double delta = 2.0 * fabs(mu) * sigma / sqrt((double)n);
  double rel = sqrt(1.0 / (2.0 * n) + sigma * sigma / (mu * mu * n));
  NEAR(e / delta, 1.0, 4.0 * rel + sigma * sigma / (4.0 * mu * mu * n),
       "jackknife error / delta method");
  gsl_rng_free(r);
  free(x);
}

/* ---- Ising observables on synthetic series -------------------------------- */

Test(measure, analyze_gaussian_moments) {
  const size_t n = (size_t)1 << 16;
  const double N = 100, beta = 0.4;
  const double e0 = -1.2, se = 0.05; /* energy per spin: N(e0, se^2) */
  const double m0 = 0.5, sm = 0.1;   /* m: N(m0, sm^2), 5 sigma from 0 */
  double *e = alloc_series(n), *m = alloc_series(n);
  gsl_rng *r = new_rng(51);
  gaussian(r, e0, se, e, n);
  gaussian(r, m0, sm, m, n);

  ceas_measure_series s = {.e = e, .m = m, .f = NULL, .n = n, .n_spins = N, .beta = beta};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert(res.converged);
  cr_assert(res.n_bins >= CEAS_MEASURE_MIN_BINS);
  cr_assert_eq(res.n_bins, n / res.bin_size);
  double nb = (double)res.n_bins;
  /* Relative sd of an error bar from nb bins: sqrt((2 + k) / (4 nb)), k the
   * excess kurtosis of a bin value; k = 0 for means of Gaussian data, and
   * 12 / B for the squared deviations behind C and chi' (chi^2_1 has k = 12). */
  double rel_err_sd = 1.0 / sqrt(2.0 * nb);
  double rel_err_sd_sq = sqrt((2.0 + 12.0 / (double)res.bin_size) / (4.0 * nb));
  const ceas_measure_value *o = res.obs;

  for (int i = 0; i < CEAS_OBS_COUNT; i++) {
    if (i == CEAS_OBS_XI_2ND) continue;
    cr_assert(o[i].defined, "%s defined", ceas_measure_obs_name(i));
    cr_assert(isfinite(o[i].mean) && isfinite(o[i].error) && o[i].error > 0,
              "%s finite", ceas_measure_obs_name(i));
  }
  cr_assert_not(o[CEAS_OBS_XI_2ND].defined);
  cr_assert(isnan(o[CEAS_OBS_XI_2ND].mean) && isnan(o[CEAS_OBS_XI_2ND].error));

  NEAR(o[CEAS_OBS_ENERGY].mean, e0, 4.0 * o[CEAS_OBS_ENERGY].error, "energy");
  NEAR(o[CEAS_OBS_ENERGY].error / (se / sqrt((double)n)), 1.0, 4.0 * rel_err_sd,
       "energy error / exact");
  NEAR(o[CEAS_OBS_ENERGY].tau_int, 0.5, 3.0 * o[CEAS_OBS_ENERGY].tau_int_err + 1e-3,
       "tau of e");

  /* C = beta^2 N var(e); var of a Gaussian sample variance is 2 sigma^4 / n. */
  double c_exact = beta * beta * N * se * se;
  NEAR(o[CEAS_OBS_SPECIFIC_HEAT].mean, c_exact, 4.0 * o[CEAS_OBS_SPECIFIC_HEAT].error,
       "specific heat");
  NEAR(o[CEAS_OBS_SPECIFIC_HEAT].error / (c_exact * sqrt(2.0 / (double)n)), 1.0,
       4.0 * rel_err_sd_sq, "specific heat error / exact");

  /* Gaussian moments of m (|m| = m here). */
  double m2 = m0 * m0 + sm * sm;
  double m4 = pow(m0, 4) + 6 * m0 * m0 * sm * sm + 3 * pow(sm, 4);
  NEAR(o[CEAS_OBS_ABS_M].mean, m0, 4.0 * o[CEAS_OBS_ABS_M].error, "|m|");
  NEAR(o[CEAS_OBS_M2].mean, m2, 4.0 * o[CEAS_OBS_M2].error, "m2");
  NEAR(o[CEAS_OBS_M4].mean, m4, 4.0 * o[CEAS_OBS_M4].error, "m4");
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY].mean, beta * N * m2,
       4.0 * o[CEAS_OBS_SUSCEPTIBILITY].error, "chi");
  cr_assert_float_eq(o[CEAS_OBS_SUSCEPTIBILITY].error, beta * N * o[CEAS_OBS_M2].error,
                     1e-12);
  double chic = beta * N * sm * sm;
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].mean, chic,
       4.0 * o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].error, "connected chi");
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].error / (chic * sqrt(2.0 / (double)n)), 1.0,
       4.0 * rel_err_sd_sq, "connected chi error / exact");
  NEAR(o[CEAS_OBS_BINDER].mean, 1.0 - m4 / (3.0 * m2 * m2),
       4.0 * o[CEAS_OBS_BINDER].error, "binder");

  /* tau attributes: set on linear observables (chi shares m^2's), NaN on
   * jackknifed ones. */
  cr_assert_eq(o[CEAS_OBS_SUSCEPTIBILITY].tau_int, o[CEAS_OBS_M2].tau_int);
  cr_assert_eq(o[CEAS_OBS_SUSCEPTIBILITY].tau_int_err, o[CEAS_OBS_M2].tau_int_err);
  cr_assert(isfinite(o[CEAS_OBS_M4].tau_int) && isfinite(o[CEAS_OBS_ABS_M].tau_int));
  cr_assert(isnan(o[CEAS_OBS_SPECIFIC_HEAT].tau_int));
  cr_assert(isnan(o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].tau_int_err));
  cr_assert(isnan(o[CEAS_OBS_BINDER].tau_int));
  cr_assert((double)res.bin_size >=
            16.0 * fmax(o[CEAS_OBS_ENERGY].tau_int,
                        fmax(o[CEAS_OBS_ABS_M].tau_int, o[CEAS_OBS_M2].tau_int)));
  gsl_rng_free(r);
  free(e);
  free(m);
}

/* m = +-c with a random sign: an ordered two-peak distribution, for which
 * <m^4> = <m^2>^2 (U = 2/3) and |m| does not fluctuate (chi' = 0). */
Test(measure, analyze_two_delta_peaks) {
  const size_t n = 4096;
  const double c = 0.7, N = 256, beta = 0.5;
  double *e = alloc_series(n), *m = alloc_series(n);
  gsl_rng *r = new_rng(61);
  gaussian(r, -1.8, 0.01, e, n);
  for (size_t i = 0; i < n; i++) m[i] = gsl_rng_uniform(r) < 0.5 ? -c : c;
  ceas_measure_series s = {.e = e, .m = m, .n = n, .n_spins = N, .beta = beta};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  const ceas_measure_value *o = res.obs;
  NEAR(o[CEAS_OBS_BINDER].mean, 2.0 / 3.0, 1e-12, "binder");
  NEAR(o[CEAS_OBS_BINDER].error, 0.0, 1e-12, "binder error");
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].mean, 0.0, 1e-12, "connected chi");
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY_CONNECTED].error, 0.0, 1e-12, "connected chi error");
  NEAR(o[CEAS_OBS_ABS_M].mean, c, 1e-14, "|m|");
  NEAR(o[CEAS_OBS_SUSCEPTIBILITY].mean, beta * N * c * c, 1e-11, "chi");
  /* |m| and m^2 are constant series. */
  cr_assert_eq(o[CEAS_OBS_ABS_M].tau_int, 0.5);
  cr_assert_eq(o[CEAS_OBS_M2].tau_int_err, 0.0);
  cr_assert(res.converged);
  gsl_rng_free(r);
  free(e);
  free(m);
}

/* xi_2nd = sqrt(S(0)/<F> - 1) / (2 sin(pi/L)) with S(0) = N m^2 fixed (m = +-c)
 * and F Gaussian around Fbar; error by the delta method in <F>. */
Test(measure, analyze_xi_2nd) {
  const size_t n = (size_t)1 << 14;
  const double N = 64, c = 0.5, fbar = 4.0, sf = 0.4;
  const long L = 8;
  double *e = alloc_series(n), *m = alloc_series(n), *f = alloc_series(n);
  gsl_rng *r = new_rng(71);
  gaussian(r, -1.0, 0.1, e, n);
  for (size_t i = 0; i < n; i++) m[i] = gsl_rng_uniform(r) < 0.5 ? -c : c;
  gaussian(r, fbar, sf, f, n);
  ceas_measure_series s = {.e = e, .m = m, .f = f, .n = n, .n_spins = N, .beta = 0.3, .L = L};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  const ceas_measure_value *xi = &res.obs[CEAS_OBS_XI_2ND];
  cr_assert(xi->defined);
  cr_assert(isnan(xi->tau_int));
  double s0 = N * c * c, norm = 2.0 * sin(M_PI / (double)L);
  double exact = sqrt(s0 / fbar - 1.0) / norm;
  NEAR(xi->mean, exact, 4.0 * xi->error, "xi_2nd");
  double dxi_df = s0 / (fbar * fbar) / (2.0 * sqrt(s0 / fbar - 1.0)) / norm;
  double delta = dxi_df * sf / sqrt((double)n);
  NEAR(xi->error / delta, 1.0, 4.0 / sqrt(2.0 * (double)res.n_bins), "xi error / delta");

  /* High temperature: S(0) < <F> makes S(0)/F - 1 negative in every jackknife
   * sample; xi is then 0, not NaN. */
  for (size_t i = 0; i < n; i++) f[i] = 10.0 * s0 + gsl_ran_gaussian(r, 1.0);
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert(xi->defined);
  cr_assert_eq(xi->mean, 0.0);
  cr_assert_eq(xi->error, 0.0);
  gsl_rng_free(r);
  free(e);
  free(m);
  free(f);
}

Test(measure, analyze_too_short_is_not_converged) {
  /* AR(1) a = 0.99: tau ~ 100, 16 tau ~ 1600 > n / 32 = 256. */
  const size_t n = (size_t)1 << 13;
  double *e = alloc_series(n), *m = alloc_series(n);
  gsl_rng *r = new_rng(81);
  ar1(r, 0.99, e, n);
  gaussian(r, 0.0, 1.0, m, n);
  ceas_measure_series s = {.e = e, .m = m, .n = n, .n_spins = 16, .beta = 0.3};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert_not(res.converged);
  cr_assert_eq(res.bin_size, n / CEAS_MEASURE_MIN_BINS);
  cr_assert_eq(res.n_bins, CEAS_MEASURE_MIN_BINS);
  gsl_rng_free(r);
  free(e);
  free(m);
}

/* The one bin-size rule (measure, anneal pt, bench --tau): bins of >= 16 tau
 * while >= CEAS_MEASURE_MIN_BINS of them fit, else the longest that leave that
 * many, flagged. */
Test(measure, bin_size_rule) {
  int ok = -1;
  /* 16 tau = 152 -> 256; 2^20 / 256 bins is plenty. */
  cr_assert_eq(ceas_measure_bin_size(9.5, (size_t)1 << 20, &ok), 256);
  cr_assert_eq(ok, 1);
  /* 16 tau = 16 exactly is long enough, a power of two already. */
  cr_assert_eq(ceas_measure_bin_size(1.0, 1024, &ok), 16);
  cr_assert_eq(ok, 1);
  /* Just enough: 32 bins of 256. */
  cr_assert_eq(ceas_measure_bin_size(16.0, 256 * CEAS_MEASURE_MIN_BINS, &ok), 256);
  cr_assert_eq(ok, 1);
  /* One sample short of that: the bins are halved and flagged. */
  cr_assert_eq(ceas_measure_bin_size(16.0, 256 * CEAS_MEASURE_MIN_BINS - 1, &ok), 128);
  cr_assert_eq(ok, 0);
  /* tau ~ 100 in 4096 samples: 32 bins of 128, too short. */
  cr_assert_eq(ceas_measure_bin_size(100.0, 4096, &ok), 4096 / CEAS_MEASURE_MIN_BINS);
  cr_assert_eq(ok, 0);
  /* Fewer samples than bins: bins of 1, never long enough; NaN or infinite tau
   * is never long enough either, and cannot overflow the bin. */
  cr_assert_eq(ceas_measure_bin_size(0.5, CEAS_MEASURE_MIN_BINS - 1, &ok), 1);
  cr_assert_eq(ok, 0);
  cr_assert_eq(ceas_measure_bin_size(NAN, 4096, &ok), 1);
  cr_assert_eq(ok, 0);
  cr_assert_eq(ceas_measure_bin_size(INFINITY, 4096, &ok), 4096 / CEAS_MEASURE_MIN_BINS);
  cr_assert_eq(ok, 0);
  cr_assert_eq(ceas_measure_bin_size(0.5, 4096, NULL), 8);
}

Test(measure, window_that_never_closes) {
  /* A linear drift: rho(t) stays near 1 over most lags, so tau(W) grows with
   * W and the window runs to the guard W < n/2. */
  const size_t n = 1024;
  double *e = alloc_series(n), *m = alloc_series(n);
  for (size_t i = 0; i < n; i++) {
    e[i] = (double)i / (double)n;
    m[i] = (i % 2) ? 0.3 : -0.3;
  }
  double tau, err;
  size_t w;
  cr_assert_eq(ceas_measure_tau_int(e, n, &tau, &err, &w), CEAS_OK);
  cr_assert_eq(w, (n - 1) / 2, "window %zu", w);
  cr_assert(w < CEAS_MEASURE_WINDOW_C * tau);
  ceas_measure_series s = {.e = e, .m = m, .n = n, .n_spins = 16, .beta = 0.3};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert_not(res.converged);
  free(e);
  free(m);
}

/* ---- bad input ------------------------------------------------------------ */

Test(measure, bad_input) {
  double x[128], y[128], v, e;
  size_t w;
  for (int i = 0; i < 128; i++) {
    x[i] = (double)(i % 7);
    y[i] = 0.5;
  }
  cr_assert_eq(ceas_measure_tau_int(x, 1, &v, &e, &w), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_tau_int(NULL, 10, &v, &e, &w), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_tau_int(x, 10, NULL, &e, &w), CEAS_EINPUT);
  x[3] = NAN;
  cr_assert_eq(ceas_measure_tau_int(x, 10, &v, &e, &w), CEAS_EINPUT);
  x[3] = 3.0;
  cr_assert_eq(ceas_measure_jackknife(x, 1, 1, f_mean, NULL, &v, &e), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_jackknife(x, 10, 0, f_mean, NULL, &v, &e), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_jackknife(x, 10, 1, NULL, NULL, &v, &e), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_jackknife(NULL, 10, 1, f_mean, NULL, &v, &e), CEAS_EINPUT);

  ceas_measure_result res;
  const ceas_measure_series good = {.e = x, .m = y, .f = y, .n = 128, .n_spins = 64,
                                    .beta = 0.4, .L = 8};
  cr_assert_eq(ceas_measure_analyze(&good, &res), CEAS_OK, "%s", ceas_error_message());
  cr_assert_eq(ceas_measure_analyze(NULL, &res), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_analyze(&good, NULL), CEAS_EINPUT);
  ceas_measure_series s;
  s = good; s.n = 2 * CEAS_MEASURE_MIN_BINS - 1;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  cr_assert(ceas_error_message()[0] != '\0');
  s = good; s.e = NULL;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.m = NULL;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.n_spins = 0;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.n_spins = NAN;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.beta = -0.1;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.beta = INFINITY;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.L = 1;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
  s = good; s.f = NULL; s.L = 0; /* L is ignored without F */
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_OK);
  y[100] = INFINITY;
  s = good;
  cr_assert_eq(ceas_measure_analyze(&s, &res), CEAS_EINPUT);
}

/* ---- replicas measured together ------------------------------------------ */

/* R copies of one chain are worth one chain: every mean, error and tau must be
 * the one-chain result (up to the rounding of summing R equal values). This is
 * the case of replica-packed kernels whose replicas lock together, and shows the
 * errors never treat replicas as independent. */
Test(measure, identical_replicas_are_one_chain) {
  const size_t n = 1 << 14, R = 8;
  gsl_rng *r = new_rng(77);
  double *e = alloc_series(n), *m = alloc_series(n), *f = alloc_series(n);
  ar1(r, 0.9, e, n);
  ar1(r, 0.8, m, n);
  for (size_t i = 0; i < n; i++) f[i] = 1.0 + m[i] * m[i];
  double *eR = alloc_series(n * R), *mR = alloc_series(n * R), *fR = alloc_series(n * R);
  for (size_t i = 0; i < n * R; i++) eR[i] = e[i / R], mR[i] = m[i / R], fR[i] = f[i / R];
  ceas_measure_series one = {.e = e, .m = m, .f = f, .n = n, .n_spins = 64, .beta = 0.4, .L = 8};
  ceas_measure_series rep = one;
  rep.e = eR, rep.m = mR, rep.f = fR, rep.replicas = R;
  ceas_measure_result a, b;
  cr_assert_eq(ceas_measure_analyze(&one, &a), 0);
  cr_assert_eq(ceas_measure_analyze(&rep, &b), 0, "%s", ceas_error_message());
  cr_assert_eq(a.bin_size, b.bin_size);
  cr_assert_eq(a.n_bins, b.n_bins);
  for (int o = 0; o < CEAS_OBS_COUNT; o++) {
    const ceas_measure_value *x = &a.obs[o], *y = &b.obs[o];
    NEAR(y->mean, x->mean, 1e-9 * (1 + fabs(x->mean)), ceas_measure_obs_name(o));
    NEAR(y->error, x->error, 1e-9 * x->error, ceas_measure_obs_name(o));
    if (!isnan(x->tau_int)) NEAR(y->tau_int, x->tau_int, 1e-9 * x->tau_int, "tau");
  }
  free(e), free(m), free(f), free(eR), free(mR), free(fR);
  gsl_rng_free(r);
}

/* R independent AR(1) chains: the error of the energy mean is that of n R
 * samples, sqrt(2 tau / (n R)) (binning bias and the 1/sqrt(2 nb) scatter of an
 * error estimate as in check_ar1_binning), and tau is the chains' own tau. */
Test(measure, independent_replicas_average) {
  const size_t n = 1 << 14, R = 16;
  const double a = 0.5;
  gsl_rng *r = new_rng(78);
  double *x = alloc_series(n), *e = alloc_series(n * R), *m = alloc_series(n * R);
  for (size_t k = 0; k < R; k++) {
    ar1(r, a, x, n);
    for (size_t i = 0; i < n; i++) e[i * R + k] = x[i];
  }
  gaussian(r, 0.0, 1.0, m, n * R);
  ceas_measure_series s = {.e = e, .m = m, .n = n, .n_spins = 16, .beta = 0.3, .replicas = R};
  ceas_measure_result res;
  cr_assert_eq(ceas_measure_analyze(&s, &res), 0, "%s", ceas_error_message());
  double exact = sqrt(2.0 * ar1_tau(a) / (double)(n * R));
  double nb = (double)res.n_bins;
  double bias = fabs(ar1_bin_error(a, res.bin_size, res.n_bins) / sqrt(2.0 * ar1_tau(a) / (double)n) - 1.0);
  NEAR(res.obs[CEAS_OBS_ENERGY].error / exact, 1.0, 4.0 / sqrt(2.0 * nb) + bias,
       "replica-averaged error / exact");
  NEAR(res.obs[CEAS_OBS_ENERGY].mean, 0.0, 4.0 * exact, "mean");
  NEAR(res.obs[CEAS_OBS_ENERGY].tau_int, ar1_tau(a), 4.0 * res.obs[CEAS_OBS_ENERGY].tau_int_err,
       "tau of the average");
  free(x), free(e), free(m);
  gsl_rng_free(r);
}
