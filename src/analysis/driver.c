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

static void note(ana_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(ana_state *s, const char *fmt, ...) {
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

static int fit_points(ana_fit *f, size_t n) {
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

/* ---- step 1-2: tasks, sizes, reweighting ------------------------------------------ */

static int cmp_point(const void *a, const void *b) {
  const ana_point *x = a, *y = b;
  if (x->info->L != y->info->L) return x->info->L < y->info->L ? -1 : 1;
  if (x->info->beta != y->info->beta) return x->info->beta < y->info->beta ? -1 : 1;
  return strcmp(x->info->path, y->info->path);
}

/* Keeps the tasks the analysis can use: h = 0, one model (lattice or graph). */
static int select_tasks(ana_state *s) {
  const ceas_analysis_options *o = s->o;
  s->points = ceas_calloc(s->n_tasks, sizeof *s->points);
  if (!s->points) return CEAS_ENOMEM;
  s->model[0] = '\0';
  for (size_t i = 0; i < s->n_tasks; i++) {
    const ceas_analysis_task_info *t = &s->tasks[i];
    if (strcmp(t->model, "ising2d") != 0 && strcmp(t->model, "ising3d") != 0 &&
        strcmp(t->model, "graph") != 0) {
      if (o->warn)
        fprintf(o->warn,
                "ceasim: warning: %s: model '%s': analyze needs ising2d, ising3d or graph "
                "tasks; skipped\n",
                t->path, t->model);
      s->n_tasks_skipped++;
      continue;
    }
    if (t->h != 0.0) {
      if (o->warn)
        fprintf(o->warn,
                "ceasim: warning: %s: h = %g: reweighting in beta needs h = 0; skipped\n",
                t->path, t->h);
      s->n_tasks_skipped++;
      continue;
    }
    if (!s->model[0]) {
      snprintf(s->model, sizeof s->model, "%s", t->model);
      s->dim = t->dim;
    } else if (strcmp(s->model, t->model) != 0) {
      return ceas_error_set(CEAS_EINPUT,
                            "%s: the directory mixes models %s and %s (%s); analyze one "
                            "model at a time",
                            o->dir, s->model, t->model, t->path);
    }
    s->points[s->n_points++].info = t;
  }
  if (s->n_points == 0)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: no usable task (need ising2d, ising3d or graph at h = 0)",
                          o->dir);
  s->has_xi = 1;
  for (size_t i = 0; i < s->n_points; i++) s->has_xi &= s->points[i].info->has_f;
  qsort(s->points, s->n_points, sizeof *s->points, cmp_point);
  return CEAS_OK;
}

/* n R / (2 tau_eff) must be the run's number of independent samples, sigma^2 /
 * var(grand mean) with sigma^2 the variance of single samples and var(grand
 * mean) = 2 tau_avg sigma_avg^2 / n from the replica-averaged series. */
double ceas_analysis_packed_tau(const double *e, size_t n, size_t R, double tau_avg) {
  long double s = 0, s2 = 0, a = 0, a2 = 0;
  for (size_t t = 0; t < n; t++) {
    long double sum = 0;
    for (size_t r = 0; r < R; r++) {
      long double x = e[t * R + r];
      sum += x;
      s += x;
      s2 += x * x;
    }
    sum /= (long double)R;
    a += sum;
    a2 += sum * sum;
  }
  long double N = (long double)(n * R);
  double var = (double)(s2 / N - (s / N) * (s / N));
  double var_avg = (double)(a2 / n - (a / n) * (a / n));
  if (!(var > 0) || !(var_avg > 0)) return (double)R * tau_avg;
  double t = (double)R * tau_avg * var_avg / var;
  return t < 0.5 ? 0.5 : t;
}

/* Loads, measures and reweights the runs of one size; drops unreadable ones. */
static int build_size(ana_state *s, ana_size *z) {
  const ceas_analysis_options *o = s->o;
  const size_t k = z->count;
  ceas_analysis_rw_run *runs = ceas_calloc(k, sizeof *runs);
  double **mem = ceas_calloc(3 * k, sizeof *mem);
  int *keep = ceas_calloc(k, sizeof *keep);
  int rc = CEAS_OK;
  if (!runs || !mem || !keep) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  size_t used = 0;
  double n_spins = 0;
  for (size_t i = 0; i < k; i++) {
    ana_point *p = &s->points[z->first + i];
    const ceas_analysis_task_info *t = p->info;
    double *e, *m, *f;
    rc = ceas_analysis_task_load(t, &e, &m, &f); /* its messages name the file */
    if (rc == CEAS_ENOMEM) goto done;
    if (!rc) {
      ceas_measure_series ser = {e, m, f, t->n, t->n_spins, t->beta, t->L, t->packed};
      rc = ceas_measure_analyze(&ser, &p->res);
      if (rc == CEAS_ENOMEM) goto done;
      if (rc) {
        char why[256]; /* the message buffer cannot be its own argument */
        snprintf(why, sizeof why, "%s", ceas_error_message());
        ceas_error_set(rc, "%s: %s", t->path, why);
      }
    }
    if (rc) {
      if (o->warn) fprintf(o->warn, "ceasim: warning: %s; skipped\n", ceas_error_message());
      free(e);
      free(m);
      free(f);
      s->n_tasks_skipped++;
      rc = CEAS_OK;
      continue;
    }
    mem[3 * i] = e;
    mem[3 * i + 1] = m;
    mem[3 * i + 2] = f;
    keep[i] = 1;
    ceas_analysis_rw_run *r = &runs[used++];
    r->beta = t->beta;
    r->n = t->n * (t->packed > 1 ? t->packed : 1);
    r->e = e;
    r->m = m;
    r->f = f;
    r->tau = p->res.obs[CEAS_OBS_ENERGY].tau_int;
    r->replicas = t->packed;
    if (t->packed > 1) r->tau = ceas_analysis_packed_tau(e, t->n, t->packed, r->tau);
    n_spins = t->n_spins;
    double tau_max = fmax(p->res.obs[CEAS_OBS_ENERGY].tau_int,
                          fmax(p->res.obs[CEAS_OBS_ABS_M].tau_int,
                               p->res.obs[CEAS_OBS_M2].tau_int));
    if ((double)(t->n / o->blocks) < 16.0 * tau_max) z->short_blocks++;
  }
  /* Compact the points of this size to the usable ones. */
  size_t w = 0;
  for (size_t i = 0; i < k; i++)
    if (keep[i]) s->points[z->first + w++] = s->points[z->first + i];
  for (size_t i = w; i < k; i++) s->points[z->first + i].info = NULL;
  z->count = w;
  if (used == 0) goto done;
  rc = ceas_analysis_rw_create(runs, used, n_spins, z->L, o->blocks, &z->rw);
  if (rc == CEAS_EINTERNAL) {
    note(s, "L = %ld: %s; this size is left out of the reweighting", z->L,
         ceas_error_message());
    rc = CEAS_OK;
    goto done;
  }
  if (rc) goto done;
  ceas_analysis_rw_get_info(z->rw, &z->info);
  if (z->short_blocks)
    note(s,
         "L = %ld: %zu of %zu runs have jackknife blocks shorter than 16 tau_int; "
         "reweighting errors may be too small (fewer --blocks or longer runs)",
         z->L, z->short_blocks, used);
  if (z->info.min_overlap < 0.03)
    note(s,
         "L = %ld: neighbouring betas overlap poorly in energy (Bhattacharyya overlap "
         "%.3g): reweighting between them is unreliable; simulate more betas",
         z->L, z->info.min_overlap);
done:
  if (mem)
    for (size_t i = 0; i < 3 * k; i++) free(mem[i]);
  free(mem);
  free(runs);
  free(keep);
  return rc;
}

static int size_curves(ana_state *s, ana_size *z) {
  const size_t G = s->o->grid;
  z->grid = G;
  z->beta = ceas_malloc(G * sizeof *z->beta);
  if (!z->beta) return CEAS_ENOMEM;
  for (int q = 0; q < CEAS_RW_COUNT; q++) {
    z->val[q] = ceas_malloc(G * sizeof *z->val[q]);
    z->err[q] = ceas_malloc(G * sizeof *z->err[q]);
    if (!z->val[q] || !z->err[q]) return CEAS_ENOMEM;
  }
  for (size_t i = 0; i < G; i++) {
    double b = i + 1 == G ? z->info.hi
                          : z->info.lo + (z->info.hi - z->info.lo) * (double)i / (double)(G - 1);
    z->beta[i] = b;
    double v[CEAS_RW_COUNT], e[CEAS_RW_COUNT];
    ceas_analysis_rw_eval_error(z->rw, b, v, e);
    for (int q = 0; q < CEAS_RW_COUNT; q++) {
      z->val[q][i] = v[q];
      z->err[q][i] = e[q];
    }
  }
  ceas_analysis_curve c;
  ceas_analysis_rw_curve(z->rw, CEAS_RW_SPECIFIC_HEAT, -1, &c);
  int rc = ceas_analysis_peak_find(&c, G, &z->peak_c);
  ceas_analysis_rw_curve(z->rw, CEAS_RW_SUSCEPTIBILITY_CONNECTED, -1, &c);
  if (!rc) rc = ceas_analysis_peak_find(&c, G, &z->peak_chi);
  if (!rc && !z->peak_chi.found)
    note(s, "L = %ld: the maximum of chi' is not inside the reweighting range "
         "[%.6g, %.6g]; no peak", z->L, z->info.lo, z->info.hi);
  return rc;
}

static int build_sizes(ana_state *s) {
  size_t n_sizes = 0;
  for (size_t i = 0; i < s->n_points; i++)
    if (i == 0 || s->points[i].info->L != s->points[i - 1].info->L) n_sizes++;
  s->sizes = ceas_calloc(n_sizes, sizeof *s->sizes);
  if (!s->sizes) return CEAS_ENOMEM;
  for (size_t i = 0; i < s->n_points; i++) {
    if (i == 0 || s->points[i].info->L != s->points[i - 1].info->L) {
      ana_size *z = &s->sizes[s->n_sizes++];
      z->L = s->points[i].info->L;
      z->first = i;
    }
    s->sizes[s->n_sizes - 1].count++;
  }
  for (size_t i = 0; i < s->n_sizes; i++) {
    int rc = build_size(s, &s->sizes[i]);
    if (rc) return rc;
  }
  /* Drop the sizes without a reweighting; pack the per-task points. */
  size_t w = 0, pw = 0;
  for (size_t i = 0; i < s->n_sizes; i++) {
    ana_size z = s->sizes[i];
    size_t first = pw;
    for (size_t j = 0; j < z.count; j++) s->points[pw++] = s->points[z.first + j];
    z.first = first;
    /* A size whose reweighting failed keeps its per-task points. */
    if (z.rw) s->sizes[w++] = z;
  }
  s->n_points = pw;
  s->n_sizes = w;
  if (s->n_points == 0)
    return ceas_error_set(CEAS_EINPUT, "%s: none of the task files could be read",
                          s->o->dir);
  for (size_t i = 0; i < s->n_sizes; i++) {
    int rc = size_curves(s, &s->sizes[i]);
    if (rc) return rc;
  }
  return CEAS_OK;
}

/* ---- step 3: crossings ------------------------------------------------------------ */

static int find_crossings(ana_state *s) {
  static const int q[2] = {CEAS_RW_BINDER, CEAS_RW_XI_OVER_L};
  static const int dq[2] = {CEAS_RW_DBINDER_DBETA, CEAS_RW_DXI_OVER_L_DBETA};
  s->cross[0].name = "binder";
  s->cross[1].name = "xi_over_L";
  if (s->n_sizes < 2) {
    note(s, "only one system size (L = %ld): no crossings and no finite-size scaling",
         s->n_sizes ? s->sizes[0].L : 0L);
    return CEAS_OK;
  }
  for (int k = 0; k < 2; k++) {
    if (k == 1 && !s->has_xi) continue; /* graphs: no xi, only U4 crosses */
    s->cross[k].n = s->n_sizes - 1;
    s->cross[k].c = ceas_calloc(s->n_sizes - 1, sizeof *s->cross[k].c);
    if (!s->cross[k].c) return CEAS_ENOMEM;
    for (size_t i = 0; i + 1 < s->n_sizes; i++) {
      ceas_analysis_curve a, b;
      ceas_analysis_rw_curve(s->sizes[i].rw, q[k], dq[k], &a);
      ceas_analysis_rw_curve(s->sizes[i + 1].rw, q[k], dq[k], &b);
      int rc = ceas_analysis_crossing_find(&a, &b, 2 * s->o->grid, &s->cross[k].c[i]);
      if (rc) return rc;
      const ceas_analysis_crossing *x = &s->cross[k].c[i];
      if (x->status == CEAS_CROSSING_NO_SIGN_CHANGE)
        note(s, "%s: no crossing of L = %ld and L = %ld in their common beta range",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L);
      else if (!x->found && x->status == CEAS_CROSSING_NOT_SIGNIFICANT)
        note(s, "%s: refused the crossing of L = %ld and L = %ld at beta = %.6g: %s "
                "(difference/error %.2g below, %.2g above)",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L, x->beta,
             ceas_analysis_crossing_status_name(x->status), x->z_below, x->z_above);
      else if (!x->found)
        note(s, "%s: refused the crossing of L = %ld and L = %ld at beta = %.6g: %s",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L, x->beta,
             ceas_analysis_crossing_status_name(x->status));
      else if (!isfinite(s->cross[k].c[i].beta_error))
        note(s, "%s: crossing of L = %ld and L = %ld has no jackknife error (some "
             "jackknife sample does not cross); left out of the fits",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L);
    }
  }
  return CEAS_OK;
}

/* ---- step 4-5: finite-size scaling -------------------------------------------------- */

static ana_fit *new_fit(ana_state *s, const char *name, const char *what,
                        const char *x_name, const char *y_name) {
  ana_fit *f = &s->fits[s->n_fits++];
  memset(f, 0, sizeof *f);
  f->name = name;
  f->what = what;
  f->x_name = x_name;
  f->y_name = y_name;
  f->fit.ok = 0;
  return f;
}

static void set_estimate(ana_estimate *e, double v, double err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_estimate(ana_estimate *e, double v, double err, const char *fmt, ...) {
  e->value = v;
  e->error = err;
  e->ok = isfinite(v);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->source, sizeof e->source, fmt, ap);
  va_end(ap);
}

/* beta_c from the crossings of one quantity: beta*(L1) = beta_c + a L1^-x, with
 * x = 1/nu + omega (a crossing moves as L^(-1/nu-omega), Binder 1981). x is free
 * with 4 or more crossings, else fixed at 1/nu0 + omega. */
static int fit_crossings(ana_state *s, int k, ana_fit *f, ana_estimate *est) {
  const ana_crossings *c = &s->cross[k];
  int rc = fit_points(f, c->n);
  if (rc) return rc;
  for (size_t i = 0; i < c->n; i++) {
    if (!c->c[i].found || !isfinite(c->c[i].beta_error)) continue;
    f->x[f->n] = c->c[i].L1;
    f->y[f->n] = c->c[i].beta;
    f->dy[f->n] = c->c[i].beta_error;
    f->n++;
  }
  est->ok = 0;
  if (f->n == 0) return CEAS_OK;
  f->attempted = 1;
  double x0 = isfinite(s->nu0) ? 1.0 / s->nu0 + s->omega : 1.0 + s->omega;
  double last = f->y[f->n - 1];
  double p[3] = {last, 0.0, x0};
  int fixed[3] = {0, 0, 0};
  if (f->n >= 2) {
    double d = pow(f->x[0], -x0) - pow(f->x[f->n - 1], -x0);
    p[1] = d != 0 ? (f->y[0] - last) / d : 0.0;
  }
  if (f->n >= 4) {
    double p0[3] = {p[0], p[1], p[2]};
    rc = ceas_analysis_fit_run(CEAS_FIT_SHIFT, f->x, f->y, f->dy, f->n, p, fixed, &f->fit);
    /* When the crossings have stopped moving within their errors the data cannot
     * fix x: the free fit then wanders off (x of order 10 with an error larger than
     * itself) and its beta_c error means nothing. Fall back to the fixed exponent. */
    double x = f->fit.par[2], dx = f->fit.err[2];
    int undetermined = !f->fit.ok || !(x > 0) || !(dx < x) || x > 4 * x0;
    if (!rc && undetermined && isfinite(s->nu0)) {
      note(s, "%s crossings: the shift exponent is not determined by the data (x = %.3g +- "
              "%.2g); fixed at 1/nu0 + omega = %.4g",
           c->name, x, dx, x0);
      fixed[2] = 1;
      rc = ceas_analysis_fit_run(CEAS_FIT_SHIFT, f->x, f->y, f->dy, f->n, p0, fixed, &f->fit);
    }
  } else if (f->n >= 2 && isfinite(s->nu0)) {
    fixed[2] = 1;
    rc = ceas_analysis_fit_run(CEAS_FIT_SHIFT, f->x, f->y, f->dy, f->n, p, fixed, &f->fit);
  } else {
    snprintf(f->fit.note, sizeof f->fit.note,
             "%zu crossing%s%s: beta_c is the crossing of the largest pair, not "
             "extrapolated",
             f->n, f->n == 1 ? "" : "s",
             f->n >= 2 ? " and no nu to fix the shift exponent" : "");
    f->fit.model = CEAS_FIT_SHIFT;
    f->fit.n_par = 3;
    f->fit.n_points = f->n;
    set_estimate(est, last, f->dy[f->n - 1],
                 "%s crossing of L1 = %g and the next size (not extrapolated)", c->name,
                 f->x[f->n - 1]);
    note(s, "%s: %s", c->name, f->fit.note);
    return CEAS_OK;
  }
  if (rc) return rc;
  if (f->fit.ok)
    set_estimate(est, f->fit.par[0], f->fit.err[0], "%s crossings, fit %s (x %s)", c->name,
                 ceas_analysis_fit_formula(CEAS_FIT_SHIFT),
                 f->fit.fixed[2] ? "fixed at 1/nu + omega" : "free");
  else
    note(s, "%s crossing fit: %s", c->name, f->fit.note);
  return CEAS_OK;
}

/* nu0: the exponent for fixed shift exponents, before beta_c is known: --nu, or the
 * quotient method at the crossing of the largest pair (xi/L, then U4). */
static void choose_nu0(ana_state *s) {
  s->nu0 = NAN;
  if (!isnan(s->o->nu)) {
    s->nu0 = s->o->nu;
    snprintf(s->nu0_source, sizeof s->nu0_source, "--nu");
    return;
  }
  for (int k = 1; k >= 0; k--) {
    const ana_crossings *c = &s->cross[k];
    for (size_t i = c->n; i-- > 0;) {
      if (c->c[i].found && c->c[i].inv_nu > 0) {
        s->nu0 = 1.0 / c->c[i].inv_nu;
        snprintf(s->nu0_source, sizeof s->nu0_source,
                 "quotient of %s slopes at the L = %g/%g crossing", c->name, c->c[i].L1,
                 c->c[i].L2);
        return;
      }
    }
  }
  snprintf(s->nu0_source, sizeof s->nu0_source, "none");
}

/* y = A L^p + B from the points of a pure power-law fit, with 4 or more points:
 * B is the analytic background, whose relative weight falls as L^-p. */
static int fit_background(ana_fit *pure, ana_fit *bg) {
  int rc = fit_points(bg, pure->n);
  if (rc) return rc;
  memcpy(bg->x, pure->x, pure->n * sizeof *bg->x);
  memcpy(bg->y, pure->y, pure->n * sizeof *bg->y);
  memcpy(bg->dy, pure->dy, pure->n * sizeof *bg->dy);
  bg->n = pure->n;
  if (bg->n < 4 || !pure->fit.ok) return CEAS_OK;
  bg->attempted = 1;
  double p[3] = {pure->fit.par[0], pure->fit.par[1], 0.0};
  return ceas_analysis_fit_run(CEAS_FIT_POWER_BG, bg->x, bg->y, bg->dy, bg->n, p, NULL, &bg->fit);
}

static int fit_slopes(ana_state *s, ana_fit *fx, ana_fit *fu, ana_fit *bx, ana_fit *bu,
                      ana_estimate *ex, ana_estimate *eu) {
  ex->ok = eu->ok = 0;
  if (!s->beta_c.ok) return CEAS_OK;
  double bc = s->beta_c.value;
  s->slope_beta = bc;
  size_t n = s->n_sizes;
  s->slope_L = ceas_calloc(5 * (n ? n : 1), sizeof *s->slope_L);
  if (!s->slope_L) return CEAS_ENOMEM;
  s->slope_xi = s->slope_L + n;
  s->slope_xi_err = s->slope_xi + n;
  s->slope_u4 = s->slope_xi_err + n;
  s->slope_u4_err = s->slope_u4 + n;
  int rc = fit_points(fx, n);
  if (!rc) rc = fit_points(fu, n);
  if (rc) return rc;
  size_t outside = 0;
  for (size_t i = 0; i < n; i++) {
    ana_size *z = &s->sizes[i];
    if (bc < z->info.lo || bc > z->info.hi) {
      outside++;
      continue;
    }
    ceas_analysis_curve c;
    size_t j = s->n_slopes++;
    s->slope_L[j] = (double)z->L;
    ceas_analysis_rw_curve(z->rw, CEAS_RW_XI_OVER_L, CEAS_RW_DXI_OVER_L_DBETA, &c);
    ceas_analysis_curve_at(&c, bc, 1, &s->slope_xi[j], &s->slope_xi_err[j]);
    ceas_analysis_rw_curve(z->rw, CEAS_RW_BINDER, CEAS_RW_DBINDER_DBETA, &c);
    ceas_analysis_curve_at(&c, bc, 1, &s->slope_u4[j], &s->slope_u4_err[j]);
    fx->x[fx->n] = fu->x[fu->n] = (double)z->L;
    fx->y[fx->n] = s->slope_xi[j];
    fx->dy[fx->n++] = s->slope_xi_err[j];
    fu->y[fu->n] = s->slope_u4[j];
    fu->dy[fu->n++] = s->slope_u4_err[j];
  }
  if (outside)
    note(s, "beta_c = %.8g lies outside the reweighting range of %zu size(s): their "
         "slopes are not used", bc, outside);
  ana_fit *fits[2] = {fx, fu}, *bgs[2] = {bx, bu};
  ana_estimate *est[2] = {ex, eu};
  for (int k = 0; k < 2; k++) {
    ana_fit *f = fits[k], *g = bgs[k];
    const char *q = k ? "U4" : "xi/L";
    if (f->n < 2 || (k == 0 && !s->has_xi)) continue;
    f->attempted = 1;
    double p[2] = {1.0, 1.0};
    rc = ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, f->x, f->y, f->dy, f->n, p, NULL, &f->fit);
    if (!rc) rc = fit_background(f, g);
    if (rc) return rc;
    /* With 4 or more sizes the background absorbs the leading correction (the
     * analytic part of d<O>/dbeta); otherwise the pure power law. */
    if (g->attempted && g->fit.ok && g->fit.par[1] > 0)
      set_estimate(est[k], 1.0 / g->fit.par[1], g->fit.err[1] / (g->fit.par[1] * g->fit.par[1]),
                   "slopes d(%s)/dbeta at beta_c = A L^(1/nu) + B", q);
    else if (f->fit.ok && f->fit.par[1] > 0)
      set_estimate(est[k], 1.0 / f->fit.par[1], f->fit.err[1] / (f->fit.par[1] * f->fit.par[1]),
                   "slopes d(%s)/dbeta at beta_c ~ L^(1/nu)", q);
    else
      note(s, "%s slope fit: %s", q, f->fit.ok ? "negative exponent" : f->fit.note);
    if (g->attempted && !g->fit.ok) note(s, "%s slope fit with background: %s", q, g->fit.note);
  }
  return CEAS_OK;
}

/* chi' peak positions: beta_max(L) = beta_c + a L^(-1/nu) [+ b L^(-1/nu-omega)]. */
static int fit_peaks(ana_state *s, ana_fit *fa, ana_fit *fb, ana_fit *fg, ana_fit *gb,
                     ana_estimate *ea, ana_estimate *eb, ana_estimate *eg) {
  ea->ok = eb->ok = eg->ok = 0;
  size_t n = s->n_sizes;
  int rc = fit_points(fa, n);
  if (!rc) rc = fit_points(fb, n);
  if (!rc) rc = fit_points(fg, n);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    const ceas_analysis_peak *p = &s->sizes[i].peak_chi;
    if (!p->found || !isfinite(p->beta_error) || !isfinite(p->value_error)) continue;
    double L = (double)s->sizes[i].L;
    fa->x[fa->n] = fb->x[fb->n] = fg->x[fg->n] = L;
    fa->y[fa->n] = fb->y[fb->n] = p->beta;
    fa->dy[fa->n++] = fb->dy[fb->n++] = p->beta_error;
    fg->y[fg->n] = p->value;
    fg->dy[fg->n++] = p->value_error;
  }
  double nu = s->nu.ok ? s->nu.value : s->nu0;
  if (fa->n >= 2 && (fa->n >= 4 || isfinite(nu))) {
    fa->attempted = 1;
    double x0 = isfinite(nu) ? 1.0 / nu : 1.0;
    double last = fa->y[fa->n - 1];
    double d = pow(fa->x[0], -x0) - pow(fa->x[fa->n - 1], -x0);
    double p[3] = {last, d != 0 ? (fa->y[0] - last) / d : 0.0, x0};
    int fixed[3] = {0, 0, fa->n < 4};
    rc = ceas_analysis_fit_run(CEAS_FIT_SHIFT, fa->x, fa->y, fa->dy, fa->n, p, fixed, &fa->fit);
    if (rc) return rc;
    if (fa->fit.ok)
      set_estimate(ea, fa->fit.par[0], fa->fit.err[0], "chi' peak positions (x %s)",
                   fixed[2] ? "fixed at 1/nu" : "free");
    if (fa->n >= 4 && isfinite(nu) && fa->fit.ok) {
      fb->attempted = 1;
      double q[5] = {fa->fit.par[0], fa->fit.par[1], 1.0 / nu, 0.0, s->omega};
      int fq[5] = {0, 0, 1, 0, 1};
      rc = ceas_analysis_fit_run(CEAS_FIT_SHIFT_CORR, fb->x, fb->y, fb->dy, fb->n, q, fq,
                                 &fb->fit);
      if (rc) return rc;
      if (fb->fit.ok)
        set_estimate(eb, fb->fit.par[0], fb->fit.err[0],
                     "chi' peak positions with correction L^(-1/nu-omega)");
    }
  }
  if (fg->n >= 2) {
    fg->attempted = 1;
    double p[2] = {1.0, 1.75};
    rc = ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, fg->x, fg->y, fg->dy, fg->n, p, NULL,
                               &fg->fit);
    if (!rc) rc = fit_background(fg, gb);
    if (rc) return rc;
    if (gb->attempted && gb->fit.ok)
      set_estimate(eg, gb->fit.par[1], gb->fit.err[1], "chi'_max = A L^(gamma/nu) + B");
    else if (fg->fit.ok)
      set_estimate(eg, fg->fit.par[1], fg->fit.err[1], "chi'_max ~ L^(gamma/nu)");
    else
      note(s, "chi'_max fit: %s", fg->fit.note);
    if (gb->attempted && !gb->fit.ok) note(s, "chi'_max fit with background: %s", gb->fit.note);
  }
  return CEAS_OK;
}

static int do_collapse(ana_state *s) {
  static const int obs[2] = {CEAS_OBS_BINDER, CEAS_OBS_XI_2ND};
  s->collapse[0].quantity = "binder";
  s->collapse[1].quantity = "xi_over_L";
  if (s->n_sizes < 2 || !s->beta_c.ok || !s->nu.ok) return CEAS_OK;
  size_t n = s->n_points;
  double *buf = ceas_malloc(4 * n * sizeof *buf);
  if (!buf) return CEAS_ENOMEM;
  double *L = buf, *b = buf + n, *y = buf + 2 * n, *dy = buf + 3 * n;
  int rc = CEAS_OK;
  for (int k = 0; k < 2 && !rc; k++) {
    if (obs[k] == CEAS_OBS_XI_2ND && !s->has_xi) continue;
    for (size_t i = 0; i < n; i++) {
      const ana_point *p = &s->points[i];
      L[i] = (double)p->info->L;
      b[i] = p->info->beta;
      double scale = obs[k] == CEAS_OBS_XI_2ND ? 1.0 / L[i] : 1.0;
      y[i] = p->res.obs[obs[k]].mean * scale;
      dy[i] = p->res.obs[obs[k]].error * scale;
    }
    ana_collapse *c = &s->collapse[k];
    c->beta_c = s->beta_c.value;
    c->nu = s->nu.value;
    rc = ceas_analysis_collapse_S(L, b, y, dy, n, c->beta_c, c->nu, s->o->collapse_window,
                                  &c->S, &c->n_terms);
    if (rc) break;
    c->done = 1;
    int fixed[2] = {!isnan(s->o->beta_c), !isnan(s->o->nu)};
    rc = ceas_analysis_collapse_optimize(L, b, y, dy, n, c->beta_c, c->nu, fixed,
                                         s->o->collapse_window, &c->opt);
  }
  free(buf);
  return rc;
}

static int finite_size_scaling(ana_state *s) {
  if (s->n_sizes < 2) return CEAS_OK;
  choose_nu0(s);
  ana_fit *fx = new_fit(s, "beta_c_xi_crossings",
                        "crossings of xi/L between consecutive sizes vs L1",
                        "L1 (smaller size of the pair)", "beta at the crossing");
  ana_fit *fu = new_fit(s, "beta_c_binder_crossings",
                        "crossings of U4 between consecutive sizes vs L1",
                        "L1 (smaller size of the pair)", "beta at the crossing");
  ana_estimate bx = {0}, bu = {0};
  int rc = fit_crossings(s, 1, fx, &bx);
  if (!rc) rc = fit_crossings(s, 0, fu, &bu);
  if (rc) return rc;
  /* Headline beta_c: xi/L crossings (smallest corrections in practice, and xi/L
   * has the steeper crossing), then U4 crossings; the chi' peaks move as
   * L^(-1/nu), much more slowly, and only serve as a fallback. */
  if (!isnan(s->o->beta_c))
    set_estimate(&s->beta_c, s->o->beta_c, 0.0, "fixed by --beta-c");
  else if (bx.ok)
    s->beta_c = bx;
  else if (bu.ok)
    s->beta_c = bu;

  ana_fit *sx = new_fit(s, "nu_xi_slope", "d(xi/L)/dbeta at beta_c vs L: A L^p, nu = 1/p",
                        "L", "d(xi/L)/dbeta at beta_c");
  ana_fit *su = new_fit(s, "nu_binder_slope", "dU4/dbeta at beta_c vs L: A L^p, nu = 1/p",
                        "L", "dU4/dbeta at beta_c");
  ana_fit *sxb = new_fit(s, "nu_xi_slope_corrected",
                         "d(xi/L)/dbeta at beta_c vs L: A L^p + B, nu = 1/p", "L",
                         "d(xi/L)/dbeta at beta_c");
  ana_fit *sub = new_fit(s, "nu_binder_slope_corrected",
                         "dU4/dbeta at beta_c vs L: A L^p + B, nu = 1/p", "L",
                         "dU4/dbeta at beta_c");
  ana_estimate nx = {0}, nuu = {0};
  if (s->beta_c.ok) {
    rc = fit_slopes(s, sx, su, sxb, sub, &nx, &nuu);
    if (rc) return rc;
  }
  if (!isnan(s->o->nu))
    set_estimate(&s->nu, s->o->nu, 0.0, "fixed by --nu");
  else if (nx.ok)
    s->nu = nx;
  else if (nuu.ok)
    s->nu = nuu;
  else if (isfinite(s->nu0))
    set_estimate(&s->nu, s->nu0, NAN, "%s", s->nu0_source);

  ana_fit *pa = new_fit(s, "beta_c_chi_peaks", "positions of the maxima of chi' vs L", "L",
                        "beta at the maximum of chi'");
  ana_fit *pb = new_fit(s, "beta_c_chi_peaks_corrected",
                        "positions of the maxima of chi' vs L, with a correction term", "L",
                        "beta at the maximum of chi'");
  ana_fit *pg = new_fit(s, "gamma_over_nu_chi_max", "maxima of chi' vs L: A L^p, p = gamma/nu",
                        "L", "maximum of chi'");
  ana_fit *pgb = new_fit(s, "gamma_over_nu_chi_max_corrected",
                         "maxima of chi' vs L: A L^p + B, p = gamma/nu", "L", "maximum of chi'");
  ana_estimate ea = {0}, eb = {0};
  rc = fit_peaks(s, pa, pb, pg, pgb, &ea, &eb, &s->gamma_over_nu);
  if (rc) return rc;
  if (!s->beta_c.ok && ea.ok) {
    s->beta_c = ea;
    note(s, "no crossing gave beta_c; using the chi' peak positions, which converge more "
         "slowly (L^(-1/nu))");
  }
  return do_collapse(s);
}

/* ---- step 6: zeta_CE ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

static int zeta_ce(ana_state *s) {
  const ceas_analysis_options *o = s->o;
  if (!o->zeta_ce) return CEAS_OK;
  if (!s->has_xi) {
    note(s, "--zeta-ce: the tasks have no structure factor (graphs), so no xi_2nd; "
            "zeta_CE skipped");
    return CEAS_OK;
  }
  double bc = NAN;
  if (!isnan(o->beta_c)) {
    bc = o->beta_c;
    snprintf(s->zeta_beta_c_source, sizeof s->zeta_beta_c_source, "--beta-c");
  } else if (s->beta_c.ok) {
    bc = s->beta_c.value;
    snprintf(s->zeta_beta_c_source, sizeof s->zeta_beta_c_source, "%s", s->beta_c.source);
  } else {
    note(s, "--zeta-ce: no beta_c (one size only, no crossing): give --beta-c; zeta_CE skipped");
    return CEAS_OK;
  }
  s->zeta_beta_c = bc;
  s->zeta_done = 1;
  size_t n = s->n_points;
  ana_fit *f = &s->zeta;
  f->name = "zeta_ce";
  f->what = "xi_2nd of tasks with beta < beta_c and xi_2nd <= xi_max_frac L vs beta";
  f->x_name = "beta";
  f->y_name = "xi_2nd";
  int rc = fit_points(f, n);
  if (rc) return rc;
  s->zeta_L = ceas_calloc(4 * (n ? n : 1), sizeof *s->zeta_L);
  if (!s->zeta_L) return CEAS_ENOMEM;
  s->zeta_u = s->zeta_L + n;
  s->zeta_tau = s->zeta_u + n;
  s->zeta_tau_err = s->zeta_tau + n;
  for (size_t i = 0; i < n; i++) {
    const ana_point *p = &s->points[i];
    const ceas_measure_value *xi = &p->res.obs[CEAS_OBS_XI_2ND];
    if (!(p->info->beta < bc)) continue;
    if (!(xi->mean > 0 && xi->error > 0 && xi->mean <= o->xi_max_frac * (double)p->info->L))
      continue;
    size_t j = f->n++;
    f->x[j] = p->info->beta;
    f->y[j] = xi->mean;
    f->dy[j] = xi->error;
    s->zeta_L[j] = (double)p->info->L;
    s->zeta_u[j] = (bc - p->info->beta) / bc;
    /* In sweeps, so that tasks measured at different intervals compare. */
    double every = (double)p->info->measure_every;
    s->zeta_tau[j] = p->res.obs[CEAS_OBS_ABS_M].tau_int * every;
    s->zeta_tau_err[j] = p->res.obs[CEAS_OBS_ABS_M].tau_int_err * every;
  }
  double p0[4] = {1.0, 0.75, bc, o->u_min};
  int fixed[4] = {0, 0, 1, 1};
  f->attempted = 1;
  rc = ceas_analysis_fit_run(CEAS_FIT_ZETA, f->x, f->y, f->dy, f->n, p0, fixed, &f->fit);
  if (rc) return rc;
  if (!f->fit.ok)
    note(s, "zeta_CE fit: %s (%zu tasks with beta < %.8g and xi_2nd <= %.4g L)", f->fit.note,
         f->n, bc, o->xi_max_frac);

  /* z per algorithm: tau_int(|m|) = A xi^z, log-log, weighted by the effective
   * variance (dtau/tau)^2 + z^2 (dxi/xi)^2 (Orear 1982): xi has errors too. */
  char (*algos)[32] = ceas_calloc(n ? n : 1, sizeof *algos);
  if (!algos) return CEAS_ENOMEM;
  size_t na = 0;
  for (size_t i = 0; i < n; i++) {
    int seen = 0;
    for (size_t a = 0; a < na; a++) seen |= !strcmp(algos[a], s->points[i].info->algo);
    if (!seen) snprintf(algos[na++], 32, "%s", s->points[i].info->algo);
  }
  qsort(algos, na, sizeof *algos, cmp_str);
  s->z = ceas_calloc(na ? na : 1, sizeof *s->z);
  if (!s->z) {
    free(algos);
    return CEAS_ENOMEM;
  }
  for (size_t a = 0; a < na && !rc; a++) {
    ana_zfit *z = &s->z[s->n_z++];
    snprintf(z->algo, sizeof z->algo, "%s", algos[a]);
    z->fit.name = "z";
    z->fit.what = "tau_int(|m|) vs xi_2nd of the zeta_CE tasks of one algorithm: A xi^z";
    z->fit.x_name = "xi_2nd";
    z->fit.y_name = "tau_int(|m|) in sweeps";
    rc = fit_points(&z->fit, f->n);
    if (rc) break;
    double *xerr = ceas_malloc((f->n ? f->n : 1) * sizeof *xerr);
    double *tau_err = ceas_malloc((f->n ? f->n : 1) * sizeof *tau_err);
    if (!xerr || !tau_err) {
      free(xerr);
      free(tau_err);
      rc = CEAS_ENOMEM;
      break;
    }
    /* The points of this algorithm among the zeta_CE points. */
    size_t j = 0;
    for (size_t i = 0, k = 0; i < n; i++) {
      const ana_point *p = &s->points[i];
      const ceas_measure_value *xi = &p->res.obs[CEAS_OBS_XI_2ND];
      if (!(p->info->beta < bc)) continue;
      if (!(xi->mean > 0 && xi->error > 0 && xi->mean <= o->xi_max_frac * (double)p->info->L))
        continue;
      size_t kk = k++;
      if (strcmp(p->info->algo, z->algo) != 0) continue;
      z->fit.x[j] = f->y[kk];
      xerr[j] = f->dy[kk];
      z->fit.y[j] = s->zeta_tau[kk];
      tau_err[j] = s->zeta_tau_err[kk];
      z->fit.dy[j] = tau_err[j];
      j++;
    }
    z->fit.n = j;
    z->fit.attempted = 1;
    double p[2] = {1.0, 1.0};
    for (int it = 0; it < 4 && !rc; it++) {
      rc = ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, z->fit.x, z->fit.y, z->fit.dy, j, p,
                                 NULL, &z->fit.fit);
      if (rc || !z->fit.fit.ok) break;
      double zz = z->fit.fit.par[1];
      for (size_t i = 0; i < j; i++) {
        double rt = tau_err[i] / z->fit.y[i], rx = xerr[i] / z->fit.x[i];
        z->fit.dy[i] = z->fit.y[i] * sqrt(rt * rt + zz * zz * rx * rx);
      }
    }
    free(xerr);
    free(tau_err);
    if (!rc && !z->fit.fit.ok)
      note(s, "z (%s): %s", z->algo, z->fit.fit.note);
  }
  free(algos);
  return rc;
}

/* ---- report ------------------------------------------------------------------------ */

static void print_fit(FILE *r, const char *label, const ana_fit *f) {
  if (!f->attempted) return;
  const ceas_analysis_fit *x = &f->fit;
  if (!x->ok) {
    fprintf(r, "  %-28s %s\n", label, x->note[0] ? x->note : "not fitted");
    return;
  }
  fprintf(r, "  %-28s %s:", label, ceas_analysis_fit_formula(x->model));
  for (size_t i = 0; i < x->n_par; i++) {
    if (x->fixed[i])
      fprintf(r, " %s=%.6g (fixed)", ceas_analysis_fit_param_name(x->model, i), x->par[i]);
    else
      fprintf(r, " %s=%.8g+-%.2g", ceas_analysis_fit_param_name(x->model, i), x->par[i],
              x->err[i]);
  }
  fprintf(r, "  [%zu points, chi2/dof=", x->n_points);
  if (x->dof > 0)
    fprintf(r, "%.3g", x->chi2_per_dof);
  else
    fprintf(r, "n/a (dof=0)");
  if (x->error_scale > 1) fprintf(r, ", errors scaled by %.3g", x->error_scale);
  fprintf(r, "]\n");
}

static void print_estimate(FILE *r, const char *name, const ana_estimate *e, int known,
                           double exact) {
  if (!e->ok) {
    fprintf(r, "  %-10s %28s\n", name, "(not determined)");
    return;
  }
  char val[64];
  if (isfinite(e->error) && e->error > 0)
    snprintf(val, sizeof val, "%.8g +- %.2g", e->value, e->error);
  else
    snprintf(val, sizeof val, "%.8g", e->value);
  fprintf(r, "  %-10s %28s", name, val);
  if (known) {
    fprintf(r, "  %12.9g", exact);
    if (isfinite(e->error) && e->error > 0)
      fprintf(r, "  %+8.2f", (e->value - exact) / e->error);
    else
      fprintf(r, "  %8s", "-");
  }
  fprintf(r, "  %s\n", e->source);
}

static void report(const ana_state *s) {
  FILE *r = s->o->report;
  if (!r) return;
  fprintf(r, "ceasim %s analyze %s: model %s, %zu tasks used", ceas_version(), s->o->dir,
          s->model, s->n_points);
  if (s->n_tasks_skipped) fprintf(r, " (%zu skipped)", s->n_tasks_skipped);
  fprintf(r, ", %zu sizes, %zu jackknife blocks per run\n\n", s->n_sizes, s->o->blocks);
  fprintf(r, "multi-histogram reweighting per size (peaks with jackknife errors):\n");
  fprintf(r, "  %5s %5s %-19s %-19s %-25s %-25s\n", "L", "runs", "beta range",
          "C peak beta", "C max", "chi' peak beta / chi' max");
  for (size_t i = 0; i < s->n_sizes; i++) {
    const ana_size *z = &s->sizes[i];
    char range[48], cb[48], cv[48], xb[80];
    snprintf(range, sizeof range, "%.5g..%.5g", z->info.lo, z->info.hi);
    if (z->peak_c.found) {
      snprintf(cb, sizeof cb, "%.6f+-%.1g", z->peak_c.beta, z->peak_c.beta_error);
      snprintf(cv, sizeof cv, "%.5g+-%.2g", z->peak_c.value, z->peak_c.value_error);
    } else {
      snprintf(cb, sizeof cb, "(outside range)");
      cv[0] = '\0';
    }
    if (z->peak_chi.found)
      snprintf(xb, sizeof xb, "%.6f+-%.1g / %.5g+-%.2g", z->peak_chi.beta,
               z->peak_chi.beta_error, z->peak_chi.value, z->peak_chi.value_error);
    else
      snprintf(xb, sizeof xb, "(outside range)");
    fprintf(r, "  %5ld %5zu %-19s %-19s %-25s %s\n", z->L, z->info.n_runs, range, cb, cv, xb);
  }
  for (int k = 1; k >= 0; k--) {
    const ana_crossings *c = &s->cross[k];
    if (!c->n) continue;
    fprintf(r, "\ncrossings of %s:\n  %5s %5s  %-22s %-20s %s\n", c->name, "L1", "L2", "beta",
            "value", "1/nu (slope quotient)");
    for (size_t i = 0; i < c->n; i++) {
      const ceas_analysis_crossing *x = &c->c[i];
      if (!x->found) {
        if (x->status == CEAS_CROSSING_NO_SIGN_CHANGE)
          fprintf(r, "  %5g %5g  (none)\n", x->L1, x->L2);
        else
          fprintf(r, "  %5g %5g  (refused at %.6f: %s)\n", x->L1, x->L2, x->beta,
                  ceas_analysis_crossing_status_name(x->status));
        continue;
      }
      fprintf(r, "  %5g %5g  %.8f+-%-9.2g %.5f+-%-9.2g %.4g+-%.2g\n", x->L1, x->L2, x->beta,
              x->beta_error, x->value, x->value_error, x->inv_nu, x->inv_nu_error);
    }
  }
  if (s->n_fits) {
    fprintf(r, "\nfinite-size-scaling fits (weighted; errors scaled by sqrt(chi2/dof) when it "
               "exceeds 1):\n");
    if (isfinite(s->nu0))
      fprintf(r,
              "  with fewer than 4 crossings the shift exponent is fixed at x = 1/nu0 + omega: "
              "nu0 = %.5g (%s), omega = %.4g\n",
              s->nu0, s->nu0_source, s->omega);
    for (size_t i = 0; i < s->n_fits; i++) print_fit(r, s->fits[i].name, &s->fits[i]);
    for (int k = 0; k < 2; k++) {
      const ana_collapse *c = &s->collapse[k];
      if (!c->done) continue;
      fprintf(r, "  collapse_%-19s S = %.3g (%zu terms) at beta_c = %.8g, nu = %.5g", c->quantity,
              c->S, c->n_terms, c->beta_c, c->nu);
      if (c->opt.ok)
        fprintf(r, "; minimum S = %.3g at beta_c = %.8g+-%.2g, nu = %.5g+-%.2g", c->opt.S_min,
                c->opt.beta_c, c->opt.beta_c_error, c->opt.nu, c->opt.nu_error);
      fprintf(r, "\n");
    }
  }
  fprintf(r, "\nresults%s:\n", s->known ? " (exact / best-known values and the deviation in "
                                          "error bars)"
                                        : "");
  if (s->known)
    fprintf(r, "  %-10s %28s  %12s  %8s  %s\n", "", "estimate", "reference", "dev/sigma",
            "estimator");
  print_estimate(r, "beta_c", &s->beta_c, s->known, s->exact_beta_c);
  print_estimate(r, "nu", &s->nu, s->known, s->exact_nu);
  print_estimate(r, "gamma/nu", &s->gamma_over_nu, s->known, s->exact_gamma_over_nu);
  if (s->zeta_done) {
    const ceas_analysis_fit *z = &s->zeta.fit;
    fprintf(r, "\nzeta_CE: xi = A / max(u, u_min)^nu, u = |beta - beta_c|/beta_c, beta_c = %.8g "
               "(%s), u_min = %g, tasks with xi_2nd <= %.4g L: %zu\n",
            s->zeta_beta_c, s->zeta_beta_c_source, s->o->u_min, s->o->xi_max_frac, s->zeta.n);
    if (z->ok) {
      fprintf(r, "  nu = %.5g +- %.2g, A = %.5g +- %.2g, chi2/dof = ", z->par[1], z->err[1],
              z->par[0], z->err[0]);
      if (z->dof > 0)
        fprintf(r, "%.3g%s\n", z->chi2_per_dof,
                z->error_scale > 1 ? " (errors scaled by sqrt(chi2/dof))" : "");
      else
        fprintf(r, "n/a (dof=0)\n");
      int in = z->par[1] >= 0.5 && z->par[1] <= 1.0;
      fprintf(r, "  CEAS range nu in [0.5, 1]: %s the fitted nu = %.4g", in ? "contains" : "does NOT contain",
              z->par[1]);
      if (!in && z->err[1] > 0)
        fprintf(r, " (%.2g error bars %s %g)",
                (z->par[1] > 1.0 ? z->par[1] - 1.0 : 0.5 - z->par[1]) / z->err[1],
                z->par[1] > 1.0 ? "above" : "below", z->par[1] > 1.0 ? 1.0 : 0.5);
      fprintf(r, "\n");
    } else {
      fprintf(r, "  not fitted: %s\n", z->note);
    }
    for (size_t a = 0; a < s->n_z; a++) {
      const ceas_analysis_fit *f = &s->z[a].fit.fit;
      if (f->ok) {
        fprintf(r, "  algo %s: z = %.4g +- %.2g (tau_int(|m|) ~ xi^z, %zu points, chi2/dof = ",
                s->z[a].algo, f->par[1], f->err[1], f->n_points);
        if (f->dof > 0)
          fprintf(r, "%.3g)\n", f->chi2_per_dof);
        else
          fprintf(r, "n/a)\n");
      } else {
        fprintf(r, "  algo %s: z not fitted: %s\n", s->z[a].algo, f->note);
      }
    }
  }
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
  if ((rc = select_tasks(&s))) goto done;
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
  if ((rc = build_sizes(&s))) goto done;
  if (s.n_sizes == 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: no size could be reweighted", o->dir);
    goto done;
  }
  if ((rc = find_crossings(&s))) goto done;
  if ((rc = finite_size_scaling(&s))) goto done;
  if ((rc = zeta_ce(&s))) goto done;
  report(&s);
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
