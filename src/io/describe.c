/* Self-describing files (ceas_io_describe: every dataset's and attribute's doc row)
 * and self-contained inputs (ceas_io_self_contained: no external or soft links). */
#define _POSIX_C_SOURCE 200809L
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "io_private.h"

/* ---- self-describing files ---------------------------------------------- */

/* The value of attribute `name` of object `o` as text (numbers as %.10g or in
 * full for integers), malloc'd; NULL if it has none. */
static char *attr_as_text(hid_t o, const char *name) {
  if (H5Aexists(o, name) <= 0) return NULL;
  hid_t a = H5Aopen(o, name, H5P_DEFAULT);
  hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
  hid_t sp = a >= 0 ? H5Aget_space(a) : H5I_INVALID_HID;
  char *out = NULL;
  char num[64];
  H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  if (sp < 0 || H5Sget_simple_extent_npoints(sp) != 1) {
    /* arrays are not spelled into descriptions */
  } else if (cl == H5T_STRING) {
    out = io_attr_text(a, ft);
  } else if (cl == H5T_INTEGER && H5Tget_sign(ft) == H5T_SGN_NONE) {
    uint64_t v;
    if (H5Aread(a, H5T_NATIVE_UINT64, &v) >= 0) {
      snprintf(num, sizeof num, "%" PRIu64, v);
      out = strdup(num);
    }
  } else if (cl == H5T_INTEGER) {
    int64_t v;
    if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) {
      snprintf(num, sizeof num, "%" PRId64, v);
      out = strdup(num);
    }
  } else if (cl == H5T_FLOAT) {
    double v;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) {
      snprintf(num, sizeof num, "%.10g", v);
      out = strdup(num);
    }
  }
  if (sp >= 0) H5Sclose(sp);
  if (ft >= 0) H5Tclose(ft);
  if (a >= 0) H5Aclose(a);
  return out;
}

/* Attribute `name` looked up on the dataset at `path`, then on each group above
 * it, the root last. */
static char *lookup_attr(hid_t file, const char *path, const char *name) {
  char *p = strdup(path);
  char *out = NULL;
  if (!p) return NULL;
  for (;;) {
    hid_t o = H5Oopen(file, *p ? p : ".", H5P_DEFAULT);
    if (o >= 0) {
      out = attr_as_text(o, name);
      H5Oclose(o);
    }
    if (out || !*p) break;
    char *slash = strrchr(p, '/');
    if (slash)
      *slash = '\0';
    else
      *p = '\0';
  }
  free(p);
  return out;
}

typedef struct {
  char *buf;
  size_t len, cap;
} text_buf;

static int text_add(text_buf *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = 2 * (t->len + n + 1);
    char *b = realloc(t->buf, cap);
    if (!b) return ceas_error_set(CEAS_ENOMEM, "out of memory");
    t->buf = b;
    t->cap = cap;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
  return CEAS_OK;
}

#define IDENT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* `tmpl` with each "{attr}" replaced (see ceas_io_describe); "{base}" is `base`.
 * Braces around anything but an identifier stay as written ("sum_{i<j}"). */
static int expand(hid_t file, const char *path, const char *tmpl, const char *base,
                  char **out) {
  text_buf t = {0};
  int rc = text_add(&t, "", 0);
  for (const char *s = tmpl; !rc && *s;) {
    const char *open = strchr(s, '{');
    const char *close = open ? strchr(open, '}') : NULL;
    if (!close) {
      rc = text_add(&t, s, strlen(s));
      break;
    }
    char name[128];
    size_t n = (size_t)(close - open - 1);
    if (n == 0 || n >= sizeof name || strspn(open + 1, IDENT_CHARS) != n) {
      rc = text_add(&t, s, (size_t)(close + 1 - s));
      s = close + 1;
      continue;
    }
    rc = text_add(&t, s, (size_t)(open - s));
    memcpy(name, open + 1, n);
    name[n] = '\0';
    if (!rc && !strcmp(name, "base") && base) {
      rc = text_add(&t, base, strlen(base));
    } else if (!rc) {
      char *v = lookup_attr(file, path, name);
      rc = v ? text_add(&t, v, strlen(v))
             : ceas_error_set(CEAS_EIO, "%s: no attribute '%s' for its description", path,
                              name);
      free(v);
    }
    s = close + 1;
  }
  if (rc) {
    free(t.buf);
    return rc;
  }
  *out = t.buf;
  return CEAS_OK;
}

static const ceas_io_doc *doc_row(const ceas_io_doc *rows, const char *path) {
  for (const ceas_io_doc *r = rows; r->path; r++)
    if (fnmatch(r->path, path, 0) == 0) return r;
  return NULL;
}

static int describe_one(hid_t file, const ceas_io_doc *rows, const char *path) {
  const ceas_io_doc *r = doc_row(rows, path);
  if (!r)
    return ceas_error_set(CEAS_EIO,
                          "HDF5: dataset '%s' has no row in its file's documentation table",
                          path);
  const char *units = r->units;
  char base[256] = "";
  if (!units) {
    /* A companion "<base><suffix>": the units of <base>. */
    const char *suffix = strrchr(r->path, '*');
    size_t pl = strlen(path), sl = suffix ? strlen(suffix + 1) : 0;
    const ceas_io_doc *b = NULL;
    if (suffix && sl < pl && pl - sl < sizeof base) {
      memcpy(base, path, pl - sl);
      base[pl - sl] = '\0';
      b = doc_row(rows, base);
    }
    if (!b || !b->units)
      return ceas_error_set(CEAS_EIO, "HDF5: dataset '%s': no base dataset for its units",
                            path);
    units = b->units;
    const char *leaf = strrchr(base, '/');
    memmove(base, leaf ? leaf + 1 : base, strlen(leaf ? leaf + 1 : base) + 1);
  }
  char *u = NULL, *d = NULL;
  hid_t o = H5I_INVALID_HID;
  int rc = expand(file, path, units, base, &u);
  if (!rc) rc = expand(file, path, r->description, base, &d);
  if (!rc && (o = H5Oopen(file, path, H5P_DEFAULT)) < 0)
    rc = ceas_error_set(CEAS_EIO, "HDF5: cannot open dataset '%s'", path);
  if (!rc) rc = ceas_io_attr_string(o, "units", u);
  if (!rc) rc = ceas_io_attr_string(o, "description", d);
  if (o >= 0) H5Oclose(o);
  free(u);
  free(d);
  return rc;
}

typedef struct {
  char **paths;
  size_t n, cap;
  int failed;
} path_list;

static herr_t collect_dataset(hid_t loc, const char *name, const H5L_info_t *info,
                              void *data) {
  path_list *l = data;
  if (info->type != H5L_TYPE_HARD) return 0;
  hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
  int dataset = o >= 0 && H5Iget_type(o) == H5I_DATASET;
  if (o >= 0) H5Oclose(o);
  if (!dataset) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    char **p = realloc(l->paths, cap * sizeof *p);
    if (!p) return l->failed = 1, -1;
    l->paths = p;
    l->cap = cap;
  }
  if (!(l->paths[l->n] = strdup(name))) return l->failed = 1, -1;
  l->n++;
  return 0;
}

int ceas_io_describe(hid_t file, const ceas_io_doc *rows) {
  path_list l = {0};
  int rc = CEAS_OK;
  /* Attributes are added after the walk: HDF5 does not promise a visit that
   * survives changes to the objects visited. */
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &l) < 0)
    rc = l.failed ? ceas_error_set(CEAS_ENOMEM, "out of memory")
                  : ceas_error_set(CEAS_EIO, "HDF5: cannot list the datasets of a file");
  for (size_t i = 0; i < l.n && !rc; i++) rc = describe_one(file, rows, l.paths[i]);
  for (size_t i = 0; i < l.n; i++) free(l.paths[i]);
  free(l.paths);
  return rc;
}

/* ---- self-contained inputs ---------------------------------------------- */

typedef struct {
  const char *why;
  char name[256];
} foreign_link;

static herr_t find_foreign(hid_t loc, const char *name, const H5L_info_t *info,
                           void *data) {
  foreign_link *r = data;
  if (info->type == H5L_TYPE_EXTERNAL)
    r->why = "is an external link (to another file)";
  else if (info->type != H5L_TYPE_HARD && info->type != H5L_TYPE_SOFT)
    r->why = "is a user-defined link";
  else if (info->type == H5L_TYPE_HARD) {
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o >= 0 && H5Iget_type(o) == H5I_DATASET) {
      hid_t dcpl = H5Dget_create_plist(o);
      if (dcpl >= 0 && H5Pget_external_count(dcpl) > 0)
        r->why = "stores its data in external files";
      else if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_VIRTUAL)
        r->why = "is a virtual dataset (its data lives in other files)";
      if (dcpl >= 0) H5Pclose(dcpl);
    }
    if (o >= 0) H5Oclose(o);
  }
  if (!r->why) return 0;
  snprintf(r->name, sizeof r->name, "%s", name);
  return 1; /* stop the walk */
}

int ceas_io_self_contained(hid_t file, const char *source) {
  foreign_link r = {0};
  if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, find_foreign, &r) < 0 && !r.why)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot list its objects (corrupt?)", source);
  if (r.why)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: '%s' %s; expected a self-contained HDF5 file (refused: "
                          "ceasim reads no file an input only points to)",
                          source, r.name, r.why);
  return CEAS_OK;
}
