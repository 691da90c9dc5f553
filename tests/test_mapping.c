/* The mapping library (src/mapping, docs/mapping.md) through its entry points:
 * lambda_max from every eigen-solver against GSL's dense eigenvalues within the
 * solver's stated bound, the Sturm bisection against the closed-form spectrum of
 * the discrete Laplacian, the gauge's sign rule, the attention and FFN mappings
 * against their definitions, and a written couplings file read back by
 * ceas_mapping_read_couplings equal to the struct it was written from. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_attention.h"
#include "ceas_io.h"
#include "ceas_mapping.h"

#define EPS DBL_EPSILON

/* GSL's symmetric QR is backward stable: its eigenvalues are exact for J + E with
 * ||E||_2 <= p(n) eps ||J||_2, so by Weyl each is within that of the true one.
 * p(n) = 8 n is a generous constant for the Householder tridiagonalisation plus
 * the implicit QL sweeps, and ||J||_2 <= ||J||_F. */
static double dense_err(size_t n, double frob) { return 8.0 * (double)n * EPS * frob; }

static double frobenius(const double *J, size_t n) {
  double s = 0;
  for (size_t k = 0; k < n * n; k++) s += J[k] * J[k];
  return sqrt(s);
}

/* All eigenvalues of J, descending, and the top eigenvector, by GSL directly. */
static void gsl_reference(const double *J, size_t n, double *lam, double *top) {
  gsl_matrix *m = gsl_matrix_alloc(n, n), *V = gsl_matrix_alloc(n, n);
  gsl_vector *ev = gsl_vector_alloc(n);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(n);
  memcpy(m->data, J, n * n * sizeof *J);
  cr_assert_eq(gsl_eigen_symmv(m, ev, V, w), 0);
  gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
  for (size_t i = 0; i < n; i++) {
    lam[i] = gsl_vector_get(ev, i);
    if (top) top[i] = gsl_matrix_get(V, i, 0);
  }
  gsl_eigen_symmv_free(w);
  gsl_vector_free(ev);
  gsl_matrix_free(V);
  gsl_matrix_free(m);
}

/* Symmetric n x n: noise of a GOE scale 1/sqrt(n) plus `spike` u u^T with u a
 * fixed unit vector (spike > 1 separates the top eigenvalue, ~ spike + 1/spike). */
static double *test_matrix(size_t n, double spike, uint64_t seed) {
  double *J = malloc(n * n * sizeof *J), *u = malloc(n * sizeof *u);
  ceas_rng_key key = {seed, UINT64_C(0x74657374)};
  ceas_attention_normal_fill(key, 0, 0, J, n * n);
  ceas_attention_normal_fill(key, 1, 0, u, n);
  double un = 0;
  for (size_t i = 0; i < n; i++) un += u[i] * u[i];
  un = sqrt(un);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j <= i; j++) {
      double x = (J[i * n + j] + J[j * n + i]) / sqrt(2.0 * (double)n) +
                 spike * u[i] * u[j] / (un * un);
      J[i * n + j] = J[j * n + i] = x;
    }
  free(u);
  return J;
}

/* One solver against the reference: the value within its bound, the vector within
 * the Davis-Kahan angle. Iterative: |theta - lambda_max| <= r (a symmetric J has
 * an eigenvalue within r of the Rayleigh quotient, and the one nearest to theta is
 * lambda_max once r < gap/2), theta <= lambda_max (a Rayleigh quotient), and
 * sin(angle to the top eigenvector) <= r / (gap - r). Both sides carry the
 * reference's rounding. */
static void check_solver(const double *J, size_t n, ceas_mapping_eigen_method method,
                         const char *expect_method) {
  double *lam = malloc(n * sizeof *lam), *top = malloc(n * sizeof *top);
  double *vec = malloc(n * sizeof *vec);
  gsl_reference(J, n, lam, top);
  double frob = frobenius(J, n), de = dense_err(n, frob), gap = lam[0] - lam[1];
  ceas_mapping_eigen_info e;
  int rc = ceas_mapping_eigen_top(J, n, method, CEAS_MAPPING_EIGEN_TOL, vec, &e);
  cr_assert_eq(rc, 0, "%s", ceas_error_message());
  cr_assert_str_eq(e.method, expect_method, "solver %s reached %s, expected %s",
                   ceas_mapping_eigen_name(method), e.method, expect_method);
  double bound;
  if (!strcmp(e.method, "dense")) {
    cr_assert(isnan(e.tol) && e.matvecs == 0);
    cr_assert(fabs(e.lambda2 - lam[1]) <= 2 * de, "lambda_2 %.17g vs %.17g", e.lambda2, lam[1]);
    bound = 2 * de; /* both sides dense */
  } else {
    cr_assert(e.residual <= e.tol, "residual %g above its threshold %g", e.residual, e.tol);
    cr_assert(fabs(e.tol - CEAS_MAPPING_EIGEN_TOL * frob) <= 4 * EPS * e.tol);
    cr_assert(e.residual < gap / 2, "the test needs r < gap/2 (r %g, gap %g)", e.residual, gap);
    cr_assert(e.lambda <= lam[0] + de, "Rayleigh quotient %.17g above lambda_max %.17g",
              e.lambda, lam[0]);
    bound = e.residual + de;
  }
  cr_assert(fabs(e.lambda - lam[0]) <= bound, "%s: lambda %.17g vs GSL %.17g (bound %g)",
            e.method, e.lambda, lam[0], bound);
  /* the returned vector: unit, and along the top eigenvector */
  double vv = 0, vt = 0;
  for (size_t i = 0; i < n; i++) {
    vv += vec[i] * vec[i];
    vt += vec[i] * top[i];
  }
  cr_assert(fabs(vv - 1) <= 8 * (double)n * EPS, "|v|^2 = %.17g", vv);
  double r = isnan(e.residual) ? 0 : e.residual;
  double sin_max = (r + 2 * de) / (gap - r - 2 * de) + 64 * (double)n * EPS;
  double sin2 = 0; /* |v - (v.t) t| = sin(angle), without 1 - cos^2's cancellation */
  for (size_t i = 0; i < n; i++) sin2 += (vec[i] - vt * top[i]) * (vec[i] - vt * top[i]);
  double sin_angle = sqrt(sin2);
  cr_assert(sin_angle <= sin_max, "%s: sin(angle) %g above %g", e.method, sin_angle, sin_max);
  free(lam);
  free(top);
  free(vec);
}

Test(eigen, every_solver_against_gsl_separated_top) {
  size_t n = 120;
  double *J = test_matrix(n, 4.0, 1);
  check_solver(J, n, CEAS_MAPPING_EIGEN_DENSE, "dense");
  check_solver(J, n, CEAS_MAPPING_EIGEN_AUTO, "dense"); /* n <= the dense limits */
  check_solver(J, n, CEAS_MAPPING_EIGEN_POWER, "power");
  check_solver(J, n, CEAS_MAPPING_EIGEN_LANCZOS, "lanczos");
  free(J);
}

/* No spike: the GOE's top gap is ~ n^{-2/3} of the spectrum's width, small
 * against rho, so the power iteration measures its rate and hands over. */
Test(eigen, power_hands_over_to_lanczos_on_a_small_gap) {
  size_t n = 200;
  double *J = test_matrix(n, 0.0, 2);
  check_solver(J, n, CEAS_MAPPING_EIGEN_POWER, "lanczos");
  check_solver(J, n, CEAS_MAPPING_EIGEN_LANCZOS, "lanczos");
  check_solver(J, n, CEAS_MAPPING_EIGEN_DENSE, "dense");
  free(J);
}

/* Without a vector: the values alone (gsl_eigen_symm on the dense path, and a
 * scratch vector on the iterative one). */
Test(eigen, values_only) {
  size_t n = 60;
  double *J = test_matrix(n, 3.0, 3), lam[60] = {0};
  gsl_reference(J, n, lam, NULL);
  double de = dense_err(n, frobenius(J, n));
  ceas_mapping_eigen_method m[] = {CEAS_MAPPING_EIGEN_DENSE, CEAS_MAPPING_EIGEN_POWER,
                                   CEAS_MAPPING_EIGEN_LANCZOS};
  for (int k = 0; k < 3; k++) {
    ceas_mapping_eigen_info e;
    cr_assert_eq(ceas_mapping_eigen_top(J, n, m[k], 1e-10, NULL, &e), 0);
    double bound = isnan(e.residual) ? 2 * de : e.residual + de;
    cr_assert(fabs(e.lambda - lam[0]) <= bound, "%s: %.17g vs %.17g", e.method, e.lambda,
              lam[0]);
  }
  free(J);
}

Test(eigen, bad_arguments_are_input_errors) {
  double J[4] = {0, 1, 1, 0};
  ceas_mapping_eigen_info e;
  cr_assert_eq(ceas_mapping_eigen_top(J, 2, CEAS_MAPPING_EIGEN_POWER, 0.5, NULL, &e),
               CEAS_EINPUT);
  cr_assert_eq(ceas_mapping_eigen_top(J, 0, CEAS_MAPPING_EIGEN_DENSE, 1e-10, NULL, &e),
               CEAS_EINPUT);
}

/* The discrete Laplacian tridiag(-1, 2, -1) of size m has eigenvalues
 * 2 - 2 cos(j pi/(m+1)), j = 1..m (exact). Bisection stops at an interval of
 * 2 eps max|bound| + pivmin around the Sturm count's switch, and the count itself
 * is exact for a nearby matrix (LDL^T pivots are backward stable: relative
 * perturbations of a few eps per entry), so each value is within ~8 eps ||T|| = 32
 * eps; 64 eps leaves room for the rounding of the reference's cosine. */
Test(eigen, sturm_bisection_against_the_laplacian) {
  enum { M = 40 };
  double a[M], b[M - 1];
  for (size_t i = 0; i < M; i++) a[i] = 2;
  for (size_t i = 0; i + 1 < M; i++) b[i] = -1;
  for (size_t k = 1; k <= M; k++) {
    double exact = 2 - 2 * cos((double)(M + 1 - k) * M_PI / (M + 1)); /* k-th largest */
    double got = ceas_mapping_tridiag_eigenvalue(a, b, M, k);
    cr_assert(fabs(got - exact) <= 64 * EPS, "k = %zu: %.17g vs %.17g", k, got, exact);
  }
}

/* A random tridiagonal against GSL's dense eigenvalues of the same matrix. */
Test(eigen, sturm_bisection_against_gsl) {
  enum { M = 30 };
  double a[M], b[M], T[M * M] = {0}, lam[M] = {0};
  ceas_rng_key key = {7, 7};
  ceas_attention_normal_fill(key, 0, 0, a, M);
  ceas_attention_normal_fill(key, 1, 0, b, M);
  for (size_t i = 0; i < M; i++) {
    T[i * M + i] = a[i];
    if (i + 1 < M) T[i * M + i + 1] = T[(i + 1) * M + i] = b[i];
  }
  gsl_reference(T, M, lam, NULL);
  double de = dense_err(M, frobenius(T, M));
  for (size_t k = 1; k <= M; k++) {
    double got = ceas_mapping_tridiag_eigenvalue(a, b, M, k);
    cr_assert(fabs(got - lam[k - 1]) <= 2 * de, "k = %zu: %.17g vs %.17g", k, got,
              lam[k - 1]);
  }
}

Test(gauge, sign_rule) {
  double v[5] = {0.1, -0.7, 0.0, 0.7, -0.2};
  int8_t g[5];
  /* |v_1| = |v_3| = 0.7: the lowest index decides, and it is negative: flip all */
  ceas_mapping_gauge_top(v, 5, g);
  const double want_v[5] = {-0.1, 0.7, -0.0, -0.7, 0.2};
  const int8_t want_g[5] = {-1, 1, 1, -1, 1}; /* v_i = 0 counts as +1 */
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(v[i], want_v[i]);
    cr_assert_eq(g[i], want_g[i], "g[%d] = %d", i, g[i]);
  }
}

/* ---- mappings ----------------------------------------------------------------- */

static ceas_attention_spec small_head(void) {
  ceas_attention_spec s = {0};
  s.kind = CEAS_ATTENTION_CLUSTERED;
  s.n = 24;
  s.d_k = 6;
  s.seed = 11;
  s.clusters = 3;
  s.spread = 0.5;
  s.rank = 2;
  return s;
}

/* small_head() as a --synthetic head source. */
static ceas_headsrc_spec small_head_source(void) {
  ceas_headsrc_spec src;
  ceas_headsrc_spec_default(&src);
  src.synthetic = 1;
  src.have_seed = 1;
  src.spec = small_head();
  return src;
}

/* Dense J_ij of the couplings (from the CSR). */
static double *dense_of(const ceas_mapping_couplings *c) {
  double *J = calloc(c->n * c->n, sizeof *J);
  for (size_t i = 0; i < c->n; i++)
    for (int64_t k = c->indptr[i]; k < c->indptr[i + 1]; k++)
      J[i * c->n + (size_t)c->indices[k]] = c->data[k];
  return J;
}

/* Attention with value fields, lambda_max normalisation and the top gauge: every
 * entry is its definition scale * g_i g_j (S_ij + S_ji)/2 (the same operations,
 * so bitwise), the fields sum to scale * c * n |mean v| before the gauge (an exact
 * identity of f_i = v_i.u up to rounding), and the written J has lambda_max 1. */
Test(mapping, attention_against_its_definition) {
  ceas_attention_spec s = small_head();
  ceas_attention_head *head;
  cr_assert_eq(ceas_attention_head_alloc(&s, &head), 0);
  size_t n = s.n, dv = 5;
  double *V = malloc(n * dv * sizeof *V), *S = malloc(n * n * sizeof *S);
  ceas_attention_head_values(&s, dv, V);
  ceas_attention_head_score_matrix(head, S);
  ceas_mapping_options o;
  ceas_mapping_options_default(&o);
  o.normalize = CEAS_MAPPING_NORMALIZE_LAMBDA_MAX;
  o.fields = CEAS_MAPPING_FIELDS_VALUE;
  o.field_scale = 0.5;
  o.gauge = CEAS_MAPPING_GAUGE_TOP;
  ceas_mapping_couplings *c;
  cr_assert_eq(ceas_mapping_attention(head, V, dv, &o, &c), 0, "%s", ceas_error_message());
  cr_assert_eq(c->n, n);
  cr_assert_str_eq(c->kind, "attention");
  double *J = dense_of(c), trace = 0, hsum = 0;
  for (size_t i = 0; i < n; i++) {
    trace += S[i * n + i];
    cr_assert_eq(J[i * n + i], 0);
    for (size_t j = 0; j < n; j++) {
      if (i == j) continue;
      double want = 0.5 * (S[i * n + j] + S[j * n + i]) * c->scale *
                    (double)(c->gauge[i] * c->gauge[j]);
      cr_assert_eq(J[i * n + j], want, "J[%zu][%zu]", i, j);
    }
    hsum += c->h[i] * c->gauge[i];
  }
  cr_assert_eq(c->trace_scores, trace);
  double lam[24] = {0};
  gsl_reference(J, n, lam, NULL);
  cr_assert(fabs(lam[0] - 1) <= 2 * dense_err(n, frobenius(J, n)), "lambda_max %.17g", lam[0]);
  cr_assert(fabs(c->lambda_max - 1) <= 4 * EPS);
  double want_sum = c->scale * 0.5 * (double)n * c->value_mean_norm;
  cr_assert(fabs(hsum - want_sum) <= 64 * (double)n * EPS * fabs(want_sum), "%.17g vs %.17g",
            hsum, want_sum);
  /* the gauge is the sign of the stored top eigenvector */
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(c->gauge[i], c->top_eigenvector[i] < 0 ? -1 : 1);
  free(J);
  free(S);
  free(V);
  ceas_mapping_couplings_free(c);
  ceas_attention_head_free(head);
}

/* The head-source entry point on a synthetic spec maps the same head: bitwise the
 * couplings of ceas_mapping_attention on ceas_attention_head_alloc's head. */
Test(mapping, head_source_equals_head_in_memory) {
  ceas_headsrc_spec src = small_head_source();
  ceas_mapping_options o;
  ceas_mapping_options_default(&o);
  o.normalize = CEAS_MAPPING_NORMALIZE_FROBENIUS;
  o.gauge = CEAS_MAPPING_GAUGE_TOP;
  ceas_mapping_couplings *a, *b;
  cr_assert_eq(ceas_mapping_head(&src, &o, &a), 0, "%s", ceas_error_message());
  ceas_attention_head *head;
  cr_assert_eq(ceas_attention_head_alloc(&src.spec, &head), 0);
  cr_assert_eq(ceas_mapping_attention(head, NULL, 0, &o, &b), 0, "%s", ceas_error_message());
  cr_assert_eq(a->nnz, b->nnz);
  cr_assert_eq(memcmp(a->data, b->data, a->nnz * sizeof *a->data), 0);
  cr_assert_eq(memcmp(a->indices, b->indices, a->nnz * sizeof *a->indices), 0);
  cr_assert_eq(memcmp(a->gauge, b->gauge, a->n), 0);
  /* Frobenius scale: sum_ij J_ij^2 = n */
  double ss = 0;
  for (size_t k = 0; k < a->nnz; k++) ss += a->data[k] * a->data[k];
  cr_assert(fabs(ss - (double)a->n) <= 8 * (double)a->nnz * EPS * (double)a->n);
  cr_assert_not_null(a->source);
  cr_assert_null(b->source);
  ceas_mapping_couplings_free(a);
  ceas_mapping_couplings_free(b);
  ceas_attention_head_free(head);
}

static void tmp_path(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "/tmp/ceasim-mapping-%ld-%s", (long)getpid(), name);
}

/* Written, then read back by the reader `ceasim run --couplings` uses: the same
 * CSR, couplings and fields, bit for bit; and the recorded attributes. */
Test(mapping, written_file_reads_back_equal) {
  ceas_headsrc_spec src = small_head_source();
  ceas_mapping_options o;
  ceas_mapping_options_default(&o);
  o.fields = CEAS_MAPPING_FIELDS_VALUE;
  o.gauge = CEAS_MAPPING_GAUGE_TOP;
  o.eigen = CEAS_MAPPING_EIGEN_POWER;
  ceas_mapping_couplings *c;
  cr_assert_eq(ceas_mapping_head(&src, &o, &c), 0, "%s", ceas_error_message());
  char path[256];
  tmp_path(path, sizeof path, "couplings.h5");
  unlink(path);
  cr_assert_eq(ceas_mapping_couplings_write(c, path, 0, "test_mapping"), 0, "%s",
               ceas_error_message());
  /* no silent replacement */
  cr_assert_eq(ceas_mapping_couplings_write(c, path, 0, NULL), CEAS_EINPUT);
  ceas_lattice_system *sys;
  cr_assert_eq(ceas_mapping_read_couplings(path, 0, &sys), 0, "%s", ceas_error_message());
  cr_assert_eq((size_t)sys->n, c->n);
  for (size_t i = 0; i <= c->n; i++) cr_assert_eq(sys->indptr[i], c->indptr[i]);
  for (size_t k = 0; k < c->nnz; k++) {
    cr_assert_eq((int64_t)sys->indices[k], c->indices[k]);
    cr_assert_eq(sys->J[k], c->data[k], "J entry %zu", k);
  }
  for (size_t i = 0; i < c->n; i++) cr_assert_eq(sys->h[i], c->h[i], "h[%zu]", i);
  ceas_lattice_system_free(sys);
  hid_t f;
  cr_assert_eq(ceas_io_open_read(path, &f), 0, "%s", ceas_error_message());
  double lam = 0;
  int8_t g[24];
  cr_assert_eq(ceas_io_read_attr_double(f, path, "lambda_max", &lam), 0);
  cr_assert_eq(lam, c->lambda_max);
  cr_assert_eq(ceas_io_read_int8(f, path, "gauge", g, c->n), 0);
  cr_assert_eq(memcmp(g, c->gauge, c->n), 0);
  char kind[32];
  cr_assert_eq(ceas_io_read_attr_string(f, path, "source", kind, sizeof kind), 0);
  cr_assert_str_eq(kind, "synthetic");
  H5Fclose(f);
  unlink(path);
  ceas_mapping_couplings_free(c);
}

static void write_2d(hid_t loc, const char *name, int rank, const hsize_t *dims,
                     const double *x) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  cr_assert_geq(d, 0);
  cr_assert_geq(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x), 0);
  H5Dclose(d);
  H5Sclose(sp);
}

/* FFN: the bipartite J's lambda_max is the largest singular value of W1 (its
 * spectrum is +-sigma_k and zeros), and the fields are (b2, b1). */
Test(mapping, ffn_lambda_max_is_the_top_singular_value) {
  enum { DFF = 7, DM = 5 };
  double W1[DFF * DM], b1[DFF], b2[DM];
  ceas_rng_key key = {3, 9};
  ceas_attention_normal_fill(key, 0, 0, W1, DFF * DM);
  ceas_attention_normal_fill(key, 1, 0, b1, DFF);
  ceas_attention_normal_fill(key, 2, 0, b2, DM);
  char path[256];
  tmp_path(path, sizeof path, "ffn.h5");
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t grp = H5Gcreate2(f, "ffn", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d2[2] = {DFF, DM}, d1[1] = {DFF}, d0[1] = {DM};
  write_2d(grp, "W_1", 2, d2, W1);
  write_2d(grp, "b_1", 1, d1, b1);
  write_2d(grp, "b_2", 1, d0, b2);
  H5Gclose(grp);
  H5Fclose(f);
  ceas_mapping_ffn_spec spec = {path, NULL, NULL, NULL, NULL};
  ceas_mapping_options o;
  ceas_mapping_options_default(&o);
  o.fields = CEAS_MAPPING_FIELDS_BIAS;
  ceas_mapping_couplings *c;
  cr_assert_eq(ceas_mapping_ffn(&spec, &o, &c), 0, "%s", ceas_error_message());
  cr_assert_eq(c->n, DM + DFF);
  cr_assert_eq(c->d_model, DM);
  cr_assert_eq(c->nnz, 2 * DM * DFF);
  gsl_matrix *A = gsl_matrix_alloc(DFF, DM), *Vm = gsl_matrix_alloc(DM, DM);
  gsl_vector *sv = gsl_vector_alloc(DM), *work = gsl_vector_alloc(DM);
  memcpy(A->data, W1, sizeof W1);
  cr_assert_eq(gsl_linalg_SV_decomp(A, Vm, sv, work), 0);
  double sigma = gsl_vector_get(sv, 0), fro = 0;
  for (int k = 0; k < DFF * DM; k++) fro += W1[k] * W1[k];
  cr_assert(fabs(c->lambda_max - sigma) <= 2 * dense_err(DM + DFF, sqrt(2 * fro)),
            "%.17g vs sigma_max %.17g", c->lambda_max, sigma);
  for (size_t v = 0; v < DM; v++) cr_assert_eq(c->h[v], b2[v]);
  for (size_t h = 0; h < DFF; h++) cr_assert_eq(c->h[DM + h], b1[h]);
  gsl_matrix_free(A);
  gsl_matrix_free(Vm);
  gsl_vector_free(sv);
  gsl_vector_free(work);
  ceas_mapping_couplings_free(c);
  unlink(path);
}

Test(mapping, options_that_do_not_apply_are_input_errors) {
  ceas_attention_spec s = small_head();
  ceas_attention_head *head;
  cr_assert_eq(ceas_attention_head_alloc(&s, &head), 0);
  ceas_mapping_options o;
  ceas_mapping_couplings *c = (ceas_mapping_couplings *)1;
  ceas_mapping_options_default(&o);
  o.fields = CEAS_MAPPING_FIELDS_BIAS;
  cr_assert_eq(ceas_mapping_attention(head, NULL, 0, &o, &c), CEAS_EINPUT);
  cr_assert_null(c);
  o.fields = CEAS_MAPPING_FIELDS_VALUE; /* without values */
  cr_assert_eq(ceas_mapping_attention(head, NULL, 0, &o, &c), CEAS_EINPUT);
  ceas_mapping_options_default(&o);
  o.field_scale = INFINITY;
  cr_assert_eq(ceas_mapping_attention(head, NULL, 0, &o, &c), CEAS_EINPUT);
  ceas_mapping_options_default(&o);
  o.eigen_tol = 0.5;
  cr_assert_eq(ceas_mapping_attention(head, NULL, 0, &o, &c), CEAS_EINPUT);
  ceas_attention_head_free(head);
}
