/*
 * ceas_head_analysis — the whole-head analysis of `ceasim attention`: an
 * attention head as a Gibbs system (docs/attention.md, docs/mapping.md).
 *
 * Kept out of the attention module, which is libc/libm only (it is built alone as
 * libceasim_attention.so for Python); this layer adds the head sources (headsrc)
 * and the HDF5 writer.
 */
#ifndef CEAS_HEAD_ANALYSIS_H
#define CEAS_HEAD_ANALYSIS_H

#include <stddef.h>
#include <stdio.h>

#include "ceas_attention.h"
#include "ceas_headsrc.h"
#include "ceas_hid.h" /* hid_t only */

#ifdef __cplusplus
extern "C" {
#endif

/* The mean over the finite values and its error (sd / sqrt(count); NaN for one). */
typedef struct {
  double mean, err;
} ceas_head_mean_err;

typedef struct {
  /* The beta grid, in 1/(raw score): nb >= 3 points from b0 to b1 inclusive;
   * have_grid = 0: [0, 3 sqrt(2 ln n)/sigma_qk_mean], 301 points. */
  int have_grid;
  double b0, b1;
  long nb;
  /* Run the Newton controller from beta0 = 1/sqrt(d_k) with these parameters
   * (beta0 and beta_c are set here; beta_c = the head-mean heat peak unless
   * no_margin); `preset` names them in the file. */
  int controller, no_margin;
  ceas_attention_ctrl_params cp;
  const char *preset;
} ceas_head_analysis_params;

typedef struct {
  double beta0;            /* 1/sqrt(d_k) */
  double b0, b1;           /* the grid used */
  long nb;
  ceas_attention_scan *sc; /* the scan over the grid */
  /* Per query (n each): sigma_qk, beta* at beta0, self-consistent beta*, H at beta0. */
  double *sigma, *bstar0, *bfix, *H0;
  ceas_head_mean_err m_sigma, m_rem, m_bstar0, m_bfix, m_H0;
  /* The controller (NULL without one), its parameters and how often its clip,
   * guard and margin acted. */
  ceas_attention_ctrl_params cp;
  ceas_attention_traj *tr;
  size_t n_clip, n_margin, n_guard;
  double *per, *s;         /* owned storage */
} ceas_head_analysis;

/* Scores the loaded head, evaluates every query at beta0 (sigma, beta*, H) and its
 * self-consistent beta*, scans the grid and runs the controller if asked. *out is
 * the caller's (ceas_head_analysis_free), NULL on failure: CEAS_EINPUT for a head
 * with all-equal scores and no grid given, or a score matrix too large;
 * CEAS_ENOMEM; errors of the attention functions. */
int ceas_head_analyse(const ceas_headsrc *hs, const ceas_head_analysis_params *p,
                      ceas_head_analysis **out);
void ceas_head_analysis_free(ceas_head_analysis *r);

/* Writes the analysis into an open file (the `ceasim attention --out` layout:
 * root attributes, the beta-grid curves, query/, head/, controller/) with every
 * dataset's units and description (ceas_io_describe). `command_line` and `preset`
 * are recorded as given (may be NULL: ""). */
int ceas_head_analysis_write(hid_t f, const ceas_headsrc_spec *spec, const ceas_headsrc *hs,
                             const ceas_head_analysis *r, const char *preset,
                             const char *command_line);
/* The same as the file `path` (`ceasim attention --out`), written atomically
 * (ceas_io_write_hdf5: `force` allows replacing a file). */
int ceas_head_analysis_write_file(const ceas_headsrc_spec *spec, const ceas_headsrc *hs,
                                  const ceas_head_analysis *r, const char *preset,
                                  const char *path, int force, const char *command_line);

/* ---- `ceasim attention` as key/value options ------------------------------- */

typedef struct {
  ceas_headsrc_spec src;
  ceas_head_analysis_params p; /* cp filled by the finish step (with --controller) */
  /* Controller overrides: NAN (steps -1) = the preset's value. */
  double kappa_max, kappa_inf, tau_kappa, dbeta_max, u_min, target_offset;
  long steps;
} ceas_head_analysis_options;

/* The analysis's own options (beta, controller, preset, kappa-max, kappa-inf,
 * tau-kappa, dbeta-max, u-min, target-offset, steps, no-margin) with their help
 * and defaults; the head source's are ceas_headsrc_option_table. */
extern const ceas_option ceas_head_analysis_option_table[];

/* No grid given, no controller, preset 9k. */
void ceas_head_analysis_options_default(ceas_head_analysis_options *o);
/* One option of the two tables by its name without "--" (the strings are kept,
 * not copied): CEAS_OK, or CEAS_EINPUT naming --key (an unknown key too). */
int ceas_head_analysis_option_set(ceas_head_analysis_options *o, const char *key,
                                  const char *value);
/* After the last option: the head source's checks, controller options without
 * --controller refused, the controller's parameters (preset, then overrides) into
 * o->p.cp. CEAS_OK or CEAS_EINPUT. */
int ceas_head_analysis_options_finish(ceas_head_analysis_options *o);

/* The report `ceasim attention` prints for the analysis r of the head hs loaded
 * from o->src: the head and its source, beta0, the head means with their errors
 * (sigma_qk, the REM beta_c, beta* at beta0 and self-consistent, the per-query
 * heat peak, H and N_eff at beta0, the peak of the head-mean heat), the beta grid
 * and, with the controller, its steps, corridor, clipping and margin. */
void ceas_head_analysis_print(FILE *out, const ceas_head_analysis_options *o,
                              const ceas_headsrc *hs, const ceas_head_analysis *r);

#ifdef __cplusplus
}
#endif

#endif
