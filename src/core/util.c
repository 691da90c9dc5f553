#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "ceas_core.h"

int ceas_parse_double(const char *s, const char *what, double *out) {
  if (!s || !*s)
    return ceas_error_set(CEAS_EINPUT, "%s: expected a number, got an empty value",
                          what);
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end != '\0' || end == s)
    return ceas_error_set(CEAS_EINPUT, "%s: expected a number, got '%s'", what, s);
  if (errno == ERANGE || !isfinite(v))
    return ceas_error_set(CEAS_EINPUT, "%s: expected a finite number, got '%s'",
                          what, s);
  *out = v;
  return CEAS_OK;
}

int ceas_parse_long(const char *s, const char *what, long lo, long hi,
                    long *out) {
  if (!s || !*s)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected an integer, got an empty value", what);
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || end == s)
    return ceas_error_set(CEAS_EINPUT, "%s: expected an integer, got '%s'", what,
                          s);
  if (errno == ERANGE || v < lo || v > hi)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected an integer in [%ld, %ld], got '%s'", what,
                          lo, hi, s);
  *out = v;
  return CEAS_OK;
}

int ceas_parse_u64(const char *s, const char *what, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+')
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected a non-negative integer, got '%s'", what,
                          s ? s : "");
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end != '\0' || end == s || errno == ERANGE)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected a non-negative 64-bit integer, got '%s'",
                          what, s);
  *out = (uint64_t)v;
  return CEAS_OK;
}

double ceas_wtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
