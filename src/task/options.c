/* Task options shared by `run`, `sweep` and sweep files, parsed in one place so that
 * the commands cannot drift apart in what they accept or how they say no. */
#include <stdio.h>
#include <string.h>

#include "ceas_task_options.h"

int ceas_task_param_set(ceas_task_params *p, const char *key, const char *value,
                        const char *what) {
  char k[64];
  size_t n = strlen(key);
  if (n >= sizeof k) return CEAS_TASK_NOT_A_PARAM;
  for (size_t i = 0; i <= n; i++) k[i] = key[i] == '-' ? '_' : key[i];
  long v;
  int rc;
  if (!strcmp(k, "model")) return ceas_lattice_model_parse(value, &p->model);
  if (!strcmp(k, "h")) return ceas_parse_double(value, what, &p->h);
  if (!strcmp(k, "sweeps")) return ceas_parse_count(value, what, &p->sweeps);
  if (!strcmp(k, "therm")) return ceas_parse_count(value, what, &p->therm);
  if (!strcmp(k, "measure_every")) {
    rc = ceas_parse_count(value, what, &p->measure_every);
    if (!rc && p->measure_every < 1)
      rc = ceas_error_set(CEAS_EINPUT, "%s: expected >= 1, got %s", what, value);
    return rc;
  }
  if (!strcmp(k, "seed")) return ceas_parse_u64(value, what, &p->seed);
  if (!strcmp(k, "init")) {
    if (!strcmp(value, "hot"))
      p->init = CEAS_INIT_HOT;
    else if (!strcmp(value, "cold"))
      p->init = CEAS_INIT_COLD;
    else
      return ceas_error_set(CEAS_EINPUT, "%s: expected hot or cold, got '%s'", what, value);
    return CEAS_OK;
  }
  if (!strcmp(k, "wolff_clusters")) {
    rc = ceas_parse_long(value, what, 0, 1L << 40, &v);
    if (!rc) p->wolff_clusters = v;
    return rc;
  }
  if (!strcmp(k, "device")) return ceas_device_parse(value, what, &p->device);
  if (!strcmp(k, "gpu")) {
    rc = ceas_parse_long(value, what, 0, 1023, &v);
    if (!rc) p->gpu = (int)v;
    return rc;
  }
  return CEAS_TASK_NOT_A_PARAM;
}

const ceas_option ceas_task_option_table[] = {
    {"model", "M", "ising2d", "ising2d (L x L torus), ising3d (L^3 torus) or graph", "model"},
    {"L", "N", "16", "linear size, N >= 2", "model"},
    {"couplings", "FILE", NULL,
     "graph couplings: text edge list ('i j J', 'h i v', 'n N', '#' comments, 0-based) or "
     "HDF5 CSR (indptr, indices, data, h)", "model"},
    {"h", "X", "0", "uniform field, added to a graph's own fields", "model"},
    {"beta", "B", "0.44", "inverse temperature, B >= 0", "simulation"},
    {"algo", "A", "metropolis",
     "metropolis | heatbath | wolff | sw | msc-replica64 | msc-replica256 | "
     "msc-replica64-anti | msc-replica256-anti | msc-single; msc-* are multi-spin coded "
     "(ising2d/3d, h = 0): msc-replica* run 64 or 256 replicas at once and average over "
     "them (-anti: antithetic random numbers, replicas far less correlated: use it to "
     "measure), msc-single one lattice (2D/3D), L a multiple of 128", "simulation"},
    {"sweeps", "N", "10000", "measured sweeps", "simulation"},
    {"therm", "N", "1000", "thermalisation sweeps before measuring", "simulation"},
    {"measure-every", "N", "1", "sweeps between measurements", "simulation"},
    {"seed", "S", "1", "random seed (64-bit)", "simulation"},
    {"stream", "S", "0", "independent random stream for the same seed", "simulation"},
    {"init", "hot|cold", "hot", "random or all-up start", "simulation"},
    {"wolff-clusters", "K", "0",
     "clusters per Wolff sweep; 0 tunes it during thermalisation so a sweep flips ~N spins",
     "simulation"},
    {"device", "cpu|gpu", "cpu", CEAS_TASK_DEVICE_HELP, "simulation"},
    {"gpu", "N", NULL, CEAS_TASK_GPU_HELP, "simulation"},
    {NULL, NULL, NULL, NULL, NULL}};

void ceas_task_options_default(ceas_task_options *o) {
  ceas_task_params_default(&o->p);
  o->have_L = 0;
}

int ceas_task_option_set(ceas_task_options *o, const char *key, const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  if (!ceas_option_find(ceas_task_option_table, key))
    return ceas_error_set(CEAS_EINPUT, "%s: unknown option of a task", what);
  long v;
  int rc;
  if (!strcmp(key, "L")) {
    rc = ceas_parse_long(value, what, 2, 1L << 31, &v);
    o->p.L = v;
    o->have_L = 1;
    return rc;
  }
  if (!strcmp(key, "couplings")) {
    o->p.couplings = value;
    return CEAS_OK;
  }
  if (!strcmp(key, "beta")) {
    rc = ceas_parse_double(value, what, &o->p.beta);
    if (!rc && o->p.beta < 0)
      rc = ceas_error_set(CEAS_EINPUT, "--beta: expected an inverse temperature >= 0, got %s",
                          value);
    return rc;
  }
  if (!strcmp(key, "algo")) {
    o->p.algo = value;
    return CEAS_OK;
  }
  if (!strcmp(key, "stream")) return ceas_parse_u64(value, what, &o->p.stream);
  return ceas_task_param_set(&o->p, key, value, what);
}

int ceas_task_options_finish(const ceas_task_options *o) {
  /* A graph's size is the n of its couplings file: an --L would be ignored, and a
   * user who gave one expects it to mean something. */
  if (o->p.model == CEAS_MODEL_GRAPH && o->have_L)
    return ceas_error_set(CEAS_EINPUT,
                          "--L: a graph's size is the n of its --couplings file; --L is for "
                          "ising2d and ising3d only");
  if (o->p.model != CEAS_MODEL_GRAPH) {
    /* Lattice sizes are validated here too so the message names --L. */
    if (o->p.L < 2)
      return ceas_error_set(CEAS_EINPUT, "--L: expected a linear size >= 2, got %ld", o->p.L);
  }
  return CEAS_OK;
}
