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

static const char *const known_keys =
    "model, L, couplings, beta, replicas, algo, sweeps, therm, measure_every, seed, h, "
    "init, wolff_clusters, out, checkpoint_every";

int ceas_sweep_option_set(ceas_sweep_spec *s, const char *key, const char *value,
                          const char *what) {
  ceas_task_params *p = &s->base;
  char k[64];
  snprintf(k, sizeof k, "%s", key);
  for (char *c = k; *c; c++)
    if (*c == '-') *c = '_';
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
  return ceas_error_set(CEAS_EINPUT, "%s: unknown key '%s' (expected %s)", what, key,
                        known_keys);
}
