/* ceasim anneal: minimise an Ising energy (couplings file, G-set MaxCut graph or a
 * generated spin glass) with an annealing method over independent reads. See
 * docs/anneal.md. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "ceas_anneal_options.h"
#include "ceas_io.h"
#include "ceas_parallel.h"
#include "cli.h"

static const char anneal_head[] =
    "usage: ceasim anneal (--couplings FILE | --gset FILE | --model M ...) [options]\n"
    "\n"
    "Minimise E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i over s_i = +-1 with an\n"
    "annealing method, over independent reads; report the best energies, success\n"
    "probability and time to solution.\n"
    "\n";

static const char anneal_tail[] =
    "\n"
    "Time to solution: TTS99 = t_read ln(0.01)/ln(1 - p) with p the fraction of reads\n"
    "that reach the target; t_read if p >= 0.99, inf if p = 0.\n";

/* The CLI's own options; every other one is the library's (ceas_anneal_option_table). */
static const ceas_option anneal_cli_options[] = {
    {"write-instance", "F", NULL, "also write the instance as a couplings text file", "output"},
    {"out", "FILE", NULL, "HDF5 results (atomically; refuses to overwrite)", "output"},
    {"force", NULL, NULL, "allow --out and --write-instance to replace files", "output"},
    {"quiet", NULL, NULL, "no progress line", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct {
  ceas_anneal_options o;
  const char *write_instance, *out;
  int force, quiet, help;
  ceas_cli_group g[2]; /* the library's options, then the CLI's (slots) */
  void *slots[4];
} anneal_args;

static int set_anneal(void *o, const char *key, const char *value) {
  return ceas_anneal_option_set(o, key, value);
}

static int parse_args(int argc, char **argv, anneal_args *a) {
  *a = (anneal_args){.slots = {&a->write_instance, &a->out, &a->force, &a->quiet}};
  ceas_anneal_options_default(&a->o);
  a->g[0] = (ceas_cli_group){ceas_anneal_option_table, set_anneal, &a->o};
  a->g[1] = (ceas_cli_group){anneal_cli_options, NULL, a->slots};
  int rc = ceas_cli_parse(argc, argv, "anneal", a->g, 2, &a->help);
  if (rc || a->help) return rc;
  if ((rc = ceas_cli_no_arguments(argc, argv, "anneal"))) return rc;
  return ceas_anneal_options_finish(&a->o);
}

static int anneal_main(int argc, char **argv, int rank, int size);

/* The walkers of pt spread over the ranks; the other methods run on one process.
 * Only rank 0 speaks and writes; every rank reaches the same verdict on the same
 * input. MPI starts only where it is used. Under a launcher (the environment says
 * so) it starts before the options are parsed, so that a bad option is reported
 * once, by rank 0, and sa under `mpirun -np 2` is refused once; in a plain process
 * it starts after parsing, for a collective method (pt) only: starting it costs
 * ~0.1-1 s, more than a small anneal takes. */
int ceas_cli_anneal(int argc, char **argv) {
  const char *env = getenv("OMPI_COMM_WORLD_SIZE");
  if (env && *env) return ceas_cli_collective(argc, argv, anneal_main);
  int code = anneal_main(argc, argv, 0, 1);
  ceas_parallel_finalize(); /* if pt started MPI */
  return code;
}

static int anneal_main(int argc, char **argv, int rank, int size) {
  anneal_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) ceas_cli_usage(stdout, anneal_head, a.g, 2, anneal_tail);
    return 0;
  }
  if (rc) return ceas_cli_fail_rank(rank, rc);
  const ceas_anneal_method *method = a.o.m; /* then the kernel that runs it */
  if (method->collective) ceas_parallel_init(NULL, NULL, NULL, NULL); /* if not yet */
  if (size > 1 && !method->collective)
    return ceas_cli_fail_rank(rank, ceas_error_set(CEAS_EINPUT,
                                     "--method %s runs in one process; only --method pt "
                                     "spreads over MPI ranks (got %d ranks)",
                                     a.o.method, size));
  if (rank == 0 && a.out) rc = ceas_io_check_output(a.out, a.force);
  if (!rc && rank == 0 && a.write_instance)
    rc = ceas_io_check_output(a.write_instance, a.force);
  if (!rc && a.out && a.write_instance && !strcmp(a.out, a.write_instance))
    rc = ceas_error_set(CEAS_EINPUT, "--out and --write-instance name the same file");
  if ((rc = ceas_parallel_root_status(MPI_COMM_WORLD, rc, "output refused")))
    return ceas_cli_fail_rank(rank, rc);
  ceas_anneal_setup su;
  ceas_anneal_result *r = NULL;
  if ((rc = ceas_anneal_setup_make(&a.o, &su))) goto out;
  method = su.method;
  if (rank == 0 && a.write_instance)
    rc = ceas_anneal_problem_write_couplings(su.pb, a.write_instance, a.force);
  if ((rc = ceas_parallel_root_status(MPI_COMM_WORLD, rc, "--write-instance failed")))
    goto out;
  if (rank != 0) {
    /* The other ranks only lend their walkers. */
    rc = ceas_anneal_run(su.pm, method, &su.p, a.o.reads, &ceas_cli_stop, NULL, NULL, &r);
    goto out;
  }

  ceas_anneal_setup_print(stdout, &a.o, &su, size);
  fflush(stdout);
  ceas_cli_install_signals();
  int show = !a.quiet && isatty(STDERR_FILENO);
  rc = ceas_anneal_run(su.pm, method, &su.p, a.o.reads, &ceas_cli_stop,
                       show ? ceas_cli_progress : NULL, NULL, &r);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) goto out;
  if (su.pq) ceas_anneal_rescore(su.pb, r);
  ceas_anneal_result_print(stdout, &su, r);
  if (a.out && !(rc = ceas_anneal_setup_write(&su, r, a.out, a.force, ceas_cli_command_line())))
    printf("wrote %s\n", a.out);
out:
  ceas_anneal_result_free(r);
  ceas_anneal_setup_free(&su);
  return rc ? ceas_cli_fail_rank(rank, rc) : 0;
}
