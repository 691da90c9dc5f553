/* `ceasim analyze`, steps 3-6 (see driver.c): crossings between consecutive
 * sizes, the finite-size-scaling fits and estimates, zeta_CE and z. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_private.h"
#include "ceas_analysis.h"
#include "ceas_core.h"

/* ---- step 3: crossings ------------------------------------------------------------ */

int ana_find_crossings(ana_state *s) {
  static const int q[2] = {CEAS_RW_BINDER, CEAS_RW_XI_OVER_L};
  static const int dq[2] = {CEAS_RW_DBINDER_DBETA, CEAS_RW_DXI_OVER_L_DBETA};
  s->cross[0].name = "binder";
  s->cross[1].name = "xi_over_L";
  if (s->n_sizes < 2) {
    ana_note(s, "only one system size (L = %ld): no crossings and no finite-size scaling",
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
        ana_note(s, "%s: no crossing of L = %ld and L = %ld in their common beta range",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L);
      else if (!x->found && x->status == CEAS_CROSSING_NOT_SIGNIFICANT)
        ana_note(s, "%s: refused the crossing of L = %ld and L = %ld at beta = %.6g: %s "
                "(difference/error %.2g below, %.2g above)",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L, x->beta,
             ceas_analysis_crossing_status_name(x->status), x->z_below, x->z_above);
      else if (!x->found)
        ana_note(s, "%s: refused the crossing of L = %ld and L = %ld at beta = %.6g: %s",
             s->cross[k].name, s->sizes[i].L, s->sizes[i + 1].L, x->beta,
             ceas_analysis_crossing_status_name(x->status));
      else if (!isfinite(s->cross[k].c[i].beta_error))
        ana_note(s, "%s: crossing of L = %ld and L = %ld has no jackknife error (some "
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
  int rc = ana_fit_points(f, c->n);
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
      ana_note(s, "%s crossings: the shift exponent is not determined by the data (x = %.3g +- "
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
    ana_note(s, "%s: %s", c->name, f->fit.note);
    return CEAS_OK;
  }
  if (rc) return rc;
  if (f->fit.ok)
    set_estimate(est, f->fit.par[0], f->fit.err[0], "%s crossings, fit %s (x %s)", c->name,
                 ceas_analysis_fit_formula(CEAS_FIT_SHIFT),
                 f->fit.fixed[2] ? "fixed at 1/nu + omega" : "free");
  else
    ana_note(s, "%s crossing fit: %s", c->name, f->fit.note);
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
  int rc = ana_fit_points(bg, pure->n);
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
  int rc = ana_fit_points(fx, n);
  if (!rc) rc = ana_fit_points(fu, n);
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
    ana_note(s, "beta_c = %.8g lies outside the reweighting range of %zu size(s): their "
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
      ana_note(s, "%s slope fit: %s", q, f->fit.ok ? "negative exponent" : f->fit.note);
    if (g->attempted && !g->fit.ok) ana_note(s, "%s slope fit with background: %s", q, g->fit.note);
  }
  return CEAS_OK;
}

/* chi' peak positions: beta_max(L) = beta_c + a L^(-1/nu) [+ b L^(-1/nu-omega)]. */
static int fit_peaks(ana_state *s, ana_fit *fa, ana_fit *fb, ana_fit *fg, ana_fit *gb,
                     ana_estimate *ea, ana_estimate *eb, ana_estimate *eg) {
  ea->ok = eb->ok = eg->ok = 0;
  size_t n = s->n_sizes;
  int rc = ana_fit_points(fa, n);
  if (!rc) rc = ana_fit_points(fb, n);
  if (!rc) rc = ana_fit_points(fg, n);
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
      ana_note(s, "chi'_max fit: %s", fg->fit.note);
    if (gb->attempted && !gb->fit.ok) ana_note(s, "chi'_max fit with background: %s", gb->fit.note);
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

int ana_finite_size_scaling(ana_state *s) {
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
    ana_note(s, "no crossing gave beta_c; using the chi' peak positions, which converge more "
         "slowly (L^(-1/nu))");
  }
  return do_collapse(s);
}

/* ---- step 6: zeta_CE ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

int ana_zeta_ce(ana_state *s) {
  const ceas_analysis_options *o = s->o;
  if (!o->zeta_ce) return CEAS_OK;
  if (!s->has_xi) {
    ana_note(s, "--zeta-ce: the tasks have no structure factor (graphs), so no xi_2nd; "
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
    ana_note(s, "--zeta-ce: no beta_c (one size only, no crossing): give --beta-c; zeta_CE skipped");
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
  int rc = ana_fit_points(f, n);
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
    ana_note(s, "zeta_CE fit: %s (%zu tasks with beta < %.8g and xi_2nd <= %.4g L)", f->fit.note,
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
    rc = ana_fit_points(&z->fit, f->n);
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
      ana_note(s, "z (%s): %s", z->algo, z->fit.fit.note);
  }
  free(algos);
  return rc;
}
