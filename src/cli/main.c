#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_parallel.h"
#include "cli.h"

volatile sig_atomic_t ceas_cli_stop = 0;
static char command_line[8192];

const char *ceas_cli_command_line(void) { return command_line; }

int ceas_cli_exit_code(int rc) {
  switch (rc) {
    case CEAS_OK: return 0;
    case CEAS_EINPUT: return 2;
    case CEAS_EINTERRUPT: return 130;
    default: return 1;
  }
}

int ceas_cli_fail(int rc) {
  fprintf(stderr, "ceasim: %s\n", ceas_error_message());
  return ceas_cli_exit_code(rc);
}

int ceas_cli_fail_rank(int rank, int rc) {
  return rank == 0 ? ceas_cli_fail(rc) : ceas_cli_exit_code(rc);
}

int ceas_cli_fail_all(int rank, int rc) {
  int code = ceas_cli_fail_rank(rank, rc);
  ceas_parallel_finalize();
  return code;
}

int ceas_cli_collective(int argc, char **argv, int (*run)(int argc, char **argv, int rank,
                                                          int size)) {
  int rank = 0, size = 1;
  ceas_parallel_init(&argc, &argv, &rank, &size);
  int code = run(argc, argv, rank, size);
  ceas_parallel_finalize();
  return code;
}

static void on_signal(int sig) {
  (void)sig;
  ceas_cli_stop = 1;
}

void ceas_cli_install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* The commands: dispatch, `ceasim --help` and the unknown-command message. */
static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"run", ceas_cli_run, "one Monte Carlo simulation: observables with error bars, HDF5 output"},
    {"demo", ceas_cli_demo, "2D Ising at a few beta values against the exact finite-size answer"},
    {"sweep", ceas_cli_sweep, "a grid of (size, beta, replica) tasks over MPI ranks, resumable"},
    {"collect", ceas_cli_collect, "rebuild a sweep directory's summary.h5 from its task files"},
    {"analyze", ceas_cli_analyze, "reweighting, crossings, finite-size scaling, zeta_CE fits"},
    {"attention", ceas_cli_attention,
     "an attention head as a Gibbs system: beta scan, Newton controller"},
    {"map", ceas_cli_map, "attention head or FFN block -> Ising couplings file (for run --model graph)"},
    {"bench", ceas_cli_bench, "spin-flip attempts per ns of each update kernel vs plain Metropolis"},
    {"anneal", ceas_cli_anneal,
     "minimise an Ising energy (couplings, G-set MaxCut, SK, EA): sa, reads, TTS"}};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out) {
  fprintf(out, "usage: ceasim <command> [options]\n\nceasim %s: Monte Carlo simulator of the "
               "CEAS-Ising NPU.\n\ncommands:\n", ceas_version());
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\noptions:\n"
               "  -h, --help     this message (and `ceasim <command> --help`)\n"
               "  -V, --version  print the version\n"
               "\n"
               "Exit status: 0 success, 1 runtime failure, 2 bad input, 130 interrupted.\n");
}

int main(int argc, char **argv) {
  size_t used = 0;
  for (int i = 0; i < argc && used + 1 < sizeof command_line; i++) {
    int n = snprintf(command_line + used, sizeof command_line - used, "%s%s",
                     i ? " " : "", argv[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
  if (used >= sizeof command_line) used = sizeof command_line - 1;
  ceas_io_init();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("ceasim %s\n", ceas_version());
    return 0;
  }
  char names[256];
  size_t len = 0;
  for (int i = 0; i < NCOMMANDS; i++) {
    if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", commands[i].name,
                            i + 2 < NCOMMANDS ? ", " : i + 1 < NCOMMANDS ? " or " : "");
  }
  return ceas_cli_fail(ceas_error_set(
      CEAS_EINPUT, "unknown command '%s' (expected %s; see ceasim --help)", cmd, names));
}
