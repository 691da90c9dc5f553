/* The CEAS Newton beta-controller on a static head. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"

/* CEAS.md defaults; tau_kappa is the middle of the quoted range. */
static const ceas_attention_preset presets[] = {
    {"9k", 2.2, 1.0, 750, 0.75, 0.06, 64, 128},
    {"14m", 1.8, 1.0, 1500, 0.5, 0.05, 64, 128},
    {"gpt", 1.5, 1.0, 3500, 0.3, 0.04, 64, 128},
};

const ceas_attention_preset *ceas_attention_preset_find(const char *name) {
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
    if (name && strcmp(name, presets[i].name) == 0) return &presets[i];
  return NULL;
}

int ceas_attention_ctrl_defaults(const char *preset, ceas_attention_ctrl_params *p) {
  const ceas_attention_preset *pr = ceas_attention_preset_find(preset);
  if (!pr)
    return ceas_error_set(CEAS_EINPUT, "controller preset '%s': expected 9k, 14m or gpt",
                          preset ? preset : "(null)");
  memset(p, 0, sizeof *p);
  p->kappa_max = pr->kappa_max;
  p->kappa_inf = pr->kappa_inf;
  p->tau_kappa = pr->tau_kappa;
  p->dbeta_max = pr->dbeta_max;
  p->u_min = pr->u_min;
  p->eps = 1e-9;
  p->target_offset = 1.1;
  p->tol = 0.05;
  p->steps = 4000;
  return CEAS_OK;
}

void ceas_attention_traj_free(ceas_attention_traj *t) {
  if (!t) return;
  free(t->beta);
  free(t->H);
  free(t->clipped);
  free(t->margin);
  free(t->guard);
  free(t);
}

static void head_HV(const double *scores, size_t nq, size_t n, double beta, double *H,
                    double *V) {
  long double h = 0, v = 0;
  for (size_t i = 0; i < nq; i++) {
    ceas_attention_gibbs g = {0};
    /* Inputs were validated once up front, so this cannot fail. */
    ceas_attention_gibbs_eval(scores + i * n, n, beta, &g, NULL);
    h += g.H;
    v += g.var;
  }
  *H = (double)(h / (long double)nq);
  *V = (double)(v / (long double)nq);
}

/* The margin: the open band (beta_c (1 - u_min), beta_c (1 + u_min)) is
 * forbidden. A beta inside it goes to the nearer edge, unless that edge is more
 * than dbeta_max from the previous beta (it can only be the far edge), in which
 * case it goes to the edge on the previous beta's side, which is always within
 * reach. So the band can be crossed, never entered, and the step bound holds. */
static double apply_margin(double b, double prev, int have_prev, const ceas_attention_ctrl_params *p,
                           int *moved) {
  *moved = 0;
  if (!(p->beta_c > 0)) return b;
  double lo = p->beta_c * (1 - p->u_min), hi = p->beta_c * (1 + p->u_min);
  if (!(b > lo && b < hi)) return b;
  *moved = 1;
  double near = (b - lo <= hi - b) ? lo : hi;
  if (!have_prev || fabs(near - prev) <= p->dbeta_max) return near;
  return prev <= lo ? lo : hi;
}

int ceas_attention_ctrl_run(const double *scores, size_t n_query, size_t n, size_t d_k,
                            const ceas_attention_ctrl_params *p, ceas_attention_traj **out) {
  *out = NULL;
  if (n_query < 1 || n < 2)
    return ceas_error_set(CEAS_EINPUT, "controller: %zu queries of %zu scores, need >= 1 of >= 2",
                          n_query, n);
  if (d_k < 1 && !(p->beta0 > 0))
    return ceas_error_set(CEAS_EINPUT, "controller: d_k = 0 and no beta0");
  if (!(p->kappa_max >= 0) || !(p->kappa_inf > 0) || !(p->tau_kappa > 0) ||
      !(p->dbeta_max > 0) || !(p->eps >= 0) || !(p->tol > 0) || !isfinite(p->kappa_max) ||
      !isfinite(p->kappa_inf) || !isfinite(p->dbeta_max) || !isfinite(p->target_offset))
    return ceas_error_set(CEAS_EINPUT,
                          "controller: need kappa_max >= 0, kappa_inf > 0, tau_kappa > 0, "
                          "dbeta_max > 0, eps >= 0, tol > 0 (all finite)");
  if (p->beta_c > 0 && !(p->u_min >= 0 && p->u_min < 1))
    return ceas_error_set(CEAS_EINPUT, "controller: u_min = %g, expected in [0, 1)", p->u_min);
  for (size_t j = 0; j < n_query * n; j++)
    if (!isfinite(scores[j]))
      return ceas_error_set(CEAS_EINPUT, "controller: score %zu is not finite", j);
  double beta0 = p->beta0 > 0 ? p->beta0 : 1.0 / sqrt((double)d_k);
  double H0, V0;
  head_HV(scores, n_query, n, beta0, &H0, &V0);
  double target = H0 - p->target_offset;
  if (!(target > 0))
    return ceas_error_set(CEAS_EINPUT,
                          "controller: H_target = H(beta0) - %g = %g is not > 0, unreachable",
                          p->target_offset, target);

  ceas_attention_traj *t = ceas_calloc(1, sizeof *t);
  if (!t) return CEAS_ENOMEM;
  size_t T = p->steps;
  t->steps = T;
  t->H_target = target;
  t->beta = ceas_malloc((T + 1) * sizeof *t->beta);
  t->H = ceas_malloc((T + 1) * sizeof *t->H);
  t->clipped = ceas_calloc(T + 1, 1);
  t->margin = ceas_calloc(T + 1, 1);
  t->guard = ceas_calloc(T + 1, 1);
  if (!t->beta || !t->H || !t->clipped || !t->margin || !t->guard) {
    ceas_attention_traj_free(t);
    return CEAS_ENOMEM;
  }
  int moved;
  double beta = apply_margin(beta0, 0, 0, p, &moved);
  t->margin[0] = (unsigned char)moved;
  double H, V;
  head_HV(scores, n_query, n, beta, &H, &V);
  double Hs = H; /* what the controller sees: exact H, or its EMA */
  double alpha = p->ema_H > 0 ? 2.0 / (p->ema_H + 1.0) : 1.0;
  t->beta[0] = beta;
  t->H[0] = H;
  for (size_t s = 0; s < T; s++) {
    double kappa = p->kappa_max * exp(-(double)s / p->tau_kappa) + p->kappa_inf;
    /* dH/dbeta = -beta Var, so this is Newton's step for H(beta) = H_target
     * scaled by kappa: H too high gives a positive step, raising beta and
     * lowering H. */
    double step = kappa * (Hs - target) / (beta * V + p->eps);
    if (!isfinite(step)) step = Hs > target ? p->dbeta_max : -p->dbeta_max;
    if (fabs(step) > p->dbeta_max) {
      step = copysign(p->dbeta_max, step);
      t->clipped[s] = 1;
    }
    double nb = beta + step;
    if (!(nb > 0)) {
      /* Softmax at beta <= 0 inverts or flattens attention; halve instead. */
      nb = 0.5 * beta;
      t->guard[s] = 1;
    }
    nb = apply_margin(nb, beta, 1, p, &moved);
    t->margin[s + 1] = (unsigned char)moved;
    beta = nb;
    head_HV(scores, n_query, n, beta, &H, &V);
    Hs = alpha * H + (1 - alpha) * Hs;
    t->beta[s + 1] = beta;
    t->H[s + 1] = H;
  }
  long c = -1;
  for (size_t s = T + 1; s-- > 0;) {
    if (fabs(t->H[s] - target) <= p->tol) c = (long)s;
    else break;
  }
  t->corridor_step = c;
  *out = t;
  return CEAS_OK;
}
