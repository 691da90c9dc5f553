#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ceas_io.h"
#include "cli.h"

/* The demo is the engine's calling card: a few runs whose exact answers are known
 * (Kaufman 1949 for the finite torus), printed side by side. */
static const double demo_betas[] = {0.30, 0.40, 0.4406867935097715, 0.50, 0.60};

static const char demo_head[] =
    "usage: ceasim demo [--L N] [--algo A] [--sweeps N] [--seed S] [--out FILE] [--force]\n"
    "\n"
    "2D Ising on an L x L torus at beta = 0.30, 0.40, beta_c, 0.50, 0.60: measured energy\n"
    "and specific heat per spin beside the exact finite-size values (Kaufman 1949,\n"
    "Ferdinand & Fisher 1969), with the deviation in error bars. 2000 thermalisation\n"
    "sweeps per beta.\n"
    "\n";

/* In the order of demo_set's switch. */
static const ceas_option demo_options[] = {
    {"L", "N", "16", "linear size, 4 <= N <= 4096", "options"},
    {"algo", "A", "wolff", "update algorithm (ceasim run --help)", "options"},
    {"sweeps", "N", "20000", "measured sweeps per beta", "options"},
    {"seed", "S", "1", "random seed", "options"},
    {"out", "FILE", "ceasim-demo.h5", "HDF5 output (atomically)", "options"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "options"},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct {
  ceas_task_params p;
  const char *out;
  int force;
} demo_args;

static int demo_set(void *obj, const char *key, const char *value) {
  demo_args *a = obj;
  long v = 0;
  int rc = CEAS_OK;
  switch (ceas_option_find(demo_options, key) - demo_options) {
    case 0:
      rc = ceas_parse_long(value, "--L", 4, 4096, &v);
      a->p.L = v;
      break;
    case 1: a->p.algo = value; break;
    case 2: rc = ceas_parse_count(value, "--sweeps", &a->p.sweeps); break;
    case 3: rc = ceas_parse_u64(value, "--seed", &a->p.seed); break;
    case 4: a->out = value; break;
    default: a->force = 1;
  }
  return rc;
}

int ceas_cli_demo(int argc, char **argv) {
  demo_args a = {.out = "ceasim-demo.h5"};
  ceas_task_params_default(&a.p);
  a.p.algo = "wolff";
  a.p.sweeps = 20000;
  a.p.therm = 2000;
  ceas_cli_group g = {demo_options, demo_set, &a};
  int help, rc = ceas_cli_parse(argc, argv, "demo", &g, 1, &help);
  if (help) {
    ceas_cli_usage(stdout, demo_head, &g, 1, NULL);
    return 0;
  }
  ceas_task_params p = a.p;
  const char *out = a.out;
  int force = a.force;
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s'", argv[optind]);
  if (!rc) rc = ceas_io_check_output(out, force);
  if (!rc) {
    /* Validate the run parameters before anything is printed or created. */
    ceas_task *probe = NULL;
    p.beta = demo_betas[0];
    rc = ceas_task_create(&p, &probe);
    ceas_task_free(probe);
  }
  if (rc) return ceas_cli_fail(rc);
  ceas_cli_install_signals();

  size_t nb = sizeof demo_betas / sizeof *demo_betas;
  ceas_io_file f;
  if ((rc = ceas_io_file_create(out, force, &f))) return ceas_cli_fail(rc);
  rc = ceas_io_attr_string(f.file, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(f.file, "command_line", ceas_cli_command_line());
  if (!rc) rc = ceas_io_attr_string(f.file, "description",
                                    "ceasim demo: 2D Ising vs exact finite-size "
                                    "energy and specific heat (Kaufman 1949)");
  printf("ceasim %s demo: 2D Ising, L = %ld torus, %s, %llu sweeps per beta, seed %llu\n",
         ceas_version(), p.L, p.algo, (unsigned long long)p.sweeps,
         (unsigned long long)p.seed);
  printf("exact values: Kaufman (1949) / Ferdinand & Fisher (1969) for the finite "
         "torus\n\n");
  printf("%8s | %11s %9s %11s %6s | %9s %8s %9s %6s\n", "beta", "e (MC)", "+-",
         "e (exact)", "dev/s", "C (MC)", "+-", "C (exact)", "dev/s");
  int worst_ok = 1;
  for (size_t b = 0; b < nb && !rc; b++) {
    p.beta = demo_betas[b];
    ceas_task *t = NULL;
    rc = ceas_task_create(&p, &t);
    if (!rc) rc = ceas_task_run(t, &ceas_cli_stop, NULL, NULL);
    double ee = NAN, ce = NAN;
    if (!rc) rc = ceas_measure_exact_ising2d(p.L, p.beta, &ee, &ce);
    if (!rc) {
      const ceas_measure_value *E = &t->result.obs[CEAS_OBS_ENERGY];
      const ceas_measure_value *C = &t->result.obs[CEAS_OBS_SPECIFIC_HEAT];
      double de = (E->mean - ee) / E->error, dc = (C->mean - ce) / C->error;
      if (fabs(de) > 4 || fabs(dc) > 4) worst_ok = 0;
      printf("%8.5f | %11.6f %9.6f %11.6f %+6.2f | %9.5f %8.5f %9.5f %+6.2f\n", p.beta,
             E->mean, E->error, ee, de, C->mean, C->error, ce, dc);
      char name[64];
      snprintf(name, sizeof name, "beta_%.6f", p.beta);
      hid_t runs, g;
      rc = ceas_io_group(f.file, "runs", &runs);
      if (!rc) {
        rc = ceas_io_group(runs, name, &g);
        if (!rc) {
          rc = ceas_task_write(t, g, ceas_cli_command_line());
          if (!rc) rc = ceas_io_attr_double(g, "exact_energy", ee);
          if (!rc) rc = ceas_io_attr_double(g, "exact_specific_heat", ce);
          H5Gclose(g);
        }
        H5Gclose(runs);
      }
    }
    ceas_task_free(t);
  }
  if (rc) {
    ceas_io_file_abort(&f);
    return ceas_cli_fail(rc);
  }
  if ((rc = ceas_io_file_commit(&f))) return ceas_cli_fail(rc);
  printf("\n%s\nwrote %s\n",
         worst_ok ? "all measurements agree with the exact values within 4 error bars"
                  : "WARNING: a measurement is more than 4 error bars from the exact value",
         out);
  return 0;
}
