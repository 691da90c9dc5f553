/* sa-msc: simulated annealing of ±J Edwards–Anderson tori with the replica-packed
 * multi-spin-coded kernel (ceas_msc_glass): 64 reads run at once, one per bit of a
 * word, the couplings packed as bond masks shared by the replicas.
 *
 * Reads. Read r is replica r % 64 of state g = r / 64, whose key is (seed, g); the
 * state runs the whole schedule (sweep k at betas[k], checkerboard Metropolis,
 * a(0) = 1/2) with antithetic uniforms, under which the 64 replicas of an anneal
 * were measured to be worth 64 independent reads (bench/README.md, "±J glass
 * kernel"; with shared uniforms only ~30). The reads are exact simulated annealing
 * with the same schedule as `sa`, but not sa's random stream (and checkerboard,
 * not sequential, order): the same algorithm in law, not bit for bit.
 *
 * Energies are counted (exact integers, bit-sliced) every CHECK sweeps and after
 * the last: "best" and "reached" refer to those states, so a state held for fewer
 * than CHECK sweeps in between can be missed (sa checks every sweep). Time: each
 * read is charged 1/64 of its state's wall time; updates are n per sweep and read.
 *
 * Applies to problems generated as ea2d/ea3d with ±J bonds (one magnitude), no
 * field, even L (the checkerboard needs it); the CLI picks it for `--method sa` on
 * such instances unless told otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_private.h"
#include "ceas_msc.h"

#define CHECK 8
#define W 64

typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  int dim;
  long L;
  int8_t *signs;       /* d n bond signs */
  uint64_t group;      /* cached group + 1, 0: none */
  ceas_anneal_read res[W];
  int8_t *best;        /* W x n */
  double *trace;       /* W x trace_len */
  uint64_t trace_len;
  int64_t E[W];
} msc_work;

static int ea_shape(const ceas_anneal_problem *pb, int *dim, long *L) {
  if (pb->source != CEAS_ANNEAL_SRC_EA2D && pb->source != CEAS_ANNEAL_SRC_EA3D) return 0;
  *dim = pb->source == CEAS_ANNEAL_SRC_EA2D ? 2 : 3;
  *L = (long)pb->n_param;
  return pb->bonds == CEAS_ANNEAL_BONDS_PM && pb->one_magnitude && !pb->has_field &&
         *L % 2 == 0;
}

int ceas_anneal_sa_msc_applies(const ceas_anneal_problem *pb) {
  int dim;
  long L;
  return ea_shape(pb, &dim, &L);
}

static int msc_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  if (!ceas_anneal_sa_msc_applies(pb))
    return ceas_error_set(CEAS_EINPUT,
                          "sa-msc: only for generated ea2d/ea3d instances with +-J bonds and an "
                          "even L (the packed kernel's checkerboard); use sa");
  if (!p->schedule || p->schedule->sweeps < 1)
    return ceas_error_set(CEAS_EINPUT, "sa-msc: expected a schedule of at least one sweep");
  if (p->order != CEAS_ANNEAL_ORDER_SEQUENTIAL)
    return ceas_error_set(CEAS_EINPUT,
                          "sa-msc: sweeps are in checkerboard order; --order random does not "
                          "apply");
  for (uint64_t k = 0; k < p->schedule->sweeps; k++)
    if (!(p->schedule->betas[k] >= 0) || !isfinite(p->schedule->betas[k]))
      return ceas_error_set(CEAS_EINPUT, "sa-msc: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, p->schedule->betas[k]);
  return CEAS_OK;
}

static void msc_free(void *work) {
  msc_work *w = work;
  if (!w) return;
  free(w->signs);
  free(w->best);
  free(w->trace);
  free(w);
}

static int msc_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p, void **out) {
  *out = NULL;
  msc_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->pb = pb;
  w->p = p;
  ea_shape(pb, &w->dim, &w->L);
  const size_t n = (size_t)pb->n;
  w->trace_len = p->trace_every ? p->schedule->sweeps / p->trace_every : 0;
  w->signs = ceas_malloc(n * (size_t)w->dim);
  w->best = ceas_malloc(W * n);
  w->trace = w->trace_len ? ceas_malloc(W * (size_t)w->trace_len * sizeof *w->trace) : NULL;
  double unit;
  int rc = !w->signs || !w->best || (w->trace_len && !w->trace) ? CEAS_ENOMEM : CEAS_OK;
  if (!rc)
    rc = ceas_msc_glass_signs_from_csr(w->dim, w->L, pb->n, pb->indptr, pb->indices, pb->J,
                                       w->signs, &unit);
  if (rc) {
    msc_free(w);
    return rc;
  }
  *out = w;
  return CEAS_OK;
}

/* Runs the 64 reads of group g into the cache. */
static int run_group(msc_work *w, uint64_t g, const ceas_anneal_hooks *hooks) {
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const uint64_t S = p->schedule->sweeps;
  const int64_t n = pb->n;
  const double tol = p->target_tol;
  double t0 = ceas_wtime();
  ceas_msc_glass *st = NULL;
  int rc = ceas_msc_glass_alloc(w->dim, w->L, W, (ceas_rng_key){p->seed, g}, CEAS_MSC_HOT,
                                w->signs, &st);
  if (rc) return rc;
  ceas_msc_glass_set_antithetic(st, 1);
  memset(w->res, 0, sizeof w->res);
  double best[W];
  int have = 0;
  uint64_t k = 0;
  while (!rc) {
    if ((rc = ceas_msc_glass_energy(st, w->E))) break;
    for (int r = 0; r < W; r++) {
      double e = pb->unit * (double)w->E[r];
      if (!have || e < best[r]) {
        best[r] = e;
        w->res[r].best_sweep = k;
        ceas_msc_glass_get_replica(st, r, w->best + (size_t)r * (size_t)n);
      }
      if (p->has_target && !w->res[r].reached && e <= p->target + tol) {
        w->res[r].reached = 1;
        w->res[r].sweeps_to_target = k;
        w->res[r].updates_to_target = k * (uint64_t)n;
        w->res[r].seconds_to_target = (ceas_wtime() - t0) / W;
      }
      if (w->trace && k > 0 && k % p->trace_every == 0)
        w->trace[(size_t)r * w->trace_len + k / p->trace_every - 1] = e;
      w->res[r].final_energy = e;
    }
    have = 1;
    if (k == S) break;
    if (hooks && hooks->stop && *hooks->stop) {
      rc = ceas_error_set(CEAS_EINTERRUPT, "interrupted");
      break;
    }
    /* Up to the next energy check or trace point. */
    uint64_t next = k + CHECK;
    if (p->trace_every) {
      uint64_t tp = (k / p->trace_every + 1) * p->trace_every;
      if (tp < next) next = tp;
    }
    if (next > S) next = S;
    rc = ceas_msc_glass_anneal(st, p->schedule->betas + k, next - k);
    k = next;
    if (hooks && hooks->sweeps_done && k % 256 < CHECK) hooks->sweeps_done(hooks->ctx, k);
  }
  ceas_msc_glass_free(st);
  if (rc) return rc;
  double per = (ceas_wtime() - t0) / W;
  for (int r = 0; r < W; r++) {
    w->res[r].best_energy = best[r];
    w->res[r].updates = S * (uint64_t)n;
    /* The cost model's MACs and bytes describe a local-field machine; the packed
     * kernel has neither, so only its spin updates are counted. */
    w->res[r].cost.spin_updates = S * (uint64_t)n;
    w->res[r].seconds = per;
  }
  w->group = g + 1;
  return CEAS_OK;
}

static int msc_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                    ceas_anneal_read *res, int8_t *best, double *trace) {
  msc_work *w = work;
  const uint64_t g = r / W;
  const int q = (int)(r % W);
  if (w->group != g + 1) {
    int rc = run_group(w, g, hooks);
    if (rc) return rc;
  }
  const int64_t n = w->pb->n;
  *res = w->res[q];
  memcpy(best, w->best + (size_t)q * (size_t)n, (size_t)n);
  /* Exact energies of the reported configurations, as every method reports them. */
  res->best_energy = ceas_anneal_energy(w->pb, best);
  if (trace) memcpy(trace, w->trace + (size_t)q * w->trace_len, w->trace_len * sizeof *trace);
  return CEAS_OK;
}

/* Named sa: the same annealing (schedule, Metropolis, reads) in another kernel. */
const ceas_anneal_method ceas_anneal_method_sa_msc = {
    .name = "sa",
    .summary = "simulated annealing of +-J tori, 64 reads at once in the multi-spin-coded kernel",
    .params = CEAS_ANNEAL_PARAMS_NONE,
    .kernel = "packed",
    .rng = CEAS_ANNEAL_RNG_PACKED,
    .synchronous = 0,
    .collective = 0,
    .packed = NULL,
    .check = msc_check,
    .alloc = msc_alloc,
    .read = msc_read,
    .finish = ceas_anneal_finish_none,
    .free = msc_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_sa_default_betas,
};
