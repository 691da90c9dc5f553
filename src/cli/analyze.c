/* `ceasim analyze DIR`: option parsing; the work is ceas_analysis_run(). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <unistd.h>
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

static const char analyze_head[] =
    "usage: ceasim analyze DIR [options]\n"
    "\n"
    "Analyses a sweep directory (DIR/tasks/*.h5, one `ceasim run` file per task):\n"
    "multi-histogram reweighting per size L, peaks of C and chi', crossings of U4\n"
    "and xi/L, finite-size-scaling fits for beta_c, nu and gamma/nu, a collapse\n"
    "measure; optionally the zeta_CE fit xi = A / max(u, u_min)^nu and the dynamic\n"
    "exponent z. Prints a report and writes DIR/analysis.h5 (see docs/analysis.md).\n"
    "\n";

static int set_analysis(void *o, const char *key, const char *value) {
  return ceas_analysis_option_set(o, key, value);
}

int ceas_cli_analyze(int argc, char **argv) {
  ceas_analysis_options o;
  ceas_analysis_options_default(&o);
  o.report = stdout;
  o.warn = stderr;
  o.notes = stderr;
  o.command_line = ceas_cli_command_line();
  ceas_cli_group g = {ceas_analysis_option_table, set_analysis, &o};
  int help, rc = ceas_cli_parse(argc, argv, "analyze", &g, 1, &help);
  if (help) {
    ceas_cli_usage(stdout, analyze_head, &g, 1,
                   "\nUnreadable task files are named on stderr and skipped.\n");
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
