/* `ceasim analyze`: the report printed after the analysis (o->report). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis_private.h"
#include "ceas_analysis.h"
#include "ceas_core.h"

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

void ana_report(const ana_state *s) {
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
