/*
 * ceas_mapping — turning outside descriptions of couplings into ceasim systems:
 * an attention head or an FFN block mapped to Ising couplings (docs/mapping.md,
 * the physics of every choice), the eigen-solvers that normalisation and gauge
 * need, and the couplings file, read and written.
 *
 * Map a head and write it (what `ceasim map` does):
 *
 *     ceas_headsrc_spec src;  ceas_headsrc_spec_default(&src);
 *     src.synthetic = 1; src.spec.n = 64; src.spec.d_k = 8; src.spec.seed = 3;
 *     ceas_mapping_options o;  ceas_mapping_options_default(&o);
 *     o.normalize = CEAS_MAPPING_NORMALIZE_LAMBDA_MAX;
 *     ceas_mapping_couplings *c;
 *     int rc = ceas_mapping_head(&src, &o, &c);
 *     if (!rc) rc = ceas_mapping_couplings_write(c, "head.h5", 0, NULL);
 *     ceas_mapping_couplings_free(c);
 *
 * Coupling files (`--couplings FILE`), format chosen by content (the HDF5
 * signature), not by extension:
 *
 *  Text edge list, one item per line, '#' starts a comment:
 *      n 100        optional: number of spins (else 1 + the largest index)
 *      i j J        coupling J_ij between spins i != j (0-based), each pair once
 *      h i value    field on spin i, each spin at most once
 *  HDF5: datasets `indptr` (n+1), `indices` (nnz), `data` (nnz) holding the
 *  full symmetric matrix J in CSR form (both (i,j) and (j,i)), and optional `h`
 *  (n). Integer datasets may be any integer type; values are doubles.
 *
 * Every defect is CEAS_EINPUT with a one-line message naming the file and, for
 * text, the line number: unparsable line, negative or out-of-range index,
 * self-coupling, a pair or field given twice, non-finite number, asymmetric CSR.
 */
#ifndef CEAS_MAPPING_H
#define CEAS_MAPPING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ceas_attention.h"
#include "ceas_headsrc.h"
#include "ceas_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a coupling file; `h_extra` is added to every field (the CLI's --h). */
int ceas_mapping_read_couplings(const char *path, double h_extra,
                                ceas_lattice_system **out);

/* ---- top of the spectrum of a dense symmetric matrix ------------------------- */

/* auto: dense GSL up to these sizes (gsl_eigen_symm: ~1 s at n = 1024 but ~250 s
 * at 4096 on one core; gsl_eigen_symmv ~12 s at 1024). Above them the iterative
 * path (residual-controlled power/Lanczos, ~2 s at 4096) is ~100x faster at an
 * accuracy stated by its residual. docs/mapping.md has numbers. */
#define CEAS_MAPPING_DENSE_VALUES_MAX 1024
#define CEAS_MAPPING_DENSE_VECTOR_MAX 1024
#define CEAS_MAPPING_EIGEN_TOL 1e-10 /* default residual threshold, relative to ||J||_F */
#define CEAS_MAPPING_LANCZOS_MAX 500 /* Krylov dimension (memory: this many n-vectors) */

typedef enum {
  CEAS_MAPPING_EIGEN_AUTO,   /* dense up to the limits above, power (-> Lanczos) beyond */
  CEAS_MAPPING_EIGEN_DENSE,  /* GSL gsl_eigen_symm / gsl_eigen_symmv */
  CEAS_MAPPING_EIGEN_POWER,  /* power iteration on J + rho I, Lanczos if it is slow */
  CEAS_MAPPING_EIGEN_LANCZOS /* Lanczos from the power path's start vector (library only:
                              * the CLI's power path reaches it by hand-over) */
} ceas_mapping_eigen_method;

typedef struct {
  double lambda;      /* largest eigenvalue of J */
  double lambda2;     /* second largest (dense path), NAN otherwise */
  double residual;    /* ||J v - lambda v|| of the unit vector returned; NAN if none */
  double tol;         /* absolute residual threshold t ||J||_F (iterative), NAN for dense */
  long matvecs;       /* products J x (iterative), 0 for dense */
  const char *method; /* "dense", "power" or "lanczos" (static string) */
  double seconds;     /* wall time of the solver */
} ceas_mapping_eigen_info;

/* lambda_max of the dense symmetric n x n matrix J (row-major, only symmetric
 * input is meaningful) and, if vec is not NULL, a unit eigenvector of it in
 * vec[n] (its overall sign is not fixed here; ceas_mapping_gauge_top fixes it).
 * tol_rel (iterative paths; ignored by dense) in (0, 0.01]: the iteration stops
 * at a directly recomputed residual ||J v - lambda v|| <= tol_rel ||J||_F, which
 * bounds |lambda - lambda_max| by that residual (and lambda <= lambda_max, a
 * Rayleigh quotient); the eigenvector is within angle residual/gap (Davis-Kahan).
 * Never returns an unconverged value: CEAS_EINTERNAL with a message naming the
 * residual reached. CEAS_ENOMEM, CEAS_EINPUT for n == 0 or a bad tol_rel. */
int ceas_mapping_eigen_top(const double *J, size_t n, ceas_mapping_eigen_method method,
                           double tol_rel, double *vec, ceas_mapping_eigen_info *info);

/* k-th largest eigenvalue (k = 1 ... m) of the symmetric tridiagonal matrix with
 * diagonal a[m] and off-diagonal b[m-1], by Sturm-sequence bisection to rounding
 * (the Ritz values of the Lanczos path). */
double ceas_mapping_tridiag_eigenvalue(const double *a, const double *b, size_t m, size_t k);

/* The gauge of the top eigenvector v[n]: v's overall sign is fixed so that its
 * largest |v_i| (lowest index on ties) is positive (v flipped in place), then
 * g_i = sign(v_i), v_i = 0 counting as +1. */
void ceas_mapping_gauge_top(double *v, size_t n, int8_t *g);

/* ---- attention / FFN -> couplings ------------------------------------------- */

typedef enum {
  CEAS_MAPPING_NORMALIZE_NONE,      /* raw J: beta as in `ceasim attention` */
  CEAS_MAPPING_NORMALIZE_FROBENIUS, /* J sqrt(n)/||J||_F: Sherrington-Kirkpatrick scale */
  CEAS_MAPPING_NORMALIZE_LAMBDA_MAX /* J/lambda_max: mean-field beta_c = 1 */
} ceas_mapping_normalize;

typedef enum {
  CEAS_MAPPING_FIELDS_NONE,  /* h = 0 */
  CEAS_MAPPING_FIELDS_VALUE, /* attention: h_i = v_i.u, u the mean value direction */
  CEAS_MAPPING_FIELDS_BIAS   /* FFN: visible b2, hidden b1 (RBM biases) */
} ceas_mapping_fields;

typedef enum {
  CEAS_MAPPING_GAUGE_NONE,
  CEAS_MAPPING_GAUGE_TOP /* J_ij -> g_i g_j J_ij, h_i -> g_i h_i, g = sign of the top mode */
} ceas_mapping_gauge;

typedef struct {
  ceas_mapping_normalize normalize;
  ceas_mapping_fields fields;
  double field_scale;              /* c in h = scale c f (finite) */
  ceas_mapping_gauge gauge;
  ceas_mapping_eigen_method eigen;
  double eigen_tol;                /* tol_rel of ceas_mapping_eigen_top */
} ceas_mapping_options;

/* none, none, 1, none, auto, CEAS_MAPPING_EIGEN_TOL (what `ceasim map` defaults to). */
void ceas_mapping_options_default(ceas_mapping_options *o);

/* The names the couplings file records ("none", "frobenius", "lambda_max"; "none",
 * "value", "bias"; "none", "top"; "auto", "dense", "power", "lanczos"). */
const char *ceas_mapping_normalize_name(ceas_mapping_normalize x);
const char *ceas_mapping_fields_name(ceas_mapping_fields x);
const char *ceas_mapping_gauge_name(ceas_mapping_gauge x);
const char *ceas_mapping_eigen_name(ceas_mapping_eigen_method x);

/* An Ising system made from a head or an FFN block, with the record of how:
 * E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i, J and h already scaled and
 * gauged. Everything is owned by the struct (ceas_mapping_couplings_free). */
typedef struct {
  size_t n, nnz;
  int64_t *indptr;          /* n + 1, CSR row pointers */
  int64_t *indices;         /* nnz; both (i,j) and (j,i), exact zeros omitted */
  double *data;             /* nnz, J_ij, bitwise symmetric */
  double *h;                /* n */
  int8_t *gauge;            /* n, g_i (all +1 without CEAS_MAPPING_GAUGE_TOP) */
  double *top_eigenvector;  /* n, unit top eigenvector of the ungauged scaled J with the
                             * sign rule applied (GAUGE_TOP only, else NULL) */
  size_t flipped;           /* spins with g_i = -1 */
  ceas_mapping_options options;
  const char *kind;         /* "attention" or "ffn" */
  double scale;             /* factor applied to the raw J and h */
  double lambda_max;        /* of the written J (= scale * lambda_max_unscaled) */
  double lambda_max_unscaled;
  ceas_mapping_eigen_info eigen; /* of the raw J (lambda, lambda2, residual unscaled) */
  double frobenius;         /* ||J||_F of the raw J */
  /* attention */
  size_t d_k, d_v;          /* d_v: with value fields */
  double trace_scores;      /* tr S, the dropped constant */
  double value_mean_norm;   /* |mean_j v_j| with value fields, else NAN */
  ceas_headsrc *source;     /* the loaded head (ceas_mapping_head), else NULL */
  ceas_headsrc_spec source_spec; /* its spec; weights points to weights_file, the
                                  * other tensor names are NULL (source has them) */
  /* FFN, and the weights file of a head read from one */
  size_t d_model, d_ff;
  char *weights_file;       /* NULL for a synthetic head or one in memory */
  char tensor_w1[256], tensor_w2[256], tensor_b1[256], tensor_b2[256]; /* "" = unused */
} ceas_mapping_couplings;

/* Attention head -> couplings on its n tokens: J = (S + S^T)/2 of the raw scores
 * S = Q K^T, zero diagonal (tr S recorded), fields from the value vectors v
 * [n, d_v] with CEAS_MAPPING_FIELDS_VALUE (v is not read otherwise and may be
 * NULL), then the normalisation, the gauge and CSR. head and v are only read.
 * The file written from it records source = "memory". CEAS_EINPUT for options
 * that do not apply (bias fields, value fields without v), non-finite couplings
 * or fields, a zero mean value vector, a normalisation of all-zero couplings;
 * CEAS_ENOMEM; eigen-solver errors. On failure *out is NULL. */
int ceas_mapping_attention(const ceas_attention_head *head, const double *v, size_t d_v,
                           const ceas_mapping_options *o, ceas_mapping_couplings **out);

/* The same from a head source (ceas_headsrc_load with want_v set from o->fields):
 * the couplings keep the loaded head and its origin for the file. Messages name
 * the weights file and tensors, or the synthetic head's seed. */
int ceas_mapping_head(const ceas_headsrc_spec *spec, const ceas_mapping_options *o,
                      ceas_mapping_couplings **out);

/* An FFN block in a weights file (src/weights: safetensors or HDF5). */
typedef struct {
  const char *weights; /* the file */
  const char *w1;      /* W1 [d_ff, d_model]; NULL = "ffn/W_1" */
  const char *w2;      /* W2 [d_model, d_ff]; NULL = not used */
  const char *b1, *b2; /* with CEAS_MAPPING_FIELDS_BIAS: [d_ff], [d_model];
                        * NULL = "ffn/b_1", "ffn/b_2" */
} ceas_mapping_ffn_spec;

/* FFN -> bipartite couplings between d_model visible spins 0 ... d_model-1 and
 * d_ff hidden ones: J[v][d_model + h] = W1[h][v], averaged with W2[v][h] when
 * w2 is given; fields (b2, b1) with CEAS_MAPPING_FIELDS_BIAS. CEAS_EINPUT naming
 * the file and tensor for a missing tensor or a wrong shape (2 <= d_model + d_ff
 * <= 65536), value fields, non-finite couplings; otherwise as
 * ceas_mapping_attention. */
int ceas_mapping_ffn(const ceas_mapping_ffn_spec *spec, const ceas_mapping_options *o,
                     ceas_mapping_couplings **out);

void ceas_mapping_couplings_free(ceas_mapping_couplings *c);

/* ---- `ceasim map` as key/value options ------------------------------------ */

/* What `ceasim map` maps: a head (src) or, with ffn, an FFN block whose weights
 * file is src.weights; the strings point at the values given to the setter. */
typedef struct {
  ceas_headsrc_spec src;
  int ffn;
  ceas_mapping_ffn_spec ffn_spec;
  ceas_mapping_options o;
  int have_field_scale, have_eigen_tol;
} ceas_mapping_request;

/* The mapping's own options (ffn, w1, w2, normalize, fields, field-scale, b1, b2,
 * gauge, eigen, eigen-tol) with their help and defaults; the head source's are
 * ceas_headsrc_option_table and ceas_headsrc_value_option_table. */
extern const ceas_option ceas_mapping_option_table[];

void ceas_mapping_request_default(ceas_mapping_request *r);
/* One option of those three tables by its name without "--": CEAS_OK, or
 * CEAS_EINPUT naming --key (an unknown key too). */
int ceas_mapping_option_set(ceas_mapping_request *r, const char *key, const char *value);
/* The checks between options, once all are set (a head source or --ffn with
 * --weights, fields options without their --fields, --eigen-tol with --eigen
 * dense): CEAS_OK or CEAS_EINPUT naming the options. */
int ceas_mapping_request_check(ceas_mapping_request *r);
/* ceas_mapping_ffn or ceas_mapping_head, as the request says. */
int ceas_mapping_request_run(const ceas_mapping_request *r, ceas_mapping_couplings **out);

/* Writes the couplings file (the HDF5 layout above, read back by
 * ceas_mapping_read_couplings; attributes in docs/mapping.md) atomically: a
 * checksummed temporary moved into place, nothing at path on any error.
 * command_line is stored as an attribute (NULL: ""). An existing path is
 * CEAS_EINPUT unless force; CEAS_EIO naming the file. */
int ceas_mapping_couplings_write(const ceas_mapping_couplings *c, const char *path, int force,
                                 const char *command_line);

/* The summary `ceasim map` prints for the couplings c of request r: what was
 * mapped (spins, source, tensors), nnz, the normalisation and its scale,
 * lambda_max(J) and the mean-field beta_c, the eigen-solver used (its products,
 * residual and seconds), the fields, and the gauge (with a note when lambda_2 is
 * within 5 % of lambda_max). */
void ceas_mapping_couplings_print(FILE *out, const ceas_mapping_request *r,
                                  const ceas_mapping_couplings *c);

#ifdef __cplusplus
}
#endif

#endif
