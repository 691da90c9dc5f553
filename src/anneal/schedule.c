/* beta schedules: one inverse temperature per sweep. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_private.h"

/* 2^31 sweeps of betas is 16 GiB; far beyond any run this machine model needs. */
#define SCHED_MAX_SWEEPS (UINT64_C(1) << 31)

const char *ceas_anneal_sched_name(ceas_anneal_sched_kind k) {
  switch (k) {
    case CEAS_ANNEAL_SCHED_GEOMETRIC: return "geometric";
    case CEAS_ANNEAL_SCHED_LINEAR: return "linear";
    case CEAS_ANNEAL_SCHED_FILE: return "file";
  }
  return "?";
}

void ceas_anneal_default_betas(const ceas_anneal_problem *pb, double *beta0, double *beta1) {
  double sigma = pb->field_scale > 0 ? pb->field_scale : 1.0;
  *beta0 = 0.1 / sigma;
  *beta1 = 10.0 / sigma;
}

/* The smallest nonzero local field g: with couplings +-unit and no field, f_i is
 * a sum of deg_i terms +-unit, so |f_i| >= unit for odd deg_i and >= 2 unit for
 * even (zero fields change no energy). Other couplings have no such quantum; there
 * g = sigma / sqrt(n), where the smallest of n fields drawn near a local minimum
 * lies (SK's field distribution vanishes linearly at 0), and one-magnitude
 * couplings never go below it either (SK +-1/sqrt(n): unit = sigma / sqrt(n)). */
static double smallest_field(const ceas_anneal_problem *pb, double sigma) {
  double g = sigma / sqrt((double)pb->n);
  if (!pb->one_magnitude || pb->has_field) return g;
  int64_t q = 2;
  for (int64_t i = 0; i < pb->n && q == 2; i++)
    if ((pb->indptr[i + 1] - pb->indptr[i]) % 2) q = 1;
  return fmax(g, (double)q * pb->unit);
}

void ceas_anneal_sa_default_betas(const ceas_anneal_problem *pb, double *beta0,
                                  double *beta1) {
  double sigma = pb->field_scale > 0 ? pb->field_scale : 1.0;
  ceas_anneal_default_betas(pb, beta0, beta1);
  *beta1 = fmax(*beta1, log(100.0 * (double)pb->n) / (2.0 * smallest_field(pb, sigma)));
}

int ceas_anneal_schedule_make(ceas_anneal_sched_kind kind, double beta0, double beta1,
                              uint64_t sweeps, ceas_anneal_schedule *out) {
  memset(out, 0, sizeof *out);
  if (sweeps < 1 || sweeps > SCHED_MAX_SWEEPS)
    return ceas_error_set(CEAS_EINPUT, "--sweeps: expected 1 .. 2^31, got %llu",
                          (unsigned long long)sweeps);
  if (!isfinite(beta0) || !isfinite(beta1) || beta0 < 0 || beta1 < 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--beta0/--beta1: expected finite inverse temperatures >= 0, got "
                          "%g and %g",
                          beta0, beta1);
  if (kind == CEAS_ANNEAL_SCHED_GEOMETRIC && (beta0 <= 0 || beta1 <= 0))
    return ceas_error_set(CEAS_EINPUT,
                          "--schedule geometric: expected --beta0 and --beta1 > 0, got %g "
                          "and %g",
                          beta0, beta1);
  if (kind == CEAS_ANNEAL_SCHED_FILE)
    return ceas_error_set(CEAS_EINTERNAL, "schedule_make: file schedules are read");
  size_t bytes;
  const size_t f[] = {(size_t)sweeps, sizeof *out->betas};
  if (ceas_size_check("--sweeps: one beta per sweep", &bytes, 2, f)) return CEAS_EINPUT;
  out->betas = ceas_malloc(bytes);
  if (!out->betas) return CEAS_ENOMEM;
  out->kind = kind;
  out->beta0 = beta0;
  out->beta1 = beta1;
  out->sweeps = sweeps;
  double last = sweeps > 1 ? (double)(sweeps - 1) : 1.0;
  double ratio = kind == CEAS_ANNEAL_SCHED_GEOMETRIC ? log(beta1 / beta0) : 0.0;
  for (uint64_t k = 0; k < sweeps; k++) {
    double x = sweeps > 1 ? (double)k / last : 1.0;
    out->betas[k] = kind == CEAS_ANNEAL_SCHED_LINEAR ? beta0 + (beta1 - beta0) * x
                                                     : beta0 * exp(ratio * x);
  }
  /* The end points exactly as given, not as exp(log()) rounds them. */
  out->betas[0] = sweeps > 1 ? beta0 : beta1;
  out->betas[sweeps - 1] = beta1;
  return CEAS_OK;
}

int ceas_anneal_schedule_read(const char *path, ceas_anneal_schedule *out) {
  memset(out, 0, sizeof *out);
  FILE *fp = fopen(path, "r");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "--schedule-file %s: cannot open: %s", path,
                          strerror(errno));
  int rc = CEAS_OK;
  char *buf = NULL;
  size_t cap = 0, nb = 0, cb = 0;
  double *b = NULL;
  long line = 0;
  ssize_t len;
  while ((len = getline(&buf, &cap, fp)) >= 0) {
    line++;
    if (strlen(buf) != (size_t)len) { /* strtok would drop what follows a NUL */
      rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected text, got a NUL byte", path,
                          line);
      goto done;
    }
    char *hash = strchr(buf, '#');
    if (hash) *hash = '\0';
    char *save = NULL;
    char *tok = strtok_r(buf, " \t\r\n\v\f", &save);
    if (!tok) continue;
    char *extra = strtok_r(NULL, " \t\r\n\v\f", &save);
    double v = -1;
    if (ceas_number_parse(tok, &v) || v < 0) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: expected one inverse temperature (a finite number >= 0), "
                          "got '%s'",
                          path, line, tok);
      goto done;
    }
    if (extra) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: expected one beta per line, got more ('%s')", path, line,
                          extra);
      goto done;
    }
    if (nb == cb) {
      if (cb >= SCHED_MAX_SWEEPS) {
        rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: more than 2^31 betas", path, line);
        goto done;
      }
      cb = cb ? 2 * cb : 1024;
      double *p = realloc(b, cb * sizeof *p);
      if (!p) {
        rc = ceas_error_set(CEAS_ENOMEM, "out of memory reading %s", path);
        goto done;
      }
      b = p;
    }
    b[nb++] = v;
  }
  if (ferror(fp)) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  if (nb == 0) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: no betas (expected one inverse temperature per line, one "
                        "line per sweep)",
                        path);
    goto done;
  }
  out->kind = CEAS_ANNEAL_SCHED_FILE;
  out->betas = b;
  b = NULL;
  out->sweeps = nb;
  out->beta0 = out->betas[0];
  out->beta1 = out->betas[nb - 1];
  snprintf(out->file, sizeof out->file, "%s", path);
done:
  fclose(fp);
  free(buf);
  free(b);
  return rc;
}

void ceas_anneal_schedule_free(ceas_anneal_schedule *s) {
  if (!s) return;
  free(s->betas);
  s->betas = NULL;
}
