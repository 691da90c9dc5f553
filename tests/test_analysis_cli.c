/* `ceasim analyze` end to end: a small sweep directory made here with the task
 * API, the binary run on it (build/ceasim next to this test's directory), and
 * analysis.h5 checked against docs/analysis.md; bad input exits 2 and writes
 * nothing. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <hdf5.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_task.h"
#include "mc_support.h"

static char ceasim[4096];
static char work[256];

static void find_binary(void) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  cr_assert(n > 0, "cannot read /proc/self/exe");
  self[n] = '\0';
  snprintf(ceasim, sizeof ceasim, "%s/../ceasim", dirname(self));
  cr_assert(access(ceasim, X_OK) == 0, "%s: not built", ceasim);
}

static void setup(void) {
  ceas_io_init();
  find_binary();
  snprintf(work, sizeof work, "/tmp/ceasim-analyze-XXXXXX");
  cr_assert_not_null(mkdtemp(work));
}

static void teardown(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", work);
}

static void mkdir_p(const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", work, rel);
  cr_assert(mkdir(p, 0755) == 0 || access(p, F_OK) == 0, "mkdir %s", p);
}

/* One task file in the sweep layout: the `ceasim run` file plus `replica`. */
static ceas_task *make_task(const char *dir, ceas_model_kind model, long L, double beta,
                            uint64_t sweeps, int replica) {
  ceas_task_params p;
  ceas_task_params_default(&p);
  p.model = model;
  p.L = L;
  p.beta = beta;
  p.algo = "wolff";
  p.sweeps = sweeps;
  p.therm = 500;
  p.seed = 100 + (uint64_t)(1000 * beta) + (uint64_t)L;
  p.stream = (uint64_t)replica;
  ceas_task *t = NULL;
  cr_assert_eq(ceas_task_create(&p, &t), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_run(t, NULL, NULL, NULL), 0, "%s", ceas_error_message());
  char path[512];
  snprintf(path, sizeof path, "%s/%s/tasks/L%ld_b%.4f_r%d.h5", work, dir, L, beta, replica);
  ceas_io_file f;
  cr_assert_eq(ceas_io_file_create(path, 0, &f), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_write(t, f.file, "test"), 0);
  cr_assert_eq(ceas_io_attr_int64(f.file, "replica", replica), 0);
  cr_assert_eq(ceas_io_file_commit(&f), 0, "%s", ceas_error_message());
  return t;
}

static void make_sweep(const char *dir, const long *Ls, size_t nL, const double *betas,
                       size_t nb, uint64_t sweeps) {
  char rel[256];
  mkdir_p(dir);
  snprintf(rel, sizeof rel, "%s/tasks", dir);
  mkdir_p(rel);
  for (size_t i = 0; i < nL; i++)
    for (size_t j = 0; j < nb; j++)
      ceas_task_free(make_task(dir, CEAS_MODEL_ISING2D, Ls[i], betas[j], sweeps, 0));
}

static void write_text(const char *rel, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", work, rel);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

/* Runs `ceasim analyze ARGS` (ARGS relative to the work directory). */
static int analyze(const char *args) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s' analyze %s >out.txt 2>err.txt </dev/null", work,
           ceasim, args);
  int st = system(cmd);
  cr_assert(st != -1 && WIFEXITED(st), "could not run %s", cmd);
  return WEXITSTATUS(st);
}

static char *slurp(const char *rel) {
  static char buf[65536];
  char p[512];
  snprintf(p, sizeof p, "%s/%s", work, rel);
  FILE *f = fopen(p, "r");
  buf[0] = '\0';
  if (!f) return buf;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static int exists(const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", work, rel);
  return access(p, F_OK) == 0;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* Exit 2, exactly one line on stderr (containing `needle`), and no output. */
static void expect_input_error(const char *args, const char *needle, const char *no_file) {
  int rc = analyze(args);
  const char *err = slurp("err.txt");
  cr_expect_eq(rc, 2, "ceasim analyze %s: exit %d, expected 2 (stderr: %s)", args, rc, err);
  cr_expect_eq(count_lines(err), 1, "ceasim analyze %s: stderr should be one line: %s", args, err);
  cr_expect(strstr(err, needle) != NULL, "ceasim analyze %s: stderr lacks '%s': %s", args,
            needle, err);
  if (no_file) cr_expect(!exists(no_file), "ceasim analyze %s: %s was written", args, no_file);
}

/* ---- HDF5 readers ------------------------------------------------------------ */

static double attr_d(hid_t loc, const char *obj, const char *name) {
  double v = NAN;
  cr_assert(H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) > 0, "no attribute %s on %s", name, obj);
  hid_t a = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  H5Aread(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  return v;
}

/* String attributes are variable-length UTF-8 (ceas_io.h); the io reader also
 * takes fixed-length ones. */
static void attr_s(hid_t loc, const char *obj, const char *name, char *buf, size_t cap) {
  cr_assert(H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) > 0, "no attribute %s on %s", name, obj);
  hid_t o = H5Oopen(loc, obj, H5P_DEFAULT);
  cr_assert(o >= 0, "cannot open %s", obj);
  int rc = ceas_io_read_attr_string(o, obj, name, buf, cap);
  H5Oclose(o);
  cr_assert_eq(rc, CEAS_OK, "attribute %s on %s: %s", name, obj, ceas_error_message());
}

/* Reads a 1-D float64 dataset; returns its length (asserts it exists). */
static size_t read_ds(hid_t f, const char *path, double *buf, size_t cap) {
  cr_assert(H5Lexists(f, path, H5P_DEFAULT) > 0 || 1);
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  cr_assert(d >= 0, "no dataset %s", path);
  hid_t sp = H5Dget_space(d);
  hsize_t n = 0;
  cr_assert_eq(H5Sget_simple_extent_ndims(sp), 1, "%s is not 1-D", path);
  H5Sget_simple_extent_dims(sp, &n, NULL);
  cr_assert(n <= cap, "%s: %llu entries > %zu", path, (unsigned long long)n, cap);
  if (n) H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Sclose(sp);
  H5Dclose(d);
  return (size_t)n;
}

static hid_t open_out(const char *rel) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", work, rel);
  hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  cr_assert(f >= 0, "cannot open %s", p);
  return f;
}

/* ---- tests ------------------------------------------------------------------------ */

static const long sizes3[3] = {6, 8, 12};
static const double betas7[7] = {0.30, 0.34, 0.38, 0.41, 0.44, 0.47, 0.50};

Test(analyze_cli, writes_the_documented_layout, .init = setup, .fini = teardown,
     .timeout = 300) {
  make_sweep("sw", sizes3, 3, betas7, 7, 4000);
  int rc = analyze("sw --zeta-ce --xi-max-frac 0.25");
  const char *err = slurp("err.txt");
  cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
  const char *out = slurp("out.txt");
  cr_expect(strstr(out, "crossings of xi_over_L") != NULL, "report: %s", out);
  cr_expect(strstr(out, "beta_c") != NULL);
  cr_expect(strstr(out, "CEAS range nu in [0.5, 1]") != NULL, "report: %s", out);
  cr_expect(strstr(out, "algo wolff: z") != NULL, "report: %s", out);
  cr_expect(strstr(out, "wrote sw/analysis.h5") != NULL);
  cr_assert(exists("sw/analysis.h5"));

  hid_t f = open_out("sw/analysis.h5");
  char s[4096];
  attr_s(f, ".", "kind", s, sizeof s);
  cr_expect_str_eq(s, "ceasim analyze");
  attr_s(f, ".", "ceasim_version", s, sizeof s);
  cr_expect(strlen(s) > 0);
  attr_s(f, ".", "command_line", s, sizeof s);
  cr_expect(strstr(s, "analyze sw --zeta-ce") != NULL, "command_line '%s'", s);
  attr_s(f, ".", "model", s, sizeof s);
  cr_expect_str_eq(s, "ising2d");
  cr_expect_eq(attr_d(f, ".", "n_tasks_used"), 21);
  cr_expect_eq(attr_d(f, ".", "n_tasks_skipped"), 0);
  cr_expect_eq(attr_d(f, ".", "n_sizes"), 3);

  static double buf[4096], buf2[4096];
  /* Per-task points, sorted by L then beta. */
  cr_expect_eq(read_ds(f, "tasks/L", buf, 4096), 21);
  cr_expect_eq(buf[0], 6);
  cr_expect_eq(buf[20], 12);
  read_ds(f, "tasks/beta", buf, 4096);
  cr_expect_eq(buf[0], 0.30);
  cr_expect_eq(buf[6], 0.50);
  static const char *const task_cols[] = {
      "replica", "n_samples", "converged", "energy", "energy_error", "specific_heat",
      "specific_heat_error", "abs_magnetization", "abs_magnetization_error",
      "susceptibility_connected", "susceptibility_connected_error", "binder", "binder_error",
      "xi_2nd", "xi_2nd_error", "xi_over_L", "xi_over_L_error", "tau_int_abs_magnetization",
      "tau_int_abs_magnetization_error", "tau_int_energy", "tau_int_energy_error"};
  for (size_t i = 0; i < sizeof task_cols / sizeof task_cols[0]; i++) {
    char p[128];
    snprintf(p, sizeof p, "tasks/%s", task_cols[i]);
    cr_expect_eq(read_ds(f, p, buf, 4096), 21, "%s", p);
  }
  read_ds(f, "tasks/xi_2nd", buf, 4096);
  read_ds(f, "tasks/xi_over_L", buf2, 4096);
  cr_expect(fabs(buf2[20] - buf[20] / 12.0) < 1e-15);
  read_ds(f, "tasks/n_samples", buf, 4096);
  cr_expect_eq(buf[0], 4000);

  /* Sizes: grid curves with errors; peaks. */
  cr_expect_eq(read_ds(f, "sizes/L", buf, 4096), 3);
  cr_expect_eq(buf[2], 12);
  size_t G = read_ds(f, "sizes/L8/beta", buf, 4096);
  cr_expect_eq(G, 201);
  cr_expect(buf[0] < 0.30 && buf[200] > 0.50, "grid %g..%g", buf[0], buf[200]);
  static const char *const curves[] = {
      "energy", "specific_heat", "abs_magnetization", "m2", "m4", "susceptibility",
      "susceptibility_connected", "binder", "xi_over_L", "dbinder_dbeta", "dxi_over_L_dbeta"};
  for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
    char p[128];
    snprintf(p, sizeof p, "sizes/L8/%s", curves[i]);
    cr_expect_eq(read_ds(f, p, buf, 4096), G, "%s", p);
    snprintf(p, sizeof p, "sizes/L8/%s_error", curves[i]);
    cr_expect_eq(read_ds(f, p, buf, 4096), G, "%s", p);
    for (size_t k = 0; k < G; k++) cr_expect(isfinite(buf[k]) && buf[k] >= 0, "%s[%zu] = %g", p, k, buf[k]);
  }
  cr_expect_eq(read_ds(f, "sizes/L8/betas_simulated", buf, 4096), 7);
  cr_expect_eq(attr_d(f, "sizes/L12", "n_runs"), 7);
  cr_expect(isfinite(attr_d(f, "sizes/L12", "susceptibility_connected_peak_beta")));
  cr_expect(isfinite(attr_d(f, "sizes/L12", "susceptibility_connected_max_error")));
  cr_expect_eq(read_ds(f, "peaks/susceptibility_connected_peak_beta", buf, 4096), 3);
  cr_expect_eq(read_ds(f, "peaks/specific_heat_max_error", buf, 4096), 3);

  /* Crossings between consecutive sizes, near beta_c. */
  cr_expect_eq(read_ds(f, "crossings/xi_over_L/L1", buf, 4096), 2);
  cr_expect_eq(buf[0], 6);
  cr_expect_eq(buf[1], 8);
  read_ds(f, "crossings/xi_over_L/beta", buf, 4096);
  read_ds(f, "crossings/xi_over_L/beta_error", buf2, 4096);
  const double bc = 0.5 * log1p(sqrt(2.0));
  for (int i = 0; i < 2; i++)
    cr_expect(isfinite(buf[i]) && fabs(buf[i] - bc) < 0.02, "crossing %d at %g", i, buf[i]);
  static const char *const xcols[] = {"L2", "found", "value", "value_error", "slope_L1",
                                      "slope_L1_error", "slope_L2", "slope_L2_error", "inv_nu",
                                      "inv_nu_error"};
  for (size_t i = 0; i < sizeof xcols / sizeof xcols[0]; i++) {
    char p[128];
    snprintf(p, sizeof p, "crossings/binder/%s", xcols[i]);
    cr_expect_eq(read_ds(f, p, buf, 4096), 2, "%s", p);
  }

  /* FSS fits: every documented group with its attributes and points. */
  static const char *const fits[] = {
      "beta_c_xi_crossings", "beta_c_binder_crossings", "nu_xi_slope", "nu_binder_slope",
      "nu_xi_slope_corrected", "nu_binder_slope_corrected", "beta_c_chi_peaks",
      "beta_c_chi_peaks_corrected", "gamma_over_nu_chi_max",
      "gamma_over_nu_chi_max_corrected"};
  for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
    char g[128];
    snprintf(g, sizeof g, "fss/%s", fits[i]);
    cr_expect(H5Lexists(f, g, H5P_DEFAULT) > 0, "no group %s", g);
    attr_s(f, g, "formula", s, sizeof s);
    attr_s(f, g, "parameter_names", s, sizeof s);
    attr_d(f, g, "chi2_per_dof");
    attr_d(f, g, "error_scale");
    char *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      char e[96];
      attr_d(f, g, tok);
      snprintf(e, sizeof e, "%s_error", tok);
      attr_d(f, g, e);
    }
    char p[160];
    snprintf(p, sizeof p, "%s/x", g);
    size_t nx = read_ds(f, p, buf, 4096);
    snprintf(p, sizeof p, "%s/y_error", g);
    cr_expect_eq(read_ds(f, p, buf, 4096), nx);
  }
  cr_expect_eq(attr_d(f, "fss/beta_c_xi_crossings", "ok"), 1);
  double fb = attr_d(f, "fss/beta_c_xi_crossings", "beta_c");
  cr_expect(fabs(fb - bc) < 0.02, "fitted beta_c %g", fb);
  cr_expect_eq(read_ds(f, "fss/slopes/L", buf, 4096), 3);
  cr_expect(isfinite(attr_d(f, "fss/collapse_xi_over_L", "S")));
  cr_expect(isfinite(attr_d(f, "fss/collapse_binder", "optimized_nu")));

  /* Results with references. */
  cr_expect(isfinite(attr_d(f, "results", "beta_c")));
  cr_expect(isfinite(attr_d(f, "results", "nu")));
  cr_expect(isfinite(attr_d(f, "results", "gamma_over_nu")));
  cr_expect_eq(attr_d(f, "results", "nu_reference"), 1.0);
  cr_expect(fabs(attr_d(f, "results", "beta_c_reference") - bc) < 1e-15);
  attr_s(f, "results", "beta_c_estimator", s, sizeof s);
  cr_expect(strstr(s, "xi_over_L crossings") != NULL, "estimator '%s'", s);

  /* zeta_CE and z. */
  cr_expect(H5Lexists(f, "zeta_ce", H5P_DEFAULT) > 0);
  cr_expect_eq(attr_d(f, "zeta_ce", "ok"), 1);
  double znu = attr_d(f, "zeta_ce", "nu");
  cr_expect(isfinite(znu) && isfinite(attr_d(f, "zeta_ce", "nu_error")));
  cr_expect_eq(attr_d(f, "zeta_ce", "u_min"), 0.0);
  size_t nz = read_ds(f, "zeta_ce/x", buf, 4096);
  cr_expect(nz >= 3, "%zu zeta points", nz);
  cr_expect_eq(read_ds(f, "zeta_ce/u", buf, 4096), nz);
  cr_expect_eq(read_ds(f, "zeta_ce/tau_int_abs_magnetization", buf, 4096), nz);
  cr_expect(H5Lexists(f, "zeta_ce/z", H5P_DEFAULT) > 0 &&
            H5Lexists(f, "zeta_ce/z/wolff", H5P_DEFAULT) > 0);
  attr_d(f, "zeta_ce/z/wolff", "p");
  H5Fclose(f);

  /* analyze replaces its own analysis.h5; --out writes elsewhere, refuses to
   * overwrite without --force. */
  cr_expect_eq(analyze("sw --quiet"), 0, "%s", slurp("err.txt"));
  cr_expect_str_eq(slurp("out.txt"), "");
  cr_expect_eq(analyze("sw --quiet --out other.h5"), 0);
  cr_expect(exists("other.h5"));
  expect_input_error("sw --quiet --out other.h5", "--force", NULL);
  cr_expect_eq(analyze("sw --quiet --out other.h5 --force --nu 1 --beta-c 0.4406868"), 0,
               "%s", slurp("err.txt"));
  f = open_out("other.h5");
  cr_expect_eq(attr_d(f, "results", "beta_c"), 0.4406868);
  cr_expect_eq(attr_d(f, "results", "nu"), 1.0);
  cr_expect_eq(attr_d(f, "fss/beta_c_xi_crossings", "x_fixed"), 1);
  cr_expect_eq(attr_d(f, "fss/slopes", "beta"), 0.4406868);
  H5Fclose(f);
}

Test(analyze_cli, bad_input_exits_2_without_output, .init = setup, .fini = teardown) {
  expect_input_error("nosuchdir", "nosuchdir", NULL);
  mkdir_p("empty");
  expect_input_error("empty", "tasks", "empty/analysis.h5");
  mkdir_p("empty/tasks");
  expect_input_error("empty", "no task files", "empty/analysis.h5");
  mkdir_p("bad");
  mkdir_p("bad/tasks");
  write_text("bad/tasks/broken.h5", "this is not HDF5\n");
  int rc = analyze("bad");
  const char *err = slurp("err.txt");
  cr_expect_eq(rc, 2);
  cr_expect(strstr(err, "broken.h5") != NULL && strstr(err, "warning") != NULL, "%s", err);
  cr_expect(!exists("bad/analysis.h5"));

  static const long one[1] = {6};
  static const double two[2] = {0.40, 0.44};
  make_sweep("ok", one, 1, two, 2, 2000);
  expect_input_error("ok --u-min -1", "--u-min", "ok/analysis.h5");
  expect_input_error("ok --zeta-ce --u-min -0.5", "--u-min", "ok/analysis.h5");
  expect_input_error("ok --blocks 1", "--blocks", "ok/analysis.h5");
  expect_input_error("ok --grid 5", "--grid", "ok/analysis.h5");
  expect_input_error("ok --xi-max-frac 0", "--xi-max-frac", "ok/analysis.h5");
  expect_input_error("ok --beta-c -0.4", "--beta-c", "ok/analysis.h5");
  expect_input_error("ok --nu abc", "--nu", "ok/analysis.h5");
  expect_input_error("ok --frobnicate", "--frobnicate", "ok/analysis.h5");
  expect_input_error("ok ok", "unexpected argument", "ok/analysis.h5");
  expect_input_error("", "DIR", NULL);
  expect_input_error("ok --out nodir/x.h5", "does not exist", NULL);
  /* An analysis.h5 that analyze did not write is not replaced. */
  write_text("ok/analysis.h5", "precious\n");
  expect_input_error("ok", "not written by ceasim analyze", NULL);
  cr_expect_str_eq(slurp("ok/analysis.h5"), "precious\n");
  /* Mixed models. */
  ceas_task_free(make_task("ok", CEAS_MODEL_ISING3D, 4, 0.22, 2000, 0));
  expect_input_error("ok --out mixed.h5", "mixes models", "mixed.h5");
  /* --help is not an error. */
  cr_expect_eq(analyze("--help"), 0);
  cr_expect(strstr(slurp("out.txt"), "usage: ceasim analyze DIR") != NULL);
}

/* The root attributes of an L = 6 ising2d task file, for hand-made damaged ones. */
static void task_attrs_l6(hid_t f) {
  ceas_io_attr_string(f, "model", "ising2d");
  ceas_io_attr_string(f, "algo", "wolff");
  ceas_io_attr_double(f, "beta", 0.42);
  ceas_io_attr_double(f, "h", 0.0);
  ceas_io_attr_int64(f, "n_spins", 36);
  ceas_io_attr_int64(f, "L", 6);
  ceas_io_attr_int64(f, "dim", 2);
}

Test(analyze_cli, damaged_file_is_named_and_skipped, .init = setup, .fini = teardown) {
  static const long ls[2] = {6, 8};
  static const double bs[3] = {0.40, 0.44, 0.48};
  make_sweep("sw", ls, 2, bs, 3, 2000);
  /* A second replica of one (L, beta): an independent run, reweighted with the rest. */
  ceas_task_free(make_task("sw", CEAS_MODEL_ISING2D, 8, 0.44, 2000, 1));
  write_text("sw/tasks/zz_truncated.h5", "\x89HDF\r\n\x1a\n garbage");
  write_text("sw/tasks/.L6_b0.42.h5.tmp.123", "a sweep's temporary: ignored");
  /* A file without a required dataset: a valid HDF5 file with attributes only. */
  char p[512];
  snprintf(p, sizeof p, "%s/sw/tasks/no_series.h5", work);
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  task_attrs_l6(f);
  H5Fclose(f);
  /* Sealed like a file ceasim wrote, so that the checks behind the checksum are reached. */
  cr_assert_eq(ceas_io_seal(p, p), 0, "%s", ceas_error_message());
  /* beta as an array of 4: the attribute readers take one number or refuse (reading
   * it into one double wrote past it). */
  snprintf(p, sizeof p, "%s/sw/tasks/array_beta.h5", work);
  f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  task_attrs_l6(f);
  {
    H5Adelete(f, "beta");
    hsize_t four = 4;
    const double b4[4] = {0.42, 0.43, 0.44, 0.45};
    hid_t asp = H5Screate_simple(1, &four, NULL);
    hid_t a = H5Acreate2(f, "beta", H5T_NATIVE_DOUBLE, asp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, b4);
    H5Aclose(a);
    H5Sclose(asp);
  }
  H5Fclose(f);
  cr_assert_eq(ceas_io_seal(p, p), 0, "%s", ceas_error_message());
  /* A size lie (issue 15): series whose dataspaces claim 2^61 + 1 entries that the
   * file never stored (chunked, unwritten); reading them was out of bounds. */
  snprintf(p, sizeof p, "%s/sw/tasks/size_lie.h5", work);
  f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  task_attrs_l6(f);
  hid_t g = H5Gcreate2(f, "timeseries", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t lie = ((hsize_t)1 << 61) + 1, chunk = 1024;
  hid_t sp = H5Screate_simple(1, &lie, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &chunk);
  const char *names[3] = {"energy", "magnetization", "structure_factor_kmin"};
  for (int i = 0; i < 3; i++)
    H5Dclose(H5Dcreate2(g, names[i], H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, pl, H5P_DEFAULT));
  H5Pclose(pl);
  H5Sclose(sp);
  H5Gclose(g);
  H5Fclose(f);
  cr_assert_eq(ceas_io_seal(p, p), 0, "%s", ceas_error_message());
  /* One byte of a finished task file damaged (issue 15: 0xFF at offset 837 crashed
   * HDF5): named and skipped, found by its checksum before HDF5 reads it. */
  snprintf(p, sizeof p, "%s/sw/tasks/zz_damaged.h5", work);
  {
    char src[512];
    snprintf(src, sizeof src, "%s/sw/tasks/L6_b0.4000_r0.h5", work);
    FILE *in = fopen(src, "rb"), *out = fopen(p, "wb");
    cr_assert(in && out);
    int c;
    for (long at = 0; (c = fgetc(in)) != EOF; at++) fputc(at == 837 ? 0xFF : c, out);
    fclose(in);
    fclose(out);
  }
  int rc = analyze("sw");
  const char *err = slurp("err.txt");
  cr_assert_eq(rc, 0, "%s", err);
  cr_expect(strstr(err, "size_lie.h5") != NULL, "%s", err);
  cr_expect(strstr(err, "zz_truncated.h5") != NULL, "%s", err);
  cr_expect(strstr(err, "no_series.h5") != NULL && strstr(err, "/timeseries/energy") != NULL,
            "%s", err);
  cr_expect(strstr(err, "zz_damaged.h5: checksum mismatch (damaged); skipped") != NULL, "%s",
            err);
  cr_expect(strstr(err, "array_beta.h5: no valid 'beta' attribute; skipped") != NULL, "%s",
            err);
  cr_expect(strstr(err, ".tmp.") == NULL, "%s", err);
  f = open_out("sw/analysis.h5");
  cr_expect_eq(attr_d(f, ".", "n_tasks_used"), 7);
  cr_expect_eq(attr_d(f, ".", "n_tasks_skipped"), 5);
  cr_expect_eq(attr_d(f, "sizes/L8", "n_runs"), 4);
  static double rep[16];
  cr_expect_eq(read_ds(f, "tasks/replica", rep, 16), 7);
  double rsum = 0;
  for (int i = 0; i < 7; i++) rsum += rep[i];
  cr_expect_eq(rsum, 1.0, "replica column sums to %g", rsum);
  H5Fclose(f);
}

Test(analyze_cli, single_size_skips_crossings_with_a_note, .init = setup, .fini = teardown) {
  static const long one[1] = {8};
  static const double bs[3] = {0.40, 0.43, 0.46};
  make_sweep("one", one, 1, bs, 3, 2000);
  int rc = analyze("one --zeta-ce");
  const char *err = slurp("err.txt");
  cr_assert_eq(rc, 0, "%s", err);
  cr_expect(strstr(err, "only one system size") != NULL, "%s", err);
  cr_expect(strstr(err, "give --beta-c") != NULL, "%s", err);
  hid_t f = open_out("one/analysis.h5");
  static double buf[1024];
  cr_expect_eq(read_ds(f, "crossings/xi_over_L/beta", buf, 1024), 0);
  cr_expect_eq(read_ds(f, "sizes/L8/binder", buf, 1024), 201);
  cr_expect(isnan(attr_d(f, "results", "beta_c")));
  cr_expect(H5Lexists(f, "zeta_ce", H5P_DEFAULT) <= 0);
  attr_s(f, ".", "notes", (char[512]){0}, 512);
  H5Fclose(f);
  /* With --beta-c the zeta_CE fit runs on one size too. */
  rc = analyze("one --zeta-ce --beta-c 0.4406868 --xi-max-frac 1 --out z.h5");
  cr_expect_eq(rc, 0, "%s", slurp("err.txt"));
  f = open_out("z.h5");
  cr_expect(H5Lexists(f, "zeta_ce", H5P_DEFAULT) > 0);
  cr_expect_eq(attr_d(f, "zeta_ce", "beta_c"), 0.4406868);
  H5Fclose(f);
}
