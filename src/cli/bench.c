/* ceasim bench: spin-flip attempts per nanosecond of each update kernel on one
 * core, always beside the engine's plain int8 checkerboard Metropolis measured in
 * the same run, so that ratios compare like with like on a shared machine. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_kernel_bench_options.h"
#include "cli.h"

static const char bench_head[] =
    "usage: ceasim bench [--model M[,M]] [--L N[,N...]] [--algo A[,A...]] [--seconds S]\n"
    "                    [--beta B] [--isa I] [--depth D] [--seed S] [--out FILE] [--force]\n"
    "       ceasim bench --tau [--measure-every K] [same options]\n"
    "\n"
    "Spin-flip attempts per nanosecond on one core (every replica's attempt counts),\n"
    "one line per kernel and size, each with its ratio to the plain int8 checkerboard\n"
    "Metropolis, which is always measured in the same run (first, for each size).\n"
    "With --tau: statistical efficiency instead, tau_int(|m|) and independent samples\n"
    "per second (see below), one line per kernel ending in \"indep/s\".\n"
    "\n";

/* The epilogue names CEAS_KERNEL_BENCH_TAU_TARGET. */
#define STR_(x) #x
#define STR(x) STR_(x)
static const char bench_tail[] =
    "\n"
    "Each line ends in the rate, \"R flips/ns\"; timing is CLOCK_MONOTONIC over whole\n"
    "sweeps, at least S seconds per kernel.\n"
    "\n"
    "--tau: each kernel starts hot and records |m| (for msc-replica*: the replica\n"
    "average and 16 single replicas) every K sweeps until S seconds or "
    STR(CEAS_KERNEL_BENCH_TAU_TARGET) " tau of\n"
    "production have passed (at least 64 measurements). A sweep is N updates (metropolis,\n"
    "msc-*: every replica), one Swendsen-Wang update (sw), or a fixed number of Wolff\n"
    "clusters tuned first so that about N spins flip (wolff). The first 20 tau_int are\n"
    "discarded; tau_int(|m|) is Sokal's (per replica, averaged); n_eff = var(|m|) /\n"
    "err^2(<|m|>), err from bins >= 16 tau of the natural estimator (replica average);\n"
    "indep/s = n_eff / production seconds (sweeps and measurements, CLOCK_MONOTONIC).\n"
    "A line says NOT-CONVERGED unless >= 20 tau were discarded and >= 100 tau measured.\n";

static const ceas_option bench_cli_options[] = {
    {"out", "FILE", NULL, "also write the results: FILE.json or FILE.h5 (atomically)", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

static int set_bench(void *o, const char *key, const char *value) {
  return ceas_kernel_bench_option_set(o, key, value);
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

/* One line per kernel and size, as each finishes. */
static void print_result(const ceas_kernel_bench_params *p, const ceas_kernel_bench_result *r,
                         void *o) {
  (void)p;
  ceas_kernel_bench_result_print(stdout, o, r);
  fflush(stdout);
}

int ceas_cli_bench(int argc, char **argv) {
  static ceas_kernel_bench_options o; /* its results are large */
  ceas_kernel_bench_options_default(&o);
  const char *out = NULL;
  int force = 0, help, json = 0;
  void *slots[] = {&out, &force};
  ceas_cli_group g[] = {{ceas_kernel_bench_option_table, set_bench, &o},
                        {bench_cli_options, NULL, slots}};
  int rc = ceas_cli_parse(argc, argv, "bench", g, 2, &help);
  if (help) {
    ceas_cli_usage(stdout, bench_head, g, 2, bench_tail);
    return 0;
  }
  if (!rc) rc = ceas_cli_no_arguments(argc, argv, "bench");
  if (!rc) rc = ceas_kernel_bench_options_finish(&o);
  if (!rc && out) {
    json = ends_with(out, ".json");
    if (!json && !ends_with(out, ".h5") && !ends_with(out, ".hdf5"))
      rc = ceas_error_set(CEAS_EINPUT, "--out: %s: expected a name ending in .json, .h5 or .hdf5",
                          out);
    if (!rc) rc = ceas_io_check_output(out, force);
  }
  if (rc) return ceas_cli_fail(rc);
  ceas_cli_install_signals();
  rc = ceas_kernel_bench_options_run(&o, &ceas_cli_stop, print_result, &o);
  if (!rc && out)
    rc = json ? ceas_kernel_bench_write_json(&o, out, force, ceas_cli_command_line())
              : ceas_kernel_bench_write_h5(&o.p, out, force, ceas_cli_command_line(), o.res,
                                           o.n_res);
  return rc ? ceas_cli_fail(rc) : 0;
}
