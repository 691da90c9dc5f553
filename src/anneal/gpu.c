/* sa and sb-discrete on the GPU (src/gpu/sa_dense.cu, sb_dense.cu) as entries of the
 * method table: the twins of sa.c's and sb.c's entries (ceas_anneal_method.gpu),
 * chosen by ceas_anneal_method_device. The kernels give each read bit for bit the
 * CPU twin's chain: the same best configuration, best sweep and flips, from which
 * the energies and the machine cost are computed here as the CPU methods compute
 * them, so a run's file differs from the CPU's only in its device and timings.
 *
 * The GPU wants many reads at once: the first read() of a batch runs reads q ..
 * q + GPU_BATCH - 1 (at most the run's reads, p->reads) in one kernel and keeps
 * their results; each read's seconds is the batch's wall time over its reads.
 * Without CUDA (the default build) the entries exist and refuse to run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_private.h"
#include "ceas_device.h"
#ifdef CEASIM_HAVE_CUDA
#include "ceas_gpu_sa.h"
#endif

/* Reads a kernel runs at once: enough blocks to fill a GPU many times over, and
 * for n = 16384 two configurations of 16 KiB a read in host memory. */
#define GPU_BATCH 4096
/* Threads a block; reads a block of the integer kernels: 0, the most up to 4 that
 * fit in shared memory (4 measured fastest at n = 2000 on the H100; the
 * real-coupling sa makes the same choice itself, sb's float kernel runs one read
 * a block). */
#define GPU_THREADS 256
#define GPU_GROUP 0

typedef struct {
  ceas_anneal_dyn_head head; /* first (sb): ceas_anneal_dyn_cost reads it */
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  int sb;            /* sb-discrete, else sa */
  int sb_real;       /* sb on the float readout's kernel (ceas_gpu_sb_dense_real_run) */
  void *cpu;         /* sb: the CPU twin's work (its parameters, finish and cost) */
  int8_t *J8;        /* ±1 couplings in units, n x n, or NULL */
  double *J;         /* sa on real couplings: n x n */
  uint64_t cap;      /* reads a batch holds at most */
  uint64_t b0, nb;   /* the batch held: reads b0 .. b0 + nb - 1 */
  int8_t *best, *final;
  uint64_t *best_sweep, *flips, *deg_sum;
  uint64_t *to_target; /* with a target: the sweep it was reached, UINT64_MAX never */
  double *trace;       /* with --trace-every: reads x trace_len running energies */
  double seconds;    /* the batch's wall time */
} gpu_work;

/* sb-discrete on the GPU: the bit-matrix kernel where the CPU's readout fields are
 * exact integers (±J, no field) and nothing needs the running energy (no target,
 * no trace, which the float readout's kernel follows step by step); the float
 * readout's kernel otherwise. That one repeats the CPU's dense-row arithmetic, so
 * it needs the CPU's dense rows, but for ±1 couplings without field (unit 1, as
 * G-set graphs), whose sparse-row sums are the same exact integers. */
static int gpu_applies_sb(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  ceas_anneal_dyn_params d;
  ceas_anneal_dyn_params_of(p, &d);
  if (d.field_noise > 0)
    return ceas_error_set(CEAS_EINPUT, "--device gpu: not with --field-noise");
  if (pb->n < 2 || pb->n > 8192)
    return ceas_error_set(CEAS_EINPUT, "--device gpu: expected 2 <= n <= 8192 for "
                          "sb-discrete, got %lld", (long long)pb->n);
  const int exact = pb->one_magnitude && !pb->has_field;
  const int real = !ceas_anneal_gpu_bit_matrices(&ceas_anneal_method_sb_discrete, pb, p);
  if (real && !pb->dense && !pb->dense8 && !(exact && pb->unit == 1))
    return ceas_error_set(CEAS_EINPUT, "--device gpu: sb-discrete on real couplings, with "
                          "fields, a target or a trace follows the CPU's dense rows (--dense "
                          "yes)");
  return CEAS_OK;
}

/* The instance and parameters the GPU kernels take (the message names --device gpu). */
static int gpu_applies(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                       const ceas_anneal_params *p) {
  if (m->params == CEAS_ANNEAL_PARAMS_DYN) return gpu_applies_sb(pb, p);
  const int pm = pb->one_magnitude && !pb->has_field;
  const int64_t nmax = pm ? 16384 : 4096;
  if (pb->n < 2 || pb->n > nmax)
    return ceas_error_set(CEAS_EINPUT, "--device gpu: expected 2 <= n <= %lld for %s%s, got "
                          "%lld", (long long)nmax, m->name,
                          pm ? "" : " on real couplings", (long long)pb->n);
  /* The noise's normals come from glibc's logf, cosf and sinf (npu.c), which no
   * GPU function reproduces bit for bit. */
  if (p->field_noise > 0)
    return ceas_error_set(CEAS_EINPUT, "--device gpu: not with --field-noise (the CPU draws "
                          "its Gaussian noise with glibc's logf, cosf and sinf, which the GPU "
                          "does not reproduce bit for bit)");
  return CEAS_OK;
}

int ceas_anneal_method_device(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                              const ceas_anneal_params *p, int gpu,
                              const ceas_anneal_method **out) {
  *out = m;
  if (!gpu) return CEAS_OK;
  if (!m->gpu)
    return ceas_error_set(CEAS_EINPUT, "--device gpu: --method %s runs on the CPU only (sa "
                          "and sb-discrete run on the GPU)", m->name);
  int rc = gpu_applies(m, pb, p);
  if (rc) return rc;
  if ((rc = ceas_gpu_require("--device gpu"))) return rc;
  *out = m->gpu;
  return CEAS_OK;
}

static int gpu_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p, int sb) {
  const ceas_anneal_method *cpu = sb ? &ceas_anneal_method_sb_discrete : &ceas_anneal_method_sa;
  int rc = cpu->check(pb, p);
  return rc ? rc : gpu_applies(cpu, pb, p);
}
static int gpu_check_sa(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  return gpu_check(pb, p, 0);
}
static int gpu_check_sb(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  return gpu_check(pb, p, 1);
}

int ceas_anneal_gpu_bit_matrices(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                                 const ceas_anneal_params *p) {
  const int sb = m->params == CEAS_ANNEAL_PARAMS_DYN;
  return pb->one_magnitude && !pb->has_field && !(sb && (p->has_target || p->trace_every));
}

static void gpu_free(void *work) {
  gpu_work *w = work;
  if (!w) return;
  if (w->cpu) ceas_anneal_method_sb_discrete.free(w->cpu);
  free(w->J8), free(w->J), free(w->best), free(w->final);
  free(w->best_sweep), free(w->flips), free(w->deg_sum);
  free(w->to_target), free(w->trace);
  free(w);
}

static int gpu_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p, int sb,
                     void **out) {
  *out = NULL;
  gpu_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  w->pb = pb;
  w->p = p;
  w->sb = sb;
  int rc = CEAS_OK;
  /* sb: the CPU twin's work holds the parameters it derives from the instance
   * (dt, c0), reports them (finish) and prices a step. */
  if (sb && (rc = ceas_anneal_method_sb_discrete.alloc(pb, p, &w->cpu))) {
    gpu_free(w);
    return rc;
  }
  if (sb) w->head = *(const ceas_anneal_dyn_head *)w->cpu;
  w->sb_real = sb && !ceas_anneal_gpu_bit_matrices(&ceas_anneal_method_sb_discrete, pb, p);
  /* p->reads is 0 where the caller is not ceas_anneal_run: full batches. */
  w->cap = p->reads && p->reads < GPU_BATCH ? p->reads : GPU_BATCH;
  const size_t n = (size_t)pb->n, batch = (size_t)w->cap;
  int ok = (w->best = ceas_malloc(batch * n)) && (w->final = ceas_malloc(batch * n)) &&
           (w->best_sweep = ceas_malloc(batch * sizeof *w->best_sweep)) &&
           (w->flips = ceas_malloc(batch * sizeof *w->flips)) &&
           (w->deg_sum = ceas_malloc(batch * sizeof *w->deg_sum));
  const uint64_t trace_len = p->trace_every ? p->schedule->sweeps / p->trace_every : 0;
  if (ok && p->has_target) ok = (w->to_target = ceas_malloc(batch * sizeof *w->to_target)) != NULL;
  if (ok && trace_len)
    ok = (w->trace = ceas_malloc(batch * (size_t)trace_len * sizeof *w->trace)) != NULL;
  /* sa: the integer kernel where the CPU takes its int path (±J, no field). */
  if (ok && ceas_anneal_gpu_bit_matrices(sb ? &ceas_anneal_method_sb_discrete
                                            : &ceas_anneal_method_sa, pb, p)) {
    /* In units: the signs of the couplings, on the dense copy's layout. */
    if ((ok = (w->J8 = ceas_calloc(n * n, 1)) != NULL))
      for (size_t i = 0; i < n; i++)
        for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
          w->J8[i * n + (size_t)pb->indices[k]] = pb->J[k] > 0 ? 1 : -1;
  } else if (ok) {
    if ((ok = (w->J = ceas_calloc(n * n, sizeof *w->J)) != NULL))
      for (size_t i = 0; i < n; i++)
        for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
          w->J[i * n + (size_t)pb->indices[k]] = pb->J[k];
  }
  if (!ok) {
    gpu_free(w);
    return CEAS_ENOMEM;
  }
  w->nb = 0;
  *out = w;
  return CEAS_OK;
}
static int gpu_alloc_sa(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                        void **out) {
  return gpu_alloc(pb, p, 0, out);
}
static int gpu_alloc_sb(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                        void **out) {
  return gpu_alloc(pb, p, 1, out);
}

#ifdef CEASIM_HAVE_CUDA
/* sa's options as the CPU runs them (sa.c, machine.c), into the work's arrays. */
static void gpu_sa_opts(const gpu_work *w, ceas_gpu_sa_opts *o) {
  const ceas_anneal_params *p = w->p;
  memset(o, 0, sizeof *o);
  o->random = p->order == CEAS_ANNEAL_ORDER_RANDOM;
  o->sync = p->update == CEAS_ANNEAL_UPDATE_SYNC;
  o->h = w->pb->has_field ? w->pb->h : NULL;
  o->abs_sum = w->pb->abs_sum;
  o->has_target = p->has_target;
  o->target = p->target;
  o->target_tol = p->target_tol;
  o->sweeps_to_target = w->to_target;
  o->trace_every = p->trace_every;
  o->trace = w->trace;
}
#endif

/* Reads b0 .. b0 + nb - 1 on the GPU into the work's arrays. */
static int gpu_batch(gpu_work *w, uint64_t b0, uint64_t nb) {
#ifdef CEASIM_HAVE_CUDA
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const uint64_t sweeps = p->schedule->sweeps;
  int rc;
  double t0 = ceas_wtime();
  if (w->sb) {
    ceas_gpu_anneal_read *res = ceas_malloc(nb * sizeof *res);
    if (!res) return CEAS_ENOMEM;
    const ceas_anneal_dyn_params *d = &w->head.used;
    if (w->sb_real) {
      ceas_gpu_sa_opts o;
      gpu_sa_opts(w, &o);
      o.random = o.sync = 0; /* sb moves every oscillator each step: no order, no --update */
      rc = ceas_gpu_sb_dense_real_run(pb->n, w->J, pb->unit, pb->abs_sum, d->dt, d->a0, d->c0,
                                      d->x_init, sweeps, p->seed, b0, nb, GPU_THREADS, &o,
                                      w->best, w->final, res, NULL);
    } else {
      rc = ceas_gpu_sb_dense_run(pb->n, w->J8, pb->unit, d->dt, d->a0, d->c0, d->x_init,
                                 sweeps, p->seed, b0, nb, GPU_THREADS, GPU_GROUP, w->best,
                                 w->final, res, NULL);
    }
    for (uint64_t q = 0; !rc && q < nb; q++) {
      w->best_sweep[q] = res[q].best_sweep;
      w->flips[q] = res[q].flips;
      w->deg_sum[q] = 0;
    }
    free(res);
  } else if (w->J8) {
    ceas_gpu_sa_read *res = ceas_malloc(nb * sizeof *res);
    if (!res) return CEAS_ENOMEM;
    ceas_gpu_sa_opts o;
    gpu_sa_opts(w, &o);
    rc = ceas_gpu_sa_dense_run(pb->n, w->J8, pb->unit, p->schedule->betas, sweeps, p->seed, b0,
                               nb, GPU_THREADS, GPU_GROUP, &o, w->best, w->final, res, NULL);
    for (uint64_t q = 0; !rc && q < nb; q++) {
      w->best_sweep[q] = res[q].best_sweep;
      w->flips[q] = res[q].flips;
      w->deg_sum[q] = res[q].deg_sum;
    }
    free(res);
  } else {
    ceas_gpu_anneal_read *res = ceas_malloc(nb * sizeof *res);
    if (!res) return CEAS_ENOMEM;
    ceas_gpu_sa_opts o;
    gpu_sa_opts(w, &o);
    rc = ceas_gpu_sa_dense_real_run(pb->n, w->J, pb->unit, pb->abs_sum, p->schedule->betas,
                                    sweeps, p->seed, b0, nb, GPU_THREADS, &o, w->best, w->final,
                                    res, NULL);
    for (uint64_t q = 0; !rc && q < nb; q++) {
      w->best_sweep[q] = res[q].best_sweep;
      w->flips[q] = res[q].flips;
      w->deg_sum[q] = res[q].deg_sum;
    }
    free(res);
  }
  w->seconds = ceas_wtime() - t0;
  if (!rc) w->b0 = b0, w->nb = nb;
  return rc;
#else
  (void)w, (void)b0, (void)nb;
  return ceas_error_set(CEAS_EINPUT,
                        "--device gpu: ceasim was built without CUDA (-DCEASIM_CUDA=ON)");
#endif
}

static int gpu_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                    ceas_anneal_read *res, int8_t *best, double *trace) {
  gpu_work *w = work;
  const ceas_anneal_problem *pb = w->pb;
  const ceas_anneal_params *p = w->p;
  const size_t n = (size_t)pb->n;
  const uint64_t sweeps = p->schedule->sweeps;
  if (hooks && hooks->stop && *hooks->stop)
    return ceas_error_set(CEAS_EINTERRUPT, "interrupted");
  if (!(w->nb && r >= w->b0 && r < w->b0 + w->nb)) {
    const uint64_t left = p->reads > r ? p->reads - r : w->cap;
    int rc = gpu_batch(w, r, left < w->cap ? left : w->cap);
    if (rc) return rc;
  }
  const uint64_t q = r - w->b0;
  memset(res, 0, sizeof *res);
  memcpy(best, w->best + q * n, n);
  res->best_sweep = w->best_sweep[q];
  res->flips = w->flips[q];
  res->updates = sweeps * (uint64_t)n;
  res->best_energy = ceas_anneal_energy(pb, best);
  res->final_energy = ceas_anneal_energy(pb, w->final + q * n);
  res->seconds = w->seconds / (double)w->nb;
  if (w->to_target && w->to_target[q] != UINT64_MAX) {
    /* The kernel keeps no clock: the read's share of the batch's time, pro rata. */
    res->reached = 1;
    res->sweeps_to_target = w->to_target[q];
    res->updates_to_target = w->to_target[q] * (uint64_t)n;
    res->seconds_to_target = res->seconds * (double)w->to_target[q] / (double)sweeps;
  }
  if (w->trace && trace) {
    const size_t len = (size_t)(sweeps / p->trace_every);
    memcpy(trace, w->trace + q * len, len * sizeof *trace);
  }
  if (w->sb) {
    ceas_anneal_cost step;
    ceas_anneal_sb_step_cost(pb, w->head.used.j_bits, &step);
    ceas_anneal_cost_add(&res->cost, &step, sweeps);
    w->head.cost = res->cost;
  } else {
    ceas_anneal_cost_metropolis(pb, p->j_bits, sweeps, w->deg_sum[q], &res->cost);
  }
  return CEAS_OK;
}

static int gpu_finish(void *work, ceas_anneal_result *r) {
  gpu_work *w = work;
  return w->sb ? ceas_anneal_method_sb_discrete.finish(w->cpu, r) : CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_sa_gpu = {
    .name = "sa",
    .summary = "simulated annealing on the GPU, bit for bit the CPU's reads",
    .params = CEAS_ANNEAL_PARAMS_NONE,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_FIELDS,
    .synchronous = 0,
    .collective = 0,
    .packed = NULL,
    .device = "gpu",
    .gpu = NULL,
    .check = gpu_check_sa,
    .alloc = gpu_alloc_sa,
    .read = gpu_read,
    .finish = gpu_finish,
    .free = gpu_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_sa_default_betas,
};

const ceas_anneal_method ceas_anneal_method_sb_discrete_gpu = {
    .name = "sb-discrete",
    .summary = "discrete simulated bifurcation on the GPU, bit for bit the CPU's reads",
    .params = CEAS_ANNEAL_PARAMS_DYN,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_DYN,
    .synchronous = 1,
    .collective = 0,
    .packed = NULL,
    .device = "gpu",
    .gpu = NULL,
    .check = gpu_check_sb,
    .alloc = gpu_alloc_sb,
    .read = gpu_read,
    .finish = gpu_finish,
    .free = gpu_free,
    .shape = ceas_anneal_shape_schedule,
    .default_betas = ceas_anneal_default_betas,
};
