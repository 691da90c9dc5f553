/* analog: noisy amplitude dynamics of a coherent Ising machine in the mean-field
 * (classical, deterministic-amplitude) approximation, as studied by Leleu et al.,
 * PRL 122, 040607 (2019) (their model without the error-correction variables; see
 * also McMahon et al., Science 354, 614 (2016)):
 *
 *     dx_i = [ (p(t) - 1) x_i - x_i^3 + eps (sum_j J_ij x_j + h_i + noise_i) ] dt
 *            + sigma dW_i ,
 *
 * integrated by Euler-Maruyama: step k of S (from 0) with p_k = p0 + (p1 - p0)
 * k / (S - 1) (p1 when S = 1) adds the drift times dt and sigma sqrt(dt) N(0, 1),
 * the normal drawn from the read's key by (step, site). Below threshold every
 * amplitude decays; the pump p crosses the threshold 1 - eps lambda_max(J) of the
 * leading mode, the amplitudes bifurcate to ±sqrt(p - 1 + ...) and the spins are
 * read out as s = sign(x) (energy every check_every steps, best kept).
 *
 * Defaults (docs/anneal_dynamics.md, chosen on enumerable instances and SK n = 1000):
 * dt = 0.1, eps = 1 / field_scale (eps lambda_max ~ 2 for SK, whose spectrum edge
 * is 2 field_scale, so the threshold 1 - eps lambda_max ~ -1 is where the ramp
 * p: -1 -> 1.5 starts), sigma = 0.3, x(0) uniform in [-0.01, 0.01]. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_private.h"

/* Purpose of the read's Philox4x32 key for the initial state (ASCII "CIM"). */
#define PURPOSE_CIM UINT64_C(0x43494d)
#define INIT_C 0xFFFFFFFFu

typedef struct {
  ceas_anneal_dyn_head head; /* first: ceas_anneal_dyn_cost reads it */
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p; /* &pp */
  ceas_anneal_params pp;        /* a copy: ceas_anneal_dyn_alloc passes a temporary */
  ceas_anneal_dyn_params d;
  float *x, *F, *hu;
  uint32_t *u;
  ceas_anneal_readout ro;
  ceas_anneal_cost step_cost;
} analog_work;

static int analog_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  return ceas_anneal_dyn_check_run("analog", "amplitudes", pb, p);
}

static void analog_free(void *work) {
  analog_work *w = work;
  if (!w) return;
  free(w->x);
  free(w->F);
  free(w->hu);
  free(w->u);
  ceas_anneal_readout_free(&w->ro);
  free(w);
}

int ceas_anneal_analog_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                             const ceas_anneal_dyn_params *d_in, void **out) {
  *out = NULL;
  ceas_anneal_dyn_params d;
  if (d_in)
    d = *d_in;
  else
    ceas_anneal_dyn_params_default(&d);
  if (isnan(d.dt)) d.dt = 0.1;
  if (isnan(d.x_init)) d.x_init = 0.01;
  int rc = ceas_anneal_dyn_check("analog", &d);
  if (rc) return rc;
  if (!(d.noise >= 0) || !isfinite(d.noise))
    return ceas_error_set(CEAS_EINPUT, "analog: --noise must be finite and >= 0, got %g",
                          d.noise);
  if (!isfinite(d.p0) || !isfinite(d.p1))
    return ceas_error_set(CEAS_EINPUT, "analog: --p0 and --p1 must be finite");
  if (isnan(d.eps)) {
    if (!(d.eps_rel > 0) || !isfinite(d.eps_rel))
      return ceas_error_set(CEAS_EINPUT, "analog: --eps-rel must be finite and > 0, got %g",
                            d.eps_rel);
    d.eps = d.eps_rel / pb->field_scale;
  }
  if (!(d.eps > 0) || !isfinite(d.eps))
    return ceas_error_set(CEAS_EINPUT, "analog: --eps must be finite and > 0, got %g", d.eps);
  analog_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->head.method = &ceas_anneal_method_analog;
  w->pb = pb;
  w->pp = *p;
  w->p = &w->pp;
  w->d = d;
  w->head.used = d;
  size_t n = (size_t)pb->n;
  w->x = ceas_malloc(n * sizeof *w->x);
  w->F = ceas_malloc(n * sizeof *w->F);
  w->hu = ceas_malloc(n * sizeof *w->hu);
  w->u = ceas_malloc(4 * ((n + 3) / 4) * sizeof *w->u);
  if (!w->x || !w->F || !w->hu || !w->u || (rc = ceas_anneal_readout_init(&w->ro, pb, w->p))) {
    analog_free(w);
    return rc ? rc : CEAS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) w->hu[i] = (float)(pb->h[i] / pb->unit);
  ceas_anneal_cost_mvm(pb, d.j_bits, &w->step_cost);
  w->step_cost.spin_updates = n;
  w->step_cost.bytes += 8 * (uint64_t)n; /* x read and written */
  *out = w;
  return CEAS_OK;
}

static int analog_alloc_default(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                                void **work) {
  ceas_anneal_dyn_params d;
  ceas_anneal_dyn_params_of(p, &d);
  return ceas_anneal_analog_alloc(pb, p, &d, work);
}

/* The parameters analog derived from the instance and used. */
static int analog_finish(void *work, ceas_anneal_result *r) {
  const ceas_anneal_dyn_params *u = &((const analog_work *)work)->head.used;
  const char *names[5] = {"dt", "eps", "p0", "p1", "noise"};
  const double values[5] = {u->dt, u->eps, u->p0, u->p1, u->noise};
  r->n_used = 5;
  for (int i = 0; i < 5; i++) r->used[i].name = names[i], r->used[i].value = values[i];
  return CEAS_OK;
}

/* The element-wise half of a step; F holds eps (J x + h + field noise) dt plus the
 * Wiener increment. */
static void analog_move(int64_t n, float *restrict x, const float *restrict F, float kp,
                        float dt) {
  for (int64_t i = 0; i < n; i++) {
    float xi = x[i];
    x[i] = xi + ((kp * xi - dt * xi * xi * xi) + F[i]);
  }
}

static int analog_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                       ceas_anneal_read *res, int8_t *best, double *trace) {
  analog_work *w = work;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const int64_t n = pb->n;
  const uint64_t S = p->schedule->sweeps;
  memset(&w->head.cost, 0, sizeof w->head.cost);
  ceas_rng_key key = {p->seed, r};
  ceas_rng_fill32(ceas_rng_key32_derive(key, PURPOSE_CIM), 0, INIT_C, INIT_C, w->u,
                  (size_t)((n + 3) / 4));
  const float xi0 = (float)w->d.x_init;
  for (int64_t i = 0; i < n; i++) w->x[i] = ((float)(w->u[i] >> 8) * 0x1p-23f - 1.0f) * xi0;
  ceas_anneal_noise field_nz, dw;
  ceas_anneal_field_noise_init(&field_nz, pb, p->seed, r, w->d.field_noise);
  const double dt = w->d.dt;
  ceas_anneal_noise_init(&dw, p->seed, r, CEAS_ANNEAL_PURPOSE_DW, w->d.noise * sqrt(dt));
  ceas_anneal_readout_start(&w->ro, w->x, res, best, trace);
  const float keps = (float)(dt * w->d.eps * pb->unit);
  for (uint64_t k = 0; k < S; k++) {
    if (hooks && hooks->stop && *hooks->stop)
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
    double pk = S > 1 ? w->d.p0 + (w->d.p1 - w->d.p0) * (double)k / (double)(S - 1) : w->d.p1;
    ceas_anneal_mvm(pb, w->x, w->F);
    if (pb->has_field)
      for (int64_t i = 0; i < n; i++) w->F[i] += w->hu[i];
    if (field_nz.sigma > 0) ceas_anneal_noise_add(&field_nz, k, n, w->F);
    for (int64_t i = 0; i < n; i++) w->F[i] *= keps;
    if (dw.sigma > 0) ceas_anneal_noise_add(&dw, k, n, w->F);
    analog_move(n, w->x, w->F, (float)(dt * (pk - 1.0)), (float)dt);
    ceas_anneal_readout_after(&w->ro, k, S, w->d.check_every, hooks, w->x);
  }
  ceas_anneal_readout_finish(&w->ro, S);
  ceas_anneal_cost_add(&w->head.cost, &w->step_cost, S);
  res->cost = w->head.cost;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_analog = {
    .name = "analog",
    .summary = "noisy mean-field coherent-Ising-machine amplitude dynamics (Euler-Maruyama)",
    .params = CEAS_ANNEAL_PARAMS_DYN,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_DYN,
    .synchronous = 1,
    .collective = 0,
    .packed = NULL,
    .check = analog_check,
    .alloc = analog_alloc_default,
    .read = analog_read,
    .finish = analog_finish,
    .free = analog_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_default_betas,
};
