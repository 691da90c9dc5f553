/* The CEAS entropy thermostat (src/anneal/ceas.c): the machine entropy and its
 * beta-derivative against direct formulas, the margin rule, and ground states of
 * enumerable instances found with a stated success probability. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "ceas_anneal_ceas.h"

static ceas_anneal_problem *sk(int64_t n, uint64_t seed) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(n, CEAS_ANNEAL_BONDS_PM, seed, &pb), 0, "%s",
               ceas_error_message());
  return pb;
}

/* H is the mean binary entropy of p_i = 1 / (1 + e^{-2 beta f_i}) and dH/dbeta =
 * -beta V: checked against -p ln p - (1-p) ln(1-p) and a central difference. */
Test(ceas, entropy_and_its_derivative) {
  ceas_anneal_problem *pb = sk(6, 3);
  double f[6] = {0.0, 0.3, -0.7, 1.9, -4.0, 25.0};
  for (double beta = 0.0; beta <= 3.0; beta += 0.25) {
    double H, V;
    ceas_anneal_ceas_entropy(pb, f, beta, &H, &V);
    double want = 0;
    for (int i = 0; i < 6; i++) {
      double p = 1.0 / (1.0 + exp(-2.0 * beta * f[i]));
      want += (p > 0 ? -p * log(p) : 0) + (p < 1 ? -(1 - p) * log1p(-p) : 0);
    }
    want /= 6;
    cr_expect(fabs(H - want) < 1e-12, "beta %g: H %.15g vs %.15g", beta, H, want);
    double h = 1e-5, Hp, Hm, v;
    ceas_anneal_ceas_entropy(pb, f, beta + h, &Hp, &v);
    ceas_anneal_ceas_entropy(pb, f, beta - h, &Hm, &v);
    double d = (Hp - Hm) / (2 * h);
    cr_expect(fabs(d + beta * V) < 1e-7, "beta %g: dH/dbeta %.10g vs -beta V %.10g", beta, d,
              -beta * V);
  }
  double H, V;
  ceas_anneal_ceas_entropy(pb, f, 0.0, &H, &V);
  cr_expect(fabs(H - log(2.0)) < 1e-15, "H(0) = ln 2");
  ceas_anneal_problem_free(pb);
}

/* The band (0.94, 1.06) around beta_c = 1 with u_min = 0.06: never entered,
 * crossed when a step from below reaches past it, and no step longer than dbeta_max. */
Test(ceas, margin_rule) {
  int moved;
  cr_expect_eq(ceas_anneal_ceas_margin(0.9, 0.8, 1, 1.0, 0.06, 0.5, &moved), 0.9);
  cr_expect_eq(moved, 0);
  cr_expect_eq(ceas_anneal_ceas_margin(0.95, 0.9, 1, 1.0, 0.06, 0.5, &moved), 0.94);
  cr_expect_eq(moved, 1);
  cr_expect_eq(ceas_anneal_ceas_margin(1.05, 0.9, 1, 1.0, 0.06, 0.5, &moved), 1.06);
  /* The nearer edge is out of reach: stay on the side we came from. */
  cr_expect_eq(ceas_anneal_ceas_margin(1.05, 0.5, 1, 1.0, 0.06, 0.5, &moved), 0.94);
  cr_expect_eq(ceas_anneal_ceas_margin(1.2, 0.9, 1, 1.0, 0.06, 0.5, &moved), 1.2);
  cr_expect_eq(ceas_anneal_ceas_margin(1.0, 0.9, 1, 0.0, 0.06, 0.5, &moved), 1.0,
               "no beta_c yet: no margin");
}

/* SK n = 16 and 18, 5 instances, 40 reads of 400 sweeps each: the thermostat must
 * reach the exact ground state (ceas_anneal_exact_ground) in at least half of the
 * reads of every instance. Measured: 40 of 40 on each. With a true rate p >= 0.9 the
 * chance of 20 or fewer successes in 40 is below 1e-8, so a failure here means the
 * thermostat is broken, not unlucky. */
Test(ceas, finds_ground_states, .timeout = 120) {
  for (uint64_t seed = 1; seed <= 5; seed++) {
    ceas_anneal_problem *pb = sk(seed % 2 ? 16 : 18, 300 + seed);
    double e0;
    uint64_t deg;
    cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
    double b0, b1;
    ceas_anneal_default_betas(pb, &b0, &b1);
    ceas_anneal_schedule sch;
    cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, 400, &sch), 0);
    ceas_anneal_params p;
    ceas_anneal_params_default(&p);
    p.schedule = &sch;
    p.seed = seed;
    p.has_target = 1;
    p.target = e0;
    ceas_anneal_result *r = NULL;
    cr_assert_eq(ceas_anneal_run(pb, &ceas_anneal_method_ceas, &p, 40, NULL, NULL, NULL, &r), 0,
                 "%s", ceas_error_message());
    cr_log_info("seed %llu n %lld: %llu of 40 reads reach E0 = %.6f (best %.6f)",
                (unsigned long long)seed, (long long)pb->n, (unsigned long long)r->successes, e0,
                r->best_energy);
    cr_expect(r->successes >= 20, "seed %llu: %llu of 40 reads reach the ground state",
              (unsigned long long)seed, (unsigned long long)r->successes);
    ceas_anneal_result_free(r);
    ceas_anneal_schedule_free(&sch);
    ceas_anneal_problem_free(pb);
  }
}
