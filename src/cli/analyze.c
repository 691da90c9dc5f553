/* `ceasim analyze DIR`: option parsing; the work is ceas_analysis_run(). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_analysis.h"
#include "ceas_sweep.h"
#include "cli.h"

/* 1 if the output `out` (NULL: DIR/analysis.h5) lies in `dir` or below it. */
static int writes_into(const char *out, const char *dir) {
  if (!out) return 1;
  char copy[PATH_MAX], o[PATH_MAX], d[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", out);
  if (!realpath(dirname(copy), o) || !realpath(dir, d)) return 0; /* reported later */
  size_t n = strlen(d);
  return !strncmp(o, d, n) && (o[n] == '/' || o[n] == '\0' || n == 1);
}

static void analyze_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim analyze DIR [options]\n"
          "\n"
          "Analyses a sweep directory (DIR/tasks/*.h5, one `ceasim run` file per task):\n"
          "multi-histogram reweighting per size L, peaks of C and chi', crossings of U4\n"
          "and xi/L, finite-size-scaling fits for beta_c, nu and gamma/nu, a collapse\n"
          "measure; optionally the zeta_CE fit xi = A / max(u, u_min)^nu and the dynamic\n"
          "exponent z. Prints a report and writes DIR/analysis.h5 (see docs/analysis.md).\n"
          "\n"
          "output:\n"
          "  --out FILE          write FILE instead of DIR/analysis.h5 (which analyze\n"
          "                      replaces; another existing FILE needs --force)\n"
          "  --force             allow --out to replace an existing file\n"
          "  --quiet             no report and no notes (the notes stay in the file);\n"
          "                      warnings and errors still on stderr\n"
          "reweighting:\n"
          "  --grid N            points of each reweighted curve [201]\n"
          "  --blocks B          jackknife blocks per run, 2..64 [20]\n"
          "finite-size scaling:\n"
          "  --beta-c X          fix beta_c where it is an input (slopes, collapse,\n"
          "                      zeta_CE) and report it as the result\n"
          "  --nu X              fix nu in the shift fits and the collapse\n"
          "  --omega W           correction-to-scaling exponent [1.75 ising2d, 0.83 ising3d]\n"
          "  --collapse-window X use points with |(beta - beta_c) L^(1/nu)| <= X in the\n"
          "                      collapse measure [all]\n"
          "zeta_CE:\n"
          "  --zeta-ce           fit xi_2nd(beta) = A / max(u, u_min)^nu, u = |beta -\n"
          "                      beta_c|/beta_c, on tasks with beta < beta_c, and z from\n"
          "                      tau_int(|m|) ~ xi^z per algorithm\n"
          "  --u-min U           cutoff of u, >= 0; 0 fits the pure power law [0]\n"
          "  --xi-max-frac F     use tasks with xi_2nd <= F L only [0.1667 = 1/6]\n"
          "\n"
          "Unreadable task files are named on stderr and skipped.\n");
}

enum {
  OPT_OUT = 256, OPT_FORCE, OPT_QUIET, OPT_GRID, OPT_BLOCKS, OPT_BETA_C, OPT_NU, OPT_OMEGA,
  OPT_WINDOW, OPT_ZETA, OPT_UMIN, OPT_XIFRAC, OPT_HELP
};

static const struct option analyze_options[] = {
    {"out", required_argument, 0, OPT_OUT},
    {"force", no_argument, 0, OPT_FORCE},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"grid", required_argument, 0, OPT_GRID},
    {"blocks", required_argument, 0, OPT_BLOCKS},
    {"beta-c", required_argument, 0, OPT_BETA_C},
    {"nu", required_argument, 0, OPT_NU},
    {"omega", required_argument, 0, OPT_OMEGA},
    {"collapse-window", required_argument, 0, OPT_WINDOW},
    {"zeta-ce", no_argument, 0, OPT_ZETA},
    {"u-min", required_argument, 0, OPT_UMIN},
    {"xi-max-frac", required_argument, 0, OPT_XIFRAC},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0}};

int ceas_cli_analyze(int argc, char **argv) {
  ceas_analysis_options o;
  ceas_analysis_options_default(&o);
  o.report = stdout;
  o.warn = stderr;
  o.notes = stderr;
  o.command_line = ceas_cli_command_line();
  int help = 0, rc = CEAS_OK, c;
  long v;
  opterr = 0;
  optind = 1;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, analyze_options, NULL)) != -1) {
    const char *name = c >= OPT_OUT && c <= OPT_HELP ? analyze_options[c - OPT_OUT].name : "";
    char what[64];
    snprintf(what, sizeof what, "--%s", name);
    switch (c) {
      case OPT_OUT: o.out = optarg; break;
      case OPT_FORCE: o.force = 1; break;
      case OPT_QUIET:
        o.report = NULL;
        o.notes = NULL;
        break;
      case OPT_GRID:
        rc = ceas_parse_long(optarg, what, 11, 100001, &v);
        o.grid = (size_t)v;
        break;
      case OPT_BLOCKS:
        rc = ceas_parse_long(optarg, what, 2, 64, &v);
        o.blocks = (size_t)v;
        break;
      case OPT_BETA_C: rc = ceas_parse_double(optarg, what, &o.beta_c); break;
      case OPT_NU: rc = ceas_parse_double(optarg, what, &o.nu); break;
      case OPT_OMEGA: rc = ceas_parse_double(optarg, what, &o.omega); break;
      case OPT_WINDOW: rc = ceas_parse_double(optarg, what, &o.collapse_window); break;
      case OPT_ZETA: o.zeta_ce = 1; break;
      case OPT_UMIN: rc = ceas_parse_double(optarg, what, &o.u_min); break;
      case OPT_XIFRAC: rc = ceas_parse_double(optarg, what, &o.xi_max_frac); break;
      case OPT_HELP: help = 1; break;
      default: rc = ceas_cli_option_error(c, argv, "analyze");
    }
  }
  if (help) {
    analyze_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if (optind >= argc)
    return ceas_cli_fail(ceas_error_set(
        CEAS_EINPUT, "analyze: expected a sweep directory DIR (see ceasim analyze --help)"));
  if (optind + 1 < argc)
    return ceas_cli_fail(ceas_error_set(
        CEAS_EINPUT, "analyze: unexpected argument '%s' (one DIR only)", argv[optind + 1]));
  o.dir = argv[optind];
  /* A running sweep's task files may be read (each appears complete, by rename),
   * but its directory is not ours to write into. */
  if (writes_into(o.out, o.dir) &&
      (rc = ceas_sweep_lock_check(o.dir, "analyze it when it has ended, or now with --out "
                                         "FILE outside it")))
    return ceas_cli_fail(rc);
  /* Parsed values get their range checks (with the option's name) here too, so
   * that a bad value fails before the directory is read. */
  rc = ceas_analysis_run(&o);
  return rc ? ceas_cli_fail(rc) : 0;
}
