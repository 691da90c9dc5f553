/* The bottom of the weights module: dtype widening, the entry table and the
 * tensor buffer. weights.c (open, find, read) and the format readers hdf5.c and
 * safetensors.c all call down into this file and none of it calls back up, so
 * the module's files form a chain (weights.c -> hdf5.c | safetensors.c ->
 * tensor.c) instead of a circle. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights_private.h"

double ceas_weights_f16_to_double(uint16_t bits) {
  int sign = bits >> 15, ex = (bits >> 10) & 0x1f, man = bits & 0x3ff;
  double v;
  if (ex == 0x1f)
    v = man ? NAN : INFINITY;
  else if (ex == 0)
    v = ldexp((double)man, -24); /* subnormal: no implicit bit, exponent 1-15 */
  else
    v = ldexp((double)(man | 0x400), ex - 25);
  return sign ? -v : v;
}

double ceas_weights_bf16_to_double(uint16_t bits) {
  /* bfloat16 is the top half of a binary32, so widening is exact. */
  int sign = bits >> 15, ex = (bits >> 7) & 0xff, man = bits & 0x7f;
  double v;
  if (ex == 0xff)
    v = man ? NAN : INFINITY;
  else if (ex == 0)
    v = ldexp((double)man, -133);
  else
    v = ldexp((double)(man | 0x80), ex - 134);
  return sign ? -v : v;
}

int ceas_weights_push(ceas_weights *w, const char *name, ceas_weights_entry **out) {
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 16;
    ceas_weights_entry *p = realloc(w->e, cap * sizeof *p);
    if (!p) return ceas_error_set(CEAS_ENOMEM, "out of memory reading %s", w->path);
    w->e = p;
    w->cap = cap;
  }
  ceas_weights_entry *e = &w->e[w->n];
  memset(e, 0, sizeof *e);
  char *copy = strdup(name);
  if (!copy) return ceas_error_set(CEAS_ENOMEM, "out of memory reading %s", w->path);
  e->info.name = copy;
  w->n++;
  *out = e;
  return CEAS_OK;
}

int ceas_weights_product(const int64_t *dims, int rank, uint64_t limit,
                         uint64_t *out) {
  uint64_t p = 1;
  for (int k = 0; k < rank; k++) {
    if (dims[k] < 0) return -1;
    if (__builtin_mul_overflow(p, (uint64_t)dims[k], &p) || p > limit) {
      /* A zero later on would make the product 0, but a header claiming
       * 2^70 x 0 elements is not one we want to trust either. */
      return -1;
    }
  }
  *out = p;
  return 0;
}

int ceas_weights_tensor_init(ceas_weights_tensor *t, const char *name, int rank,
                             const int64_t *shape, size_t size) {
  memset(t, 0, sizeof *t);
  /* size comes from a file's shape: held to the one size rule (exit 2, naming the
   * tensor) before it is asked of malloc. */
  char what[256];
  snprintf(what, sizeof what, "tensor '%.200s' as doubles", name);
  size_t bytes;
  const size_t f[] = {size, sizeof(double)};
  int rc = ceas_size_check(what, &bytes, 2, f);
  if (rc) return rc;
  t->name = strdup(name);
  if (!t->name) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  t->rank = rank;
  for (int k = 0; k < rank; k++) t->shape[k] = shape[k];
  t->size = size;
  t->data = ceas_malloc((size ? size : 1) * sizeof(double));
  if (!t->data) {
    free(t->name);
    t->name = NULL;
    return CEAS_ENOMEM;
  }
  return CEAS_OK;
}

void ceas_weights_tensor_free(ceas_weights_tensor *t) {
  if (!t) return;
  free(t->name);
  free(t->data);
  memset(t, 0, sizeof *t);
}
