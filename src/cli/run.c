#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "ceas_decomp.h"
#include "ceas_io.h"
#include "ceas_parallel.h"
#include "ceas_task_options.h"
#include "cli.h"

static const char run_head[] =
    "usage: ceasim run [options]\n"
    "\n"
    "One Markov chain: thermalise, sweep, measure, print observables with error bars\n"
    "and integrated autocorrelation times, optionally write HDF5.\n"
    "\n";

static const char run_tail[] =
    "\n"
    "One sweep is N single-spin updates (metropolis, heatbath), a fixed\n"
    "number of Wolff clusters flipping ~N spins, or one Swendsen-Wang update.\n"
    "Cluster algorithms need ferromagnetic couplings and zero field.\n";

/* The CLI's own options; the task's are the library's (ceas_task_option_table). */
static const ceas_option run_cli_options[] = {
    {"decompose", NULL, NULL,
     "one lattice over the MPI ranks (mpirun -np R ceasim run ... --decompose; also fine "
     "without mpirun): rank r owns a strip of rows (2D) or slabs (3D) with halo exchange. "
     "ising2d/ising3d, metropolis or heatbath (L even) or msc-single (L a multiple of 128, "
     "also 3D), at least one row/slab per rank. The result is bitwise the run without "
     "--decompose, on any number of ranks. No checkpoints: an interrupted run writes "
     "nothing.", "parallel"},
    {"out", "FILE", NULL, "write HDF5 (atomically; refuses to overwrite)", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {"quiet", NULL, NULL, "no progress line", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct {
  ceas_task_options o;
  const char *out;
  int force, quiet, help, decompose;
  ceas_cli_group g[2]; /* the task's options, then the CLI's (slots) */
  void *slots[4];
} run_args;

static int set_task(void *o, const char *key, const char *value) {
  return ceas_task_option_set(o, key, value);
}

static int parse_run_args(int argc, char **argv, run_args *a) {
  *a = (run_args){.slots = {&a->decompose, &a->out, &a->force, &a->quiet}};
  ceas_task_options_default(&a->o);
  a->g[0] = (ceas_cli_group){ceas_task_option_table, set_task, &a->o};
  a->g[1] = (ceas_cli_group){run_cli_options, NULL, a->slots};
  int rc = ceas_cli_parse(argc, argv, "run", a->g, 2, &a->help);
  if (!rc) rc = ceas_cli_no_arguments(argc, argv, "run");
  if (!rc) rc = ceas_task_options_finish(&a->o);
  return rc;
}

void ceas_cli_progress(double fraction, double elapsed, void *ctx) {
  (void)ctx;
  double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  fprintf(stderr, "\r  %5.1f%%  %.0f s elapsed, about %.0f s to go   ", 100 * fraction,
          elapsed, eta);
  fflush(stderr);
}

/* `ceasim run ... --decompose`, collective (ceas_cli_collective). */
static int run_decomposed(int argc, char **argv, int rank, int size) {
  run_args a;
  int rc = parse_run_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) ceas_cli_usage(stdout, run_head, a.g, 2, run_tail);
    return 0;
  }
  /* What cannot be decomposed first (a graph without --couplings is still a
   * graph), then the checks of a plain run; every rank sees the same arguments and
   * ranks, so all reach the same verdict. */
  if (!rc) rc = ceas_decomp_params_check(&a.o.p, size);
  if (!rc && a.o.p.device == CEAS_DEVICE_GPU)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--device gpu: not with --decompose (one GPU runs the whole lattice)");
  if (rc) return ceas_cli_fail_rank(rank, rc);
  if (rank == 0 && a.out) rc = ceas_io_check_output(a.out, a.force);
  if ((rc = ceas_parallel_root_status(MPI_COMM_WORLD, rc, "--out refused")))
    return ceas_cli_fail_rank(rank, rc);
  ceas_cli_install_signals();
  int show = rank == 0 && !a.quiet && isatty(STDERR_FILENO);
  ceas_decomp_hooks hooks = {&ceas_cli_stop, show ? ceas_cli_progress : NULL, NULL};
  ceas_decomp_run *r = NULL;
  rc = ceas_decomp_run_task(MPI_COMM_WORLD, &a.o.p, &hooks, &r);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) return ceas_cli_fail_rank(rank, rc);
  if (rank == 0) {
    ceas_decomp_run_print(stdout, r);
    if (a.out && !(rc = ceas_decomp_run_write_file(r, a.out, a.force, ceas_cli_command_line())))
      printf("wrote %s\n", a.out);
  }
  rc = ceas_parallel_root_status(MPI_COMM_WORLD, rc, "--out failed");
  ceas_decomp_run_free(r);
  return rc ? ceas_cli_fail_rank(rank, rc) : 0;
}

/* --decompose decides, before anything is parsed, whether MPI starts; getopt_long
 * also takes an unambiguous prefix ("--dec"), and so must this. */
static int wants_decompose(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    size_t n = strlen(argv[i]);
    if (n >= 3 && !strncmp(argv[i], "--decompose", n)) return 1;
  }
  return 0;
}

int ceas_cli_run(int argc, char **argv) {
  if (wants_decompose(argc, argv)) return ceas_cli_collective(argc, argv, run_decomposed);
  run_args a;
  int rc = parse_run_args(argc, argv, &a);
  if (a.help) {
    ceas_cli_usage(stdout, run_head, a.g, 2, run_tail);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if (a.out && (rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_task *t = NULL;
  if ((rc = ceas_task_create(&a.o.p, &t))) return ceas_cli_fail(rc);
  ceas_cli_install_signals();
  int show = !a.quiet && isatty(STDERR_FILENO);
  rc = ceas_task_run(t, &ceas_cli_stop, show ? ceas_cli_progress : NULL, NULL);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) {
    ceas_task_free(t);
    return ceas_cli_fail(rc);
  }
  ceas_task_print(stdout, t);
  if (a.out && !(rc = ceas_task_write_file(t, a.out, a.force, ceas_cli_command_line())))
    printf("wrote %s\n", a.out);
  ceas_task_free(t);
  return rc ? ceas_cli_fail(rc) : 0;
}
