#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_core.h"
#include "ceas_version.h"

/* Thread-local so that future threaded kernels cannot garble each other's
 * messages; one line is all a message may be. */
static _Thread_local char message[1024];

size_t ceas_escape_controls(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)in; *c && k + 1 < cap; c++) {
    char esc[5] = {(char)*c, 0};
    if (*c == '\n') memcpy(esc, "\\n", 3);
    else if (*c == '\t') memcpy(esc, "\\t", 3);
    else if (*c == '\r') memcpy(esc, "\\r", 3);
    else if (*c < 0x20 || *c == 0x7f)
      esc[0] = '\\', esc[1] = 'x', esc[2] = hex[*c >> 4], esc[3] = hex[*c & 15];
    size_t len = strlen(esc);
    if (k + len >= cap) break; /* never half an escape */
    memcpy(out + k, esc, len);
    k += len;
  }
  if (cap) out[k] = '\0';
  return k;
}

int ceas_error_set(int code, const char *fmt, ...) {
  /* Messages quote input (values, paths, lines of files); a newline or terminal
   * escape in it must not break the one-line contract, so the whole formatted
   * message is escaped here, once, instead of at every quoting site. */
  char raw[sizeof message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  ceas_escape_controls(raw, message, sizeof message);
  return code;
}

const char *ceas_error_message(void) { return message; }

void ceas_error_clear(void) { message[0] = '\0'; }

void *ceas_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) ceas_error_set(CEAS_ENOMEM, "out of memory allocating %zu bytes", n);
  return p;
}

void *ceas_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    ceas_error_set(CEAS_ENOMEM, "out of memory allocating %zu x %zu bytes",
                   count, size);
  return p;
}

const char *ceas_version(void) { return CEAS_VERSION_STRING; }

int ceas_size_check(const char *what, size_t *bytes, int n, const size_t *factors) {
  size_t prod = 1;
  int wrapped = 0;
  long double exact = 1;
  for (int i = 0; i < n; i++) {
    exact *= (long double)factors[i];
    if (!wrapped && __builtin_mul_overflow(prod, factors[i], &prod)) wrapped = 1;
  }
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  long double ram = pages > 0 && page > 0 ? (long double)pages * page : 0;
  if (wrapped || (ram > 0 && exact > ram))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: needs %.3Lg bytes; expected at most this machine's "
                          "memory, %.3Lg bytes",
                          what, exact, ram);
  *bytes = prod;
  return CEAS_OK;
}

int ceas_u64_add_check(const char *what, uint64_t a, uint64_t b, uint64_t *sum) {
  if (__builtin_add_overflow(a, b, sum))
    return ceas_error_set(CEAS_EINPUT, "%s: expected a sum below 2^64, got %llu + %llu", what,
                          (unsigned long long)a, (unsigned long long)b);
  return CEAS_OK;
}
