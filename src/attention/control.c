/* The CEAS Newton beta-controller on a static head. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"

/* CEAS.md defaults; tau_kappa is the middle of the quoted range, tau_T at GPT
 * scale too (2000-4000); m_min and h_min take the permissive ends (16 of 16-32
 * tokens, 2 of 2-4 heads), which a small model's short sequences need. */
static const ceas_attention_preset presets[] = {
    {"9k", 2.2, 1.0, 750, 0.75, 0.06, 64, 128, 1.8, 1.05, 600, 0.55, 0.75, 2000, 50, 0.9, 16, 2,
     0.05, 200, 0.2},
    {"14m", 1.8, 1.0, 1500, 0.5, 0.05, 64, 128, 1.6, 1.02, 1200, 0.55, 0.75, 2000, 100, 0.9, 16,
     2, 0.05, 200, 0.2},
    {"gpt", 1.5, 1.0, 3500, 0.3, 0.04, 64, 128, 1.5, 1.00, 3000, 0.55, 0.75, 2000, 200, 0.9, 16,
     2, 0.05, 200, 0.2},
};

const ceas_attention_preset *ceas_attention_preset_find(const char *name) {
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
    if (name && strcmp(name, presets[i].name) == 0) return &presets[i];
  return NULL;
}

size_t ceas_attention_struct_size(const char *name) {
  static const struct {
    const char *name;
    size_t size;
  } t[] = {{"preset", sizeof(ceas_attention_preset)},
           {"ctrl_params", sizeof(ceas_attention_ctrl_params)},
           {"ctrl", sizeof(ceas_attention_ctrl)},
           {"traj", sizeof(ceas_attention_traj)},
           {"gibbs", sizeof(ceas_attention_gibbs)}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (name && strcmp(name, t[i].name) == 0) return t[i].size;
  return 0;
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

int ceas_attention_head_HV(const double *scores, size_t n_query, size_t n, double beta,
                           double *H, double *var) {
  *H = *var = NAN;
  long double h = 0, v = 0;
  for (size_t i = 0; i < n_query; i++) {
    ceas_attention_gibbs g = {0};
    int rc = ceas_attention_gibbs_eval(scores + i * n, n, beta, &g, NULL);
    if (rc) return rc;
    h += g.H;
    v += g.var;
  }
  *H = (double)(h / (long double)n_query);
  *var = (double)(v / (long double)n_query);
  return CEAS_OK;
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

static int check_params(const ceas_attention_ctrl_params *p) {
  if (!(p->kappa_max >= 0) || !(p->kappa_inf > 0) || !(p->tau_kappa > 0) ||
      !(p->dbeta_max > 0) || !(p->eps >= 0) || !(p->tol > 0) || !isfinite(p->kappa_max) ||
      !isfinite(p->kappa_inf) || !isfinite(p->dbeta_max) || !isfinite(p->target_offset))
    return ceas_error_set(CEAS_EINPUT,
                          "controller: need kappa_max >= 0, kappa_inf > 0, tau_kappa > 0, "
                          "dbeta_max > 0, eps >= 0, tol > 0 (all finite)");
  if (p->beta_c > 0 && !(p->u_min >= 0 && p->u_min < 1))
    return ceas_error_set(CEAS_EINPUT, "controller: u_min = %g, expected in [0, 1)", p->u_min);
  return CEAS_OK;
}

int ceas_attention_ctrl_init(ceas_attention_ctrl *c, const ceas_attention_ctrl_params *p,
                             double beta0, double H_target, unsigned *flags) {
  int rc = check_params(p);
  if (rc) return rc;
  if (!(beta0 > 0) || !isfinite(beta0))
    return ceas_error_set(CEAS_EINPUT, "controller: beta0 = %g, expected a finite number > 0",
                          beta0);
  if (!isfinite(H_target))
    return ceas_error_set(CEAS_EINPUT, "controller: H_target = %g is not finite", H_target);
  memset(c, 0, sizeof *c);
  c->p = *p;
  c->H_target = H_target;
  c->gain_scale = 1;
  int moved;
  c->beta = apply_margin(beta0, 0, 0, &c->p, &moved);
  if (flags) *flags = moved ? CEAS_ATTENTION_CTRL_MARGIN : 0u;
  return CEAS_OK;
}

static double ema(double seen, double x, unsigned w) {
  double a = w > 0 ? 2.0 / (w + 1.0) : 1.0;
  return a * x + (1 - a) * seen;
}

int ceas_attention_ctrl_observe(ceas_attention_ctrl *c, double H, double var) {
  if (!isfinite(H) || !isfinite(var) || H < 0 || var < 0)
    return ceas_error_set(CEAS_EINPUT,
                          "controller: observed H = %g, Var = %g; expected finite and >= 0", H,
                          var);
  if (!c->observed) {
    c->H_seen = H;
    c->var_seen = var;
    c->observed = 1;
  } else {
    c->H_seen = ema(c->H_seen, H, c->p.ema_H);
    c->var_seen = ema(c->var_seen, var, c->p.ema_var);
  }
  return CEAS_OK;
}

int ceas_attention_ctrl_update(ceas_attention_ctrl *c, unsigned *flags) {
  const ceas_attention_ctrl_params *p = &c->p;
  unsigned f = 0;
  if (!c->observed)
    return ceas_error_set(CEAS_EINPUT, "controller: update before any observation of H");
  if (!(c->gain_scale > 0) || !isfinite(c->gain_scale))
    return ceas_error_set(CEAS_EINPUT, "controller: gain scale %g, expected > 0", c->gain_scale);
  if (p->beta_c > 0 && !(p->u_min >= 0 && p->u_min < 1))
    return ceas_error_set(CEAS_EINPUT, "controller: u_min = %g, expected in [0, 1)", p->u_min);
  double beta = c->beta, Hs = c->H_seen;
  double kappa =
      c->gain_scale * (p->kappa_max * exp(-(double)c->t / p->tau_kappa) + p->kappa_inf);
  /* dH/dbeta = -beta Var, so this is Newton's step for H(beta) = H_target
   * scaled by kappa: H too high gives a positive step, raising beta and
   * lowering H. */
  double step = kappa * (Hs - c->H_target) / (beta * c->var_seen + p->eps);
  if (!isfinite(step)) step = Hs > c->H_target ? p->dbeta_max : -p->dbeta_max;
  if (fabs(step) > p->dbeta_max) {
    step = copysign(p->dbeta_max, step);
    f |= CEAS_ATTENTION_CTRL_CLIPPED;
  }
  double nb = beta + step;
  if (!(nb > 0)) {
    /* Softmax at beta <= 0 inverts or flattens attention; halve instead. */
    nb = 0.5 * beta;
    f |= CEAS_ATTENTION_CTRL_GUARD;
  }
  int moved;
  nb = apply_margin(nb, beta, 1, p, &moved);
  if (moved) f |= CEAS_ATTENTION_CTRL_MARGIN;
  c->beta = nb;
  c->t++;
  if (flags) *flags = f;
  return CEAS_OK;
}

int ceas_attention_ctrl_run(const double *scores, size_t n_query, size_t n, size_t d_k,
                            const ceas_attention_ctrl_params *p, ceas_attention_traj **out) {
  *out = NULL;
  if (n_query < 1 || n < 2)
    return ceas_error_set(CEAS_EINPUT, "controller: %zu queries of %zu scores, need >= 1 of >= 2",
                          n_query, n);
  if (d_k < 1 && !(p->beta0 > 0))
    return ceas_error_set(CEAS_EINPUT, "controller: d_k = 0 and no beta0");
  int rc = check_params(p);
  if (rc) return rc;
  for (size_t j = 0; j < n_query * n; j++)
    if (!isfinite(scores[j]))
      return ceas_error_set(CEAS_EINPUT, "controller: score %zu is not finite", j);
  double beta0 = p->beta0 > 0 ? p->beta0 : 1.0 / sqrt((double)d_k);
  double H0, V0;
  /* Scores were checked finite above: the head averages cannot fail. */
  ceas_attention_head_HV(scores, n_query, n, beta0, &H0, &V0);
  double target = H0 - p->target_offset;
  if (!(target > 0))
    return ceas_error_set(CEAS_EINPUT,
                          "controller: H_target = H(beta0) - %g = %g is not > 0, unreachable",
                          p->target_offset, target);
  ceas_attention_ctrl c;
  unsigned f;
  if ((rc = ceas_attention_ctrl_init(&c, p, beta0, target, &f))) return rc;

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
  t->margin[0] = (f & CEAS_ATTENTION_CTRL_MARGIN) != 0;
  double H, V;
  ceas_attention_head_HV(scores, n_query, n, c.beta, &H, &V);
  t->beta[0] = c.beta;
  t->H[0] = H;
  for (size_t s = 0; s < T; s++) {
    /* Inputs are finite and H, Var >= 0 by construction: these cannot fail. */
    ceas_attention_ctrl_observe(&c, H, V);
    ceas_attention_ctrl_update(&c, &f);
    t->clipped[s] = (f & CEAS_ATTENTION_CTRL_CLIPPED) != 0;
    t->guard[s] = (f & CEAS_ATTENTION_CTRL_GUARD) != 0;
    t->margin[s + 1] = (f & CEAS_ATTENTION_CTRL_MARGIN) != 0;
    ceas_attention_head_HV(scores, n_query, n, c.beta, &H, &V);
    t->beta[s + 1] = c.beta;
    t->H[s + 1] = H;
  }
  long cs = -1;
  for (size_t s = T + 1; s-- > 0;) {
    if (fabs(t->H[s] - target) <= p->tol) cs = (long)s;
    else break;
  }
  t->corridor_step = cs;
  *out = t;
  return CEAS_OK;
}
