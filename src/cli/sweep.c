/* `ceasim sweep` and `ceasim collect`. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_parallel.h"
#include "ceas_sweep.h"
#include "ceas_sweep_run.h"
#include "cli.h"

static const char sweep_head[] =
    "usage: [mpirun -np N] ceasim sweep [SWEEP.ini] [options]\n"
    "\n"
    "A grid of tasks (sizes x betas x replicas), each a `ceasim run`, spread over MPI\n"
    "ranks (largest first), each written to DIR/tasks/ as it finishes. Killed or\n"
    "interrupted? Run the same command again: finished tasks are kept, unfinished\n"
    "ones resume from their checkpoints, and the results are bitwise those of an\n"
    "uninterrupted run on any number of ranks.\n"
    "\n";

static const char sweep_tail[] =
    "\n"
    "A sweep file is INI: the same names as the options (without --, '-' or '_'),\n"
    "one `key = value` per line, optionally under [sweep]; options on the command\n"
    "line override it. Each task's random stream is a hash of (L, beta, replica), n for "
    "graphs.\n";

static const ceas_option sweep_cli_options[] = {
    {"force", NULL, NULL, "start afresh in a directory with other parameters", "sweep"},
    {"no-analysis", NULL, NULL, "do not run `ceasim analyze` and the plots at the end", "sweep"},
    {"quiet", NULL, NULL,
     "no progress, no analysis report or notes: warnings, errors and one final line naming "
     "what was written", "sweep"},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct {
  ceas_sweep_spec spec;
  int quiet, help, no_analysis;
  ceas_cli_group g[2]; /* the sweep's options, then the CLI's (slots) */
  void *slots[3];
} sweep_args;

static int set_sweep(void *spec, const char *key, const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  return ceas_sweep_option_set(spec, key, value, what);
}

static int parse_sweep_args(int argc, char **argv, sweep_args *a) {
  *a = (sweep_args){.slots = {&a->spec.force, &a->no_analysis, &a->quiet}};
  ceas_sweep_spec_init(&a->spec);
  a->g[0] = (ceas_cli_group){ceas_sweep_option_table, set_sweep, &a->spec};
  a->g[1] = (ceas_cli_group){sweep_cli_options, NULL, a->slots};
  /* A sweep file comes first so that options override it: find it before parsing. */
  for (int i = 1; i < argc; i++) {
    const char *prev = i > 1 ? argv[i - 1] : "";
    int is_value = prev[0] == '-' && prev[1] == '-' && ceas_cli_takes_value(a->g, 2, prev + 2);
    if (argv[i][0] != '-' && !is_value) {
      int rc = ceas_sweep_file_read(&a->spec, argv[i]);
      if (rc) return rc;
      break;
    }
  }
  int rc = ceas_cli_parse(argc, argv, "sweep", a->g, 2, &a->help);
  int files = 0;
  for (int i = optind; !rc && i < argc; i++)
    if (++files > 1)
      rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (one sweep file at most)",
                          argv[i]);
  return rc;
}

static void sweep_args_free(sweep_args *a) { ceas_sweep_spec_free(&a->spec); }

typedef struct {
  int quiet;
  const char *dir;
} sweep_start_ctx;

/* Once the finished tasks are known: rank 0 says what is to be done, and every
 * rank stops at a signal from now on (checkpointing) instead of dying. */
static void sweep_start(size_t ntasks, size_t done, int ranks, int rank, void *ctx) {
  const sweep_start_ctx *c = ctx;
  if (rank == 0 && !c->quiet)
    fprintf(stderr, "ceasim sweep: %zu tasks (%zu already done) on %d rank%s -> %s\n", ntasks,
            done, ranks, ranks == 1 ? "" : "s", c->dir);
  ceas_cli_install_signals();
}

extern char **environ;

/* Runs a program to completion; returns its exit status, or -1 with *why saying
 * why it did not run. */
static int spawn_wait(char *const argv[], const char **why) {
  pid_t pid;
  int err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
  if (err) {
    *why = strerror(err);
    return -1;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) {
    *why = strerror(errno);
    return -1;
  }
  static char sig[64];
  if (WIFSIGNALED(status))
    snprintf(sig, sizeof sig, "killed by signal %d, %s", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  *why = sig;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Where analysis/plot_sweep.py lives: $CEASIM_ANALYSIS_DIR, the source tree this
 * binary was built from, or the installed share directory. */
static const char *analysis_dir(void) {
  const char *env = getenv("CEASIM_ANALYSIS_DIR");
  if (env && *env) return env;
  static const char *const candidates[] = {CEASIM_SOURCE_ANALYSIS_DIR,
                                           CEASIM_INSTALL_ANALYSIS_DIR};
  for (int i = 0; i < 2; i++) {
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/plot_sweep.py", candidates[i]);
    if (access(probe, R_OK) == 0) return candidates[i];
  }
  return NULL;
}

/* After a complete sweep: `ceasim analyze DIR`, then the plots. Either failing is
 * reported, but the sweep itself has succeeded. Quiet: both run with --quiet (no
 * report, no notes: warnings and errors only). Returns 1 analysed, 2 and plotted. */
static int analyse_and_plot(const char *dir, int quiet) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 0;
  self[n] = '\0';
  /* A binary rebuilt while the sweep ran is gone: /proc/self/exe then names the
   * deleted file, and the analysis cannot start (say so, not "see above"). */
  const char *gone = " (deleted)";
  size_t lg = strlen(gone);
  if ((size_t)n > lg && !strcmp(self + n - lg, gone)) {
    fprintf(stderr, "ceasim: warning: no analysis of %s: this ceasim binary was replaced "
                    "while the sweep ran; run `ceasim analyze %s`\n", dir, dir);
    return 0;
  }
  char q[] = "--quiet";
  char *ana[] = {self, "analyze", (char *)dir, quiet ? q : NULL, NULL};
  const char *why;
  fflush(stdout);
  int st = spawn_wait(ana, &why);
  if (st != 0) {
    if (st < 0)
      fprintf(stderr, "ceasim: warning: no analysis of %s (%s); run `ceasim analyze %s`\n",
              dir, why, dir);
    else
      fprintf(stderr, "ceasim: warning: the analysis of %s did not complete (see above); run "
                      "`ceasim analyze %s` to retry\n", dir, dir);
    return 0;
  }
  const char *adir = analysis_dir();
  char script[4096];
  snprintf(script, sizeof script, "%s/plot_sweep.py", adir ? adir : ".");
  char py[] = "/usr/bin/python3";
  char *plot[] = {py, script, (char *)dir, quiet ? q : NULL, NULL};
  /* The script itself prints where the PNGs are (and why any is not drawn). */
  if (!adir || access(py, X_OK) != 0) {
    fprintf(stderr, "ceasim: warning: no plots for %s (needs %s and analysis/plot_sweep.py; "
                    "set CEASIM_ANALYSIS_DIR)\n", dir, py);
    return 1;
  }
  st = spawn_wait(plot, &why);
  if (st != 0) {
    if (st < 0)
      fprintf(stderr, "ceasim: warning: no plots for %s: %s (%s)\n", dir, script, why);
    else
      fprintf(stderr, "ceasim: warning: %s failed for %s (see above); rerun it by hand\n",
              script, dir);
    return 1;
  }
  return 2;
}

int ceas_cli_sweep(int argc, char **argv) {
  int rank = 0, size = 1;
  ceas_parallel_init(&argc, &argv, &rank, &size);
  sweep_args a;
  int rc = parse_sweep_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) ceas_cli_usage(stdout, sweep_head, a.g, 2, sweep_tail);
    sweep_args_free(&a);
    ceas_parallel_finalize();
    return 0;
  }
  if (!rc) rc = ceas_sweep_check(&a.spec);
  if (rc) {
    sweep_args_free(&a);
    return ceas_cli_fail_all(rank, rc);
  }
  sweep_start_ctx sc = {a.quiet, a.spec.dir};
  ceas_sweep_hooks hooks = {ceas_cli_command_line(), &ceas_cli_stop, !a.quiet, sweep_start, &sc};
  ceas_sweep_result res;
  rc = ceas_sweep_run(MPI_COMM_WORLD, &a.spec, &hooks, &res);
  int code = 0;
  /* --quiet: the one line printed at the end, after the analysis and the plots. */
  char final[4096] = "";
  if (rc && res.stage == CEAS_SWEEP_PREPARE) {
    sweep_args_free(&a);
    return ceas_cli_fail_all(rank, rc);
  }
  if (rank == 0) {
    if (rc == CEAS_EINTERRUPT) {
      fprintf(stderr,
              "ceasim: sweep interrupted: %zu tasks finished, running tasks checkpointed; run "
              "the same command again to resume\n",
              res.done);
      code = 130;
    } else if (rc && res.stage == CEAS_SWEEP_FARM) {
      fprintf(stderr, "ceasim: sweep failed: %s\n", ceas_error_message());
      code = ceas_cli_exit_code(rc);
    } else if (rc) {
      fprintf(stderr, "ceasim: %s\n", ceas_error_message());
      code = ceas_cli_exit_code(rc);
    } else {
      size_t ok = res.n_ok, bad = res.n_bad;
      if (!a.quiet) {
        printf("sweep complete: %zu tasks run, %zu were already done, %.1f s on %d rank%s\n",
               res.done, res.skipped, res.seconds, size, size == 1 ? "" : "s");
        printf("summary: %s/summary.h5 (%zu tasks%s)\n", a.spec.dir, ok,
               bad ? ", some task files damaged: see warnings" : "");
      } else {
        if (bad)
          fprintf(stderr, "ceasim: warning: %s: some task files are damaged (see above)\n",
                  a.spec.dir);
        snprintf(final, sizeof final,
                 "sweep complete: %zu tasks run, %zu were already done, %.1f s on %d "
                 "rank%s; %s/summary.h5 (%zu tasks)",
                 res.done, res.skipped, res.seconds, size, size == 1 ? "" : "s",
                 a.spec.dir, ok);
      }
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  /* The analysis runs outside MPI (spawning children from an MPI process is asking
   * for trouble), on a copy of the directory name: the arguments are freed before
   * the leak check of a sanitizer build in ceas_parallel_finalize. */
  char *adir = NULL;
  if (rank == 0 && code == 0 && !a.no_analysis) {
    size_t len = strlen(a.spec.dir) + 1;
    adir = malloc(len);
    if (adir) memcpy(adir, a.spec.dir, len);
    else fprintf(stderr, "ceasim: warning: out of memory: no analysis for %s\n", a.spec.dir);
  }
  int a_quiet = a.quiet;
  sweep_args_free(&a);
  ceas_parallel_finalize();
  int stages = adir ? analyse_and_plot(adir, a_quiet) : 0;
  free(adir);
  ceas_sweep_lock_release(&res.lock);
  if (final[0])
    printf("%s%s\n", final,
           stages == 2 ? ", analysis.h5, plots/" : stages == 1 ? ", analysis.h5 (no plots)" : "");
  return code;
}

int ceas_cli_collect(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: ceasim collect DIR\n\nRebuilds DIR/summary.h5 (one row per task: L, beta, "
           "replica, seed, stream,\nand every observable's mean, error and tau_int) from the "
           "task files in DIR/tasks.\nDamaged task files are named in a warning and "
           "skipped.\n");
    return 0;
  }
  if (argc != 2)
    return ceas_cli_fail(ceas_error_set(CEAS_EINPUT, "collect: expected one sweep directory"));
  size_t ok = 0, bad = 0;
  /* Reading a running sweep's tasks is safe, but summary.h5 is the sweep's to write. */
  int rc = ceas_sweep_lock_check(argv[1], "collect when it has ended (the sweep writes "
                                          "summary.h5 itself then)");
  if (!rc) rc = ceas_sweep_collect(argv[1], ceas_cli_command_line(), &ok, &bad);
  if (rc) return ceas_cli_fail(rc);
  printf("%s/summary.h5: %zu tasks", argv[1], ok);
  if (bad) printf(", %zu damaged task file%s skipped (see warnings)", bad, bad == 1 ? "" : "s");
  printf("\n");
  return 0;
}
