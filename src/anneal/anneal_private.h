/* Shared between the files of src/anneal; not part of the contract. */
#ifndef CEAS_ANNEAL_PRIVATE_H
#define CEAS_ANNEAL_PRIVATE_H

#include "ceas_anneal.h"

/* Philox4x64 stream of instance generation, apart from the read streams (the
 * read number) by being far above any read count. ASCII "instance". */
#define CEAS_ANNEAL_INSTANCE_STREAM UINT64_C(0x696e7374616e6365)

/* One entry per method file. */
extern const ceas_anneal_method ceas_anneal_method_sa;

/* Builds a problem from an edge list (i < j, 0-based, no duplicates, sorted or not)
 * and fields (NULL: none); `source`/`origin` as in the problem. Takes no ownership. */
int ceas_anneal_build(int64_t n, int64_t ne, const int32_t *ei, const int32_t *ej,
                      const double *w, const double *h, ceas_anneal_source source,
                      const char *origin, ceas_anneal_problem **out);

#endif
