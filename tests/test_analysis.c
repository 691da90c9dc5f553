/* Analysis module: multi-histogram reweighting against exact enumeration and
 * against a direct simulation, crossings, finite-size-scaling fits, the
 * collapse measure and the zeta_CE / z fits on synthetic data with known
 * answers. Every tolerance is a multiple of an error bar the code reports; the
 * synthetic tests repeat over many noise realisations and also check that the
 * reported errors are the size of the actual scatter (pull RMS). */
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "ceas_analysis.h"
#include "ceas_task.h"
#include "exact_ref.h"
#include "mc_support.h"

/* ---- reweighting vs exact enumeration (4x4 torus) ------------------------------- */

static ceas_task *run_task(long L, double beta, const char *algo, uint64_t sweeps,
                           uint64_t seed) {
  ceas_task_params p;
  ceas_task_params_default(&p);
  p.model = CEAS_MODEL_ISING2D;
  p.L = L;
  p.beta = beta;
  p.algo = algo;
  p.sweeps = sweeps;
  p.therm = sweeps / 10;
  p.seed = seed;
  return mc_run(&p);
}

static ceas_analysis_rw *reweight(ceas_task **t, size_t k, size_t blocks) {
  ceas_analysis_rw_run runs[8];
  for (size_t i = 0; i < k; i++) {
    runs[i].beta = t[i]->p.beta;
    runs[i].n = t[i]->n_meas;
    runs[i].e = t[i]->e;
    runs[i].m = t[i]->m;
    runs[i].f = t[i]->f;
    runs[i].tau = t[i]->result.obs[CEAS_OBS_ENERGY].tau_int;
    runs[i].replicas = (size_t)t[i]->replicas;
    if (t[i]->replicas > 1) {
      runs[i].n *= (size_t)t[i]->replicas;
      runs[i].tau = ceas_analysis_packed_tau(t[i]->e, t[i]->n_meas, (size_t)t[i]->replicas,
                                             runs[i].tau);
    }
  }
  ceas_analysis_rw *rw = NULL;
  int rc = ceas_analysis_rw_create(runs, k, (double)t[0]->sys->n, t[0]->p.L, blocks, &rw);
  cr_assert_eq(rc, 0, "rw_create: %s", ceas_error_message());
  return rw;
}

static void compare_exact(const ceas_analysis_rw *rw, const exact_dos *dos, double beta) {
  double v[CEAS_RW_COUNT], e[CEAS_RW_COUNT];
  ceas_analysis_rw_eval_error(rw, beta, v, e);
  exact_thermo x;
  cr_assert_eq(exact_dos_thermo(dos, beta, 0.0, &x), 0);
  double N = exact_dos_nspins(dos);
  char what[96];
  snprintf(what, sizeof what, "energy at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_ENERGY], e[CEAS_RW_ENERGY], x.e, 4.0);
  snprintf(what, sizeof what, "C at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_SPECIFIC_HEAT], e[CEAS_RW_SPECIFIC_HEAT], x.c, 4.0);
  snprintf(what, sizeof what, "|m| at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_ABS_M], e[CEAS_RW_ABS_M], x.abs_m, 4.0);
  snprintf(what, sizeof what, "m2 at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_M2], e[CEAS_RW_M2], x.m2, 4.0);
  snprintf(what, sizeof what, "U4 at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_BINDER], e[CEAS_RW_BINDER],
                  1.0 - x.m4 / (3.0 * x.m2 * x.m2), 4.0);
  snprintf(what, sizeof what, "chi' at beta %.3f", beta);
  mc_expect_close(what, v[CEAS_RW_SUSCEPTIBILITY_CONNECTED],
                  e[CEAS_RW_SUSCEPTIBILITY_CONNECTED], beta * N * (x.m2 - x.abs_m * x.abs_m),
                  4.0);
}

/* Replica-packed runs (64 replicas a word, antithetic and shared uniforms mixed):
 * the reweighting takes all n x R samples, blocks whole times and weights each run
 * by its effective sample number (ceas_analysis_packed_tau), and must still
 * reproduce the exact 4x4 thermodynamics between and beyond the runs. */
Test(reweight, packed_replicas_match_enumeration_4x4) {
  exact_dos *dos = exact_dos_hypercubic(2, 4);
  cr_assert_not_null(dos);
  const double betas[3] = {0.35, 0.42, 0.49};
  ceas_task *t[3];
  for (int i = 0; i < 3; i++)
    t[i] = run_task(4, betas[i], i == 1 ? "msc-replica64" : "msc-replica64-anti", 20000,
                    2011 + (uint64_t)i);
  ceas_analysis_rw *rw = reweight(t, 3, 20);
  const double targets[] = {0.33, 0.40, 0.45, 0.51};
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) compare_exact(rw, dos, targets[i]);
  ceas_analysis_rw_free(rw);
  for (int i = 0; i < 3; i++) ceas_task_free(t[i]);
  exact_dos_free(dos);
}

Test(reweight, multi_histogram_matches_enumeration_4x4) {
  exact_dos *dos = exact_dos_hypercubic(2, 4);
  cr_assert_not_null(dos);
  const double betas[3] = {0.35, 0.42, 0.49};
  ceas_task *t[3];
  /* A statistical test fails now and then by construction. When the heat-bath
   * kernel moved to the Philox4x32 stream, seeds 11..13 became such a case: 9
   * correlated checks at 4.2-4.9 sigma above beta = 0.42, driven by a heat-bath run
   * whose first fifth sits 3 sigma low. The 40 seed sets 12..51 (offsets 1..40)
   * all passed, so the seeds were moved to a fresh set (1011..1013, run once). */
  for (int i = 0; i < 3; i++) t[i] = run_task(4, betas[i], i == 1 ? "heatbath" : "wolff",
                                               100000, 1011 + (uint64_t)i);
  ceas_analysis_rw *rw = reweight(t, 3, 20);
  ceas_analysis_rw_info info;
  ceas_analysis_rw_get_info(rw, &info);
  cr_expect_eq(info.n_runs, 3);
  /* 4x4: bond sums are even and |B| <= 32, so at most 17 energies. */
  cr_expect(info.n_energies <= 17, "%zu distinct energies", info.n_energies);
  cr_expect(info.min_overlap > 0.03, "overlap %g", info.min_overlap);
  /* Between the runs and slightly beyond both ends, inside the range the
   * reweighting declares usable. */
  const double targets[] = {0.33, 0.38, 0.40, 0.42, 0.45, 0.47, 0.51};
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    cr_expect(targets[i] >= info.lo && targets[i] <= info.hi, "beta %g outside [%g, %g]",
              targets[i], info.lo, info.hi);
    compare_exact(rw, dos, targets[i]);
  }
  /* ln Z(beta_k) - ln Z(beta_0) = -N int <e> dbeta: its error is at most
   * (beta_k - beta_0) N times the largest error of <e> on the way. */
  double emax = 0.0;
  for (int k = 0; k < 3; k++) {
    double v[CEAS_RW_COUNT], e[CEAS_RW_COUNT];
    ceas_analysis_rw_eval_error(rw, betas[k], v, e);
    emax = fmax(emax, e[CEAS_RW_ENERGY]);
  }
  exact_thermo x0, xk;
  exact_dos_thermo(dos, betas[0], 0.0, &x0);
  for (size_t k = 1; k < 3; k++) {
    exact_dos_thermo(dos, betas[k], 0.0, &xk);
    double d = ceas_analysis_rw_free_energy(rw, k);
    double tol = 4.0 * (betas[k] - betas[0]) * 16.0 * emax;
    cr_expect(fabs(d - (xk.lnZ - x0.lnZ)) <= tol, "lnZ(%g) - lnZ(%g): %g vs exact %g (tol %g)",
              betas[k], betas[0], d, xk.lnZ - x0.lnZ, tol);
  }
  ceas_analysis_rw_free(rw);
  for (int i = 0; i < 3; i++) ceas_task_free(t[i]);
  exact_dos_free(dos);
}

Test(reweight, single_histogram_matches_enumeration_4x4) {
  exact_dos *dos = exact_dos_hypercubic(2, 4);
  cr_assert_not_null(dos);
  ceas_task *t = run_task(4, 0.42, "wolff", 100000, 5);
  ceas_analysis_rw *rw = reweight(&t, 1, 16);
  ceas_analysis_rw_info info;
  ceas_analysis_rw_get_info(rw, &info);
  cr_expect_eq(info.n_runs, 1);
  cr_expect_eq(info.min_overlap, 1.0);
  /* At the simulated beta the reweighting is the plain average. */
  double v[CEAS_RW_COUNT], e[CEAS_RW_COUNT];
  ceas_analysis_rw_eval_error(rw, 0.42, v, e);
  cr_expect(fabs(v[CEAS_RW_ENERGY] - t->result.obs[CEAS_OBS_ENERGY].mean) <=
                1e-12 * fabs(v[CEAS_RW_ENERGY]),
            "energy %.15g vs plain mean %.15g", v[CEAS_RW_ENERGY],
            t->result.obs[CEAS_OBS_ENERGY].mean);
  const double targets[] = {0.38, 0.40, 0.42, 0.44, 0.46};
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    cr_expect(targets[i] >= info.lo && targets[i] <= info.hi);
    compare_exact(rw, dos, targets[i]);
  }
  ceas_analysis_rw_free(rw);
  ceas_task_free(t);
  exact_dos_free(dos);
}

Test(reweight, matches_direct_simulation_L16) {
  ceas_task *t[2] = {run_task(16, 0.42, "wolff", 40000, 21), run_task(16, 0.46, "wolff", 40000, 22)};
  ceas_task *d = run_task(16, 0.44, "wolff", 40000, 23);
  ceas_analysis_rw *rw = reweight(t, 2, 20);
  double v[CEAS_RW_COUNT], e[CEAS_RW_COUNT];
  ceas_analysis_rw_eval_error(rw, 0.44, v, e);
  const ceas_measure_value *o = d->result.obs;
  static const struct {
    int rw, obs;
    const char *name;
  } pairs[] = {
      {CEAS_RW_ENERGY, CEAS_OBS_ENERGY, "energy"},
      {CEAS_RW_SPECIFIC_HEAT, CEAS_OBS_SPECIFIC_HEAT, "C"},
      {CEAS_RW_ABS_M, CEAS_OBS_ABS_M, "|m|"},
      {CEAS_RW_SUSCEPTIBILITY_CONNECTED, CEAS_OBS_SUSCEPTIBILITY_CONNECTED, "chi'"},
      {CEAS_RW_BINDER, CEAS_OBS_BINDER, "U4"},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    double err = hypot(e[pairs[i].rw], o[pairs[i].obs].error);
    mc_expect_close(pairs[i].name, v[pairs[i].rw], err, o[pairs[i].obs].mean, 4.0);
  }
  double xi_err = hypot(e[CEAS_RW_XI_OVER_L], o[CEAS_OBS_XI_2ND].error / 16.0);
  mc_expect_close("xi/L", v[CEAS_RW_XI_OVER_L], xi_err, o[CEAS_OBS_XI_2ND].mean / 16.0, 4.0);
  /* The derivative formula against a symmetric difference of the reweighted
   * curve (same data: agreement to discretisation, far below the error). */
  double vp[CEAS_RW_COUNT], vm[CEAS_RW_COUNT], h = 1e-5;
  ceas_analysis_rw_eval(rw, 0.44 + h, -1, vp);
  ceas_analysis_rw_eval(rw, 0.44 - h, -1, vm);
  double dU = (vp[CEAS_RW_BINDER] - vm[CEAS_RW_BINDER]) / (2 * h);
  double dX = (vp[CEAS_RW_XI_OVER_L] - vm[CEAS_RW_XI_OVER_L]) / (2 * h);
  cr_expect(fabs(dU - v[CEAS_RW_DBINDER_DBETA]) <= 0.01 * e[CEAS_RW_DBINDER_DBETA],
            "dU4/dbeta %g vs difference quotient %g", v[CEAS_RW_DBINDER_DBETA], dU);
  cr_expect(fabs(dX - v[CEAS_RW_DXI_OVER_L_DBETA]) <= 0.01 * e[CEAS_RW_DXI_OVER_L_DBETA],
            "d(xi/L)/dbeta %g vs difference quotient %g", v[CEAS_RW_DXI_OVER_L_DBETA], dX);
  ceas_analysis_rw_free(rw);
  for (int i = 0; i < 2; i++) ceas_task_free(t[i]);
  ceas_task_free(d);
}

Test(reweight, bad_input) {
  double e[100] = {0}, m[100] = {0};
  ceas_analysis_rw_run r = {0.4, 100, e, m, NULL, 1.0, 1};
  ceas_analysis_rw *rw = NULL;
  cr_expect_eq(ceas_analysis_rw_create(&r, 1, 16, 4, 1, &rw), CEAS_EINPUT);
  cr_expect_eq(ceas_analysis_rw_create(&r, 0, 16, 4, 10, &rw), CEAS_EINPUT);
  r.n = 5;
  cr_expect_eq(ceas_analysis_rw_create(&r, 1, 16, 4, 10, &rw), CEAS_EINPUT);
  r.n = 100;
  e[3] = NAN;
  cr_expect_eq(ceas_analysis_rw_create(&r, 1, 16, 4, 10, &rw), CEAS_EINPUT);
  cr_expect_null(rw);
}

/* ---- synthetic curves: crossings and shift fits -------------------------------------- */

#define BC_TRUE 0.25
#define NU_TRUE 0.8
#define C_CORR 0.2
#define OMEGA 1.5
#define NB 20

typedef struct {
  double L;
  double off[NB + 1];  /* offset of U: [0] full, [1 + b] jackknife sample b */
  double soff[NB + 1]; /* relative offset of the slope */
} synth;

static double f_scaling(double x) { return 0.6 + 0.3 * tanh(0.8 * x); }
static double df_scaling(double x) {
  double c = cosh(0.8 * x);
  return 0.24 / (c * c);
}

static double synth_fn(double beta, int sample, int which, void *ctx) {
  const synth *s = ctx;
  double Lnu = pow(s->L, 1.0 / NU_TRUE), corr = 1.0 + C_CORR * pow(s->L, -OMEGA);
  double x = (beta - BC_TRUE) * Lnu;
  int k = sample < 0 ? 0 : 1 + sample;
  if (which == 0) return f_scaling(x) * corr + s->off[k];
  return df_scaling(x) * Lnu * corr * (1.0 + s->soff[k]);
}

/* Jackknife samples with the given error: offsets around the full value whose
 * jackknife spread is sigma on average. */
static void synth_noise(synth *s, gsl_rng *r, double sigma, double rel_slope) {
  s->off[0] = sigma ? gsl_ran_gaussian(r, sigma) : 0.0;
  s->soff[0] = rel_slope ? gsl_ran_gaussian(r, rel_slope) : 0.0;
  for (int b = 1; b <= NB; b++) {
    s->off[b] = s->off[0] + (sigma ? gsl_ran_gaussian(r, sigma) / sqrt(NB - 1.0) : 0.0);
    s->soff[b] = s->soff[0] + (rel_slope ? gsl_ran_gaussian(r, rel_slope) / sqrt(NB - 1.0) : 0.0);
  }
}

static void synth_curve(synth *s, ceas_analysis_curve *c) {
  c->fn = synth_fn;
  c->ctx = s;
  c->which_value = 0;
  c->which_slope = 1;
  c->lo = 0.2;
  c->hi = 0.3;
  c->L = s->L;
  c->n_blocks = NB;
  c->sampled_lo = 0.2;
  c->sampled_hi = 0.3;
}

Test(curves, crossing_of_noiseless_curves_is_the_root) {
  synth a = {16, {0}, {0}}, b = {32, {0}, {0}};
  ceas_analysis_curve ca, cb;
  synth_curve(&a, &ca);
  synth_curve(&b, &cb);
  ceas_analysis_crossing x;
  cr_assert_eq(ceas_analysis_crossing_find(&ca, &cb, 201, &x), 0);
  cr_assert(x.found);
  /* Independent root by bisection of the difference. */
  double lo = 0.2, hi = 0.3;
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (lo + hi);
    double d = synth_fn(mid, -1, 0, &b) - synth_fn(mid, -1, 0, &a);
    if (d < 0) lo = mid;
    else hi = mid;
  }
  cr_expect(fabs(x.beta - lo) < 1e-11, "crossing %.15g vs bisection %.15g", x.beta, lo);
  cr_expect(x.beta_error < 1e-11, "noiseless: error %g", x.beta_error);
  cr_expect(fabs(x.value - synth_fn(lo, -1, 0, &a)) < 1e-10);
  /* c > 0 raises U of the smaller size: the crossing lies above beta_c. */
  cr_expect(x.beta > BC_TRUE);
  /* Quotient method: exact slopes give 1/nu up to the correction factor. */
  double corr = log((1 + C_CORR * pow(32, -OMEGA)) / (1 + C_CORR * pow(16, -OMEGA))) / log(2.0);
  double xa = (x.beta - BC_TRUE) * pow(16, 1 / NU_TRUE), xb = (x.beta - BC_TRUE) * pow(32, 1 / NU_TRUE);
  double expect = 1 / NU_TRUE + corr + log(df_scaling(xb) / df_scaling(xa)) / log(2.0);
  cr_expect(fabs(x.inv_nu - expect) < 1e-9, "1/nu %.12g vs %.12g", x.inv_nu, expect);

  /* No crossing when the curves do not meet: offset one far away. */
  b.off[0] = 1.0;
  for (int k = 1; k <= NB; k++) b.off[k] = 1.0;
  cr_assert_eq(ceas_analysis_crossing_find(&ca, &cb, 201, &x), 0);
  cr_expect(!x.found);
  cr_expect(isnan(x.beta));
}

/* Straight lines u(beta) = u0 + slope (beta - 0.25) + off[sample] with jackknife
 * offsets of error sigma: two sizes in one phase (U4 of both near 0 in the
 * disordered phase) look like this, meeting within their noise. */
typedef struct {
  double u0, slope;
  double off[NB + 1];
} line;

static double line_fn(double beta, int sample, int which, void *ctx) {
  (void)which;
  const line *l = ctx;
  return l->u0 + l->slope * (beta - 0.25) + l->off[sample < 0 ? 0 : 1 + sample];
}

static void line_curve(line *l, double L, gsl_rng *r, double sigma, ceas_analysis_curve *c) {
  l->off[0] = 0.0;
  for (int b = 1; b <= NB; b++) l->off[b] = gsl_ran_gaussian(r, sigma) / sqrt(NB - 1.0);
  *c = (ceas_analysis_curve){line_fn, l, 0, -1, 0.2, 0.3, L, NB, 0.2, 0.3};
}

Test(curves, crossing_must_be_significant_and_sampled) {
  /* The difference b - a = 0.004 (beta - 0.25) / 0.05 crosses zero at 0.25 and
   * reaches +-0.004 at the ends of the range. Each curve's jackknife error is
   * about sigma, so the difference's error is about sqrt(2) sigma. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 4242);
  line la, lb;
  ceas_analysis_curve ca, cb;
  ceas_analysis_crossing x;
  /* sigma = 0.01: |b - a| / error <= 0.004 / 0.014 = 0.3 everywhere, far below
   * CEAS_CROSSING_SIGMA: the sign change is noise and must be refused. */
  line_curve(&la, 8, r, 0.01, &ca);
  line_curve(&lb, 16, r, 0.01, &cb);
  la.u0 = lb.u0 = 0.04;
  la.slope = 0.0;
  lb.slope = 0.08;
  cr_assert_eq(ceas_analysis_crossing_find(&ca, &cb, 201, &x), 0);
  cr_expect(!x.found, "noise crossing accepted at beta = %g", x.beta);
  cr_expect_eq(x.status, CEAS_CROSSING_NOT_SIGNIFICANT, "status %d", x.status);
  cr_expect(fabs(x.beta - 0.25) < 1e-9, "refused root reported at %g", x.beta);
  cr_expect(x.z_below < CEAS_CROSSING_SIGMA && x.z_above < CEAS_CROSSING_SIGMA);
  /* sigma = 1e-4: the ends differ by 0.004 / 1.4e-4 ~ 28 errors; the crossing is
   * kept with its jackknife error. */
  line_curve(&la, 8, r, 1e-4, &ca);
  line_curve(&lb, 16, r, 1e-4, &cb);
  cr_assert_eq(ceas_analysis_crossing_find(&ca, &cb, 201, &x), 0);
  cr_expect(x.found && x.status == CEAS_CROSSING_ACCEPTED, "status %d", x.status);
  cr_expect(x.z_below > CEAS_CROSSING_SIGMA && x.z_above > CEAS_CROSSING_SIGMA);
  cr_expect(isfinite(x.beta_error) && fabs(x.beta - 0.25) < 5 * x.beta_error + 1e-12,
            "crossing %g +- %g vs 0.25", x.beta, x.beta_error);
  /* The same curves sampled only on [0.26, 0.3]: the root at 0.25 lies in the
   * reweighting's extrapolated margin and is refused. */
  ca.sampled_lo = cb.sampled_lo = 0.26;
  cr_assert_eq(ceas_analysis_crossing_find(&ca, &cb, 201, &x), 0);
  cr_expect(!x.found);
  cr_expect_eq(x.status, CEAS_CROSSING_OUTSIDE_SAMPLED, "status %d", x.status);
  gsl_rng_free(r);
}

/* A bump of height 2 at pos[sample]: a known maximum per jackknife sample. */
static double bump_fn(double beta, int sample, int which, void *ctx) {
  (void)which;
  const double *pos = ctx;
  double d = (beta - pos[sample < 0 ? 0 : 1 + sample]) / 0.02;
  return 2.0 / (1.0 + d * d);
}

Test(curves, peak_of_known_function) {
  double pos[NB + 1];
  for (int k = 0; k <= NB; k++) pos[k] = 0.4 + (k ? 1e-4 * ((k % 3) - 1) : 0.0);
  ceas_analysis_curve c = {bump_fn, pos, 0, -1, 0.3, 0.5, 8, NB, 0.3, 0.5};
  ceas_analysis_peak p;
  cr_assert_eq(ceas_analysis_peak_find(&c, 101, &p), 0);
  cr_assert(p.found);
  cr_expect(fabs(p.beta - 0.4) < 1e-8, "peak at %.12g", p.beta);
  cr_expect(fabs(p.value - 2.0) < 1e-12, "height %.15g", p.value);
  /* The error is the jackknife formula applied to the samples' maxima. */
  double expect = ceas_analysis_jackknife_error(pos + 1, NB);
  cr_expect(fabs(p.beta_error - expect) < 1e-3 * expect, "error %g vs %g", p.beta_error, expect);
  cr_expect(p.value_error < 1e-12);
  /* A monotonic stretch has no interior maximum. */
  c.lo = 0.41;
  cr_assert_eq(ceas_analysis_peak_find(&c, 101, &p), 0);
  cr_expect(!p.found);
  cr_expect(isnan(p.beta));
}

/* Pull statistics over repetitions: every |pull| < 4 and the RMS of the pulls
 * near 1 (the errors are the size of the scatter). */
typedef struct {
  double sum2, max;
  int n;
} pulls;

static void pull_add(pulls *p, double est, double err, double truth) {
  double z = (est - truth) / err;
  p->sum2 += z * z;
  p->max = fmax(p->max, fabs(z));
  p->n++;
}

static void pull_check(const pulls *p, const char *what) {
  double rms = sqrt(p->sum2 / p->n);
  cr_expect(p->n > 0, "%s: no estimates", what);
  cr_expect(p->max < 4.0, "%s: largest |pull| %.2f over %d realisations", what, p->max, p->n);
  cr_expect(rms > 0.6 && rms < 1.6, "%s: pull RMS %.3f over %d realisations", what, rms, p->n);
}

Test(fss, crossings_and_slopes_recover_beta_c_and_nu) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12345);
  const double Ls[6] = {8, 16, 32, 64, 128, 256};
  pulls pb = {0}, pn = {0};
  for (int rep = 0; rep < 40; rep++) {
    synth s[6];
    ceas_analysis_curve c[6];
    for (int i = 0; i < 6; i++) {
      s[i].L = Ls[i];
      synth_noise(&s[i], r, 1e-4, 0.01);
      synth_curve(&s[i], &c[i]);
    }
    double x[5], y[5], dy[5];
    for (int i = 0; i < 5; i++) {
      ceas_analysis_crossing cr;
      cr_assert_eq(ceas_analysis_crossing_find(&c[i], &c[i + 1], 201, &cr), 0);
      cr_assert(cr.found && isfinite(cr.beta_error), "rep %d pair %d: no crossing", rep, i);
      x[i] = cr.L1;
      y[i] = cr.beta;
      dy[i] = cr.beta_error;
    }
    double p0[3] = {y[4], 0.0, 1.0 / NU_TRUE + OMEGA};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_SHIFT, x, y, dy, 5, p0, NULL, &f), 0);
    cr_assert(f.ok, "rep %d: %s", rep, f.note);
    cr_expect_eq(f.dof, 2);
    pull_add(&pb, f.par[0], f.err[0], BC_TRUE);
    /* Slopes at the fitted beta_c ~ L^(1/nu). */
    double sl[6], se[6];
    for (int i = 0; i < 6; i++) ceas_analysis_curve_at(&c[i], f.par[0], 1, &sl[i], &se[i]);
    double q0[2] = {1.0, 1.0};
    ceas_analysis_fit g;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, Ls, sl, se, 6, q0, NULL, &g), 0);
    cr_assert(g.ok, "rep %d: %s", rep, g.note);
    pull_add(&pn, g.par[1], g.err[1], 1.0 / NU_TRUE);
  }
  pull_check(&pb, "beta_c from crossings");
  pull_check(&pn, "1/nu from slopes");
  gsl_rng_free(r);
}

Test(fss, shift_fit_with_fixed_exponent_and_correction) {
  /* Peak positions beta(L) = beta_c + a L^(-1/nu) + b L^(-1/nu-omega) with noise:
   * the corrected form with 1/nu and omega fixed recovers beta_c, a, b. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 777);
  const double Ls[7] = {8, 12, 16, 24, 32, 48, 64};
  pulls pb = {0}, pa = {0};
  for (int rep = 0; rep < 40; rep++) {
    double y[7], dy[7];
    for (int i = 0; i < 7; i++) {
      double t = BC_TRUE - 0.3 * pow(Ls[i], -1 / NU_TRUE) + 0.5 * pow(Ls[i], -1 / NU_TRUE - OMEGA);
      dy[i] = 2e-4;
      y[i] = t + gsl_ran_gaussian(r, dy[i]);
    }
    double p0[5] = {0.2, -0.1, 1 / NU_TRUE, 0.0, OMEGA};
    int fixed[5] = {0, 0, 1, 0, 1};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_SHIFT_CORR, Ls, y, dy, 7, p0, fixed, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    cr_expect_eq(f.n_free, 3);
    cr_expect_eq(f.err[2], 0.0);
    cr_expect_eq(f.par[2], 1 / NU_TRUE);
    pull_add(&pb, f.par[0], f.err[0], BC_TRUE);
    pull_add(&pa, f.par[1], f.err[1], -0.3);
    /* The fitted function is what a plot would draw. */
    double at = ceas_analysis_fit_eval(&f, 20.0);
    double expect = f.par[0] + f.par[1] * pow(20.0, -f.par[2]) + f.par[3] * pow(20.0, -f.par[2] - f.par[4]);
    cr_expect(fabs(at - expect) < 1e-14);
  }
  pull_check(&pb, "beta_c (corrected shift fit)");
  pull_check(&pa, "a (corrected shift fit)");
  gsl_rng_free(r);
}

Test(fss, gamma_over_nu_from_chi_max) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 4242);
  const double Ls[5] = {8, 16, 32, 64, 128};
  pulls pg = {0}, pA = {0};
  for (int rep = 0; rep < 50; rep++) {
    double y[5], dy[5];
    for (int i = 0; i < 5; i++) {
      double t = 0.05 * pow(Ls[i], 1.75);
      dy[i] = 0.02 * t;
      y[i] = t + gsl_ran_gaussian(r, dy[i]);
    }
    double p0[2] = {1.0, 1.0};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, Ls, y, dy, 5, p0, NULL, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    cr_expect_eq(f.dof, 3);
    cr_expect(f.error_scale >= 1.0);
    pull_add(&pg, f.par[1], f.err[1], 1.75);
    pull_add(&pA, f.par[0], f.err[0], 0.05);
  }
  pull_check(&pg, "gamma/nu");
  pull_check(&pA, "amplitude");
  gsl_rng_free(r);
}

Test(fss, power_law_with_background) {
  /* chi'_max = A L^p + B with B a sizeable background: the corrected form
   * recovers p, the pure power law on the same points is pulled away. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 1001);
  const double Ls[6] = {8, 12, 16, 24, 32, 48};
  pulls pp = {0}, pB = {0};
  for (int rep = 0; rep < 50; rep++) {
    double y[6], dy[6];
    for (int i = 0; i < 6; i++) {
      double t = 0.05 * pow(Ls[i], 1.75) - 0.4;
      dy[i] = 0.003 * t;
      y[i] = t + gsl_ran_gaussian(r, dy[i]);
    }
    double p0[3] = {0.05, 1.7, 0.0};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_BG, Ls, y, dy, 6, p0, NULL, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    cr_expect_eq(f.dof, 3);
    pull_add(&pp, f.par[1], f.err[1], 1.75);
    pull_add(&pB, f.par[2], f.err[2], -0.4);
    double q0[2] = {1, 1};
    ceas_analysis_fit g;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, Ls, y, dy, 6, q0, NULL, &g), 0);
    cr_expect(g.par[1] > 1.75, "pure power law: p = %g", g.par[1]);
  }
  pull_check(&pp, "p with background");
  pull_check(&pB, "background B");
  gsl_rng_free(r);
}

Test(fss, errors_scaled_when_chi2_exceeds_dof) {
  /* Points scattered 3x more than their error bars: chi2/dof ~ 9, errors scaled
   * by sqrt(chi2/dof). */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 99);
  double L[20], y[20], dy[20];
  for (int i = 0; i < 20; i++) {
    L[i] = 8 + 4 * i;
    dy[i] = 0.01 * pow(L[i], 2.0);
    y[i] = pow(L[i], 2.0) + gsl_ran_gaussian(r, 3 * dy[i]);
  }
  double p0[2] = {1, 1};
  ceas_analysis_fit f;
  cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, L, y, dy, 20, p0, NULL, &f), 0);
  cr_assert(f.ok);
  cr_expect(f.chi2_per_dof > 3, "chi2/dof %g", f.chi2_per_dof);
  cr_expect(fabs(f.error_scale - sqrt(f.chi2_per_dof)) < 1e-12);
  /* Too few points for the free parameters: not ok, with a note, no error. */
  cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_SHIFT, L, y, dy, 2, (double[]){0, 0, 1}, NULL, &f), 0);
  cr_expect(!f.ok);
  cr_expect(f.note[0] != '\0');
  gsl_rng_free(r);
}

/* ---- zeta_CE and z --------------------------------------------------------------- */

Test(zeta, power_law_recovers_A_and_nu) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 31337);
  const double bc = 0.44, A = 0.55, nu = 0.9;
  pulls pA = {0}, pn = {0};
  for (int rep = 0; rep < 50; rep++) {
    double b[12], xi[12], dxi[12];
    for (int i = 0; i < 12; i++) {
      b[i] = 0.2 + 0.017 * i;
      double u = (bc - b[i]) / bc;
      double t = A / pow(u, nu);
      dxi[i] = 0.02 * t;
      xi[i] = t + gsl_ran_gaussian(r, dxi[i]);
    }
    double p0[4] = {1, 0.75, bc, 0.0};
    int fixed[4] = {0, 0, 1, 1};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_ZETA, b, xi, dxi, 12, p0, fixed, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    cr_expect_eq(f.dof, 10);
    pull_add(&pA, f.par[0], f.err[0], A);
    pull_add(&pn, f.par[1], f.err[1], nu);
  }
  pull_check(&pA, "zeta_CE A");
  pull_check(&pn, "zeta_CE nu");
  gsl_rng_free(r);
}

Test(zeta, cutoff_u_min) {
  /* xi saturates at A / u_min^nu for u < u_min. */
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 2024);
  const double bc = 0.2216, A = 0.5, nu = 0.63, umin = 0.05;
  pulls pA = {0}, pn = {0};
  for (int rep = 0; rep < 50; rep++) {
    double b[15], xi[15], dxi[15];
    for (int i = 0; i < 15; i++) {
      b[i] = 0.12 + 0.0068 * i; /* u from 0.46 down to 0.03 */
      double u = (bc - b[i]) / bc;
      double t = A / pow(fmax(u, umin), nu);
      dxi[i] = 0.01 * t;
      xi[i] = t + gsl_ran_gaussian(r, dxi[i]);
    }
    double p0[4] = {1, 0.75, bc, umin};
    int fixed[4] = {0, 0, 1, 1};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_ZETA, b, xi, dxi, 15, p0, fixed, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    pull_add(&pA, f.par[0], f.err[0], A);
    pull_add(&pn, f.par[1], f.err[1], nu);
    cr_expect(fabs(ceas_analysis_fit_eval(&f, bc - 0.001) - f.par[0] / pow(umin, f.par[1])) < 1e-12);
  }
  pull_check(&pA, "zeta_CE A with u_min");
  pull_check(&pn, "zeta_CE nu with u_min");
  gsl_rng_free(r);
}

Test(zeta, dynamic_exponent) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 8);
  pulls pz = {0};
  for (int rep = 0; rep < 50; rep++) {
    double xi[10], tau[10], dtau[10];
    for (int i = 0; i < 10; i++) {
      xi[i] = 1.0 + 0.8 * i;
      double t = 0.7 * pow(xi[i], 2.17);
      dtau[i] = 0.03 * t;
      tau[i] = t + gsl_ran_gaussian(r, dtau[i]);
    }
    double p0[2] = {1, 1};
    ceas_analysis_fit f;
    cr_assert_eq(ceas_analysis_fit_run(CEAS_FIT_POWER_LOG, xi, tau, dtau, 10, p0, NULL, &f), 0);
    cr_assert(f.ok, "%s", f.note);
    pull_add(&pz, f.par[1], f.err[1], 2.17);
  }
  pull_check(&pz, "z");
  gsl_rng_free(r);
}

/* ---- collapse ---------------------------------------------------------------------- */

static void collapse_data(gsl_rng *r, double *L, double *b, double *y, double *dy, size_t *n) {
  const double Ls[4] = {8, 16, 32, 64};
  size_t k = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 11; j++) {
      L[k] = Ls[i];
      /* The same x range for every size, staggered so that no two sizes share
       * an x exactly (a coincidence real data never have). */
      double x = -2.0 + 0.4 * j + 0.09 * i;
      b[k] = BC_TRUE + x * pow(Ls[i], -1 / NU_TRUE);
      dy[k] = 0.004;
      y[k] = f_scaling(x) + gsl_ran_gaussian(r, dy[k]);
      k++;
    }
  *n = k;
}

Test(collapse, measure_and_optimum) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  double L[64], b[64], y[64], dy[64];
  size_t n;
  pulls pb = {0}, pn = {0};
  double Ssum = 0;
  int reps = 20;
  for (int rep = 0; rep < reps; rep++) {
    collapse_data(r, L, b, y, dy, &n);
    double S;
    size_t terms;
    cr_assert_eq(ceas_analysis_collapse_S(L, b, y, dy, n, BC_TRUE, NU_TRUE, INFINITY, &S, &terms), 0);
    cr_expect(terms > n / 2, "%zu terms", terms);
    Ssum += S;
    /* A wrong exponent spoils the collapse. */
    double Sbad;
    cr_assert_eq(ceas_analysis_collapse_S(L, b, y, dy, n, BC_TRUE, 1.3 * NU_TRUE, INFINITY, &Sbad, NULL), 0);
    cr_expect(Sbad > 5.0 * S, "S %g at the true nu, %g at 1.3 nu", S, Sbad);
    ceas_analysis_collapse c;
    cr_assert_eq(ceas_analysis_collapse_optimize(L, b, y, dy, n, BC_TRUE + 0.002, 0.9 * NU_TRUE,
                                                 NULL, INFINITY, &c), 0);
    cr_assert(c.ok);
    /* S is piecewise smooth with kinks where neighbour sets change: the optimum
     * is a local one, but it must improve on the start. */
    double S0;
    cr_assert_eq(ceas_analysis_collapse_S(L, b, y, dy, n, BC_TRUE + 0.002, 0.9 * NU_TRUE,
                                          INFINITY, &S0, NULL), 0);
    cr_expect(c.S_min <= S0, "optimum S %g above the start's %g", c.S_min, S0);
    pull_add(&pb, c.beta_c, c.beta_c_error, BC_TRUE);
    pull_add(&pn, c.nu, c.nu_error, NU_TRUE);
    /* Fixed parameters stay fixed. */
    int fixed[2] = {1, 0};
    cr_assert_eq(ceas_analysis_collapse_optimize(L, b, y, dy, n, BC_TRUE, 0.9 * NU_TRUE, fixed,
                                                 INFINITY, &c), 0);
    cr_expect_eq(c.beta_c, BC_TRUE);
    cr_expect_eq(c.beta_c_error, 0.0);
  }
  /* S is a mean of O(1) terms at the true parameters (its mean is slightly
   * above 1 because the interpolation error adds to the denominators' budget
   * only to first order). */
  double Smean = Ssum / reps;
  cr_expect(Smean > 0.5 && Smean < 2.0, "mean S %g at the true parameters", Smean);
  /* Bootstrap errors: the pulls of the optimum scatter like a unit Gaussian. */
  pull_check(&pb, "collapse beta_c");
  pull_check(&pn, "collapse nu");
  gsl_rng_free(r);
}
