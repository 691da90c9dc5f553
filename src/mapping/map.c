/* Attention head or FFN block -> Ising couplings: symmetrisation, fields,
 * normalisation, gauge and CSR. See ceas_mapping.h; the physics of every choice
 * is in docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_mapping.h"
#include "ceas_weights.h"
#include "mapping_private.h"

void ceas_mapping_options_default(ceas_mapping_options *o) {
  memset(o, 0, sizeof *o);
  o->normalize = CEAS_MAPPING_NORMALIZE_NONE;
  o->fields = CEAS_MAPPING_FIELDS_NONE;
  o->field_scale = 1;
  o->gauge = CEAS_MAPPING_GAUGE_NONE;
  o->eigen = CEAS_MAPPING_EIGEN_AUTO;
  o->eigen_tol = CEAS_MAPPING_EIGEN_TOL;
}

const char *ceas_mapping_normalize_name(ceas_mapping_normalize x) {
  switch (x) {
    case CEAS_MAPPING_NORMALIZE_NONE: return "none";
    case CEAS_MAPPING_NORMALIZE_FROBENIUS: return "frobenius";
    case CEAS_MAPPING_NORMALIZE_LAMBDA_MAX: return "lambda_max";
  }
  return "?";
}

const char *ceas_mapping_fields_name(ceas_mapping_fields x) {
  switch (x) {
    case CEAS_MAPPING_FIELDS_NONE: return "none";
    case CEAS_MAPPING_FIELDS_VALUE: return "value";
    case CEAS_MAPPING_FIELDS_BIAS: return "bias";
  }
  return "?";
}

const char *ceas_mapping_gauge_name(ceas_mapping_gauge x) {
  switch (x) {
    case CEAS_MAPPING_GAUGE_NONE: return "none";
    case CEAS_MAPPING_GAUGE_TOP: return "top";
  }
  return "?";
}

const char *ceas_mapping_eigen_name(ceas_mapping_eigen_method x) {
  switch (x) {
    case CEAS_MAPPING_EIGEN_AUTO: return "auto";
    case CEAS_MAPPING_EIGEN_DENSE: return "dense";
    case CEAS_MAPPING_EIGEN_POWER: return "power";
    case CEAS_MAPPING_EIGEN_LANCZOS: return "lanczos";
  }
  return "?";
}

/* The options a caller may get wrong, checked before any work. `ffn` says which
 * fields apply. */
static int check_options(const ceas_mapping_options *o, int ffn) {
  if ((unsigned)o->normalize > CEAS_MAPPING_NORMALIZE_LAMBDA_MAX ||
      (unsigned)o->fields > CEAS_MAPPING_FIELDS_BIAS ||
      (unsigned)o->gauge > CEAS_MAPPING_GAUGE_TOP ||
      (unsigned)o->eigen > CEAS_MAPPING_EIGEN_LANCZOS)
    return ceas_error_set(CEAS_EINPUT, "mapping options: normalize, fields, gauge or eigen "
                          "out of range");
  if (ffn && o->fields == CEAS_MAPPING_FIELDS_VALUE)
    return ceas_error_set(CEAS_EINPUT, "mapping options: value fields apply to attention "
                          "heads (an FFN block takes bias fields)");
  if (!ffn && o->fields == CEAS_MAPPING_FIELDS_BIAS)
    return ceas_error_set(CEAS_EINPUT, "mapping options: bias fields apply to FFN blocks "
                          "(an attention head takes value fields)");
  if (!isfinite(o->field_scale))
    return ceas_error_set(CEAS_EINPUT, "mapping options: field scale %g: expected a finite "
                          "number", o->field_scale);
  if (o->eigen != CEAS_MAPPING_EIGEN_DENSE && !(o->eigen_tol > 0 && o->eigen_tol <= 1e-2))
    return ceas_error_set(CEAS_EINPUT, "mapping options: eigen tolerance %g: expected a "
                          "number in (0, 0.01]", o->eigen_tol);
  return CEAS_OK;
}

static ceas_mapping_couplings *couplings_new(const ceas_mapping_options *o, const char *kind) {
  ceas_mapping_couplings *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->options = *o;
  c->kind = kind;
  c->scale = 1;
  c->trace_scores = 0;
  c->value_mean_norm = NAN;
  ceas_headsrc_spec_default(&c->source_spec);
  return c;
}

void ceas_mapping_couplings_free(ceas_mapping_couplings *c) {
  if (!c) return;
  free(c->indptr);
  free(c->indices);
  free(c->data);
  free(c->h);
  free(c->top_eigenvector);
  free(c->gauge);
  free(c->weights_file);
  ceas_headsrc_free(c->source);
  free(c);
}

/* ---- couplings and fields ---------------------------------------------------- */

/* Attention: dense J (n x n, zero diagonal) from the head. */
static int attention_couplings(const ceas_attention_head *head, double **Jout, double *trace) {
  size_t n = head->n, bytes;
  const size_t nn[] = {n, n, sizeof(double)};
  int rc =
      ceas_size_check("the head's n x n couplings (n from --tokens or --weights)", &bytes, 3, nn);
  if (rc) return rc;
  double *S = malloc(bytes);
  if (!S) return ceas_error_set(CEAS_ENOMEM, "out of memory for %zu x %zu scores", n, n);
  ceas_attention_head_score_matrix(head, S);
  *trace = 0;
  for (size_t i = 0; i < n; i++) *trace += S[i * n + i];
  for (size_t i = 0; i < n; i++) {
    S[i * n + i] = 0;
    for (size_t j = i + 1; j < n; j++) {
      double v = 0.5 * (S[i * n + j] + S[j * n + i]);
      S[i * n + j] = S[j * n + i] = v;
    }
  }
  *Jout = S;
  return CEAS_OK;
}

/* Value fields h_i = v_i . u, u = vbar / |vbar| (before the field scale); `src`
 * names the values in messages. */
static int value_fields(const double *V, size_t n, size_t d, const char *src, double *h,
                        double *vbar_norm) {
  double *u = calloc(d, sizeof *u);
  if (!u) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  double vmax = 0;
  for (size_t j = 0; j < n; j++) {
    for (size_t c = 0; c < d; c++) u[c] += V[j * d + c];
    vmax = fmax(vmax, sqrt(mapping_dot(V + j * d, V + j * d, d)));
  }
  for (size_t c = 0; c < d; c++) u[c] /= (double)n;
  double nu = sqrt(mapping_dot(u, u, d));
  *vbar_norm = nu;
  int rc = CEAS_OK;
  if (!isfinite(nu) || !isfinite(vmax))
    rc = ceas_error_set(CEAS_EINPUT, "--fields value: the value vectors from %s are not all "
                        "finite", src);
  else if (!(nu > 64 * DBL_EPSILON * vmax))
    rc = ceas_error_set(CEAS_EINPUT,
                        "--fields value: the mean value vector (1/n) sum_j v_j from %s is "
                        "zero (to rounding), so the consensus direction u is undefined",
                        src);
  if (!rc) {
    for (size_t c = 0; c < d; c++) u[c] /= nu;
    for (size_t i = 0; i < n; i++) h[i] = mapping_dot(V + i * d, u, d);
  }
  free(u);
  return rc;
}

static int bias_check(const char *path, const ceas_weights_tensor *b, const char *name,
                      size_t len, const char *what, const char *w1n) {
  if (b->rank != 1 || (size_t)b->shape[0] != len)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%s': expected shape [%zu] (%s of '%s'), got rank %d "
                          "[%lld%s]",
                          path, name, len, what, w1n, b->rank,
                          (long long)(b->rank > 0 ? b->shape[0] : 1),
                          b->rank > 1 ? ", ..." : "");
  return CEAS_OK;
}

/* FFN: dense J over d_model + d_ff spins, bipartite; with bias, h = (b2, b1).
 * The tensor names used go into c. */
static int ffn_couplings(const ceas_mapping_ffn_spec *a, int bias, double **Jout, double **hout,
                         ceas_mapping_couplings *fi) {
  ceas_weights *w = NULL;
  ceas_weights_tensor w1 = {0}, w2 = {0}, b1 = {0}, b2 = {0};
  snprintf(fi->tensor_w1, sizeof fi->tensor_w1, "%s", a->w1 ? a->w1 : "ffn/W_1");
  snprintf(fi->tensor_w2, sizeof fi->tensor_w2, "%s", a->w2 ? a->w2 : "");
  snprintf(fi->tensor_b1, sizeof fi->tensor_b1, "%s", bias ? (a->b1 ? a->b1 : "ffn/b_1") : "");
  snprintf(fi->tensor_b2, sizeof fi->tensor_b2, "%s", bias ? (a->b2 ? a->b2 : "ffn/b_2") : "");
  const char *w1n = fi->tensor_w1, *w2n = fi->tensor_w2;
  int rc = ceas_weights_open(a->weights, &w);
  if (!rc) rc = ceas_weights_read(w, w1n, &w1);
  if (!rc && a->w2) rc = ceas_weights_read(w, w2n, &w2);
  if (!rc && bias) rc = ceas_weights_read(w, fi->tensor_b1, &b1);
  if (!rc && bias) rc = ceas_weights_read(w, fi->tensor_b2, &b2);
  const char *path = a->weights;
  if (!rc && w1.rank != 2)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected rank 2 [d_ff, d_model], got rank %d",
                        path, w1n, w1.rank);
  if (!rc && a->w2 && (w2.rank != 2 || w2.shape[0] != w1.shape[1] || w2.shape[1] != w1.shape[0]))
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensor '%s': expected shape [%lld, %lld] (W2 [d_model, d_ff] "
                        "for '%s' [%lld, %lld]), got rank %d [%lld, %lld]",
                        path, w2n, (long long)w1.shape[1], (long long)w1.shape[0], w1n,
                        (long long)w1.shape[0], (long long)w1.shape[1], w2.rank,
                        (long long)w2.shape[0], (long long)(w2.rank > 1 ? w2.shape[1] : 0));
  if (!rc && bias)
    rc = bias_check(path, &b1, fi->tensor_b1, (size_t)w1.shape[0], "d_ff, the hidden spins",
                    w1n);
  if (!rc && bias)
    rc = bias_check(path, &b2, fi->tensor_b2, (size_t)w1.shape[1], "d_model, the visible spins",
                    w1n);
  if (!rc) {
    size_t dff = (size_t)w1.shape[0], dm = (size_t)w1.shape[1], n = dm + dff;
    if (n < 2 || n > 65536) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected 2 <= d_model + d_ff <= 65536",
                          path, w1n);
    } else {
      char what[512];
      snprintf(what, sizeof what, "%s: tensor '%s': the (d_model + d_ff)^2 couplings", path,
               w1n);
      size_t bytes;
      const size_t nn[] = {n, n, sizeof(double)};
      rc = ceas_size_check(what, &bytes, 3, nn);
    }
    if (!rc) {
      double *J = calloc(n * n, sizeof *J), *h = calloc(n, sizeof *h);
      if (!J || !h) {
        free(J);
        free(h);
        J = h = NULL;
        rc = ceas_error_set(CEAS_ENOMEM, "out of memory for %zu spins", n);
      }
      for (size_t hh = 0; J && hh < dff; hh++)
        for (size_t v = 0; v < dm; v++) {
          double x = w1.data[hh * dm + v];
          if (a->w2) x = 0.5 * (x + w2.data[v * dff + hh]);
          J[v * n + dm + hh] = J[(dm + hh) * n + v] = x;
        }
      if (h && bias) {
        memcpy(h, b2.data, dm * sizeof *h);
        memcpy(h + dm, b1.data, dff * sizeof *h);
      }
      *Jout = J;
      *hout = h;
      fi->n = n;
      fi->d_model = dm;
      fi->d_ff = dff;
    }
  }
  ceas_weights_tensor_free(&w1);
  ceas_weights_tensor_free(&w2);
  ceas_weights_tensor_free(&b1);
  ceas_weights_tensor_free(&b2);
  ceas_weights_close(w);
  return rc;
}

/* The part every mapping shares, from the raw dense J (n x n, c->n) and the raw
 * fields hf (n, taken over by c): finiteness, lambda_max (and the top eigenvector
 * with the gauge), the normalisation, and the scaled, gauged CSR. `src` names
 * the input in messages. */
static int finish(ceas_mapping_couplings *c, const double *J, double *hf, const char *src) {
  const ceas_mapping_options *o = &c->options;
  size_t n = c->n;
  int gauge_top = o->gauge == CEAS_MAPPING_GAUGE_TOP;
  c->h = hf;
  double frob = 0;
  for (size_t k = 0; k < n * n; k++) frob += J[k] * J[k];
  frob = sqrt(frob);
  c->frobenius = frob;
  int finite = isfinite(frob);
  for (size_t i = 0; i < n; i++) finite = finite && isfinite(hf[i]);
  if (!finite) /* an F16 overflow or a NaN in the tensors; the eigensolver would stall */
    return ceas_error_set(CEAS_EINPUT, "%s: the couplings or fields computed from it are not "
                          "all finite (inf or NaN in the tensors?)", src);
  double *vec = gauge_top ? ceas_malloc(n * sizeof *vec) : NULL;
  int8_t *g = ceas_malloc(n * sizeof *g);
  c->top_eigenvector = vec;
  c->gauge = g;
  if (!g || (gauge_top && !vec)) return CEAS_ENOMEM;
  int rc = ceas_mapping_eigen_top(J, n, o->eigen, o->eigen_tol, vec, &c->eigen);
  if (rc) return rc;
  double lam_raw = c->eigen.lambda, scale = 1;
  for (size_t i = 0; i < n; i++) g[i] = 1;
  if (gauge_top) ceas_mapping_gauge_top(vec, n, g);
  if (o->normalize != CEAS_MAPPING_NORMALIZE_NONE) {
    if (!(frob > 0) || !(lam_raw > 0))
      return ceas_error_set(CEAS_EINPUT, "--normalize %s: the couplings are all zero",
                            ceas_mapping_normalize_name(o->normalize));
    scale = o->normalize == CEAS_MAPPING_NORMALIZE_FROBENIUS ? sqrt((double)n) / frob
                                                             : 1 / lam_raw;
  }
  c->scale = scale;
  c->lambda_max_unscaled = lam_raw;
  c->lambda_max = lam_raw * scale;
  size_t nnz = 0, flipped = 0;
  for (size_t k = 0; k < n * n; k++) nnz += J[k] != 0;
  int64_t *indptr = c->indptr = malloc((n + 1) * sizeof *indptr);
  int64_t *indices = c->indices = malloc((nnz ? nnz : 1) * sizeof *indices);
  double *data = c->data = malloc((nnz ? nnz : 1) * sizeof *data);
  if (!indptr || !indices || !data) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    indptr[i] = (int64_t)k;
    for (size_t j = 0; j < n; j++)
      if (J[i * n + j] != 0) {
        indices[k] = (int64_t)j;
        /* same product for (i,j) and (j,i): the file stays bitwise symmetric */
        data[k++] = J[i * n + j] * scale * (double)(g[i] * g[j]);
      }
    hf[i] = hf[i] * o->field_scale * scale * (double)g[i];
    flipped += g[i] < 0;
  }
  indptr[n] = (int64_t)k;
  c->nnz = nnz;
  c->flipped = flipped;
  return CEAS_OK;
}

/* Attention from a head; `src` names the head and `vsrc` the value vectors in
 * messages. */
static int map_attention(const ceas_attention_head *head, const double *v, size_t d_v,
                         const char *src, const char *vsrc, ceas_mapping_couplings *c) {
  size_t n = head->n;
  double *J = NULL, *hf = NULL;
  c->n = n;
  c->d_k = head->d_k;
  int rc = attention_couplings(head, &J, &c->trace_scores);
  if (!rc && !(hf = calloc(n, sizeof *hf))) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (!rc && c->options.fields == CEAS_MAPPING_FIELDS_VALUE) {
    c->d_v = d_v;
    rc = value_fields(v, n, d_v, vsrc, hf, &c->value_mean_norm);
  }
  if (!rc) {
    rc = finish(c, J, hf, src);
    hf = NULL;
  }
  free(hf);
  free(J);
  return rc;
}

static int done(int rc, ceas_mapping_couplings *c, ceas_mapping_couplings **out) {
  if (rc) {
    ceas_mapping_couplings_free(c);
    return rc;
  }
  *out = c;
  return CEAS_OK;
}

int ceas_mapping_attention(const ceas_attention_head *head, const double *v, size_t d_v,
                           const ceas_mapping_options *o, ceas_mapping_couplings **out) {
  *out = NULL;
  int rc = check_options(o, 0);
  if (!rc && o->fields == CEAS_MAPPING_FIELDS_VALUE && (!v || !d_v))
    rc = ceas_error_set(CEAS_EINPUT, "mapping options: value fields need the value vectors "
                        "(v not NULL, d_v >= 1)");
  if (rc) return rc;
  ceas_mapping_couplings *c = couplings_new(o, "attention");
  if (!c) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  return done(map_attention(head, v, d_v, "the attention head", "the value array v", c), c,
              out);
}

int ceas_mapping_head(const ceas_headsrc_spec *spec, const ceas_mapping_options *o,
                      ceas_mapping_couplings **out) {
  *out = NULL;
  int rc = check_options(o, 0);
  if (rc) return rc;
  ceas_mapping_couplings *c = couplings_new(o, "attention");
  if (!c) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  ceas_headsrc_spec s = *spec;
  s.want_v = o->fields == CEAS_MAPPING_FIELDS_VALUE;
  rc = ceas_headsrc_load(&s, &c->source);
  /* What the file records of the origin; the tensor names are in c->source. */
  c->source_spec = s;
  c->source_spec.q = c->source_spec.k = c->source_spec.x = NULL;
  c->source_spec.wq = c->source_spec.wk = c->source_spec.v = c->source_spec.wv = NULL;
  c->source_spec.weights = NULL;
  if (!rc && !s.synthetic && !(c->weights_file = strdup(s.weights)))
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  c->source_spec.weights = c->weights_file;
  if (!rc) {
    const ceas_headsrc *hs = c->source;
    char vsrc[600];
    if (s.synthetic)
      snprintf(vsrc, sizeof vsrc, "the synthetic head (seed %llu)",
               (unsigned long long)s.spec.seed);
    else
      snprintf(vsrc, sizeof vsrc, "%s tensor '%s'", s.weights, hs->v_name);
    rc = map_attention(hs->head, hs->v, hs->d_v, s.synthetic ? "synthetic head" : s.weights,
                       vsrc, c);
  }
  return done(rc, c, out);
}

int ceas_mapping_ffn(const ceas_mapping_ffn_spec *spec, const ceas_mapping_options *o,
                     ceas_mapping_couplings **out) {
  *out = NULL;
  int rc = check_options(o, 1);
  if (!rc && !spec->weights)
    rc = ceas_error_set(CEAS_EINPUT, "FFN mapping: expected a weights file");
  if (rc) return rc;
  ceas_mapping_couplings *c = couplings_new(o, "ffn");
  if (!c) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (!(c->weights_file = strdup(spec->weights))) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  double *J = NULL, *hf = NULL;
  if (!rc) rc = ffn_couplings(spec, o->fields == CEAS_MAPPING_FIELDS_BIAS, &J, &hf, c);
  if (!rc) {
    rc = finish(c, J, hf, spec->weights);
    hf = NULL;
  }
  free(hf);
  free(J);
  return done(rc, c, out);
}
