/* ceas: annealing whose beta is set, sweep by sweep, by the CEAS Newton rule on
 * the entropy of the machine state (contract in ceas_anneal_ceas.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_machine.h"
#include "anneal_private.h"
#include "ceas_anneal_ceas.h"

#define TAG_SWEEP UINT64_C(0x6365617301)
#define TAG_INIT UINT64_C(0x6365617302)


void ceas_anneal_ceas_params_default(ceas_anneal_ceas_params *p) {
  memset(p, 0, sizeof *p);
  p->kappa_max = 2.2;
  p->kappa_inf = 1.0;
  p->tau_kappa = 750;
  p->dbeta_max = 0.75;
  p->u_min = 0.06;
  p->h_end = 1e-3;
  p->eps = 1e-9;
  p->margin = 1;
}

int ceas_anneal_ceas_preset(const char *name, ceas_anneal_ceas_params *p) {
  ceas_anneal_ceas_params_default(p);
  if (!strcmp(name, "9k")) return CEAS_OK;
  if (!strcmp(name, "14m")) {
    p->kappa_max = 1.8, p->tau_kappa = 1500, p->dbeta_max = 0.5, p->u_min = 0.05;
    return CEAS_OK;
  }
  if (!strcmp(name, "gpt")) {
    p->kappa_max = 1.5, p->tau_kappa = 3500, p->dbeta_max = 0.3, p->u_min = 0.04;
    return CEAS_OK;
  }
  return ceas_error_set(CEAS_EINPUT, "--preset: unknown preset '%s' (expected 9k, 14m or gpt)",
                        name);
}

static void params_of(const ceas_anneal_params *p, ceas_anneal_ceas_params *c) {
  if (p->method_params)
    *c = *(const ceas_anneal_ceas_params *)p->method_params;
  else
    ceas_anneal_ceas_params_default(c);
}

/* Spin i alone in its field f_i: energies -+f_i, p = 1 / (1 + e^{-2 beta |f_i|}).
 * With x = beta |f_i|: H_i = ln(2 cosh x) - x tanh x and, since dH_i/dbeta =
 * -beta f_i^2 sech^2 x, V_i = f_i^2 sech^2 x (the variance of the spin's energy). */
static inline void spin_entropy(double a, double beta, double *h, double *v) {
  double x = beta * a;
  double e2 = exp(-2.0 * x);          /* in (0, 1]: no overflow for any x */
  double th = (1.0 - e2) / (1.0 + e2);
  double lncosh2 = x + log1p(e2);     /* ln(2 cosh x) */
  double sech2 = 4.0 * e2 / ((1.0 + e2) * (1.0 + e2));
  *h = lncosh2 - x * th;
  *v = a * a * sech2;
}

void ceas_anneal_ceas_entropy(const ceas_anneal_problem *pb, const double *f, double beta,
                              double *H, double *V) {
  long double h = 0, v = 0;
  for (int64_t i = 0; i < pb->n; i++) {
    double hi, vi;
    spin_entropy(fabs(f[i]), beta, &hi, &vi);
    h += hi;
    v += vi;
  }
  *H = (double)(h / pb->n);
  *V = (double)(v / pb->n);
}

/* The same from the machine. Integer fields take at most kcap values of |f|: a
 * histogram of them needs kcap transcendental evaluations instead of n. */
static void machine_entropy(const anneal_machine *m, double *fbuf, int64_t *hist, double beta,
                            double *H, double *V) {
  const ceas_anneal_problem *pb = m->pb;
  if (!m->f16) {
    ceas_anneal_machine_fields(m, fbuf);
    ceas_anneal_ceas_entropy(pb, fbuf, beta, H, V);
    return;
  }
  memset(hist, 0, (size_t)m->kcap * sizeof *hist);
  for (int64_t i = 0; i < pb->n; i++) hist[m->f16[i] < 0 ? -m->f16[i] : m->f16[i]]++;
  long double h = 0, v = 0;
  for (int64_t k = 0; k < m->kcap; k++) {
    if (!hist[k]) continue;
    double hk, vk;
    spin_entropy(pb->unit * (double)k, beta, &hk, &vk);
    h += (long double)hist[k] * hk;
    v += (long double)hist[k] * vk;
  }
  *H = (double)(h / pb->n);
  *V = (double)(v / pb->n);
}

double ceas_anneal_ceas_margin(double b, double prev, int have_prev, double beta_c,
                               double u_min, double dbeta_max, int *moved) {
  *moved = 0;
  if (!(beta_c > 0) || !(u_min > 0)) return b;
  double lo = beta_c * (1 - u_min), hi = beta_c * (1 + u_min);
  if (!(b > lo && b < hi)) return b;
  *moved = 1;
  double near = (b - lo <= hi - b) ? lo : hi;
  if (!have_prev || fabs(near - prev) <= dbeta_max) return near;
  return prev <= lo ? lo : hi;
}

typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  ceas_anneal_ceas_params c;
  anneal_machine w;
  double *f;          /* n: the machine's fields in the problem's units */
  int64_t *hist;      /* the machine's kcap: counts of |f| (integer fields) */
  double *beta_trace; /* sweeps: beta of each sweep of the last read */
} ceas_work;

static int thermostat_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  ceas_anneal_ceas_params cp;
  params_of(p, &cp);
  const ceas_anneal_ceas_params *c = &cp;
  if (pb->n < 1) return ceas_error_set(CEAS_EINPUT, "ceas: the problem has no spins");
  if (!p->schedule || p->schedule->sweeps < 2)
    return ceas_error_set(CEAS_EINPUT, "ceas: expected at least two sweeps");
  if (!(p->schedule->beta0 > 0) || !(p->schedule->beta1 > p->schedule->beta0) ||
      !isfinite(p->schedule->beta1))
    return ceas_error_set(CEAS_EINPUT,
                          "ceas: expected 0 < beta0 < beta1 (start and cap of beta), got %g, %g",
                          p->schedule->beta0, p->schedule->beta1);
  if (!(c->kappa_max >= 0) || !(c->kappa_inf > 0) || !(c->tau_kappa > 0) ||
      !(c->dbeta_max > 0) || !(c->u_min >= 0 && c->u_min < 1) || !(c->h_end >= 0) ||
      !(c->h_end < log(2.0)) || !(c->eps > 0))
    return ceas_error_set(CEAS_EINPUT,
                          "ceas: expected kappa_max >= 0, kappa_inf, tau_kappa, dbeta_max, "
                          "eps > 0, 0 <= u_min < 1 and 0 <= h_end < ln 2");
  return CEAS_OK;
}

static void thermostat_free(void *work) {
  ceas_work *w = work;
  if (!w) return;
  ceas_anneal_machine_free(&w->w);
  free(w->f);
  free(w->hist);
  free(w->beta_trace);
  free(w);
}

static int thermostat_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p, void **out) {
  *out = NULL;
  ceas_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->pb = pb;
  w->p = p;
  params_of(p, &w->c);
  w->beta_trace = ceas_malloc((size_t)p->schedule->sweeps * sizeof *w->beta_trace);
  w->f = ceas_malloc((size_t)pb->n * sizeof *w->f);
  int rc = w->beta_trace && w->f
               ? ceas_anneal_machine_alloc(pb, p->field_noise, p->update == CEAS_ANNEAL_UPDATE_SYNC,
                                      p->order == CEAS_ANNEAL_ORDER_RANDOM, &w->w)
               : CEAS_ENOMEM;
  if (!rc && w->w.f16 && !(w->hist = ceas_malloc((size_t)w->w.kcap * sizeof *w->hist)))
    rc = CEAS_ENOMEM;
  if (rc) {
    thermostat_free(w);
    return rc;
  }
  *out = w;
  return CEAS_OK;
}

static int thermostat_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                     ceas_anneal_read *res, int8_t *best, double *trace) {
  ceas_work *w = work;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const ceas_anneal_ceas_params *c = &w->c;
  const int64_t n = pb->n;
  const uint64_t S = p->schedule->sweeps;
  /* beta steps are bounded in units of the typical local field. */
  const double scale = pb->field_scale > 0 ? pb->field_scale : 1.0;
  const double dmax = c->dbeta_max / scale, bmax = p->schedule->beta1;
  memset(res, 0, sizeof *res);
  double t0 = ceas_wtime();
  ceas_rng_key key = {p->seed, r};
  ceas_anneal_machine_start_walker(&w->w, key, 0, TAG_INIT, TAG_SWEEP, p->seed, r);
  double tol = p->target_tol;
  const double noise = 1e-12 * pb->abs_sum;  /* below any real improvement */
  const double slack = 1e-6 * pb->abs_sum;   /* above float32 drift between refreshes */
  double last_checked = INFINITY;
  double beta = p->schedule->beta0, H, V;
  machine_entropy(&w->w, w->f, w->hist, beta, &H, &V);
  const double H0 = H;
  double best_e = w->w.E;
  memcpy(best, w->w.s, (size_t)n);
  /* On-the-fly beta_c: the peak of the heat beta^2 V along the trajectory, taken as
   * found once beta is 25 % past it and the heat has fallen below 70 % of it. */
  double c_max = -1, beta_at_max = 0, beta_c = 0;
  if (p->has_target && ceas_anneal_energy(pb, w->w.s) <= p->target + tol) res->reached = 1;
  for (uint64_t k = 0; k < S; k++) {
    if (hooks && hooks->stop && *hooks->stop) return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
    w->beta_trace[k] = beta;
    res->flips += ceas_anneal_machine_sweep(&w->w, k, beta);
    double e = w->w.E;
    if (e < best_e - noise) {
      best_e = e;
      res->best_sweep = k + 1;
      memcpy(best, w->w.s, (size_t)n);
    }
    if (p->has_target && !res->reached && e <= p->target + tol + slack &&
        e < last_checked - noise) {
      last_checked = e;
      if (ceas_anneal_energy(pb, w->w.s) <= p->target + tol) {
        res->reached = 1;
        res->sweeps_to_target = k + 1;
        res->updates_to_target = (k + 1) * (uint64_t)n;
        res->seconds_to_target = ceas_wtime() - t0;
      }
    }
    if (trace && (k + 1) % p->trace_every == 0) trace[(k + 1) / p->trace_every - 1] = e;
    if (hooks && hooks->sweeps_done && (k + 1) % 256 == 0) hooks->sweeps_done(hooks->ctx, k + 1);
    /* The controller: entropy of the state just reached at the current beta. */
    machine_entropy(&w->w, w->f, w->hist, beta, &H, &V);
    double heat = beta * beta * V;
    if (heat > c_max) c_max = heat, beta_at_max = beta;
    if (c->margin && !(beta_c > 0) && beta > 1.25 * beta_at_max && heat < 0.7 * c_max)
      beta_c = beta_at_max;
    double target = H0 + (c->h_end - H0) * (double)(k + 1) / (double)(S - 1);
    double kappa = c->kappa_max * exp(-(double)k / c->tau_kappa) + c->kappa_inf;
    double nb = beta + kappa * (H - target) / (beta * V + c->eps);
    if (nb > beta + dmax) nb = beta + dmax;
    if (nb < beta - dmax) nb = beta - dmax;
    if (!(nb > 0)) nb = beta / 2; /* positivity guard */
    int moved;
    if (c->margin) nb = ceas_anneal_ceas_margin(nb, beta, 1, beta_c, c->u_min, dmax, &moved);
    beta = nb > bmax ? bmax : nb;
  }
  res->updates = S * (uint64_t)n;
  ceas_anneal_cost_metropolis(pb, p->j_bits, S, ceas_anneal_machine_deg_sum(&w->w), &res->cost);
  /* The controller reads every field once per sweep; its arithmetic is O(n) per
   * sweep against the sweep's O(nnz) and is not priced. */
  res->cost.bytes += S * 4 * (uint64_t)n;
  res->best_energy = ceas_anneal_energy(pb, best);
  res->final_energy = ceas_anneal_energy(pb, w->w.s);
  res->seconds = ceas_wtime() - t0;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_ceas = {
    .name = "ceas",
    .summary = "CEAS entropy thermostat: beta set each sweep by the Newton rule on the machine "
               "entropy",
    .params = CEAS_ANNEAL_PARAMS_CEAS,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_FIELDS,
    .synchronous = 0,
    .collective = 0,
    .packed = NULL,
    .check = thermostat_check,
    .alloc = thermostat_alloc,
    .read = thermostat_read,
    .finish = ceas_anneal_finish_none,
    .free = thermostat_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_default_betas,
};
