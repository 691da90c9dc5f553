/* ceasim anneal: minimise an Ising energy (couplings file, G-set MaxCut graph or a
 * generated spin glass) with an annealing method over independent reads. See
 * docs/anneal.md. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "ceas_anneal_options.h"
#include "ceas_io.h"
#include "ceas_parallel.h"
#include "cli.h"

/* Reads with their own table row; more are summarised (all are in --out). */
#define ANNEAL_TABLE_ROWS 32

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

static void print_number(double x) {
  if (isnan(x))
    printf(" %14s", "-");
  else
    printf(" %14.10g", x);
}

static void print_results(const ceas_anneal_problem *pb, const ceas_anneal_method *method,
                          const ceas_anneal_params *p,
                          const ceas_anneal_result *r) {
  int64_t n = pb->n;
  printf("%5s %16s %12s", "read", "best E", "E/n");
  if (pb->maxcut) printf(" %14s", "cut");
  printf(" %8s", "at sweep");
  if (p->has_target) printf(" %7s %12s", "reached", "t_target/s");
  printf(" %9s\n", "time/s");
  uint64_t rows = r->reads <= ANNEAL_TABLE_ROWS ? r->reads : ANNEAL_TABLE_ROWS;
  for (uint64_t q = 0; q < rows; q++) {
    const ceas_anneal_read *rd = &r->per_read[q];
    printf("%5llu %16.10g %12.8f", (unsigned long long)q, rd->best_energy,
           rd->best_energy / (double)n);
    if (pb->maxcut) print_number(ceas_anneal_cut(pb, rd->best_energy));
    printf(" %8llu", (unsigned long long)rd->best_sweep);
    if (p->has_target) {
      if (rd->reached)
        printf(" %7s %12.4g", "yes", rd->seconds_to_target);
      else
        printf(" %7s %12s", "no", "-");
    }
    printf(" %9.4g\n", rd->seconds);
  }
  if (rows < r->reads)
    printf("  ... %llu more reads (all in --out)\n", (unsigned long long)(r->reads - rows));
  printf("best E = %.12g (E/n = %.10f)", r->best_energy, r->best_energy / (double)n);
  if (pb->maxcut) printf(", cut = %.12g", ceas_anneal_cut(pb, r->best_energy));
  printf(" in read %llu\n", (unsigned long long)r->best_read);
  ceas_anneal_cost tot;
  double e_pj;
  uint64_t updates;
  ceas_anneal_result_totals(r, &tot, &e_pj, &updates);
  printf("%llu reads, %.4g spin updates in %.3f s: %.4g ns per spin update (CPU time "
         "%.3f s: %.4g ns)\n",
         (unsigned long long)r->reads, (double)updates, r->seconds,
         1e9 * r->seconds / (double)updates, r->cpu_seconds,
         1e9 * r->cpu_seconds / (double)updates);
  /* The cost model: the machine's work and energy, totals and per read. */
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_of(p, &pj);
  double R = (double)r->reads;
  printf("machine cost: %.4g pJ (%.4g per read), %.4g MACs (%.4g per read), %.4g bytes "
         "(%.4g per read), %.4g spin updates; at %.3g pJ/MAC, %.3g pJ/byte, %.3g "
         "pJ/update\n",
         e_pj, e_pj / R, (double)tot.macs, (double)tot.macs / R, (double)tot.bytes,
         (double)tot.bytes / R, (double)tot.spin_updates, pj.mac, pj.byte, pj.spin_update);
  if (method->kernel)
    printf("  (the %s kernel does not count flips: spin updates only, without the row updates' "
           "MACs and bytes; --kernel fields counts them)\n",
           method->kernel);
  if (p->has_target) {
    printf("target E <= %.12g", p->target);
    if (pb->maxcut) printf(" (cut >= %.12g)", ceas_anneal_cut(pb, p->target));
    printf(": reached by %llu of %llu reads, p = %.4g; TTS99 = %.4g s = %.4g spin updates\n",
           (unsigned long long)r->successes, (unsigned long long)r->reads, r->p_success,
           r->tts99_seconds, r->tts99_updates);
  }
}

/* The walkers of pt over the ranks; the other methods run on one process. Only rank
 * 0 speaks and writes; every rank reaches the same verdict on the same input. */
static int fail(int rank, int rc) {
  if (rank == 0) return ceas_cli_fail(rc);
  return ceas_cli_exit_code(rc);
}

static void print_pt(const ceas_anneal_pt_stats *x) {
  const int M = x->temperatures;
  printf("parallel tempering, %d temperatures; read 0: ladder, exchange acceptance to the "
         "next, <E>/n\n", M);
  for (int t = 0; t < M; t++) {
    printf("  beta %10.6g", x->betas[t]);
    if (t + 1 < M)
      printf("  acc %6.3f", x->acceptance[t]);
    else
      printf("  %10s", "");
    printf("  <E>/n %12.8f", x->e_mean[t]);
    if (isfinite(x->e_err[t])) printf(" +- %.2g", x->e_err[t]);
    printf("\n");
  }
  printf("  round trips %llu (%.4g sweeps per round trip and walker)\n",
         (unsigned long long)x->round_trips[0], x->sweeps_per_round_trip[0]);
}

static int anneal_main(int argc, char **argv, int rank, int size);

/* MPI starts only where it is used. Under a launcher (the environment says so) it
 * starts before the options are parsed, so that a bad option is reported once, by
 * rank 0, and sa under `mpirun -np 2` is refused once; in a plain process it starts
 * after parsing, for a collective method (pt) only: starting it costs ~0.1-1 s,
 * more than a small anneal takes. */
static int under_launcher(void) {
  const char *env = getenv("OMPI_COMM_WORLD_SIZE");
  return env && *env;
}

static int g_mpi; /* MPI was started (collective calls allowed) */

/* Rank 0's status, on every rank. */
static int bcast_rc(int rc) {
  if (g_mpi) MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}

int ceas_cli_anneal(int argc, char **argv) {
  int rank = 0, size = 1;
  g_mpi = under_launcher();
  if (g_mpi) ceas_parallel_init(&argc, &argv, &rank, &size);
  int code = anneal_main(argc, argv, rank, size);
  if (g_mpi) ceas_parallel_finalize();
  return code;
}

static int anneal_main(int argc, char **argv, int rank, int size) {
  anneal_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) ceas_cli_usage(stdout, anneal_head, a.g, 2, anneal_tail);
    return 0;
  }
  if (rc) return fail(rank, rc);
  const ceas_anneal_method *method = a.o.m; /* then the kernel that runs it */
  if (method->collective && !g_mpi) {
    ceas_parallel_init(NULL, NULL, NULL, NULL);
    g_mpi = 1;
  }
  if (size > 1 && !method->collective)
    return fail(rank, ceas_error_set(CEAS_EINPUT,
                                     "--method %s runs in one process; only --method pt "
                                     "spreads over MPI ranks (got %d ranks)",
                                     a.o.method, size));
  if (rank == 0 && a.out) rc = ceas_io_check_output(a.out, a.force);
  if (!rc && rank == 0 && a.write_instance)
    rc = ceas_io_check_output(a.write_instance, a.force);
  if (!rc && a.out && a.write_instance && !strcmp(a.out, a.write_instance))
    rc = ceas_error_set(CEAS_EINPUT, "--out and --write-instance name the same file");
  rc = bcast_rc(rc);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "output refused on rank 0");
    return fail(rank, rc);
  }
  ceas_anneal_setup su;
  ceas_anneal_result *r = NULL;
  if ((rc = ceas_anneal_setup_make(&a.o, &su))) goto out;
  const ceas_anneal_problem *pb = su.pb, *pq = su.pq, *pm = su.pm;
  const ceas_anneal_params p = su.p;
  const ceas_anneal_schedule sched = su.sched;
  const ceas_anneal_quant_report qrep = su.qrep;
  const double e0 = su.e0;
  const uint64_t deg = su.deg;
  method = su.method;
  if (rank == 0 && a.write_instance)
    rc = ceas_anneal_problem_write_couplings(pb, a.write_instance, a.force);
  rc = bcast_rc(rc);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "--write-instance failed on rank 0");
    goto out;
  }
  if (rank != 0) {
    /* The other ranks only lend their walkers. */
    rc = ceas_anneal_run(pm, method, &p, a.o.reads, &ceas_cli_stop, NULL, NULL, &r);
    goto out;
  }

  int from_file = pb->source == CEAS_ANNEAL_SRC_COUPLINGS || pb->source == CEAS_ANNEAL_SRC_GSET;
  printf("ceasim %s  anneal %s: %s%s%s, %lld spins, %lld couplings%s, %s\n",
         ceas_version(), method->name, from_file ? ceas_anneal_source_name(pb->source) : "",
         from_file ? " " : "", pb->origin, (long long)pb->n, (long long)(pb->nnz / 2),
         pb->has_field ? ", fields" : "",
         method->kernel ? "packed multi-spin-coded updates (64 replicas per word)"
         : pb->dense8   ? "dense int8 field updates"
         : pb->dense    ? "dense float32 field updates"
                        : "sparse field updates");
  const int dyn = method->synchronous;
  if (dyn)
    printf("%llu steps of the equations of motion, the pump ramped over them",
           (unsigned long long)sched.sweeps);
  else if (sched.kind == CEAS_ANNEAL_SCHED_FILE)
    printf("schedule from %s: %llu sweeps, beta %.6g ... %.6g", sched.file,
           (unsigned long long)sched.sweeps, sched.beta0, sched.beta1);
  else
    printf("schedule %s: beta %.6g -> %.6g over %llu sweeps",
           ceas_anneal_sched_name(sched.kind), sched.beta0, sched.beta1,
           (unsigned long long)sched.sweeps);
  if (!dyn)
    printf(", %s order", p.order == CEAS_ANNEAL_ORDER_RANDOM ? "random" : "sequential");
  printf(", seed %llu, %llu reads", (unsigned long long)p.seed, (unsigned long long)a.o.reads);
  if (method->collective)
    printf(", %ld temperatures (geometric ladder) over %d rank%s", a.o.temperatures, size,
           size == 1 ? "" : "s");
  printf("\n");
  if (deg) {
    printf("exact ground state (enumeration): E0 = %.12g (E0/n = %.10f), degeneracy %llu",
           e0, e0 / (double)pb->n, (unsigned long long)deg);
    if (pb->maxcut) printf(", max cut %.12g", ceas_anneal_cut(pb, e0));
    printf("\n");
  }
  fflush(stdout);
  ceas_cli_install_signals();
  int show = !a.quiet && isatty(STDERR_FILENO);
  if (pq)
    printf("couplings stored with %d bits (%s rounding): step %.6g, max error %.4g and rms "
           "%.4g of max|J|, %lld of %lld couplings rounded to 0\n",
           qrep.bits, ceas_anneal_rounding_name(qrep.rounding), qrep.step, qrep.max_err,
           qrep.rms_err, (long long)qrep.zeroed, (long long)qrep.couplings);
  if (p.field_noise > 0 || p.update == CEAS_ANNEAL_UPDATE_SYNC)
    printf("NPU model: %s updates, field noise sigma = %.4g x field scale (%.4g)\n",
           dyn || p.update == CEAS_ANNEAL_UPDATE_SYNC ? "synchronous" : "asynchronous",
           p.field_noise, p.field_noise * pb->field_scale);
  rc = ceas_anneal_run(pm, method, &p, a.o.reads, &ceas_cli_stop,
                       show ? ceas_cli_progress : NULL, NULL, &r);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) goto out;
  if (r->n_used) {
    printf("%s parameters (derived from the instance unless given):", method->name);
    for (int i = 0; i < r->n_used; i++)
      printf("%s %s = %.6g", i ? "," : "", r->used[i].name, r->used[i].value);
    printf("\n");
  }
  if (pq) ceas_anneal_rescore(pb, r);
  print_results(pb, method, &p, r);
  if (r->pt) print_pt(r->pt);
  if (a.out && !(rc = ceas_anneal_setup_write(&su, r, a.out, a.force, ceas_cli_command_line())))
    printf("wrote %s\n", a.out);
out:
  ceas_anneal_result_free(r);
  ceas_anneal_setup_free(&su);
  return rc ? fail(rank, rc) : 0;
}
