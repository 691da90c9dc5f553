/* Internal state of one `ceasim analyze` pass, shared by the driver (driver.c),
 * its steps (sizes.c: 1-2, fss.c: 3-6), the report (report.c) and the writer of
 * analysis.h5 (output.c). Not installed. */
#ifndef CEAS_ANALYSIS_PRIVATE_H
#define CEAS_ANALYSIS_PRIVATE_H

#include <hdf5.h>

#include "ceas_analysis.h"
#include "ceas_measure.h"

/* One task that made it into the analysis, with its own direct estimates. */
typedef struct {
  const ceas_analysis_task_info *info;
  ceas_measure_result res;
} ana_point;

typedef struct {
  long L;
  size_t first, count; /* points[first .. first+count) */
  ceas_analysis_rw *rw;
  ceas_analysis_rw_info info;
  size_t grid;
  double *beta;                     /* grid */
  double *val[CEAS_RW_COUNT], *err[CEAS_RW_COUNT];
  ceas_analysis_peak peak_c, peak_chi;
  size_t short_blocks; /* runs whose jackknife blocks are < 16 tau_int */
} ana_size;

/* A fit together with the points it was given. */
typedef struct {
  const char *name;        /* group name under /fss or /zeta_ce */
  const char *what;        /* one line: what is fitted to what */
  const char *x_name;      /* meaning of the x column */
  const char *y_name;      /* meaning of the y column */
  int attempted;
  ceas_analysis_fit fit;
  size_t n;
  double *x, *y, *dy;
} ana_fit;

typedef struct {
  const char *name; /* "binder" or "xi_over_L" */
  size_t n;         /* number of pairs */
  ceas_analysis_crossing *c;
} ana_crossings;

typedef struct {
  const char *quantity; /* "binder" or "xi_over_L" */
  int done;
  double beta_c, nu;     /* where S was evaluated */
  double S;
  size_t n_terms;
  ceas_analysis_collapse opt;
} ana_collapse;

typedef struct {
  double value, error;
  int ok;
  char source[96];
} ana_estimate;

typedef struct {
  char algo[32];
  ana_fit fit; /* tau_int(|m|) = A xi^z */
} ana_zfit;

typedef struct {
  const ceas_analysis_options *o;
  char model[32];
  long dim;
  int known;                 /* exact / best-known values below are set */
  int has_xi;                /* every task has F: xi_2nd, xi/L crossings, zeta_CE */
  double exact_beta_c, exact_nu, exact_gamma_over_nu;
  double omega;
  size_t n_tasks_found, n_tasks_skipped;
  ceas_analysis_task_info *tasks;
  size_t n_tasks;
  ana_point *points;
  size_t n_points;
  ana_size *sizes;
  size_t n_sizes;
  ana_crossings cross[2]; /* 0 binder, 1 xi_over_L */
  double nu0;             /* exponent used to fix shift exponents (NaN if none) */
  char nu0_source[96];
  ana_fit fits[10];
  size_t n_fits;
  double slope_beta; /* beta at which the slopes were taken */
  double *slope_L, *slope_xi, *slope_xi_err, *slope_u4, *slope_u4_err;
  size_t n_slopes;
  ana_collapse collapse[2];
  ana_estimate beta_c, nu, gamma_over_nu;
  /* zeta_CE */
  int zeta_done;
  double zeta_beta_c;
  char zeta_beta_c_source[96];
  ana_fit zeta;
  double *zeta_L, *zeta_u, *zeta_tau, *zeta_tau_err;
  ana_zfit *z;
  size_t n_z;
  /* notes for the file, one per line */
  char *notes;
  size_t notes_len, notes_cap;
} ana_state;

int ceas_analysis_write_output(const ana_state *s, hid_t file);

/* driver.c: a note for the file's notes and o->notes (dropped, not an error, when
 * out of memory); a fit's point arrays for n points (CEAS_ENOMEM). */
void ana_note(ana_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ana_fit_points(ana_fit *f, size_t n);

/* The steps in the driver's order; each returns a CEAS_ status with its message. */
int ana_select_tasks(ana_state *s);        /* sizes.c */
int ana_build_sizes(ana_state *s);         /* sizes.c */
int ana_find_crossings(ana_state *s);      /* fss.c */
int ana_finite_size_scaling(ana_state *s); /* fss.c */
int ana_zeta_ce(ana_state *s);             /* fss.c */
void ana_report(const ana_state *s);       /* report.c: nothing without o->report */

#endif
