/* The top of the spectrum of a dense symmetric matrix: GSL's dense solver, power
 * iteration, Lanczos with Sturm bisection of its tridiagonal, the auto rule, and
 * the gauge of the top eigenvector. See ceas_mapping.h and docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceas_attention.h"
#include "ceas_mapping.h"
#include "mapping_private.h"

#define MAP_POWER_MAXIT 300    /* power iterations before handing over to Lanczos */
#define MAP_POWER_WINDOW 25    /* iterations over which the convergence rate is measured */

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void matvec(const double *J, size_t n, const double *x, double *y) {
  for (size_t i = 0; i < n; i++) {
    const double *row = J + i * n;
    double acc = 0;
    for (size_t j = 0; j < n; j++) acc += row[j] * x[j];
    y[i] = acc;
  }
}

/* Rayleigh quotient and residual of a unit x, computed directly (one product):
 * this is the number every convergence claim rests on. */
static void rayleigh(const double *J, size_t n, const double *x, double *y, double *theta,
                     double *res) {
  matvec(J, n, x, y);
  double t = mapping_dot(x, y, n), r = 0;
  for (size_t i = 0; i < n; i++) r += (y[i] - t * x[i]) * (y[i] - t * x[i]);
  *theta = t;
  *res = sqrt(r);
}

static void normalise(double *x, size_t n) {
  double s = sqrt(mapping_dot(x, x, n));
  if (s > 0)
    for (size_t i = 0; i < n; i++) x[i] /= s;
}

static int eig_dense(const double *J, size_t n, double *vec, ceas_mapping_eigen_info *e) {
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_matrix *m = gsl_matrix_alloc(n, n), *V = vec ? gsl_matrix_alloc(n, n) : NULL;
  gsl_vector *ev = gsl_vector_alloc(n);
  gsl_eigen_symm_workspace *w = vec ? NULL : gsl_eigen_symm_alloc(n);
  gsl_eigen_symmv_workspace *wv = vec ? gsl_eigen_symmv_alloc(n) : NULL;
  int rc = CEAS_OK;
  if (!m || !ev || (vec && (!V || !wv)) || (!vec && !w)) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory for the dense eigensolver (n = %zu)", n);
  } else {
    memcpy(m->data, J, n * n * sizeof *J); /* tda == n for a fresh matrix */
    int st = vec ? gsl_eigen_symmv(m, ev, V, wv) : gsl_eigen_symm(m, ev, w);
    if (st) {
      rc = ceas_error_set(CEAS_EINTERNAL, "dense eigensolver (GSL): %s", gsl_strerror(st));
    } else if (vec) {
      gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
      e->lambda = gsl_vector_get(ev, 0);
      e->lambda2 = n > 1 ? gsl_vector_get(ev, 1) : NAN;
      for (size_t i = 0; i < n; i++) vec[i] = gsl_matrix_get(V, i, 0);
    } else {
      double l1 = -INFINITY, l2 = -INFINITY;
      for (size_t i = 0; i < n; i++) {
        double l = gsl_vector_get(ev, i);
        if (l > l1) {
          l2 = l1;
          l1 = l;
        } else if (l > l2) {
          l2 = l;
        }
      }
      e->lambda = l1;
      e->lambda2 = n > 1 ? l2 : NAN;
    }
  }
  if (m) gsl_matrix_free(m);
  if (V) gsl_matrix_free(V);
  if (ev) gsl_vector_free(ev);
  if (w) gsl_eigen_symm_free(w);
  if (wv) gsl_eigen_symmv_free(wv);
  gsl_set_error_handler(old);
  e->method = "dense";
  return rc;
}

/* Power iteration on J + rho I (rho >= -lambda_min, so the shifted matrix is
 * positive semidefinite and its dominant eigenvalue is lambda_max + rho: the
 * iteration goes to the top of J's spectrum, never to its bottom). The error
 * shrinks by q = (lambda_2 + rho)/(lambda_max + rho) per step; q is measured from
 * the residuals, and when reaching tol would take more than the budget (a nearly
 * degenerate top pair, or rho large against the gap) the caller is told to go on
 * with Lanczos. Returns 1 if converged (residual <= tol), with x the unit
 * vector, else 0 with x the last iterate. */
static int power_iter(const double *J, size_t n, double rho, double tol, double *x,
                      double *y, ceas_mapping_eigen_info *e, double *res_out) {
  double hist[MAP_POWER_WINDOW];
  double theta = 0, r = INFINITY;
  normalise(x, n);
  for (long it = 0; it < MAP_POWER_MAXIT; it++) {
    rayleigh(J, n, x, y, &theta, &r);
    e->matvecs++;
    if (r <= tol) {
      e->lambda = theta;
      e->residual = r;
      *res_out = r;
      return 1;
    }
    if (it >= 2 * MAP_POWER_WINDOW) {
      double r0 = hist[it % MAP_POWER_WINDOW]; /* residual MAP_POWER_WINDOW steps ago */
      double q = r0 > 0 ? pow(r / r0, 1.0 / MAP_POWER_WINDOW) : 1;
      if (!(q < 1) || (double)it + log(tol / r) / log(q) > (double)MAP_POWER_MAXIT) break;
    }
    hist[it % MAP_POWER_WINDOW] = r;
    for (size_t i = 0; i < n; i++) x[i] = y[i] + rho * x[i];
    if (!(mapping_dot(x, x, n) > 0)) break; /* x was an eigenvector of lambda = -rho: not the top */
    normalise(x, n);
  }
  *res_out = r;
  return 0;
}

/* Number of eigenvalues of the symmetric tridiagonal (a, b) below x (Sturm
 * sequence of the LDL^T pivots; a zero pivot is nudged as LAPACK's dstebz does). */
static size_t sturm_below(const double *a, const double *b, size_t m, double x, double pivmin) {
  size_t cnt = 0;
  double d = a[0] - x;
  if (fabs(d) < pivmin) d = -pivmin;
  if (d < 0) cnt++;
  for (size_t i = 1; i < m; i++) {
    d = a[i] - x - b[i - 1] * b[i - 1] / d;
    if (fabs(d) < pivmin) d = -pivmin;
    if (d < 0) cnt++;
  }
  return cnt;
}

/* k-th largest eigenvalue (k = 1, 2, ...) of the tridiagonal, by bisection to
 * rounding. */
double ceas_mapping_tridiag_eigenvalue(const double *a, const double *b, size_t m, size_t k) {
  double lo = INFINITY, hi = -INFINITY, bmax = 0;
  for (size_t i = 0; i < m; i++) {
    double off = (i > 0 ? fabs(b[i - 1]) : 0) + (i + 1 < m ? fabs(b[i]) : 0);
    lo = fmin(lo, a[i] - off);
    hi = fmax(hi, a[i] + off);
    if (i + 1 < m) bmax = fmax(bmax, b[i] * b[i]);
  }
  double pivmin = DBL_MIN * fmax(1, bmax);
  double span = fmax(fabs(lo), fabs(hi));
  lo -= 2 * DBL_EPSILON * span + pivmin;
  hi += 2 * DBL_EPSILON * span + pivmin;
  /* invariant: fewer than m - k + 1 eigenvalues below lo, at least that many below hi */
  for (int it = 0; it < 200 && hi - lo > 2 * DBL_EPSILON * fmax(fabs(lo), fabs(hi)) + pivmin;
       it++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (sturm_below(a, b, m, mid, pivmin) <= m - k)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* Unit eigenvector y of the tridiagonal for the eigenvalue theta: inverse
 * iteration with the LU factorisation with partial pivoting of LAPACK's dgttrf
 * (zero pivots replaced by eps * ||T||, as theta is an eigenvalue to rounding).
 * work: 4m doubles. */
static void tridiag_vec(const double *a, const double *b, size_t m, double theta, double *y,
                        double *work, size_t *ipiv) {
  double *dl = work, *d = work + m, *du = work + 2 * m, *du2 = work + 3 * m, norm = 0;
  for (size_t i = 0; i < m; i++) {
    d[i] = a[i] - theta;
    if (i + 1 < m) dl[i] = du[i] = b[i];
    du2[i] = 0;
    norm = fmax(norm, fabs(a[i]) + (i > 0 ? fabs(b[i - 1]) : 0) + (i + 1 < m ? fabs(b[i]) : 0));
  }
  for (size_t i = 0; i + 1 < m; i++) {
    if (fabs(d[i]) >= fabs(dl[i])) {
      ipiv[i] = i;
      if (d[i] != 0) {
        double f = dl[i] / d[i];
        dl[i] = f;
        d[i + 1] -= f * du[i];
      }
    } else {
      ipiv[i] = i + 1;
      double f = d[i] / dl[i];
      d[i] = dl[i];
      dl[i] = f;
      double t = du[i];
      du[i] = d[i + 1];
      d[i + 1] = t - f * d[i + 1];
      if (i + 2 < m) {
        du2[i] = du[i + 1];
        du[i + 1] = -f * du[i + 1];
      }
    }
  }
  double tiny = DBL_EPSILON * fmax(norm, DBL_MIN);
  for (size_t i = 0; i < m; i++)
    if (fabs(d[i]) < tiny) d[i] = d[i] < 0 ? -tiny : tiny;
  for (size_t i = 0; i < m; i++) y[i] = 1.0 + 0.01 * (double)(i % 7); /* generic start */
  for (int pass = 0; pass < 3; pass++) {
    for (size_t i = 0; i + 1 < m; i++) {
      double t;
      if (ipiv[i] == i) {
        t = y[i + 1] - dl[i] * y[i];
      } else {
        t = y[i] - dl[i] * y[i + 1];
        y[i] = y[i + 1];
      }
      y[i + 1] = t;
    }
    for (size_t k = m; k-- > 0;) {
      double t = y[k];
      if (k + 1 < m) t -= du[k] * y[k + 1];
      if (k + 2 < m) t -= du2[k] * y[k + 2];
      y[k] = t / d[k];
    }
    double s = 0;
    for (size_t i = 0; i < m; i++) s = fmax(s, fabs(y[i]));
    for (size_t i = 0; i < m; i++) y[i] /= s; /* keep it finite between passes */
  }
  normalise(y, m);
}

/* Lanczos with full reorthogonalisation from the unit vector x: after m steps the
 * top Ritz pair (theta, Q y) has residual beta_m |y_m| (exact arithmetic); when
 * that estimate is below tol the Ritz vector is formed and its residual
 * recomputed directly, and only that number decides convergence. The Krylov
 * space resolves a gap g in about sqrt(spread / g) steps rather than the
 * (lambda_max + rho) / g of the power iteration. Returns 1 if converged. */
static int lanczos(const double *J, size_t n, double tol, double *x, double *y,
                   ceas_mapping_eigen_info *e, double *res_out) {
  size_t mmax = n < CEAS_MAPPING_LANCZOS_MAX ? n : CEAS_MAPPING_LANCZOS_MAX;
  double *Q = ceas_malloc(mmax * n * sizeof *Q);
  if (mapping_dot(x, x, n) == 0) /* the power iterate collapsed; any generic start will do */
    for (size_t i = 0; i < n; i++) x[i] = 1.0 + 0.01 * (double)(i % 7);
  double *al = ceas_malloc(mmax * sizeof *al), *be = ceas_malloc(mmax * sizeof *be);
  double *ty = ceas_malloc(mmax * sizeof *ty), *tw = ceas_malloc(4 * mmax * sizeof *tw);
  size_t *ipiv = ceas_malloc(mmax * sizeof *ipiv);
  int conv = -1;
  double best = INFINITY;
  if (!Q || !al || !be || !ty || !tw || !ipiv) goto out;
  normalise(x, n);
  memcpy(Q, x, n * sizeof *x);
  double jscale = 0;
  for (size_t j = 0; j < mmax; j++) {
    double *q = Q + j * n, *qp = j ? q - n : q;
    matvec(J, n, q, y);
    e->matvecs++;
    al[j] = mapping_dot(q, y, n);
    jscale = fmax(jscale, fabs(al[j]));
    for (size_t i = 0; i < n; i++) y[i] -= al[j] * q[i] + (j ? be[j - 1] * qp[i] : 0);
    for (int pass = 0; pass < 2; pass++) /* twice is enough (Kahan-Parlett) */
      for (size_t k = 0; k <= j; k++) {
        const double *qk = Q + k * n;
        double c = mapping_dot(qk, y, n);
        for (size_t i = 0; i < n; i++) y[i] -= c * qk[i];
      }
    be[j] = sqrt(mapping_dot(y, y, n));
    jscale = fmax(jscale, be[j]);
    size_t m = j + 1;
    double theta = ceas_mapping_tridiag_eigenvalue(al, be, m, 1);
    tridiag_vec(al, be, m, theta, ty, tw, ipiv);
    int exhausted = be[j] <= 64 * DBL_EPSILON * jscale; /* invariant subspace */
    if (be[j] * fabs(ty[m - 1]) <= 0.5 * tol || exhausted || m == mmax) {
      for (size_t i = 0; i < n; i++) x[i] = 0;
      for (size_t k = 0; k < m; k++)
        for (size_t i = 0; i < n; i++) x[i] += ty[k] * Q[k * n + i];
      normalise(x, n);
      double th, r;
      rayleigh(J, n, x, y, &th, &r);
      e->matvecs++;
      best = fmin(best, r);
      if (r <= tol) {
        e->lambda = th;
        e->residual = r;
        conv = 1;
        break;
      }
      if (exhausted || m == mmax) {
        conv = 0;
        break;
      }
      matvec(J, n, q, y); /* y was overwritten: rebuild this step's residual vector */
      e->matvecs++;
      for (size_t i = 0; i < n; i++) y[i] -= al[j] * q[i] + (j ? be[j - 1] * qp[i] : 0);
      for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k <= j; k++) {
          const double *qk = Q + k * n;
          double c = mapping_dot(qk, y, n);
          for (size_t i = 0; i < n; i++) y[i] -= c * qk[i];
        }
    }
    for (size_t i = 0; i < n; i++) Q[(j + 1) * n + i] = y[i] / be[j];
  }
out:
  free(Q);
  free(al);
  free(be);
  free(ty);
  free(tw);
  free(ipiv);
  *res_out = best;
  return conv;
}

/* Iterative path: power iteration, then Lanczos from its last iterate (from the
 * start vector itself when lanczos_only). */
static int eig_iterative(const double *J, size_t n, double frob, double tol_rel,
                         int lanczos_only, double *vec, ceas_mapping_eigen_info *e) {
  e->tol = tol_rel * frob;
  e->lambda2 = NAN;
  double *y = ceas_malloc(n * sizeof *y);
  if (!y) return CEAS_ENOMEM;
  /* rho: Gershgorin's max row |sum| and ||J||_F both bound the spectral radius,
   * hence -lambda_min; the smaller one gives the faster iteration. */
  double rho = 0;
  for (size_t i = 0; i < n; i++) {
    double r = 0;
    for (size_t j = 0; j < n; j++) r += fabs(J[i * n + j]);
    rho = fmax(rho, r);
  }
  rho = fmin(rho, frob);
  /* A fixed pseudo-random start (reproducible runs) with a uniform part: attention
   * heads' top mode is usually close to uniform, and a random part makes a start
   * orthogonal to the top eigenvector a measure-zero accident. */
  ceas_rng_key key = {UINT64_C(0x6d6170), UINT64_C(0x746f70)}; /* "map", "top" */
  ceas_attention_normal_fill(key, 0, 0, vec, n);
  for (size_t i = 0; i < n; i++) vec[i] += 1;
  double r_power = INFINITY, r_lanczos = INFINITY;
  int rc = CEAS_OK;
  e->method = "power";
  if (frob == 0) { /* every vector is an eigenvector of eigenvalue 0 */
    e->lambda = 0;
    e->residual = 0;
    normalise(vec, n);
  } else if (lanczos_only || !power_iter(J, n, rho, e->tol, vec, y, e, &r_power)) {
    e->method = "lanczos";
    int conv = lanczos(J, n, e->tol, vec, y, e, &r_lanczos);
    if (conv < 0)
      rc = CEAS_ENOMEM;
    else if (!conv)
      rc = ceas_error_set(CEAS_EINTERNAL,
                          "eigensolver: power iteration and Lanczos (%zu steps) did not reach "
                          "||J v - lambda v|| <= %g ||J||_F = %.3g (best %.3g after %ld "
                          "products J v): a nearly degenerate top eigenvalue, or a tolerance "
                          "below rounding (try --eigen dense, or a larger --eigen-tol)",
                          n < CEAS_MAPPING_LANCZOS_MAX ? n : (size_t)CEAS_MAPPING_LANCZOS_MAX,
                          tol_rel, e->tol, fmin(r_power, r_lanczos), e->matvecs);
  }
  free(y);
  return rc;
}

int ceas_mapping_eigen_top(const double *J, size_t n, ceas_mapping_eigen_method method,
                           double tol_rel, double *vec, ceas_mapping_eigen_info *e) {
  memset(e, 0, sizeof *e);
  e->residual = e->tol = e->lambda2 = NAN;
  if (n == 0) return ceas_error_set(CEAS_EINPUT, "eigensolver: expected n >= 1, got 0");
  if (method != CEAS_MAPPING_EIGEN_DENSE && !(tol_rel > 0 && tol_rel <= 1e-2))
    return ceas_error_set(CEAS_EINPUT, "eigensolver: tolerance %g: expected a number in "
                          "(0, 0.01]", tol_rel);
  double t0 = now_s();
  int dense = method == CEAS_MAPPING_EIGEN_DENSE ||
              (method == CEAS_MAPPING_EIGEN_AUTO &&
               n <= (vec ? CEAS_MAPPING_DENSE_VECTOR_MAX : CEAS_MAPPING_DENSE_VALUES_MAX));
  int rc;
  if (dense) {
    rc = eig_dense(J, n, vec, e);
    if (!rc && vec) {
      double *y = ceas_malloc(n * sizeof *y), th;
      if (!y) return CEAS_ENOMEM;
      rayleigh(J, n, vec, y, &th, &e->residual);
      free(y);
    }
  } else {
    double frob = 0;
    for (size_t k = 0; k < n * n; k++) frob += J[k] * J[k];
    frob = sqrt(frob);
    double *v = vec ? vec : ceas_malloc(n * sizeof *v);
    if (!v) return CEAS_ENOMEM;
    rc = eig_iterative(J, n, frob, tol_rel, method == CEAS_MAPPING_EIGEN_LANCZOS, v, e);
    if (v != vec) free(v);
  }
  e->seconds = now_s() - t0;
  return rc;
}

void ceas_mapping_gauge_top(double *v, size_t n, int8_t *g) {
  size_t imax = 0;
  for (size_t i = 1; i < n; i++)
    if (fabs(v[i]) > fabs(v[imax])) imax = i;
  if (v[imax] < 0)
    for (size_t i = 0; i < n; i++) v[i] = -v[i];
  for (size_t i = 0; i < n; i++) g[i] = v[i] < 0 ? -1 : 1;
}
