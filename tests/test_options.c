/* The option setters a program or a binding uses to describe a run, a sweep or an
 * annealing job in the CLI's own words (ceas_task_options.h, ceas_sweep.h,
 * ceas_anneal_options.h): values land where the CLI's would, bad values and
 * unknown keys are CEAS_EINPUT with one line naming the option, and the finish
 * steps make the checks between options. */
#include <criterion/criterion.h>
#include <string.h>

#include "ceas_analysis.h"
#include "ceas_anneal_options.h"
#include "ceas_head_analysis.h"
#include "ceas_kernel_bench_options.h"
#include "ceas_mapping.h"
#include "ceas_core.h"
#include "ceas_sweep.h"
#include "ceas_task_options.h"

static void expect_names(const char *what) {
  const char *m = ceas_error_message();
  cr_expect(strstr(m, what) != NULL, "message '%s' does not name %s", m, what);
  cr_expect(strchr(m, '\n') == NULL, "message '%s' is not one line", m);
}

Test(options, task) {
  ceas_task_options o;
  ceas_task_options_default(&o);
  cr_assert_eq(ceas_task_option_set(&o, "model", "ising3d"), CEAS_OK, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_option_set(&o, "L", "12"), CEAS_OK);
  cr_assert_eq(ceas_task_option_set(&o, "beta", "0.2216"), CEAS_OK);
  cr_assert_eq(ceas_task_option_set(&o, "sweeps", "1e4"), CEAS_OK, "counts in e-notation");
  cr_assert_eq(ceas_task_option_set(&o, "measure-every", "3"), CEAS_OK);
  cr_expect_eq(o.p.L, 12);
  cr_expect_eq(o.p.beta, 0.2216);
  cr_expect_eq(o.p.sweeps, 10000u);
  cr_expect_eq(o.p.measure_every, 3u);
  cr_expect_eq(ceas_task_options_finish(&o), CEAS_OK);

  cr_expect_eq(ceas_task_option_set(&o, "beta", "-1"), CEAS_EINPUT);
  expect_names("--beta");
  cr_expect_eq(ceas_task_option_set(&o, "sweeps", "1.5"), CEAS_EINPUT);
  expect_names("--sweeps");
  cr_expect_eq(ceas_task_option_set(&o, "colour", "red"), CEAS_EINPUT, "unknown key");
  expect_names("colour");
  cr_expect_eq(ceas_task_option_set(&o, "L", "1"), CEAS_EINPUT, "a lattice below 2");
  expect_names("--L");
  /* A graph's size is its couplings file's n: --L with a graph is refused. */
  cr_assert_eq(ceas_task_option_set(&o, "model", "graph"), CEAS_OK, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_option_set(&o, "couplings", "J.h5"), CEAS_OK);
  cr_expect_eq(ceas_task_options_finish(&o), CEAS_EINPUT);
  expect_names("--L");

  /* The shared parameters say "not mine" without an error for other keys. */
  ceas_task_params p;
  ceas_task_params_default(&p);
  cr_expect_eq(ceas_task_param_set(&p, "beta", "0.3", "--beta"), CEAS_TASK_NOT_A_PARAM);
  cr_expect_eq(ceas_task_param_set(&p, "measure_every", "7", "measure_every"), CEAS_OK,
               "'-' and '_' alike");
  cr_expect_eq(p.measure_every, 7u);
}

Test(options, sweep) {
  ceas_sweep_spec s;
  ceas_sweep_spec_init(&s);
  cr_assert_eq(ceas_sweep_option_set(&s, "L", "8,16", "--L"), CEAS_OK, "%s", ceas_error_message());
  cr_assert_eq(ceas_sweep_option_set(&s, "beta", "0.40:0.46:4", "--beta"), CEAS_OK, "%s",
               ceas_error_message());
  cr_assert_eq(ceas_sweep_option_set(&s, "algo", "wolff", "--algo"), CEAS_OK);
  cr_assert_eq(ceas_sweep_option_set(&s, "out", "/tmp/never-written", "--out"), CEAS_OK);
  cr_expect_eq(s.nL, 2u);
  cr_expect_eq(s.nbeta, 4u);
  cr_expect_str_eq(s.base.algo, "wolff");
  cr_expect_eq(ceas_sweep_option_set(&s, "algo", "glauber", "--algo"), CEAS_EINPUT);
  expect_names("--algo");
  cr_expect_eq(ceas_sweep_option_set(&s, "beta", "0.5:0.4:3", "beta"), CEAS_EINPUT,
               "a decreasing grid");
  expect_names("beta");
  cr_expect_eq(ceas_sweep_option_set(&s, "temperature", "2", "temperature"), CEAS_EINPUT);
  expect_names("temperature");
  ceas_sweep_spec_free(&s);
}

Test(options, anneal) {
  ceas_anneal_options o;
  ceas_anneal_options_default(&o);
  cr_assert_eq(ceas_anneal_option_set(&o, "model", "ea2d"), CEAS_OK, "%s", ceas_error_message());
  cr_assert_eq(ceas_anneal_option_set(&o, "L", "8"), CEAS_OK);
  cr_assert_eq(ceas_anneal_option_set(&o, "method", "pt"), CEAS_OK);
  cr_assert_eq(ceas_anneal_option_set(&o, "reads", "3"), CEAS_OK);
  cr_assert_eq(ceas_anneal_options_finish(&o), CEAS_OK, "%s", ceas_error_message());
  cr_assert_not_null(o.m);
  cr_expect_str_eq(o.m->name, "pt");
  cr_expect_eq(o.reads, 3u);

  ceas_anneal_options_default(&o);
  cr_expect_eq(ceas_anneal_option_set(&o, "reads", "-2"), CEAS_EINPUT);
  expect_names("--reads");
  cr_expect_eq(ceas_anneal_option_set(&o, "warp-speed", "9"), CEAS_EINPUT, "unknown key");
  expect_names("--warp-speed");
  /* An option of another method is refused by the finish step. */
  cr_assert_eq(ceas_anneal_option_set(&o, "model", "sk"), CEAS_OK);
  cr_assert_eq(ceas_anneal_option_set(&o, "method", "sa"), CEAS_OK);
  cr_assert_eq(ceas_anneal_option_set(&o, "temperatures", "8"), CEAS_OK);
  cr_expect_eq(ceas_anneal_options_finish(&o), CEAS_EINPUT);
  expect_names("--temperatures");
}

/* The option tables (ceas_options.h) are what a front end lists and what the
 * setters accept: every entry has help and a section, its name reaches a setter
 * branch (a bad value is refused for what it is, never as an unknown name), and
 * a name outside the table is refused. */
static void expect_table(const ceas_option *t, int (*set)(const char *key, const char *value)) {
  size_t n = 0;
  for (const ceas_option *o = t; o->name; o++, n++) {
    cr_expect(o->help && *o->help && o->section && *o->section, "--%s: help, section", o->name);
    if (!o->metavar)
      cr_expect_eq(set(o->name, NULL), CEAS_OK, "flag --%s: %s", o->name, ceas_error_message());
    else if (set(o->name, "?") != CEAS_OK)
      cr_expect(!strstr(ceas_error_message(), "unknown option") &&
                    !strstr(ceas_error_message(), "unknown key") &&
                    !strstr(ceas_error_message(), "unknown anneal option"),
                "--%s: %s", o->name, ceas_error_message());
  }
  cr_expect(n >= 2, "%zu options", n);
  cr_expect_eq(set("no-such-option", "1"), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "unknown") != NULL, "%s", ceas_error_message());
}

static ceas_task_options table_task;
static int set_task(const char *key, const char *value) {
  return ceas_task_option_set(&table_task, key, value);
}
static ceas_sweep_spec table_sweep;
static int set_sweep(const char *key, const char *value) {
  return ceas_sweep_option_set(&table_sweep, key, value, key);
}

static ceas_anneal_options table_anneal;
static int set_anneal(const char *key, const char *value) {
  return ceas_anneal_option_set(&table_anneal, key, value);
}

static ceas_mapping_request table_map;
static int set_map(const char *key, const char *value) {
  return ceas_mapping_option_set(&table_map, key, value);
}
static ceas_head_analysis_options table_head;
static int set_head(const char *key, const char *value) {
  return ceas_head_analysis_option_set(&table_head, key, value);
}
static ceas_analysis_options table_analysis;
static int set_analysis(const char *key, const char *value) {
  return ceas_analysis_option_set(&table_analysis, key, value);
}

static ceas_kernel_bench_options table_bench;
static int set_bench(const char *key, const char *value) {
  return ceas_kernel_bench_option_set(&table_bench, key, value);
}

Test(options, tables) {
  ceas_task_options_default(&table_task);
  expect_table(ceas_task_option_table, set_task);
  ceas_sweep_spec_init(&table_sweep);
  expect_table(ceas_sweep_option_table, set_sweep);
  ceas_sweep_spec_free(&table_sweep);
  ceas_anneal_options_default(&table_anneal);
  expect_table(ceas_anneal_option_table, set_anneal);
  ceas_mapping_request_default(&table_map);
  expect_table(ceas_mapping_option_table, set_map);
  expect_table(ceas_headsrc_option_table, set_map);
  expect_table(ceas_headsrc_value_option_table, set_map);
  ceas_head_analysis_options_default(&table_head);
  expect_table(ceas_head_analysis_option_table, set_head);
  expect_table(ceas_headsrc_option_table, set_head);
  ceas_analysis_options_default(&table_analysis);
  expect_table(ceas_analysis_option_table, set_analysis);
  ceas_kernel_bench_options_default(&table_bench);
  expect_table(ceas_kernel_bench_option_table, set_bench);
  cr_expect_not_null(ceas_option_find(ceas_task_option_table, "measure_every"), "'_' as '-'");
}
