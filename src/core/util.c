#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "ceas_core.h"

const char *ceas_number_parse(const char *s, double *out) {
  /* Decimal only: strtod would also take hex ("0x10"), "inf", "nan" and leading
   * blanks, none of which a coupling or temperature file means. */
  const char *c = s;
  if (*c == '+' || *c == '-') c++;
  int digits = 0;
  while (*c >= '0' && *c <= '9') c++, digits++;
  if (*c == '.') {
    c++;
    while (*c >= '0' && *c <= '9') c++, digits++;
  }
  if (digits && (*c == 'e' || *c == 'E')) {
    c++;
    if (*c == '+' || *c == '-') c++;
    if (!(*c >= '0' && *c <= '9')) digits = 0;
    while (*c >= '0' && *c <= '9') c++;
  }
  if (!digits || *c) return "a finite decimal number";
  errno = 0;
  double v = strtod(s, NULL);
  if (!isfinite(v)) return "a finite number (magnitude below 1.8e308)";
  /* ERANGE also flags a subnormal result: that is still the number written (to
   * fewer digits), so only a nonzero value that became 0 is refused. */
  if (errno == ERANGE && v == 0) {
    for (c = s; *c && (*c < '1' || *c > '9') && *c != 'e' && *c != 'E'; c++) {
    }
    if (*c >= '1' && *c <= '9') return "zero or a magnitude of at least 4.9e-324";
  }
  *out = v;
  return NULL;
}

int ceas_parse_double(const char *s, const char *what, double *out) {
  if (!s || !*s)
    return ceas_error_set(CEAS_EINPUT, "%s: expected a number, got an empty value",
                          what);
  const char *why = ceas_number_parse(s, out);
  if (why) return ceas_error_set(CEAS_EINPUT, "%s: expected %s, got '%s'", what, why, s);
  return CEAS_OK;
}

/* strtol/strtoull skip leading blanks; an option value " 5" is a typo, not 5. */
static int integer_start(const char *s) {
  const char *c = s + (*s == '-' || *s == '+');
  return *c >= '0' && *c <= '9';
}

int ceas_parse_long(const char *s, const char *what, long lo, long hi,
                    long *out) {
  if (!s || !*s)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected an integer, got an empty value", what);
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || end == s || !integer_start(s))
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
  if (*end != '\0' || end == s || errno == ERANGE || !integer_start(s))
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

int ceas_parse_count(const char *s, const char *what, uint64_t *out) {
  if (ceas_parse_u64(s, what, out) == CEAS_OK) return CEAS_OK;
  double v;
  if (ceas_parse_double(s, what, &v) == CEAS_OK && v >= 0 && v <= 9007199254740992.0 &&
      v == floor(v)) {
    *out = (uint64_t)v;
    return CEAS_OK;
  }
  return ceas_error_set(CEAS_EINPUT, "%s: expected a non-negative whole number, got '%s'",
                        what, s);
}
