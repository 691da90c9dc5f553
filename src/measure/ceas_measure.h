/*
 * ceas_measure — statistics of Monte Carlo time series: binning, jackknife,
 * integrated autocorrelation time, and the standard Ising observables with
 * error bars.
 *
 * Conventions (see shared/REFERENCES.md): per-spin energy e = E/N, per-spin
 * magnetisation m = M/N, N spins, inverse temperature beta.
 *
 *   energy                    <e>                               binning error
 *   abs_magnetization         <|m|>                             binning error
 *   m2, m4                    <m^2>, <m^4>                      binning error
 *   specific_heat             beta^2 N (<e^2> - <e>^2)          jackknife
 *   susceptibility            beta N <m^2>                      binning error
 *   susceptibility_connected  beta N (<m^2> - <|m|>^2)          jackknife
 *   binder                    1 - <m^4> / (3 <m^2>^2)           jackknife
 *   xi_2nd                    sqrt(<S(0)>/<F> - 1) / (2 sin(pi/L)), lattices only;
 *                             S(0) = N m^2, F = |sum_x s_x e^{i k.x}|^2 / N at
 *                             |k| = 2 pi / L averaged over the d lattice
 *                             directions; jackknife
 *
 * Error bars. All observables of one run share one bin size B, chosen by
 * ceas_measure_bin_size from tau_int(max over e, |m|, m^2): the smallest power
 * of two with B >= CEAS_MEASURE_BIN_TAUS tau_int, provided this leaves at least
 * CEAS_MEASURE_MIN_BINS bins; otherwise the largest power of two that does, and
 * the result is flagged not converged (the run was too short for its
 * autocorrelation time). Means get the standard error of the bin means;
 * nonlinear observables get a bias-corrected delete-one-bin jackknife estimate and
 * its error.
 *
 * tau_int uses Sokal's automatic window: tau(W) = 1/2 + sum_{t=1}^{W} rho(t) with
 * the smallest W >= c tau(W) (c = CEAS_MEASURE_WINDOW_C); its error is the
 * Madras–Sokal estimate tau sqrt(2 (2W + 1) / n). With this convention the
 * variance of the mean of n samples is 2 tau_int sigma^2 / n.
 *
 * Memory: callers own every array; nothing here keeps state between calls.
 */
#ifndef CEAS_MEASURE_H
#define CEAS_MEASURE_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The bin-size rule of every binned error bar in ceasim (measure, anneal pt,
 * bench --tau): bins of >= CEAS_MEASURE_BIN_TAUS tau_int, so that the bin means
 * are nearly independent (an AR(1) series' binned variance is within 1/16 of its
 * asymptote at 16 tau), and >= CEAS_MEASURE_MIN_BINS of them, so that the error
 * bar itself is known to sqrt(1 / (2 (nb - 1))) = 13% (16 bins: 18%) and the
 * jackknife's O(1/nb) bias correction is small. */
#define CEAS_MEASURE_MIN_BINS 32
#define CEAS_MEASURE_BIN_TAUS 16
#define CEAS_MEASURE_WINDOW_C 6.0

/* ---- generic estimators ------------------------------------------------- */

/* Integrated autocorrelation time by automatic windowing. n >= 2. A constant
 * series gives tau = 0.5, error 0, window 0. */
int ceas_measure_tau_int(const double *x, size_t n, double *tau,
                         double *tau_err, size_t *window);

/* Means of consecutive bins of size b (the n % b samples at the start are
 * dropped: they are the ones nearest thermalisation). Writes n / b values. */
void ceas_measure_bin(const double *x, size_t n, size_t b, double *bins);

/* Mean and standard error of the mean of n values treated as independent. */
void ceas_measure_mean_error(const double *x, size_t n, double *mean,
                             double *error);

/* Standard error of the mean from the n / b means of bins of size b (the n % b
 * samples at the start dropped, as ceas_measure_bin does), without allocating; NaN
 * if fewer than 2 bins. */
double ceas_measure_binned_error(const double *x, size_t n, size_t b);

/* Bin size for the error of the mean of n samples whose integrated
 * autocorrelation time is tau (in samples): the smallest power of two
 * B >= CEAS_MEASURE_BIN_TAUS tau if n / B >= CEAS_MEASURE_MIN_BINS, otherwise the
 * largest power of two that leaves that many bins (1 when n <
 * CEAS_MEASURE_MIN_BINS). *long_enough (may be NULL) is 1 when the returned bins
 * span >= CEAS_MEASURE_BIN_TAUS tau and number >= CEAS_MEASURE_MIN_BINS, 0
 * otherwise (a NaN tau included): the binned error is then an underestimate.
 * Cannot fail. */
size_t ceas_measure_bin_size(double tau, size_t n, int *long_enough);

/* Binning analysis: for b = 1, 2, 4, ... while n / b >= CEAS_MEASURE_MIN_BINS,
 * the error of the mean from bins of size b. Writes at most `cap` levels into
 * err[] and returns the number written. */
size_t ceas_measure_binning_levels(const double *x, size_t n, double *err,
                                   size_t cap);

/* Jackknife over nbins bins of k series, stored row-major: bins[i * k + j] is
 * bin i of series j. f maps k means to the estimate. Returns the bias-corrected
 * estimate nb f(all) - (nb - 1) mean_i f(without bin i) and its error. */
typedef double (*ceas_measure_fn)(const double *means, void *ctx);
int ceas_measure_jackknife(const double *bins, size_t nbins, size_t k,
                           ceas_measure_fn f, void *ctx, double *value,
                           double *error);

/* ---- statistical efficiency ------------------------------------------- */

/* Statistical efficiency of a Monte Carlo time series (`ceasim bench --tau`).
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
 *          (ceas_measure_tau_int), usable with fewer autocorrelation times than
 *          binning but only as good as the windowed tau.
 * Units: tau, window and bin in samples of x; the rest in those of x and var. */
typedef struct {
  double mean, err;       /* mean of x, binned error of that mean */
  double var_x;           /* variance of x itself */
  double tau, tau_err;    /* tau_int of x in samples, Madras–Sokal error */
  size_t window, bin, nbins;
  int bins_ok;            /* bin >= 16 tau with >= CEAS_MEASURE_MIN_BINS bins */
  double n_eff_binned, n_eff_tau;
  double n_eff_rel_err;   /* relative error of n_eff_binned: sqrt(2 / (nbins - 1)) */
} ceas_measure_neff;

/* n >= 2 * CEAS_MEASURE_MIN_BINS. Fills *o (caller-owned); returns
 * ceas_measure_tau_int's status (CEAS_EINPUT for NULL, n < 2 or a non-finite
 * sample, *o then unspecified). */
int ceas_measure_neff_compute(const double *x, size_t n, double var, ceas_measure_neff *o);

/* ---- Ising observables -------------------------------------------------- */

enum {
  CEAS_OBS_ENERGY,
  CEAS_OBS_ABS_M,
  CEAS_OBS_M2,
  CEAS_OBS_M4,
  CEAS_OBS_SPECIFIC_HEAT,
  CEAS_OBS_SUSCEPTIBILITY,
  CEAS_OBS_SUSCEPTIBILITY_CONNECTED,
  CEAS_OBS_BINDER,
  CEAS_OBS_XI_2ND,
  CEAS_OBS_COUNT
};

/* What each observable is, in CEAS_OBS_* order: X(name, units, description).
 * The HDF5/CLI names and the `units` and `description` attributes of every file
 * that holds observables (run and task files, summary.h5, analysis.h5) come from
 * here. Units: J the coupling, k_B = 1, so beta is in 1/J; e = E/N and m = M/N
 * are per spin. */
#define CEAS_MEASURE_OBS_DOCS(X)                                                        \
  X("energy", "J per spin", "<e>, the mean energy per spin e = E/N")                    \
  X("abs_magnetization", "dimensionless (per spin)",                                    \
    "<|m|>, the mean absolute magnetization per spin m = M/N")                          \
  X("m2", "dimensionless", "<m^2>, m = M/N")                                            \
  X("m4", "dimensionless", "<m^4>, m = M/N")                                            \
  X("specific_heat", "k_B per spin (dimensionless)",                                    \
    "specific heat per spin C = beta^2 N (<e^2> - <e>^2)")                              \
  X("susceptibility", "1/J", "susceptibility per spin chi = beta N <m^2>")              \
  X("susceptibility_connected", "1/J",                                                  \
    "connected susceptibility per spin chi' = beta N (<m^2> - <|m|>^2)")                \
  X("binder", "dimensionless", "Binder cumulant U4 = 1 - <m^4> / (3 <m^2>^2)")          \
  X("xi_2nd", "lattice spacings",                                                       \
    "second-moment correlation length sqrt(chi/F - 1) / (2 sin(pi/L)), F the "          \
    "structure factor at the smallest nonzero wave vector (NaN on graphs)")

/* HDF5/CLI name of an observable, e.g. "abs_magnetization". */
const char *ceas_measure_obs_name(int obs);

typedef struct {
  double mean;
  double error;
  double tau_int;     /* NaN where not defined (nonlinear observables) */
  double tau_int_err; /* NaN where not defined */
  int defined;        /* 0 e.g. for xi_2nd on a graph: mean/error are NaN */
} ceas_measure_value;

typedef struct {
  ceas_measure_value obs[CEAS_OBS_COUNT];
  size_t bin_size;
  size_t n_bins;
  int converged; /* 0 if fewer than 16 tau_int per bin could be afforded */
} ceas_measure_result;

/* Inputs: n measurements of e (per spin), m (per spin) and, for lattices, F (as
 * defined above; pass NULL for graphs), the number of spins, beta, and the linear
 * size L (ignored when F is NULL). n must be >= 2 * CEAS_MEASURE_MIN_BINS.
 *
 * Replicas (replicas = R > 1; 0 and 1 mean one chain): R chains measured at the
 * same n times, stored time-major (e[t * R + r] is replica r at time t), e.g.
 * the replicas of one multi-spin-coded word, which share random numbers and are
 * therefore NOT independent. Every <.> is then the mean over all n R samples,
 * tau_int is that of the replica-averaged series (in measurements), the bin size
 * is chosen from it as above, and a bin holds b consecutive times with all their
 * replicas: errors come from the scatter of time bins only, so they are right
 * whatever the correlation between replicas (R identical replicas give exactly
 * the one-chain result). */
typedef struct {
  const double *e;
  const double *m;
  const double *f;
  size_t n;
  double n_spins;
  double beta;
  long L;
  size_t replicas;
} ceas_measure_series;

int ceas_measure_analyze(const ceas_measure_series *s, ceas_measure_result *r);

/* The table `ceasim run` prints: a header line, one line per defined observable
 * (name, mean, error, "tau_int +- error" where defined), then the bins the errors
 * come from, with a warning when the result is not converged. */
void ceas_measure_result_print(FILE *out, const ceas_measure_result *r);

/* ---- exact references ---------------------------------------------------- */

/* Exact energy and specific heat per spin of the L x L periodic Ising model
 * (J = 1, h = 0) at inverse temperature beta: Kaufman (1949), in the form of
 * Ferdinand & Fisher (1969), with analytic K-derivatives. L >= 2. The demo
 * prints these beside its measurements. */
int ceas_measure_exact_ising2d(long L, double beta, double *e, double *c);

#ifdef __cplusplus
}
#endif

#endif
