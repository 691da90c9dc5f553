/*
 * analysis.h5: the layout documented in docs/analysis.md. Names here are a
 * contract with plotting scripts: change them only together with the document.
 * Tables are parallel 1-D float64 datasets (one entry per row); strings are
 * variable-length UTF-8. Every dataset gets `units` and `description` from
 * analysis_docs below.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_private.h"
#include "ceas_core.h"
#include "ceas_io.h"

/* A table column computed by a callback over rows. */
static int write_column(hid_t loc, const char *name, size_t n, double (*get)(const void *, size_t),
                        const void *ctx) {
  double *x = ceas_malloc((n ? n : 1) * sizeof *x);
  if (!x) return CEAS_ENOMEM;
  for (size_t i = 0; i < n; i++) x[i] = get(ctx, i);
  int rc = ceas_io_write_doubles(loc, name, x, n);
  free(x);
  return rc;
}

/* ---- per-task points ------------------------------------------------------------- */

typedef struct {
  const ana_state *s;
  int obs;      /* CEAS_OBS_* or -1 */
  int field;    /* 0 mean, 1 error, 2 tau, 3 tau error */
  double scale_by_L; /* 1: divide by L (xi/L) */
} task_col;

static double task_get(const void *p, size_t i) {
  const task_col *c = p;
  const ana_point *pt = &c->s->points[i];
  const ceas_measure_value *v = &pt->res.obs[c->obs];
  double x = c->field == 0 ? v->mean : c->field == 1 ? v->error : c->field == 2 ? v->tau_int
                                                                                : v->tau_int_err;
  return c->scale_by_L ? x / (double)pt->info->L : x;
}

static double task_L(const void *p, size_t i) {
  return (double)((const ana_state *)p)->points[i].info->L;
}
static double task_beta(const void *p, size_t i) {
  return ((const ana_state *)p)->points[i].info->beta;
}
static double task_replica(const void *p, size_t i) {
  return (double)((const ana_state *)p)->points[i].info->replica;
}
static double task_n(const void *p, size_t i) {
  return (double)((const ana_state *)p)->points[i].info->n;
}
static double task_every(const void *p, size_t i) {
  return (double)((const ana_state *)p)->points[i].info->measure_every;
}
static double task_conv(const void *p, size_t i) {
  return (double)((const ana_state *)p)->points[i].res.converged;
}

static int write_tasks(const ana_state *s, hid_t file) {
  hid_t g;
  int rc = ceas_io_group(file, "tasks", &g);
  if (rc) return rc;
  size_t n = s->n_points;
  const char **names = ceas_malloc((n ? n : 1) * sizeof *names);
  const char **algos = ceas_malloc((n ? n : 1) * sizeof *algos);
  if (!names || !algos) rc = CEAS_ENOMEM;
  for (size_t i = 0; !rc && i < n; i++) {
    const char *p = s->points[i].info->path;
    const char *slash = strrchr(p, '/');
    names[i] = slash ? slash + 1 : p;
    algos[i] = s->points[i].info->algo;
  }
  if (!rc) rc = ceas_io_write_strings(g, "file", names, n);
  if (!rc) rc = ceas_io_write_strings(g, "algo", algos, n);
  free(names);
  free(algos);
  if (!rc) rc = write_column(g, "L", n, task_L, s);
  if (!rc) rc = write_column(g, "beta", n, task_beta, s);
  if (!rc) rc = write_column(g, "replica", n, task_replica, s);
  if (!rc) rc = write_column(g, "n_samples", n, task_n, s);
  if (!rc) rc = write_column(g, "measure_every", n, task_every, s);
  if (!rc) rc = write_column(g, "converged", n, task_conv, s);
  static const struct {
    const char *name;
    int obs, scale;
  } cols[] = {
      {"energy", CEAS_OBS_ENERGY, 0},
      {"specific_heat", CEAS_OBS_SPECIFIC_HEAT, 0},
      {"abs_magnetization", CEAS_OBS_ABS_M, 0},
      {"susceptibility_connected", CEAS_OBS_SUSCEPTIBILITY_CONNECTED, 0},
      {"binder", CEAS_OBS_BINDER, 0},
      {"xi_2nd", CEAS_OBS_XI_2ND, 0},
      {"xi_over_L", CEAS_OBS_XI_2ND, 1},
  };
  for (size_t c = 0; !rc && c < sizeof cols / sizeof cols[0]; c++) {
    char name[96];
    task_col tc = {s, cols[c].obs, 0, cols[c].scale};
    rc = write_column(g, cols[c].name, n, task_get, &tc);
    tc.field = 1;
    snprintf(name, sizeof name, "%s_error", cols[c].name);
    if (!rc) rc = write_column(g, name, n, task_get, &tc);
  }
  static const struct {
    const char *name;
    int obs;
  } taus[] = {{"tau_int_abs_magnetization", CEAS_OBS_ABS_M}, {"tau_int_energy", CEAS_OBS_ENERGY}};
  for (size_t c = 0; !rc && c < 2; c++) {
    char name[96];
    task_col tc = {s, taus[c].obs, 2, 0};
    rc = write_column(g, taus[c].name, n, task_get, &tc);
    tc.field = 3;
    snprintf(name, sizeof name, "%s_error", taus[c].name);
    if (!rc) rc = write_column(g, name, n, task_get, &tc);
  }
  H5Gclose(g);
  return rc;
}

/* ---- sizes and peaks ------------------------------------------------------------------ */

static int write_peak_attrs(hid_t g, const char *q, const ceas_analysis_peak *p) {
  char name[96];
  int rc = CEAS_OK;
  snprintf(name, sizeof name, "%s_peak_found", q);
  rc = ceas_io_attr_int64(g, name, p->found);
  snprintf(name, sizeof name, "%s_peak_beta", q);
  if (!rc) rc = ceas_io_attr_double(g, name, p->beta);
  snprintf(name, sizeof name, "%s_peak_beta_error", q);
  if (!rc) rc = ceas_io_attr_double(g, name, p->beta_error);
  snprintf(name, sizeof name, "%s_max", q);
  if (!rc) rc = ceas_io_attr_double(g, name, p->value);
  snprintf(name, sizeof name, "%s_max_error", q);
  if (!rc) rc = ceas_io_attr_double(g, name, p->value_error);
  return rc;
}

typedef struct {
  const ana_state *s;
  int which; /* 0 C, 1 chi' */
  int field; /* 0 beta, 1 beta error, 2 max, 3 max error */
} peak_col;

static double peak_get(const void *p, size_t i) {
  const peak_col *c = p;
  const ceas_analysis_peak *pk =
      c->which ? &c->s->sizes[i].peak_chi : &c->s->sizes[i].peak_c;
  switch (c->field) {
    case 0: return pk->beta;
    case 1: return pk->beta_error;
    case 2: return pk->value;
    default: return pk->value_error;
  }
}

static double size_L(const void *p, size_t i) {
  return (double)((const ana_state *)p)->sizes[i].L;
}

static int write_sizes(const ana_state *s, hid_t file) {
  hid_t g;
  int rc = ceas_io_group(file, "sizes", &g);
  if (rc) return rc;
  rc = write_column(g, "L", s->n_sizes, size_L, s);
  for (size_t i = 0; !rc && i < s->n_sizes; i++) {
    const ana_size *z = &s->sizes[i];
    char name[64];
    snprintf(name, sizeof name, "L%ld", z->L);
    hid_t h;
    if ((rc = ceas_io_group(g, name, &h))) break;
    rc = ceas_io_attr_int64(h, "L", z->L);
    if (!rc) rc = ceas_io_attr_double(h, "n_spins", z->info.n_spins);
    if (!rc) rc = ceas_io_attr_int64(h, "n_runs", (int64_t)z->info.n_runs);
    if (!rc) rc = ceas_io_attr_int64(h, "n_blocks", (int64_t)z->info.n_blocks);
    if (!rc) rc = ceas_io_attr_int64(h, "n_energies", (int64_t)z->info.n_energies);
    if (!rc) rc = ceas_io_attr_double(h, "beta_min_simulated", z->info.beta_min);
    if (!rc) rc = ceas_io_attr_double(h, "beta_max_simulated", z->info.beta_max);
    if (!rc) rc = ceas_io_attr_double(h, "beta_lo", z->info.lo);
    if (!rc) rc = ceas_io_attr_double(h, "beta_hi", z->info.hi);
    if (!rc) rc = ceas_io_attr_double(h, "min_overlap", z->info.min_overlap);
    if (!rc) rc = ceas_io_attr_int64(h, "runs_with_short_blocks", (int64_t)z->short_blocks);
    if (!rc) rc = write_peak_attrs(h, "specific_heat", &z->peak_c);
    if (!rc) rc = write_peak_attrs(h, "susceptibility_connected", &z->peak_chi);
    if (!rc) {
      double *bs = ceas_malloc((z->count ? z->count : 1) * sizeof *bs);
      if (!bs) rc = CEAS_ENOMEM;
      for (size_t j = 0; !rc && j < z->count; j++) bs[j] = s->points[z->first + j].info->beta;
      if (!rc) rc = ceas_io_write_doubles(h, "betas_simulated", bs, z->count);
      free(bs);
    }
    if (!rc) rc = ceas_io_write_doubles(h, "beta", z->beta, z->grid);
    for (int q = 0; !rc && q < CEAS_RW_COUNT; q++) {
      char en[96];
      rc = ceas_io_write_doubles(h, ceas_analysis_rw_name(q), z->val[q], z->grid);
      snprintf(en, sizeof en, "%s_error", ceas_analysis_rw_name(q));
      if (!rc) rc = ceas_io_write_doubles(h, en, z->err[q], z->grid);
    }
    H5Gclose(h);
  }
  H5Gclose(g);
  if (rc) return rc;
  if ((rc = ceas_io_group(file, "peaks", &g))) return rc;
  rc = write_column(g, "L", s->n_sizes, size_L, s);
  static const char *const qn[2] = {"specific_heat", "susceptibility_connected"};
  static const char *const fn[4] = {"peak_beta", "peak_beta_error", "max", "max_error"};
  for (int w = 0; !rc && w < 2; w++)
    for (int f = 0; !rc && f < 4; f++) {
      char name[96];
      snprintf(name, sizeof name, "%s_%s", qn[w], fn[f]);
      peak_col pc = {s, w, f};
      rc = write_column(g, name, s->n_sizes, peak_get, &pc);
    }
  H5Gclose(g);
  return rc;
}

/* ---- crossings ------------------------------------------------------------------------- */

static int write_crossings(const ana_state *s, hid_t file) {
  hid_t g;
  int rc = ceas_io_group(file, "crossings", &g);
  if (rc) return rc;
  for (int k = 0; !rc && k < 2; k++) {
    const ana_crossings *c = &s->cross[k];
    hid_t h;
    if ((rc = ceas_io_group(g, k ? "xi_over_L" : "binder", &h))) break;
    size_t n = c->n;
    double *col = ceas_malloc((n ? n : 1) * sizeof *col);
    if (!col) rc = CEAS_ENOMEM;
#define COL(field, name)                                            \
  if (!rc) {                                                        \
    for (size_t i = 0; i < n; i++) col[i] = (double)c->c[i].field;  \
    rc = ceas_io_write_doubles(h, name, col, n);                    \
  }
    COL(L1, "L1")
    COL(L2, "L2")
    COL(found, "found")
    COL(status, "status")
    COL(z_below, "z_below")
    COL(z_above, "z_above")
    COL(beta, "beta")
    COL(beta_error, "beta_error")
    COL(value, "value")
    COL(value_error, "value_error")
    COL(slope1, "slope_L1")
    COL(slope1_error, "slope_L1_error")
    COL(slope2, "slope_L2")
    COL(slope2_error, "slope_L2_error")
    COL(inv_nu, "inv_nu")
    COL(inv_nu_error, "inv_nu_error")
#undef COL
    /* The codes of `status`, so that a reader of the file needs no header. */
    char codes[512];
    size_t used = 0;
    for (int st = CEAS_CROSSING_ACCEPTED; st <= CEAS_CROSSING_NO_ERROR && used < sizeof codes;
         st++)
      used += (size_t)snprintf(codes + used, sizeof codes - used, "%s%d: %s", st ? "; " : "",
                               st, ceas_analysis_crossing_status_name(st));
    if (!rc) rc = ceas_io_attr_string(h, "status_codes", codes);
    if (!rc)
      rc = ceas_io_attr_string(h, "z_description",
                               "largest sign-corrected (L2 curve - L1 curve) / jackknife error "
                               "below (z_below) and above (z_above) the root in the sampled "
                               "range; a crossing is accepted when both exceed 2");
    free(col);
    H5Gclose(h);
  }
  H5Gclose(g);
  return rc;
}

/* ---- fits ------------------------------------------------------------------------------- */

static int write_fit_attrs(hid_t h, const ana_fit *f) {
  const ceas_analysis_fit *x = &f->fit;
  int rc = ceas_io_attr_string(h, "description", f->what ? f->what : "");
  /* A fit never attempted has no model: its zeroed struct would name the first one. */
  if (!rc)
    rc = ceas_io_attr_string(h, "formula", f->attempted ? ceas_analysis_fit_formula(x->model)
                                                        : "none: not attempted (see note)");
  if (!rc) rc = ceas_io_attr_string(h, "x_label", f->x_name ? f->x_name : "");
  if (!rc) rc = ceas_io_attr_string(h, "y_label", f->y_name ? f->y_name : "");
  if (!rc) rc = ceas_io_attr_int64(h, "attempted", f->attempted);
  if (!rc) rc = ceas_io_attr_int64(h, "ok", x->ok);
  if (!rc) rc = ceas_io_attr_string(h, "note", x->note);
  if (!rc) rc = ceas_io_attr_int64(h, "n_points", (int64_t)x->n_points);
  if (!rc) rc = ceas_io_attr_double(h, "chi2", x->chi2);
  if (!rc) rc = ceas_io_attr_int64(h, "dof", x->dof);
  if (!rc) rc = ceas_io_attr_double(h, "chi2_per_dof", x->chi2_per_dof);
  if (!rc) rc = ceas_io_attr_double(h, "error_scale", x->error_scale);
  if (!rc) rc = ceas_io_attr_int64(h, "errors_scaled", x->error_scale > 1.0);
  char names[160] = "";
  size_t np = ceas_analysis_fit_n_par(x->model);
  for (size_t i = 0; i < np; i++) {
    if (i) strncat(names, ",", sizeof names - strlen(names) - 1);
    strncat(names, ceas_analysis_fit_param_name(x->model, i), sizeof names - strlen(names) - 1);
  }
  if (!rc) rc = ceas_io_attr_string(h, "parameter_names", names);
  for (size_t i = 0; !rc && i < np; i++) {
    const char *pn = ceas_analysis_fit_param_name(x->model, i);
    char name[96];
    /* Parameters of a fit that was not run are NaN: the plot draws no line. */
    double v = x->ok ? x->par[i] : NAN, e = x->ok ? x->err[i] : NAN;
    if (!x->ok && x->fixed[i]) v = x->par[i];
    rc = ceas_io_attr_double(h, pn, v);
    snprintf(name, sizeof name, "%s_error", pn);
    if (!rc) rc = ceas_io_attr_double(h, name, e);
    snprintf(name, sizeof name, "%s_fixed", pn);
    if (!rc) rc = ceas_io_attr_int64(h, name, x->fixed[i]);
  }
  if (!rc) rc = ceas_io_write_doubles(h, "x", f->x ? f->x : (const double[]){0}, f->n);
  if (!rc) rc = ceas_io_write_doubles(h, "y", f->y ? f->y : (const double[]){0}, f->n);
  if (!rc) rc = ceas_io_write_doubles(h, "y_error", f->dy ? f->dy : (const double[]){0}, f->n);
  return rc;
}

static int write_estimate(hid_t h, const char *name, const ana_estimate *e, int known,
                          double ref) {
  char buf[96];
  int rc = ceas_io_attr_double(h, name, e->ok ? e->value : NAN);
  snprintf(buf, sizeof buf, "%s_error", name);
  if (!rc) rc = ceas_io_attr_double(h, buf, e->ok ? e->error : NAN);
  snprintf(buf, sizeof buf, "%s_estimator", name);
  if (!rc) rc = ceas_io_attr_string(h, buf, e->ok ? e->source : "not determined");
  snprintf(buf, sizeof buf, "%s_reference", name);
  if (!rc) rc = ceas_io_attr_double(h, buf, known ? ref : NAN);
  snprintf(buf, sizeof buf, "%s_deviation_sigma", name);
  double dev = known && e->ok && e->error > 0 ? (e->value - ref) / e->error : NAN;
  if (!rc) rc = ceas_io_attr_double(h, buf, dev);
  return rc;
}

static int write_fss(const ana_state *s, hid_t file) {
  hid_t g;
  int rc = ceas_io_group(file, "fss", &g);
  if (rc) return rc;
  rc = ceas_io_attr_double(g, "omega", s->omega);
  if (!rc) rc = ceas_io_attr_double(g, "nu_for_shift_exponents", s->nu0);
  if (!rc) rc = ceas_io_attr_string(g, "nu_for_shift_exponents_source",
                                    s->nu0_source[0] ? s->nu0_source : "none");
  for (size_t i = 0; !rc && i < s->n_fits; i++) {
    hid_t h;
    if ((rc = ceas_io_group(g, s->fits[i].name, &h))) break;
    rc = write_fit_attrs(h, &s->fits[i]);
    H5Gclose(h);
  }
  if (!rc) {
    hid_t h;
    if (!(rc = ceas_io_group(g, "slopes", &h))) {
      size_t n = s->n_slopes;
      const double zero[1] = {0};
      rc = ceas_io_attr_double(h, "beta", s->slope_beta);
      if (!rc) rc = ceas_io_write_doubles(h, "L", n ? s->slope_L : zero, n);
      if (!rc) rc = ceas_io_write_doubles(h, "dxi_over_L_dbeta", n ? s->slope_xi : zero, n);
      if (!rc)
        rc = ceas_io_write_doubles(h, "dxi_over_L_dbeta_error", n ? s->slope_xi_err : zero, n);
      if (!rc) rc = ceas_io_write_doubles(h, "dbinder_dbeta", n ? s->slope_u4 : zero, n);
      if (!rc)
        rc = ceas_io_write_doubles(h, "dbinder_dbeta_error", n ? s->slope_u4_err : zero, n);
      H5Gclose(h);
    }
  }
  for (int k = 0; !rc && k < 2; k++) {
    const ana_collapse *c = &s->collapse[k];
    hid_t h;
    if ((rc = ceas_io_group(g, k ? "collapse_xi_over_L" : "collapse_binder", &h))) break;
    rc = ceas_io_attr_string(h, "measure",
                             "Houdayer-Hartmann S of y vs (beta - beta_c) L^(1/nu), per-task "
                             "points");
    if (!rc) rc = ceas_io_attr_int64(h, "done", c->done);
    if (!rc) rc = ceas_io_attr_double(h, "window", s->o->collapse_window);
    if (!rc) rc = ceas_io_attr_double(h, "beta_c", c->done ? c->beta_c : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "nu", c->done ? c->nu : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "S", c->done ? c->S : NAN);
    if (!rc) rc = ceas_io_attr_int64(h, "n_terms", (int64_t)c->n_terms);
    if (!rc) rc = ceas_io_attr_int64(h, "optimized_ok", c->opt.ok);
    if (!rc) rc = ceas_io_attr_double(h, "optimized_beta_c", c->opt.ok ? c->opt.beta_c : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "optimized_beta_c_error",
                                      c->opt.ok ? c->opt.beta_c_error : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "optimized_nu", c->opt.ok ? c->opt.nu : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "optimized_nu_error", c->opt.ok ? c->opt.nu_error : NAN);
    if (!rc) rc = ceas_io_attr_double(h, "optimized_S", c->opt.ok ? c->opt.S_min : NAN);
    if (!rc) rc = ceas_io_attr_int64(h, "optimized_n_terms", (int64_t)c->opt.n_terms);
    H5Gclose(h);
  }
  H5Gclose(g);
  if (rc) return rc;
  if ((rc = ceas_io_group(file, "results", &g))) return rc;
  rc = write_estimate(g, "beta_c", &s->beta_c, s->known, s->exact_beta_c);
  if (!rc) rc = write_estimate(g, "nu", &s->nu, s->known, s->exact_nu);
  if (!rc) rc = write_estimate(g, "gamma_over_nu", &s->gamma_over_nu, s->known,
                               s->exact_gamma_over_nu);
  if (!rc)
    rc = ceas_io_attr_string(
        g, "reference_source",
        !s->known ? "none (graph couplings: no reference values)"
        : !strcmp(s->model, "ising2d")
            ? "exact: beta_c = ln(1+sqrt 2)/2 (Onsager), nu = 1, gamma/nu = 7/4"
            : "best known: beta_c = 0.221654626 (Ferrenberg, Xu, Landau 2018), nu = 0.629971, "
              "gamma/nu = 2 - eta = 1.963702 (conformal bootstrap)");
  H5Gclose(g);
  return rc;
}

/* ---- zeta_CE ------------------------------------------------------------------------------ */

static int write_zeta(const ana_state *s, hid_t file) {
  if (!s->zeta_done) return CEAS_OK;
  hid_t g;
  int rc = ceas_io_group(file, "zeta_ce", &g);
  if (rc) return rc;
  const ana_fit *f = &s->zeta;
  const ceas_analysis_fit *x = &f->fit;
  rc = write_fit_attrs(g, f);
  if (!rc) rc = ceas_io_attr_string(g, "beta_c_source", s->zeta_beta_c_source);
  if (!rc) rc = ceas_io_attr_double(g, "xi_max_frac", s->o->xi_max_frac);
  if (!rc) rc = ceas_io_attr_double(g, "ceas_nu_min", 0.5);
  if (!rc) rc = ceas_io_attr_double(g, "ceas_nu_max", 1.0);
  if (!rc)
    rc = ceas_io_attr_int64(g, "nu_in_ceas_range",
                            x->ok ? (x->par[1] >= 0.5 && x->par[1] <= 1.0) : -1);
  /* Distance of nu outside [0.5, 1] in its error bars (0 inside). */
  double dist = NAN;
  if (x->ok && x->err[1] > 0)
    dist = x->par[1] > 1.0 ? (x->par[1] - 1.0) / x->err[1]
           : x->par[1] < 0.5 ? (0.5 - x->par[1]) / x->err[1] : 0.0;
  if (!rc) rc = ceas_io_attr_double(g, "nu_outside_ceas_range_sigma", dist);
  size_t n = f->n;
  const double zero[1] = {0};
  if (!rc) rc = ceas_io_write_doubles(g, "L", n ? s->zeta_L : zero, n);
  if (!rc) rc = ceas_io_write_doubles(g, "u", n ? s->zeta_u : zero, n);
  if (!rc) rc = ceas_io_write_doubles(g, "tau_int_abs_magnetization", n ? s->zeta_tau : zero, n);
  if (!rc)
    rc = ceas_io_write_doubles(g, "tau_int_abs_magnetization_error", n ? s->zeta_tau_err : zero,
                               n);
  hid_t zg = -1;
  if (!rc) rc = ceas_io_group(g, "z", &zg);
  for (size_t a = 0; !rc && a < s->n_z; a++) {
    hid_t h;
    if ((rc = ceas_io_group(zg, s->z[a].algo, &h))) break;
    rc = write_fit_attrs(h, &s->z[a].fit);
    if (!rc) rc = ceas_io_attr_string(h, "algo", s->z[a].algo);
    H5Gclose(h);
  }
  if (zg >= 0) H5Gclose(zg);
  H5Gclose(g);
  return rc;
}

/* ---- units and descriptions (ceas_io_describe) --------------------------------------- */

#define SIZE_UNITS "lattice spacings (graphs: spins)"
#define TASK_OBS_ROW(name, units, description) \
  {"tasks/" name, units, description ", direct estimate of each task"},
#define CURVE_ROW(name, units, description) \
  {"sizes/L*/" name, units, description ", reweighted (multi-histogram) on this size's beta grid"},
static const ceas_io_doc analysis_docs[] = {
    {"*_error", NULL, "one-standard-deviation error of {base}"},
    {"tasks/file", "none (text)", "task file name in {source_dir}/tasks"},
    {"tasks/algo", "none (text)", "update algorithm of each task (--algo)"},
    {"tasks/L", SIZE_UNITS, "size L of each task (graph sweeps: n)"},
    {"tasks/beta", "1/J", "inverse temperature of each task (k_B = 1)"},
    {"tasks/replica", "dimensionless (index)", "replica of each task, -1 if its file has none"},
    {"tasks/n_samples", "measurements", "measurements of each task"},
    {"tasks/measure_every", "sweeps", "sweeps of the task's algo between two measurements"},
    {"tasks/converged", "dimensionless (1 or 0)",
     "1 if the task's bins were at least 16 tau_int long"},
    {"tasks/xi_over_L", "dimensionless", "xi_2nd / L of each task"},
    {"tasks/tau_int_*", "measurements",
     "integrated autocorrelation time of each task, in measurements (one measurement = "
     "measure_every sweeps of the task's algo, both columns of this group)"},
    CEAS_MEASURE_OBS_DOCS(TASK_OBS_ROW)
    {"sizes/L", SIZE_UNITS, "the sizes reweighted, ascending; each has a group sizes/L<L>"},
    {"sizes/L*/betas_simulated", "1/J", "beta of each run of this size"},
    {"sizes/L*/beta", "1/J", "the grid of beta on which this size's curves are reweighted"},
    {"sizes/L*/xi_over_L", "dimensionless",
     "xi_2nd / L, reweighted (multi-histogram) on this size's beta grid"},
    {"sizes/L*/dbinder_dbeta", "J", "dU4/dbeta on this size's beta grid"},
    {"sizes/L*/dxi_over_L_dbeta", "J", "d(xi/L)/dbeta on this size's beta grid"},
    CEAS_MEASURE_OBS_DOCS(CURVE_ROW)
    {"peaks/L", SIZE_UNITS, "the sizes, one row each"},
    {"peaks/*_peak_beta", "1/J", "beta of the maximum of the reweighted curve of this size"},
    {"peaks/specific_heat_max", "k_B per spin (dimensionless)",
     "maximum of the reweighted specific heat of this size"},
    {"peaks/susceptibility_connected_max", "1/J",
     "maximum of the reweighted connected susceptibility chi' of this size"},
    {"crossings/*/L1", SIZE_UNITS, "smaller size of each pair of consecutive sizes"},
    {"crossings/*/L2", SIZE_UNITS, "larger size of each pair of consecutive sizes"},
    {"crossings/*/found", "dimensionless (1 or 0)", "1 if the pair's crossing was accepted"},
    {"crossings/*/status", "dimensionless (code)", "outcome: see the group's status_codes"},
    {"crossings/*/z_below", "standard deviations", "see the group's z_description"},
    {"crossings/*/z_above", "standard deviations", "see the group's z_description"},
    {"crossings/*/beta", "1/J", "beta at which the two curves of the pair cross"},
    {"crossings/binder/value", "dimensionless", "U4 at the crossing"},
    {"crossings/xi_over_L/value", "dimensionless", "xi_2nd / L at the crossing"},
    {"crossings/*/slope_L1", "J", "d(quantity)/dbeta of the L1 curve at the crossing"},
    {"crossings/*/slope_L2", "J", "d(quantity)/dbeta of the L2 curve at the crossing"},
    {"crossings/*/inv_nu", "dimensionless", "1/nu from the quotient of the two slopes"},
    {"fss/slopes/L", SIZE_UNITS, "the sizes, one row each"},
    {"fss/slopes/dxi_over_L_dbeta", "J", "d(xi/L)/dbeta at beta = the group's attribute beta"},
    {"fss/slopes/dbinder_dbeta", "J", "dU4/dbeta at beta = the group's attribute beta"},
    {"fss/*/x", SIZE_UNITS, "{x_label}: abscissae of the points fitted by {formula}"},
    {"fss/beta_c_*/y", "1/J", "{y_label}: the points fitted by {formula}"},
    {"fss/nu_*/y", "J", "{y_label}: the points fitted by {formula}"},
    {"fss/gamma_over_nu_*/y", "1/J", "{y_label}: the points fitted by {formula}"},
    {"fss/*specific_heat*/y", "k_B per spin (dimensionless)",
     "{y_label}: the points fitted by {formula}"},
    {"zeta_ce/z/*/x", "lattice spacings", "{x_label}: abscissae of the points fitted by {formula}"},
    {"zeta_ce/z/*/y", "sweeps", "{y_label}: the points fitted by {formula}"},
    {"zeta_ce/x", "1/J", "{x_label}: abscissae of the points fitted by {formula}"},
    {"zeta_ce/y", "lattice spacings", "{y_label}: the points fitted by {formula}"},
    {"zeta_ce/L", SIZE_UNITS, "size of each point's task"},
    {"zeta_ce/u", "dimensionless", "reduced distance |beta - beta_c| / beta_c of each point"},
    {"zeta_ce/tau_int_abs_magnetization", "sweeps",
     "integrated autocorrelation time of |m| of each point, in sweeps (measurements times "
     "measure_every)"},
    {NULL, NULL, NULL}};
#undef TASK_OBS_ROW
#undef CURVE_ROW
#undef SIZE_UNITS

int ceas_analysis_write_output(const ana_state *s, hid_t file) {
  const ceas_analysis_options *o = s->o;
  int rc = ceas_io_attr_string(file, "kind", "ceasim analyze");
  if (!rc) rc = ceas_io_attr_string(file, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(file, "command_line", o->command_line ? o->command_line : "");
  if (!rc) rc = ceas_io_attr_string(file, "source_dir", o->dir);
  if (!rc) rc = ceas_io_attr_string(file, "model", s->model);
  if (!rc) rc = ceas_io_attr_int64(file, "dim", s->dim);
  if (!rc) rc = ceas_io_attr_int64(file, "n_tasks_used", (int64_t)s->n_points);
  if (!rc) rc = ceas_io_attr_int64(file, "n_tasks_skipped", (int64_t)s->n_tasks_skipped);
  if (!rc) rc = ceas_io_attr_int64(file, "n_sizes", (int64_t)s->n_sizes);
  if (!rc) rc = ceas_io_attr_int64(file, "n_blocks", (int64_t)o->blocks);
  if (!rc) rc = ceas_io_attr_int64(file, "grid_points", (int64_t)o->grid);
  if (!rc) rc = ceas_io_attr_double(file, "beta_c_option", o->beta_c);
  if (!rc) rc = ceas_io_attr_double(file, "nu_option", o->nu);
  if (!rc) rc = ceas_io_attr_double(file, "omega", s->omega);
  if (!rc) rc = ceas_io_attr_string(file, "notes", s->notes ? s->notes : "");
  if (!rc) rc = write_tasks(s, file);
  if (!rc) rc = write_sizes(s, file);
  if (!rc) rc = write_crossings(s, file);
  if (!rc) rc = write_fss(s, file);
  if (!rc) rc = write_zeta(s, file);
  if (!rc) rc = ceas_io_describe(file, analysis_docs);
  return rc;
}
