/*
 * ceas_analysis — what a sweep directory says about the critical point:
 * multi-histogram reweighting per linear size, peaks, crossings, finite-size
 * scaling fits, a data-collapse measure, and the zeta_CE / dynamic-exponent fits.
 * docs/analysis.md describes the estimators, the choices made and the layout of
 * analysis.h5.
 *
 * Conventions are those of ceas_measure.h: e = E/N, m = M/N per spin, N spins,
 * C = beta^2 N (<e^2> - <e>^2), chi' = beta N (<m^2> - <|m|>^2),
 * U4 = 1 - <m^4> / (3 <m^2>^2), xi = sqrt(N <m^2> / <F> - 1) / (2 sin(pi/L)).
 *
 * Errors everywhere are delete-one-block jackknife errors: every run is cut into
 * the same number B of consecutive blocks, and jackknife sample b drops block b of
 * every run at once (of every size, too), so that anything computed from several
 * runs or sizes (free energies, crossings) gets its error from the same B samples.
 * "sample" arguments are -1 for the full data and 0..B-1 for jackknife sample b.
 *
 * Memory: callers own their arrays; objects returned by *_create are freed with
 * the matching *_free. Evaluation functions allocate nothing and cannot fail.
 */
#ifndef CEAS_ANALYSIS_H
#define CEAS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ceas_options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- multi-histogram reweighting --------------------------------------- */

/* Quantities of a reweighted ensemble. */
enum {
  CEAS_RW_ENERGY,                   /* <e> */
  CEAS_RW_SPECIFIC_HEAT,            /* beta^2 N (<e^2> - <e>^2) */
  CEAS_RW_ABS_M,                    /* <|m|> */
  CEAS_RW_M2,                       /* <m^2> */
  CEAS_RW_M4,                       /* <m^4> */
  CEAS_RW_SUSCEPTIBILITY,           /* beta N <m^2> */
  CEAS_RW_SUSCEPTIBILITY_CONNECTED, /* beta N (<m^2> - <|m|>^2) */
  CEAS_RW_BINDER,                   /* 1 - <m^4> / (3 <m^2>^2) */
  CEAS_RW_XI_OVER_L,                /* xi_2nd / L (NaN without F) */
  CEAS_RW_DBINDER_DBETA,            /* d U4 / d beta */
  CEAS_RW_DXI_OVER_L_DBETA,         /* d (xi/L) / d beta */
  CEAS_RW_COUNT
};

/* Dataset name of a quantity ("binder", "xi_over_L", ...); NULL out of range. */
const char *ceas_analysis_rw_name(int q);

/* One Markov chain at inverse temperature beta (h = 0): n per-spin samples of
 * e, m and, on lattices, F (NULL otherwise). tau is its integrated
 * autocorrelation time of the energy (ceas_measure convention, >= 0.5): the run
 * is weighted by its effective sample number n / (2 tau). tau <= 0 means
 * "estimate it here".
 * replicas = R > 1: R chains measured together (a replica-packed kernel), the n
 * samples time-major with n a multiple of R; jackknife blocks then cut between
 * times, never between the replicas of one time, and tau must be the effective
 * one of the n samples (n / (2 tau) independent samples in all; it is not
 * estimated here). */
typedef struct {
  double beta;
  size_t n;
  const double *e, *m, *f;
  double tau;
  size_t replicas;
} ceas_analysis_rw_run;

typedef struct ceas_analysis_rw ceas_analysis_rw;

/* The effective tau of a replica-packed run for ceas_analysis_rw_run: e holds n
 * times of R replicas (time-major), tau_avg is the integrated autocorrelation
 * time of the replica-averaged energy (ceas_measure_analyze's with replicas = R).
 * tau_eff = R tau_avg var(replica average) / var(single sample): tau_avg for
 * independent replicas, R tau_avg for identical ones. */
double ceas_analysis_packed_tau(const double *e, size_t n, size_t R, double tau_avg);

/* Ferrenberg–Swendsen multi-histogram reweighting of k >= 1 runs of one system
 * (n_spins spins, linear size L for xi) with n_blocks jackknife blocks per run
 * (2 <= n_blocks <= the shortest run). Solves the free energies of the full data
 * and of every jackknife sample. The series are copied into sufficient
 * statistics: the caller may free them afterwards. CEAS_EINPUT on bad
 * arguments (naming them), CEAS_ENOMEM, CEAS_EINTERNAL if the free energies do
 * not converge. */
int ceas_analysis_rw_create(const ceas_analysis_rw_run *runs, size_t k,
                            double n_spins, long L, size_t n_blocks,
                            ceas_analysis_rw **out);
void ceas_analysis_rw_free(ceas_analysis_rw *rw);

/* All CEAS_RW_COUNT quantities at beta for the full data (sample -1) or
 * jackknife sample 0..B-1. */
void ceas_analysis_rw_eval(const ceas_analysis_rw *rw, double beta, int sample,
                           double v[CEAS_RW_COUNT]);
/* Full-data values and their jackknife errors. */
void ceas_analysis_rw_eval_error(const ceas_analysis_rw *rw, double beta,
                                 double v[CEAS_RW_COUNT],
                                 double err[CEAS_RW_COUNT]);

typedef struct {
  size_t n_runs, n_blocks, n_energies; /* distinct total energies seen */
  double beta_min, beta_max;           /* simulated range */
  double lo, hi;       /* range to evaluate in: the simulated range widened by
                          1/sigma_E of the outermost runs (see docs) */
  double min_overlap;  /* smallest Bhattacharyya overlap of the reweighted energy
                          distributions of neighbouring simulated betas (1 for a
                          single beta) */
  double n_spins;
  long L;
} ceas_analysis_rw_info;
void ceas_analysis_rw_get_info(const ceas_analysis_rw *rw,
                               ceas_analysis_rw_info *info);
/* ln Z(beta_k) - ln Z(beta_0) of run k for the full data (tests, diagnostics). */
double ceas_analysis_rw_free_energy(const ceas_analysis_rw *rw, size_t k);

/* ---- curves: peaks, crossings, values with jackknife errors ------------- */

/* A function of beta with jackknife samples: fn(beta, sample, which, ctx).
 * `which` selects the value (which_value) or its beta-derivative (which_slope,
 * -1 if none). lo..hi is where it may be evaluated; sampled_lo..sampled_hi is
 * the part backed by simulations (set both to lo, hi for a curve known
 * everywhere; crossings outside it are refused); L labels the size. */
typedef double (*ceas_analysis_curve_fn)(double beta, int sample, int which,
                                         void *ctx);
typedef struct {
  ceas_analysis_curve_fn fn;
  void *ctx;
  int which_value, which_slope;
  double lo, hi;
  double L;
  size_t n_blocks;
  double sampled_lo, sampled_hi;
} ceas_analysis_curve;

/* The curve of quantity q (slope dq, or -1) of a reweighting. */
void ceas_analysis_rw_curve(const ceas_analysis_rw *rw, int q, int dq,
                            ceas_analysis_curve *c);

typedef struct {
  int found;          /* 0: the maximum is at an end of lo..hi (not bracketed) */
  double beta, beta_error;
  double value, value_error;
} ceas_analysis_peak;

/* Maximum of the curve: the largest of `grid` equally spaced values, refined by
 * Brent's method between its neighbours, for the full data and every jackknife
 * sample. An error is NaN if some jackknife sample has no interior maximum. */
int ceas_analysis_peak_find(const ceas_analysis_curve *c, size_t grid,
                            ceas_analysis_peak *p);

/* Why a sign change of b - a was not accepted as a crossing. */
typedef enum {
  CEAS_CROSSING_ACCEPTED = 0,
  CEAS_CROSSING_NO_SIGN_CHANGE,     /* b - a keeps its sign in the common range */
  CEAS_CROSSING_OUTSIDE_SAMPLED,    /* the root lies where a curve is extrapolated */
  CEAS_CROSSING_NOT_SIGNIFICANT,    /* b - a does not leave zero by more than
                                       CEAS_CROSSING_SIGMA errors on both sides */
  CEAS_CROSSING_NO_ERROR            /* fewer than 2 jackknife blocks: untestable */
} ceas_analysis_crossing_status;

/* Errors of b - a that the difference must exceed, with opposite signs, below and
 * above a crossing inside the sampled range: a pair of curves that only touch
 * within their noise (both sizes deep in one phase, U4 -> 0) has sign changes
 * everywhere, and the one picked would be noise. */
#define CEAS_CROSSING_SIGMA 2.0

/* One line naming the status (static storage). */
const char *ceas_analysis_crossing_status_name(ceas_analysis_crossing_status s);

typedef struct {
  int found;            /* 1: an accepted crossing (status CEAS_CROSSING_ACCEPTED) */
  ceas_analysis_crossing_status status;
  /* Largest |b - a| / error reached below and above the root, with the sign the
   * root's bracket has there, inside the sampled range (searched outward until
   * CEAS_CROSSING_SIGMA is reached); NaN without a sign change. */
  double z_below, z_above;
  double L1, L2;
  double beta, beta_error;
  double value, value_error;     /* the common value at the crossing */
  double slope1, slope1_error;   /* slopes at the crossing (NaN without) */
  double slope2, slope2_error;
  double inv_nu, inv_nu_error;   /* ln(slope2/slope1) / ln(L2/L1) */
} ceas_analysis_crossing;

/* Crossing of curves a (size L1) and b (size L2 > L1) in the overlap of their
 * ranges: the sign change of b - a from below to above (the ordering of U4 and
 * xi/L across beta_c) with the steepest difference, else any sign change;
 * refined by Brent's root finder; jackknife samples take the sign change nearest
 * to the full-data crossing. Both curves must have the same n_blocks.
 * A root outside the common sampled range, or one that is not significant (see
 * CEAS_CROSSING_SIGMA), is refused: found = 0, status says why, and beta, value
 * keep the refused root for the report (their errors stay NaN). */
int ceas_analysis_crossing_find(const ceas_analysis_curve *a,
                                const ceas_analysis_curve *b, size_t grid,
                                ceas_analysis_crossing *x);

/* Value (or slope: slope != 0) of the curve at a fixed beta with jackknife
 * error. */
void ceas_analysis_curve_at(const ceas_analysis_curve *c, double beta, int slope,
                            double *value, double *error);

/* Jackknife error of n samples v[0..n-1] (NaN if any is NaN or n < 2). */
double ceas_analysis_jackknife_error(const double *v, size_t n);

/* ---- weighted least-squares fits (gsl_multifit_nlinear) ----------------- */

typedef enum {
  CEAS_FIT_SHIFT,      /* y = beta_c + a L^-x                    (beta_c, a, x) */
  CEAS_FIT_SHIFT_CORR, /* y = beta_c + a L^-x + b L^-(x+omega)   (beta_c, a, x, b, omega) */
  CEAS_FIT_POWER_LOG,  /* y = A L^p, fitted as ln y = ln A + p ln L, sigma = dy/y (A, p) */
  CEAS_FIT_ZETA,       /* y = A / max(u, u_min)^nu, u = |x - beta_c| / beta_c
                          (A, nu, beta_c, u_min) */
  CEAS_FIT_POWER_BG,   /* y = A L^p + B: power law with an analytic background (A, p, B) */
  CEAS_FIT_MODEL_COUNT
} ceas_analysis_fit_model;

#define CEAS_ANALYSIS_FIT_MAXPAR 5

typedef struct {
  ceas_analysis_fit_model model;
  int ok;                /* 0: too few points or no convergence (note says why) */
  char note[160];
  size_t n_par, n_free, n_points;
  double par[CEAS_ANALYSIS_FIT_MAXPAR];
  double err[CEAS_ANALYSIS_FIT_MAXPAR]; /* 0 for fixed parameters */
  int fixed[CEAS_ANALYSIS_FIT_MAXPAR];
  double chi2;
  long dof;              /* n_points - n_free */
  double chi2_per_dof;   /* NaN when dof = 0 */
  double error_scale;    /* sqrt(chi2/dof) if > 1 (errors multiplied by it), else 1 */
} ceas_analysis_fit;

const char *ceas_analysis_fit_formula(ceas_analysis_fit_model model);
const char *ceas_analysis_fit_param_name(ceas_analysis_fit_model model, size_t i);
size_t ceas_analysis_fit_n_par(ceas_analysis_fit_model model);

/* Fits the model to n points (x, y +- dy), dy > 0; points with a non-finite
 * value or error, or dy <= 0, are left out. p_init holds a starting value for
 * every parameter (the value used for fixed ones); fixed may be NULL (all free).
 * Returns CEAS_OK with out->ok = 0 and a note when the fit cannot be done (fewer
 * points than free parameters, no convergence); CEAS_EINPUT for bad arguments,
 * CEAS_ENOMEM. */
int ceas_analysis_fit_run(ceas_analysis_fit_model model, const double *x,
                          const double *y, const double *dy, size_t n,
                          const double *p_init, const int *fixed,
                          ceas_analysis_fit *out);
/* The fitted function at x (for plotting and tests). */
double ceas_analysis_fit_eval(const ceas_analysis_fit *fit, double x);

/* ---- data collapse ------------------------------------------------------ */

/* Houdayer & Hartmann (PRB 70, 014418, 2004) quality of the collapse of points
 * (L_i, beta_i, y_i +- dy_i) plotted against x = (beta - beta_c) L^(1/nu): for
 * every point, a weighted straight line through the nearest points on either
 * side of its x from each other size predicts it; S is the mean of
 * (y - Y)^2 / (dy^2 + dY^2) over the n_terms points that have such neighbours.
 * S ~ 1 for a collapse within the errors. Only points with |x| <= x_window take
 * part (INFINITY: all). S = NaN if no point has neighbours. */
int ceas_analysis_collapse_S(const double *L, const double *beta, const double *y,
                             const double *dy, size_t n, double beta_c, double nu,
                             double x_window, double *S, size_t *n_terms);

typedef struct {
  int ok;
  double beta_c, beta_c_error;
  double nu, nu_error;
  double S_min;
  size_t n_terms;
} ceas_analysis_collapse;

/* Minimises S over (beta_c, nu) from a starting point (Nelder–Mead); fixed[0],
 * fixed[1] (or NULL) hold beta_c or nu at the start value. Errors: parametric
 * bootstrap (every point moved by a Gaussian of its error bar, re-optimised, 40
 * replicas with a fixed seed), multiplied by sqrt(S_min) when S_min > 1. */
int ceas_analysis_collapse_optimize(const double *L, const double *beta,
                                    const double *y, const double *dy, size_t n,
                                    double beta_c0, double nu0, const int fixed[2],
                                    double x_window, ceas_analysis_collapse *out);

/* ---- sweep directories --------------------------------------------------- */

/* What one task file says about itself (root attributes, series length). */
typedef struct {
  char *path;
  char model[32];
  char algo[32];
  long L, dim;
  double n_spins, beta, h;
  int64_t replica;   /* -1 if the file has no replica attribute */
  uint64_t measure_every; /* sweeps between measurements (1 if not recorded) */
  size_t n;          /* measurements */
  size_t packed;     /* values per measurement: packed_replicas of a replica-packed
                        kernel (n x packed datasets), else 1 */
  int has_f;         /* /timeseries/structure_factor_kmin present */
} ceas_analysis_task_info;

/* Lists DIR/tasks/ *.h5 (sorted by name; hidden files, e.g. temporaries of a
 * running sweep, are ignored) and reads each file's attributes and series
 * lengths. A file that cannot be read, lacks a required attribute or dataset, or
 * has series of unequal or too short length is reported on `warn` (one line
 * naming it) and skipped; *skipped counts them. CEAS_EINPUT if DIR or DIR/tasks
 * is missing or holds no task file at all, or if nothing usable is left. */
int ceas_analysis_scan_dir(const char *dir, FILE *warn,
                           ceas_analysis_task_info **tasks, size_t *n,
                           size_t *skipped);
void ceas_analysis_tasks_free(ceas_analysis_task_info *tasks, size_t n);

/* Reads a task's series (f NULL if it has none); the caller frees them. */
int ceas_analysis_task_load(const ceas_analysis_task_info *t, double **e,
                            double **m, double **f);

/* ---- the whole analysis: `ceasim analyze` -------------------------------- */

typedef struct {
  const char *dir;
  const char *out;          /* NULL: DIR/analysis.h5 (replacing an earlier one) */
  int force;                /* allow an explicit `out` to be replaced */
  size_t grid;              /* points of each reweighted curve [201] */
  size_t blocks;            /* jackknife blocks per run [20] */
  double beta_c;            /* NaN: estimate; else fixed where it is an input */
  double nu;                /* NaN: estimate; else fixed in shift fits, collapse */
  double omega;             /* NaN: model default (1.75 ising2d, 0.83 ising3d) */
  double collapse_window;   /* |x| <= window in the collapse measure [inf] */
  int zeta_ce;              /* run the zeta_CE and z fits */
  double u_min;             /* >= 0 [0] */
  double xi_max_frac;       /* zeta_CE points need xi_2nd <= frac L [1/6] */
  const char *command_line; /* stored in the file */
  FILE *report;             /* tables (stdout), NULL for none */
  FILE *warn;               /* warnings (stderr), NULL for none */
  FILE *notes;              /* notes, i.e. what limited the analysis (stderr), NULL for
                               none; they are stored in the file's `notes` either way */
} ceas_analysis_options;

void ceas_analysis_options_default(ceas_analysis_options *o);

/* The options of `ceasim analyze` (out, force, quiet, grid, blocks, beta-c, nu,
 * omega, collapse-window, zeta-ce, u-min, xi-max-frac) with their help and
 * defaults; quiet sets report and notes to NULL. */
extern const ceas_option ceas_analysis_option_table[];
/* One of them by its name without "--" (strings kept, not copied): CEAS_OK, or
 * CEAS_EINPUT naming --key (an unknown key too); ranges are ceas_analysis_run's. */
int ceas_analysis_option_set(ceas_analysis_options *o, const char *key, const char *value);

/* Checks the options (CEAS_EINPUT naming the option), reads DIR, analyses and
 * writes the output atomically. Nothing is written on any error. */
int ceas_analysis_run(const ceas_analysis_options *o);

#ifdef __cplusplus
}
#endif

#endif
