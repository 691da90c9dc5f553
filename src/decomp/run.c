/* A decomposed run: the schedule of ceas_task_run (thermalisation, sweeps,
 * measurement every measure_every-th sweep) on a ceas_decomp, series on the root. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceas_decomp.h"
#include "ceas_io.h"

int ceas_decomp_params_check(const ceas_task_params *p, int ranks) {
  int rc = ceas_decomp_check(p->model, p->L, p->algo, ranks);
  if (rc) return rc;
  /* The kernel's constraints are ceas_decomp_check's and the kernel's own; the
   * task's list of kernels (and what it allows each) is a single-rank run's. */
  ceas_task_params q = *p;
  q.algo = "metropolis";
  rc = ceas_task_params_check(&q);
  if (!rc && ceas_decomp_kernel_find(p->algo) == &ceas_decomp_kernel_msc_single && p->h != 0)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--h: --algo msc-single has no field yet, expected 0, got %g", p->h);
  return rc;
}

void ceas_decomp_run_free(ceas_decomp_run *r) {
  if (!r) return;
  free(r->e);
  free(r->m);
  free(r->f);
  free(r);
}

/* Sweeps between the ranks' agreement on stopping: about 2^24 spin updates, so
 * the MPI_Allreduce is negligible against the work, and at most 64 sweeps. All
 * ranks compute the same number, so they meet at the same sweeps. */
/* CPU seconds of this process (all its threads): on a machine shared with other
 * jobs the wall time of a rank says how much CPU it was given, the CPU time how
 * much work it did. */
static double cpu_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return NAN;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t check_every(int64_t n_sites) {
  int64_t k = ((int64_t)1 << 24) / n_sites;
  return k < 1 ? 1 : k > 64 ? 64 : (uint64_t)k;
}

int ceas_decomp_run_task(MPI_Comm comm, const ceas_task_params *p, const ceas_decomp_hooks *h,
                         ceas_decomp_run **out) {
  static const ceas_decomp_hooks none = {0};
  if (!h) h = &none;
  *out = NULL;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  /* Parameters are the same on every rank, so every rank reaches the same verdict. */
  int rc = ceas_decomp_params_check(p, size);
  if (rc) return rc;
  ceas_decomp_run *r = ceas_calloc(1, sizeof *r);
  int bad = r == NULL;
  if (r) {
    r->p = *p;
    r->ranks = size;
    r->root = rank == 0;
    r->n_meas = (size_t)(p->sweeps / p->measure_every);
    if (r->root) {
      r->e = ceas_malloc(r->n_meas * sizeof *r->e);
      r->m = ceas_malloc(r->n_meas * sizeof *r->m);
      r->f = ceas_malloc(r->n_meas * sizeof *r->f);
      bad = !r->e || !r->m || !r->f;
    }
  }
  int any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm);
  if (any_bad) {
    ceas_decomp_run_free(r);
    return ceas_error_set(CEAS_ENOMEM, "out of memory for the measurement series");
  }
  ceas_decomp *d = NULL;
  ceas_rng_key key = {p->seed, p->stream};
  rc = ceas_decomp_alloc(comm, p->model, p->L, p->beta, p->h, key, p->init,
                         ceas_decomp_kernel_find(p->algo), &d);
  if (rc) {
    ceas_decomp_run_free(r);
    return rc;
  }
  const ceas_decomp_strip *s = ceas_decomp_get_strip(d);
  r->n_spins = s->n_sites;
  r->dim = s->dim;
  const double n = (double)s->n_sites;
  const uint64_t total = p->therm + p->sweeps, every = check_every(s->n_sites);
  double t0 = MPI_Wtime(), last = t0, c0 = cpu_seconds();
  for (uint64_t k = 0; k < total; k++) {
    if (k % every == 0 && k > 0) {
      int mine = (h->stop && *h->stop) ? 1 : 0, stop = 0;
      MPI_Allreduce(&mine, &stop, 1, MPI_INT, MPI_MAX, comm);
      if (stop) {
        ceas_decomp_free(d);
        ceas_decomp_run_free(r);
        return ceas_error_set(CEAS_EINTERRUPT,
                              "interrupted after %llu of %llu sweeps (a decomposed run has no "
                              "checkpoints; nothing written)",
                              (unsigned long long)k, (unsigned long long)total);
      }
      double now = MPI_Wtime();
      if (rank == 0 && h->progress && now - last > 0.5) {
        h->progress((double)k / (double)total, now - t0, h->progress_ctx);
        last = now;
      }
    }
    if ((rc = ceas_decomp_sweep(d))) break;
    if (k >= p->therm && (k - p->therm + 1) % p->measure_every == 0) {
      size_t i = (size_t)((k - p->therm + 1) / p->measure_every - 1);
      ceas_decomp_obs o;
      if ((rc = ceas_decomp_measure(d, 0, &o))) break;
      if (r->root) {
        /* As task_step: totals divided by the number of spins. */
        r->e[i] = o.energy / n;
        r->m[i] = (double)o.m / n;
        r->f[i] = o.sf_kmin;
      }
    }
  }
  r->seconds = MPI_Wtime() - t0;
  double cpu = cpu_seconds() - c0;
  ceas_decomp_times(d, &r->t_update, &r->t_exchange, &r->t_measure);
  MPI_Allreduce(&r->t_exchange, &r->t_exchange_max, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(&cpu, &r->cpu_seconds, 1, MPI_DOUBLE, MPI_SUM, comm);
  ceas_decomp_free(d);
  if (!rc && r->root) {
    ceas_task_summary sum;
    ceas_decomp_run_summary(r, &sum);
    rc = ceas_task_analyze(&sum, &r->result);
  }
  /* The analysis runs on the root alone; the others learn its verdict. */
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  if (rc) {
    if (!r->root) ceas_error_set(rc, "the analysis failed on rank 0");
    ceas_decomp_run_free(r);
    return rc;
  }
  *out = r;
  return CEAS_OK;
}

void ceas_decomp_run_summary(const ceas_decomp_run *r, ceas_task_summary *s) {
  memset(s, 0, sizeof *s);
  s->p = &r->p;
  s->algo = r->p.algo;
  s->L = r->p.L;
  s->dim = r->dim;
  s->n_spins = r->n_spins;
  s->e = r->e;
  s->m = r->m;
  s->f = r->f;
  s->n_meas = r->n_meas;
  s->result = &r->result;
  s->mean_cluster_size = NAN;
}

int ceas_decomp_run_write(const ceas_decomp_run *r, hid_t loc, const char *command_line) {
  ceas_task_summary s;
  ceas_decomp_run_summary(r, &s);
  int rc = ceas_task_write_summary(&s, loc, command_line);
  if (!rc) rc = ceas_io_attr_int64(loc, "decompose", 1);
  if (!rc) rc = ceas_io_attr_int64(loc, "ranks", r->ranks);
  return rc;
}

typedef struct {
  const ceas_decomp_run *r;
  const char *command_line;
} run_file;

static int write_run_file(const void *ctx, hid_t f) {
  const run_file *w = ctx;
  return ceas_decomp_run_write(w->r, f, w->command_line);
}

int ceas_decomp_run_write_file(const ceas_decomp_run *r, const char *path, int force,
                               const char *command_line) {
  return ceas_io_write_hdf5(path, force, write_run_file, &(run_file){r, command_line});
}

void ceas_decomp_run_print(FILE *out, const ceas_decomp_run *r) {
  const ceas_task_params *p = &r->p;
  ceas_task_params_print(out, p, r->n_spins, p->algo);
  fprintf(out, "%llu sweeps after %llu thermalisation sweeps, %zu measurements, %.2f s "
               "(%.4g sweeps/s), decomposed over %d rank%s\n",
          (unsigned long long)p->sweeps, (unsigned long long)p->therm, r->n_meas, r->seconds,
          (double)(p->sweeps + p->therm) / r->seconds, r->ranks, r->ranks == 1 ? "" : "s");
  ceas_measure_result_print(out, &r->result);
  fprintf(out, "time on rank 0: %.3f s updates, %.3f s exchange (largest over ranks %.3f s), "
               "%.3f s measurements; CPU time of all ranks %.3f s\n",
          r->t_update, r->t_exchange, r->t_exchange_max, r->t_measure, r->cpu_seconds);
}
