/*
 * `ceasim analyze`: from a sweep directory to analysis.h5.
 *
 * Order of the work (each step uses only what the previous ones established):
 *   1. per task: the direct estimates of ceas_measure (the per-task points);
 *   2. per size L: multi-histogram reweighting of all its runs, curves on a grid,
 *      peaks of C and chi';
 *   3. crossings of U4 and xi/L between consecutive sizes, with the slopes of both
 *      curves there (quotient method: 1/nu from the ratio of slopes);
 *   4. beta_c from the crossings (headline: xi/L), extrapolated in L;
 *   5. nu from the slopes at beta_c, gamma/nu from chi'_max, beta_c again from the
 *      chi' peak positions, the collapse measure;
 *   6. zeta_CE and z on request.
 * docs/analysis.md explains the estimator choices.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis_private.h"
#include "ceas_analysis.h"
#include "ceas_core.h"
#include "ceas_io.h"

#define ANA_KIND "ceasim analyze"

void ceas_analysis_options_default(ceas_analysis_options *o) {
  memset(o, 0, sizeof *o);
  o->grid = 201;
  o->blocks = 20;
  o->beta_c = NAN;
  o->nu = NAN;
  o->omega = NAN;
  o->collapse_window = INFINITY;
  o->u_min = 0.0;
  o->xi_max_frac = 1.0 / 6.0;
}

static int check_options(const ceas_analysis_options *o) {
  if (!o->dir || !*o->dir)
    return ceas_error_set(CEAS_EINPUT, "analyze: expected a sweep directory DIR");
  if (o->grid < 11 || o->grid > 100001)
    return ceas_error_set(CEAS_EINPUT, "--grid: expected 11 to 100001 points, got %zu",
                          o->grid);
  if (o->blocks < 2 || o->blocks > 2 * CEAS_MEASURE_MIN_BINS)
    return ceas_error_set(CEAS_EINPUT, "--blocks: expected 2 to %d, got %zu",
                          2 * CEAS_MEASURE_MIN_BINS, o->blocks);
  if (!isnan(o->beta_c) && !(isfinite(o->beta_c) && o->beta_c > 0))
    return ceas_error_set(CEAS_EINPUT, "--beta-c: expected a finite value > 0, got %g",
                          o->beta_c);
  if (!isnan(o->nu) && !(isfinite(o->nu) && o->nu > 0))
    return ceas_error_set(CEAS_EINPUT, "--nu: expected a finite value > 0, got %g", o->nu);
  if (!isnan(o->omega) && !(isfinite(o->omega) && o->omega > 0))
    return ceas_error_set(CEAS_EINPUT, "--omega: expected a finite value > 0, got %g",
                          o->omega);
  if (!(o->collapse_window > 0))
    return ceas_error_set(CEAS_EINPUT, "--collapse-window: expected a value > 0, got %g",
                          o->collapse_window);
  if (!(isfinite(o->u_min) && o->u_min >= 0))
    return ceas_error_set(CEAS_EINPUT, "--u-min: expected a finite value >= 0, got %g",
                          o->u_min);
  if (!(o->xi_max_frac > 0 && o->xi_max_frac <= 1))
    return ceas_error_set(CEAS_EINPUT, "--xi-max-frac: expected a value in (0, 1], got %g",
                          o->xi_max_frac);
  return CEAS_OK;
}

/* ---- notes ------------------------------------------------------------------- */

void ana_note(ana_state *s, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (s->o->notes) fprintf(s->o->notes, "ceasim: note: %s\n", buf);
  size_t len = strlen(buf);
  if (s->notes_len + len + 2 > s->notes_cap) {
    size_t cap = 2 * (s->notes_cap + len + 2);
    char *p = realloc(s->notes, cap);
    if (!p) return; /* out of memory: the file loses a note, the analysis goes on */
    s->notes = p;
    s->notes_cap = cap;
  }
  memcpy(s->notes + s->notes_len, buf, len);
  s->notes_len += len;
  s->notes[s->notes_len++] = '\n';
  s->notes[s->notes_len] = '\0';
}

/* ---- state ------------------------------------------------------------------- */

static void fit_free(ana_fit *f) {
  free(f->x);
  f->x = f->y = f->dy = NULL;
  f->n = 0;
}

int ana_fit_points(ana_fit *f, size_t n) {
  fit_free(f);
  f->x = ceas_calloc(3 * (n ? n : 1), sizeof *f->x);
  if (!f->x) return CEAS_ENOMEM;
  f->y = f->x + n;
  f->dy = f->y + n;
  f->n = 0;
  return CEAS_OK;
}

static void state_free(ana_state *s) {
  for (size_t i = 0; i < s->n_sizes; i++) {
    ana_size *z = &s->sizes[i];
    ceas_analysis_rw_free(z->rw);
    free(z->beta);
    for (int q = 0; q < CEAS_RW_COUNT; q++) {
      free(z->val[q]);
      free(z->err[q]);
    }
  }
  free(s->sizes);
  for (int k = 0; k < 2; k++) free(s->cross[k].c);
  for (size_t i = 0; i < s->n_fits; i++) fit_free(&s->fits[i]);
  free(s->slope_L);
  fit_free(&s->zeta);
  free(s->zeta_L);
  for (size_t i = 0; i < s->n_z; i++) fit_free(&s->z[i].fit);
  free(s->z);
  free(s->points);
  ceas_analysis_tasks_free(s->tasks, s->n_tasks);
  free(s->notes);
}

/* ---- entry point ---------------------------------------------------------------------- */

/* DIR/analysis.h5 is ours to replace only if it is a file this command wrote. */
static int check_own_output(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return CEAS_OK;
  if (!S_ISREG(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "%s: exists and is not a regular file", path);
  hid_t f; /* a damaged one is not ours (and must not reach HDF5: seal.c) */
  if (ceas_io_open_read(path, &f)) ceas_error_clear();
  int ours = 0;
  if (f >= 0) {
    char kind[64];
    ours = ceas_io_read_attr_string(f, path, "kind", kind, sizeof kind) == CEAS_OK &&
           strcmp(kind, ANA_KIND) == 0;
    H5Fclose(f);
  }
  if (!ours)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: exists and was not written by ceasim analyze; use --out FILE "
                          "(and --force to replace a file)",
                          path);
  return CEAS_OK;
}

int ceas_analysis_run(const ceas_analysis_options *o) {
  int rc = check_options(o);
  if (rc) return rc;
  ana_state s;
  memset(&s, 0, sizeof s);
  s.o = o;
  s.beta_c.value = s.nu.value = s.gamma_over_nu.value = NAN;
  s.nu0 = NAN;
  s.slope_beta = NAN;
  char *out_path = NULL;
  int force = o->force;
  rc = ceas_analysis_scan_dir(o->dir, o->warn, &s.tasks, &s.n_tasks, &s.n_tasks_skipped);
  if (rc) goto done;
  if (o->out) {
    out_path = strdup(o->out);
  } else {
    size_t len = strlen(o->dir) + 16;
    out_path = malloc(len);
    if (out_path) snprintf(out_path, len, "%s/analysis.h5", o->dir);
    force = 1;
  }
  if (!out_path) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    goto done;
  }
  if (!o->out && (rc = check_own_output(out_path))) goto done;
  if ((rc = ceas_io_check_output(out_path, force))) goto done;
  if ((rc = ana_select_tasks(&s))) goto done;
  if (!strcmp(s.model, "graph")) {
    /* No reference values; the size variable is n and exponents are per n (mean
     * field: 1/nu_n = 1/2, gamma/nu_n = 1/2). No known correction: x is free. */
    s.known = 0;
    s.omega = 0.0;
  } else if (!strcmp(s.model, "ising2d")) {
    s.known = 1;
    s.exact_beta_c = 0.5 * log1p(sqrt(2.0));
    s.exact_nu = 1.0;
    s.exact_gamma_over_nu = 1.75;
    /* Leading corrections of U4 and xi/L in 2D: the analytic background of chi,
     * L^(-7/4) (Salas & Sokal, J. Stat. Phys. 98, 551 (2000)). */
    s.omega = 1.75;
  } else {
    s.known = 1;
    /* Ferrenberg, Xu & Landau, PRE 97, 043301 (2018); conformal bootstrap
     * (Kos, Poland, Simmons-Duffin & Vichi 2016) for nu, eta and omega. */
    s.exact_beta_c = 0.221654626;
    s.exact_nu = 0.629971;
    s.exact_gamma_over_nu = 1.963702;
    s.omega = 0.83;
  }
  if (!isnan(o->omega)) s.omega = o->omega;
  if ((rc = ana_build_sizes(&s))) goto done;
  if (s.n_sizes == 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: no size could be reweighted", o->dir);
    goto done;
  }
  if ((rc = ana_find_crossings(&s))) goto done;
  if ((rc = ana_finite_size_scaling(&s))) goto done;
  if ((rc = ana_zeta_ce(&s))) goto done;
  ana_report(&s);
  ceas_io_file f;
  if ((rc = ceas_io_file_create(out_path, force, &f))) goto done;
  rc = ceas_analysis_write_output(&s, f.file);
  if (rc)
    ceas_io_file_abort(&f);
  else
    rc = ceas_io_file_commit(&f);
  if (!rc && o->report) fprintf(o->report, "\nwrote %s\n", out_path);
done:
  free(out_path);
  state_free(&s);
  return rc;
}
