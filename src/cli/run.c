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

static void print_result(const ceas_measure_result *r) {
  printf("%-26s %14s %12s %14s\n", "observable", "mean", "error", "tau_int");
  for (int o = 0; o < CEAS_OBS_COUNT; o++) {
    const ceas_measure_value *v = &r->obs[o];
    if (!v->defined) continue;
    char tau[48] = "";
    if (!isnan(v->tau_int)) snprintf(tau, sizeof tau, "%.3g +- %.2g", v->tau_int, v->tau_int_err);
    printf("%-26s %14.8g %12.3g %14s\n", ceas_measure_obs_name(o), v->mean, v->error, tau);
  }
  printf("errors from %zu bins of %zu measurements%s\n", r->n_bins, r->bin_size,
         r->converged ? ""
                      : "  (WARNING: fewer than 16 tau_int per bin: run longer; "
                        "error bars may be too small)");
}

void ceas_cli_print_observables(const ceas_task *t) { print_result(&t->result); }

static void print_header(const ceas_task_params *p, int64_t n_spins, const char *algo) {
  if (p->model == CEAS_MODEL_GRAPH)
    printf("ceasim %s  graph %s (%lld spins)", ceas_version(), p->couplings,
           (long long)n_spins);
  else
    printf("ceasim %s  %s L=%ld (%lld spins)", ceas_version(),
           ceas_lattice_model_name(p->model), p->L, (long long)n_spins);
  printf("  beta=%.10g  h=%g  algo=%s  seed=%llu\n", p->beta, p->h, algo,
         (unsigned long long)p->seed);
}

/* Writes --out (atomically) through `write`; prints "wrote FILE". */
static int write_output(const char *out, int force,
                        int (*write)(const void *what, hid_t loc, const char *cmdline),
                        const void *what) {
  ceas_io_file f;
  int rc = ceas_io_file_create(out, force, &f);
  if (!rc) {
    rc = write(what, f.file, ceas_cli_command_line());
    if (rc)
      ceas_io_file_abort(&f);
    else
      rc = ceas_io_file_commit(&f);
  }
  if (!rc) printf("wrote %s\n", out);
  return rc;
}

static int write_task(const void *t, hid_t loc, const char *cmdline) {
  return ceas_task_write(t, loc, cmdline);
}

static int write_decomposed(const void *r, hid_t loc, const char *cmdline) {
  return ceas_decomp_run_write(r, loc, cmdline);
}

/* `ceasim run ... --decompose`: MPI starts before parsing so that a bad option is
 * reported once (by rank 0), not once per rank. */
static int run_decomposed(int argc, char **argv) {
  int rank = 0, size = 1;
  ceas_parallel_init(&argc, &argv, &rank, &size);
  run_args a;
  int rc = parse_run_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) ceas_cli_usage(stdout, run_head, a.g, 2, run_tail);
    ceas_parallel_finalize();
    return 0;
  }
  /* What cannot be decomposed first (a graph without --couplings is still a
   * graph), then the checks of a plain run; every rank sees the same arguments and
   * ranks, so all reach the same verdict. */
  if (!rc) rc = ceas_decomp_params_check(&a.o.p, size);
  if (!rc && a.o.p.device == CEAS_DEVICE_GPU)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--device gpu: not with --decompose (one GPU runs the whole lattice)");
  if (rc) return ceas_cli_fail_all(rank, rc);
  if (rank == 0 && a.out) rc = ceas_io_check_output(a.out, a.force);
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "--out refused on rank 0");
    return ceas_cli_fail_all(rank, rc);
  }
  ceas_cli_install_signals();
  int show = rank == 0 && !a.quiet && isatty(STDERR_FILENO);
  ceas_decomp_hooks hooks = {&ceas_cli_stop, show ? ceas_cli_progress : NULL, NULL};
  ceas_decomp_run *r = NULL;
  rc = ceas_decomp_run_task(MPI_COMM_WORLD, &a.o.p, &hooks, &r);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) return ceas_cli_fail_all(rank, rc);
  if (rank == 0) {
    print_header(&a.o.p, r->n_spins, a.o.p.algo);
    printf("%llu sweeps after %llu thermalisation sweeps, %zu measurements, %.2f s "
           "(%.4g sweeps/s), decomposed over %d rank%s\n",
           (unsigned long long)a.o.p.sweeps, (unsigned long long)a.o.p.therm, r->n_meas, r->seconds,
           (double)(a.o.p.sweeps + a.o.p.therm) / r->seconds, size, size == 1 ? "" : "s");
    print_result(&r->result);
    printf("time on rank 0: %.3f s updates, %.3f s exchange (largest over ranks %.3f s), "
           "%.3f s measurements; CPU time of all ranks %.3f s\n",
           r->t_update, r->t_exchange, r->t_exchange_max, r->t_measure, r->cpu_seconds);
    if (a.out) rc = write_output(a.out, a.force, write_decomposed, r);
    if (rc) fprintf(stderr, "ceasim: %s\n", ceas_error_message());
  }
  int code = ceas_cli_exit_code(rc);
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ceas_decomp_run_free(r);
  ceas_parallel_finalize();
  return code;
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
  if (wants_decompose(argc, argv)) return run_decomposed(argc, argv);
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
  print_header(&t->p, t->sys->n, t->algo);
  if (t->type->device == CEAS_DEVICE_GPU) printf("device: gpu, %s\n", t->device_name);
  printf("%llu sweeps after %llu thermalisation sweeps, %zu measurements, %.2f s "
         "(%.4g sweeps/s)",
         (unsigned long long)a.o.p.sweeps, (unsigned long long)a.o.p.therm, t->n_meas,
         t->seconds, (double)(a.o.p.sweeps + a.o.p.therm) / t->seconds);
  if (!isnan(t->mean_cluster_size))
    printf(", %ld clusters/sweep of mean size %.4g", ceas_kernel_clusters(t->kernel),
           t->mean_cluster_size);
  printf("\n");
  ceas_cli_print_observables(t);
  if (a.out) rc = write_output(a.out, a.force, write_task, t);
  ceas_task_free(t);
  return rc ? ceas_cli_fail(rc) : 0;
}
