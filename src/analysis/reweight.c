/*
 * Multi-histogram reweighting: A. M. Ferrenberg and R. H. Swendsen, PRL 63,
 * 1195 (1989), with every sample used as it is.
 *
 * The estimator depends on a sample only through its total energy E, so samples
 * are grouped by their exact energy (a lattice energy is an integer: grouping is
 * not binning and loses nothing). For each distinct E_u we keep the weighted
 * count c_u and the weighted sums of |m|, m^2, m^4 and F, per jackknife block.
 *
 * Run k (beta_k, n_k samples, energy autocorrelation time tau_k) enters with
 * weight a_k = 1 / (2 tau_k), i.e. with its effective number of independent
 * samples A_k = a_k n_k, as in Chodera et al., JCTC 3, 26 (2007). Any positive
 * weights give a consistent estimator (numerator and denominator are unbiased
 * for the same density of states); the effective-sample weights are the
 * variance-minimising ones. Thinning would do the same job by throwing samples
 * away. The jackknife errors do not depend on the choice.
 *
 * The free energies f_k = -ln Z(beta_k) solve the self-consistency
 *   e^{-f_l} = sum_u c_u e^{-beta_l E_u} / D_u,  D_u = sum_k A_k e^{f_k - beta_k E_u},
 * which is the stationarity condition of the convex function
 *   Phi(f) = sum_u c_u ln D_u - sum_k A_k f_k
 * (the MBAR objective, Shirts & Chodera, JCP 129, 124105 (2008)). We minimise
 * Phi by Newton's method with a backtracking line search, f_0 = 0 fixing the
 * free additive constant; convexity makes this globally convergent, and it needs
 * a handful of iterations where the plain iteration of the self-consistency
 * needs thousands when the runs overlap well. Every exponent goes through
 * log-sum-exp; energies are shifted by their overall mean so that the exponents
 * stay moderate even for large systems.
 */
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_analysis.h"
#include "ceas_core.h"
#include "ceas_measure.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Sums per distinct energy: weighted count, |m| - a0, (|m| - a0)^2, m^2, m^4, F. */
enum { Q_C, Q_DA, Q_DA2, Q_M2, Q_M4, Q_F, NQ };

struct ceas_analysis_rw {
  size_t K, U, B;
  double n_spins;
  long L;
  int has_f;
  double E0, a0;    /* shifts of the total energy and of |m| */
  double *beta;     /* K */
  double *S;        /* (B + 1) sets x U x NQ; set 0 full, set 1 + b without block b */
  double *lnA;      /* (B + 1) x K: ln(a_k N_k) of the set */
  double *f;        /* (B + 1) x K */
  double *lnD;      /* (B + 1) x U */
  double *Eu;       /* U, shifted by E0 */
  double *weights;  /* U: scratch of eval_set (evaluations run one at a time) */
  double beta_min, beta_max, lo, hi, min_overlap;
};

static const char *const rw_names[CEAS_RW_COUNT] = {
    [CEAS_RW_ENERGY] = "energy",
    [CEAS_RW_SPECIFIC_HEAT] = "specific_heat",
    [CEAS_RW_ABS_M] = "abs_magnetization",
    [CEAS_RW_M2] = "m2",
    [CEAS_RW_M4] = "m4",
    [CEAS_RW_SUSCEPTIBILITY] = "susceptibility",
    [CEAS_RW_SUSCEPTIBILITY_CONNECTED] = "susceptibility_connected",
    [CEAS_RW_BINDER] = "binder",
    [CEAS_RW_XI_OVER_L] = "xi_over_L",
    [CEAS_RW_DBINDER_DBETA] = "dbinder_dbeta",
    [CEAS_RW_DXI_OVER_L_DBETA] = "dxi_over_L_dbeta",
};

const char *ceas_analysis_rw_name(int q) {
  return q >= 0 && q < CEAS_RW_COUNT ? rw_names[q] : NULL;
}

void ceas_analysis_rw_free(ceas_analysis_rw *rw) {
  if (!rw) return;
  free(rw->beta);
  free(rw->S);
  free(rw->lnA);
  free(rw->f);
  free(rw->lnD);
  free(rw->Eu);
  free(rw->weights);
  free(rw);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Index of the group holding energy E (nearest distinct value). */
static size_t find_energy(const double *Eu, size_t U, double E) {
  size_t lo = 0, hi = U;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (Eu[mid] <= E)
      lo = mid;
    else
      hi = mid;
  }
  if (hi < U && fabs(Eu[hi] - E) < fabs(Eu[lo] - E)) return hi;
  return lo;
}

/* ---- free energies -------------------------------------------------------- */

/* ln D_u for all u and Phi / sum_k A_k. */
static double objective(const ceas_analysis_rw *r, size_t s, const double *f,
                        double *lnD) {
  const size_t K = r->K, U = r->U;
  const double *lnA = r->lnA + s * K;
  const double *S = r->S + s * U * NQ;
  long double phi = 0.0L, atot = 0.0L;
  for (size_t u = 0; u < U; u++) {
    double mx = -INFINITY;
    for (size_t k = 0; k < K; k++) {
      double t = lnA[k] + f[k] - r->beta[k] * r->Eu[u];
      if (t > mx) mx = t;
    }
    long double sum = 0.0L;
    for (size_t k = 0; k < K; k++)
      sum += exp(lnA[k] + f[k] - r->beta[k] * r->Eu[u] - mx);
    lnD[u] = mx + (double)logl(sum);
    if (S[u * NQ + Q_C] > 0) phi += (long double)S[u * NQ + Q_C] * lnD[u];
  }
  for (size_t k = 0; k < K; k++) {
    long double a = expl((long double)lnA[k]);
    phi -= a * f[k];
    atot += a;
  }
  return (double)(phi / atot);
}

/* Gradient (K) and Hessian (K x K) of Phi / sum A at f, given lnD. */
static void derivatives(const ceas_analysis_rw *r, size_t s, const double *f,
                        const double *lnD, double *g, double *H, double *pi) {
  const size_t K = r->K, U = r->U;
  const double *lnA = r->lnA + s * K;
  const double *S = r->S + s * U * NQ;
  long double atot = 0.0L;
  for (size_t k = 0; k < K; k++) atot += expl((long double)lnA[k]);
  for (size_t k = 0; k < K; k++) g[k] = -(double)(expl((long double)lnA[k]) / atot);
  memset(H, 0, K * K * sizeof *H);
  for (size_t u = 0; u < U; u++) {
    double c = S[u * NQ + Q_C];
    if (!(c > 0)) continue;
    c /= (double)atot;
    for (size_t k = 0; k < K; k++)
      pi[k] = exp(lnA[k] + f[k] - r->beta[k] * r->Eu[u] - lnD[u]);
    for (size_t k = 0; k < K; k++) {
      g[k] += c * pi[k];
      H[k * K + k] += c * pi[k];
      for (size_t l = 0; l < K; l++) H[k * K + l] -= c * pi[k] * pi[l];
    }
  }
}

/* Thermodynamic integration of d f / d beta = <E> through the run means: a
 * starting point close enough that Newton's method needs a few steps. */
static void initial_guess(const ceas_analysis_rw *r, const double *mean_E, double *f) {
  const size_t K = r->K;
  size_t *ord = K ? calloc(K, sizeof *ord) : NULL;
  if (!ord) {
    for (size_t k = 0; k < K; k++) f[k] = 0.0;
    return;
  }
  for (size_t k = 0; k < K; k++) ord[k] = k;
  for (size_t i = 1; i < K; i++) /* insertion sort by beta: K is small */
    for (size_t j = i; j > 0 && r->beta[ord[j - 1]] > r->beta[ord[j]]; j--) {
      size_t t = ord[j];
      ord[j] = ord[j - 1];
      ord[j - 1] = t;
    }
  f[ord[0]] = 0.0;
  for (size_t i = 1; i < K; i++) {
    size_t a = ord[i - 1], b = ord[i];
    f[b] = f[a] + (r->beta[b] - r->beta[a]) * 0.5 * (mean_E[a] + mean_E[b]);
  }
  double f0 = f[0];
  for (size_t k = 0; k < K; k++) f[k] -= f0;
  free(ord);
}

static int solve_set(ceas_analysis_rw *r, size_t s, const double *f_start) {
  const size_t K = r->K, U = r->U;
  double *f = r->f + s * K, *lnD = r->lnD + s * U;
  memcpy(f, f_start, K * sizeof *f);
  f[0] = 0.0;
  if (K == 1) {
    objective(r, s, f, lnD);
    return CEAS_OK;
  }
  const size_t n = K - 1;
  double *g = malloc(K * sizeof *g), *H = malloc(K * K * sizeof *H);
  double *pi = malloc(K * sizeof *pi), *ft = malloc(K * sizeof *ft);
  double *lnDt = malloc(U * sizeof *lnDt);
  gsl_matrix *M = gsl_matrix_alloc(n, n);
  gsl_vector *rhs = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
  int rc = CEAS_OK;
  if (!g || !H || !pi || !ft || !lnDt || !M || !rhs || !step) {
    rc = ceas_error_set(CEAS_ENOMEM, "reweighting: out of memory");
    goto done;
  }
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  double phi = objective(r, s, f, lnD);
  int converged = 0;
  for (int it = 0; it < 200 && !converged; it++) {
    derivatives(r, s, f, lnD, g, H, pi);
    double gmax = 0.0;
    for (size_t k = 1; k < K; k++) gmax = fmax(gmax, fabs(g[k]));
    if (gmax < 1e-14) {
      converged = 1;
      break;
    }
    /* Newton step on f_1..f_{K-1}; a tiny ridge rescues a Hessian that is
     * singular to rounding (runs that hardly overlap). */
    double ridge = 0.0;
    int st = -1;
    for (int attempt = 0; attempt < 12 && st; attempt++) {
      for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++)
          gsl_matrix_set(M, i, j, H[(i + 1) * K + (j + 1)] + (i == j ? ridge : 0.0));
        gsl_vector_set(rhs, i, -g[i + 1]);
      }
      st = gsl_linalg_cholesky_decomp1(M);
      if (!st) st = gsl_linalg_cholesky_solve(M, rhs, step);
      ridge = ridge == 0.0 ? 1e-14 : ridge * 100.0;
    }
    if (st) {
      for (size_t i = 0; i < n; i++) gsl_vector_set(step, i, -g[i + 1]);
    }
    double slope = 0.0, smax = 0.0;
    for (size_t i = 0; i < n; i++) {
      slope += g[i + 1] * gsl_vector_get(step, i);
      smax = fmax(smax, fabs(gsl_vector_get(step, i)));
    }
    double t = 1.0, phit = phi;
    int accepted = 0;
    for (int ls = 0; ls < 60; ls++) {
      ft[0] = 0.0;
      for (size_t i = 0; i < n; i++) ft[i + 1] = f[i + 1] + t * gsl_vector_get(step, i);
      phit = objective(r, s, ft, lnDt);
      if (isfinite(phit) && phit <= phi + 1e-4 * t * slope) {
        accepted = 1;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      /* No decrease is representable any more: we are at the minimum to
       * rounding, provided the gradient is small on the scale of the data. */
      converged = gmax < 1e-9;
      break;
    }
    memcpy(f, ft, K * sizeof *f);
    memcpy(lnD, lnDt, U * sizeof *lnD);
    phi = phit;
    if (t * smax < 1e-13) converged = 1;
  }
  gsl_set_error_handler(old);
  if (!converged)
    rc = ceas_error_set(CEAS_EINTERNAL,
                        "reweighting: free energies did not converge (L = %ld, %zu runs)",
                        r->L, r->K);
done:
  free(g);
  free(H);
  free(pi);
  free(ft);
  free(lnDt);
  gsl_matrix_free(M);
  gsl_vector_free(rhs);
  gsl_vector_free(step);
  return rc;
}

/* ---- evaluation -------------------------------------------------------------- */

static void eval_set(const ceas_analysis_rw *r, double beta, size_t s,
                     double v[CEAS_RW_COUNT]) {
  const size_t U = r->U;
  const double *S = r->S + s * U * NQ;
  const double *lnD = r->lnD + s * U;
  double wmax = -INFINITY;
  for (size_t u = 0; u < U; u++) {
    if (!(S[u * NQ + Q_C] > 0)) continue;
    double w = -beta * r->Eu[u] - lnD[u];
    if (w > wmax) wmax = w;
  }
  /* Exponents are <= 0 after the shift by wmax: exp in double is exact enough
   * (terms below 1e-308 of the largest do not matter); sums are long double. */
  /* The weights are kept for the second pass: with continuous couplings (graphs)
   * every measurement is its own energy and exp() dominates the analysis. */
  double *pw = r->weights;
  long double Z = 0.0L, sE = 0.0L, sq[NQ] = {0};
  for (size_t u = 0; u < U; u++) {
    if (!(S[u * NQ + Q_C] > 0)) continue;
    double pd = exp(-beta * r->Eu[u] - lnD[u] - wmax);
    pw[u] = pd;
    long double p = pd;
    Z += p * S[u * NQ + Q_C];
    sE += p * S[u * NQ + Q_C] * r->Eu[u];
    for (int q = 1; q < NQ; q++) sq[q] += p * S[u * NQ + q];
  }
  long double Ebar = sE / Z;
  long double mean[NQ];
  for (int q = 1; q < NQ; q++) mean[q] = sq[q] / Z;
  /* Second pass: centred moments, so the variance of E and the covariances
   * with E do not cancel against <E>^2 (E ~ N, var E ~ N). */
  long double vE = 0.0L, cov[NQ] = {0};
  for (size_t u = 0; u < U; u++) {
    if (!(S[u * NQ + Q_C] > 0)) continue;
    long double p = pw[u] / Z;
    long double d = (long double)r->Eu[u] - Ebar;
    vE += p * S[u * NQ + Q_C] * d * d;
    for (int q = 1; q < NQ; q++) cov[q] += p * S[u * NQ + q] * d;
  }
  const double N = r->n_spins;
  double m2 = (double)mean[Q_M2], m4 = (double)mean[Q_M4];
  double da = (double)mean[Q_DA];
  v[CEAS_RW_ENERGY] = ((double)Ebar + r->E0) / N;
  v[CEAS_RW_SPECIFIC_HEAT] = beta * beta * (double)vE / N;
  v[CEAS_RW_ABS_M] = r->a0 + da;
  v[CEAS_RW_M2] = m2;
  v[CEAS_RW_M4] = m4;
  v[CEAS_RW_SUSCEPTIBILITY] = beta * N * m2;
  v[CEAS_RW_SUSCEPTIBILITY_CONNECTED] = beta * N * ((double)mean[Q_DA2] - da * da);
  v[CEAS_RW_BINDER] = 1.0 - m4 / (3.0 * m2 * m2);
  /* d<O>/dbeta = -(<O E> - <O><E>) */
  double dm2 = -(double)cov[Q_M2], dm4 = -(double)cov[Q_M4];
  v[CEAS_RW_DBINDER_DBETA] = -(dm4 / (3.0 * m2 * m2) - 2.0 * m4 * dm2 / (3.0 * m2 * m2 * m2));
  if (r->has_f) {
    double F = (double)mean[Q_F], dF = -(double)cov[Q_F];
    double norm = 2.0 * sin(M_PI / (double)r->L) * (double)r->L;
    double R = N * m2 / F - 1.0;
    /* As in ceas_measure: S(0)/F - 1 can fall below 0 when xi is far below one
     * lattice spacing; xi >= 0 by definition, so the boundary value is used. */
    if (R > 0) {
      v[CEAS_RW_XI_OVER_L] = sqrt(R) / norm;
      double dR = N * (dm2 / F - m2 * dF / (F * F));
      v[CEAS_RW_DXI_OVER_L_DBETA] = dR / (2.0 * sqrt(R) * norm);
    } else {
      v[CEAS_RW_XI_OVER_L] = 0.0;
      v[CEAS_RW_DXI_OVER_L_DBETA] = 0.0;
    }
  } else {
    v[CEAS_RW_XI_OVER_L] = NAN;
    v[CEAS_RW_DXI_OVER_L_DBETA] = NAN;
  }
}

void ceas_analysis_rw_eval(const ceas_analysis_rw *rw, double beta, int sample,
                           double v[CEAS_RW_COUNT]) {
  size_t s = sample < 0 ? 0 : (size_t)sample + 1;
  if (s > rw->B) {
    for (int q = 0; q < CEAS_RW_COUNT; q++) v[q] = NAN;
    return;
  }
  eval_set(rw, beta, s, v);
}

double ceas_analysis_jackknife_error(const double *v, size_t n) {
  if (n < 2) return NAN;
  double mean = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) return NAN;
    mean += v[i];
  }
  mean /= (double)n;
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
  return sqrt((double)(n - 1) / (double)n * ss);
}

void ceas_analysis_rw_eval_error(const ceas_analysis_rw *rw, double beta,
                                 double v[CEAS_RW_COUNT],
                                 double err[CEAS_RW_COUNT]) {
  eval_set(rw, beta, 0, v);
  double jk[CEAS_RW_COUNT];
  /* One pass over the samples: running sums of each quantity. */
  double sum[CEAS_RW_COUNT] = {0}, sum2[CEAS_RW_COUNT] = {0};
  int bad[CEAS_RW_COUNT] = {0};
  for (size_t b = 0; b < rw->B; b++) {
    eval_set(rw, beta, b + 1, jk);
    for (int q = 0; q < CEAS_RW_COUNT; q++) {
      if (!isfinite(jk[q])) bad[q] = 1;
      double d = jk[q] - v[q]; /* centred on the full value: no cancellation */
      sum[q] += d;
      sum2[q] += d * d;
    }
  }
  double B = (double)rw->B;
  for (int q = 0; q < CEAS_RW_COUNT; q++) {
    double mean = sum[q] / B;
    double var = sum2[q] / B - mean * mean;
    err[q] = bad[q] || !isfinite(v[q]) ? NAN : sqrt((B - 1.0) * fmax(var, 0.0));
  }
}

/* ---- construction ------------------------------------------------------------- */

static int check_runs(const ceas_analysis_rw_run *runs, size_t k, double n_spins,
                      long L, size_t B) {
  if (!runs || k == 0)
    return ceas_error_set(CEAS_EINPUT, "reweighting: no runs");
  if (!(n_spins > 0) || !isfinite(n_spins))
    return ceas_error_set(CEAS_EINPUT, "reweighting: n_spins must be > 0, got %g", n_spins);
  if (B < 2) return ceas_error_set(CEAS_EINPUT, "reweighting: need >= 2 blocks, got %zu", B);
  int has_f = runs[0].f != NULL;
  if (has_f && L < 2)
    return ceas_error_set(CEAS_EINPUT, "reweighting: L must be >= 2 for xi, got %ld", L);
  for (size_t i = 0; i < k; i++) {
    const ceas_analysis_rw_run *r = &runs[i];
    if (!r->e || !r->m)
      return ceas_error_set(CEAS_EINPUT, "reweighting: run %zu has no series", i);
    if ((r->f != NULL) != has_f)
      return ceas_error_set(CEAS_EINPUT,
                            "reweighting: run %zu %s structure factor, run 0 %s", i,
                            r->f ? "has a" : "has no", has_f ? "has" : "has none");
    if (!isfinite(r->beta) || r->beta < 0)
      return ceas_error_set(CEAS_EINPUT, "reweighting: run %zu has beta = %g", i, r->beta);
    const size_t R = r->replicas > 1 ? r->replicas : 1;
    if (r->n % R)
      return ceas_error_set(CEAS_EINPUT,
                            "reweighting: run %zu has %zu samples, not a multiple of its "
                            "%zu replicas", i, r->n, R);
    if (r->n / R < B)
      return ceas_error_set(CEAS_EINPUT,
                            "reweighting: run %zu has %zu samples, fewer than %zu blocks",
                            i, r->n / R, B);
    if (R > 1 && !(r->tau > 0 && isfinite(r->tau)))
      return ceas_error_set(CEAS_EINPUT,
                            "reweighting: run %zu has replicas but no effective tau", i);
    for (size_t j = 0; j < r->n; j++)
      if (!isfinite(r->e[j]) || !isfinite(r->m[j]) || (has_f && !isfinite(r->f[j])))
        return ceas_error_set(CEAS_EINPUT,
                              "reweighting: run %zu sample %zu is not finite", i, j);
  }
  return CEAS_OK;
}

/* Bhattacharyya overlap sum_u sqrt(P_a(u) P_b(u)) of the reweighted energy
 * distributions at two betas: exp(-d^2/8) for Gaussians d standard deviations
 * apart. */
static double overlap(const ceas_analysis_rw *r, double ba, double bb) {
  const double *S = r->S, *lnD = r->lnD;
  double ma = -INFINITY, mb = -INFINITY;
  for (size_t u = 0; u < r->U; u++) {
    if (!(S[u * NQ + Q_C] > 0)) continue;
    ma = fmax(ma, -ba * r->Eu[u] - lnD[u] + log(S[u * NQ + Q_C]));
    mb = fmax(mb, -bb * r->Eu[u] - lnD[u] + log(S[u * NQ + Q_C]));
  }
  long double za = 0, zb = 0, ab = 0;
  for (size_t u = 0; u < r->U; u++) {
    if (!(S[u * NQ + Q_C] > 0)) continue;
    double lc = log(S[u * NQ + Q_C]);
    long double pa = expl((long double)(-ba * r->Eu[u] - lnD[u] + lc - ma));
    long double pb = expl((long double)(-bb * r->Eu[u] - lnD[u] + lc - mb));
    za += pa;
    zb += pb;
    ab += sqrtl(pa * pb);
  }
  return (double)(ab / sqrtl(za * zb));
}

int ceas_analysis_rw_create(const ceas_analysis_rw_run *runs, size_t K,
                            double n_spins, long L, size_t B,
                            ceas_analysis_rw **out) {
  *out = NULL;
  int rc = check_runs(runs, K, n_spins, L, B);
  if (rc) return rc;
  ceas_analysis_rw *r = ceas_calloc(1, sizeof *r);
  if (!r) return CEAS_ENOMEM;
  r->K = K;
  r->B = B;
  r->n_spins = n_spins;
  r->L = L;
  r->has_f = runs[0].f != NULL;
  size_t total = 0;
  for (size_t k = 0; k < K; k++) total += runs[k].n;
  double *all = ceas_malloc(total * sizeof *all);
  double *weight = ceas_malloc(K * sizeof *weight);
  double *meanE = ceas_malloc(K * sizeof *meanE);
  r->beta = ceas_malloc(K * sizeof *r->beta);
  if (!all || !weight || !meanE || !r->beta) {
    rc = CEAS_ENOMEM;
    goto fail;
  }
  /* Reference values: overall means of E and |m|. */
  long double E0 = 0, a0 = 0;
  for (size_t k = 0, i = 0; k < K; k++)
    for (size_t j = 0; j < runs[k].n; j++, i++) {
      all[i] = runs[k].e[j] * n_spins;
      E0 += all[i];
      a0 += fabs(runs[k].m[j]);
    }
  r->E0 = (double)(E0 / (long double)total);
  r->a0 = (double)(a0 / (long double)total);
  for (size_t k = 0; k < K; k++) {
    r->beta[k] = runs[k].beta;
    double tau = runs[k].tau;
    if (!(tau > 0) || !isfinite(tau)) {
      rc = ceas_measure_tau_int(runs[k].e, runs[k].n, &tau, NULL, NULL);
      if (rc) goto fail;
    }
    weight[k] = 1.0 / (2.0 * fmax(tau, 0.5));
    long double s = 0;
    for (size_t j = 0; j < runs[k].n; j++) s += runs[k].e[j] * n_spins - r->E0;
    meanE[k] = (double)(s / (long double)runs[k].n);
  }
  /* Distinct energies: values within rounding of each other are one energy. */
  qsort(all, total, sizeof *all, cmp_double);
  size_t U = 0;
  for (size_t i = 0; i < total; i++)
    if (U == 0 || all[i] - all[U - 1] > 1e-9 * (1.0 + fabs(all[i]))) all[U++] = all[i];
  r->U = U;
  r->Eu = ceas_malloc(U * sizeof *r->Eu);
  r->S = ceas_calloc((B + 1) * U * NQ, sizeof *r->S);
  r->lnA = ceas_malloc((B + 1) * K * sizeof *r->lnA);
  r->f = ceas_calloc((B + 1) * K, sizeof *r->f);
  r->lnD = ceas_malloc((B + 1) * U * sizeof *r->lnD);
  r->weights = ceas_malloc(U * sizeof *r->weights);
  double *blk = ceas_calloc(B * U * NQ, sizeof *blk);
  if (!r->Eu || !r->S || !r->lnA || !r->f || !r->lnD || !r->weights || !blk) {
    free(blk);
    rc = CEAS_ENOMEM;
    goto fail;
  }
  for (size_t u = 0; u < U; u++) r->Eu[u] = all[u] - r->E0;
  for (size_t k = 0; k < K; k++) {
    const ceas_analysis_rw_run *run = &runs[k];
    const double a = weight[k];
    const size_t R = run->replicas > 1 ? run->replicas : 1, nt = run->n / R;
    for (size_t j = 0; j < run->n; j++) {
      size_t b = j / R * B / nt;
      size_t u = find_energy(all, U, run->e[j] * n_spins);
      double *row = blk + (b * U + u) * NQ;
      double m2 = run->m[j] * run->m[j];
      double da = fabs(run->m[j]) - r->a0;
      row[Q_C] += a;
      row[Q_DA] += a * da;
      row[Q_DA2] += a * da * da;
      row[Q_M2] += a * m2;
      row[Q_M4] += a * m2 * m2;
      if (r->has_f) row[Q_F] += a * run->f[j];
    }
    /* Block b holds the times t with floor(t B / nt) = b, all replicas of each. */
    for (size_t s = 0; s <= B; s++) {
      size_t kept = run->n;
      if (s > 0) {
        size_t b = s - 1;
        size_t first = (b * nt + B - 1) / B, last = ((b + 1) * nt + B - 1) / B;
        kept -= (last - first) * R;
      }
      r->lnA[s * K + k] = log(a * (double)kept);
    }
  }
  /* Jackknife sets are summed afresh from the other blocks (not full minus
   * block) so that a group absent from a set has exactly zero weight. */
  for (size_t b = 0; b < B; b++)
    for (size_t x = 0; x < U * NQ; x++) r->S[x] += blk[b * U * NQ + x];
  for (size_t s = 1; s <= B; s++)
    for (size_t b = 0; b < B; b++) {
      if (b == s - 1) continue;
      for (size_t x = 0; x < U * NQ; x++) r->S[s * U * NQ + x] += blk[b * U * NQ + x];
    }
  free(blk);

  initial_guess(r, meanE, r->f);
  rc = solve_set(r, 0, r->f);
  for (size_t s = 1; !rc && s <= B; s++) rc = solve_set(r, s, r->f);
  if (rc) goto fail;

  /* Range: the simulated betas widened by 1/sigma_E of the outermost runs. A
   * shift of beta by d moves the energy histogram by about sigma_E^2 d, i.e. by
   * one standard deviation at d = 1/sigma_E: the reweighted ensemble is then
   * still sampled by the bulk of the measured histogram. */
  r->beta_min = r->beta_max = r->beta[0];
  for (size_t k = 1; k < K; k++) {
    r->beta_min = fmin(r->beta_min, r->beta[k]);
    r->beta_max = fmax(r->beta_max, r->beta[k]);
  }
  for (int side = 0; side < 2; side++) {
    double bt = side ? r->beta_max : r->beta_min;
    long double s1 = 0, s2 = 0;
    size_t cnt = 0;
    for (size_t k = 0; k < K; k++) {
      if (r->beta[k] != bt) continue;
      for (size_t j = 0; j < runs[k].n; j++) {
        double d = runs[k].e[j] * n_spins - r->E0 - meanE[k];
        s1 += d;
        s2 += d * d;
        cnt++;
      }
    }
    double var = (double)(s2 / cnt - (s1 / cnt) * (s1 / cnt));
    double margin = var > 0 ? 1.0 / sqrt(var) : 0.0;
    if (side)
      r->hi = r->beta_max + margin;
    else
      r->lo = fmax(0.0, r->beta_min - margin);
  }
  /* Neighbouring distinct betas. */
  r->min_overlap = 1.0;
  double *bs = weight; /* reuse: K doubles */
  memcpy(bs, r->beta, K * sizeof *bs);
  qsort(bs, K, sizeof *bs, cmp_double);
  for (size_t k = 1; k < K; k++)
    if (bs[k] > bs[k - 1]) r->min_overlap = fmin(r->min_overlap, overlap(r, bs[k - 1], bs[k]));
  free(all);
  free(weight);
  free(meanE);
  *out = r;
  return CEAS_OK;
fail:
  free(all);
  free(weight);
  free(meanE);
  ceas_analysis_rw_free(r);
  return rc;
}

void ceas_analysis_rw_get_info(const ceas_analysis_rw *rw,
                               ceas_analysis_rw_info *info) {
  info->n_runs = rw->K;
  info->n_blocks = rw->B;
  info->n_energies = rw->U;
  info->beta_min = rw->beta_min;
  info->beta_max = rw->beta_max;
  info->lo = rw->lo;
  info->hi = rw->hi;
  info->min_overlap = rw->min_overlap;
  info->n_spins = rw->n_spins;
  info->L = rw->L;
}

double ceas_analysis_rw_free_energy(const ceas_analysis_rw *rw, size_t k) {
  if (k >= rw->K) return NAN;
  /* f_k = -ln Z'(beta_k) with Z' the partition function of E - E0, so
   * ln Z(beta_k) = -f_k - beta_k E0. */
  return (-rw->f[k] - rw->beta[k] * rw->E0) - (-rw->f[0] - rw->beta[0] * rw->E0);
}

static double rw_curve_fn(double beta, int sample, int which, void *ctx) {
  double v[CEAS_RW_COUNT];
  ceas_analysis_rw_eval(ctx, beta, sample, v);
  return which >= 0 && which < CEAS_RW_COUNT ? v[which] : NAN;
}

void ceas_analysis_rw_curve(const ceas_analysis_rw *rw, int q, int dq,
                            ceas_analysis_curve *c) {
  c->fn = rw_curve_fn;
  c->ctx = (void *)rw;
  c->which_value = q;
  c->which_slope = dq;
  c->lo = rw->lo;
  c->hi = rw->hi;
  c->L = (double)rw->L;
  c->n_blocks = rw->B;
  c->sampled_lo = rw->beta_min;
  c->sampled_hi = rw->beta_max;
}
