/*
 * Weighted least squares (gsl_multifit_nlinear, Levenberg–Marquardt with a
 * trust region) for the finite-size-scaling and zeta_CE forms, and the
 * Houdayer–Hartmann collapse measure.
 *
 * Errors are sqrt of the diagonal of (J^T W J)^-1. When chi2/dof > 1 the model
 * or the error bars do not describe the points fully, and the errors are
 * multiplied by sqrt(chi2/dof) (the PDG rule); error_scale records the factor.
 * Errors are never scaled down.
 */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_analysis.h"
#include "ceas_core.h"

static const struct {
  const char *formula;
  size_t n_par;
  const char *names[CEAS_ANALYSIS_FIT_MAXPAR];
} models[CEAS_FIT_MODEL_COUNT] = {
    [CEAS_FIT_SHIFT] = {"beta_c + a*L^(-x)", 3, {"beta_c", "a", "x"}},
    [CEAS_FIT_SHIFT_CORR] = {"beta_c + a*L^(-x) + b*L^(-x-omega)",
                             5,
                             {"beta_c", "a", "x", "b", "omega"}},
    [CEAS_FIT_POWER_LOG] = {"A*L^p (fitted as ln y = ln A + p ln L)", 2, {"A", "p"}},
    [CEAS_FIT_ZETA] = {"A / max(|beta - beta_c|/beta_c, u_min)^nu",
                       4,
                       {"A", "nu", "beta_c", "u_min"}},
    [CEAS_FIT_POWER_BG] = {"A*L^p + B", 3, {"A", "p", "B"}},
};

const char *ceas_analysis_fit_formula(ceas_analysis_fit_model m) {
  return (unsigned)m < CEAS_FIT_MODEL_COUNT ? models[m].formula : NULL;
}

const char *ceas_analysis_fit_param_name(ceas_analysis_fit_model m, size_t i) {
  return (unsigned)m < CEAS_FIT_MODEL_COUNT && i < models[m].n_par ? models[m].names[i]
                                                                    : NULL;
}

size_t ceas_analysis_fit_n_par(ceas_analysis_fit_model m) {
  return (unsigned)m < CEAS_FIT_MODEL_COUNT ? models[m].n_par : 0;
}

/* Model value in the space the residuals live in (ln y for POWER_LOG, whose
 * first internal parameter is ln A). */
static double model_value(ceas_analysis_fit_model m, const double *p, double x) {
  switch (m) {
    case CEAS_FIT_SHIFT: return p[0] + p[1] * pow(x, -p[2]);
    case CEAS_FIT_SHIFT_CORR:
      return p[0] + p[1] * pow(x, -p[2]) + p[3] * pow(x, -p[2] - p[4]);
    case CEAS_FIT_POWER_LOG: return p[0] + p[1] * log(x);
    case CEAS_FIT_ZETA: {
      double u = fabs(x - p[2]) / p[2];
      return p[0] / pow(fmax(u, p[3]), p[1]);
    }
    case CEAS_FIT_POWER_BG: return p[0] * pow(x, p[1]) + p[2];
    default: return NAN;
  }
}

double ceas_analysis_fit_eval(const ceas_analysis_fit *fit, double x) {
  double p[CEAS_ANALYSIS_FIT_MAXPAR];
  memcpy(p, fit->par, sizeof p);
  if (fit->model == CEAS_FIT_POWER_LOG) return fit->par[0] * pow(x, fit->par[1]);
  return model_value(fit->model, p, x);
}

typedef struct {
  ceas_analysis_fit_model model;
  const double *x, *y;
  size_t n;
  double par[CEAS_ANALYSIS_FIT_MAXPAR];
  size_t idx[CEAS_ANALYSIS_FIT_MAXPAR]; /* free parameter i is par[idx[i]] */
  size_t n_free;
} fit_ctx;

static int residuals(const gsl_vector *v, void *data, gsl_vector *f) {
  fit_ctx *c = data;
  double p[CEAS_ANALYSIS_FIT_MAXPAR];
  memcpy(p, c->par, sizeof p);
  for (size_t i = 0; i < c->n_free; i++) p[c->idx[i]] = gsl_vector_get(v, i);
  for (size_t i = 0; i < c->n; i++)
    gsl_vector_set(f, i, model_value(c->model, p, c->x[i]) - c->y[i]);
  return GSL_SUCCESS;
}

/* Weighted straight line y = c0 + c1 t through (t_i, y_i, w_i): starting values
 * for the forms that are linear after a transformation. */
static int line_fit(const double *t, const double *y, const double *w, size_t n,
                    double *c0, double *c1) {
  double K = 0, Kt = 0, Ky = 0, Ktt = 0, Kty = 0;
  for (size_t i = 0; i < n; i++) {
    K += w[i];
    Kt += w[i] * t[i];
    Ky += w[i] * y[i];
    Ktt += w[i] * t[i] * t[i];
    Kty += w[i] * t[i] * y[i];
  }
  double D = K * Ktt - Kt * Kt;
  if (!(D > 0)) return 0;
  *c0 = (Ktt * Ky - Kt * Kty) / D;
  *c1 = (K * Kty - Kt * Ky) / D;
  return 1;
}

int ceas_analysis_fit_run(ceas_analysis_fit_model model, const double *x,
                          const double *y, const double *dy, size_t n,
                          const double *p_init, const int *fixed,
                          ceas_analysis_fit *out) {
  memset(out, 0, sizeof *out);
  out->model = model;
  if ((unsigned)model >= CEAS_FIT_MODEL_COUNT)
    return ceas_error_set(CEAS_EINPUT, "fit: unknown model %d", (int)model);
  if (!x || !y || !dy || !p_init)
    return ceas_error_set(CEAS_EINPUT, "fit: NULL argument");
  const size_t np = models[model].n_par;
  out->n_par = np;
  for (size_t i = 0; i < CEAS_ANALYSIS_FIT_MAXPAR; i++) out->par[i] = out->err[i] = NAN;
  fit_ctx c = {model, NULL, NULL, 0, {0}, {0}, 0};
  for (size_t i = 0; i < np; i++) {
    c.par[i] = out->par[i] = p_init[i];
    out->fixed[i] = fixed ? fixed[i] != 0 : 0;
    if (!out->fixed[i]) c.idx[c.n_free++] = i;
    else out->err[i] = 0.0;
  }
  out->n_free = c.n_free;
  double *xs = ceas_malloc(3 * (n ? n : 1) * sizeof *xs);
  if (!xs) return CEAS_ENOMEM;
  double *ys = xs + n, *ws = ys + n;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(dy[i]) || !(dy[i] > 0)) continue;
    if (model == CEAS_FIT_POWER_LOG) {
      if (!(y[i] > 0) || !(x[i] > 0)) continue;
      xs[m] = x[i];
      ys[m] = log(y[i]);
      ws[m] = 1.0 / ((dy[i] / y[i]) * (dy[i] / y[i]));
    } else {
      xs[m] = x[i];
      ys[m] = y[i];
      ws[m] = 1.0 / (dy[i] * dy[i]);
    }
    m++;
  }
  out->n_points = m;
  out->dof = (long)m - (long)c.n_free;
  out->chi2 = out->chi2_per_dof = NAN;
  out->error_scale = 1.0;
  if (c.n_free == 0 || m < c.n_free) {
    snprintf(out->note, sizeof out->note, "%zu usable points for %zu free parameters", m,
             c.n_free);
    free(xs);
    return CEAS_OK;
  }
  /* Linearisable forms start from their weighted straight line. */
  if (model == CEAS_FIT_POWER_LOG) {
    double *t = ceas_malloc(m * sizeof *t);
    if (!t) {
      free(xs);
      return CEAS_ENOMEM;
    }
    for (size_t i = 0; i < m; i++) t[i] = log(xs[i]);
    double c0 = 0, c1 = 0;
    if (line_fit(t, ys, ws, m, &c0, &c1)) {
      if (!out->fixed[0]) c.par[0] = c0;
      if (!out->fixed[1]) c.par[1] = c1;
    }
    if (out->fixed[0]) c.par[0] = log(p_init[0]);
    free(t);
  } else if (model == CEAS_FIT_POWER_BG && !out->fixed[0] && !out->fixed[1]) {
    /* Start from the pure power law through the points (B as given). */
    double *t = ceas_malloc(3 * m * sizeof *t);
    if (!t) {
      free(xs);
      return CEAS_ENOMEM;
    }
    double *ly = t + m, *wl = ly + m;
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
      double v = ys[i] - c.par[2];
      if (!(v > 0) || !(xs[i] > 0)) continue;
      t[k] = log(xs[i]);
      ly[k] = log(v);
      wl[k] = ws[i] * v * v;
      k++;
    }
    double c0, c1;
    if (k >= 2 && line_fit(t, ly, wl, k, &c0, &c1)) {
      c.par[0] = exp(c0);
      c.par[1] = c1;
    }
    free(t);
  } else if (model == CEAS_FIT_ZETA && !out->fixed[0] && !out->fixed[1]) {
    double *t = ceas_malloc(2 * m * sizeof *t);
    if (!t) {
      free(xs);
      return CEAS_ENOMEM;
    }
    double *ly = t + m;
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
      double u = fabs(xs[i] - c.par[2]) / c.par[2];
      if (!(u > c.par[3]) || !(ys[i] > 0)) continue;
      t[k] = log(u);
      ly[k] = log(ys[i]);
      k++;
    }
    double *wl = ceas_malloc((k ? k : 1) * sizeof *wl);
    if (wl) {
      for (size_t i = 0; i < k; i++) wl[i] = 1.0;
      double c0, c1;
      if (k >= 2 && line_fit(t, ly, wl, k, &c0, &c1)) {
        c.par[0] = exp(c0);
        c.par[1] = -c1;
      }
      free(wl);
    }
    free(t);
  }
  /* Shift forms: with a = 0 the model does not depend on x at all and the
   * solver cannot start; take a from the first and last point instead. */
  if ((model == CEAS_FIT_SHIFT || model == CEAS_FIT_SHIFT_CORR) && !out->fixed[1] &&
      c.par[1] == 0.0 && m >= 2) {
    size_t lo = 0, hi = 0;
    for (size_t i = 1; i < m; i++) {
      if (xs[i] < xs[lo]) lo = i;
      if (xs[i] > xs[hi]) hi = i;
    }
    double d = pow(xs[lo], -c.par[2]) - pow(xs[hi], -c.par[2]);
    if (d != 0 && isfinite(d)) c.par[1] = (ys[lo] - ys[hi]) / d;
    if (c.par[1] == 0.0) c.par[1] = 1e-3;
  }
  c.x = xs;
  c.y = ys;
  c.n = m;
  const size_t p = c.n_free;
  gsl_multifit_nlinear_fdf fdf;
  memset(&fdf, 0, sizeof fdf);
  fdf.f = residuals;
  fdf.df = NULL; /* forward differences: the models are cheap and smooth */
  fdf.n = m;
  fdf.p = p;
  fdf.params = &c;
  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, m, p);
  gsl_vector *v0 = gsl_vector_alloc(p);
  gsl_vector_view wv = gsl_vector_view_array(ws, m);
  gsl_matrix *cov = gsl_matrix_alloc(p, p);
  if (!w || !v0 || !cov) {
    if (w) gsl_multifit_nlinear_free(w);
    gsl_vector_free(v0);
    gsl_matrix_free(cov);
    free(xs);
    return ceas_error_set(CEAS_ENOMEM, "fit: out of memory");
  }
  for (size_t i = 0; i < p; i++) gsl_vector_set(v0, i, c.par[c.idx[i]]);
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  int info = 0;
  int st = gsl_multifit_nlinear_winit(v0, &wv.vector, &fdf, w);
  if (!st) st = gsl_multifit_nlinear_driver(500, 1e-12, 1e-12, 0.0, NULL, NULL, &info, w);
  /* A start at the minimum (the linearisable forms begin at their exact
   * solution) leaves the solver no step that lowers the cost, which the driver
   * reports as failure: accept the point if its gradient vanishes. */
  if (st == GSL_EMAXITER || st == GSL_ENOPROG) {
    if (gsl_multifit_nlinear_test(1e-10, 1e-10, 1e-10, &info, w) == GSL_SUCCESS) st = GSL_SUCCESS;
  }
  if (!st) {
    const gsl_vector *sol = gsl_multifit_nlinear_position(w);
    const gsl_vector *res = gsl_multifit_nlinear_residual(w);
    double chi2;
    gsl_blas_ddot(res, res, &chi2);
    st = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
    out->chi2 = chi2;
    out->chi2_per_dof = out->dof > 0 ? chi2 / (double)out->dof : NAN;
    out->error_scale = out->dof > 0 && chi2 > (double)out->dof
                           ? sqrt(chi2 / (double)out->dof) : 1.0;
    int finite = !st;
    for (size_t i = 0; i < p; i++) {
      size_t j = c.idx[i];
      out->par[j] = gsl_vector_get(sol, i);
      out->err[j] = sqrt(gsl_matrix_get(cov, i, i)) * out->error_scale;
      if (!isfinite(out->par[j]) || !isfinite(out->err[j])) finite = 0;
    }
    if (model == CEAS_FIT_POWER_LOG) {
      double lnA = out->fixed[0] ? log(p_init[0]) : out->par[0];
      out->par[0] = exp(lnA);
      if (!out->fixed[0]) out->err[0] *= out->par[0];
    }
    out->ok = finite;
    if (!finite) snprintf(out->note, sizeof out->note, "fit did not converge to finite values");
  } else {
    snprintf(out->note, sizeof out->note, "fit did not converge (%s)", gsl_strerror(st));
  }
  gsl_set_error_handler(old);
  gsl_multifit_nlinear_free(w);
  gsl_vector_free(v0);
  gsl_matrix_free(cov);
  free(xs);
  return CEAS_OK;
}

/* ---- Houdayer–Hartmann collapse measure ----------------------------------------- */

int ceas_analysis_collapse_S(const double *L, const double *beta, const double *y,
                             const double *dy, size_t n, double beta_c, double nu,
                             double x_window, double *S, size_t *n_terms) {
  *S = NAN;
  if (n_terms) *n_terms = 0;
  if (!(nu > 0) || !isfinite(beta_c))
    return ceas_error_set(CEAS_EINPUT, "collapse: need nu > 0 and a finite beta_c");
  const size_t cap = n ? n : 1;
  double *x = ceas_malloc(cap * sizeof *x);
  size_t *order = ceas_malloc(cap * sizeof *order); /* usable points grouped by size */
  size_t *start = ceas_malloc((cap + 1) * sizeof *start);
  size_t *group = ceas_malloc(cap * sizeof *group);
  if (!x || !order || !start || !group) {
    free(x);
    free(order);
    free(start);
    free(group);
    return CEAS_ENOMEM;
  }
  size_t m = 0, ng = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = (beta[i] - beta_c) * pow(L[i], 1.0 / nu);
    if (isfinite(x[i]) && fabs(x[i]) <= x_window && isfinite(y[i]) && isfinite(dy[i]) &&
        dy[i] > 0)
      order[m++] = i;
  }
  /* Group by size (stable insertion sort on L: n is small). */
  for (size_t a = 1; a < m; a++)
    for (size_t b = a; b > 0 && L[order[b - 1]] > L[order[b]]; b--) {
      size_t t = order[b];
      order[b] = order[b - 1];
      order[b - 1] = t;
    }
  for (size_t a = 0; a < m; a++) {
    if (a == 0 || L[order[a]] != L[order[a - 1]]) start[ng++] = a;
    group[a] = ng - 1;
  }
  start[ng] = m;
  double sum = 0.0;
  size_t terms = 0;
  for (size_t a = 0; a < m; a++) {
    size_t i = order[a];
    double K = 0, Kx = 0, Ky = 0, Kxx = 0, Kxy = 0;
    int npts = 0;
    /* Each other size contributes its nearest point on either side of x_i
     * (both or none: a size that does not straddle x_i says nothing there). */
    for (size_t g = 0; g < ng; g++) {
      if (g == group[a]) continue;
      long below = -1, above = -1;
      for (size_t q = start[g]; q < start[g + 1]; q++) {
        size_t j = order[q];
        if (x[j] <= x[i] && (below < 0 || x[j] > x[below])) below = (long)j;
        if (x[j] >= x[i] && (above < 0 || x[j] < x[above])) above = (long)j;
      }
      if (below < 0 || above < 0) continue;
      long pick[2] = {below, above};
      for (int q = 0; q < (below == above ? 1 : 2); q++) {
        size_t j = (size_t)pick[q];
        double w = 1.0 / (dy[j] * dy[j]);
        K += w;
        Kx += w * x[j];
        Ky += w * y[j];
        Kxx += w * x[j] * x[j];
        Kxy += w * x[j] * y[j];
        npts++;
      }
    }
    if (npts < 1 || !(K > 0)) continue;
    double Y, dY2;
    double D = K * Kxx - Kx * Kx;
    if (npts >= 2 && D > 1e-14 * K * Kxx) {
      Y = (Kxx * Ky - Kx * Kxy) / D + x[i] * (K * Kxy - Kx * Ky) / D;
      dY2 = (Kxx - 2.0 * x[i] * Kx + x[i] * x[i] * K) / D;
    } else {
      /* All neighbours at the same x (exactly on x_i): their weighted mean. */
      Y = Ky / K;
      dY2 = 1.0 / K;
    }
    double r = y[i] - Y;
    sum += r * r / (dy[i] * dy[i] + dY2);
    terms++;
  }
  free(x);
  free(order);
  free(start);
  free(group);
  if (terms) *S = sum / (double)terms;
  if (n_terms) *n_terms = terms;
  return CEAS_OK;
}

typedef struct {
  const double *L, *beta, *y, *dy;
  size_t n;
  double window;
  double p[2];
  int fixed[2];
} collapse_ctx;

static double collapse_eval(collapse_ctx *c, const double p[2], size_t *terms) {
  double S;
  size_t t = 0;
  if (!(p[1] > 0) ||
      ceas_analysis_collapse_S(c->L, c->beta, c->y, c->dy, c->n, p[0], p[1], c->window,
                               &S, &t) ||
      !isfinite(S) || t == 0)
    S = 1e300;
  if (terms) *terms = t;
  return S;
}

static double collapse_min_fn(const gsl_vector *v, void *data) {
  collapse_ctx *c = data;
  double p[2] = {c->p[0], c->p[1]};
  size_t k = 0;
  for (int i = 0; i < 2; i++)
    if (!c->fixed[i]) p[i] = gsl_vector_get(v, k++);
  return collapse_eval(c, p, NULL);
}

/* Nelder–Mead from `start` on the free parameters; writes the optimum to best. */
static int collapse_minimize(collapse_ctx *c, const double start[2], double best[2]) {
  size_t nf = (size_t)(!c->fixed[0]) + (size_t)(!c->fixed[1]);
  best[0] = start[0];
  best[1] = start[1];
  if (nf == 0) return CEAS_OK;
  c->p[0] = start[0];
  c->p[1] = start[1];
  gsl_multimin_fminimizer *m =
      gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, nf);
  gsl_vector *v = gsl_vector_alloc(nf), *st = gsl_vector_alloc(nf);
  if (!m || !v || !st) {
    if (m) gsl_multimin_fminimizer_free(m);
    gsl_vector_free(v);
    gsl_vector_free(st);
    return ceas_error_set(CEAS_ENOMEM, "collapse: out of memory");
  }
  size_t k = 0;
  double steps[2] = {0.002 * fabs(start[0]) + 1e-6, 0.05 * start[1]};
  for (int i = 0; i < 2; i++)
    if (!c->fixed[i]) {
      gsl_vector_set(v, k, start[i]);
      gsl_vector_set(st, k, steps[i]);
      k++;
    }
  gsl_multimin_function F = {collapse_min_fn, nf, c};
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  /* Restarts: S is piecewise smooth (the neighbour sets change with the
   * parameters) and a collapsed simplex can stick to a kink; fresh ones, full
   * size and then smaller, move it on. */
  static const double scale[4] = {1.0, 1.0, 0.3, 0.3};
  for (int restart = 0; restart < 4; restart++) {
    gsl_vector_scale(st, scale[restart]);
    if (gsl_multimin_fminimizer_set(m, &F, v, st) != GSL_SUCCESS) break;
    for (int it = 0; it < 2000; it++) {
      if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS) break;
      if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), 1e-10) == GSL_SUCCESS) break;
    }
    gsl_vector_memcpy(v, gsl_multimin_fminimizer_x(m));
  }
  gsl_set_error_handler(old);
  k = 0;
  for (int i = 0; i < 2; i++)
    if (!c->fixed[i]) best[i] = gsl_vector_get(v, k++);
  gsl_multimin_fminimizer_free(m);
  gsl_vector_free(v);
  gsl_vector_free(st);
  return CEAS_OK;
}

#define COLLAPSE_BOOTSTRAP 40

int ceas_analysis_collapse_optimize(const double *L, const double *beta,
                                    const double *y, const double *dy, size_t n,
                                    double beta_c0, double nu0, const int fixed[2],
                                    double x_window, ceas_analysis_collapse *out) {
  memset(out, 0, sizeof *out);
  out->beta_c = beta_c0;
  out->nu = nu0;
  out->beta_c_error = out->nu_error = out->S_min = NAN;
  if (!(nu0 > 0) || !isfinite(beta_c0))
    return ceas_error_set(CEAS_EINPUT, "collapse: need nu > 0 and a finite beta_c");
  collapse_ctx c = {L, beta, y, dy, n, x_window, {beta_c0, nu0},
                    {fixed ? fixed[0] : 0, fixed ? fixed[1] : 0}};
  double start[2] = {beta_c0, nu0}, best[2];
  int rc = collapse_minimize(&c, start, best);
  if (rc) return rc;
  size_t terms = 0;
  double S = collapse_eval(&c, best, &terms);
  if (!(S < 1e300)) return CEAS_OK;
  out->ok = 1;
  out->beta_c = best[0];
  out->nu = best[1];
  out->S_min = S;
  out->n_terms = terms;
  /* Errors: parametric bootstrap. Each replica moves every point by a Gaussian
   * of its own error bar and is re-optimised from the optimum; the spread of
   * the replica optima is the error, times sqrt(S_min) when S_min > 1 (the
   * collapse is worse than the error bars allow, as with chi2/dof in the fits).
   * The seed is fixed: the same data give the same errors. */
  double *yb = ceas_malloc((n ? n : 1) * sizeof *yb);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!yb || !r) {
    free(yb);
    if (r) gsl_rng_free(r);
    return ceas_error_set(CEAS_ENOMEM, "collapse: out of memory");
  }
  gsl_rng_set(r, 20040707);
  double sum[2] = {0, 0}, sum2[2] = {0, 0};
  int good = 0;
  collapse_ctx cb = c;
  cb.y = yb;
  for (int k = 0; k < COLLAPSE_BOOTSTRAP && !rc; k++) {
    for (size_t i = 0; i < n; i++)
      yb[i] = isfinite(dy[i]) && dy[i] > 0 ? y[i] + gsl_ran_gaussian(r, dy[i]) : y[i];
    double b[2];
    rc = collapse_minimize(&cb, best, b);
    if (rc || !(collapse_eval(&cb, b, NULL) < 1e300)) continue;
    for (int i = 0; i < 2; i++) {
      sum[i] += b[i] - best[i];
      sum2[i] += (b[i] - best[i]) * (b[i] - best[i]);
    }
    good++;
  }
  free(yb);
  gsl_rng_free(r);
  if (rc) return rc;
  double scale = S > 1.0 ? sqrt(S) : 1.0;
  double *err[2] = {&out->beta_c_error, &out->nu_error};
  for (int i = 0; i < 2; i++) {
    if (c.fixed[i]) {
      *err[i] = 0.0;
    } else if (good >= 2) {
      double mean = sum[i] / good;
      *err[i] = scale * sqrt(fmax(sum2[i] / good - mean * mean, 0.0) * good / (good - 1.0));
    }
  }
  return CEAS_OK;
}
