#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "weights_private.h"

/* Like couplings.c: no dataset of a weights file may claim more than 2^40
 * entries, whatever its header says. */
#define MAX_ENTRIES ((uint64_t)1 << 40)
/* A corrupt or hostile file could hold millions of links; listing stops here. */
#define MAX_DATASETS 1000000

/* HDF5 prints its error stack to stderr by default; a corrupt user file is
 * reported by our one-line message instead, and the caller's setting is put
 * back afterwards so that we do not change a global behind its back. */
typedef struct {
  H5E_auto2_t fn;
  void *data;
} quiet;

static quiet hush(void) {
  quiet q = {NULL, NULL};
  H5Eget_auto2(H5E_DEFAULT, &q.fn, &q.data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return q;
}

static void unhush(quiet q) { H5Eset_auto2(H5E_DEFAULT, q.fn, q.data); }

static void describe_type(hid_t ty, ceas_weights_entry *e) {
  H5T_class_t cls = H5Tget_class(ty);
  size_t bits = 8 * H5Tget_size(ty);
  e->readable = cls == H5T_FLOAT;
  if (cls == H5T_FLOAT)
    snprintf(e->dtype_buf, sizeof e->dtype_buf, "F%zu", bits);
  else if (cls == H5T_INTEGER)
    snprintf(e->dtype_buf, sizeof e->dtype_buf, "%c%zu",
             H5Tget_sign(ty) == H5T_SGN_NONE ? 'U' : 'I', bits);
  else
    snprintf(e->dtype_buf, sizeof e->dtype_buf, "other");
  e->info.dtype = e->dtype_buf;
}

typedef struct {
  ceas_weights *w;
  int rc;
} visit_ctx;

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *op) {
  visit_ctx *c = op;
  if (info->type != H5L_TYPE_HARD) return 0;
  if (c->w->n >= MAX_DATASETS) {
    c->rc = ceas_error_set(CEAS_EINPUT, "%s: more than %d datasets (corrupt?)",
                           c->w->path, MAX_DATASETS);
    return -1;
  }
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) return 0; /* unreadable objects are simply not listed */
  if (H5Iget_type(o) != H5I_DATASET) {
    H5Oclose(o);
    return 0;
  }
  hid_t sp = H5Dget_space(o), ty = H5Dget_type(o);
  if (sp < 0 || ty < 0) {
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    H5Oclose(o);
    return 0;
  }
  ceas_weights_entry *e;
  if ((c->rc = ceas_weights_push(c->w, name, &e))) {
    H5Sclose(sp);
    H5Tclose(ty);
    H5Oclose(o);
    return -1;
  }
  describe_type(ty, e);
  int rank = H5Sget_simple_extent_ndims(sp);
  hsize_t dims[H5S_MAX_RANK];
  if (rank < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) rank = 0, e->readable = 0;
  e->info.rank = rank;
  for (int k = 0; k < rank && k < CEAS_WEIGHTS_MAX_RANK; k++)
    e->info.shape[k] = dims[k] > INT64_MAX ? INT64_MAX : (int64_t)dims[k];
  H5Sclose(sp);
  H5Tclose(ty);
  H5Oclose(o);
  return 0;
}

int ceas_weights_h5_open(ceas_weights *w) {
  quiet q = hush();
  int rc = CEAS_OK;
  if ((rc = ceas_io_open_read(w->path, &w->file))) goto done;
  visit_ctx c = {w, CEAS_OK};
  herr_t st = H5Lvisit(w->file, H5_INDEX_NAME, H5_ITER_INC, visit, &c);
  if (c.rc)
    rc = c.rc;
  else if (st < 0)
    rc = ceas_error_set(CEAS_EINPUT, "%s: cannot list the datasets (corrupt HDF5 file?)",
                        w->path);
done:
  unhush(q);
  return rc;
}

void ceas_weights_h5_close(ceas_weights *w) {
  if (w->file >= 0) {
    quiet q = hush();
    H5Fclose(w->file);
    unhush(q);
    w->file = H5I_INVALID_HID;
  }
}

int ceas_weights_h5_read(ceas_weights *w, const ceas_weights_entry *e,
                         ceas_weights_tensor *out) {
  const char *path = w->path, *nm = e->info.name;
  quiet q = hush();
  int rc = CEAS_OK;
  hid_t d = H5Dopen2(w->file, nm, H5P_DEFAULT);
  hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
  hid_t ty = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
  if (d < 0 || sp < 0 || ty < 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: cannot open dataset '%s' (corrupt?)", path, nm);
    goto out;
  }
  if (H5Sget_simple_extent_type(sp) == H5S_NULL) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has no dataspace (holds no data)",
                        path, nm);
    goto out;
  }
  int rank = H5Sget_simple_extent_ndims(sp);
  hsize_t hd[CEAS_WEIGHTS_MAX_RANK];
  int64_t dims[CEAS_WEIGHTS_MAX_RANK];
  if (rank < 0 || rank > CEAS_WEIGHTS_MAX_RANK ||
      H5Sget_simple_extent_dims(sp, hd, NULL) < 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s': unreadable or unsupported rank",
                        path, nm);
    goto out;
  }
  for (int k = 0; k < rank; k++) {
    if (hd[k] > MAX_ENTRIES) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s': dimension %d is %llu (corrupt?)",
                          path, nm, k, (unsigned long long)hd[k]);
      goto out;
    }
    dims[k] = (int64_t)hd[k];
  }
  uint64_t count;
  if (ceas_weights_product(dims, rank, MAX_ENTRIES, &count)) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: dataset '%s' claims more than 2^40 entries (corrupt?)", path,
                        nm);
    goto out;
  }
  /* A corrupt header can claim far more entries than the file stores. */
  {
    uint64_t entries;
    if ((rc = ceas_io_dataset_check(d, path, nm, H5Tget_size(ty), &entries))) goto out;
  }
  if ((rc = ceas_weights_tensor_init(out, nm, rank, dims, (size_t)count))) goto out;
  if (count > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           out->data) < 0) {
    ceas_weights_tensor_free(out);
    rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read dataset '%s' (corrupt file?)", path,
                        nm);
  }
out:
  if (ty >= 0) H5Tclose(ty);
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  unhush(q);
  return rc;
}
