#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ceas_core.h"
#include "ceas_version.h"

/* Thread-local so that future threaded kernels cannot garble each other's
 * messages; one line is all a message may be. */
static _Thread_local char message[1024];

int ceas_error_set(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
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
