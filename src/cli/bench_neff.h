/* Statistical efficiency of a Monte Carlo time series for `ceasim bench --tau`.
 * Header-only and free of CLI state so that tests/test_bench_tau.c can check it
 * on series whose answer is known in closed form.
 *
 * Given the series x of a kernel's natural estimator of <|m|> (one chain's |m|,
 * or the replica average for replica-packed kernels) and the variance var of a
 * single sample of |m| (over all samples and replicas):
 *   err    standard error of the mean of x from bins of B samples, B =
 *          ceas_measure_bin_size(tau_int(x), n): the smallest power of two
 *          >= CEAS_MEASURE_BIN_TAUS tau_int(x), if that leaves at least
 *          CEAS_MEASURE_MIN_BINS bins (bins_ok); otherwise the largest power of two
 *          that does, which underestimates err, so the caller should prefer
 *          n_eff_tau then;
 *   n_eff_binned = var / err^2: how many independent samples of |m| the run was
 *          worth; for one chain its expectation is n / (2 tau_int);
 *   n_eff_tau = var / (2 tau_int(x) var_x / n): the same through Sokal's tau
 *          (ceas_measure.h), usable with fewer autocorrelation times than binning
 *          but only as good as the windowed tau. */
#ifndef CEAS_CLI_BENCH_NEFF_H
#define CEAS_CLI_BENCH_NEFF_H

#include <math.h>
#include <stddef.h>

#include "ceas_measure.h"

typedef struct {
  double mean, err;       /* mean of x, binned error of that mean */
  double var_x;           /* variance of x itself */
  double tau, tau_err;    /* tau_int of x in samples, Madras–Sokal error */
  size_t window, bin, nbins;
  int bins_ok;            /* bin >= 16 tau with >= CEAS_MEASURE_MIN_BINS bins */
  double n_eff_binned, n_eff_tau;
  double n_eff_rel_err;   /* relative error of n_eff_binned: sqrt(2 / (nbins - 1)) */
} bench_neff;

/* Standard error of the mean from nb = n / b bins (the first n % b samples
 * dropped, as ceas_measure_bin does), without allocating. */
static inline double bench_neff_binned_error(const double *x, size_t n, size_t b) {
  return ceas_measure_binned_error(x, n, b);
}

/* n >= 2 * CEAS_MEASURE_MIN_BINS. Returns ceas_measure_tau_int's status. */
static inline int bench_neff_compute(const double *x, size_t n, double var, bench_neff *o) {
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
  o->err = bench_neff_binned_error(x, n, b);
  o->n_eff_binned = o->err > 0 ? var / (o->err * o->err) : INFINITY;
  o->n_eff_tau = o->var_x > 0 ? var * (double)n / (2.0 * o->tau * o->var_x) : INFINITY;
  o->n_eff_rel_err = sqrt(2.0 / (double)(o->nbins - 1));
  return 0;
}

#endif
