/* `ceasim analyze`, steps 1-2 (see driver.c): the tasks the analysis keeps, their
 * direct estimates, and per size L the reweighted curves and peaks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_private.h"
#include "ceas_analysis.h"
#include "ceas_core.h"

/* ---- step 1-2: tasks, sizes, reweighting ------------------------------------------ */

static int cmp_point(const void *a, const void *b) {
  const ana_point *x = a, *y = b;
  if (x->info->L != y->info->L) return x->info->L < y->info->L ? -1 : 1;
  if (x->info->beta != y->info->beta) return x->info->beta < y->info->beta ? -1 : 1;
  return strcmp(x->info->path, y->info->path);
}

/* Keeps the tasks the analysis can use: h = 0, one model (lattice or graph). */
int ana_select_tasks(ana_state *s) {
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
    ana_note(s, "L = %ld: %s; this size is left out of the reweighting", z->L,
         ceas_error_message());
    rc = CEAS_OK;
    goto done;
  }
  if (rc) goto done;
  ceas_analysis_rw_get_info(z->rw, &z->info);
  if (z->short_blocks)
    ana_note(s,
         "L = %ld: %zu of %zu runs have jackknife blocks shorter than 16 tau_int; "
         "reweighting errors may be too small (fewer --blocks or longer runs)",
         z->L, z->short_blocks, used);
  if (z->info.min_overlap < 0.03)
    ana_note(s,
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
    ana_note(s, "L = %ld: the maximum of chi' is not inside the reweighting range "
         "[%.6g, %.6g]; no peak", z->L, z->info.lo, z->info.hi);
  return rc;
}

int ana_build_sizes(ana_state *s) {
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
