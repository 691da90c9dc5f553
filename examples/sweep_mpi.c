/* A sweep over MPI_COMM_WORLD with the installed library: the 2D Ising model at
 * L = 8, 12 and beta = 0.30, 0.35 (four tasks) dealt out by the dynamic task farm,
 * written into DIR, summarised into DIR/summary.h5, and each task's energy per
 * spin printed by rank 0 beside the exact value of its finite lattice.
 *
 * usage: mpirun -np 2 sweep_mpi DIR     (any number of ranks, 1 included)
 *
 * This is what `ceasim sweep` does, step by step; a single ceas_sweep_run entry
 * point is still to come (docs/library.md). Rerunning into the same DIR skips the
 * finished tasks. Prints one line per task "L beta e +- err exact deviation". */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ceasim/ceas_measure.h>
#include <ceasim/ceas_parallel.h>
#include <ceasim/ceas_sweep.h>

typedef struct {
  const ceas_sweep_spec *spec;
  const ceas_sweep_task *tasks;
} farm_ctx;

/* The farm's run callback: one task, checkpointed and resumable by the library. */
static int run_one(size_t index, const ceas_task_hooks *hooks, uint64_t *sweeps, void *ctx) {
  farm_ctx *c = ctx;
  return ceas_sweep_run_task(c->spec, &c->tasks[index], hooks, "sweep_mpi", sweeps);
}

/* Rank 0: every task's energy per spin against the exact finite-lattice value. */
static int report(const ceas_sweep_spec *s, const ceas_sweep_task *tasks, size_t n) {
  printf("%4s %6s %10s %9s %10s %9s\n", "L", "beta", "e", "err", "exact", "dev/sigma");
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tasks/%s.h5", s->dir, tasks[i].name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return ceas_error_set(CEAS_EIO, "cannot open %s", path);
    ceas_task_file_observables o;
    int rc = ceas_task_file_read_observables(f, path, &o);
    H5Fclose(f);
    double exact, c;
    if (!rc) rc = ceas_measure_exact_ising2d(tasks[i].L, tasks[i].beta, &exact, &c);
    if (rc) return rc;
    double e = o.mean[CEAS_OBS_ENERGY], err = o.error[CEAS_OBS_ENERGY];
    printf("%4ld %6.3f %10.6f %9.6f %10.6f %9.2f\n", tasks[i].L, tasks[i].beta, e, err, exact,
           (e - exact) / err);
  }
  return CEAS_OK;
}

int main(int argc, char **argv) {
  int rank = 0, size = 1;
  /* The library's MPI lifecycle: init before the arguments are looked at. */
  ceas_parallel_init(&argc, &argv, &rank, &size);
  if (argc != 2) {
    if (rank == 0) fprintf(stderr, "usage: sweep_mpi DIR\n");
    ceas_parallel_finalize();
    return 2;
  }
  ceas_sweep_spec s;
  ceas_sweep_spec_init(&s); /* base task: ceas_task_params_default */
  s.base.sweeps = 10000;
  s.base.therm = 1000;
  s.dir = malloc(strlen(argv[1]) + 1);
  int rc = s.dir ? CEAS_OK : ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (!rc) strcpy(s.dir, argv[1]);
  if (!rc) rc = ceas_sweep_parse_sizes("8,12", "sizes", &s.L, &s.nL);
  if (!rc) rc = ceas_sweep_parse_betas("0.30,0.35", "betas", &s.beta, &s.nbeta);
  if (!rc) rc = ceas_sweep_check(&s);
  /* Rank 0 alone creates the directory and holds its lock; the others learn the
   * verdict (every rank must leave by the same path). */
  ceas_sweep_lock lock = {-1, ""};
  if (!rc && rank == 0) rc = ceas_sweep_prepare(&s, "sweep_mpi", &lock);
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ceas_sweep_task *tasks = NULL;
  size_t ntasks = 0;
  if (!rc) rc = ceas_sweep_tasks(&s, &tasks, &ntasks);
  char *skip = calloc(ntasks ? ntasks : 1, 1);
  double *cost = calloc(ntasks ? ntasks : 1, sizeof *cost);
  if (!rc && (!skip || !cost)) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (!rc) {
    for (size_t i = 0; i < ntasks; i++) {
      cost[i] = tasks[i].cost;
      if (rank == 0) skip[i] = (char)ceas_sweep_task_done(&s, &tasks[i]);
    }
    MPI_Bcast(skip, (int)ntasks, MPI_CHAR, 0, MPI_COMM_WORLD);
    farm_ctx ctx = {&s, tasks};
    /* No stop flag (NULL: never asked to stop), no progress lines. */
    ceas_parallel_farm_spec fs = {ntasks, cost, skip, run_one, &ctx, NULL, 0};
    ceas_parallel_farm_result res;
    rc = ceas_parallel_farm(MPI_COMM_WORLD, &fs, &res); /* same status on every rank */
    if (!rc && rank == 0) {
      size_t ok = 0, bad = 0;
      rc = ceas_sweep_collect(s.dir, "sweep_mpi", &ok, &bad);
      if (!rc) {
        printf("%zu tasks run, %zu already done, on %d rank%s; %s/summary.h5 holds %zu\n",
               res.done, res.skipped, size, size == 1 ? "" : "s", s.dir, ok);
        rc = report(&s, tasks, ntasks);
      }
    }
  }
  if (rc && rank == 0) fprintf(stderr, "sweep_mpi: %s\n", ceas_error_message());
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  free(skip);
  free(cost);
  free(tasks);
  ceas_sweep_lock_release(&lock);
  ceas_sweep_spec_free(&s);
  ceas_parallel_finalize();
  return rc ? 1 : 0;
}
