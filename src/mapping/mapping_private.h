/* Helpers shared by the files of src/mapping (not installed, no ceas_ prefix). */
#ifndef CEAS_MAPPING_PRIVATE_H
#define CEAS_MAPPING_PRIVATE_H

#include <stddef.h>

/* Inline, as the static function of one file it was: the eigen-solvers' inner
 * loops keep their code and every sum its order. */
static inline double mapping_dot(const double *x, const double *y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

#endif
