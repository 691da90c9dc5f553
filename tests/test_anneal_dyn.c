/* src/anneal analog dynamics and the NPU hardware model (anneal_npu.h), each
 * against a reference that does not share its code:
 *  - bSB, dSB (Goto et al., Sci. Adv. 7, eabe7953 (2021)) and the mean-field CIM
 *    amplitude dynamics find the ground state that exact enumeration
 *    (ceas_anneal_exact_ground) gives, with a success rate above a stated floor;
 *  - quantisation with bits = 0 is the identity, bit for bit, for the couplings and
 *    for every method's results; round-to-nearest moves no coupling by more than
 *    half a grid step; stochastic rounding is unbiased (mean over seeds within its
 *    binomial error); the rms error of nearest rounding is step/sqrt(12) (uniform
 *    rounding error) within its sampling error;
 *  - the cost model gives exactly the hand count of a tiny run;
 *  - the analog field noise has mean 0 and variance sigma^2 within error, and the
 *    bulk and per-site draws agree;
 *  - the AVX2 and baseline matrix-vector products give bitwise the same runs, and
 *    the dense and sparse products agree within float32 rounding. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anneal_npu.h"
#include "anneal_private.h"
#include "mc_support.h"

static const ceas_anneal_method *const dyn_methods[3] = {
    &ceas_anneal_method_sb_ballistic, &ceas_anneal_method_sb_discrete,
    &ceas_anneal_method_analog};

static ceas_anneal_result *run(const ceas_anneal_problem *pb, const ceas_anneal_method *m,
                               uint64_t steps, uint64_t reads, uint64_t seed, int has_target,
                               double target, uint64_t trace_every) {
  ceas_anneal_schedule s;
  /* sb and analog ignore beta; sa (in the identity test) gets a real schedule. */
  double b0, b1;
  ceas_anneal_default_betas(pb, &b0, &b1);
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, steps, &s), 0);
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &s;
  p.seed = seed;
  p.has_target = has_target;
  p.target = target;
  p.trace_every = trace_every;
  ceas_anneal_result *r = NULL;
  int rc = ceas_anneal_run(pb, m, &p, reads, NULL, NULL, NULL, &r);
  cr_assert_eq(rc, 0, "%s: %s", m->name, ceas_error_message());
  ceas_anneal_schedule_free(&s);
  return r;
}

/* A reproducible random graph with Gaussian couplings and fields (the test's own
 * LCG, unrelated to the engine's generators). */
static double lcg_u(uint64_t *x) {
  *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*x >> 11) * 0x1.0p-53;
}

static ceas_anneal_problem *random_problem(int n, double dens, int fields, uint64_t seed) {
  int ei[400], ej[400], ne = 0;
  double J[400], h[32];
  uint64_t x = seed * 2654435761u + 1;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (lcg_u(&x) < dens && ne < 400) {
        ei[ne] = i;
        ej[ne] = j;
        J[ne++] = sqrt(-2 * log(lcg_u(&x) + 1e-300)) * cos(6.283185307179586 * lcg_u(&x));
      }
  for (int i = 0; i < n; i++) h[i] = fields ? lcg_u(&x) - 0.5 : 0.0;
  const char *path = mc_write_edge_list(n, ne, ei, ej, J, h);
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_from_couplings(path, &pb), 0, "%s", ceas_error_message());
  unlink(path);
  return pb;
}

/* ---- ground states ------------------------------------------------------- */

/* Each method finds the enumerated ground state of SK n = 16 (±1/4, seeds 1..5) and
 * 2D ±J 4x4 glasses (seeds 5, 6) in at least 20 of R = 32 reads of 400 steps with
 * the default parameters. A method whose true rate were 0.3 would pass one instance
 * with probability P(Bin(32, 0.3) >= 20) = 1.4e-4; measured counts are 23 - 32 of
 * 32 (docs/anneal_dynamics.md), and a method with true rate 0.8 would fail an
 * instance with probability 0.006 (the runs are deterministic: these numbers say
 * how much the floor tells, not how often the test flips). dSB, alone robust to amplitude
 * heterogeneity, also on a Gaussian SK n = 20 instance. */
Test(anneal_dyn, finds_exact_ground_states, .timeout = 120) {
  const uint64_t R = 32, steps = 400;
  ceas_anneal_problem *pbs[8] = {0};
  for (int c = 0; c < 5; c++)
    cr_assert_eq(ceas_anneal_problem_sk(16, CEAS_ANNEAL_BONDS_PM, (uint64_t)c + 1, &pbs[c]), 0);
  cr_assert_eq(ceas_anneal_problem_ea(2, 4, CEAS_ANNEAL_BONDS_PM, 5, &pbs[5]), 0);
  cr_assert_eq(ceas_anneal_problem_ea(2, 4, CEAS_ANNEAL_BONDS_PM, 6, &pbs[6]), 0);
  cr_assert_eq(ceas_anneal_problem_sk(20, CEAS_ANNEAL_BONDS_GAUSS, 4, &pbs[7]), 0);
  for (int c = 0; c < 8; c++) {
    ceas_anneal_problem *pb = pbs[c];
    cr_assert_eq(ceas_anneal_problem_set_dense(pb, -1), 0);
    double e0;
    uint64_t deg;
    cr_assert_eq(ceas_anneal_exact_ground(pb, &e0, &deg, NULL), 0);
    for (int mi = 0; mi < 3; mi++) {
      const ceas_anneal_method *m = dyn_methods[mi];
      if (c == 7 && m != &ceas_anneal_method_sb_discrete) continue;
      ceas_anneal_result *r = run(pb, m, steps, R, 1, 1, e0, 0);
      cr_expect_geq(r->successes, 20, "%s on %s: %llu of %llu reads", m->name, pb->origin,
                    (unsigned long long)r->successes, (unsigned long long)R);
      cr_expect_geq(r->best_energy, e0 - 1e-9 * pb->abs_sum, "nothing below the minimum");
      for (uint64_t q = 0; q < R; q++) {
        const ceas_anneal_read *rd = &r->per_read[q];
        cr_expect_eq(rd->reached, rd->best_energy <= e0 + 1e-9 * fmax(1, fabs(e0)));
        cr_expect_eq(rd->best_energy, ceas_anneal_energy(pb, r->configs + q * (uint64_t)pb->n));
        cr_expect_leq(rd->best_energy, rd->final_energy);
        cr_expect_eq(rd->updates, steps * (uint64_t)pb->n);
        if (rd->reached && rd->sweeps_to_target)
          cr_expect_eq(rd->updates_to_target, rd->sweeps_to_target * (uint64_t)pb->n);
      }
      ceas_anneal_result_free(r);
    }
    ceas_anneal_problem_free(pb);
  }
}

/* ---- quantisation -------------------------------------------------------- */

static void expect_same_runs(const ceas_anneal_result *a, const ceas_anneal_result *b,
                             int64_t n, const char *what) {
  cr_assert_eq(a->reads, b->reads);
  for (uint64_t q = 0; q < a->reads; q++) {
    const ceas_anneal_read *x = &a->per_read[q], *y = &b->per_read[q];
    cr_expect(!memcmp(&x->best_energy, &y->best_energy, sizeof(double)), "%s", what);
    cr_expect(!memcmp(&x->final_energy, &y->final_energy, sizeof(double)), "%s", what);
    cr_expect_eq(x->best_sweep, y->best_sweep, "%s", what);
    cr_expect_eq(x->flips, y->flips, "%s", what);
  }
  cr_expect(!memcmp(a->configs, b->configs, (size_t)a->reads * (size_t)n), "%s", what);
  cr_assert_eq(a->trace_len, b->trace_len);
  if (a->trace_len)
    cr_expect(!memcmp(a->traces, b->traces, a->reads * a->trace_len * sizeof(double)), "%s",
              what);
}

/* bits = 0: every coupling and field bitwise unchanged, and sa, bSB, dSB and
 * analog give bitwise the same results on the copy as on the original. */
Test(anneal_dyn, quantize_zero_bits_is_the_identity, .timeout = 120) {
  ceas_anneal_problem *pbs[4] = {0};
  cr_assert_eq(ceas_anneal_problem_sk(24, CEAS_ANNEAL_BONDS_PM, 2, &pbs[0]), 0);
  cr_assert_eq(ceas_anneal_problem_sk(24, CEAS_ANNEAL_BONDS_GAUSS, 3, &pbs[1]), 0);
  cr_assert_eq(ceas_anneal_problem_ea(2, 5, CEAS_ANNEAL_BONDS_GAUSS, 4, &pbs[2]), 0);
  pbs[3] = random_problem(20, 0.4, 1, 9);
  const ceas_anneal_method *ms[4] = {&ceas_anneal_method_sa, &ceas_anneal_method_sb_ballistic,
                                     &ceas_anneal_method_sb_discrete,
                                     &ceas_anneal_method_analog};
  for (int c = 0; c < 4; c++) {
    ceas_anneal_problem *pb = pbs[c];
    cr_assert_eq(ceas_anneal_problem_set_dense(pb, -1), 0);
    for (int rnd = 0; rnd < 2; rnd++) {
      ceas_anneal_problem *q = NULL;
      ceas_anneal_quant_report rep;
      cr_assert_eq(ceas_anneal_quantize(pb, 0, (ceas_anneal_rounding)rnd, 7, &q, &rep), 0);
      cr_assert_eq(q->n, pb->n);
      cr_assert_eq(q->nnz, pb->nnz);
      cr_expect(!memcmp(q->indptr, pb->indptr, (size_t)(pb->n + 1) * sizeof *pb->indptr));
      cr_expect(!memcmp(q->indices, pb->indices, (size_t)pb->nnz * sizeof *pb->indices));
      cr_expect(!memcmp(q->J, pb->J, (size_t)pb->nnz * sizeof *pb->J));
      cr_expect(!memcmp(q->h, pb->h, (size_t)pb->n * sizeof *pb->h));
      cr_expect_eq(!!q->dense8, !!pb->dense8);
      cr_expect_eq(!!q->dense, !!pb->dense);
      cr_expect_eq(rep.max_err, 0.0);
      cr_expect_eq(rep.rms_err, 0.0);
      cr_expect_eq(rep.step, 0.0);
      if (rnd == 0)
        for (int mi = 0; mi < 4; mi++) {
          ceas_anneal_result *a = run(pb, ms[mi], 60, 3, 5, 0, 0, 10);
          ceas_anneal_result *b = run(q, ms[mi], 60, 3, 5, 0, 0, 10);
          expect_same_runs(a, b, pb->n, ms[mi]->name);
          ceas_anneal_result_free(a);
          ceas_anneal_result_free(b);
        }
      ceas_anneal_problem_free(q);
    }
    ceas_anneal_problem_free(pb);
  }
}

/* Round to nearest: |J_q - J| <= step/2 for every stored entry (plus the rounding of
 * the product q * step, at most 2^-52 j_max), J_q on the grid, symmetric; ±J
 * instances are unchanged for every bits >= 2 (±j_max are grid points). */
Test(anneal_dyn, quantize_nearest_within_half_step) {
  ceas_anneal_problem *pb = random_problem(30, 0.5, 1, 3);
  for (int bits = 2; bits <= 16; bits++) {
    ceas_anneal_problem *q = NULL;
    ceas_anneal_quant_report rep;
    cr_assert_eq(ceas_anneal_quantize(pb, bits, CEAS_ANNEAL_ROUND_NEAREST, 1, &q, &rep), 0);
    double levels = ldexp(1.0, bits - 1) - 1;
    cr_expect_eq(rep.step, rep.j_max / levels);
    double slack = 0x1p-52 * rep.j_max, worst = 0;
    for (int64_t i = 0; i < pb->n; i++)
      for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) {
        double d = fabs(q->J[k] - pb->J[k]);
        worst = fmax(worst, d);
        cr_expect_leq(d, rep.step / 2 + slack, "bits %d entry %lld", bits, (long long)k);
        double t = q->J[k] / rep.step;
        cr_expect(fabs(t - round(t)) < 1e-9 && fabs(round(t)) <= levels, "off the grid");
      }
    cr_expect_eq(worst / rep.j_max, rep.max_err);
    cr_expect_leq(rep.max_err, 0.5 / levels + 0x1p-52);
    /* The uniform rounding error of a fine grid has rms step/sqrt(12); with m
     * couplings the sampling error of the mean square is 0.894/sqrt(m) relative
     * (Var d^2 / (E d^2)^2 = 4/5), half that on the rms: 4 of those at bits >= 8. */
    if (bits >= 8) {
      double ratio = rep.rms_err * rep.j_max / rep.step / sqrt(1.0 / 12.0);
      cr_expect(fabs(ratio - 1) < 4 * 0.5 * 0.894 / sqrt((double)rep.couplings),
                "bits %d: rms/(step/sqrt 12) = %g", bits, ratio);
    }
    ceas_anneal_problem_free(q);
  }
  ceas_anneal_problem_free(pb);
  ceas_anneal_problem *sk = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(40, CEAS_ANNEAL_BONDS_PM, 8, &sk), 0);
  for (int bits = 2; bits <= 8; bits++)
    for (int rnd = 0; rnd < 2; rnd++) {
      ceas_anneal_problem *q = NULL;
      ceas_anneal_quant_report rep;
      cr_assert_eq(ceas_anneal_quantize(sk, bits, (ceas_anneal_rounding)rnd, 3, &q, &rep), 0);
      cr_expect(!memcmp(q->J, sk->J, (size_t)sk->nnz * sizeof *sk->J), "bits %d", bits);
      cr_expect_eq(rep.max_err, 0.0);
      cr_expect_eq(q->one_magnitude, 1);
      ceas_anneal_problem_free(q);
    }
  ceas_anneal_problem_free(sk);
}

/* Stochastic rounding: J_q is one of the two neighbouring grid points, both
 * directions agree, and over M seeds the mean of J_q estimates J without bias: the
 * z-score (mean - J) / (step sqrt(f (1 - f) / M)), f = frac(J / step), is below 5
 * for every coupling (m = O(100) couplings: a false alarm has probability
 * ~ m 6e-7) and the z-scores average to 0 within 4/sqrt(m). */
Test(anneal_dyn, quantize_stochastic_is_unbiased, .timeout = 60) {
  ceas_anneal_problem *pb = random_problem(24, 0.5, 0, 5);
  const int bits = 3, M = 400;
  double *sum = calloc((size_t)pb->nnz, sizeof *sum);
  double step = 0;
  for (int seed = 0; seed < M; seed++) {
    ceas_anneal_problem *q = NULL;
    ceas_anneal_quant_report rep;
    cr_assert_eq(
        ceas_anneal_quantize(pb, bits, CEAS_ANNEAL_ROUND_STOCHASTIC, (uint64_t)seed, &q, &rep),
        0);
    step = rep.step;
    for (int64_t i = 0; i < pb->n; i++)
      for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) {
        double t = pb->J[k] / step, v = q->J[k];
        cr_assert(fabs(v - floor(t) * step) < 1e-12 || fabs(v - ceil(t) * step) < 1e-12 ||
                      fabs(fabs(v) - rep.j_max) < 1e-15,
                  "not a neighbouring grid point");
        sum[k] += v;
        /* the reverse entry of the same coupling holds the same value */
        int32_t j = pb->indices[k];
        for (int64_t t2 = pb->indptr[j]; t2 < pb->indptr[j + 1]; t2++)
          if (pb->indices[t2] == i) cr_assert_eq(q->J[t2], v);
      }
    ceas_anneal_problem_free(q);
  }
  double zsum = 0;
  int m = 0;
  for (int64_t i = 0; i < pb->n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++) {
      if (pb->indices[k] < i) continue;
      double t = pb->J[k] / step, f = t - floor(t);
      if (f < 1e-12 || fabs(t) >= 3) continue; /* exactly on the grid or at ±j_max */
      double z = (sum[k] / M - pb->J[k]) / (step * sqrt(f * (1 - f) / M));
      cr_expect_lt(fabs(z), 5.0, "coupling %lld: z = %g", (long long)k, z);
      zsum += z;
      m++;
    }
  cr_assert_gt(m, 50);
  cr_expect_lt(fabs(zsum / m), 4.0 / sqrt((double)m), "mean z = %g over %d", zsum / m, m);
  free(sum);
  ceas_anneal_problem_free(pb);
}

Test(anneal_dyn, quantize_rejects_bad_bits_and_rescore_uses_true_couplings) {
  ceas_anneal_problem *pb = random_problem(12, 0.6, 0, 2), *q = NULL;
  cr_expect_eq(ceas_anneal_quantize(pb, 1, CEAS_ANNEAL_ROUND_NEAREST, 1, &q, NULL), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--j-bits") != NULL);
  cr_expect_eq(ceas_anneal_quantize(pb, 33, CEAS_ANNEAL_ROUND_NEAREST, 1, &q, NULL), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_quantize(pb, -1, CEAS_ANNEAL_ROUND_NEAREST, 1, &q, NULL), CEAS_EINPUT);
  cr_expect_null(q);
  ceas_anneal_rounding rr;
  cr_expect_eq(ceas_anneal_rounding_parse("stochastic", &rr), 0);
  cr_expect_eq(rr, CEAS_ANNEAL_ROUND_STOCHASTIC);
  cr_expect_eq(ceas_anneal_rounding_parse("floor", &rr), CEAS_EINPUT);
  cr_assert_eq(ceas_anneal_quantize(pb, 3, CEAS_ANNEAL_ROUND_NEAREST, 1, &q, NULL), 0);
  ceas_anneal_result *r = run(q, &ceas_anneal_method_sb_discrete, 50, 4, 1, 0, 0, 0);
  ceas_anneal_rescore(pb, r);
  double best = INFINITY;
  for (uint64_t k = 0; k < r->reads; k++) {
    double e = ceas_anneal_energy(pb, r->configs + k * (uint64_t)pb->n);
    cr_expect_eq(r->per_read[k].best_energy, e);
    best = fmin(best, e);
  }
  cr_expect_eq(r->best_energy, best);
  ceas_anneal_result_free(r);
  ceas_anneal_problem_free(q);
  ceas_anneal_problem_free(pb);
}

/* ---- cost model ---------------------------------------------------------- */

/* A 3-spin open chain 0-1-2 (2 couplings, nnz = 4 stored entries). One step of sb
 * by hand: 3 oscillator updates; one MVM = 4 MACs; bytes = 4 couplings x 4 (float32)
 * + 3 x 4 (state read) + 3 x 4 (fields written) + 3 x 16 (x and y read and written)
 * = 16 + 24 + 48 = 88. Five steps: 15 updates, 20 MACs, 440 bytes; with 8-bit
 * couplings 4 x 1 bytes: 380 bytes. analog moves only x: 3 x 8 instead of 3 x 16. */
Test(anneal_dyn, cost_model_hand_count) {
  int ei[2] = {0, 1}, ej[2] = {1, 2};
  double J[2] = {1.0, -0.5}, h[3] = {0, 0, 0};
  const char *path = mc_write_edge_list(3, 2, ei, ej, J, h);
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_from_couplings(path, &pb), 0);
  unlink(path);
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_LINEAR, 1, 1, 5, &s), 0);
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &s;
  ceas_anneal_dyn_params d;
  ceas_anneal_dyn_params_default(&d);
  struct {
    const ceas_anneal_method *m;
    int bits;
    uint64_t bytes;
  } cases[] = {{&ceas_anneal_method_sb_ballistic, 0, 440},
               {&ceas_anneal_method_sb_discrete, 8, 380},
               {&ceas_anneal_method_analog, 0, 5 * (16 + 24 + 24)},
               {&ceas_anneal_method_analog, 12, 5 * (8 + 24 + 24)}};
  for (int c = 0; c < 4; c++) {
    d.j_bits = cases[c].bits;
    void *w = NULL;
    cr_assert_eq(ceas_anneal_dyn_alloc(cases[c].m, pb, &p, &d, &w), 0, "%s",
                 ceas_error_message());
    int8_t best[3];
    ceas_anneal_read res;
    for (int rep = 0; rep < 2; rep++) { /* per read, not accumulated over reads */
      cr_assert_eq(cases[c].m->read(w, (uint64_t)rep, NULL, &res, best, NULL), 0);
      const ceas_anneal_cost *cost = ceas_anneal_dyn_cost(w);
      cr_expect_eq(cost->spin_updates, 15);
      cr_expect_eq(cost->macs, 20);
      cr_expect_eq(cost->bytes, cases[c].bytes, "%s bits %d: %llu bytes", cases[c].m->name,
                   cases[c].bits, (unsigned long long)cost->bytes);
    }
    cases[c].m->free(w);
  }
  /* Energies: defaults of Horowitz (ISSCC 2014) at 8-bit couplings. */
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_default(8, &pj);
  ceas_anneal_cost c8 = {15, 20, 380};
  cr_expect(fabs(ceas_anneal_cost_energy_pj(&c8, &pj) - (15 * 4.6 + 20 * 0.23 + 380 * 1.25)) <
            1e-9);
  ceas_anneal_cost_pj_default(0, &pj);
  cr_expect(fabs(pj.mac - 4.6) < 1e-12);
  ceas_anneal_cost_pj_default(16, &pj);
  cr_expect(fabs(pj.mac - 3.2) < 1e-12);
  cr_expect_eq(ceas_anneal_cost_pj_parse("mac=0.5,byte=160", &pj), 0);
  cr_expect_eq(pj.mac, 0.5);
  cr_expect_eq(pj.byte, 160);
  cr_expect(fabs(pj.spin_update - 4.6) < 1e-12);
  cr_expect_eq(ceas_anneal_cost_pj_parse("mac=-1", &pj), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_cost_pj_parse("flop=1", &pj), CEAS_EINPUT);
  cr_expect_eq(ceas_anneal_cost_pj_parse("mac=x", &pj), CEAS_EINPUT);
  cr_expect_eq(pj.mac, 0.5, "a rejected spec changes nothing");
  /* sa's bookkeeping: a flip of the middle spin touches 2 neighbours. */
  ceas_anneal_cost row;
  ceas_anneal_cost_row(pb, 1, 8, &row);
  cr_expect_eq(row.macs, 2);
  cr_expect_eq(row.bytes, 2 * (1 + 8));
  ceas_anneal_cost_row(pb, 0, 0, &row);
  cr_expect_eq(row.macs, 1);
  cr_expect_eq(row.bytes, 4 + 8);
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(pb);
}

/* ---- noise --------------------------------------------------------------- */

/* 4000 sites x 50 steps of N(0, sigma^2): the mean is within 5 sigma/sqrt(N) of 0 and
 * the variance within 5 sigma^2 sqrt(2/N) of sigma^2; the bulk fill equals the
 * per-site draw bit for bit; another read draws other numbers. */
Test(anneal_dyn, field_noise_is_gaussian_and_addressed) {
  const int64_t n = 4000;
  const int T = 50;
  const double sigma = 0.7;
  ceas_anneal_noise nz, other;
  ceas_anneal_noise_init(&nz, 11, 2, CEAS_ANNEAL_PURPOSE_FIELD_NOISE, sigma);
  ceas_anneal_noise_init(&other, 11, 3, CEAS_ANNEAL_PURPOSE_FIELD_NOISE, sigma);
  float *v = calloc((size_t)n, sizeof *v);
  double s1 = 0, s2 = 0, N = (double)n * T;
  int same = 0;
  for (int t = 0; t < T; t++) {
    memset(v, 0, (size_t)n * sizeof *v);
    ceas_anneal_noise_add(&nz, (uint64_t)t, n, v);
    for (int64_t i = 0; i < n; i++) {
      s1 += v[i];
      s2 += (double)v[i] * v[i];
      if (i % 97 == 0) {
        float z = ceas_anneal_noise_site(&nz, (uint64_t)t, i);
        cr_assert(!memcmp(&z, &v[i], sizeof z), "site %lld step %d", (long long)i, t);
        same += ceas_anneal_noise_site(&other, (uint64_t)t, i) == z;
      }
    }
  }
  double mean = s1 / N, var = s2 / N - mean * mean;
  cr_expect_lt(fabs(mean), 5 * sigma / sqrt(N), "mean %g", mean);
  cr_expect_lt(fabs(var - sigma * sigma), 5 * sigma * sigma * sqrt(2 / N), "var %g", var);
  cr_expect_eq(same, 0);
  free(v);
}

/* sb with field noise is reproducible (the same read draws the same numbers);
 * field_noise = 0 is the ideal machine, bitwise the run of the table's defaults. */
Test(anneal_dyn, field_noise_in_sb) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(32, CEAS_ANNEAL_BONDS_GAUSS, 1, &pb), 0);
  cr_assert_eq(ceas_anneal_problem_set_dense(pb, -1), 0);
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_LINEAR, 1, 1, 100, &s), 0);
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &s;
  double e[3];
  int8_t cfg[3][32];
  for (int c = 0; c < 3; c++) {
    ceas_anneal_dyn_params d;
    ceas_anneal_dyn_params_default(&d);
    d.field_noise = c == 0 ? 0.0 : 0.5;
    void *w = NULL;
    cr_assert_eq(ceas_anneal_dyn_alloc(&ceas_anneal_method_sb_ballistic, pb, &p, &d, &w), 0);
    ceas_anneal_read res;
    cr_assert_eq(ceas_anneal_method_sb_ballistic.read(w, 0, NULL, &res, cfg[c], NULL), 0);
    e[c] = res.final_energy;
    ceas_anneal_method_sb_ballistic.free(w);
  }
  ceas_anneal_result *r = run(pb, &ceas_anneal_method_sb_ballistic, 100, 1, 1, 0, 0, 0);
  cr_expect(!memcmp(r->configs, cfg[0], 32));
  cr_expect_eq(r->per_read[0].final_energy, e[0]);
  cr_expect_eq(e[1], e[2]);
  cr_expect(!memcmp(cfg[1], cfg[2], 32));
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(pb);
}

/* ---- the machine's products ---------------------------------------------- */

/* Dense (int8 and float32) and CSR products agree within float32 rounding: each
 * output is a sum of nnz_i products, so |dense - sparse| <= 2 nnz_i 2^-24 sum |J x|. */
Test(anneal_dyn, dense_and_sparse_products_agree) {
  for (int b = 0; b < 2; b++) {
    ceas_anneal_problem *pb = NULL;
    cr_assert_eq(ceas_anneal_problem_sk(67, (ceas_anneal_bonds)b, 4, &pb), 0);
    int64_t n = pb->n;
    float *x = malloc((size_t)n * sizeof *x), *yd = malloc((size_t)n * sizeof *yd),
          *ys = malloc((size_t)n * sizeof *ys);
    uint64_t st = 5;
    for (int64_t i = 0; i < n; i++) x[i] = (float)(2 * lcg_u(&st) - 1);
    ceas_anneal_mvm(pb, x, ys);
    cr_assert_eq(ceas_anneal_problem_set_dense(pb, 1), 0);
    cr_assert(b == 0 ? pb->dense8 != NULL : pb->dense != NULL);
    ceas_anneal_mvm(pb, x, yd);
    for (int64_t i = 0; i < n; i++) {
      double bound = 0;
      for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
        bound += fabs(pb->Jf[k] * x[pb->indices[k]]);
      bound *= 2.0 * (double)n * 0x1p-24;
      cr_expect_leq(fabs((double)yd[i] - ys[i]), bound, "row %lld", (long long)i);
    }
    free(x);
    free(yd);
    free(ys);
    ceas_anneal_problem_free(pb);
  }
}

/* The AVX2 kernels and the baseline loops give bitwise the same runs (the products
 * keep 16 fixed lanes). The environment is read when a run allocates. */
Test(anneal_dyn, avx2_and_baseline_agree) {
  ceas_anneal_problem *pbs[2] = {0};
  cr_assert_eq(ceas_anneal_problem_sk(70, CEAS_ANNEAL_BONDS_PM, 6, &pbs[0]), 0);
  cr_assert_eq(ceas_anneal_problem_sk(70, CEAS_ANNEAL_BONDS_GAUSS, 6, &pbs[1]), 0);
  for (int c = 0; c < 2; c++) {
    cr_assert_eq(ceas_anneal_problem_set_dense(pbs[c], 1), 0);
    for (int mi = 0; mi < 3; mi++) {
      unsetenv("CEASIM_NO_AVX2");
      ceas_anneal_result *a = run(pbs[c], dyn_methods[mi], 200, 2, 3, 0, 0, 20);
      setenv("CEASIM_NO_AVX2", "1", 1);
      ceas_anneal_result *b = run(pbs[c], dyn_methods[mi], 200, 2, 3, 0, 0, 20);
      unsetenv("CEASIM_NO_AVX2");
      expect_same_runs(a, b, pbs[c]->n, dyn_methods[mi]->name);
      ceas_anneal_result_free(a);
      ceas_anneal_result_free(b);
    }
    ceas_anneal_problem_free(pbs[c]);
  }
}

/* ---- bad parameters ------------------------------------------------------ */

Test(anneal_dyn, bad_parameters_are_input_errors) {
  ceas_anneal_problem *pb = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(8, CEAS_ANNEAL_BONDS_PM, 1, &pb), 0);
  ceas_anneal_schedule s;
  cr_assert_eq(ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_LINEAR, 1, 1, 10, &s), 0);
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &s;
  void *w = NULL;
  ceas_anneal_dyn_params d;
  for (int c = 0; c < 6; c++) {
    ceas_anneal_dyn_params_default(&d);
    const char *opt = NULL;
    const ceas_anneal_method *m = c < 3 ? &ceas_anneal_method_sb_ballistic : &ceas_anneal_method_analog;
    switch (c) {
      case 0: d.dt = 0; opt = "--dt"; break;
      case 1: d.c0 = -1; opt = "--c0"; break;
      case 2: d.x_init = 2; opt = "--x-init"; break;
      case 3: d.noise = -0.1; opt = "--noise"; break;
      case 4: d.j_bits = 1; opt = "--j-bits"; break;
      case 5: d.check_every = 0; opt = "--check-every"; break;
    }
    cr_expect_eq(ceas_anneal_dyn_alloc(m, pb, &p, &d, &w), CEAS_EINPUT, "case %d", c);
    cr_expect(strstr(ceas_error_message(), opt) != NULL, "'%s' names %s", ceas_error_message(),
              opt);
    cr_expect_null(w);
  }
  p.order = CEAS_ANNEAL_ORDER_RANDOM;
  for (int mi = 0; mi < 3; mi++) {
    ceas_anneal_result *r = NULL;
    cr_expect_eq(ceas_anneal_run(pb, dyn_methods[mi], &p, 1, NULL, NULL, NULL, &r), CEAS_EINPUT);
    cr_expect(strstr(ceas_error_message(), "--order") != NULL);
  }
  ceas_anneal_schedule_free(&s);
  ceas_anneal_problem_free(pb);
}
