#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_mapping.h"

#define MAX_SPINS 2147483647LL
#define MAX_ENTRIES ((hsize_t)1 << 40)

typedef struct {
  int64_t i, j;
  double J;
  long line;
} edge;

static int cmp_edge(const void *a, const void *b) {
  const edge *x = a, *y = b;
  if (x->i != y->i) return (x->i > y->i) - (x->i < y->i);
  if (x->j != y->j) return (x->j > y->j) - (x->j < y->j);
  return (x->line > y->line) - (x->line < y->line);
}

/* Parses one integer index token; the message names file and line. */
static int parse_index(const char *tok, const char *path, long line,
                       int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(tok, &end, 10);
  if (*end || end == tok || errno == ERANGE)
    return ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: expected a spin index (integer), got '%s'",
                          path, line, tok);
  if (v < 0 || v >= MAX_SPINS)
    return ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: spin index %lld out of range (expected 0 <= "
                          "index < 2^31-1)",
                          path, line, v);
  *out = v;
  return CEAS_OK;
}

static int parse_value(const char *tok, const char *path, long line,
                       double *out) {
  const char *why = ceas_number_parse(tok, out);
  if (why)
    return ceas_error_set(CEAS_EINPUT, "%s:%ld: expected %s, got '%s'", path, line,
                          why, tok);
  return CEAS_OK;
}

typedef struct {
  int64_t i;
  double v;
  long line;
} field;

static int read_text(const char *path, FILE *fp, double h_extra,
                     ceas_lattice_system **out) {
  int rc = CEAS_OK;
  edge *edges = NULL;
  field *fields = NULL;
  size_t ne = 0, ce = 0, nf = 0, cf = 0;
  int64_t n_decl = -1, maxidx = -1;
  long n_line = 0;
  char *buf = NULL;
  size_t cap = 0;
  long line = 0;
  int64_t *indptr = NULL;
  int32_t *indices = NULL;
  double *J = NULL, *h = NULL;
  ssize_t len;
  while ((len = getline(&buf, &cap, fp)) >= 0) {
    line++;
    /* The string functions below would stop at a NUL and drop the rest. */
    if (strlen(buf) != (size_t)len) {
      rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected text, got a NUL byte", path,
                          line);
      goto done;
    }
    char *hash = strchr(buf, '#');
    if (hash) *hash = '\0';
    char *tok[4];
    int nt = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t\r\n", &save); t;
         t = strtok_r(NULL, " \t\r\n", &save)) {
      if (nt == 4) {
        nt = 5;
        break;
      }
      tok[nt++] = t;
    }
    if (nt == 0) continue;
    if (strcmp(tok[0], "n") == 0) {
      if (nt != 2) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected 'n <number of spins>'", path, line);
        goto done;
      }
      if (n_decl >= 0) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: 'n' given twice (first at line %ld)", path,
                            line, n_line);
        goto done;
      }
      if ((rc = parse_index(tok[1], path, line, &n_decl))) goto done;
      if (n_decl < 1) {
        rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected n >= 1", path, line);
        goto done;
      }
      n_line = line;
    } else if (strcmp(tok[0], "h") == 0) {
      if (nt != 3) {
        rc = ceas_error_set(CEAS_EINPUT, "%s:%ld: expected 'h <spin> <value>'",
                            path, line);
        goto done;
      }
      field f = {0, 0, line};
      if ((rc = parse_index(tok[1], path, line, &f.i))) goto done;
      if ((rc = parse_value(tok[2], path, line, &f.v))) goto done;
      if (nf == cf) {
        cf = cf ? 2 * cf : 64;
        field *p = realloc(fields, cf * sizeof *p);
        if (!p) {
          rc = ceas_error_set(CEAS_ENOMEM, "out of memory reading %s", path);
          goto done;
        }
        fields = p;
      }
      fields[nf++] = f;
      if (f.i > maxidx) maxidx = f.i;
    } else {
      if (nt != 3) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: expected 'i j J' (two spin indices and a "
                            "coupling), 'h i value' or 'n N'",
                            path, line);
        goto done;
      }
      edge e = {0, 0, 0, line};
      if ((rc = parse_index(tok[0], path, line, &e.i))) goto done;
      if ((rc = parse_index(tok[1], path, line, &e.j))) goto done;
      if ((rc = parse_value(tok[2], path, line, &e.J))) goto done;
      if (e.i == e.j) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s:%ld: self-coupling of spin %lld (expected i != j)",
                            path, line, (long long)e.i);
        goto done;
      }
      if (e.i > e.j) {
        int64_t t = e.i;
        e.i = e.j;
        e.j = t;
      }
      if (ne == ce) {
        ce = ce ? 2 * ce : 256;
        edge *p = realloc(edges, ce * sizeof *p);
        if (!p) {
          rc = ceas_error_set(CEAS_ENOMEM, "out of memory reading %s", path);
          goto done;
        }
        edges = p;
      }
      edges[ne++] = e;
      if (e.j > maxidx) maxidx = e.j;
    }
  }
  if (ferror(fp)) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: read error: %s", path, strerror(errno));
    goto done;
  }
  if (maxidx < 0 && n_decl < 0) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: no spins defined (expected 'i j J' lines, 'h i "
                        "value' lines or 'n N')",
                        path);
    goto done;
  }
  int64_t n = n_decl >= 0 ? n_decl : maxidx + 1;
  if (maxidx >= n) {
    long bad = 0;
    for (size_t k = 0; k < ne && !bad; k++)
      if (edges[k].j >= n) bad = edges[k].line;
    for (size_t k = 0; k < nf && !bad; k++)
      if (fields[k].i >= n) bad = fields[k].line;
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s:%ld: spin index out of range (expected < n = %lld "
                        "declared at line %ld)",
                        path, bad, (long long)n, n_line);
    goto done;
  }
  if (ne > 1) qsort(edges, ne, sizeof *edges, cmp_edge); /* qsort(NULL, 0) is UB */
  for (size_t k = 1; k < ne; k++)
    if (edges[k].i == edges[k - 1].i && edges[k].j == edges[k - 1].j) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: coupling (%lld, %lld) already given at line %ld",
                          path, edges[k].line, (long long)edges[k].i,
                          (long long)edges[k].j, edges[k - 1].line);
      goto done;
    }
  {
    /* n comes from the file ('n N' or the largest index): per spin an offset, a
     * field, its line and a fill cursor, per edge two (index, J) entries. */
    char what[4200];
    snprintf(what, sizeof what, "%s: n = %lld spins and %zu couplings", path, (long long)n,
             ne);
    size_t bytes;
    const size_t f[] = {(size_t)n + 1 + ne, 4 * sizeof(double)};
    if ((rc = ceas_size_check(what, &bytes, 2, f))) goto done;
  }
  indptr = ceas_calloc((size_t)n + 1, sizeof *indptr);
  indices = ceas_malloc(2 * ne * sizeof *indices);
  J = ceas_malloc(2 * ne * sizeof *J);
  h = ceas_calloc((size_t)n, sizeof *h);
  long *hline = ceas_calloc((size_t)n, sizeof *hline);
  if (!indptr || !indices || !J || !h || !hline) {
    free(hline);
    rc = CEAS_ENOMEM;
    goto done;
  }
  for (size_t k = 0; k < nf; k++) {
    if (hline[fields[k].i]) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s:%ld: field on spin %lld already given at line %ld",
                          path, fields[k].line, (long long)fields[k].i,
                          hline[fields[k].i]);
      free(hline);
      goto done;
    }
    hline[fields[k].i] = fields[k].line;
    h[fields[k].i] = fields[k].v;
  }
  free(hline);
  for (int64_t i = 0; i < n; i++) h[i] += h_extra;
  for (size_t k = 0; k < ne; k++) {
    indptr[edges[k].i + 1]++;
    indptr[edges[k].j + 1]++;
  }
  for (int64_t i = 0; i < n; i++) indptr[i + 1] += indptr[i];
  {
    int64_t *fill = ceas_malloc((size_t)n * sizeof *fill);
    if (!fill) {
      rc = CEAS_ENOMEM;
      goto done;
    }
    memcpy(fill, indptr, (size_t)n * sizeof *fill);
    for (size_t k = 0; k < ne; k++) {
      int64_t a = fill[edges[k].i]++, b = fill[edges[k].j]++;
      indices[a] = (int32_t)edges[k].j;
      J[a] = edges[k].J;
      indices[b] = (int32_t)edges[k].i;
      J[b] = edges[k].J;
    }
    free(fill);
  }
  rc = ceas_lattice_graph_alloc(n, indptr, indices, J, h, path, out);
done:
  free(buf);
  free(edges);
  free(fields);
  free(indptr);
  free(indices);
  free(J);
  free(h);
  return rc;
}

/* Reads a rank-1 dataset into a freshly allocated array of `mem_type`,
 * checking its length when `expect` >= 0. */
static int read_1d(hid_t file, const char *path, const char *name, hid_t mem_type,
                   size_t elem, int64_t expect, int optional, void **data,
                   int64_t *len) {
  *data = NULL;
  *len = 0;
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    if (optional) return CEAS_OK;
    return ceas_error_set(CEAS_EINPUT,
                          "%s: missing dataset '%s' (expected indptr, indices, "
                          "data and optional h)",
                          path, name);
  }
  int rc = CEAS_OK;
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
  hid_t ty = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
  hsize_t dims[1] = {0};
  if (d < 0 || sp < 0 || ty < 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: cannot open dataset '%s'", path, name);
    goto out;
  }
  H5T_class_t cls = H5Tget_class(ty);
  int want_int = H5Tget_class(mem_type) == H5T_INTEGER;
  if ((want_int && cls != H5T_INTEGER) ||
      (!want_int && cls != H5T_FLOAT && cls != H5T_INTEGER)) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' must hold %s", path, name,
                        want_int ? "integers" : "numbers");
    goto out;
  }
  if (H5Sget_simple_extent_ndims(sp) != 1) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' must be one-dimensional",
                        path, name);
    goto out;
  }
  H5Sget_simple_extent_dims(sp, dims, NULL);
  if (expect >= 0 && (int64_t)dims[0] != expect) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: dataset '%s' has %llu entries, expected %lld",
                        path, name, (unsigned long long)dims[0], (long long)expect);
    goto out;
  }
  if (dims[0] > MAX_ENTRIES) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: dataset '%s' claims %llu entries, more than the 2^40 a "
                        "coupling file may hold (corrupt?)",
                        path, name, (unsigned long long)dims[0]);
    goto out;
  }
  /* A corrupt header can claim far more entries than the file stores. */
  {
    uint64_t entries;
    if ((rc = ceas_io_dataset_check(d, path, name, H5Tget_size(ty), &entries))) goto out;
  }
  *data = ceas_malloc((size_t)dims[0] * elem);
  if (!*data) {
    rc = CEAS_ENOMEM;
    goto out;
  }
  if (dims[0] > 0 &&
      H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) < 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: cannot read dataset '%s' (corrupt file?)",
                        path, name);
    free(*data);
    *data = NULL;
    goto out;
  }
  *len = (int64_t)dims[0];
out:
  if (ty >= 0) H5Tclose(ty);
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  return rc;
}

static int read_hdf5(const char *path, double h_extra, ceas_lattice_system **out) {
  hid_t f;
  int rc = ceas_io_open_read(path, &f);
  if (rc) return rc;
  int64_t *indptr = NULL, *idx64 = NULL;
  int32_t *indices = NULL;
  double *J = NULL, *h = NULL;
  int64_t np = 0, nnz = 0, nj = 0, nh = 0;
  rc = read_1d(f, path, "indptr", H5T_NATIVE_INT64, sizeof *indptr, -1, 0,
                   (void **)&indptr, &np);
  if (rc) goto done;
  if (np < 2) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: dataset 'indptr' must have n+1 >= 2 entries", path);
    goto done;
  }
  int64_t n = np - 1;
  if (n >= MAX_SPINS) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: 'indptr' describes %lld spins, expected < 2^31-1",
                        path, (long long)n);
    goto done;
  }
  /* indptr first: it fixes the length the other datasets must have. */
  if (indptr[0] != 0 || indptr[n] < 0 || (hsize_t)indptr[n] > MAX_ENTRIES) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: 'indptr' must start at 0 and end at the number of "
                        "stored couplings (got %lld ... %lld)",
                        path, (long long)indptr[0], (long long)indptr[n]);
    goto done;
  }
  if ((rc = read_1d(f, path, "indices", H5T_NATIVE_INT64, sizeof *idx64, indptr[n], 0,
                    (void **)&idx64, &nnz)))
    goto done;
  if ((rc = read_1d(f, path, "data", H5T_NATIVE_DOUBLE, sizeof *J, nnz, 0,
                    (void **)&J, &nj)))
    goto done;
  if ((rc = read_1d(f, path, "h", H5T_NATIVE_DOUBLE, sizeof *h, n, 1, (void **)&h,
                    &nh)))
    goto done;
  indices = ceas_malloc((size_t)(nnz ? nnz : 1) * sizeof *indices);
  if (!indices) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  for (int64_t k = 0; k < nnz; k++) {
    if (idx64[k] < 0 || idx64[k] >= n) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: indices[%lld] = %lld is out of range [0, %lld)", path,
                          (long long)k, (long long)idx64[k], (long long)n);
      goto done;
    }
    indices[k] = (int32_t)idx64[k];
  }
  if (!h) {
    h = ceas_calloc((size_t)n, sizeof *h);
    if (!h) {
      rc = CEAS_ENOMEM;
      goto done;
    }
  }
  for (int64_t i = 0; i < n; i++) h[i] += h_extra;
  rc = ceas_lattice_graph_alloc(n, indptr, indices, J, h, path, out);
done:
  free(indptr);
  free(idx64);
  free(indices);
  free(J);
  free(h);
  H5Fclose(f);
  return rc;
}

int ceas_mapping_read_couplings(const char *path, double h_extra,
                                ceas_lattice_system **out) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "--couplings %s: cannot open: %s", path,
                          strerror(errno));
  int rc;
  if (ceas_io_is_hdf5(fp)) {
    fclose(fp);
    rc = read_hdf5(path, h_extra, out);
  } else {
    rc = read_text(path, fp, h_extra, out);
    fclose(fp);
  }
  return rc;
}

/* ---- the writer (the HDF5 layout read_hdf5 reads) ---------------------------- */

/* `units` and `description` of every dataset of a couplings file (ceas_io_describe).
 * The couplings are the energy unit of the runs that read the file: β of
 * `ceasim run --model graph` is in 1/J of these J_ij. */
static const ceas_io_doc couplings_docs[] = {
    {"indptr", "dimensionless (index)",
     "CSR row pointers of the symmetric coupling matrix J: row i is entries "
     "indptr[i]..indptr[i+1]-1 of indices and data"},
    {"indices", "dimensionless (index)", "CSR column (spin) index of each stored coupling"},
    {"data", "J (coupling units; the energy unit of runs on this file)",
     "coupling J_ij of each stored entry, both (i, j) and (j, i) stored, after scale and "
     "gauge (E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i)"},
    {"h", "J (coupling units)", "field h_i on each spin (fields: {fields})"},
    {"gauge", "dimensionless (+1 or -1)",
     "gauge sign g_i applied to J and h (J_ij -> g_i g_j J_ij, h_i -> g_i h_i; all +1 "
     "without --gauge top): original spins are s_i = g_i s'_i"},
    {"top_eigenvector", "dimensionless (unit norm)",
     "top eigenvector v of J before the gauge, with its sign rule applied (g_i = sign v_i)"},
    {NULL, NULL, NULL}};

/* Root attributes: the mapping, then the origin (attention head or FFN block). */
static int write_attrs(hid_t r, const ceas_mapping_couplings *c, const char *command_line) {
  const ceas_mapping_options *o = &c->options;
  int ffn = !strcmp(c->kind, "ffn");
  double lam = c->lambda_max, scale = c->scale;
  const ceas_mapping_eigen_info *eig = &c->eigen;
  int rc = ceas_io_attr_string(r, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(r, "command_line", command_line ? command_line : "");
  if (!rc) rc = ceas_io_attr_string(r, "kind", c->kind);
  if (!rc) rc = ceas_io_attr_int64(r, "n_spins", (int64_t)c->n);
  if (!rc) rc = ceas_io_attr_int64(r, "nnz", (int64_t)c->nnz);
  if (!rc) rc = ceas_io_attr_string(r, "normalize", ceas_mapping_normalize_name(o->normalize));
  if (!rc) rc = ceas_io_attr_double(r, "scale", scale);
  if (!rc) rc = ceas_io_attr_double(r, "lambda_max", lam);
  if (!rc) rc = ceas_io_attr_double(r, "lambda_max_unscaled", c->lambda_max_unscaled);
  if (!rc) rc = ceas_io_attr_double(r, "beta_c_mean_field", lam > 0 ? 1 / lam : INFINITY);
  if (!rc && !isnan(eig->lambda2))
    rc = ceas_io_attr_double(r, "lambda_2", eig->lambda2 * scale);
  if (!rc) rc = ceas_io_attr_string(r, "eigen", ceas_mapping_eigen_name(o->eigen));
  if (!rc) rc = ceas_io_attr_string(r, "eigen_method", eig->method);
  if (!rc && !isnan(eig->residual))
    rc = ceas_io_attr_double(r, "eigen_residual", eig->residual * scale);
  if (!rc && !isnan(eig->tol)) {
    rc = ceas_io_attr_double(r, "eigen_tol", o->eigen_tol);
    if (!rc) rc = ceas_io_attr_int64(r, "eigen_matvecs", eig->matvecs);
  }
  if (!rc) rc = ceas_io_attr_string(r, "gauge", ceas_mapping_gauge_name(o->gauge));
  if (!rc) rc = ceas_io_attr_string(r, "fields", ceas_mapping_fields_name(o->fields));
  if (!rc) rc = ceas_io_attr_double(r, "field_scale", o->field_scale);
  if (!rc) rc = ceas_io_attr_string(r, "energy",
                                    "E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i");
  if (ffn) {
    if (!rc) rc = ceas_io_attr_string(r, "weights_file", c->weights_file);
    if (!rc) rc = ceas_io_attr_string(r, "tensor_w1", c->tensor_w1);
    if (!rc) rc = ceas_io_attr_string(r, "tensor_w2", c->tensor_w2);
    if (!rc) rc = ceas_io_attr_string(r, "tensor_b1", c->tensor_b1);
    if (!rc) rc = ceas_io_attr_string(r, "tensor_b2", c->tensor_b2);
    if (!rc) rc = ceas_io_attr_int64(r, "d_model", (int64_t)c->d_model);
    if (!rc) rc = ceas_io_attr_int64(r, "d_ff", (int64_t)c->d_ff);
    if (!rc) rc = ceas_io_attr_string(r, "spins", "0..d_model-1 visible (model dimension), "
                                                  "d_model..d_model+d_ff-1 hidden");
    if (!rc && o->fields == CEAS_MAPPING_FIELDS_BIAS)
      rc = ceas_io_attr_string(r, "field", "h = scale * field_scale * (b2 on visible, "
                                           "b1 on hidden) * gauge");
  } else {
    if (!rc)
      rc = c->source ? ceas_headsrc_write_attrs(r, &c->source_spec, c->source)
                     : ceas_io_attr_string(r, "source", "memory");
    if (!rc) rc = ceas_io_attr_int64(r, "d_k", (int64_t)c->d_k);
    if (!rc) rc = ceas_io_attr_string(r, "coupling", "J = (S + S^T)/2 * scale, S = Q K^T raw "
                                                     "scores, diagonal dropped");
    if (!rc) rc = ceas_io_attr_double(r, "trace_scores", c->trace_scores);
    if (!rc && o->fields == CEAS_MAPPING_FIELDS_VALUE) {
      rc = ceas_io_attr_int64(r, "d_v", (int64_t)c->d_v);
      if (!rc) rc = ceas_io_attr_double(r, "value_mean_norm", c->value_mean_norm);
      if (!rc)
        rc = ceas_io_attr_string(r, "field", "h_i = scale * field_scale * gauge_i * v_i.u, "
                                             "u = mean_j v_j / |mean_j v_j|");
    }
  }
  return rc;
}

int ceas_mapping_couplings_write(const ceas_mapping_couplings *c, const char *path, int force,
                                 const char *command_line) {
  size_t n = c->n;
  ceas_io_file f;
  int rc = ceas_io_file_create(path, force, &f);
  if (rc) return rc;
  hid_t r = f.file;
  rc = write_attrs(r, c, command_line);
  if (!rc) rc = ceas_io_write_int64s(r, "indptr", c->indptr, n + 1);
  if (!rc) rc = ceas_io_write_int64s(r, "indices", c->indices, c->nnz);
  if (!rc) rc = ceas_io_write_doubles(r, "data", c->data, c->nnz);
  if (!rc) rc = ceas_io_write_doubles(r, "h", c->h, n);
  if (!rc) rc = ceas_io_write_int8(r, "gauge", c->gauge, n);
  if (!rc && c->top_eigenvector)
    rc = ceas_io_write_doubles(r, "top_eigenvector", c->top_eigenvector, n);
  if (!rc) rc = ceas_io_describe(r, couplings_docs);
  if (rc)
    ceas_io_file_abort(&f);
  else
    rc = ceas_io_file_commit(&f);
  return rc;
}
