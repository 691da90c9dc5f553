/* sb: simulated bifurcation, ballistic (bSB) and discrete (dSB) variants
 * (Goto, Tatsumura & Dixon, Sci. Adv. 5, eaav2372 (2019); Goto et al., Sci. Adv. 7,
 * eabe7953 (2021)).
 *
 * Oscillator i has position x_i and momentum y_i (float32). Step k of S (from 0),
 * symplectic Euler with a(t_k) = a0 k / (S - 1) (a0 when S = 1):
 *
 *     y_i += dt [ -(a0 - a(t_k)) x_i + c0 (sum_j J_ij f(x_j) + h_i + noise_ik) ]
 *     x_i += dt a0 y_i
 *     |x_i| > 1:  x_i = sign(x_i), y_i = 0        (perfectly inelastic walls)
 *
 * with f(x) = x (bSB) or sign(x) (dSB). The spins are s = sign(x); their energy is
 * read out after every step (bSB: every check_every steps) and the best state is
 * kept (anneal_npu.h, ceas_anneal_readout).
 *
 * Each step is one matrix-vector product of the couplings. bSB multiplies the
 * float32 positions by the dense rows (int8 or float32) or the CSR. dSB's product
 * J sign(x) is exactly the readout's field vector, which follows the sign changes
 * flip by flip (one row each) and is recomputed from scratch when many signs
 * changed; with couplings of one magnitude and no field it is an exact integer
 * either way, so the two routes give the same step.
 *
 * Defaults (docs/anneal_dynamics.md): a0 = 1 and c0 = 0.5 / (sigma_J sqrt(n)),
 * sigma_J = sqrt(sum_{i != j} J_ij^2 / (n (n - 1))), as in the 2021 paper; x_i(0),
 * y_i(0) uniform in [-0.1, 0.1] from the read's key. The time step comes from the
 * instance: dt = min(1.25, 0.8 dt_stab), dt_stab = 2 / sqrt(a0 (a0 - c0 lambda_min))
 * the symplectic-Euler stability limit of the stiffest linear mode (the eigenvector
 * of J's lowest eigenvalue lambda_min, whose spring a0 - a(t) - c0 lambda_min is
 * largest at t = 0). The paper's dt = 1.25 is 0.88 dt_stab on SK, where
 * lambda_min = -2 sigma_J sqrt(n), but the G-set graphs (J = -w, all w = +1) have an
 * outlier lambda_min ~ -(mean degree) far below the bulk: on G1 c0 lambda_min = -3.5,
 * dt_stab = 0.94, and dt = 1.25 left every read at its random start. bSB degrades
 * from about 1.0 dt_stab on, dSB (whose sign(x) force has more gain) from about
 * 0.85 dt_stab (measured on G1, G2, G14, G22, G43), hence 0.8. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_private.h"

/* Purpose of the read's Philox4x32 key for the initial state (ASCII "SB"). */
#define PURPOSE_SB UINT64_C(0x5342)
#define INIT_C 0xFFFFFFFFu

typedef struct {
  ceas_anneal_dyn_head head; /* first: ceas_anneal_dyn_cost reads it */
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p; /* &pp */
  ceas_anneal_params pp;        /* a copy: ceas_anneal_dyn_alloc passes a temporary */
  ceas_anneal_dyn_params d;
  int discrete;
  double c0;         /* in the problem's energy units */
  float *x, *y, *F;  /* positions, momenta, forces (couplings in units) */
  float *hu;         /* h / unit */
  uint32_t *u;       /* initial-state words, 4 ceil(n/2) */
  ceas_anneal_readout ro;
  ceas_anneal_cost step_cost;
} sb_work;

static int sb_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  return ceas_anneal_dyn_check_run("sb", "oscillators", pb, p);
}

static void sb_free(void *work) {
  sb_work *w = work;
  if (!w) return;
  free(w->x);
  free(w->y);
  free(w->F);
  free(w->hu);
  free(w->u);
  ceas_anneal_readout_free(&w->ro);
  free(w);
}

/* Lanczos steps for lambda_min: extreme eigenvalues converge first, and 40 steps
 * put the estimate within 1 % of scipy's on the eight G-set graphs and SK n = 1000
 * (a 1 % error moves dt by well under 1 %); 40 products of J cost 4 % of one read of
 * the default 1000 steps. */
#define SB_LANCZOS_STEPS 40

/* The lowest eigenvalue of the k x k tridiagonal matrix (alpha on the diagonal,
 * beta beside it) by bisection on the Sturm count of eigenvalues below x. */
static double tridiag_lowest(const double *alpha, const double *beta, int k) {
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < k; i++) { /* Gershgorin interval */
    double r = (i > 0 ? fabs(beta[i - 1]) : 0) + (i + 1 < k ? fabs(beta[i]) : 0);
    lo = fmin(lo, alpha[i] - r);
    hi = fmax(hi, alpha[i] + r);
  }
  for (int it = 0; it < 100 && hi - lo > 1e-12 * fmax(1.0, fabs(lo)); it++) {
    double x = 0.5 * (lo + hi), q = 1;
    int below = 0;
    for (int i = 0; i < k; i++) {
      q = alpha[i] - x - (i > 0 ? beta[i - 1] * beta[i - 1] / q : 0);
      if (q == 0) q = 1e-300;
      below += q < 0;
    }
    if (below >= 1)
      hi = x;
    else
      lo = x;
  }
  return lo;
}

/* lambda_min of J (the couplings in the problem's units of energy, no fields) by
 * Lanczos from a fixed start vector (a hash of the index: deterministic, and with
 * an overlap of order 1/sqrt(n) or more with every eigenvector). Without
 * reorthogonalisation: a lost-orthogonality ghost only repeats converged extreme
 * eigenvalues. Returns 0 when n < 2 or memory is short (no stiff mode assumed). */
static double sb_lambda_min(const ceas_anneal_problem *pb) {
  const int64_t n = pb->n;
  if (n < 2) return 0;
  double *v = ceas_malloc((size_t)n * sizeof *v), *w = ceas_malloc((size_t)n * sizeof *w),
         *vp = ceas_calloc((size_t)n, sizeof *vp);
  double alpha[SB_LANCZOS_STEPS], beta[SB_LANCZOS_STEPS];
  double lmin = 0;
  if (v && w && vp) {
    double nrm = 0;
    for (int64_t i = 0; i < n; i++) {
      v[i] = (double)(((uint32_t)i * 2654435761u) >> 8) * 0x1p-24 - 0.5 + 0.25;
      nrm += v[i] * v[i];
    }
    for (int64_t i = 0; i < n; i++) v[i] /= sqrt(nrm);
    int k = 0;
    double b = 0;
    while (k < SB_LANCZOS_STEPS) {
      double a = 0;
      for (int64_t i = 0; i < n; i++) {
        double x = 0;
        for (int64_t e = pb->indptr[i]; e < pb->indptr[i + 1]; e++) x += pb->J[e] * v[pb->indices[e]];
        w[i] = x - b * vp[i];
        a += w[i] * v[i];
      }
      double bb = 0;
      for (int64_t i = 0; i < n; i++) {
        w[i] -= a * v[i];
        bb += w[i] * w[i];
      }
      alpha[k] = a;
      b = beta[k] = sqrt(bb);
      k++;
      if (!(b > 1e-12 * (fabs(a) + 1e-300))) break; /* invariant subspace: exact */
      for (int64_t i = 0; i < n; i++) {
        vp[i] = v[i];
        v[i] = w[i] / b;
      }
    }
    lmin = tridiag_lowest(alpha, beta, k);
  }
  free(v);
  free(w);
  free(vp);
  return lmin;
}

double ceas_anneal_sb_default_dt(const ceas_anneal_problem *pb, double a0, double c0) {
  double stiff = a0 + c0 * fmax(0.0, -sb_lambda_min(pb));
  return fmin(1.25, 0.8 * 2.0 / sqrt(a0 * stiff));
}

int ceas_anneal_sb_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                         const ceas_anneal_dyn_params *d_in, int discrete, void **out) {
  *out = NULL;
  const char *name = discrete ? "sb-discrete" : "sb-ballistic";
  ceas_anneal_dyn_params d;
  if (d_in)
    d = *d_in;
  else
    ceas_anneal_dyn_params_default(&d);
  if (isnan(d.x_init)) d.x_init = 0.1;
  if (!(d.a0 > 0) || !isfinite(d.a0))
    return ceas_error_set(CEAS_EINPUT, "%s: --a0 must be finite and > 0, got %g", name, d.a0);
  /* sigma_J sqrt(n) = sqrt(sum_ij J_ij^2 / (n - 1)) = field_scale sqrt(n / (n - 1)). */
  double sj_rootn = pb->n > 1 ? pb->field_scale * sqrt((double)pb->n / (double)(pb->n - 1))
                              : pb->field_scale;
  if (isnan(d.c0)) d.c0 = 0.5 / sj_rootn;
  if (!(d.c0 > 0) || !isfinite(d.c0))
    return ceas_error_set(CEAS_EINPUT, "%s: --c0 must be finite and > 0, got %g", name, d.c0);
  if (isnan(d.dt)) d.dt = ceas_anneal_sb_default_dt(pb, d.a0, d.c0);
  int rc = ceas_anneal_dyn_check(name, &d);
  if (rc) return rc;
  sb_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->head.method = discrete ? &ceas_anneal_method_sb_discrete : &ceas_anneal_method_sb_ballistic;
  w->pb = pb;
  w->pp = *p;
  w->p = &w->pp;
  w->d = d;
  w->discrete = discrete;
  w->head.used = d;
  w->c0 = d.c0;
  size_t n = (size_t)pb->n;
  w->x = ceas_malloc(n * sizeof *w->x);
  w->y = ceas_malloc(n * sizeof *w->y);
  w->F = ceas_malloc(n * sizeof *w->F);
  w->hu = ceas_malloc(n * sizeof *w->hu);
  w->u = ceas_malloc(4 * ((n + 1) / 2) * sizeof *w->u);
  if (!w->x || !w->y || !w->F || !w->hu || !w->u ||
      (rc = ceas_anneal_readout_init(&w->ro, pb, w->p))) {
    sb_free(w);
    return rc ? rc : CEAS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) w->hu[i] = (float)(pb->h[i] / pb->unit);
  ceas_anneal_sb_step_cost(pb, d.j_bits, &w->step_cost);
  *out = w;
  return CEAS_OK;
}

void ceas_anneal_sb_step_cost(const ceas_anneal_problem *pb, int j_bits,
                              ceas_anneal_cost *c) {
  ceas_anneal_cost_mvm(pb, j_bits, c);
  c->spin_updates = (uint64_t)pb->n;
  c->bytes += 16 * (uint64_t)pb->n; /* x and y read and written */
}

static int sb_alloc_ballistic(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                              void **work) {
  ceas_anneal_dyn_params d;
  ceas_anneal_dyn_params_of(p, &d);
  return ceas_anneal_sb_alloc(pb, p, &d, 0, work);
}

static int sb_alloc_discrete(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                             void **work) {
  ceas_anneal_dyn_params d;
  ceas_anneal_dyn_params_of(p, &d);
  return ceas_anneal_sb_alloc(pb, p, &d, 1, work);
}

/* The parameters sb derived from the instance and used. */
static int sb_finish(void *work, ceas_anneal_result *r) {
  const ceas_anneal_dyn_params *u = &((const sb_work *)work)->head.used;
  const char *names[3] = {"dt", "a0", "c0"};
  const double values[3] = {u->dt, u->a0, u->c0};
  r->n_used = 3;
  for (int i = 0; i < 3; i++) r->used[i].name = names[i], r->used[i].value = values[i];
  return CEAS_OK;
}

/* The element-wise half of a step: momenta, positions, walls. */
static void sb_move(int64_t n, float *restrict x, float *restrict y, const float *restrict F,
                    float ka, float kc, float kx) {
  for (int64_t i = 0; i < n; i++) {
    float yi = y[i] + (kc * F[i] - ka * x[i]);
    float xi = x[i] + kx * yi;
    int wall = xi > 1.0f || xi < -1.0f;
    x[i] = wall ? (xi > 0 ? 1.0f : -1.0f) : xi;
    y[i] = wall ? 0.0f : yi;
  }
}

static int sb_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                   ceas_anneal_read *res, int8_t *best, double *trace) {
  sb_work *w = work;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const int64_t n = pb->n;
  const uint64_t S = p->schedule->sweeps;
  memset(&w->head.cost, 0, sizeof w->head.cost);
  ceas_rng_key key = {p->seed, r};
  ceas_rng_fill32(ceas_rng_key32_derive(key, PURPOSE_SB), 0, INIT_C, INIT_C, w->u,
                  (size_t)((n + 1) / 2));
  const float xi = (float)w->d.x_init;
  for (int64_t i = 0; i < n; i++) {
    w->x[i] = ((float)(w->u[2 * i] >> 8) * 0x1p-23f - 1.0f) * xi;
    w->y[i] = ((float)(w->u[2 * i + 1] >> 8) * 0x1p-23f - 1.0f) * xi;
  }
  ceas_anneal_noise nz;
  ceas_anneal_field_noise_init(&nz, pb, p->seed, r, w->d.field_noise);
  ceas_anneal_readout_start(&w->ro, w->x, res, best, trace);
  const double a0 = w->d.a0, dt = w->d.dt;
  const float kc = (float)(dt * w->c0 * pb->unit), kx = (float)(dt * a0);
  const uint64_t every = w->discrete ? 1 : w->d.check_every;
  for (uint64_t k = 0; k < S; k++) {
    if (hooks && hooks->stop && *hooks->stop)
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
    double a = S > 1 ? a0 * (double)k / (double)(S - 1) : a0;
    if (w->discrete) {
      memcpy(w->F, w->ro.g, (size_t)n * sizeof *w->F);
    } else {
      ceas_anneal_mvm(pb, w->x, w->F);
      if (pb->has_field)
        for (int64_t i = 0; i < n; i++) w->F[i] += w->hu[i];
    }
    if (nz.sigma > 0) ceas_anneal_noise_add(&nz, k, n, w->F);
    sb_move(n, w->x, w->y, w->F, (float)(dt * (a0 - a)), kc, kx);
    ceas_anneal_readout_after(&w->ro, k, S, every, hooks, w->x);
  }
  ceas_anneal_readout_finish(&w->ro, S);
  ceas_anneal_cost_add(&w->head.cost, &w->step_cost, S);
  res->cost = w->head.cost;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_sb_ballistic = {
    .name = "sb-ballistic",
    .summary = "ballistic simulated bifurcation (Goto et al. 2021): one float32 MVM per step",
    .params = CEAS_ANNEAL_PARAMS_DYN,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_DYN,
    .synchronous = 1,
    .collective = 0,
    .packed = NULL,
    .check = sb_check,
    .alloc = sb_alloc_ballistic,
    .read = sb_read,
    .finish = sb_finish,
    .free = sb_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_default_betas,
};

const ceas_anneal_method ceas_anneal_method_sb_discrete = {
    .name = "sb-discrete",
    .summary = "discrete simulated bifurcation (Goto et al. 2021): forces from sign(x)",
    .params = CEAS_ANNEAL_PARAMS_DYN,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_DYN,
    .synchronous = 1,
    .collective = 0,
    .packed = NULL,
    .gpu = &ceas_anneal_method_sb_discrete_gpu,
    .check = sb_check,
    .alloc = sb_alloc_discrete,
    .read = sb_read,
    .finish = sb_finish,
    .free = sb_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_default_betas,
};
