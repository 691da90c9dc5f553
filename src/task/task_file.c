/* Reading the task file that task.c writes (contract in ceas_task.h, "reading a
 * task file"); the names are task_private.h's, shared with the writer. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_task.h"
#include "task_private.h"

enum { KIND_STRING, KIND_DOUBLE, KIND_INT64, KIND_UINT64 };

#define FIELD(m) offsetof(ceas_task_file_attrs, m), sizeof(((ceas_task_file_attrs *)0)->m)
static const struct {
  const char *name;
  int kind;
  size_t offset, size;
} attr_table[CEAS_TASK_ATTR_COUNT] = {
    [CEAS_TASK_ATTR_L] = {TASK_ATTR_L, KIND_INT64, FIELD(L)},
    [CEAS_TASK_ATTR_REPLICA] = {TASK_ATTR_REPLICA, KIND_INT64, FIELD(replica)},
    [CEAS_TASK_ATTR_N_SPINS] = {TASK_ATTR_N_SPINS, KIND_INT64, FIELD(n_spins)},
    [CEAS_TASK_ATTR_SEED] = {TASK_ATTR_SEED, KIND_UINT64, FIELD(seed)},
    [CEAS_TASK_ATTR_STREAM] = {TASK_ATTR_STREAM, KIND_UINT64, FIELD(stream)},
    [CEAS_TASK_ATTR_BETA] = {TASK_ATTR_BETA, KIND_DOUBLE, FIELD(beta)},
    [CEAS_TASK_ATTR_MODEL] = {TASK_ATTR_MODEL, KIND_STRING, FIELD(model)},
    [CEAS_TASK_ATTR_ALGO] = {TASK_ATTR_ALGO, KIND_STRING, FIELD(algo)},
    [CEAS_TASK_ATTR_H] = {TASK_ATTR_H, KIND_DOUBLE, FIELD(h)},
    [CEAS_TASK_ATTR_DIM] = {TASK_ATTR_DIM, KIND_INT64, FIELD(dim)},
    [CEAS_TASK_ATTR_MEASURE_EVERY] = {TASK_ATTR_MEASURE_EVERY, KIND_UINT64, FIELD(measure_every)},
    [CEAS_TASK_ATTR_PACKED_REPLICAS] = {TASK_ATTR_PACKED_REPLICAS, KIND_INT64,
                                        FIELD(packed_replicas)},
};
#undef FIELD

static const char *const series_path[CEAS_TASK_SERIES_COUNT] = {
    [CEAS_TASK_SERIES_ENERGY] = TASK_SERIES_GROUP "/" TASK_SERIES_ENERGY,
    [CEAS_TASK_SERIES_MAGNETIZATION] = TASK_SERIES_GROUP "/" TASK_SERIES_MAGNETIZATION,
    [CEAS_TASK_SERIES_STRUCTURE_FACTOR] = TASK_SERIES_GROUP "/" TASK_SERIES_F,
};

const char *ceas_task_file_attr_name(int attr) {
  return attr >= 0 && attr < CEAS_TASK_ATTR_COUNT ? attr_table[attr].name : NULL;
}

const char *ceas_task_file_series_path(int series) {
  return series >= 0 && series < CEAS_TASK_SERIES_COUNT ? series_path[series] : NULL;
}

int ceas_task_file_read_attrs(hid_t f, const char *path, unsigned required,
                              ceas_task_file_attrs *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < CEAS_TASK_ATTR_COUNT; i++) {
    const char *name = attr_table[i].name;
    void *v = (char *)a + attr_table[i].offset;
    int rc;
    switch (attr_table[i].kind) {
    case KIND_STRING: rc = ceas_io_read_attr_string(f, path, name, v, attr_table[i].size); break;
    case KIND_DOUBLE: rc = ceas_io_read_attr_double(f, path, name, v); break;
    case KIND_INT64: rc = ceas_io_read_attr_int64(f, path, name, v); break;
    default: rc = ceas_io_read_attr_uint64(f, path, name, v); break;
    }
    if (!rc) {
      a->have |= CEAS_TASK_ATTR_BIT(i);
      continue;
    }
    if (required & CEAS_TASK_ATTR_BIT(i)) return rc;
    ceas_error_clear();
    memset(v, 0, attr_table[i].size); /* a failed read may have written part of it */
  }
  return CEAS_OK;
}

int ceas_task_file_write_replica(hid_t loc, int64_t replica) {
  return ceas_io_attr_int64(loc, TASK_ATTR_REPLICA, replica);
}

/* Rows of a 1-D or 2-D float dataset (-1 if none); *cols its columns (1 if 1-D). */
long long ceas_task_file_series_shape(hid_t file, int series, long long *cols) {
  *cols = -1;
  const char *path = ceas_task_file_series_path(series);
  if (!path) return -1;
  if (H5Lexists(file, TASK_SERIES_GROUP, H5P_DEFAULT) <= 0) return -1;
  if (H5Lexists(file, path, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) return -1;
  long long n = -1;
  hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
  int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  if (t >= 0 && H5Tget_class(t) == H5T_FLOAT && (nd == 1 || nd == 2)) {
    hsize_t dims[2] = {0, 1};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    /* The dataspace is only what the file claims (ceas_io_dataset_check). */
    uint64_t entries;
    if (!ceas_io_dataset_check(d, path, path, sizeof(double), &entries)) {
      n = (long long)dims[0];
      *cols = (long long)dims[1];
    } else {
      ceas_error_clear();
    }
  }
  if (t >= 0) H5Tclose(t);
  if (sp >= 0) H5Sclose(sp);
  H5Dclose(d);
  return n;
}

int ceas_task_file_read_series(hid_t f, int series, size_t n, double **out) {
  const char *path = ceas_task_file_series_path(series);
  *out = NULL;
  if (!path) return ceas_error_set(CEAS_EINPUT, "no task-file series %d", series);
  *out = ceas_malloc((n ? n : 1) * sizeof **out);
  if (!*out) return CEAS_ENOMEM;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  herr_t st = d >= 0 ? H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) : -1;
  if (d >= 0) H5Dclose(d);
  if (st < 0) {
    free(*out);
    *out = NULL;
    return ceas_error_set(CEAS_EINPUT, "cannot read /%s", path);
  }
  return CEAS_OK;
}

int ceas_task_file_read_observables(hid_t f, const char *path,
                                    ceas_task_file_observables *o) {
  int rc = CEAS_OK;
  hid_t g = H5Lexists(f, TASK_OBS_GROUP, H5P_DEFAULT) > 0
                ? H5Gopen2(f, TASK_OBS_GROUP, H5P_DEFAULT)
                : H5I_INVALID_HID;
  if (g < 0) return ceas_error_set(CEAS_EINPUT, "%s: no /" TASK_OBS_GROUP " group", path);
  rc = ceas_io_read_attr_int64(g, path, TASK_OBS_CONVERGED, &o->converged);
  for (int i = 0; !rc && i < CEAS_OBS_COUNT; i++) {
    const char *name = ceas_measure_obs_name(i);
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: missing /" TASK_OBS_GROUP "/%s", path, name);
      break;
    }
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: cannot open /" TASK_OBS_GROUP "/%s", path, name);
      break;
    }
    rc = ceas_io_read_attr_double(d, path, TASK_OBS_MEAN, &o->mean[i]);
    if (!rc) rc = ceas_io_read_attr_double(d, path, TASK_OBS_ERROR, &o->error[i]);
    o->tau_int[i] = NAN;
    if (!rc && H5Aexists(d, TASK_OBS_TAU) > 0)
      rc = ceas_io_read_attr_double(d, path, TASK_OBS_TAU, &o->tau_int[i]);
    H5Dclose(d);
  }
  H5Gclose(g);
  return rc;
}
