/* HDF5 attributes and datasets: writing them (a failed write names the file) and
 * reading them back with checks of type, shape and stored size (see ceas_io.h). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "io_private.h"

/* The file that `loc` belongs to, as the user named it (a temporary
 * "<dir>/.<base>.tmp.<pid>.<hex>" is named by what it will be published as): a
 * failed write names the file, not just the dataset. */
static void file_label(hid_t loc, char *buf, size_t cap) {
  char name[4096];
  ssize_t n = H5Fget_name(loc, name, sizeof name);
  if (n <= 0 || (size_t)n >= sizeof name) {
    snprintf(buf, cap, "HDF5");
    return;
  }
  char *slash = strrchr(name, '/');
  char *base = slash ? slash + 1 : name;
  char *tmp = strstr(base, ".tmp.");
  if (base[0] == '.' && tmp) {
    *tmp = '\0';
    memmove(base, base + 1, strlen(base));
  }
  snprintf(buf, cap, "%s", strncmp(name, "./", 2) ? name : name + 2);
}

int ceas_io_write_error(hid_t loc, const char *what, const char *name) {
  char file[4096];
  file_label(loc, file, sizeof file);
  return ceas_error_set(CEAS_EIO, "%s: cannot write %s '%s'", file, what, name);
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v) {
  if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = a >= 0 ? H5Awrite(a, type, v) : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  if (st < 0) return ceas_io_write_error(loc, "attribute", name);
  return CEAS_OK;
}

/* Variable-length UTF-8: h5py reads it as a Python str, and no reader has to know
 * a width. */
static hid_t vlen_utf8(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

int ceas_io_attr_string(hid_t loc, const char *name, const char *value) {
  hid_t t = vlen_utf8();
  int rc = attr_write(loc, name, t, &value);
  H5Tclose(t);
  return rc;
}

int ceas_io_attr_double(hid_t loc, const char *name, double value) {
  return attr_write(loc, name, H5T_NATIVE_DOUBLE, &value);
}

int ceas_io_attr_int64(hid_t loc, const char *name, int64_t value) {
  return attr_write(loc, name, H5T_NATIVE_INT64, &value);
}

int ceas_io_attr_uint64(hid_t loc, const char *name, uint64_t value) {
  return attr_write(loc, name, H5T_NATIVE_UINT64, &value);
}

/* Object headers carry no modification times, so that the same run gives a
 * byte-identical file. */
static hid_t untimed_plist(hid_t cls) {
  hid_t p = H5Pcreate(cls);
  if (p >= 0) H5Pset_obj_track_times(p, 0);
  return p;
}

static int write_nd(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                    const void *x, int rank, const hsize_t *dims) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = untimed_plist(H5P_DATASET_CREATE);
  hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  herr_t st = d >= 0 ? (n ? H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) : 0)
                     : -1;
  /* A small dataset sits in HDF5's sieve buffer until closed: the close writes it. */
  if (d >= 0 && H5Dclose(d) < 0) st = -1;
  H5Pclose(dcpl);
  H5Sclose(space);
  if (st < 0) return ceas_io_write_error(loc, "dataset", name);
  return CEAS_OK;
}

static int write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                    const void *x, size_t n) {
  hsize_t dims[1] = {n};
  return write_nd(loc, name, file_type, mem_type, x, 1, dims);
}

int ceas_io_write_doubles_2d(hid_t loc, const char *name, const double *x, size_t rows,
                             size_t cols) {
  hsize_t dims[2] = {rows, cols};
  return write_nd(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x, 2, dims);
}

int ceas_io_write_doubles(hid_t loc, const char *name, const double *x,
                          size_t n) {
  return write_1d(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x, n);
}

int ceas_io_write_int8(hid_t loc, const char *name, const int8_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_I8LE, H5T_NATIVE_INT8, x, n);
}

int ceas_io_write_int64s(hid_t loc, const char *name, const int64_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, x, n);
}

int ceas_io_write_uint64s(hid_t loc, const char *name, const uint64_t *x, size_t n) {
  return write_1d(loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, x, n);
}

int ceas_io_write_scalar(hid_t loc, const char *name, double value,
                         hid_t *dataset_out) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t dcpl = untimed_plist(H5P_DATASET_CREATE);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                       H5P_DEFAULT);
  herr_t st = d >= 0 ? H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, &value)
                     : -1;
  H5Pclose(dcpl);
  H5Sclose(space);
  if (st < 0) {
    if (d >= 0) H5Dclose(d);
    return ceas_io_write_error(loc, "dataset", name);
  }
  if (dataset_out)
    *dataset_out = d;
  else
    H5Dclose(d);
  return CEAS_OK;
}

int ceas_io_group(hid_t loc, const char *name, hid_t *group) {
  hid_t gcpl = untimed_plist(H5P_GROUP_CREATE);
  hid_t g = H5Lexists(loc, name, H5P_DEFAULT) > 0
                ? H5Gopen2(loc, name, H5P_DEFAULT)
                : H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  if (g < 0) return ceas_io_write_error(loc, "group", name);
  *group = g;
  return CEAS_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* One number: H5Aread writes every element of the attribute, so an array where a
 * scalar belongs would write past v, and a string is no number. */
static int attr_read(hid_t loc, const char *source, const char *name, hid_t mem,
                     void *v) {
  if (H5Aexists(loc, name) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing attribute '%s'", source, name);
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  herr_t st = -1;
  if (a >= 0) {
    hid_t sp = H5Aget_space(a), ft = H5Aget_type(a);
    H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (sp >= 0 && H5Sget_simple_extent_npoints(sp) == 1 &&
        (cl == H5T_INTEGER || cl == H5T_FLOAT))
      st = H5Aread(a, mem, v);
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    H5Aclose(a);
  }
  if (st < 0)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot read attribute '%s'", source, name);
  return CEAS_OK;
}

int ceas_io_read_attr_double(hid_t loc, const char *source, const char *name,
                             double *value) {
  return attr_read(loc, source, name, H5T_NATIVE_DOUBLE, value);
}

int ceas_io_read_attr_int64(hid_t loc, const char *source, const char *name,
                            int64_t *value) {
  return attr_read(loc, source, name, H5T_NATIVE_INT64, value);
}

int ceas_io_read_attr_uint64(hid_t loc, const char *source, const char *name,
                             uint64_t *value) {
  return attr_read(loc, source, name, H5T_NATIVE_UINT64, value);
}

/* Any string attribute, variable- or fixed-length (earlier builds wrote
 * fixed-length ones: their files stay readable), as a malloc'd NUL-terminated copy. */
char *io_attr_text(hid_t a, hid_t ft) {
  char *out = NULL;
  hid_t mt = H5Tcopy(H5T_C_S1);
  /* HDF5 will not convert between character sets: read in the file's. */
  H5Tset_cset(mt, H5Tget_cset(ft));
  if (H5Tis_variable_str(ft) > 0) {
    char *s = NULL;
    H5Tset_size(mt, H5T_VARIABLE);
    if (H5Aread(a, mt, &s) >= 0) out = strdup(s ? s : "");
    if (s) H5free_memory(s);
  } else {
    size_t len = H5Tget_size(ft);
    H5Tset_size(mt, len + 1);
    out = calloc(len + 1, 1);
    if (out && H5Aread(a, mt, out) < 0) {
      free(out);
      out = NULL;
    }
  }
  H5Tclose(mt);
  return out;
}

int ceas_io_read_attr_string(hid_t loc, const char *source, const char *name,
                             char *buf, size_t cap) {
  if (H5Aexists(loc, name) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing attribute '%s'", source, name);
  int rc = CEAS_OK;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  if (a < 0 || ft < 0 || H5Tget_class(ft) != H5T_STRING) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: attribute '%s' is not a string", source, name);
  } else {
    char *s = io_attr_text(a, ft);
    if (!s)
      rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read attribute '%s'", source, name);
    else if (strlen(s) + 1 > cap)
      rc = ceas_error_set(CEAS_EINPUT, "%s: attribute '%s' is too long", source, name);
    else
      memcpy(buf, s, strlen(s) + 1);
    free(s);
  }
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return rc;
}

static int read_1d(hid_t loc, const char *source, const char *name, hid_t mem,
                   void *x, size_t n) {
  if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
    return ceas_error_set(CEAS_EINPUT, "%s: missing dataset '%s'", source, name);
  int rc = CEAS_OK;
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
  hsize_t dims[1] = {0};
  if (d < 0 || sp < 0 || H5Sget_simple_extent_ndims(sp) != 1) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' is not one-dimensional", source,
                        name);
  } else {
    H5Sget_simple_extent_dims(sp, dims, NULL);
    if (dims[0] != n)
      rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has %llu entries, expected %zu",
                          source, name, (unsigned long long)dims[0], n);
    else if (n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0)
      rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read dataset '%s' (corrupt?)", source,
                          name);
  }
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  return rc;
}

int ceas_io_read_doubles(hid_t loc, const char *source, const char *name,
                         double *x, size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_DOUBLE, x, n);
}

int ceas_io_read_int8(hid_t loc, const char *source, const char *name, int8_t *x,
                      size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_INT8, x, n);
}

int ceas_io_read_uint64s(hid_t loc, const char *source, const char *name, uint64_t *x,
                         size_t n) {
  return read_1d(loc, source, name, H5T_NATIVE_UINT64, x, n);
}

int ceas_io_write_strings(hid_t loc, const char *name, const char *const *v, size_t n) {
  hid_t t = vlen_utf8();
  hsize_t dims[1] = {n};
  int rc = write_nd(loc, name, t, t, v, 1, dims);
  H5Tclose(t);
  return rc;
}

int ceas_io_copy_attr(hid_t from, hid_t to, const char *name) {
  if (H5Aexists(from, name) <= 0) return CEAS_OK;
  hid_t a = H5Aopen(from, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  int rc = -1;
  if (cl == H5T_STRING) {
    char *v = io_attr_text(a, ft);
    if (v) rc = ceas_io_attr_string(to, name, v);
    free(v);
  } else if (cl == H5T_INTEGER && H5Tget_sign(ft) == H5T_SGN_NONE) {
    uint64_t v;
    if (H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0) rc = ceas_io_attr_uint64(to, name, v);
  } else if (cl == H5T_INTEGER) {
    int64_t v;
    if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) rc = ceas_io_attr_int64(to, name, v);
  } else if (cl == H5T_FLOAT) {
    double v;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) rc = ceas_io_attr_double(to, name, v);
  }
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return rc < 0 ? ceas_error_set(CEAS_EIO, "HDF5: cannot copy attribute '%s'", name) : rc;
}

int ceas_io_dataset_check(hid_t d, const char *source, const char *name, size_t elem_size,
                          uint64_t *entries) {
  hid_t sp = H5Dget_space(d);
  int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  hsize_t dims[H5S_MAX_RANK];
  if (nd < 0 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
    if (sp >= 0) H5Sclose(sp);
    return ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has no readable shape (corrupt?)",
                          source, name);
  }
  H5Sclose(sp);
  size_t f[H5S_MAX_RANK + 1], bytes;
  uint64_t count = 1;
  for (int i = 0; i < nd; i++) {
    if (dims[i] > SIZE_MAX)
      return ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' claims %llu entries in a "
                            "dimension; expected what fits in memory (corrupt?)",
                            source, name, (unsigned long long)dims[i]);
    f[i] = (size_t)dims[i];
    count *= dims[i]; /* cannot wrap unless the size check below fails */
  }
  f[nd] = elem_size;
  char what[600];
  snprintf(what, sizeof what, "%s: dataset '%s'", source, name);
  if (ceas_size_check(what, &bytes, nd + 1, f)) return CEAS_EINPUT;
  hid_t dcpl = H5Dget_create_plist(d);
  int nfilters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : -1;
  int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
  hsize_t chunk[H5S_MAX_RANK];
  int cnd = chunked ? H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk) : 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  hsize_t stored = H5Dget_storage_size(d);
  const char *lie = NULL;
  if (nfilters < 0)
    lie = "has an unreadable creation property list";
  else if (nfilters == 0 && stored < (hsize_t)bytes)
    lie = "is truncated or was never written";
  else if (nfilters > 0 && bytes > 0 && (long double)bytes > 2048.0L * (long double)stored)
    lie = "is compressed beyond what any filter expands";
  if (!lie && chunked && bytes > 0 && cnd == nd) {
    hsize_t want = 1, have = 0;
    for (int i = 0; i < nd; i++) want *= (dims[i] + chunk[i] - 1) / chunk[i];
    hid_t all = H5Dget_space(d);
    if (all < 0 || H5Dget_num_chunks(d, all, &have) < 0 || have != want)
      lie = "has chunks that were never written";
    if (all >= 0) H5Sclose(all);
  }
  if (lie)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: dataset '%s' claims %llu entries (%zu bytes) but the file "
                          "stores only %llu bytes of them: it %s (corrupt?)",
                          source, name, (unsigned long long)count, bytes,
                          (unsigned long long)stored, lie);
  *entries = count;
  return CEAS_OK;
}
