/* summary.h5: one row per task file, rebuilt from the files themselves so that it
 * can never disagree with them. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_sweep.h"

typedef struct {
  int64_t L, replica, n_spins;
  uint64_t seed, stream;
  double beta;
  double mean[CEAS_OBS_COUNT], error[CEAS_OBS_COUNT], tau[CEAS_OBS_COUNT];
  int64_t converged;
} row;

static int cmp_row(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->L != y->L) return x->L < y->L ? -1 : 1;
  if (x->beta != y->beta) return x->beta < y->beta ? -1 : 1;
  return (x->replica > y->replica) - (x->replica < y->replica);
}

static int read_row(const char *path, row *r) {
  hid_t f;
  int rc = ceas_io_open_read(path, &f);
  if (rc) return rc;
  ceas_task_file_attrs a;
  rc = ceas_task_file_read_attrs(
      f, path,
      CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_L) | CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_REPLICA) |
          CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_N_SPINS) | CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_SEED) |
          CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_STREAM) | CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_BETA),
      &a);
  ceas_task_file_observables o;
  if (!rc) rc = ceas_task_file_read_observables(f, path, &o);
  H5Fclose(f);
  if (rc) return rc;
  r->L = a.L;
  r->replica = a.replica;
  r->n_spins = a.n_spins;
  r->seed = a.seed;
  r->stream = a.stream;
  r->beta = a.beta;
  r->converged = o.converged;
  memcpy(r->mean, o.mean, sizeof r->mean);
  memcpy(r->error, o.error, sizeof r->error);
  memcpy(r->tau, o.tau_int, sizeof r->tau);
  return CEAS_OK;
}

/* The sweep's parameters, copied onto summary.h5 so that the summary explains
 * itself: from sweep.h5, or from a task file (they share them) without one. */
static const char *const sweep_params[] = {
    "model", "couplings", "algo", "rng",  "seed",           "sweeps",  "therm",
    "measure_every", "h", "init",  "wolff_clusters", "replicas", NULL};

static int copy_params(const char *dir, const char *task_file, hid_t to) {
  char path[4096 + 16];
  snprintf(path, sizeof path, "%s/sweep.h5", dir);
  hid_t f;
  if (ceas_io_open_read(path, &f) && (!task_file || ceas_io_open_read(task_file, &f))) {
    ceas_error_clear(); /* without either, the summary carries no sweep parameters */
    return CEAS_OK;
  }
  int rc = CEAS_OK;
  for (size_t i = 0; !rc && sweep_params[i]; i++) rc = ceas_io_copy_attr(f, to, sweep_params[i]);
  H5Fclose(f);
  return rc;
}

/* A `_tau_int` column exists only for the observables that have a τ_int (the
 * direct averages), never as a column of NaN. */
#define OBS_ROWS(name, units, description)                                              \
  {name, units, description ", of each task"},                                          \
      {name "_error", units, "one-standard-deviation error of " name " of each task"},  \
      {name "_tau_int", "measurements",                                                 \
       "integrated autocorrelation time of " name " of each task (Sokal window), in "    \
       "measurements: one measurement every {measure_every} sweep(s) of {algo}"},
static const ceas_io_doc summary_docs[] = {
    {"L", "lattice spacings (graphs: spins)",
     "size of each task: the side L of its lattice (graph tasks: the task file's L)"},
    {"beta", "1/J", "inverse temperature of each task (k_B = 1)"},
    {"replica", "dimensionless (index)", "independent run of each (L, beta), from 0"},
    {"n_spins", "spins", "number of spins N of each task"},
    {"converged", "dimensionless (1 or 0)",
     "1 if the task's bins were at least 16 tau_int long, so its error bars hold"},
    {"seed", "dimensionless (integer)", "the seed of each task (--seed)"},
    {"stream", "dimensionless (integer)",
     "the random stream of each task, a hash of (L, beta, replica)"},
    CEAS_MEASURE_OBS_DOCS(OBS_ROWS){NULL, NULL, NULL}};
#undef OBS_ROWS

int ceas_sweep_collect(const char *dir, const char *command_line, size_t *n_ok,
                       size_t *n_bad) {
  *n_ok = *n_bad = 0;
  char tdir[4096];
  snprintf(tdir, sizeof tdir, "%s/tasks", dir);
  DIR *d = opendir(tdir);
  if (!d)
    return ceas_error_set(CEAS_EINPUT, "%s: not a sweep directory (no tasks/ inside)", dir);
  row *rows = NULL;
  size_t n = 0, cap = 0;
  char first[4096 + 256] = "";
  int rc = CEAS_OK;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    /* Temporary files start with '.'; only finished task files count. */
    if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".h5")) continue;
    char path[4096 + 256];
    snprintf(path, sizeof path, "%s/%s", tdir, e->d_name);
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      row *p = realloc(rows, cap * sizeof *p);
      if (!p) {
        rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
        break;
      }
      rows = p;
    }
    if (read_row(path, &rows[n]) == CEAS_OK) {
      if (!n++) memcpy(first, path, sizeof first);
    } else {
      fprintf(stderr, "ceasim: warning: skipping damaged task file: %s\n", ceas_error_message());
      (*n_bad)++;
    }
  }
  closedir(d);
  if (rc) {
    free(rows);
    return rc;
  }
  if (n > 1) qsort(rows, n, sizeof *rows, cmp_row);
  char out[4096 + 16];
  snprintf(out, sizeof out, "%s/summary.h5", dir);
  ceas_io_file f;
  if ((rc = ceas_io_file_create(out, 1, &f))) {
    free(rows);
    return rc;
  }
  int64_t *iv = calloc(n ? n : 1, sizeof *iv);
  uint64_t *uv = calloc(n ? n : 1, sizeof *uv);
  double *dv = calloc(n ? n : 1, sizeof *dv);
  if (!iv || !uv || !dv) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  hid_t l = f.file;
  if (!rc) rc = ceas_io_attr_string(l, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(l, "command_line", command_line ? command_line : "");
  if (!rc) rc = ceas_io_attr_int64(l, "n_tasks", (int64_t)n);
  if (!rc) rc = ceas_io_attr_int64(l, "n_damaged", (int64_t)*n_bad);
  if (!rc) rc = copy_params(dir, n ? first : NULL, l);
#define COL_I(field, name)                                  \
  if (!rc) {                                                \
    for (size_t i = 0; i < n; i++) iv[i] = rows[i].field;   \
    rc = ceas_io_write_int64s(l, name, iv, n);              \
  }
#define COL_U(field, name)                                  \
  if (!rc) {                                                \
    for (size_t i = 0; i < n; i++) uv[i] = rows[i].field;   \
    rc = ceas_io_write_uint64s(l, name, uv, n);             \
  }
  COL_I(L, "L");
  COL_I(replica, "replica");
  COL_I(n_spins, "n_spins");
  COL_I(converged, "converged");
  COL_U(seed, "seed");
  COL_U(stream, "stream");
#undef COL_I
#undef COL_U
  if (!rc) {
    for (size_t i = 0; i < n; i++) dv[i] = rows[i].beta;
    rc = ceas_io_write_doubles(l, "beta", dv, n);
  }
  for (int o = 0; !rc && o < CEAS_OBS_COUNT; o++) {
    char name[96];
    const char *base = ceas_measure_obs_name(o);
    for (size_t i = 0; i < n; i++) dv[i] = rows[i].mean[o];
    rc = ceas_io_write_doubles(l, base, dv, n);
    snprintf(name, sizeof name, "%s_error", base);
    for (size_t i = 0; !rc && i < n; i++) dv[i] = rows[i].error[o];
    if (!rc) rc = ceas_io_write_doubles(l, name, dv, n);
    snprintf(name, sizeof name, "%s_tau_int", base);
    int has_tau = 0;
    for (size_t i = 0; !rc && i < n; i++) has_tau |= !isnan(dv[i] = rows[i].tau[o]);
    if (!rc && has_tau) rc = ceas_io_write_doubles(l, name, dv, n);
  }
  if (!rc) rc = ceas_io_describe(l, summary_docs);
  free(iv);
  free(uv);
  free(dv);
  free(rows);
  if (rc) {
    ceas_io_file_abort(&f);
    return rc;
  }
  if ((rc = ceas_io_file_commit(&f))) return rc;
  *n_ok = n;
  return CEAS_OK;
}
