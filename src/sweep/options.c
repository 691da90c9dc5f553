/* A sweep's settings from strings: `ceasim sweep`'s options and its sweep file's
 * keys go through this one setter, so both accept and refuse the same things. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_sweep.h"
#include "ceas_task_options.h"

/* Replaces an owned string (a later setting wins over an earlier one). */
static const char *replace(char **slot, const char *v) {
  free(*slot);
  *slot = strdup(v);
  return *slot;
}

const ceas_option ceas_sweep_option_table[] = {
    {"model", "M", "ising2d", "ising2d | ising3d | graph", "grid"},
    {"L", "16,32,64", NULL, "sizes (lattices)", "grid"},
    {"couplings", "F1,F2..", NULL,
     "graph couplings, one file per size (the size is the file's n; e.g. heads of growing n "
     "from ceasim map)", "grid"},
    {"beta", "A:B:N", NULL, "N betas from A to B inclusive, or a list 0.40,0.42", "grid"},
    {"replicas", "R", "1", "independent runs per (L, beta)", "grid"},
    {"algo", "A", "metropolis", "update algorithm (ceasim run --help)", "task (as in ceasim run)"},
    {"sweeps", "N", "10000", "measured sweeps", "task (as in ceasim run)"},
    {"therm", "N", "1000", "thermalisation sweeps", "task (as in ceasim run)"},
    {"measure-every", "N", "1", "sweeps between measurements", "task (as in ceasim run)"},
    {"seed", "S", "1", "random seed (64-bit)", "task (as in ceasim run)"},
    {"h", "X", "0", "uniform field", "task (as in ceasim run)"},
    {"init", "hot|cold", "hot", "random or all-up start", "task (as in ceasim run)"},
    {"wolff-clusters", "K", "0", "clusters per Wolff sweep, 0 tuned",
     "task (as in ceasim run)"},
    {"device", "cpu|gpu", "cpu", CEAS_TASK_DEVICE_HELP, "task (as in ceasim run)"},
    {"gpu", "N", NULL, CEAS_TASK_GPU_HELP, "task (as in ceasim run)"},
    {"out", "DIR", NULL, "sweep directory (created if needed)", "sweep"},
    {"checkpoint-every", "S", "60", "seconds between checkpoints of a running task", "sweep"},
    {NULL, NULL, NULL, NULL, NULL}};

/* "model, L, ..., checkpoint_every": the keys as a sweep file spells them. */
static void known_keys(char *list, size_t size) {
  size_t used = 0;
  list[0] = '\0';
  for (const ceas_option *o = ceas_sweep_option_table; o->name && used < size; o++)
    used += (size_t)snprintf(list + used, size - used, "%s%s",
                             o == ceas_sweep_option_table ? "" : ", ", o->name);
  for (char *c = list; *c; c++)
    if (*c == '-') *c = '_';
}

int ceas_sweep_option_set(ceas_sweep_spec *s, const char *key, const char *value,
                          const char *what) {
  ceas_task_params *p = &s->base;
  char k[64];
  snprintf(k, sizeof k, "%s", key);
  for (char *c = k; *c; c++)
    if (*c == '-') *c = '_';
  if (!ceas_option_find(ceas_sweep_option_table, k)) {
    char keys[512];
    known_keys(keys, sizeof keys);
    return ceas_error_set(CEAS_EINPUT, "%s: unknown key '%s' (expected %s)", what, key, keys);
  }
  long v;
  int rc = ceas_task_param_set(p, k, value, what);
  if (rc != CEAS_TASK_NOT_A_PARAM) return rc;
  /* Lists and names are checked here, where the message can still say which line
   * of a sweep file (or which option) they came from. */
  if (!strcmp(k, "L")) {
    long *L = NULL;
    size_t n = 0;
    rc = ceas_sweep_parse_sizes(value, what, &L, &n);
    if (rc) return rc;
    free(s->L);
    s->L = L;
    s->nL = n;
    return CEAS_OK;
  }
  if (!strcmp(k, "beta")) {
    double *b = NULL;
    size_t n = 0;
    rc = ceas_sweep_parse_betas(value, what, &b, &n);
    if (rc) return rc;
    free(s->beta);
    s->beta = b;
    s->nbeta = n;
    return CEAS_OK;
  }
  if (!strcmp(k, "couplings")) {
    p->couplings = replace(&s->couplings_buf, value);
    return CEAS_OK;
  }
  if (!strcmp(k, "algo")) {
    if ((rc = ceas_task_algo_check(value, what))) return rc;
    p->algo = replace(&s->algo_buf, value);
    return CEAS_OK;
  }
  if (!strcmp(k, "out")) {
    free(s->dir);
    s->dir = strdup(value);
    return CEAS_OK;
  }
  if (!strcmp(k, "replicas")) {
    rc = ceas_parse_long(value, what, 1, 100000, &v);
    s->replicas = v;
    return rc;
  }
  if (!strcmp(k, "checkpoint_every")) {
    rc = ceas_parse_double(value, what, &s->checkpoint_every);
    if (!rc && !(s->checkpoint_every > 0))
      rc = ceas_error_set(CEAS_EINPUT, "%s: expected seconds > 0, got %s", what, value);
    return rc;
  }
  /* ceas_option_find knows every other key */
  return ceas_error_set(CEAS_EINTERNAL, "%s: key '%s' has no setter", what, key);
}
