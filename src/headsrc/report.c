/* The report `ceasim attention` prints (ceas_head_analysis_print). */
#include <math.h>
#include <stdio.h>

#include "ceas_head_analysis.h"

static void row(FILE *out, const char *label, ceas_head_mean_err me) {
  fprintf(out, "%-40s %14.8g %12.3g\n", label, me.mean, me.err);
}

void ceas_head_analysis_print(FILE *out, const ceas_head_analysis_options *o,
                              const ceas_headsrc *hs, const ceas_head_analysis *r) {
  const ceas_attention_head *h = hs->head;
  const ceas_attention_scan *sc = r->sc;
  const ceas_attention_traj *tr = r->tr;
  const ceas_attention_ctrl_params *cp = &r->cp;
  fprintf(out, "ceasim %s  attention  %s head: n=%zu tokens, d_k=%zu", ceas_version(), hs->mode,
          h->n, h->d_k);
  if (o->src.synthetic)
    fprintf(out, "  (%s, seed %llu)", ceas_headsrc_kind_name(o->src.spec.kind),
            (unsigned long long)o->src.spec.seed);
  else if (o->src.head >= 0)
    fprintf(out, "  (%s, head %ld of %ld)", o->src.weights, o->src.head, o->src.n_heads);
  else
    fprintf(out, "  (%s)", o->src.weights);
  fprintf(out, "\nraw scores q.k, p ~ exp(beta s); textbook softmax is beta0 = 1/sqrt(d_k) = "
               "%.6g\n", r->beta0);
  fprintf(out, "%-40s %14s %12s\n", "quantity (head mean over queries)", "mean", "error");
  row(out, "sigma_qk", r->m_sigma);
  row(out, "REM beta_c = sqrt(2 ln n)/sigma", r->m_rem);
  row(out, "beta* at beta0 = sqrt(2 ln N_eff)/sigma", r->m_bstar0);
  row(out, "beta* self-consistent", r->m_bfix);
  row(out, "per-query peak of beta^2 Var", (ceas_head_mean_err){sc->peak_mean, sc->peak_err});
  row(out, "H at beta0 (nats)", r->m_H0);
  row(out, "N_eff = exp(H) at beta0",
      (ceas_head_mean_err){exp(r->m_H0.mean), exp(r->m_H0.mean) * r->m_H0.err});
  fprintf(out, "%-40s %14.8g\n", "peak of head-mean beta^2 Var", sc->peak_of_mean);
  fprintf(out, "beta grid: %ld points in [%.6g, %.6g]\n", r->nb, r->b0, r->b1);
  if (!tr) return;
  fprintf(out, "controller (preset %s): %zu steps, beta %.6g -> %.8g, H_target %.6g, H_end "
               "%.6g\n", o->p.preset, tr->steps, tr->beta[0], tr->beta[tr->steps], tr->H_target,
          tr->H[tr->steps]);
  if (tr->corridor_step >= 0)
    fprintf(out, "  corridor |H - H_target| <= %g entered for good at step %ld\n", cp->tol,
            tr->corridor_step);
  else
    fprintf(out, "  corridor |H - H_target| <= %g not reached\n", cp->tol);
  fprintf(out, "  clipping active on %zu steps (|dbeta| <= %g); ", r->n_clip, cp->dbeta_max);
  if (cp->beta_c > 0)
    fprintf(out, "u_min margin (%g around beta_c = %.6g) active on %zu steps\n", cp->u_min,
            cp->beta_c, r->n_margin);
  else
    fprintf(out, "no margin\n");
}
