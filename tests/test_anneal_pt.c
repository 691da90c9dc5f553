/* Parallel tempering (src/anneal/pt.c): the exchange rule, Boltzmann sampling at
 * every temperature against exact enumeration, ground states of enumerable
 * instances, ladder tuning, bad parameters. (That a run does not depend on the
 * number of ranks is tested with mpirun in tests/cli_anneal_pt.sh.) */
#include <criterion/criterion.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>

#include "anneal_private.h"
#include "ceas_anneal_pt.h"
#include "exact_ref.h"
#include "mpi_fixture.h"

TestSuite(pt, .init = ceas_test_mpi_up, .fini = ceas_test_mpi_down);

/* min(1, e^x) with x = (beta_hi - beta_lo)(E_hi - E_lo), and the ratio of a swap's
 * acceptance to its reverse's is the ratio of the Boltzmann weights of the swapped
 * and unswapped pairs (detailed balance). */
Test(pt, exchange_rule) {
  cr_expect_eq(ceas_anneal_pt_accept(0.5, -10, 1.0, -8), 1.0);
  cr_expect(fabs(ceas_anneal_pt_accept(0.5, -10, 1.0, -12) - exp(-1.0)) < 1e-15);
  for (int k = 0; k < 100; k++) {
    double b1 = 0.1 + 0.01 * k, b2 = b1 + 0.05 + 0.003 * k;
    double e1 = -3.0 + 0.07 * k, e2 = 1.0 - 0.05 * k;
    double fwd = ceas_anneal_pt_accept(b1, e1, b2, e2);
    double rev = ceas_anneal_pt_accept(b1, e2, b2, e1);
    double w_swapped = exp(-(b1 * e2 + b2 * e1)), w_now = exp(-(b1 * e1 + b2 * e2));
    cr_expect(fabs(fwd / rev - w_swapped / w_now) <= 1e-12 * (w_swapped / w_now),
              "k=%d: %g / %g vs %g", k, fwd, rev, w_swapped / w_now);
  }
}

static ceas_anneal_problem *sk(int64_t n, uint64_t seed) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(n, CEAS_ANNEAL_BONDS_PM, seed, &pb), 0, "%s",
               ceas_error_message());
  return pb;
}

/* <E>/n of every temperature within 4 binned error bars of exact enumeration
 * (tests/exact_ref.c, independent of the engine), for a geometric ladder and for
 * a tuned one. */
static void boltzmann_of(ceas_anneal_problem *pb, int tune, uint64_t seed, double beta_max) {
  const int n = (int)pb->n;
  int nedges = 0;
  int ei[200], ej[200];
  double J[200];
  for (int64_t i = 0; i < pb->n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      if (pb->indices[k] > i) ei[nedges] = (int)i, ej[nedges] = pb->indices[k], J[nedges++] = pb->J[k];
  ceas_anneal_pt_params p;
  ceas_anneal_pt_params_default(&p);
  p.temperatures = 6;
  p.beta_min = 0.2;
  p.beta_max = beta_max;
  p.sweeps = 30000;
  p.seed = seed;
  p.tune_rounds = tune ? 4 : 0;
  p.tune_sweeps = 500;
  ceas_anneal_pt_result *r = NULL;
  cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), 0, "%s", ceas_error_message());
  cr_expect_eq(r->betas[0], 0.2);
  cr_expect_eq(r->betas[5], beta_max);
  for (int t = 0; t < 6; t++) {
    if (t) cr_expect(r->betas[t] > r->betas[t - 1]);
    exact_thermo x;
    cr_assert_eq(exact_enum_graph(n, nedges, ei, ej, J, NULL, r->betas[t], &x), 0);
    cr_expect(isfinite(r->e_err[t]) && r->e_err[t] > 0, "beta %g: no error bar", r->betas[t]);
    cr_log_info("%s tune %d beta %.4f: <E>/n %.5f +- %.2g exact %.5f (%+.2f sigma)", pb->origin,
                tune, r->betas[t], r->e_mean[t], r->e_err[t], x.e,
                (r->e_mean[t] - x.e) / r->e_err[t]);
    cr_expect(fabs(r->e_mean[t] - x.e) <= 4 * r->e_err[t],
              "%s beta %g: <E>/n %.6f +- %.2g vs exact %.6f", pb->origin, r->betas[t],
              r->e_mean[t], r->e_err[t], x.e);
  }
  for (int t = 0; t < 5; t++)
    cr_expect(r->acceptance[t] > 0 && r->acceptance[t] <= 1, "gap %d acceptance %g", t,
              r->acceptance[t]);
  cr_expect(r->round_trips > 0);
  ceas_anneal_pt_result_free(r);
}

static void boltzmann_case(int tune, uint64_t seed) {
  ceas_anneal_problem *pb = sk(12, seed);
  boltzmann_of(pb, tune, seed, 2.0);
  ceas_anneal_problem_free(pb);
}

Test(pt, samples_boltzmann_geometric_ladder, .timeout = 120) { boltzmann_case(0, 31); }
Test(pt, samples_boltzmann_tuned_ladder, .timeout = 120) { boltzmann_case(1, 32); }

/* The two other paths of the walkers' machine: float32 fields (Gaussian SK, whose
 * running energy drifts between refreshes) and int16 fields with zero-field moves
 * (a 4x4 ±J torus run through the local-field walkers, degree 4: f in {0, ±2, ±4}
 * units, so dE = 0 moves are frequent and their acceptance 1/2 matters). */
Test(pt, samples_boltzmann_float_fields_and_zero_field_moves, .timeout = 120) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(12, CEAS_ANNEAL_BONDS_GAUSS, 41, &pb), 0);
  cr_assert(!pb->one_magnitude);
  boltzmann_of(pb, 1, 41, 2.0);
  ceas_anneal_problem_free(pb);
  cr_assert_eq(ceas_anneal_problem_ea(2, 4, CEAS_ANNEAL_BONDS_PM, 42, &pb), 0);
  boltzmann_of(pb, 0, 42, 1.2);
  ceas_anneal_problem_free(pb);
}

/* Energy traces: one entry per trace_every sweeps of the whole run (tuning
 * included), each the lowest energy a walker held at that exchange round, so never
 * below the best energy of the run; on a Gaussian instance (running energies with
 * float32 drift) the target, confirmed with the exact energy, is the exact ground
 * state and the best energy equals it to rounding. */
Test(pt, traces_and_confirmed_targets, .timeout = 120) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(16, CEAS_ANNEAL_BONDS_GAUSS, 7, &pb), 0);
  double e0;
  uint64_t deg;
  cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
  ceas_anneal_pt_params p;
  ceas_anneal_pt_params_default(&p);
  p.temperatures = 8;
  p.beta_min = 0.2;
  p.beta_max = 3.0 / pb->field_scale;
  p.sweeps = 3000;
  p.exchange_every = 2;
  p.tune_rounds = 2;
  p.tune_sweeps = 100;
  p.trace_every = 10;
  p.has_target = 1;
  p.target = e0;
  ceas_anneal_pt_result *r = NULL;
  cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), 0, "%s", ceas_error_message());
  cr_expect_eq(r->trace_len, (3000 + 200) / 10);
  double tmin = INFINITY;
  for (uint64_t j = 0; j < r->trace_len; j++) {
    cr_expect(r->trace[j] >= r->best_energy - 1e-6 * pb->abs_sum, "trace %llu: %g below best %g",
              (unsigned long long)j, r->trace[j], r->best_energy);
    tmin = fmin(tmin, r->trace[j]);
  }
  cr_expect(fabs(tmin - e0) <= 1e-6 * pb->abs_sum, "the walkers sit in the ground state at "
            "beta_max: trace minimum %g vs E0 %g", tmin, e0);
  cr_expect(r->reached, "target E0 = %g not reached (best %g)", e0, r->best_energy);
  cr_expect(fabs(r->best_energy - e0) <= 1e-9 * fabs(e0));
  ceas_anneal_pt_result_free(r);
  /* trace_every must fall on exchange rounds */
  p.trace_every = 3;
  cr_expect_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), CEAS_EINPUT);
  cr_expect_null(r);
  ceas_anneal_problem_free(pb);
}

/* The lowest energy any walker held is the exact ground state of SK n = 16
 * instances (2^16 states enumerated by ceas_anneal_exact_ground), for 5 seeds: at
 * beta_max = 3 in these units the ground state carries most of the weight and
 * every walker visits it many times in 5000 sweeps, so missing it would mean a
 * broken sampler, not bad luck. */
Test(pt, finds_ground_states, .timeout = 120) {
  for (uint64_t seed = 1; seed <= 5; seed++) {
    ceas_anneal_problem *pb = sk(16, 100 + seed);
    double e0;
    uint64_t deg;
    cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
    ceas_anneal_pt_params p;
    ceas_anneal_pt_params_default(&p);
    p.temperatures = 8;
    p.beta_min = 0.2;
    p.beta_max = 3.0;
    p.sweeps = 5000;
    p.seed = seed;
    p.has_target = 1;
    p.target = e0;
    ceas_anneal_pt_result *r = NULL;
    cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), 0);
    cr_expect(fabs(r->best_energy - e0) <= 1e-9 * fabs(e0), "seed %llu: best %.12g vs E0 %.12g",
              (unsigned long long)seed, r->best_energy, e0);
    cr_expect(r->reached && r->sweeps_to_target <= 5000);
    cr_expect(fabs(ceas_anneal_energy(pb, r->best_config) - r->best_energy) < 1e-12);
    ceas_anneal_pt_result_free(r);
    ceas_anneal_problem_free(pb);
  }
}

Test(pt, bad_parameters) {
  ceas_anneal_problem *pb = sk(8, 1);
  ceas_anneal_pt_params p;
  ceas_anneal_pt_result *r = NULL;
  ceas_anneal_pt_params_default(&p);
  p.temperatures = 1;
  cr_expect_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), CEAS_EINPUT);
  ceas_anneal_pt_params_default(&p);
  p.beta_max = p.beta_min;
  cr_expect_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), CEAS_EINPUT);
  ceas_anneal_pt_params_default(&p);
  double ladder[3] = {0.1, 0.5, 0.4};
  p.temperatures = 3;
  p.ladder = ladder;
  cr_expect_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &p, NULL, &r), CEAS_EINPUT);
  cr_expect_null(r);
  ceas_anneal_problem_free(pb);
}

/* ---- the packed kernel --------------------------------------------------- */

static ceas_anneal_problem *ea4(uint64_t seed) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_ea(2, 4, CEAS_ANNEAL_BONDS_PM, seed, &pb), 0);
  return pb;
}

/* 64 PT systems on a 4x4 ±J glass: <E>/n at every temperature within 4 binned
 * errors of exact enumeration (the system average per round is the series, so the
 * correlation between the systems' shared uniforms is inside the error), and every
 * system finds the exact ground state. */
Test(pt, packed_kernel_samples_boltzmann_and_finds_ground_states, .timeout = 120) {
  ceas_anneal_problem *pb = ea4(11);
  int nedges = 0, ei[64], ej[64];
  double J[64];
  for (int64_t i = 0; i < pb->n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      if (pb->indices[k] > i) ei[nedges] = (int)i, ej[nedges] = pb->indices[k], J[nedges++] = pb->J[k];
  double e0;
  uint64_t deg;
  cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
  ceas_anneal_pt_params p;
  ceas_anneal_pt_params_default(&p);
  p.temperatures = 5;
  p.beta_min = 0.2;
  p.beta_max = 1.5;
  p.sweeps = 8000;
  p.seed = 3;
  p.has_target = 1;
  p.target = e0;
  ceas_anneal_pt_msc_result *r = NULL;
  cr_assert_eq(ceas_anneal_pt_msc_run(MPI_COMM_WORLD, pb, &p, NULL, &r), 0, "%s",
               ceas_error_message());
  for (int t = 0; t < 5; t++) {
    exact_thermo x;
    cr_assert_eq(exact_enum_graph(16, nedges, ei, ej, J, NULL, r->all.betas[t], &x), 0);
    cr_log_info("beta %.4f: <E>/n %.5f +- %.2g exact %.5f (%+.2f sigma)", r->all.betas[t],
                r->all.e_mean[t], r->all.e_err[t], x.e, (r->all.e_mean[t] - x.e) / r->all.e_err[t]);
    cr_expect(isfinite(r->all.e_err[t]) && fabs(r->all.e_mean[t] - x.e) <= 4 * r->all.e_err[t],
              "beta %g: <E>/n %.6f +- %.2g vs exact %.6f", r->all.betas[t], r->all.e_mean[t],
              r->all.e_err[t], x.e);
  }
  for (int c = 0; c < CEAS_ANNEAL_PT_SYSTEMS; c++) {
    cr_expect(r->reached[c] && r->best_energy[c] == e0, "system %d: best %g vs E0 %g", c,
              r->best_energy[c], e0);
    cr_expect(ceas_anneal_energy(pb, r->configs + 16 * c) == r->best_energy[c]);
  }
  cr_expect(r->all.round_trips > 0);
  ceas_anneal_pt_msc_result_free(r);
  ceas_anneal_problem_free(pb);
}
