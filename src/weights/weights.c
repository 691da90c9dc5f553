#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "weights_private.h"

int ceas_weights_open(const char *path, ceas_weights **out) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot open weights file: %s", path,
                          strerror(errno));
  ceas_weights *w = ceas_calloc(1, sizeof *w);
  if (!w) {
    fclose(fp);
    return CEAS_ENOMEM;
  }
  w->file = H5I_INVALID_HID;
  w->path = strdup(path);
  if (!w->path) {
    fclose(fp);
    free(w);
    return ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  int rc;
  if (ceas_io_is_hdf5(fp)) {
    fclose(fp);
    w->kind = CEAS_WEIGHTS_HDF5;
    rc = ceas_weights_h5_open(w);
  } else {
    w->kind = CEAS_WEIGHTS_SAFETENSORS;
    w->fp = fp;
    rc = ceas_weights_st_open(w);
  }
  if (rc) {
    ceas_weights_close(w);
    return rc;
  }
  *out = w;
  return CEAS_OK;
}

void ceas_weights_close(ceas_weights *w) {
  if (!w) return;
  if (w->fp) fclose(w->fp);
  ceas_weights_h5_close(w);
  for (size_t i = 0; i < w->n; i++) free((char *)w->e[i].info.name);
  free(w->e);
  free(w->path);
  free(w);
}

const char *ceas_weights_path(const ceas_weights *w) { return w->path; }
size_t ceas_weights_count(const ceas_weights *w) { return w->n; }

const ceas_weights_info *ceas_weights_info_at(const ceas_weights *w, size_t i) {
  return i < w->n ? &w->e[i].info : NULL;
}

static const ceas_weights_entry *lookup(const ceas_weights *w, const char *name) {
  for (size_t i = 0; i < w->n; i++)
    if (strcmp(w->e[i].info.name, name) == 0) return &w->e[i];
  return NULL;
}

/* The error buffer holds one line of about 1 kB: list names until roughly
 * half of it is used, then say how many were left out. */
static int missing(const ceas_weights *w, const char *name) {
  char list[512];
  size_t len = 0, shown = 0;
  list[0] = '\0';
  for (size_t i = 0; i < w->n; i++) {
    const char *nm = w->e[i].info.name;
    size_t need = strlen(nm) + (shown ? 2 : 0);
    if (len + need + 1 > sizeof list - 32) break;
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", shown ? ", " : "", nm);
    shown++;
  }
  if (w->n == 0)
    return ceas_error_set(CEAS_EINPUT, "%s: no tensor '%s' (the file holds no tensors)",
                          w->path, name);
  if (shown < w->n)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: no tensor '%s' (the file holds %zu: %s%s and %zu more)",
                          w->path, name, w->n, list, shown ? "," : "", w->n - shown);
  return ceas_error_set(CEAS_EINPUT, "%s: no tensor '%s' (the file holds %s)", w->path,
                        name, list);
}

int ceas_weights_find(const ceas_weights *w, const char *name,
                      const ceas_weights_info **info) {
  const ceas_weights_entry *e = lookup(w, name);
  if (!e) return missing(w, name);
  if (info) *info = &e->info;
  return CEAS_OK;
}

int ceas_weights_read(ceas_weights *w, const char *name, ceas_weights_tensor *out) {
  memset(out, 0, sizeof *out);
  const ceas_weights_entry *e = lookup(w, name);
  if (!e) return missing(w, name);
  if (!e->readable)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%s' has dtype %s (expected a floating-point "
                          "type: F64, F32, F16 or BF16)",
                          w->path, name, e->info.dtype);
  if (e->info.rank > CEAS_WEIGHTS_MAX_RANK)
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%s' has rank %d (at most %d supported)",
                          w->path, name, e->info.rank, CEAS_WEIGHTS_MAX_RANK);
  return w->kind == CEAS_WEIGHTS_HDF5 ? ceas_weights_h5_read(w, e, out)
                                      : ceas_weights_st_read(w, e, out);
}

int ceas_weights_head(const ceas_weights_tensor *w, int axis, int64_t n_heads,
                      int64_t head, ceas_weights_tensor *out) {
  memset(out, 0, sizeof *out);
  const char *nm = w->name ? w->name : "(unnamed)";
  if (w->rank != 2)
    return ceas_error_set(CEAS_EINPUT,
                          "tensor '%s': head slicing needs a rank-2 projection, got rank %d",
                          nm, w->rank);
  if (axis != CEAS_WEIGHTS_HEAD_ROWS && axis != CEAS_WEIGHTS_HEAD_COLS)
    return ceas_error_set(CEAS_EINPUT, "tensor '%s': head axis must be 0 (rows) or 1 "
                          "(columns), got %d", nm, axis);
  int64_t len = w->shape[axis];
  if (n_heads < 1 || len % n_heads != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "tensor '%s': axis %d has %lld entries, not a multiple of "
                          "n_heads = %lld",
                          nm, axis, (long long)len, (long long)n_heads);
  if (head < 0 || head >= n_heads)
    return ceas_error_set(CEAS_EINPUT, "tensor '%s': head %lld out of range [0, %lld)",
                          nm, (long long)head, (long long)n_heads);
  int64_t dk = len / n_heads, rows = w->shape[0], cols = w->shape[1];
  int64_t shape[2] = {axis == 0 ? dk : rows, axis == 0 ? cols : dk};
  char name[256];
  snprintf(name, sizeof name, "%s[head %lld]", nm, (long long)head);
  int rc = ceas_weights_tensor_init(out, name, 2, shape, (size_t)(shape[0] * shape[1]));
  if (rc) return rc;
  if (axis == 0)
    memcpy(out->data, w->data + head * dk * cols, out->size * sizeof(double));
  else
    for (int64_t r = 0; r < rows; r++)
      memcpy(out->data + r * dk, w->data + r * cols + head * dk, (size_t)dk * sizeof(double));
  return CEAS_OK;
}
