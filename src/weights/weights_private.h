/* Internals shared by the format readers of ceas_weights. */
#ifndef CEAS_WEIGHTS_PRIVATE_H
#define CEAS_WEIGHTS_PRIVATE_H

#include <hdf5.h>
#include <stdio.h>

#include "ceas_weights.h"

typedef struct {
  ceas_weights_info info;
  char dtype_buf[16];  /* backs info.dtype when it is not a static string */
  int readable;        /* dtype we convert (the rank is checked separately) */
  int esize;           /* safetensors element size in bytes */
  uint64_t begin, end; /* safetensors byte range inside the data section */
} ceas_weights_entry;

enum { CEAS_WEIGHTS_SAFETENSORS, CEAS_WEIGHTS_HDF5 };

struct ceas_weights {
  char *path;
  int kind;
  FILE *fp;            /* safetensors */
  uint64_t data_start; /* safetensors: 8 + header length */
  uint64_t data_len;
  hid_t file;          /* HDF5 */
  ceas_weights_entry *e;
  size_t n, cap;
};

/* tensor.c, the bottom of the module: called by weights.c and by both format
 * readers, calls none of them. */

/* Appends an entry with a copy of `name`; CEAS_ENOMEM on failure. */
int ceas_weights_push(ceas_weights *w, const char *name, ceas_weights_entry **out);
/* Checked product of dims (each >= 0); 0 on success, -1 on overflow past
 * `limit`. */
int ceas_weights_product(const int64_t *dims, int rank, uint64_t limit,
                         uint64_t *out);
/* Fills t->name with "<name>"; CEAS_ENOMEM on failure. */
int ceas_weights_tensor_init(ceas_weights_tensor *t, const char *name, int rank,
                             const int64_t *shape, size_t size);

/* The format readers (safetensors.c, hdf5.c): called by weights.c only. */
int ceas_weights_st_open(ceas_weights *w);
int ceas_weights_st_read(ceas_weights *w, const ceas_weights_entry *e,
                         ceas_weights_tensor *out);
int ceas_weights_h5_open(ceas_weights *w);
int ceas_weights_h5_read(ceas_weights *w, const ceas_weights_entry *e,
                         ceas_weights_tensor *out);
void ceas_weights_h5_close(ceas_weights *w);

#endif
