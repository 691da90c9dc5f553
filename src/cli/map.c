/* ceasim map: attention head or FFN block -> Ising couplings file (CSR HDF5 that
 * `ceasim run --model graph --couplings FILE` reads). See docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <getopt.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceas_headsrc.h"
#include "ceas_io.h"
#include "ceas_weights.h"
#include "cli.h"

/* auto: dense GSL up to these sizes (gsl_eigen_symm: ~1 s at n = 1024 but ~250 s
 * at 4096 on one core; gsl_eigen_symmv ~12 s at 1024). Above them the iterative
 * path (residual-controlled power/Lanczos, ~2 s at 4096) is ~100x faster at an
 * accuracy stated by its residual. docs/mapping.md has numbers. */
#define MAP_DENSE_VALUES_MAX 1024
#define MAP_DENSE_VECTOR_MAX 1024
#define MAP_POWER_MAXIT 300    /* power iterations before handing over to Lanczos */
#define MAP_POWER_WINDOW 25    /* iterations over which the convergence rate is measured */
#define MAP_LANCZOS_MAX 500    /* Krylov dimension (memory: this many n-vectors) */
#define MAP_EIGEN_TOL 1e-10    /* default residual threshold, relative to ||J||_F */

static void map_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim map (head source) [options] --out FILE\n"
          "       ceasim map --ffn --weights FILE [--w1 NAME] [--w2 NAME] [options] --out FILE\n"
          "\n"
          "Attention -> Ising couplings on the tokens: J = (S + S^T)/2 of the raw scores\n"
          "S = Q K^T (beta multiplies J as it multiplies the scores in `ceasim attention`),\n"
          "zero diagonal (s_i^2 = 1 makes the diagonal a constant energy). FFN -> bipartite\n"
          "couplings J[v][d_model + h] = W1[h][v] (averaged with W2[v][h] if --w2) between\n"
          "d_model visible and d_ff hidden spins. Energy E = -sum_{i<j} J_ij s_i s_j - sum h_i s_i.\n"
          "\n"
          "head source (as in ceasim attention):\n"
          "  --synthetic --tokens N --d-k D --seed S [--kind gaussian|clustered|lowrank]\n"
          "  [--clusters C --spread X --rank R]\n"
          "  --weights FILE [--q NAME --k NAME | --x NAME --wq NAME --wk NAME]\n"
          "  [--head H --n-heads N]\n"
          "FFN:\n"
          "  --ffn                map an FFN block (needs --weights)\n"
          "  --w1 NAME            W1 [d_ff, d_model] [ffn/W_1]\n"
          "  --w2 NAME            W2 [d_model, d_ff]; used only if given\n"
          "mapping:\n"
          "  --normalize M        none | frobenius (J * sqrt(n)/||J||_F, SK scale) |\n"
          "                       lambda_max (J / lambda_max(J): mean-field beta_c = 1) [none];\n"
          "                       the fields are scaled by the same factor\n"
          "  --fields F           none (h = 0) |\n"
          "                       value: h_i = c v_i.u, v_i the value vector of token i,\n"
          "                         u = mean_j v_j / |mean_j v_j| (the head's consensus\n"
          "                         value direction); attention only |\n"
          "                       bias: visible spins b2, hidden spins b1 (RBM biases);\n"
          "                         --ffn only [none]\n"
          "  --field-scale c      multiplies the fields (finite) [1]\n"
          "  --v NAME             --fields value, direct layout: V [n, d_v] [V]\n"
          "  --wv NAME            --fields value, projection layout: W_v [n_heads*d_v,\n"
          "                       d_model], V = X W_v^T, sliced like W_q [W_v];\n"
          "                       synthetic heads draw V i.i.d. N(0,1) (d_v = d_k)\n"
          "  --b1 NAME            --fields bias: hidden bias [d_ff] [ffn/b_1]\n"
          "  --b2 NAME            --fields bias: visible bias [d_model] [ffn/b_2]\n"
          "  --gauge G            none | top: flip spins by g_i = sign(v_i) of the top\n"
          "                       eigenvector v of J (J_ij -> g_i g_j J_ij, h_i -> g_i h_i),\n"
          "                       an exact relabelling after which the uniform\n"
          "                       magnetisation is the Mattis overlap with the top mode [none]\n"
          "eigensolver (lambda_max, and the top eigenvector for --gauge top):\n"
          "  --eigen E            auto | dense (GSL) | power (power iteration, Lanczos if it\n"
          "                       converges slowly; fails rather than return an\n"
          "                       unconverged value)\n");
  /* One limit or two, the default reads as a sentence. */
  if (MAP_DENSE_VALUES_MAX == MAP_DENSE_VECTOR_MAX)
    fprintf(out, "                       [auto: dense for n <= %d, power above]\n",
            MAP_DENSE_VALUES_MAX);
  else
    fprintf(out,
            "                       [auto: dense for n <= %d (n <= %d when the eigenvector\n"
            "                       is needed), power above]\n",
            MAP_DENSE_VALUES_MAX, MAP_DENSE_VECTOR_MAX);
  fprintf(out,
          "  --eigen-tol t        iterative paths stop at ||J v - lambda v|| <= t ||J||_F,\n"
          "                       which bounds |lambda - lambda_true| by that residual [%g]\n"
          "output:\n"
          "  --out FILE           couplings HDF5 (indptr, indices, data, h, gauge; with\n"
          "                       --gauge top also top_eigenvector), written atomically\n"
          "  --force              allow --out to replace an existing file\n",
          MAP_EIGEN_TOL);
}

enum {
  OPT_FFN = 256, OPT_W1, OPT_W2, OPT_NORM, OPT_FIELDS, OPT_FSCALE, OPT_V, OPT_WV, OPT_B1,
  OPT_B2, OPT_GAUGE, OPT_EIGEN, OPT_ETOL, OPT_OUT, OPT_FORCE, OPT_HELP, OPT_SRC
};

static const struct option map_options[] = {
    {"ffn", no_argument, 0, OPT_FFN},
    {"w1", required_argument, 0, OPT_W1},
    {"w2", required_argument, 0, OPT_W2},
    {"normalize", required_argument, 0, OPT_NORM},
    {"fields", required_argument, 0, OPT_FIELDS},
    {"field-scale", required_argument, 0, OPT_FSCALE},
    {"v", required_argument, 0, OPT_V},
    {"wv", required_argument, 0, OPT_WV},
    {"b1", required_argument, 0, OPT_B1},
    {"b2", required_argument, 0, OPT_B2},
    {"gauge", required_argument, 0, OPT_GAUGE},
    {"eigen", required_argument, 0, OPT_EIGEN},
    {"eigen-tol", required_argument, 0, OPT_ETOL},
    {"out", required_argument, 0, OPT_OUT},
    {"force", no_argument, 0, OPT_FORCE},
    {"help", no_argument, 0, OPT_HELP},
    CEAS_CLI_HEADSRC_OPTIONS(OPT_SRC),
    {0, 0, 0, 0}};

typedef struct {
  ceas_headsrc_spec src;
  int ffn;
  const char *w1, *w2, *b1, *b2, *normalize, *fields, *gauge, *eigen, *out;
  double field_scale, eigen_tol;
  int have_field_scale, have_eigen_tol;
  int force, help;
} map_args;

static int one_of(const char *v, const char *what, const char *a, const char *b,
                  const char *c) {
  if (!strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c))) return CEAS_OK;
  if (c)
    return ceas_error_set(CEAS_EINPUT, "%s: expected %s, %s or %s, got '%s'", what, a, b, c, v);
  return ceas_error_set(CEAS_EINPUT, "%s: expected %s or %s, got '%s'", what, a, b, v);
}

static int parse_args(int argc, char **argv, map_args *a) {
  memset(a, 0, sizeof *a);
  ceas_headsrc_spec_default(&a->src);
  a->normalize = "none";
  a->fields = "none";
  a->gauge = "none";
  a->eigen = "auto";
  a->field_scale = 1;
  a->eigen_tol = MAP_EIGEN_TOL;
  opterr = 0;
  optind = 1;
  int c, idx = 0, rc = CEAS_OK;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, map_options, &idx)) != -1) {
    char what[64];
    snprintf(what, sizeof what, "--%s", c >= OPT_FFN ? map_options[idx].name : "");
    switch (c) {
      case OPT_FFN: a->ffn = 1; break;
      case OPT_W1: a->w1 = optarg; break;
      case OPT_W2: a->w2 = optarg; break;
      case OPT_B1: a->b1 = optarg; break;
      case OPT_B2: a->b2 = optarg; break;
      case OPT_NORM:
        rc = one_of(optarg, what, "none", "frobenius", "lambda_max");
        a->normalize = optarg;
        break;
      case OPT_FIELDS:
        rc = one_of(optarg, what, "none", "value", "bias");
        a->fields = optarg;
        break;
      case OPT_GAUGE:
        rc = one_of(optarg, what, "none", "top", NULL);
        a->gauge = optarg;
        break;
      case OPT_EIGEN:
        rc = one_of(optarg, what, "auto", "dense", "power");
        a->eigen = optarg;
        break;
      case OPT_FSCALE:
        rc = ceas_parse_double(optarg, what, &a->field_scale);
        a->have_field_scale = 1;
        break;
      case OPT_ETOL:
        rc = ceas_parse_double(optarg, what, &a->eigen_tol);
        if (!rc && !(a->eigen_tol > 0 && a->eigen_tol <= 1e-2))
          rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number in (0, 0.01], got %s", what,
                              optarg);
        a->have_eigen_tol = 1;
        break;
      case OPT_V:
      case OPT_WV:
      case OPT_SRC: rc = ceas_headsrc_option(&a->src, map_options[idx].name, optarg, what); break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_FORCE: a->force = 1; break;
      case OPT_HELP: a->help = 1; break;
      default: rc = ceas_cli_option_error(c, argv, "map");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim map --help)",
                        argv[optind]);
  if (rc || a->help) return rc;
  const ceas_headsrc_spec *s = &a->src;
  int value = !strcmp(a->fields, "value"), bias = !strcmp(a->fields, "bias");
  if (a->ffn) {
    if (!s->weights) return ceas_error_set(CEAS_EINPUT, "--ffn: expected --weights FILE");
    if (s->synthetic || s->q || s->k || s->x || s->wq || s->wk || s->head >= 0 || s->n_heads)
      return ceas_error_set(CEAS_EINPUT,
                            "--ffn: head options (--synthetic, --q ... --n-heads) do not apply");
    if (value)
      return ceas_error_set(CEAS_EINPUT,
                            "--fields value: applies to attention heads (with --ffn use "
                            "--fields bias)");
  } else {
    if (a->w1 || a->w2) return ceas_error_set(CEAS_EINPUT, "--w1/--w2: expected --ffn too");
    if (bias)
      return ceas_error_set(CEAS_EINPUT,
                            "--fields bias: applies to --ffn (attention heads use --fields "
                            "value)");
    if ((rc = ceas_headsrc_validate(&a->src))) return rc;
  }
  if ((s->v || s->wv) && !value)
    return ceas_error_set(CEAS_EINPUT, "--v/--wv: expected --fields value too");
  if ((a->b1 || a->b2) && !bias)
    return ceas_error_set(CEAS_EINPUT, "--b1/--b2: expected --fields bias too");
  if (a->have_field_scale && !value && !bias)
    return ceas_error_set(CEAS_EINPUT, "--field-scale: expected --fields value or bias too");
  if (a->have_eigen_tol && !strcmp(a->eigen, "dense"))
    return ceas_error_set(CEAS_EINPUT,
                          "--eigen-tol: applies to the iterative solver (--eigen power or "
                          "auto), not --eigen dense");
  a->src.want_v = value;
  if (!a->out) return ceas_error_set(CEAS_EINPUT, "--out: expected an output file");
  return CEAS_OK;
}

/* ---- top eigenpair of a dense symmetric J ------------------------------------ */

typedef struct {
  double lambda;      /* largest eigenvalue */
  double lambda2;     /* second largest (dense path), NAN otherwise */
  double residual;    /* ||J v - lambda v|| of the unit vector returned; NAN if none */
  double tol;         /* absolute residual threshold (iterative), NAN for dense */
  long matvecs;       /* products J x (iterative) */
  const char *method; /* "dense", "power" or "lanczos" */
  double seconds;
} eig_info;

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

static double dot(const double *x, const double *y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

/* Rayleigh quotient and residual of a unit x, computed directly (one product):
 * this is the number every convergence claim rests on. */
static void rayleigh(const double *J, size_t n, const double *x, double *y, double *theta,
                     double *res) {
  matvec(J, n, x, y);
  double t = dot(x, y, n), r = 0;
  for (size_t i = 0; i < n; i++) r += (y[i] - t * x[i]) * (y[i] - t * x[i]);
  *theta = t;
  *res = sqrt(r);
}

static void normalise(double *x, size_t n) {
  double s = sqrt(dot(x, x, n));
  if (s > 0)
    for (size_t i = 0; i < n; i++) x[i] /= s;
}

static int eig_dense(const double *J, size_t n, double *vec, eig_info *e) {
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
                      double *y, eig_info *e, double *res_out) {
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
    if (!(dot(x, x, n) > 0)) break; /* x was an eigenvector of lambda = -rho: not the top */
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
static double tridiag_eig(const double *a, const double *b, size_t m, size_t k) {
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
static int lanczos(const double *J, size_t n, double tol, double *x, double *y, eig_info *e,
                   double *res_out) {
  size_t mmax = n < MAP_LANCZOS_MAX ? n : MAP_LANCZOS_MAX;
  double *Q = ceas_malloc(mmax * n * sizeof *Q);
  if (dot(x, x, n) == 0) /* the power iterate collapsed; any generic start will do */
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
    al[j] = dot(q, y, n);
    jscale = fmax(jscale, fabs(al[j]));
    for (size_t i = 0; i < n; i++) y[i] -= al[j] * q[i] + (j ? be[j - 1] * qp[i] : 0);
    for (int pass = 0; pass < 2; pass++) /* twice is enough (Kahan-Parlett) */
      for (size_t k = 0; k <= j; k++) {
        const double *qk = Q + k * n;
        double c = dot(qk, y, n);
        for (size_t i = 0; i < n; i++) y[i] -= c * qk[i];
      }
    be[j] = sqrt(dot(y, y, n));
    jscale = fmax(jscale, be[j]);
    size_t m = j + 1;
    double theta = tridiag_eig(al, be, m, 1);
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
          double c = dot(qk, y, n);
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

/* Iterative path: power iteration, then Lanczos from its last iterate. */
static int eig_iterative(const double *J, size_t n, double frob, double tol_rel, double *vec,
                         eig_info *e) {
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
  } else if (!power_iter(J, n, rho, e->tol, vec, y, e, &r_power)) {
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
                          n < MAP_LANCZOS_MAX ? n : (size_t)MAP_LANCZOS_MAX, tol_rel, e->tol,
                          fmin(r_power, r_lanczos), e->matvecs);
  }
  free(y);
  return rc;
}

/* lambda_max of J and, if vec, its unit eigenvector. */
static int eig_top(const double *J, size_t n, double frob, const map_args *a, double *vec,
                   eig_info *e) {
  memset(e, 0, sizeof *e);
  e->residual = e->tol = e->lambda2 = NAN;
  double t0 = now_s();
  int dense = !strcmp(a->eigen, "dense") ||
              (!strcmp(a->eigen, "auto") &&
               n <= (vec ? MAP_DENSE_VECTOR_MAX : MAP_DENSE_VALUES_MAX));
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
    double *v = vec ? vec : ceas_malloc(n * sizeof *v);
    if (!v) return CEAS_ENOMEM;
    rc = eig_iterative(J, n, frob, a->eigen_tol, v, e);
    if (v != vec) free(v);
  }
  e->seconds = now_s() - t0;
  return rc;
}

/* Gauge g_i = sign(v_i) with v's overall sign fixed so that its largest |v_i|
 * (lowest index on ties) is positive; v_i = 0 counts as +. v is flipped in place
 * to that sign convention. */
static void gauge_from(double *v, size_t n, int8_t *g) {
  size_t imax = 0;
  for (size_t i = 1; i < n; i++)
    if (fabs(v[i]) > fabs(v[imax])) imax = i;
  if (v[imax] < 0)
    for (size_t i = 0; i < n; i++) v[i] = -v[i];
  for (size_t i = 0; i < n; i++) g[i] = v[i] < 0 ? -1 : 1;
}

/* ---- couplings and fields ---------------------------------------------------- */

/* Attention: dense J (n x n, zero diagonal) from the head. */
static int attention_couplings(const ceas_headsrc *hs, double **Jout, double *trace) {
  size_t n = hs->head->n, bytes;
  const size_t nn[] = {n, n, sizeof(double)};
  int rc =
      ceas_size_check("the head's n x n couplings (n from --tokens or --weights)", &bytes, 3, nn);
  if (rc) return rc;
  double *S = malloc(bytes);
  if (!S) return ceas_error_set(CEAS_ENOMEM, "out of memory for %zu x %zu scores", n, n);
  ceas_attention_head_score_matrix(hs->head, S);
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

/* Value fields h_i = v_i . u, u = vbar / |vbar| (before --field-scale). */
static int value_fields(const ceas_headsrc *hs, const map_args *a, double *h, double *vbar_norm) {
  size_t n = hs->head->n, d = hs->d_v;
  const double *V = hs->v;
  double *u = calloc(d, sizeof *u);
  if (!u) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  double vmax = 0;
  for (size_t j = 0; j < n; j++) {
    for (size_t c = 0; c < d; c++) u[c] += V[j * d + c];
    vmax = fmax(vmax, sqrt(dot(V + j * d, V + j * d, d)));
  }
  for (size_t c = 0; c < d; c++) u[c] /= (double)n;
  double nu = sqrt(dot(u, u, d));
  *vbar_norm = nu;
  char src[600];
  if (a->src.synthetic)
    snprintf(src, sizeof src, "the synthetic head (seed %llu)",
             (unsigned long long)a->src.spec.seed);
  else
    snprintf(src, sizeof src, "%s tensor '%s'", a->src.weights, hs->v_name);
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
    for (size_t i = 0; i < n; i++) h[i] = dot(V + i * d, u, d);
  }
  free(u);
  return rc;
}

typedef struct {
  size_t n, dm, dff;
  char w1n[256], w2n[256], b1n[256], b2n[256];
} ffn_info;

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

/* FFN: dense J over d_model + d_ff spins, bipartite; with bias, h = (b2, b1). */
static int ffn_couplings(const map_args *a, int bias, double **Jout, double **hout,
                         ffn_info *fi) {
  ceas_weights *w = NULL;
  ceas_weights_tensor w1 = {0}, w2 = {0}, b1 = {0}, b2 = {0};
  snprintf(fi->w1n, sizeof fi->w1n, "%s", a->w1 ? a->w1 : "ffn/W_1");
  snprintf(fi->w2n, sizeof fi->w2n, "%s", a->w2 ? a->w2 : "");
  snprintf(fi->b1n, sizeof fi->b1n, "%s", bias ? (a->b1 ? a->b1 : "ffn/b_1") : "");
  snprintf(fi->b2n, sizeof fi->b2n, "%s", bias ? (a->b2 ? a->b2 : "ffn/b_2") : "");
  const char *w1n = fi->w1n, *w2n = fi->w2n;
  int rc = ceas_weights_open(a->src.weights, &w);
  if (!rc) rc = ceas_weights_read(w, w1n, &w1);
  if (!rc && a->w2) rc = ceas_weights_read(w, w2n, &w2);
  if (!rc && bias) rc = ceas_weights_read(w, fi->b1n, &b1);
  if (!rc && bias) rc = ceas_weights_read(w, fi->b2n, &b2);
  const char *path = a->src.weights;
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
    rc = bias_check(path, &b1, fi->b1n, (size_t)w1.shape[0], "d_ff, the hidden spins", w1n);
  if (!rc && bias)
    rc = bias_check(path, &b2, fi->b2n, (size_t)w1.shape[1], "d_model, the visible spins",
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
      fi->dm = dm;
      fi->dff = dff;
    }
  }
  ceas_weights_tensor_free(&w1);
  ceas_weights_tensor_free(&w2);
  ceas_weights_tensor_free(&b1);
  ceas_weights_tensor_free(&b2);
  ceas_weights_close(w);
  return rc;
}

/* `units` and `description` of every dataset of a couplings file (ceas_io_describe).
 * The couplings are the energy unit of the runs that read the file: β of
 * `ceasim run --model graph` is in 1/J of these J_ij. */
static const ceas_io_doc map_docs[] = {
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

int ceas_cli_map(int argc, char **argv) {
  map_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    map_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if ((rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  int value = !strcmp(a.fields, "value"), bias = !strcmp(a.fields, "bias");
  int gauge_top = !strcmp(a.gauge, "top");
  ceas_headsrc *hs = NULL;
  double *J = NULL, *hf = NULL, trace = 0, vbar_norm = NAN;
  size_t n = 0;
  ffn_info fi;
  memset(&fi, 0, sizeof fi);
  if (a.ffn) {
    rc = ffn_couplings(&a, bias, &J, &hf, &fi);
    n = fi.n;
  } else {
    rc = ceas_headsrc_load(&a.src, &hs);
    if (!rc) {
      n = hs->head->n;
      rc = attention_couplings(hs, &J, &trace);
    }
    if (!rc && !(hf = calloc(n, sizeof *hf))) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    if (!rc && value) rc = value_fields(hs, &a, hf, &vbar_norm);
  }
  double lam_raw = 0, lam = 0, scale = 1, frob = 0;
  if (!rc) {
    for (size_t k = 0; k < n * n; k++) frob += J[k] * J[k];
    frob = sqrt(frob);
    int finite = isfinite(frob);
    for (size_t i = 0; i < n; i++) finite = finite && isfinite(hf[i]);
    if (!finite) /* an F16 overflow or a NaN in the tensors; the eigensolver would stall */
      rc = ceas_error_set(CEAS_EINPUT, "%s: the couplings or fields computed from it are not "
                          "all finite (inf or NaN in the tensors?)",
                          a.ffn || !a.src.synthetic ? a.src.weights : "synthetic head");
  }
  double *vec = NULL;
  int8_t *g = NULL;
  eig_info eig;
  memset(&eig, 0, sizeof eig);
  if (!rc) {
    vec = gauge_top ? ceas_malloc(n * sizeof *vec) : NULL;
    g = ceas_malloc(n * sizeof *g);
    if (!g || (gauge_top && !vec)) rc = CEAS_ENOMEM;
  }
  if (!rc) rc = eig_top(J, n, frob, &a, vec, &eig);
  if (!rc) {
    lam_raw = eig.lambda;
    for (size_t i = 0; i < n; i++) g[i] = 1;
    if (gauge_top) gauge_from(vec, n, g);
  }
  if (!rc && strcmp(a.normalize, "none")) {
    if (!(frob > 0) || !(lam_raw > 0))
      rc = ceas_error_set(CEAS_EINPUT, "--normalize %s: the couplings are all zero", a.normalize);
    else
      scale = !strcmp(a.normalize, "frobenius") ? sqrt((double)n) / frob : 1 / lam_raw;
  }
  lam = lam_raw * scale;
  int64_t *indptr = NULL, *indices = NULL;
  double *data = NULL;
  size_t nnz = 0, flipped = 0;
  if (!rc) {
    for (size_t k = 0; k < n * n; k++) nnz += J[k] != 0;
    indptr = malloc((n + 1) * sizeof *indptr);
    indices = malloc((nnz ? nnz : 1) * sizeof *indices);
    data = malloc((nnz ? nnz : 1) * sizeof *data);
    if (!indptr || !indices || !data) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  if (!rc) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      indptr[i] = (int64_t)k;
      for (size_t j = 0; j < n; j++)
        if (J[i * n + j] != 0) {
          indices[k] = (int64_t)j;
          /* same product for (i,j) and (j,i): the file stays bitwise symmetric */
          data[k++] = J[i * n + j] * scale * (double)(g[i] * g[j]);
        }
      hf[i] = hf[i] * a.field_scale * scale * (double)g[i];
      flipped += g[i] < 0;
    }
    indptr[n] = (int64_t)k;
  }
  if (!rc) {
    printf("ceasim %s  map  %s: n=%zu spins", ceas_version(), a.ffn ? "ffn" : "attention", n);
    if (a.ffn)
      printf(" (d_model=%zu visible + d_ff=%zu hidden, %s%s%s)", fi.dm, fi.dff, fi.w1n,
             a.w2 ? " + " : "", a.w2 ? fi.w2n : "");
    else if (a.src.synthetic)
      printf(" (synthetic %s, d_k=%zu, seed %llu)", ceas_headsrc_kind_name(a.src.spec.kind),
             hs->head->d_k, (unsigned long long)a.src.spec.seed);
    else
      printf(" (%s %s, d_k=%zu)", a.src.weights, hs->mode, hs->head->d_k);
    printf("\nnnz=%zu  normalize=%s (scale %.10g)  lambda_max(J)=%.10g  mean-field "
           "beta_c=1/lambda_max=%.10g\n",
           nnz, a.normalize, scale, lam, lam > 0 ? 1 / lam : INFINITY);
    printf("eigen: %s -> %s", a.eigen, eig.method);
    if (!strcmp(eig.method, "dense"))
      printf(" (GSL %s)", vec ? "gsl_eigen_symmv" : "gsl_eigen_symm");
    else
      printf(" (%ld products J v, residual %.3g <= %.3g)", eig.matvecs, eig.residual, eig.tol);
    printf(", %.2f s\n", eig.seconds);
    if (value)
      printf("fields: value (d_v=%zu, |mean v|=%.6g), field-scale %g\n", hs->d_v, vbar_norm,
             a.field_scale);
    else if (bias)
      printf("fields: bias (%s visible, %s hidden), field-scale %g\n", fi.b2n, fi.b1n,
             a.field_scale);
    if (gauge_top) {
      printf("gauge: top (%zu of %zu spins flipped)\n", flipped, n);
      double gap = (eig.lambda - eig.lambda2) / fabs(eig.lambda);
      if (isfinite(gap) && gap < 0.05)
        printf("note: lambda_2 = %.6g is within %.2g%% of lambda_max: the top eigenspace is "
               "nearly degenerate and the Mattis overlap with one mode is only part of the "
               "order parameter (docs/mapping.md)\n",
               eig.lambda2 * scale, 100 * gap);
    }
    ceas_io_file f;
    rc = ceas_io_file_create(a.out, a.force, &f);
    if (!rc) {
      hid_t r = f.file;
      rc = ceas_io_attr_string(r, "ceasim_version", ceas_version());
      if (!rc) rc = ceas_io_attr_string(r, "command_line", ceas_cli_command_line());
      if (!rc) rc = ceas_io_attr_string(r, "kind", a.ffn ? "ffn" : "attention");
      if (!rc) rc = ceas_io_attr_int64(r, "n_spins", (int64_t)n);
      if (!rc) rc = ceas_io_attr_int64(r, "nnz", (int64_t)nnz);
      if (!rc) rc = ceas_io_attr_string(r, "normalize", a.normalize);
      if (!rc) rc = ceas_io_attr_double(r, "scale", scale);
      if (!rc) rc = ceas_io_attr_double(r, "lambda_max", lam);
      if (!rc) rc = ceas_io_attr_double(r, "lambda_max_unscaled", lam_raw);
      if (!rc) rc = ceas_io_attr_double(r, "beta_c_mean_field", lam > 0 ? 1 / lam : INFINITY);
      if (!rc && !isnan(eig.lambda2))
        rc = ceas_io_attr_double(r, "lambda_2", eig.lambda2 * scale);
      if (!rc) rc = ceas_io_attr_string(r, "eigen", a.eigen);
      if (!rc) rc = ceas_io_attr_string(r, "eigen_method", eig.method);
      if (!rc && !isnan(eig.residual))
        rc = ceas_io_attr_double(r, "eigen_residual", eig.residual * scale);
      if (!rc && !isnan(eig.tol)) {
        rc = ceas_io_attr_double(r, "eigen_tol", a.eigen_tol);
        if (!rc) rc = ceas_io_attr_int64(r, "eigen_matvecs", eig.matvecs);
      }
      if (!rc) rc = ceas_io_attr_string(r, "gauge", a.gauge);
      if (!rc) rc = ceas_io_attr_string(r, "fields", a.fields);
      if (!rc) rc = ceas_io_attr_double(r, "field_scale", a.field_scale);
      if (!rc) rc = ceas_io_attr_string(r, "energy",
                                        "E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i");
      if (a.ffn) {
        if (!rc) rc = ceas_io_attr_string(r, "weights_file", a.src.weights);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_w1", fi.w1n);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_w2", fi.w2n);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_b1", fi.b1n);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_b2", fi.b2n);
        if (!rc) rc = ceas_io_attr_int64(r, "d_model", (int64_t)fi.dm);
        if (!rc) rc = ceas_io_attr_int64(r, "d_ff", (int64_t)fi.dff);
        if (!rc) rc = ceas_io_attr_string(r, "spins", "0..d_model-1 visible (model dimension), "
                                                      "d_model..d_model+d_ff-1 hidden");
        if (!rc && bias)
          rc = ceas_io_attr_string(r, "field", "h = scale * field_scale * (b2 on visible, "
                                               "b1 on hidden) * gauge");
      } else {
        if (!rc) rc = ceas_headsrc_write_attrs(r, &a.src, hs);
        if (!rc) rc = ceas_io_attr_int64(r, "d_k", (int64_t)hs->head->d_k);
        if (!rc) rc = ceas_io_attr_string(r, "coupling", "J = (S + S^T)/2 * scale, S = Q K^T raw "
                                                         "scores, diagonal dropped");
        if (!rc) rc = ceas_io_attr_double(r, "trace_scores", trace);
        if (!rc && value) {
          rc = ceas_io_attr_int64(r, "d_v", (int64_t)hs->d_v);
          if (!rc) rc = ceas_io_attr_double(r, "value_mean_norm", vbar_norm);
          if (!rc)
            rc = ceas_io_attr_string(r, "field", "h_i = scale * field_scale * gauge_i * v_i.u, "
                                                 "u = mean_j v_j / |mean_j v_j|");
        }
      }
      if (!rc) rc = ceas_io_write_int64s(r, "indptr", indptr, n + 1);
      if (!rc) rc = ceas_io_write_int64s(r, "indices", indices, nnz);
      if (!rc) rc = ceas_io_write_doubles(r, "data", data, nnz);
      if (!rc) rc = ceas_io_write_doubles(r, "h", hf, n);
      if (!rc) rc = ceas_io_write_int8(r, "gauge", g, n);
      if (!rc && gauge_top) rc = ceas_io_write_doubles(r, "top_eigenvector", vec, n);
      if (!rc) rc = ceas_io_describe(r, map_docs);
      if (rc)
        ceas_io_file_abort(&f);
      else
        rc = ceas_io_file_commit(&f);
    }
    if (!rc) printf("wrote %s\n", a.out);
  }
  free(indptr);
  free(indices);
  free(data);
  free(hf);
  free(vec);
  free(g);
  free(J);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
