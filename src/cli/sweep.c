/* `ceasim sweep` and `ceasim collect`. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ini.h>
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

static void sweep_usage(FILE *out) {
  fprintf(out,
          "usage: [mpirun -np N] ceasim sweep [SWEEP.ini] [options]\n"
          "\n"
          "A grid of tasks (sizes x betas x replicas), each a `ceasim run`, spread over MPI\n"
          "ranks (largest first), each written to DIR/tasks/ as it finishes. Killed or\n"
          "interrupted? Run the same command again: finished tasks are kept, unfinished\n"
          "ones resume from their checkpoints, and the results are bitwise those of an\n"
          "uninterrupted run on any number of ranks.\n"
          "\n"
          "grid:\n"
          "  --model M            ising2d | ising3d | graph [ising2d]\n"
          "  --L 16,32,64         sizes (lattices)\n"
          "  --couplings F1,F2..  graph couplings, one file per size (the size is the\n"
          "                       file's n; e.g. heads of growing n from ceasim map)\n"
          "  --beta A:B:N         N betas from A to B inclusive, or a list 0.40,0.42\n"
          "  --replicas R         independent runs per (L, beta) [1]\n"
          "task (as in ceasim run):\n"
          "  --algo A  --sweeps N  --therm N  --measure-every N  --seed S  --h X\n"
          "  --init hot|cold  --wolff-clusters K\n"
          "sweep:\n"
          "  --out DIR            sweep directory (created if needed)\n"
          "  --checkpoint-every S seconds between checkpoints of a running task [60]\n"
          "  --force              start afresh in a directory with other parameters\n"
          "  --no-analysis        do not run `ceasim analyze` and the plots at the end\n"
          "  --quiet              no progress, no analysis report or notes: warnings,\n"
          "                       errors and one final line naming what was written\n"
          "\n"
          "A sweep file is INI: the same names as the options (without --, '-' or '_'),\n"
          "one `key = value` per line, optionally under [sweep]; options on the command\n"
          "line override it. Each task's random stream is a hash of (L, beta, replica), n for graphs.\n");
}

typedef struct {
  ceas_sweep_spec spec;
  int quiet, help, analysis;
  char bad_msg[512];
} sweep_args;

/* The sweep file is read through ini_reader below, which numbers the lines, so
 * that a key given twice can name both lines. inih itself would let a repeated key
 * or an indented continuation line (INI_ALLOW_MULTILINE: the handler sees the key
 * again) silently replace the value, cut a line at a NUL byte, and split a line
 * longer than its buffer into two; each of these is refused instead. */
typedef struct {
  sweep_args *a;
  const char *file;
  FILE *fp;
  int failed;
  long line;            /* the line inih is parsing */
  int indented;         /* it starts with a blank: a continuation of the key above */
  long bad_line;        /* a line the reader refused (0: none) */
  int bad_nul;          /* why: a NUL byte, else longer than max_line */
  int max_line;
  struct {
    char key[64];
    long line;
  } seen[32];
  int nseen;
} ini_ctx;

static char *ini_read_line(char *str, int num, void *stream) {
  ini_ctx *c = stream;
  int k = 0, ch = EOF;
  int bad = 0;
  c->max_line = num - 2; /* room for the newline and the terminator */
  while (!bad && (ch = getc(c->fp)) != EOF) {
    c->bad_nul = ch == '\0';
    bad = c->bad_nul || k + 1 >= num;
    if (!bad) str[k++] = (char)ch;
    if (ch == '\n') break;
  }
  if (k == 0 && !bad) return NULL;
  c->line++;
  if (bad) {
    c->bad_line = c->line;
    return NULL; /* stops the parse: every earlier line was fine */
  }
  str[k] = '\0';
  c->indented = str[0] == ' ' || str[0] == '\t';
  return str;
}

static int on_ini(void *user, const char *section, const char *name, const char *value) {
  ini_ctx *c = user;
  if (c->failed) return 1; /* report only the first problem */
  char key[64];
  snprintf(key, sizeof key, "%s", name);
  for (char *k = key; *k; k++)
    if (*k == '-') *k = '_';
  for (int i = 0; i < c->nseen; i++)
    if (!strcmp(c->seen[i].key, key)) {
      if (c->indented && c->seen[i].line == c->line - 1)
        snprintf(c->a->bad_msg, sizeof c->a->bad_msg,
                 "an indented line continues '%s' (expected one 'key = value' per line, "
                 "not indented)",
                 name);
      else
        snprintf(c->a->bad_msg, sizeof c->a->bad_msg,
                 "'%s' given again (first at line %ld; expected each key once)", name,
                 c->seen[i].line);
      c->failed = 1;
      return 0;
    }
  if (c->nseen < (int)(sizeof c->seen / sizeof c->seen[0])) {
    snprintf(c->seen[c->nseen].key, sizeof c->seen[0].key, "%s", key);
    c->seen[c->nseen++].line = c->line;
  }
  if (*section && strcmp(section, "sweep")) {
    snprintf(c->a->bad_msg, sizeof c->a->bad_msg,
             "unknown section [%s] (expected [sweep] or none)", section);
    c->failed = 1;
    return 0;
  }
  if (ceas_sweep_option_set(&c->a->spec, name, value, name)) {
    snprintf(c->a->bad_msg, sizeof c->a->bad_msg, "%s", ceas_error_message());
    c->failed = 1;
    return 0;
  }
  return 1;
}

static int read_sweep_file(sweep_args *a, const char *file) {
  ini_ctx c = {.a = a, .file = file};
  struct stat st;
  if (stat(file, &st) != 0)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot open sweep file: %s", file, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "%s: expected a sweep file (INI), got a %s", file,
                          S_ISDIR(st.st_mode) ? "directory" : "special file");
  FILE *fp = fopen(file, "r");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot open sweep file: %s", file, strerror(errno));
  c.fp = fp;
  int line = ini_parse_stream(ini_read_line, &c, on_ini, &c);
  fclose(fp);
  if (line <= 0 && c.bad_line && c.bad_nul)
    return ceas_error_set(CEAS_EINPUT, "%s:%ld: expected text, got a NUL byte", file,
                          c.bad_line);
  if (line <= 0 && c.bad_line)
    return ceas_error_set(CEAS_EINPUT, "%s:%ld: expected a line of at most %d characters",
                          file, c.bad_line, c.max_line);
  if (line > 0) {
    if (c.failed) return ceas_error_set(CEAS_EINPUT, "%s:%d: %s", file, line, a->bad_msg);
    return ceas_error_set(CEAS_EINPUT, "%s:%d: expected 'key = value'", file, line);
  }
  if (line < 0) return ceas_error_set(CEAS_EINPUT, "%s: cannot read sweep file", file);
  return CEAS_OK;
}

enum { OPT_FORCE = 300, OPT_QUIET, OPT_HELP, OPT_NOANA };

static int parse_sweep_args(int argc, char **argv, sweep_args *a) {
  static const struct option opts[] = {
      {"model", required_argument, 0, 'm'}, {"L", required_argument, 0, 'L'},
      {"couplings", required_argument, 0, 'c'}, {"beta", required_argument, 0, 'b'},
      {"replicas", required_argument, 0, 'r'}, {"algo", required_argument, 0, 'a'},
      {"sweeps", required_argument, 0, 's'}, {"therm", required_argument, 0, 't'},
      {"measure-every", required_argument, 0, 'e'}, {"seed", required_argument, 0, 'S'},
      {"h", required_argument, 0, 'h'}, {"init", required_argument, 0, 'i'},
      {"wolff-clusters", required_argument, 0, 'w'}, {"out", required_argument, 0, 'o'},
      {"checkpoint-every", required_argument, 0, 'k'}, {"force", no_argument, 0, OPT_FORCE},
      {"quiet", no_argument, 0, OPT_QUIET}, {"help", no_argument, 0, OPT_HELP},
      {"no-analysis", no_argument, 0, OPT_NOANA}, {0, 0, 0, 0}};
  memset(a, 0, sizeof *a);
  ceas_sweep_spec_init(&a->spec);
  a->analysis = 1;
  int rc = CEAS_OK;
  /* A sweep file comes first so that options override it: find it before parsing. */
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-') {
      int is_value = 0;
      if (i > 1 && argv[i - 1][0] == '-' && argv[i - 1][1] == '-') {
        const char *prev = argv[i - 1] + 2;
        for (int k = 0; opts[k].name; k++)
          if (!strcmp(prev, opts[k].name) && opts[k].has_arg == required_argument) is_value = 1;
      }
      if (!is_value) {
        if ((rc = read_sweep_file(a, argv[i]))) return rc;
        break;
      }
    }
  }
  opterr = 0;
  optind = 1;
  int c, idx = 0;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, opts, &idx)) != -1) {
    if (c == OPT_FORCE) a->spec.force = 1;
    else if (c == OPT_QUIET) a->quiet = 1;
    else if (c == OPT_HELP) a->help = 1;
    else if (c == OPT_NOANA) a->analysis = 0;
    else if (c == '?' || c == ':')
      rc = ceas_cli_option_error(c, argv, "sweep");
    else {
      char what[64];
      snprintf(what, sizeof what, "--%s", opts[idx].name);
      rc = ceas_sweep_option_set(&a->spec, opts[idx].name, optarg, what);
    }
  }
  int files = 0;
  for (int i = optind; !rc && i < argc; i++)
    if (++files > 1)
      rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (one sweep file at most)",
                          argv[i]);
  return rc;
}

static void sweep_args_free(sweep_args *a) { ceas_sweep_spec_free(&a->spec); }

/* Everybody fails the same way; only rank 0 speaks. */
static int fail_all(int rank, int rc) {
  int code = ceas_cli_exit_code(rc);
  if (rank == 0) fprintf(stderr, "ceasim: %s\n", ceas_error_message());
  ceas_parallel_finalize();
  return code;
}

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
    if (rank == 0) sweep_usage(stdout);
    sweep_args_free(&a);
    ceas_parallel_finalize();
    return 0;
  }
  if (!rc) rc = ceas_sweep_check(&a.spec);
  if (rc) {
    sweep_args_free(&a);
    return fail_all(rank, rc);
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
    return fail_all(rank, rc);
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
  if (rank == 0 && code == 0 && a.analysis) {
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
