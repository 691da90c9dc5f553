/* The NPU hardware model on every annealing method (src/anneal: sa.c, walk.c for
 * ceas and pt, the driver for sb and analog), each fact against a reference that
 * does not share the engine's code:
 *  - cost model: the counts of sa (int16, float and model sweeps, regular and
 *    irregular graphs), ceas, pt and the driver's copy of sb/analog equal a hand
 *    count on tiny instances (at beta = 0 every update flips, so the flipped
 *    degrees are known), and the energies are the counts times the pJ figures;
 *  - field noise: with a noise far below float32 resolution every method gives
 *    bitwise the results of the ideal method (the noise path reduces exactly to
 *    it); with real noise the results change and stay reproducible; on independent
 *    spins in a field h at beta -> infinity a spin ends aligned with probability
 *    1 - Phi(-1/sigma_rel) (sa async and sync, the walker, pt), within binomial
 *    errors;
 *  - synchronous updates: two coupled spins under synchronous Metropolis are
 *    absorbed in the anti-aligned two-cycle (s -> -s every sweep) at any beta,
 *    while asynchronous Metropolis samples the Boltzmann distribution (sa, walker,
 *    pt); on a frustrated SK instance the synchronous chain ends in a state where
 *    every spin opposes its field (a local energy maximum, flipping wholesale each
 *    sweep); ground-state success of both modes on enumerable instances is
 *    reported, with floors where the mode is a working optimiser;
 *  - bad NPU parameters are input errors naming the option. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_npu.h"
#include "anneal_private.h"
#include "anneal_machine.h"
#include "ceas_anneal_ceas.h"
#include "ceas_anneal_pt.h"
#include "mpi_fixture.h"

TestSuite(anneal_npu, .init = ceas_test_mpi_up, .fini = ceas_test_mpi_down);

/* ---- helpers ------------------------------------------------------------- */

static ceas_anneal_problem *build(int n, int ne, const int32_t *ei, const int32_t *ej,
                                  const double *J, const double *h) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_build(n, ne, ei, ej, J, h, CEAS_ANNEAL_SRC_COUPLINGS, "test", &pb),
               0, "%s", ceas_error_message());
  return pb;
}

static ceas_anneal_problem *sk(int64_t n, ceas_anneal_bonds b, uint64_t seed) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(n, b, seed, &pb), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_anneal_problem_set_dense(pb, -1), 0);
  return pb;
}

typedef struct {
  ceas_anneal_update update;
  double noise;
  int bits;
  ceas_anneal_order order;
  const ceas_anneal_cost_pj *pj;
  const void *method_params;
  int has_target;
  double target;
} npu_opts;

static ceas_anneal_result *run(const ceas_anneal_problem *pb, const ceas_anneal_method *m,
                               const ceas_anneal_schedule *s, uint64_t reads, uint64_t seed,
                               const npu_opts *o) {
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = s;
  p.seed = seed;
  p.update = o->update;
  p.field_noise = o->noise;
  p.j_bits = o->bits;
  p.order = o->order;
  p.cost_pj = o->pj;
  p.method_params = o->method_params;
  p.has_target = o->has_target;
  p.target = o->target;
  ceas_anneal_result *r = NULL;
  int rc = ceas_anneal_run(pb, m, &p, reads, NULL, NULL, NULL, &r);
  cr_assert_eq(rc, 0, "%s: %s", m->name, ceas_error_message());
  return r;
}

static ceas_anneal_schedule constant(double beta, uint64_t sweeps) {
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_LINEAR, beta, beta, sweeps, &s), 0);
  return s;
}

/* Everything a read reports but its wall times. */
static int same_reads(const ceas_anneal_result *a, const ceas_anneal_result *b, int64_t n) {
  if (a->reads != b->reads) return 0;
  for (uint64_t q = 0; q < a->reads; q++) {
    const ceas_anneal_read *x = &a->per_read[q], *y = &b->per_read[q];
    if (x->best_energy != y->best_energy || x->final_energy != y->final_energy ||
        x->best_sweep != y->best_sweep || x->flips != y->flips || x->updates != y->updates ||
        x->reached != y->reached || x->sweeps_to_target != y->sweeps_to_target ||
        x->cost.macs != y->cost.macs || x->cost.bytes != y->cost.bytes)
      return 0;
  }
  return !memcmp(a->configs, b->configs, (size_t)(a->reads * (uint64_t)n));
}

/* ---- cost model ---------------------------------------------------------- */

/* The machine's counts at beta = 0, where sa accepts every update (x = 0 <= 0):
 * S sweeps of n updates flip every site once per sweep, so the row updates sum to
 * S nnz MACs. Hand count: one MVM for the initial fields (nnz MACs, nnz cb + 8 n
 * bytes), S n spin updates, S nnz row MACs of cb + 8 bytes each. */
static void expect_sa_count(const ceas_anneal_problem *pb, const char *what,
                            const npu_opts *o, uint64_t S) {
  ceas_anneal_schedule s = constant(0.0, S);
  ceas_anneal_result *r = run(pb, &ceas_anneal_method_sa, &s, 2, 3, o);
  const uint64_t n = (uint64_t)pb->n, nnz = (uint64_t)pb->nnz;
  const uint64_t cb = o->bits == 0 ? 4 : (uint64_t)(o->bits + 7) / 8;
  ceas_anneal_cost_pj pj;
  if (o->pj)
    pj = *o->pj;
  else
    ceas_anneal_cost_pj_default(o->bits, &pj);
  for (uint64_t q = 0; q < 2; q++) {
    const ceas_anneal_read *rd = &r->per_read[q];
    cr_expect_eq(rd->flips, S * n, "%s: every update flips at beta 0", what);
    cr_expect_eq(rd->cost.spin_updates, S * n, "%s: updates", what);
    cr_expect_eq(rd->cost.macs, nnz + S * nnz, "%s: %llu MACs, hand count %llu", what,
                 (unsigned long long)rd->cost.macs, (unsigned long long)(nnz + S * nnz));
    cr_expect_eq(rd->cost.bytes, nnz * cb + 8 * n + S * nnz * (cb + 8),
                 "%s: %llu bytes, hand count %llu", what, (unsigned long long)rd->cost.bytes,
                 (unsigned long long)(nnz * cb + 8 * n + S * nnz * (cb + 8)));
    double e = (double)(S * n) * pj.spin_update + (double)(nnz + S * nnz) * pj.mac +
               (double)(nnz * cb + 8 * n + S * nnz * (cb + 8)) * pj.byte;
    cr_expect(fabs(rd->energy_pj - e) <= 1e-12 * e, "%s: %g pJ, hand count %g", what,
              rd->energy_pj, e);
  }
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&s);
}

Test(anneal_npu, cost_sa_hand_count) {
  /* A path 0-1-2-3 (degrees 1, 2, 2, 1: irregular, counted per flip) with +-1
   * couplings (int16 sweep) and Gaussian ones (float sweep); a ring of 5 (regular:
   * counted from the flips). nnz = 6 and 10. */
  int32_t ei[5] = {0, 1, 2, 3, 4}, ej[5] = {1, 2, 3, 4, 0};
  double pm[5] = {1, -1, 1, -1, 1}, ga[5] = {0.7, -1.3, 0.4, 2.1, -0.9};
  ceas_anneal_problem *path_pm = build(4, 3, ei, ej, pm, NULL);
  ceas_anneal_problem *path_ga = build(4, 3, ei, ej, ga, NULL);
  ceas_anneal_problem *ring = build(5, 5, ei, ej, ga, NULL);
  ceas_anneal_problem *ring_pm = build(5, 5, ei, ej, pm, NULL);
  cr_assert(path_pm->one_magnitude && !path_ga->one_magnitude);
  ceas_anneal_cost_pj user = {1.5, 0.25, 160.0};
  npu_opts o = {0};
  expect_sa_count(path_pm, "path +-1", &o, 7);
  expect_sa_count(path_ga, "path gauss", &o, 7);
  expect_sa_count(ring, "ring gauss", &o, 7);
  expect_sa_count(ring_pm, "ring +-1", &o, 7);
  o.bits = 3;
  expect_sa_count(path_ga, "path gauss, 3-bit couplings", &o, 5);
  o.bits = 12;
  o.pj = &user;
  expect_sa_count(ring, "ring gauss, 12-bit couplings, user pJ", &o, 5);
  o.bits = 0;
  o.update = CEAS_ANNEAL_UPDATE_SYNC;
  expect_sa_count(path_pm, "path +-1 sync", &o, 6);
  expect_sa_count(ring, "ring gauss sync", &o, 6);
  o.update = CEAS_ANNEAL_UPDATE_ASYNC;
  o.noise = 0.3; /* beta 0 accepts whatever the noise */
  expect_sa_count(path_ga, "path gauss with field noise", &o, 6);
  /* At finite beta on a regular graph each flip costs deg MACs: macs - nnz = 2 flips. */
  ceas_anneal_schedule s = constant(0.8, 40);
  npu_opts o2 = {0};
  ceas_anneal_result *r = run(ring, &ceas_anneal_method_sa, &s, 3, 5, &o2);
  for (int q = 0; q < 3; q++) {
    cr_expect_eq(r->per_read[q].cost.macs, 10 + 2 * r->per_read[q].flips);
    cr_expect(r->per_read[q].flips > 0 && r->per_read[q].flips < 200);
  }
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(path_pm);
  ceas_anneal_problem_free(path_ga);
  ceas_anneal_problem_free(ring);
  ceas_anneal_problem_free(ring_pm);
}

/* pt at a ladder {0, 1e-300}: e^{-beta dE} = 1, so every update flips (Gaussian
 * couplings: no dE = 0). M walkers x T sweeps; exchange rounds T / K move M energies
 * of 8 bytes each. ceas on a regular ring: macs = nnz + 2 flips, the controller
 * reads 4 n bytes per sweep. sb / analog: the driver reports the machine's steps. */
Test(anneal_npu, cost_pt_ceas_dyn_hand_count) {
  int32_t ei[5] = {0, 1, 2, 3, 4}, ej[5] = {1, 2, 3, 4, 0};
  double ga[5] = {0.7, -1.3, 0.4, 2.1, -0.9};
  ceas_anneal_problem *path = build(4, 3, ei, ej, ga, NULL); /* nnz 6 */
  ceas_anneal_problem *ring = build(5, 5, ei, ej, ga, NULL); /* nnz 10 */
  const double ladder[3] = {0.0, 1e-300, 2e-300};
  for (int bits = 0; bits <= 8; bits += 8)
    for (int M = 2; M <= 3; M++) {
      ceas_anneal_pt_params q;
      ceas_anneal_pt_params_default(&q);
      q.temperatures = M;
      q.ladder = ladder;
      q.sweeps = 12;
      q.exchange_every = 3;
      q.j_bits = bits;
      ceas_anneal_pt_result *t = NULL;
      cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, path, &q, NULL, &t), 0, "%s",
                   ceas_error_message());
      const uint64_t n = 4, nnz = 6, S = 12, rounds = 4, cb = bits ? 1 : 4, m = (uint64_t)M;
      cr_expect_eq(t->cost.spin_updates, m * S * n);
      cr_expect_eq(t->cost.macs, m * (nnz + S * nnz), "M %d bits %d: %llu MACs", M, bits,
                   (unsigned long long)t->cost.macs);
      cr_expect_eq(t->cost.bytes, m * (nnz * cb + 8 * n + S * nnz * (cb + 8)) + rounds * 8 * m,
                   "M %d bits %d: %llu bytes", M, bits, (unsigned long long)t->cost.bytes);
      ceas_anneal_pt_result_free(t);
    }
  /* ceas */
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, 0.2, 5, 30, &s), 0);
  npu_opts o = {0};
  ceas_anneal_result *r = run(ring, &ceas_anneal_method_ceas, &s, 3, 2, &o);
  for (int k = 0; k < 3; k++) {
    const ceas_anneal_read *rd = &r->per_read[k];
    cr_expect_eq(rd->cost.spin_updates, 30 * 5);
    cr_expect_eq(rd->cost.macs, 10 + 2 * rd->flips);
    cr_expect_eq(rd->cost.bytes, 10 * 4 + 8 * 5 + 2 * rd->flips * 12 + 30 * 4 * 5);
    cr_expect(rd->flips > 0);
  }
  ceas_anneal_result_free(r);
  /* sb / analog: S steps of (n updates, nnz MACs, nnz cb + 8 n bytes) plus the
   * positions (and sb's momenta) read and written. */
  const ceas_anneal_method *dyn[3] = {&ceas_anneal_method_sb_ballistic,
                                      &ceas_anneal_method_sb_discrete,
                                      &ceas_anneal_method_analog};
  for (int c = 0; c < 3; c++) {
    o.bits = c == 1 ? 8 : 0;
    r = run(ring, dyn[c], &s, 2, 1, &o);
    uint64_t cb = o.bits ? 1 : 4, xy = c < 2 ? 16 : 8;
    for (int k = 0; k < 2; k++) {
      cr_expect_eq(r->per_read[k].cost.spin_updates, 30 * 5, "%s", dyn[c]->name);
      cr_expect_eq(r->per_read[k].cost.macs, 30 * 10, "%s", dyn[c]->name);
      cr_expect_eq(r->per_read[k].cost.bytes, 30 * (10 * cb + 8 * 5 + xy * 5), "%s",
                   dyn[c]->name);
    }
    ceas_anneal_result_free(r);
  }
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(path);
  ceas_anneal_problem_free(ring);
}

/* ---- field noise --------------------------------------------------------- */

/* A noise of 1e-30 field scales cannot move a float32 (or double) field of a
 * problem whose fields are never exactly 0 (SK with an even number of +-1/sqrt(n)
 * couplings per spin: odd sums; Gaussian couplings: almost surely), so the noise
 * code must reproduce the ideal method bit for bit. A real noise must change the
 * runs, and repeat them exactly. */
Test(anneal_npu, vanishing_noise_is_the_ideal_method, .timeout = 60) {
  ceas_anneal_problem *pbs[2] = {sk(16, CEAS_ANNEAL_BONDS_PM, 7), sk(14, CEAS_ANNEAL_BONDS_GAUSS, 3)};
  const ceas_anneal_method *ms[5] = {&ceas_anneal_method_sa, &ceas_anneal_method_ceas,
                                     &ceas_anneal_method_sb_ballistic,
                                     &ceas_anneal_method_sb_discrete, &ceas_anneal_method_analog};
  for (int c = 0; c < 2; c++) {
    ceas_anneal_problem *pb = pbs[c];
    double b0, b1;
    ceas_anneal_default_betas(pb, &b0, &b1);
    ceas_anneal_schedule s;
    cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, 120, &s), 0);
    for (int k = 0; k < 6; k++) {
      const ceas_anneal_method *m = ms[k < 5 ? k : 0];
      npu_opts o = {0};
      if (k == 5) o.order = CEAS_ANNEAL_ORDER_RANDOM;
      ceas_anneal_result *ideal = run(pb, m, &s, 3, 11, &o);
      o.noise = 1e-30;
      ceas_anneal_result *tiny = run(pb, m, &s, 3, 11, &o);
      cr_expect(same_reads(ideal, tiny, pb->n), "%s (case %d, order %d): noise 1e-30 changed "
                "the run", m->name, c, (int)o.order);
      o.noise = 0.5;
      ceas_anneal_result *noisy = run(pb, m, &s, 3, 11, &o);
      ceas_anneal_result *again = run(pb, m, &s, 3, 11, &o);
      cr_expect(!same_reads(ideal, noisy, pb->n), "%s (case %d): noise 0.5 changed nothing",
                m->name, c);
      cr_expect(same_reads(noisy, again, pb->n), "%s (case %d): noisy run not reproducible",
                m->name, c);
      /* Read r is a function of (seed, r) alone, noise included. */
      ceas_anneal_result *one = run(pb, m, &s, 1, 11, &o);
      cr_expect(one->per_read[0].best_energy == noisy->per_read[0].best_energy &&
                    one->per_read[0].flips == noisy->per_read[0].flips,
                "%s: read 0 depends on the number of reads", m->name);
      ceas_anneal_result_free(ideal);
      ceas_anneal_result_free(tiny);
      ceas_anneal_result_free(noisy);
      ceas_anneal_result_free(again);
      ceas_anneal_result_free(one);
    }
    /* pt */
    ceas_anneal_pt_params q;
    ceas_anneal_pt_params_default(&q);
    q.temperatures = 4;
    q.beta_min = b0;
    q.beta_max = b1;
    q.sweeps = 150;
    q.seed = 5;
    ceas_anneal_pt_result *t[3] = {NULL, NULL, NULL};
    const double sig[3] = {0, 1e-30, 0.5};
    for (int v = 0; v < 3; v++) {
      q.field_noise = sig[v];
      cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &q, NULL, &t[v]), 0);
    }
    int same = t[0]->best_energy == t[1]->best_energy && t[0]->best_sweep == t[1]->best_sweep &&
               !memcmp(t[0]->best_config, t[1]->best_config, (size_t)pb->n) &&
               t[0]->cost.macs == t[1]->cost.macs;
    for (int m = 0; m < 4; m++) same = same && t[0]->e_mean[m] == t[1]->e_mean[m];
    cr_expect(same, "pt (case %d): noise 1e-30 changed the run", c);
    int differ = t[0]->cost.macs != t[2]->cost.macs;
    for (int m = 0; m < 4; m++) differ = differ || t[0]->e_mean[m] != t[2]->e_mean[m];
    cr_expect(differ, "pt (case %d): noise 0.5 changed nothing", c);
    for (int v = 0; v < 3; v++) ceas_anneal_pt_result_free(t[v]);
    ceas_anneal_schedule_free(&s);
    ceas_anneal_problem_free(pb);
  }
}

/* Phi(x), the standard normal distribution function. */
static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* n independent spins in the field h (no couplings: field scale |h|). At beta so
 * large that only dE <= 0 is accepted, a visit sets s = sign(h + nu), nu ~
 * N(0, (sigma_rel h)^2): one sweep from any state leaves a spin aligned with
 * probability p = 1 - Phi(-1/sigma_rel), independently of the other spins. The
 * aligned fraction of the final states, E = -h (2 N_aligned - n), is within 4
 * binomial standard errors of p. The same for the walker (ceas, pt) and pt's
 * <E>/n averaged over its two walkers (rounds independent for the same reason). */
Test(anneal_npu, noise_statistics_on_free_spins, .timeout = 60) {
  enum { N = 4096 };
  static double h[N];
  const double hv = 3.0;
  for (int i = 0; i < N; i++) h[i] = hv;
  int32_t none = 0;
  double nj = 0;
  ceas_anneal_problem *pb = build(N, 0, &none, &none, &nj, h);
  cr_assert(fabs(pb->field_scale - hv) < 1e-12);
  const double rel[2] = {1.0, 0.5};
  for (int c = 0; c < 2; c++) {
    const double p = 1.0 - Phi(-1.0 / rel[c]);
    ceas_anneal_schedule s = constant(1e7, 3);
    for (int u = 0; u < 2; u++) {
      npu_opts o = {0};
      o.noise = rel[c];
      o.update = u ? CEAS_ANNEAL_UPDATE_SYNC : CEAS_ANNEAL_UPDATE_ASYNC;
      const int R = 4;
      ceas_anneal_result *r = run(pb, &ceas_anneal_method_sa, &s, R, 17, &o);
      double aligned = 0;
      for (int q = 0; q < R; q++) aligned += (N - r->per_read[q].final_energy / hv) / 2;
      double frac = aligned / (R * N), err = sqrt(p * (1 - p) / (R * N));
      cr_expect(fabs(frac - p) < 4 * err, "sa %s sigma %g: aligned %.5f, expected %.5f +- %.5f",
                u ? "sync" : "async", rel[c], frac, p, err);
      ceas_anneal_result_free(r);
    }
    ceas_anneal_schedule_free(&s);
    /* the walker: 8 walkers (ids) of one read, 2 sweeps each */
    anneal_machine w;
    cr_assert_eq(ceas_anneal_machine_alloc(pb, rel[c], 0, 0, &w), 0);
    double aligned = 0;
    ceas_rng_key key = {9, 0};
    for (uint64_t id = 0; id < 8; id++) {
      ceas_anneal_machine_start_walker(&w, key, id, 1, 2, 9, 0);
      for (uint64_t k = 0; k < 2; k++) ceas_anneal_machine_sweep(&w, k, 1e7);
      for (int i = 0; i < N; i++) aligned += w.s[i] > 0;
      /* The noise perturbs decisions only: the running energy is the exact one up
       * to the float32 rounding of the fields (relative 2^-24 per term). */
      cr_expect(fabs(w.E - ceas_anneal_energy(pb, w.s)) < 1e-6 * pb->abs_sum,
                "the walker's energy stays exact under noise");
    }
    ceas_anneal_machine_free(&w);
    double frac = aligned / (8.0 * N), err = sqrt(p * (1 - p) / (8.0 * N));
    cr_expect(fabs(frac - p) < 4 * err, "walker sigma %g: aligned %.5f, expected %.5f +- %.5f",
              rel[c], frac, p, err);
    /* pt: <E>/n = -h (2p - 1); per round, E/n has variance 4 h^2 p (1-p) / n */
    ceas_anneal_pt_params q;
    ceas_anneal_pt_params_default(&q);
    const double ladder[2] = {1e7, 2e7};
    q.temperatures = 2;
    q.ladder = ladder;
    q.sweeps = 200;
    q.field_noise = rel[c];
    ceas_anneal_pt_result *t = NULL;
    cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &q, NULL, &t), 0);
    /* The exchanges hand the lower energy of the pair to the larger beta (the noisy
     * walkers are not in equilibrium at these betas), so only the mean over both
     * temperatures, i.e. over both walkers, has the free-spin value. */
    double want = -hv * (2 * p - 1), e = 2 * hv * sqrt(p * (1 - p) / (2 * N * 200.0));
    double got = (t->e_mean[0] + t->e_mean[1]) / 2;
    cr_expect(fabs(got - want) < 4 * e, "pt sigma %g: <E>/n %.5f, expected %.5f +- %.5f",
              rel[c], got, want, e);
    ceas_anneal_pt_result_free(t);
  }
  ceas_anneal_problem_free(pb);
  /* The walkers' noise blocks: fill at an offset equals the per-site draw. */
  ceas_anneal_noise nz;
  ceas_anneal_noise_init(&nz, 4, 2, CEAS_ANNEAL_PURPOSE_FIELD_NOISE, 1.0);
  float buf[37];
  for (uint64_t site0 = 0; site0 <= 400; site0 += 40) {
    ceas_anneal_noise_fill(&nz, 77, site0, 37, buf);
    for (int i = 0; i < 37; i++)
      cr_expect_eq(buf[i], ceas_anneal_noise_site(&nz, 77, (int64_t)site0 + i));
  }
}

/* ---- synchronous updates ------------------------------------------------- */

/* Two spins, E = -J s1 s2 (J = 1), constant beta = 0.5. Synchronous Metropolis:
 * from the anti-aligned pair both spins see dE = -2J and flip together, into the
 * other anti-aligned pair: an absorbing two-cycle; from an aligned pair each flips
 * with a = e^{-2 beta J}, leaving it with probability 2a(1-a) per sweep. After 60
 * sweeps every read sits in the cycle (P(still aligned) < 1e-16): E_final = +J,
 * the highest energy. Asynchronous Metropolis samples the Boltzmann distribution:
 * P(aligned) = 1 / (1 + e^{-2 beta J}) = 0.731, within 4 binomial errors. The same
 * for the walker (ceas and pt sweeps) and for pt's <E>/n = +J/2 (sync) against the
 * exact -tanh(beta J)/2 (async) at both temperatures of a two-rung ladder. */
Test(anneal_npu, sync_two_spins_fall_into_the_two_cycle, .timeout = 60) {
  int32_t ei = 0, ej = 1;
  double J = 1.0;
  ceas_anneal_problem *pb = build(2, 1, &ei, &ej, &J, NULL);
  const double beta = 0.5, p_al = 1.0 / (1.0 + exp(-2 * beta));
  const int R = 400, S = 60;
  ceas_anneal_schedule s = constant(beta, S);
  for (int u = 0; u < 2; u++) {
    npu_opts o = {0};
    o.update = u ? CEAS_ANNEAL_UPDATE_SYNC : CEAS_ANNEAL_UPDATE_ASYNC;
    ceas_anneal_result *r = run(pb, &ceas_anneal_method_sa, &s, (uint64_t)R, 4, &o);
    int aligned = 0, cycling_from_start = 0;
    for (int q = 0; q < R; q++) {
      aligned += r->per_read[q].final_energy == -1.0;
      cycling_from_start += r->per_read[q].flips == 2 * (uint64_t)S;
    }
    if (u) {
      cr_expect_eq(aligned, 0, "sa sync: %d of %d reads end aligned", aligned, R);
      /* Half the initial states are anti-aligned and cycle from the first sweep. */
      cr_expect(fabs(cycling_from_start - R / 2.0) < 4 * sqrt(R / 4.0),
                "sa sync: %d reads cycle from the start", cycling_from_start);
    } else {
      double err = sqrt(p_al * (1 - p_al) / R);
      cr_expect(fabs((double)aligned / R - p_al) < 4 * err,
                "sa async: aligned fraction %.4f, Boltzmann %.4f +- %.4f",
                (double)aligned / R, p_al, err);
    }
    ceas_anneal_result_free(r);
  }
  ceas_anneal_schedule_free(&s);
  /* the walker */
  for (int u = 0; u < 2; u++) {
    anneal_machine w;
    cr_assert_eq(ceas_anneal_machine_alloc(pb, 0.0, u, 0, &w), 0);
    int aligned = 0;
    for (uint64_t id = 0; id < (uint64_t)R; id++) {
      ceas_rng_key key = {21, 0};
      ceas_anneal_machine_start_walker(&w, key, id, 1, 2, 21, 0);
      for (uint64_t k = 0; k < (uint64_t)S; k++) ceas_anneal_machine_sweep(&w, k, beta);
      aligned += w.s[0] == w.s[1];
      cr_expect_eq(w.E, -J * w.s[0] * w.s[1]);
    }
    if (u) {
      cr_expect_eq(aligned, 0, "walker sync: %d of %d end aligned", aligned, R);
    } else {
      double err = sqrt(p_al * (1 - p_al) / R);
      cr_expect(fabs((double)aligned / R - p_al) < 4 * err, "walker async: %.4f vs %.4f",
                (double)aligned / R, p_al);
    }
    ceas_anneal_machine_free(&w);
  }
  /* pt: burn-in of one tuning round (a two-rung ladder keeps its ends), then <E>/n */
  const double ladder[2] = {0.5, 0.8};
  for (int u = 0; u < 2; u++) {
    ceas_anneal_pt_params q;
    ceas_anneal_pt_params_default(&q);
    q.temperatures = 2;
    q.ladder = ladder;
    q.sweeps = 4000;
    q.tune_rounds = 1;
    q.tune_sweeps = 100;
    q.sync = u;
    ceas_anneal_pt_result *t = NULL;
    cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &q, NULL, &t), 0);
    for (int m = 0; m < 2; m++) {
      if (u) {
        cr_expect_eq(t->e_mean[m], 0.5, "pt sync beta %g: <E>/n %g", ladder[m], t->e_mean[m]);
      } else {
        double want = -tanh(ladder[m] * J) / 2;
        cr_expect(isfinite(t->e_err[m]) && fabs(t->e_mean[m] - want) < 4 * t->e_err[m],
                  "pt async beta %g: <E>/n %g +- %g, exact %g", ladder[m], t->e_mean[m],
                  t->e_err[m], want);
      }
    }
    ceas_anneal_pt_result_free(t);
  }
  ceas_anneal_problem_free(pb);
}

/* The general case of the two-cycle: a state in which every spin opposes its
 * field (a local maximum of E) is absorbing under synchronous Metropolis, since all
 * n flips are downhill, and without fields the flipped state -s is again one. On a
 * frustrated SK instance (n = 16, +-1/sqrt(n), no zero fields) at beta = 1 (one
 * field scale) every walker ends in such a state after 200 sweeps, and the next
 * sweep flips all n spins and keeps the energy; asynchronous walkers at the same
 * beta are never found there: such a state has E = sum_i |f_i| / 2 >= 2 (every
 * |f_i| >= 1/4), E_0 = -10, Boltzmann weight at most e^{-12} relative to the ground
 * state. */
Test(anneal_npu, sync_is_absorbed_by_local_maxima) {
  ceas_anneal_problem *pb = sk(16, CEAS_ANNEAL_BONDS_PM, 7);
  double f[16];
  for (int u = 0; u < 2; u++) {
    anneal_machine w;
    cr_assert_eq(ceas_anneal_machine_alloc(pb, 0.0, u, 0, &w), 0);
    int at_max = 0;
    const int W = 64;
    for (uint64_t id = 0; id < (uint64_t)W; id++) {
      ceas_rng_key key = {3, 1};
      ceas_anneal_machine_start_walker(&w, key, id, 1, 2, 3, 1);
      uint64_t k = 0;
      for (; k < 200; k++) ceas_anneal_machine_sweep(&w, k, 1.0);
      ceas_anneal_machine_fields(&w, f);
      int all = 1;
      for (int i = 0; i < 16; i++) all = all && w.s[i] * f[i] < 0;
      at_max += all;
      if (u && all) {
        double e = w.E;
        int8_t before[16];
        memcpy(before, w.s, 16);
        cr_expect_eq(ceas_anneal_machine_sweep(&w, k, 1.0), 16);
        for (int i = 0; i < 16; i++) cr_expect_eq(w.s[i], -before[i]);
        cr_expect(fabs(w.E - e) < 1e-12 && e > 0, "the cycle keeps its (positive) energy");
      }
    }
    if (u)
      cr_expect_eq(at_max, W, "sync: %d of %d walkers at a local maximum", at_max, W);
    else
      cr_expect_eq(at_max, 0, "async: %d of %d walkers at a local maximum", at_max, W);
    ceas_anneal_machine_free(&w);
  }
  /* sa under sync on its default schedule ends every read in such a state: E > 0. */
  double b0, b1;
  ceas_anneal_default_betas(pb, &b0, &b1);
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, 400, &s), 0);
  npu_opts o = {0};
  o.update = CEAS_ANNEAL_UPDATE_SYNC;
  ceas_anneal_result *r = run(pb, &ceas_anneal_method_sa, &s, 16, 1, &o);
  for (int q = 0; q < 16; q++)
    cr_expect(r->per_read[q].final_energy > 0, "sa sync read %d ends at E = %g", q,
              r->per_read[q].final_energy);
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(pb);
}

/* Ground states of enumerable frustrated instances with both update modes: the
 * success probability over 32 reads of each method is reported (stderr) and,
 * where the mode works as an optimiser, held to a floor. Async: every method
 * found the ground state in 32 of 32 reads when measured; floor 24 (a true rate
 * >= 0.95 gives <= 23 with probability < 1e-4). Sync: pt keeps the best state its
 * walkers pass through before they fall into the two-cycles, measured 8/32 (SK
 * n = 16 +-J, seed 7) and 32/32 (ea2d L = 4 +-J, seed 5); floor 2 (a true rate
 * >= 0.25 gives <= 1 with probability < 2e-3). sa and ceas under sync are
 * absorbed by local maxima (test above) and were measured at 0/32: reported only. */
Test(anneal_npu, sync_and_async_ground_states, .timeout = 120) {
  ceas_anneal_problem *pbs[2] = {sk(16, CEAS_ANNEAL_BONDS_PM, 7), NULL};
  cr_assert_eq(ceas_anneal_problem_ea(2, 4, CEAS_ANNEAL_BONDS_PM, 5, &pbs[1]), 0);
  for (int c = 0; c < 2; c++) {
    ceas_anneal_problem *pb = pbs[c];
    double e0, b0, b1;
    uint64_t deg;
    cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
    ceas_anneal_default_betas(pb, &b0, &b1);
    ceas_anneal_schedule s;
    cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, 400, &s), 0);
    for (int u = 0; u < 2; u++) {
      const ceas_anneal_method *ms[2] = {&ceas_anneal_method_sa, &ceas_anneal_method_ceas};
      int succ[3] = {0, 0, 0};
      for (int k = 0; k < 2; k++) {
        npu_opts o = {0};
        o.update = u ? CEAS_ANNEAL_UPDATE_SYNC : CEAS_ANNEAL_UPDATE_ASYNC;
        o.has_target = 1;
        o.target = e0;
        ceas_anneal_result *r = run(pb, ms[k], &s, 32, 1, &o);
        succ[k] = (int)r->successes;
        ceas_anneal_result_free(r);
      }
      for (uint64_t read = 0; read < 32; read++) {
        ceas_anneal_pt_params q;
        ceas_anneal_pt_params_default(&q);
        q.temperatures = 16;
        q.beta_min = b0;
        q.beta_max = b1;
        q.sweeps = 400;
        q.read = read;
        q.sync = u;
        q.has_target = 1;
        q.target = e0;
        ceas_anneal_pt_result *t = NULL;
        cr_assert_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &q, NULL, &t), 0);
        succ[2] += t->reached;
        ceas_anneal_pt_result_free(t);
      }
      fprintf(stderr, "%s, %s updates: ground state in sa %d, ceas %d, pt %d of 32 reads\n",
              pb->origin, u ? "sync" : "async", succ[0], succ[1], succ[2]);
      if (!u) {
        for (int k = 0; k < 3; k++)
          cr_expect(succ[k] >= 24, "%s async method %d: %d of 32", pb->origin, k, succ[k]);
      } else {
        cr_expect(succ[2] >= 2, "%s sync pt: %d of 32", pb->origin, succ[2]);
      }
    }
    ceas_anneal_schedule_free(&s);
    ceas_anneal_problem_free(pb);
  }
}

/* ---- bad parameters ------------------------------------------------------ */

Test(anneal_npu, bad_npu_parameters_are_input_errors) {
  ceas_anneal_problem *pb = sk(8, CEAS_ANNEAL_BONDS_PM, 1);
  ceas_anneal_schedule s = constant(1.0, 10);
  ceas_anneal_params p;
  ceas_anneal_result *r = NULL;
  struct {
    double noise;
    int update, bits;
    ceas_anneal_order order;
    const char *want;
  } cases[] = {{-0.1, 0, 0, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--field-noise"},
               {NAN, 0, 0, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--field-noise"},
               {INFINITY, 0, 0, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--field-noise"},
               {0, 2, 0, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--update"},
               {0, 1, 0, CEAS_ANNEAL_ORDER_RANDOM, "--order random"},
               {0, 0, 1, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--j-bits"},
               {0, 0, 33, CEAS_ANNEAL_ORDER_SEQUENTIAL, "--j-bits"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int k = 0; ceas_anneal_methods[k]; k++) {
      ceas_anneal_params_default(&p);
      p.schedule = &s;
      p.field_noise = cases[c].noise;
      p.update = (ceas_anneal_update)cases[c].update;
      p.j_bits = cases[c].bits;
      p.order = cases[c].order;
      int rc = ceas_anneal_run(pb, ceas_anneal_methods[k], &p, 2, NULL, NULL, NULL, &r);
      cr_expect_eq(rc, CEAS_EINPUT, "%s case %zu: rc %d", ceas_anneal_methods[k]->name, c, rc);
      cr_expect(r == NULL);
      cr_expect(strstr(ceas_error_message(), cases[c].want) != NULL, "%s case %zu: '%s'",
                ceas_anneal_methods[k]->name, c, ceas_error_message());
    }
  ceas_anneal_cost_pj bad = {1, -1, 1};
  ceas_anneal_params_default(&p);
  p.schedule = &s;
  p.cost_pj = &bad;
  cr_expect_eq(ceas_anneal_run(pb, &ceas_anneal_method_sa, &p, 1, NULL, NULL, NULL, &r),
               CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--cost-pj") != NULL);
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_default(0, &pj);
  cr_expect_eq(ceas_anneal_cost_pj_parse("", &pj), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_cost_pj_parse("mac", &pj), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_cost_pj_parse("mac=inf", &pj), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_cost_pj_parse("update=2,mac=0.5", &pj), 0);
  cr_expect(pj.spin_update == 2 && pj.mac == 0.5 && fabs(pj.byte - 1.25) < 1e-15);
  /* pt checks its own noise */
  ceas_anneal_pt_params q;
  ceas_anneal_pt_params_default(&q);
  q.field_noise = -1;
  ceas_anneal_pt_result *t = NULL;
  cr_expect_eq(ceas_anneal_pt_run(MPI_COMM_WORLD, pb, &q, NULL, &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--field-noise") != NULL);
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(pb);
}
