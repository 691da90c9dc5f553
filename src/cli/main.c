#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_io.h"
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

/* Counts may be written 100000 or 1e5; anything not a whole number is an error. */
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

static void usage(FILE *out) {
  fprintf(out,
          "usage: ceasim <command> [options]\n"
          "\n"
          "ceasim %s: Monte Carlo simulator of the CEAS-Ising NPU.\n"
          "\n"
          "commands:\n"
          "  run     one Monte Carlo simulation: observables with error bars, HDF5 "
          "output\n"
          "  demo    2D Ising at a few beta values against the exact finite-size "
          "answer\n"
          "  sweep   a grid of (size, beta, replica) tasks over MPI ranks, resumable\n"
          "  collect rebuild a sweep directory's summary.h5 from its task files\n"
          "  analyze reweighting, crossings, finite-size scaling, zeta_CE fits\n"
          "  attention an attention head as a Gibbs system: beta scan, Newton controller\n"
          "  map     attention head or FFN block -> Ising couplings file (for run --model graph)\n"
          "  bench   spin-flip attempts per ns of each update kernel vs plain Metropolis\n"
          "  anneal  minimise an Ising energy (couplings, G-set MaxCut, SK, EA): sa, reads, TTS\n"
          "\n"
          "options:\n"
          "  -h, --help     this message (and `ceasim <command> --help`)\n"
          "  -V, --version  print the version\n"
          "\n"
          "Exit status: 0 success, 1 runtime failure, 2 bad input, 130 "
          "interrupted.\n",
          ceas_version());
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
  if (!strcmp(cmd, "run")) return ceas_cli_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "demo")) return ceas_cli_demo(argc - 1, argv + 1);
  if (!strcmp(cmd, "sweep")) return ceas_cli_sweep(argc - 1, argv + 1);
  if (!strcmp(cmd, "collect")) return ceas_cli_collect(argc - 1, argv + 1);
  if (!strcmp(cmd, "analyze")) return ceas_cli_analyze(argc - 1, argv + 1);
  if (!strcmp(cmd, "attention")) return ceas_cli_attention(argc - 1, argv + 1);
  if (!strcmp(cmd, "map")) return ceas_cli_map(argc - 1, argv + 1);
  if (!strcmp(cmd, "bench")) return ceas_cli_bench(argc - 1, argv + 1);
  if (!strcmp(cmd, "anneal")) return ceas_cli_anneal(argc - 1, argv + 1);
  return ceas_cli_fail(ceas_error_set(CEAS_EINPUT,
                                      "unknown command '%s' (expected run, demo, sweep, collect, "
                                      "analyze, attention, map, bench or anneal; see ceasim --help)",
                                      cmd));
}
