/* Monte Carlo on the L x L torus against the exact finite-size energy and
 * specific heat (Kaufman 1949; Ferdinand & Fisher 1969), computed by
 * tests/exact_ref.c independently of the engine: agreement within 4 error bars
 * at L = 8, 16, 32 and beta below, at and above beta_c, with the energy error
 * bar below 2e-3. Critical slowing down makes single-spin kernels at L = 32 and
 * beta_c too slow for the suite (tau_int(|m|) ~ L^2.17); they are checked there
 * off criticality, the cluster kernels everywhere. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "exact_ref.h"
#include "mc_support.h"

#define BETA_C 0.44068679350977151

static void kaufman_case(const char *algo, int L, uint64_t sweeps, int skip_critical) {
  static const double betas[] = {0.35, BETA_C, 0.50};
  for (int b = 0; b < 3; b++) {
    if (skip_critical && b == 1) continue;
    ceas_task_params p;
    ceas_task_params_default(&p);
    p.L = L;
    p.algo = algo;
    p.beta = betas[b];
    p.sweeps = sweeps;
    p.therm = sweeps / 10;
    p.seed = 1000 + (uint64_t)(L * 10 + b);
    ceas_task *t = mc_run(&p);
    double e, c;
    cr_assert_eq(exact_kaufman(L, p.beta, &e, &c, NULL), 0);
    const ceas_measure_value *E = &t->result.obs[CEAS_OBS_ENERGY];
    const ceas_measure_value *C = &t->result.obs[CEAS_OBS_SPECIFIC_HEAT];
    char what[128];
    snprintf(what, sizeof what, "%s L=%d beta=%.6f energy", algo, L, p.beta);
    mc_expect_close(what, E->mean, E->error, e, 4.0);
    cr_expect(E->error < 2e-3, "%s: energy error bar %.3g is not below 2e-3", what,
              E->error);
    snprintf(what, sizeof what, "%s L=%d beta=%.6f specific heat", algo, L, p.beta);
    mc_expect_close(what, C->mean, C->error, c, 4.0);
    ceas_task_free(t);
  }
}

#define KAUFMAN_TEST(algo, L, sweeps, skip)                                     \
  Test(kaufman, algo##_L##L, .timeout = 600) { kaufman_case(#algo, L, sweeps, skip); }

KAUFMAN_TEST(metropolis, 8, 300000, 0)
KAUFMAN_TEST(metropolis, 16, 300000, 0)
KAUFMAN_TEST(metropolis, 32, 60000, 1)
KAUFMAN_TEST(heatbath, 8, 300000, 0)
KAUFMAN_TEST(heatbath, 16, 300000, 0)
KAUFMAN_TEST(heatbath, 32, 60000, 1)
KAUFMAN_TEST(wolff, 8, 200000, 0)
KAUFMAN_TEST(wolff, 16, 60000, 0)
KAUFMAN_TEST(wolff, 32, 30000, 0)
KAUFMAN_TEST(sw, 8, 200000, 0)
KAUFMAN_TEST(sw, 16, 60000, 0)
KAUFMAN_TEST(sw, 32, 40000, 0)
