/* Attention as a Gibbs system: the softmax thermodynamics against closed forms
 * and exact identities (shared/REFERENCES.md: Gibbs identities, random energy
 * model), the CEAS Newton controller's contract (shared/CEAS.md), and the
 * synthetic heads' reproducibility. Every tolerance is derived in place. */
#include <criterion/criterion.h>
#include <float.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "ceas_core.h"
#include "mc_support.h"
#include "scan_kernels.h"

#define EPS DBL_EPSILON

/* Rounding of one evaluation. u_j = beta s_j - max is formed with absolute error
 * <= 2 eps L, L = |beta| max|s| + 1, so every weight and every p_j carries a
 * relative error <= ~4 eps L; H = sum p_j (-ln p_j) and Var = sum p_j (s_j - m)^2
 * inherit it times (H + 1) and max (s - m)^2 <= range^2. 16 = 4 for the bound
 * times a safety factor 4 for the long double sums and the reference's own
 * rounding. */
static double maxabs(const double *s, size_t n) {
  double m = 0;
  for (size_t j = 0; j < n; j++) m = fmax(m, fabs(s[j]));
  return m;
}
static double tol_H(const double *s, size_t n, double beta, double H) {
  return 16 * EPS * (fabs(beta) * maxabs(s, n) + 1) * (H + 1);
}
static double tol_V(const double *s, size_t n, double beta) {
  double r = 2 * maxabs(s, n);
  return 16 * EPS * (fabs(beta) * maxabs(s, n) + 1) * r * r;
}

static ceas_attention_gibbs eval(const double *s, size_t n, double beta) {
  ceas_attention_gibbs g;
  cr_assert_eq(ceas_attention_gibbs_eval(s, n, beta, &g, NULL), 0, "%s", ceas_error_message());
  return g;
}

/* m tokens at score a, n - m at b, Delta = a - b, x = beta Delta: the weight of
 * the a-group is P = 1 / (1 + ((n-m)/m) e^{-x}); H = P ln(m/P) + (1-P) ln((n-m)/(1-P)),
 * <s> = P a + (1-P) b, Var = P (1-P) Delta^2, C = beta^2 Var. */
Test(attention, two_level_closed_form) {
  const size_t n = 10, m = 3;
  const double a = 2, b = -1, D = a - b;
  double s[10];
  for (size_t j = 0; j < n; j++) s[j] = j < m ? a : b;
  const double betas[] = {-2, 0, 0.1, 1, 3, 10, 400};
  for (size_t t = 0; t < sizeof betas / sizeof betas[0]; t++) {
    double beta = betas[t];
    double r = (double)(n - m) / m * exp(-beta * D);
    double P = 1 / (1 + r), Q = r / (1 + r);
    double H = P * log(m / P) + (Q > 0 ? Q * log((n - m) / Q) : 0);
    double V = P * Q * D * D;
    ceas_attention_gibbs g = eval(s, n, beta);
    cr_expect(fabs(g.H - H) <= tol_H(s, n, beta, H), "beta %g: H %.17g vs %.17g", beta, g.H, H);
    cr_expect(fabs(g.var - V) <= tol_V(s, n, beta), "beta %g: Var %.17g vs %.17g", beta, g.var, V);
    cr_expect(fabs(g.heat - beta * beta * V) <= beta * beta * tol_V(s, n, beta),
              "beta %g: C %.17g vs %.17g", beta, g.heat, beta * beta * V);
    cr_expect(fabs(g.mean - (P * a + Q * b)) <= 16 * EPS * (fabs(beta) * a + 1) * D,
              "beta %g: mean %.17g", beta, g.mean);
    cr_expect(fabs(g.n_eff - exp(g.H)) <= 2 * EPS * exp(g.H));
  }
  /* beta Delta = 1200: e^{1200} overflows a double, log-sum-exp must not. */
  ceas_attention_gibbs g = eval(s, n, 400);
  cr_expect(fabs(g.H - log(3.0)) <= tol_H(s, n, 400, log(3.0)));
  /* sigma_qk: population std of (3 x 2, 7 x -1) = 3 sqrt(0.3 * 0.7). */
  cr_expect(fabs(g.sigma - D * sqrt(0.3 * 0.7)) <= 8 * EPS * D);
}

/* Equal scores: p uniform at every beta, H = ln n, Var = 0 up to the error of the
 * mean, which a sum of n equal terms bounds by n eps |c|. */
Test(attention, uniform_scores) {
  const size_t n = 1000;
  double s[1000];
  const double c = 0.7;
  for (size_t j = 0; j < n; j++) s[j] = c;
  const double betas[] = {-5, 0, 1, 1e3};
  for (size_t t = 0; t < 4; t++) {
    ceas_attention_gibbs g = eval(s, n, betas[t]);
    cr_expect(fabs(g.H - log((double)n)) <= 2 * EPS * log((double)n), "H %.17g", g.H);
    cr_expect(g.var <= pow(n * EPS * c, 2), "Var %g", g.var);
    cr_expect_eq(g.sigma, 0);
    cr_expect(isinf(g.beta_star) && isinf(g.beta_rem));
  }
  double b;
  cr_expect_eq(ceas_attention_beta_star_fixed(s, n, &b), CEAS_EINPUT);
}

static void gaussian_query(size_t n, size_t d_k, uint64_t seed, double *s) {
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = n, .d_k = d_k, .seed = seed};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  ceas_attention_head_scores(h, 0, s);
  ceas_attention_head_free(h);
}

/* Cumulants kappa_2..4 of the scores under p(beta), for the truncation bounds
 * only (long double, straightforward). */
static void cumulants(const double *s, size_t n, double beta, double k[5]) {
  double mx = -INFINITY;
  for (size_t j = 0; j < n; j++) mx = fmax(mx, beta * s[j]);
  long double z = 0, m1 = 0;
  for (size_t j = 0; j < n; j++) {
    long double w = expl(beta * s[j] - mx);
    z += w;
    m1 += w * s[j];
  }
  m1 /= z;
  long double c2 = 0, c3 = 0, c4 = 0;
  for (size_t j = 0; j < n; j++) {
    long double w = expl(beta * s[j] - mx) / z, d = s[j] - m1;
    c2 += w * d * d;
    c3 += w * d * d * d;
    c4 += w * d * d * d * d;
  }
  k[2] = (double)c2;
  k[3] = (double)c3;
  k[4] = (double)(c4 - 3 * c2 * c2);
}

/* dH/dbeta = -beta Var and d<s>/dbeta = Var against central differences.
 * (f(b+h) - f(b-h))/(2h) = f'(b) + h^2/6 f'''(xi); with dkappa_k/dbeta = kappa_{k+1}:
 * H''' = -2 kappa_3 - beta kappa_4 and <s>''' = kappa_4. The cumulants are taken
 * at b-h, b, b+h and their maximum doubled for the variation inside the interval.
 * Rounding: each f carries delta (tol_H / the mean's 16 eps L max|s|), giving
 * delta/h, plus the rounding of Var itself. */
Test(attention, derivative_identities) {
  const size_t n = 64;
  double s[64];
  gaussian_query(n, 16, 3, s);
  const double h = 2e-5;
  const double betas[] = {0.05, 0.25, 0.6, 1.5};
  for (size_t t = 0; t < 4; t++) {
    double b = betas[t];
    ceas_attention_gibbs gp = eval(s, n, b + h), gm = eval(s, n, b - h), g = eval(s, n, b);
    double h3 = 0, s3 = 0;
    for (int e = -1; e <= 1; e++) {
      double k[5];
      cumulants(s, n, b + e * h, k);
      h3 = fmax(h3, fabs(2 * k[3]) + fabs((b + h) * k[4]));
      s3 = fmax(s3, fabs(k[4]));
    }
    double L = (b + h) * maxabs(s, n) + 1;
    double dH = (gp.H - gm.H) / (2 * h);
    double tolH = h * h / 6 * 2 * h3 + tol_H(s, n, b + h, g.H + 1) / h + b * tol_V(s, n, b);
    cr_expect(fabs(dH + b * g.var) <= tolH, "beta %g: dH/dbeta %.12g vs -beta Var %.12g (tol %g)",
              b, dH, -b * g.var, tolH);
    double dm = (gp.mean - gm.mean) / (2 * h);
    double tolm = h * h / 6 * 2 * s3 + 16 * EPS * L * maxabs(s, n) / h + tol_V(s, n, b);
    cr_expect(fabs(dm - g.var) <= tolm, "beta %g: d<s>/dbeta %.12g vs Var %.12g (tol %g)", b, dm,
              g.var, tolm);
  }
}

/* Random energy model (Derrida 1981): n i.i.d. N(0,1) scores, S(beta) = ln n -
 * beta^2/2 for beta < beta_c = sqrt(2 ln n) (= 4.71 at n = 2^16). At finite n,
 * H = ln D - beta N/D with D = mean e^{beta s}, N = mean s e^{beta s};
 * E D = e^{beta^2/2}, E N = beta e^{beta^2/2}, Var(e^{beta s}) = e^{2 beta^2} -
 * e^{beta^2}, E[s^2 e^{2 beta s}] = (1 + 4 beta^2) e^{2 beta^2}. Linearising,
 *   sd(ln D) = sqrt((e^{beta^2} - 1)/n),
 *   sd(N/D) <= sqrt((1 + 4 beta^2) e^{beta^2}/n) + beta sd(ln D),
 * so sd(H) <= (1 + beta^2) sd(ln D) + beta sqrt((1 + 4 beta^2) e^{beta^2}/n); the
 * bias E ln D - ln E D = -(e^{beta^2} - 1)/(2n) is added. The linearisation needs
 * Var(D) finite and small, i.e. beta well below sqrt(ln n) = 3.3; we stay at
 * beta <= 1.5 and allow 5 sd (one fixed seed: a Gaussian 5-sd excursion has
 * probability 6e-7). */
Test(attention, rem_entropy) {
  const size_t n = (size_t)1 << 16;
  double *s = malloc(n * sizeof *s);
  cr_assert(s);
  ceas_rng_key key = {2024, 99};
  ceas_attention_normal_fill(key, 5, 0, s, n);
  const double betas[] = {0.25, 0.5, 1.0, 1.5};
  for (size_t t = 0; t < 4; t++) {
    double b = betas[t];
    ceas_attention_gibbs g = eval(s, n, b);
    double sdD = sqrt(expm1(b * b) / n);
    double sd = (1 + b * b) * sdD + b * sqrt((1 + 4 * b * b) * exp(b * b) / n);
    double tol = 5 * sd + expm1(b * b) / (2 * n);
    double S = log((double)n) - b * b / 2;
    cr_expect(fabs(g.H - S) <= tol, "beta %g: H %.6f vs REM %.6f (tol %.4f)", b, g.H, S, tol);
  }
  /* Sample sd of n N(0,1): sd(sigma) = 1/sqrt(2n); 5 sd. */
  ceas_attention_gibbs g = eval(s, n, 1);
  cr_expect(fabs(g.sigma - 1) <= 5 / sqrt(2.0 * n), "sigma %g", g.sigma);
  cr_expect(fabs(g.beta_rem - sqrt(2 * log((double)n)) / g.sigma) <= 4 * EPS * g.beta_rem);
  free(s);
}

/* beta* and the gating score are the CEAS definitions; the fixed point solves
 * beta sigma = sqrt(2 H(beta)) to the bisection's 1e-13 relative width, which
 * moves f = beta sigma - sqrt(2H) by at most 1e-13 beta (sigma + |dsqrt(2H)/dbeta|)
 * with |d sqrt(2H)/dbeta| = beta Var / sqrt(2H). */
Test(attention, beta_star_and_gate) {
  const size_t n = 256;
  double s[256];
  gaussian_query(n, 32, 8, s);
  ceas_attention_gibbs g = eval(s, n, 0.3);
  cr_expect(fabs(g.beta_star - sqrt(2 * g.H) / g.sigma) <= 4 * EPS * g.beta_star);
  cr_expect(fabs(g.gate - 0.3 * g.sigma * sqrt(2 * g.H)) <= 4 * EPS * g.gate);
  double b;
  cr_assert_eq(ceas_attention_beta_star_fixed(s, n, &b), 0);
  ceas_attention_gibbs f = eval(s, n, b);
  double slope = f.sigma + b * f.var / sqrt(2 * f.H);
  cr_expect(fabs(b * f.sigma - sqrt(2 * f.H)) <= 2e-13 * b * slope + tol_H(s, n, b, f.H),
            "fixed point %g: %g vs %g", b, b * f.sigma, sqrt(2 * f.H));
  cr_expect(fabs(f.beta_star - b) <= 2e-13 * b * slope / f.sigma + 1e-12 * b);
}

/* Two levels with m = n/2: C(x) = x^2 e^x / (1 + e^x)^2, x = beta Delta, peaks
 * where x tanh(x/2) = 2. The grid argmax of a unimodal curve is within one
 * spacing of the peak and the parabolic vertex stays in the bracketing interval,
 * so the tolerance is the spacing h. */
Test(attention, heat_peak_two_level) {
  double s[2] = {1, 0};
  double lo = 1, hi = 4;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (mid * tanh(mid / 2) < 2) lo = mid;
    else hi = mid;
  }
  const size_t nb = 100;
  double x[100], y[100], h = 0.05;
  for (size_t i = 0; i < nb; i++) {
    x[i] = 0.1 + h * i;
    y[i] = eval(s, 2, x[i]).heat;
  }
  double pk = ceas_attention_grid_peak(x, y, nb);
  cr_expect(fabs(pk - lo) <= h, "peak %g vs %g", pk, lo);
}

/* The scan's head averages are the means of the per-query evaluations. */
Test(attention, scan_head) {
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = 32, .d_k = 8, .seed = 4};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  double beta[40];
  for (int i = 0; i < 40; i++) beta[i] = 0.025 * (i + 1);
  ceas_attention_scan *sc;
  cr_assert_eq(ceas_attention_scan_alloc(h, beta, 40, &sc), 0, "%s", ceas_error_message());
  double s[32];
  for (int b = 0; b < 40; b += 13) {
    long double H = 0, C = 0;
    for (size_t i = 0; i < 32; i++) {
      ceas_attention_head_scores(h, i, s);
      ceas_attention_gibbs g = eval(s, 32, beta[b]);
      H += g.H;
      C += g.heat;
    }
    /* Same numbers summed in the same order: equal up to the final rounding. */
    cr_expect(fabs(sc->H_mean[b] - (double)(H / 32)) <= 2 * EPS * sc->H_mean[b]);
    cr_expect(fabs(sc->heat_mean[b] - (double)(C / 32)) <= 2 * EPS * sc->heat_mean[b]);
    if (b > 0) cr_expect(sc->H_mean[b] < sc->H_mean[b - 1], "H must fall with beta");
  }
  cr_expect(sc->peak_of_mean >= beta[0] && sc->peak_of_mean <= beta[39]);
  for (size_t i = 0; i < 32; i++)
    cr_expect(sc->peak_beta[i] >= beta[0] && sc->peak_beta[i] <= beta[39]);
  cr_expect(sc->peak_err > 0 && sc->H_err[0] > 0);
  double bad[3] = {0.1, 0.1, 0.2};
  ceas_attention_scan *no;
  cr_expect_eq(ceas_attention_scan_alloc(h, bad, 3, &no), CEAS_EINPUT);
  ceas_attention_scan_free(sc);
  ceas_attention_head_free(h);
}

/* The scan's fast path (gibbs.c: weights advanced by e^{h d_j} along a uniform
 * grid, one compensated pass) against a straightforward long-double evaluation
 * of each query. The reference shifts by the extreme score the weights peak at
 * (s_max for beta > 0, s_min for beta < 0), so its exponents beta (s_j - s_ext)
 * carry an error ~1e-19 |beta d_j|, far below the bound tested, and ln Z' is
 * taken as log1p of the weight off the extreme tokens (ln of 1 + 1e-68 is 0 in
 * any precision; a condensed query's H is that 1e-68 times 1 + beta gap). Bound: every
 * weight that is not 0 in both (beta |d_j| <= 745) is within 32 eps (1 + 745) of
 * e^{beta d_j} (16 recurrence steps at ~2 ulp each between exact anchors, and the
 * exponent's own rounding); H, <s>, Var and beta^2 Var are ratios of sums of
 * such weights times positive factors, so they inherit twice that, and Var up to
 * 16 times more through the one-pass subtraction the scan accepts only below
 * that factor. gate and beta* go as sqrt(H): half of H's. */
static void ref_query(const double *s, size_t n, double beta, long double *H, long double *var,
                      long double *sigma) {
  double ext = s[0];
  for (size_t j = 1; j < n; j++) ext = beta >= 0 ? fmax(ext, s[j]) : fmin(ext, s[j]);
  long double z = 0, z1 = 0, n_ext = 0, pu = 0, ms = 0, v = 0, m0 = 0, v0 = 0;
  for (size_t j = 0; j < n; j++) {
    long double u = (long double)beta * ((long double)s[j] - ext), w = expl(u);
    z += w;
    if (s[j] == ext) n_ext++;
    else z1 += w;
    pu += w * u;
    ms += w * ((long double)s[j] - ext);
    m0 += s[j];
  }
  long double m = ms / z;
  m0 /= n;
  for (size_t j = 0; j < n; j++) {
    long double d = (long double)s[j] - ext;
    v += expl((long double)beta * d) * (d - m) * (d - m);
    v0 += (s[j] - m0) * (s[j] - m0);
  }
  *H = log1pl((n_ext - 1) + z1) - pu / z;
  *var = v / z;
  *sigma = sqrtl(v0 / n);
}

static void check_scan_vs_ref(const ceas_attention_head *h, const double *beta, size_t nb,
                              const char *what) {
  const double tol = 64 * EPS * 746;
  ceas_attention_scan *sc;
  cr_assert_eq(ceas_attention_scan_alloc(h, beta, nb, &sc), 0, "%s", ceas_error_message());
  const size_t n = h->n;
  double *s = malloc(n * sizeof *s), *heat = malloc(nb * sizeof *heat);
  long double *acc = calloc(5 * nb, sizeof *acc);
  cr_assert(s && heat && acc);
  for (size_t i = 0; i < n; i++) {
    ceas_attention_head_scores(h, i, s);
    for (size_t b = 0; b < nb; b++) {
      long double H, V, sg;
      ref_query(s, n, beta[b], &H, &V, &sg);
      long double bt = beta[b];
      acc[5 * b] += H;
      acc[5 * b + 1] += V;
      acc[5 * b + 2] += heat[b] = (double)(bt * bt * V);
      acc[5 * b + 3] += bt * sg * sqrtl(2 * H);
      acc[5 * b + 4] += sqrtl(2 * H) / sg;
    }
    double pk = ceas_attention_grid_peak(beta, heat, nb);
    /* A relative change e of the heat values moves the parabola's vertex by
     * ~e y / (|y''| h) grid spacings: far below a millionth of one here. */
    size_t k = 0;
    while (k + 1 < nb && beta[k + 1] < pk) k++;
    double h_loc = beta[k + 1 < nb ? k + 1 : k] - beta[k > 0 && k + 1 >= nb ? k - 1 : k];
    cr_expect(fabs(sc->peak_beta[i] - pk) <= 1e-6 * fabs(h_loc) + 4 * EPS * fabs(pk),
              "%s: query %zu peak %.17g vs %.17g", what, i, sc->peak_beta[i], pk);
  }
  const double *got[5] = {sc->H_mean, sc->var_mean, sc->heat_mean, sc->gate_mean,
                          sc->beta_star_mean};
  const double f[5] = {2, 32, 32, 1, 1}; /* H, Var (x16 subtraction), heat, gate, beta* */
  const char *name[5] = {"H", "Var", "heat", "gate", "beta*"};
  for (size_t b = 0; b < nb; b++)
    for (int q = 0; q < 5; q++) {
      double r = (double)(acc[5 * b + q] / n);
      cr_expect(fabs(got[q][b] - r) <= f[q] * tol * fabs(r) + 1e-300,
                "%s: beta %g %s %.17g vs reference %.17g", what, beta[b], name[q], got[q][b], r);
    }
  free(s);
  free(heat);
  free(acc);
  ceas_attention_scan_free(sc);
}

/* Synthetic heads on a grid through beta < 0, 0 and far past the heat peak
 * (beta max|d| ~ 1e3, where most weights underflow), uniform and geometric
 * (every point then goes through the exact anchor), and a condensed head: two
 * keys 1e-9 apart on top, the rest >= 1 below, at beta up to 4e9 where the pair
 * shares the weight (Var ~ 1e-19 q^2, heat O(1)) and the others are exactly 0. */
Test(attention, scan_fast_path_vs_long_double) {
  double uni[121], geo[40];
  for (int b = 0; b < 121; b++) uni[b] = -1 + 31.0 * b / 120;
  geo[0] = -1;
  geo[1] = 0;
  for (int b = 2; b < 40; b++) geo[b] = 1e-3 * pow(1.5, b);
  const ceas_attention_kind kinds[3] = {CEAS_ATTENTION_GAUSSIAN, CEAS_ATTENTION_CLUSTERED,
                                        CEAS_ATTENTION_LOWRANK};
  for (int t = 0; t < 3; t++) {
    ceas_attention_spec sp = {.kind = kinds[t], .n = 24, .d_k = 8, .seed = 11, .clusters = 3,
                              .spread = 0.3, .rank = 2};
    ceas_attention_head *h;
    cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0, "%s", ceas_error_message());
    check_scan_vs_ref(h, uni, 121, "synthetic, uniform grid");
    check_scan_vs_ref(h, geo, 40, "synthetic, geometric grid");
    ceas_attention_head_free(h);
  }
  double q[16], k[16], big[101];
  for (int j = 0; j < 16; j++) {
    q[j] = 1 + 0.05 * j;
    k[j] = j == 0 ? 3 : j == 1 ? 3 - 1e-9 : -2 + 4.0 * j / 16;
  }
  for (int b = 0; b < 101; b++) big[b] = -2 + (4e9 + 2) * b / 100;
  ceas_attention_head cond = {.n = 16, .d_k = 1, .q = q, .k = k};
  check_scan_vs_ref(&cond, big, 101, "condensed pair");
}

/* The scan kernels are one C text per instruction set, built without FP
 * contraction (scan_kernels.h): every set this CPU runs must give the scan and
 * beta*'s fixed point of the baseline set to the last bit. n = 300 is not a
 * multiple of the kernels' block, so the padding is exercised too. */
Test(attention, scan_kernels_bitwise_across_isas) {
  double grid[121];
  for (int b = 0; b < 121; b++) grid[b] = -1 + 31.0 * b / 120;
  const ceas_att_kernels *sets[] = {&ceas_att_kernels_avx2, &ceas_att_kernels_avx512};
  const ceas_attention_kind kinds[2] = {CEAS_ATTENTION_GAUSSIAN, CEAS_ATTENTION_CLUSTERED};
  size_t compared = 0;
  for (int t = 0; t < 2; t++) {
    ceas_attention_spec sp = {.kind = kinds[t], .n = 300, .d_k = 16, .seed = 5, .clusters = 3,
                              .spread = 0.3};
    ceas_attention_head *h;
    cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0, "%s", ceas_error_message());
    double s[300], bref[4], b;
    ceas_attention_scan *ref, *sc;
    cr_assert_eq(ceas_att_kernels_force(&ceas_att_kernels_generic), 0);
    cr_assert_eq(ceas_attention_scan_alloc(h, grid, 121, &ref), 0);
    for (size_t i = 0; i < 4; i++) {
      ceas_attention_head_scores(h, 37 * i, s);
      cr_assert_eq(ceas_attention_beta_star_fixed(s, 300, &bref[i]), 0);
    }
    for (int k = 0; k < 2; k++) {
      if (ceas_att_kernels_force(sets[k])) continue; /* this CPU lacks it */
      cr_assert_eq(ceas_attention_scan_alloc(h, grid, 121, &sc), 0);
      cr_expect(memcmp(sc->beta, ref->beta, 11 * 121 * sizeof(double)) == 0,
                "%s: scan columns differ from generic", sets[k]->name);
      cr_expect(memcmp(sc->peak_beta, ref->peak_beta, 300 * sizeof(double)) == 0,
                "%s: per-query peaks differ from generic", sets[k]->name);
      for (size_t i = 0; i < 4; i++) {
        ceas_attention_head_scores(h, 37 * i, s);
        cr_assert_eq(ceas_attention_beta_star_fixed(s, 300, &b), 0);
        cr_expect(memcmp(&b, &bref[i], sizeof b) == 0, "%s: beta* %.17g vs generic %.17g",
                  sets[k]->name, b, bref[i]);
      }
      ceas_attention_scan_free(sc);
      compared++;
    }
    cr_assert_eq(ceas_att_kernels_force(NULL), 0);
    ceas_attention_scan_free(ref);
    ceas_attention_head_free(h);
  }
  cr_log_info("kernel sets compared with generic: %zu", compared / 2);
}

/* ---- controller ----------------------------------------------------------- */

/* beta(t+1) = beta(t) + step is one rounding: |Delta beta| as recomputed is within
 * eps max(beta) of the step. */
static void expect_steps_bounded(const ceas_attention_traj *t, double dmax) {
  for (size_t s = 0; s < t->steps; s++) {
    double d = fabs(t->beta[s + 1] - t->beta[s]);
    cr_expect(d <= dmax + 2 * EPS * fmax(t->beta[s], t->beta[s + 1]), "step %zu: |dbeta| = %.17g",
              s, d);
  }
}

Test(attention, controller_converges_all_presets) {
  const size_t n = 128, d_k = 16;
  double *sc = mc_head_scores(n, d_k, 11);
  const char *names[] = {"9k", "14m", "gpt"};
  for (int k = 0; k < 3; k++) {
    ceas_attention_ctrl_params p;
    cr_assert_eq(ceas_attention_ctrl_defaults(names[k], &p), 0);
    ceas_attention_traj *t;
    cr_assert_eq(ceas_attention_ctrl_run(sc, n, n, d_k, &p, &t), 0, "%s", ceas_error_message());
    cr_expect_eq(t->beta[0], 1 / sqrt((double)d_k), "starts at 1/sqrt(d_k)");
    cr_expect(t->corridor_step >= 0, "%s: never settled in the corridor", names[k]);
    cr_expect(fabs(t->H[t->steps] - t->H_target) <= p.tol, "%s: H %g target %g", names[k],
              t->H[t->steps], t->H_target);
    expect_steps_bounded(t, p.dbeta_max);
    size_t clipped = 0;
    for (size_t s = 0; s < t->steps; s++) clipped += t->clipped[s];
    cr_log_info("%s: H_target %.4f, beta_end %.5f, corridor from step %ld, %zu clipped steps",
                names[k], t->H_target, t->beta[t->steps], t->corridor_step, clipped);
    /* H(beta) is smooth and strictly decreasing here, so a settled Newton iteration
     * with kappa -> kappa_inf = 1 is at the root to rounding: the last two betas
     * agree to a few ulps of the step's arithmetic. */
    cr_expect(fabs(t->beta[t->steps] - t->beta[t->steps - 1]) <= 1e-12 * t->beta[t->steps]);
    ceas_attention_traj_free(t);
  }
  free(sc);
}

/* Margin: beta_c placed so that the controller's own fixed point lies inside the
 * forbidden band (beta_c (1-u), beta_c (1+u)): beta must never be inside it, must
 * end on an edge, and the step bound must still hold. */
Test(attention, controller_margin) {
  const size_t n = 128, d_k = 16;
  double *sc = mc_head_scores(n, d_k, 11);
  ceas_attention_ctrl_params p;
  cr_assert_eq(ceas_attention_ctrl_defaults("9k", &p), 0);
  ceas_attention_traj *t;
  cr_assert_eq(ceas_attention_ctrl_run(sc, n, n, d_k, &p, &t), 0);
  double bf = t->beta[t->steps];
  ceas_attention_traj_free(t);
  const double places[] = {bf / (1 - p.u_min / 2), bf / (1 + p.u_min / 3),
                           1 / sqrt((double)d_k)}; /* the last puts beta0 inside */
  for (int k = 0; k < 3; k++) {
    p.beta_c = places[k];
    cr_assert_eq(ceas_attention_ctrl_run(sc, n, n, d_k, &p, &t), 0);
    double lo = p.beta_c * (1 - p.u_min), hi = p.beta_c * (1 + p.u_min);
    size_t active = 0;
    for (size_t s = 0; s <= t->steps; s++) {
      cr_expect(!(t->beta[s] > lo && t->beta[s] < hi), "case %d step %zu: beta %.17g in band", k,
                s, t->beta[s]);
      active += t->margin[s];
    }
    if (k < 2) {
      cr_expect(active > 0);
      cr_expect(t->beta[t->steps] == lo || t->beta[t->steps] == hi, "case %d: ends at %.17g", k,
                t->beta[t->steps]);
    } else {
      cr_expect(t->margin[0], "beta0 inside the band must be moved to an edge");
    }
    expect_steps_bounded(t, p.dbeta_max);
    ceas_attention_traj_free(t);
  }
  free(sc);
}

Test(attention, controller_input_errors) {
  double sc[4] = {0, 1, 0, 1};
  ceas_attention_ctrl_params p;
  cr_expect_eq(ceas_attention_ctrl_defaults("7b", &p), CEAS_EINPUT);
  cr_assert_eq(ceas_attention_ctrl_defaults("gpt", &p), 0);
  ceas_attention_traj *t;
  /* n = 2: H <= ln 2 = 0.69 < 1.1, so the target would be negative. */
  cr_expect_eq(ceas_attention_ctrl_run(sc, 2, 2, 4, &p, &t), CEAS_EINPUT);
  cr_expect_null(t);
  p.dbeta_max = 0;
  cr_expect_eq(ceas_attention_ctrl_run(sc, 2, 2, 4, &p, &t), CEAS_EINPUT);
}

/* ---- synthetic heads -------------------------------------------------------- */

static ceas_attention_head *make(ceas_attention_kind k, uint64_t seed) {
  ceas_attention_spec sp = {.kind = k, .n = 32, .d_k = 16, .seed = seed, .clusters = 4,
                            .spread = 0.3, .rank = 3};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0, "%s", ceas_error_message());
  return h;
}

Test(attention, heads_reproducible) {
  for (int k = 0; k < 3; k++) {
    ceas_attention_head *a = make(k, 5), *b = make(k, 5), *c = make(k, 6);
    size_t bytes = 32 * 16 * sizeof(double);
    cr_expect_eq(memcmp(a->q, b->q, bytes), 0, "kind %d: same seed, different Q", k);
    cr_expect_eq(memcmp(a->k, b->k, bytes), 0, "kind %d: same seed, different K", k);
    cr_expect_neq(memcmp(a->q, c->q, bytes), 0, "kind %d: seeds 5 and 6 give the same Q", k);
    cr_expect_neq(memcmp(a->k, c->k, bytes), 0, "kind %d: seeds 5 and 6 give the same K", k);
    ceas_attention_head_free(a);
    ceas_attention_head_free(b);
    ceas_attention_head_free(c);
  }
}

/* N = n d_k i.i.d. N(0,1): sample mean has sd 1/sqrt(N), sample variance
 * sd sqrt(2/N); 5 sd each. */
Test(attention, gaussian_head_moments) {
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = 512, .d_k = 64, .seed = 1};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  double N = 512.0 * 64;
  const double *m[2] = {h->q, h->k};
  for (int w = 0; w < 2; w++) {
    double s = 0, s2 = 0;
    for (size_t i = 0; i < (size_t)N; i++) s += m[w][i];
    s /= N;
    for (size_t i = 0; i < (size_t)N; i++) s2 += (m[w][i] - s) * (m[w][i] - s);
    s2 /= N;
    cr_expect(fabs(s) <= 5 / sqrt(N), "mean %g", s);
    cr_expect(fabs(s2 - 1) <= 5 * sqrt(2 / N), "var %g", s2);
  }
  ceas_attention_head_free(h);
}

/* spread 0: keys of one cluster coincide exactly (assignment j mod c). */
Test(attention, clustered_head) {
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_CLUSTERED, .n = 12, .d_k = 5, .seed = 2,
                            .clusters = 3, .spread = 0};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  for (size_t j = 3; j < 12; j++)
    cr_expect_eq(memcmp(h->k + j * 5, h->k + (j % 3) * 5, 5 * sizeof(double)), 0);
  cr_expect_neq(memcmp(h->k, h->k + 5, 5 * sizeof(double)), 0);
  ceas_attention_head_free(h);
}

/* Low rank: Q = A B / sqrt(r) has rank r up to rounding. Each entry is a sum of r
 * products with |a|, |b| <= sqrt(-2 ln 2^-53) = 8.58 (the largest Box–Muller
 * radius), so |E_ij| <= (r + 1) eps r 8.58^2 / sqrt(r) and the trailing singular
 * values are <= ||E||_F <= sqrt(n d) max |E_ij|. The r-th singular value of a
 * Gaussian 32 x 16 product is O(sqrt(n d / r)) ~ 10, far above. */
Test(attention, lowrank_head_rank) {
  const size_t n = 32, d = 16, r = 3;
  ceas_attention_head *h = make(CEAS_ATTENTION_LOWRANK, 9);
  gsl_matrix *A = gsl_matrix_alloc(n, d), *V = gsl_matrix_alloc(d, d);
  gsl_vector *S = gsl_vector_alloc(d), *w = gsl_vector_alloc(d);
  for (size_t i = 0; i < n; i++)
    for (size_t c = 0; c < d; c++) gsl_matrix_set(A, i, c, h->q[i * d + c]);
  gsl_linalg_SV_decomp(A, V, S, w);
  double bound = sqrt((double)(n * d)) * (r + 1) * EPS * r * 8.58 * 8.58 / sqrt((double)r);
  /* plus the SVD's own backward error, ~ eps ||Q||_2 times a modest multiple */
  bound += 64 * EPS * gsl_vector_get(S, 0);
  cr_expect(gsl_vector_get(S, r - 1) > 1, "sigma_r %g", gsl_vector_get(S, r - 1));
  for (size_t l = r; l < d; l++)
    cr_expect(gsl_vector_get(S, l) <= bound, "sigma_%zu = %g > %g", l, gsl_vector_get(S, l), bound);
  gsl_matrix_free(A);
  gsl_matrix_free(V);
  gsl_vector_free(S);
  gsl_vector_free(w);
  ceas_attention_head_free(h);
}

Test(attention, head_input_errors) {
  ceas_attention_head *h;
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = 0, .d_k = 4};
  cr_expect_eq(ceas_attention_head_alloc(&sp, &h), CEAS_EINPUT);
  cr_expect_null(h);
  sp = (ceas_attention_spec){.kind = CEAS_ATTENTION_LOWRANK, .n = 4, .d_k = 4, .rank = 5};
  cr_expect_eq(ceas_attention_head_alloc(&sp, &h), CEAS_EINPUT);
  sp = (ceas_attention_spec){.kind = CEAS_ATTENTION_CLUSTERED, .n = 4, .d_k = 4, .clusters = 0};
  cr_expect_eq(ceas_attention_head_alloc(&sp, &h), CEAS_EINPUT);
  sp.clusters = 2;
  sp.spread = NAN;
  cr_expect_eq(ceas_attention_head_alloc(&sp, &h), CEAS_EINPUT);
  double s[2] = {0, INFINITY};
  ceas_attention_gibbs g;
  cr_expect_eq(ceas_attention_gibbs_eval(s, 2, 1, &g, NULL), CEAS_EINPUT);
  cr_expect_eq(ceas_attention_gibbs_eval(s, 1, NAN, &g, NULL), CEAS_EINPUT);
}
