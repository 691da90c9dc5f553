/* A sweep over MPI_COMM_WORLD with the installed library: the 2D Ising model at
 * L = 8, 12 and beta = 0.30, 0.35 (four tasks) dealt out by the dynamic task farm,
 * written into DIR, summarised into DIR/summary.h5, and each task's energy per
 * spin printed by rank 0 beside the exact value of its finite lattice.
 *
 * usage: mpirun -np 2 sweep_mpi DIR     (any number of ranks, 1 included)
 *
 * One ceas_sweep_run call does what `ceasim sweep` does between parsing and
 * printing (lock, resume, farm, summary). Rerunning into the same DIR skips the
 * finished tasks. Prints one line per task "L beta e +- err exact deviation". */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ceasim/ceas_measure.h>
#include <ceasim/ceas_parallel.h>
#include <ceasim/ceas_sweep_run.h>

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
  /* Rank 0 alone creates the directory and holds its lock; the farm deals the
   * tasks out (no stop flag, no progress lines); rank 0 writes summary.h5. Every
   * rank gets the same status. */
  ceas_sweep_hooks hooks = {.command_line = "sweep_mpi"};
  ceas_sweep_result res = {.lock = {-1, ""}};
  if (!rc) rc = ceas_sweep_run(MPI_COMM_WORLD, &s, &hooks, &res);
  ceas_sweep_task *tasks = NULL;
  size_t ntasks = 0;
  if (!rc && rank == 0) {
    printf("%zu tasks run, %zu already done, on %d rank%s; %s/summary.h5 holds %zu\n", res.done,
           res.skipped, size, size == 1 ? "" : "s", s.dir, res.n_ok);
    rc = ceas_sweep_tasks(&s, &tasks, &ntasks);
    if (!rc) rc = report(&s, tasks, ntasks);
  }
  if (rc && rank == 0) fprintf(stderr, "sweep_mpi: %s\n", ceas_error_message());
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  free(tasks);
  ceas_sweep_lock_release(&res.lock);
  ceas_sweep_spec_free(&s);
  ceas_parallel_finalize();
  return rc ? 1 : 0;
}
