/* The controller one update at a time (what a training loop calls), the gating
 * rules, and the heat peak over ragged rows: each against an independent
 * statement of what it must equal. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "ceas_core.h"
#include "mc_support.h"

static void head_HV(const double *sc, size_t n, double beta, double *H, double *V) {
  long double h = 0, v = 0;
  for (size_t i = 0; i < n; i++) {
    ceas_attention_gibbs g;
    cr_assert_eq(ceas_attention_gibbs_eval(sc + i * n, n, beta, &g, NULL), 0);
    h += g.H;
    v += g.var;
  }
  *H = (double)(h / n);
  *V = (double)(v / n);
}

/* ctrl_run is documented as init + (observe, update) per step: a loop written
 * against the step API on the same measurements must give the same trajectory
 * bit for bit, with the EMAs on, the margin active and every flag. */
Test(attention_ctrl, step_api_is_ctrl_run) {
  const size_t n = 96, d_k = 16;
  double *sc = mc_head_scores(n, d_k, 5);
  ceas_attention_ctrl_params p;
  cr_assert_eq(ceas_attention_ctrl_defaults("9k", &p), 0);
  p.steps = 400;
  p.ema_H = 9;
  p.ema_var = 0; /* ctrl_run smooths H only: its Var is the latest measurement */
  ceas_attention_traj *t0;
  cr_assert_eq(ceas_attention_ctrl_run(sc, n, n, d_k, &p, &t0), 0);
  p.beta_c = t0->beta[p.steps] / (1 - p.u_min / 2); /* the fixed point lies in the band */
  ceas_attention_traj_free(t0);
  ceas_attention_traj *t;
  cr_assert_eq(ceas_attention_ctrl_run(sc, n, n, d_k, &p, &t), 0, "%s", ceas_error_message());

  double b0 = 1 / sqrt((double)d_k), H, V;
  head_HV(sc, n, b0, &H, &V);
  ceas_attention_ctrl c;
  unsigned f;
  cr_assert_eq(ceas_attention_ctrl_init(&c, &p, b0, H - p.target_offset, &f), 0);
  cr_expect_eq(c.H_target, t->H_target);
  cr_expect_eq(c.beta, t->beta[0]);
  cr_expect_eq((f & CEAS_ATTENTION_CTRL_MARGIN) != 0, t->margin[0] != 0);
  size_t margins = 0, clips = 0;
  for (size_t s = 0; s < p.steps; s++) {
    head_HV(sc, n, c.beta, &H, &V);
    cr_assert_eq(ceas_attention_ctrl_observe(&c, H, V), 0);
    cr_assert_eq(ceas_attention_ctrl_update(&c, &f), 0);
    cr_assert_eq(c.beta, t->beta[s + 1], "step %zu: %.17g vs %.17g", s, c.beta, t->beta[s + 1]);
    cr_assert_eq((f & CEAS_ATTENTION_CTRL_CLIPPED) != 0, t->clipped[s] != 0);
    cr_assert_eq((f & CEAS_ATTENTION_CTRL_GUARD) != 0, t->guard[s] != 0);
    cr_assert_eq((f & CEAS_ATTENTION_CTRL_MARGIN) != 0, t->margin[s + 1] != 0);
    margins += t->margin[s + 1];
    clips += t->clipped[s];
  }
  cr_expect(margins > 0 && clips > 0, "the comparison must exercise margin (%zu) and clip (%zu)",
            margins, clips);
  cr_expect_eq(c.t, p.steps);
  ceas_attention_traj_free(t);
  free(sc);
}

/* The EMA: after observations x_1..x_k with window w the seen value is the
 * exponentially weighted mean with alpha = 2/(w+1), the first observation
 * taken whole; and gain_scale multiplies kappa(t) exactly. */
Test(attention_ctrl, ema_and_gain) {
  ceas_attention_ctrl_params p;
  cr_assert_eq(ceas_attention_ctrl_defaults("14m", &p), 0);
  p.ema_H = 3;
  p.ema_var = 1; /* alpha = 1: the latest */
  p.dbeta_max = 1e9;
  ceas_attention_ctrl c;
  cr_assert_eq(ceas_attention_ctrl_init(&c, &p, 0.5, 1.0, NULL), 0);
  const double xs[] = {2.0, 4.0, 1.0};
  double m = xs[0];
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(ceas_attention_ctrl_observe(&c, xs[k], 1 + k), 0);
    if (k) m = 0.5 * xs[k] + 0.5 * m;
    cr_expect(fabs(c.H_seen - m) <= 1e-15, "%g vs %g", c.H_seen, m);
    cr_expect_eq(c.var_seen, 1 + k);
  }
  c.gain_scale = 0.5;
  double beta = c.beta;
  cr_assert_eq(ceas_attention_ctrl_update(&c, NULL), 0);
  double kappa = 0.5 * (p.kappa_max + p.kappa_inf); /* t = 0: e^0 = 1 */
  double want = beta + kappa * (m - 1.0) / (beta * 3 + p.eps);
  cr_expect(fabs(c.beta - want) <= 1e-14 * want, "%.17g vs %.17g", c.beta, want);
  ceas_attention_ctrl bad;
  cr_assert_eq(ceas_attention_ctrl_init(&bad, &p, 0.5, 1.0, NULL), 0);
  cr_expect_eq(ceas_attention_ctrl_update(&bad, NULL), CEAS_EINPUT, "update before observe");
  cr_expect_eq(ceas_attention_ctrl_observe(&bad, NAN, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_attention_ctrl_init(&bad, &p, 0, 1.0, NULL), CEAS_EINPUT);
}

/* Schedules at their ends and one interior point, from CEAS.md's formulas. */
Test(attention_ctrl, gate_schedules) {
  const char *names[] = {"9k", "14m", "gpt"};
  for (int k = 0; k < 3; k++) {
    const ceas_attention_preset *p = ceas_attention_preset_find(names[k]);
    cr_assert(p);
    cr_expect_eq(ceas_attention_gate_threshold(p, 0), p->T_max);
    cr_expect(fabs(ceas_attention_gate_threshold(p, 1e9) - p->T_inf) < 1e-15);
    double t = p->tau_T, want = p->T_max - (p->T_max - p->T_inf) * (1 - exp(-1.0));
    cr_expect(fabs(ceas_attention_gate_threshold(p, t) - want) < 1e-15);
    cr_expect_eq(ceas_attention_gate_topq(p, 0), p->q0);
    cr_expect(fabs(ceas_attention_gate_topq(p, p->q_steps / 2.0) - 0.5 * (p->q0 + p->q1)) < 1e-15);
    cr_expect_eq(ceas_attention_gate_topq(p, 1e9), p->q1);
    cr_expect(p->T_max > p->T_inf && p->q1 > p->q0 && p->m_min >= 1 && p->h_min >= 1);
  }
}

/* The keep rule against its definition by brute force: i is kept iff
 * T_i >= T_gate, or fewer than ceil(q n) indices outrank it, or fewer than
 * min(m_min, n) indices outrank it -- where j outranks i if T_j > T_i or
 * (T_j == T_i and j < i). Many random cases with ties (T on a coarse grid). */
Test(attention_ctrl, gate_keep_definition) {
  ceas_rng_key key = {77, 0};
  unsigned char keep[40];
  double T[40];
  for (uint64_t c = 0; c < 3000; c++) {
    uint64_t w[4];
    ceas_rng_bits(key, c, 0, 0, 0, w);
    size_t n = 1 + w[0] % 40, m_min = w[1] % 24;
    double q = (w[2] % 11) / 10.0, T_gate = (w[3] % 9) / 4.0;
    for (size_t i = 0; i < n; i++) {
      uint64_t u[4];
      ceas_rng_bits(key, c, 1 + i, 0, 0, u);
      T[i] = (u[0] % 9) / 4.0;
    }
    cr_assert_eq(ceas_attention_gate_keep(T, n, T_gate, q, m_min, keep), 0);
    size_t top = (size_t)ceil(q * (double)n), fl = m_min < n ? m_min : n, kept = 0;
    for (size_t i = 0; i < n; i++) {
      size_t above = 0;
      for (size_t j = 0; j < n; j++) above += T[j] > T[i] || (T[j] == T[i] && j < i);
      unsigned char want = T[i] >= T_gate || above < top || above < fl;
      cr_assert_eq(keep[i], want, "case %llu: i = %zu T = %g", (unsigned long long)c, i, T[i]);
      kept += keep[i];
    }
    cr_assert(kept >= fl);
  }
  double bad[2] = {1, NAN};
  cr_expect_eq(ceas_attention_gate_keep(bad, 2, 1, 0.5, 1, keep), CEAS_EINPUT);
  cr_expect_eq(ceas_attention_gate_keep(T, 2, 1, 1.5, 1, keep), CEAS_EINPUT);
}

/* Ragged rows: with every row full it is the scan's head-mean heat and peak;
 * with causal rows (query i sees i + 1 keys) it is the mean of the rows' own
 * beta^2 Var, a length-1 row contributing 0. */
Test(attention_ctrl, heat_peak_rows) {
  const size_t n = 48, d_k = 8;
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = n, .d_k = d_k, .seed = 9};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  double *sc = malloc(n * n * sizeof *sc);
  ceas_attention_head_score_matrix(h, sc);
  double grid[41];
  for (int b = 0; b < 41; b++) grid[b] = 0.05 * b;
  ceas_attention_scan *scan;
  cr_assert_eq(ceas_attention_scan_alloc(h, grid, 41, &scan), 0);
  size_t len[48];
  for (size_t i = 0; i < n; i++) len[i] = n;
  double heat[41], peak;
  cr_assert_eq(ceas_attention_heat_peak_rows(sc, len, n, n, grid, 41, heat, &peak), 0);
  for (int b = 0; b < 41; b++)
    cr_expect(fabs(heat[b] - scan->heat_mean[b]) <= 1e-12 * (1 + scan->heat_mean[b]), "b %d", b);
  cr_expect(fabs(peak - scan->peak_of_mean) <= 1e-9 * peak, "%.17g vs %.17g", peak,
            scan->peak_of_mean);
  for (size_t i = 0; i < n; i++) len[i] = i + 1;
  cr_assert_eq(ceas_attention_heat_peak_rows(sc, len, n, n, grid, 41, heat, &peak), 0);
  for (int b = 0; b < 41; b += 10) {
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
      ceas_attention_gibbs g;
      cr_assert_eq(ceas_attention_gibbs_eval(sc + i * n, i + 1, grid[b], &g, NULL), 0);
      acc += g.heat;
    }
    cr_expect(fabs(heat[b] - acc / n) <= 1e-12 * (1 + acc / n), "causal b %d", b);
  }
  len[3] = n + 1;
  cr_expect_eq(ceas_attention_heat_peak_rows(sc, len, n, n, grid, 41, heat, &peak), CEAS_EINPUT);
  ceas_attention_scan_free(scan);
  ceas_attention_head_free(h);
  free(sc);
}
