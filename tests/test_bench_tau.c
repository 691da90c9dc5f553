/*
 * Specification of the n_eff computation of `ceasim bench --tau`
 * (ceas_measure_neff_compute) on series whose answer is known in closed form.
 *
 * AR(1) with coefficient a and unit variance: rho(t) = a^t, tau_int =
 * (1 + a) / (2 (1 - a)), so one chain of n samples is worth n / (2 tau_int)
 * independent ones; with finite bins of b samples the binned error estimates
 * var(bin mean) = (1/b) [1 + 2 sum_{t<b} (1 - t/b) a^t], which is what the
 * binned n_eff must match (it approaches n / (2 tau) as b / tau grows).
 * Replicas sharing a common component, x_r = sqrt(c) z + sqrt(1 - c) e_r (z, e_r
 * independent AR(1) with the same a), have var(x_r) = 1 and a replica average
 * of variance c + (1 - c) / R, itself an AR(1) with the same a: R replicas are
 * worth 1 / (c + (1 - c) / R) chains.
 * Tolerances: the binned error squared of nb bins has relative standard
 * deviation sqrt(2 / (nb - 1)) (chi-square); Sokal's tau has the Madras–Sokal
 * error; both at 5 sigma.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "ceas_core.h"
#include "ceas_measure.h"

static double ar1_tau(double a) { return (1.0 + a) / (2.0 * (1.0 - a)); }

/* var(mean of b consecutive samples) * b of the unit-variance AR(1). */
static double ar1_bin_factor(double a, size_t b) {
  double s = 1.0, p = 1.0;
  for (size_t t = 1; t < b; t++) {
    p *= a;
    s += 2.0 * (1.0 - (double)t / (double)b) * p;
  }
  return s;
}

static void ar1(gsl_rng *r, double a, double *x, size_t n) {
  double s = sqrt(1.0 - a * a);
  x[0] = gsl_ran_gaussian(r, 1.0);
  for (size_t i = 1; i < n; i++) x[i] = a * x[i - 1] + s * gsl_ran_gaussian(r, 1.0);
}

Test(bench_neff, one_ar1_chain_is_worth_n_over_2tau) {
  const double a = 0.9;
  const size_t n = (size_t)1 << 20;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12345);
  double *x = malloc(n * sizeof *x);
  cr_assert_not_null(x);
  ar1(r, a, x, n);
  double mu = 0, m2 = 0;
  for (size_t i = 0; i < n; i++) {
    mu += x[i];
    m2 += x[i] * x[i];
  }
  mu /= (double)n;
  double var = m2 / (double)n - mu * mu;
  ceas_measure_neff o;
  cr_assert_eq(ceas_measure_neff_compute(x, n, var, &o), 0);
  double tau = ar1_tau(a);
  cr_assert(o.bins_ok, "2^20 samples hold >= 32 bins of >= 16 tau = 152");
  cr_assert(o.bin >= 16 * tau && o.bin < 32 * tau, "bin %zu: the smallest power of 2 >= 16 tau",
            o.bin);
  /* Expected binned n_eff: var / (factor(b) / n) with the sample variance. */
  double want = var * (double)n / ar1_bin_factor(a, o.bin);
  double tol = 5.0 * sqrt(2.0 / (double)(o.nbins - 1)) * want;
  cr_assert(fabs(o.n_eff_binned - want) <= tol, "binned n_eff %g, want %g +- %g",
            o.n_eff_binned, want, tol);
  /* And through tau: n / (2 tau) within the Madras–Sokal error of tau. */
  double want_tau = (double)n / (2.0 * tau);
  double tol_tau = 5.0 * (o.tau_err / o.tau) * want_tau;
  cr_assert(fabs(o.n_eff_tau - want_tau) <= tol_tau, "tau n_eff %g, want %g +- %g",
            o.n_eff_tau, want_tau, tol_tau);
  cr_assert(fabs(o.n_eff_rel_err - sqrt(2.0 / (double)(o.nbins - 1))) < 1e-12);
  free(x);
  gsl_rng_free(r);
}

Test(bench_neff, correlated_replicas_count_as_one_over_var_of_their_mean) {
  const double a = 0.8, c = 0.3;
  const int R = 16;
  const size_t n = (size_t)1 << 18;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 777);
  double *z = malloc(n * sizeof *z), *e = malloc(n * sizeof *e);
  double *avg = calloc(n, sizeof *avg);
  cr_assert(z && e && avg);
  ar1(r, a, z, n);
  double sum = 0, sum2 = 0;
  for (int k = 0; k < R; k++) {
    ar1(r, a, e, n);
    for (size_t i = 0; i < n; i++) {
      double x = sqrt(c) * z[i] + sqrt(1.0 - c) * e[i];
      avg[i] += x / R;
      sum += x;
      sum2 += x * x;
    }
  }
  /* As bench.c does: the variance of one sample over all samples and replicas. */
  double mu = sum / ((double)n * R);
  double var = sum2 / ((double)n * R) - mu * mu;
  ceas_measure_neff o;
  cr_assert_eq(ceas_measure_neff_compute(avg, n, var, &o), 0);
  cr_assert(o.bins_ok);
  double worth = 1.0 / (c + (1.0 - c) / R);
  double want = worth * (double)n / ar1_bin_factor(a, o.bin);
  /* var itself fluctuates by a few 1/sqrt(n tau) at most: far inside. */
  double tol = 5.0 * sqrt(2.0 / (double)(o.nbins - 1)) * want;
  cr_assert(fabs(o.n_eff_binned - want) <= tol, "binned n_eff %g, want %g +- %g (worth %g)",
            o.n_eff_binned, want, tol, worth);
  /* The replicas-worth figure bench reports: n_eff / (n / (2 tau_one)). */
  double got_worth = o.n_eff_binned * 2.0 * ar1_tau(a) / (double)n;
  cr_assert(got_worth > 1.5 && got_worth < R, "worth %g: between one chain and R", got_worth);
  free(z);
  free(e);
  free(avg);
  gsl_rng_free(r);
}

Test(bench_neff, short_series_flags_too_few_bins) {
  const double a = 0.99; /* tau ~ 100: 32 bins of 16 tau would need 51200 */
  const size_t n = 4096;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 9);
  double *x = malloc(n * sizeof *x);
  cr_assert_not_null(x);
  ar1(r, a, x, n);
  ceas_measure_neff o;
  cr_assert_eq(ceas_measure_neff_compute(x, n, 1.0, &o), 0);
  cr_assert(!o.bins_ok, "tau %g: %zu bins of %zu must be flagged", o.tau, o.nbins, o.bin);
  cr_assert(o.nbins >= CEAS_MEASURE_MIN_BINS);
  free(x);
  gsl_rng_free(r);
}

Test(bench_neff, bad_input_is_refused) {
  double x[64] = {0}, nan_x[64] = {0};
  ceas_measure_neff o;
  nan_x[10] = NAN;
  cr_assert_eq(ceas_measure_neff_compute(x, 64, 1.0, NULL), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_neff_compute(NULL, 64, 1.0, &o), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_neff_compute(x, 1, 1.0, &o), CEAS_EINPUT);
  cr_assert_eq(ceas_measure_neff_compute(nan_x, 64, 1.0, &o), CEAS_EINPUT);
}
