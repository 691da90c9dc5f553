/* sa: simulated annealing by single-spin Metropolis with local-field bookkeeping:
 * the machine of anneal_machine.h (its state, paths, random numbers and NPU model)
 * run along a schedule, one chain per read.
 *
 * Read r: chain key = the Philox4x32 key derived from (seed, r, "SA"); initial
 * spins s_i = +1 iff the top bit of word i of the blocks (i/4, INIT_C, INIT_C)
 * under that key; sweep k at beta_k of the schedule. The running energy decides
 * which end-of-sweep state is the best so far and when the target looks reached;
 * the target is then confirmed with the exact energy, and the reported energies
 * are recomputed exactly from the configurations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_machine.h"
#include "anneal_private.h"

/* Purpose of the read's Philox4x32 key (ASCII "SA"). */
#define PURPOSE_SA UINT64_C(0x5341)
/* Counter words (c2, c3) of the initial spins, apart from every sweep's
 * (sweep low, sweep high) because sa_check allows fewer than 2^32 - 1 sweeps. */
#define INIT_C 0xFFFFFFFFu

typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  anneal_machine m;
} sa_work;

static int sa_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  if (pb->n < 1) return ceas_error_set(CEAS_EINPUT, "sa: the problem has no spins");
  if (!p->schedule || p->schedule->sweeps < 1)
    return ceas_error_set(CEAS_EINPUT, "sa: expected a schedule of at least one sweep");
  if (p->schedule->sweeps >= (UINT64_C(1) << 32) - 1)
    return ceas_error_set(CEAS_EINPUT, "sa: at most 2^32 - 2 sweeps");
  for (uint64_t k = 0; k < p->schedule->sweeps; k++)
    if (!(p->schedule->betas[k] >= 0) || !isfinite(p->schedule->betas[k]))
      return ceas_error_set(CEAS_EINPUT, "sa: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, p->schedule->betas[k]);
  return CEAS_OK;
}

static void sa_free(void *work) {
  sa_work *w = work;
  if (!w) return;
  ceas_anneal_machine_free(&w->m);
  free(w);
}

static int sa_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                    void **out) {
  *out = NULL;
  sa_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->pb = pb;
  w->p = p;
  int rc = ceas_anneal_machine_alloc(pb, p->field_noise, p->update == CEAS_ANNEAL_UPDATE_SYNC,
                                p->order == CEAS_ANNEAL_ORDER_RANDOM, &w->m);
  if (rc) {
    free(w);
    return rc;
  }
  *out = w;
  return CEAS_OK;
}

static int sa_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                   ceas_anneal_read *res, int8_t *best, double *trace) {
  sa_work *w = work;
  anneal_machine *m = &w->m;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const int64_t n = pb->n;
  const uint64_t sweeps = p->schedule->sweeps;
  const double *betas = p->schedule->betas;
  memset(res, 0, sizeof *res);
  double t0 = ceas_wtime();
  ceas_rng_key key = {p->seed, r};
  ceas_rng_key32 k32 = ceas_rng_key32_derive(key, PURPOSE_SA);
  ceas_rng_fill32(k32, 0, INIT_C, INIT_C, m->u, (size_t)m->nblk);
  for (int64_t i = 0; i < n; i++) m->s[i] = (m->u[i] >> 31) ? 1 : -1;
  ceas_anneal_machine_start(m, k32, p->seed, r, 0);
  double best_e = m->E;
  memcpy(best, m->s, (size_t)n);
  const double noise = 1e-12 * pb->abs_sum;  /* below any real improvement */
  const double slack = 1e-6 * pb->abs_sum;   /* above float32 drift between refreshes */
  double tol = p->target_tol;
  double last_checked = INFINITY;
  if (p->has_target && ceas_anneal_energy(pb, m->s) <= p->target + tol) res->reached = 1;
  for (uint64_t k = 0; k < sweeps; k++) {
    if (hooks && hooks->stop && *hooks->stop)
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
    ceas_anneal_machine_sweep(m, k, betas[k]);
    double e = m->E;
    if ((k + 1) % ANNEAL_MACHINE_REFRESH == 0 && hooks && hooks->sweeps_done)
      hooks->sweeps_done(hooks->ctx, k + 1);
    if (e < best_e - noise) {
      best_e = e;
      res->best_sweep = k + 1;
      memcpy(best, m->s, (size_t)n);
    }
    if (p->has_target && !res->reached && e <= p->target + tol + slack &&
        e < last_checked - noise) {
      last_checked = e;
      if (ceas_anneal_energy(pb, m->s) <= p->target + tol) {
        res->reached = 1;
        res->sweeps_to_target = k + 1;
        res->updates_to_target = (k + 1) * (uint64_t)n;
        res->seconds_to_target = ceas_wtime() - t0;
      }
    }
    if (trace && (k + 1) % p->trace_every == 0) trace[(k + 1) / p->trace_every - 1] = e;
  }
  res->flips = m->flips;
  res->updates = sweeps * (uint64_t)n;
  ceas_anneal_cost_metropolis(pb, p->j_bits, sweeps, ceas_anneal_machine_deg_sum(m), &res->cost);
  res->best_energy = ceas_anneal_energy(pb, best);
  res->final_energy = ceas_anneal_energy(pb, m->s);
  res->seconds = ceas_wtime() - t0;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_sa = {
    .name = "sa",
    .summary = "simulated annealing: single-spin Metropolis, local-field bookkeeping",
    .params = CEAS_ANNEAL_PARAMS_NONE,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_FIELDS,
    .synchronous = 0,
    .collective = 0,
    .packed = &ceas_anneal_method_sa_msc,
    .gpu = &ceas_anneal_method_sa_gpu,
    .check = sa_check,
    .alloc = sa_alloc,
    .read = sa_read,
    .finish = ceas_anneal_finish_none,
    .free = sa_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_sa_default_betas,
};
