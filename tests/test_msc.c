/*
 * Specification of ceas_msc, the replica-packed multi-spin-coded Metropolis.
 *
 * 1. The packed kernels are the update rule of ceas_msc.h and nothing else: a
 *    scalar reference written here from that text alone (one replica, one spin at
 *    a time, the uniform of each site drawn with ceas_rng_bits) reaches bitwise
 *    the same configuration of every replica, in 2D and 3D, R = 64 and 256, with
 *    and without the antithetic pattern, every instruction set the CPU runs,
 *    every wavefront depth.
 * 2. Per-replica E and M equal the sums over the unpacked spins.
 * 3. Physics: replica-averaged <e>, <|m|>, <m^2> against exact enumeration of all
 *    states (tests/exact_ref.c: 4x4 and 2x2 tori, 2x2x2), the energy and specific
 *    heat against Kaufman's exact finite-torus solution at L = 16 and 32, and the
 *    3D torus at beta = 0.1 against the high-temperature series, each for the
 *    shared and the antithetic uniforms. Tolerance: 4 error bars, the error bar
 *    derived from the replica-averaged time series (below), plus a bound on the
 *    remainder of a truncated series where one is used.
 *
 * Error bars. The R replicas of a run share their uniforms, so they are not R
 * independent samples; only the time series of replica averages is a proper
 * Markov-chain output. For a stationary series x_t with integrated
 * autocorrelation time tau, var(mean of n) = 2 tau var(x) / n; means of bins of
 * B >> tau samples are nearly independent (their correlation is O(tau / B)), so
 * the standard error of the bin means estimates that variance. B is the smallest
 * power of two >= 16 tau (tau from Sokal's automatic window, ceas_measure), and a
 * run with fewer than 32 such bins is reported as too short, not tested.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_lattice.h"
#include "ceas_measure.h"
#include "ceas_msc.h"
#include "exact_ref.h"

#define NSIGMA 4.0
#define BETA_C 0.44068679350977151

static const char *const isas[] = {"generic", "avx2", "avx512"};

/* ---- scalar reference: the contract of ceas_msc.h, spin by spin ---------- */

typedef struct {
  int dim, R, anti;
  long L;
  int64_t N;
  ceas_rng_key key;
  uint64_t sweep;
  int8_t *s; /* s[r * N + i] */
} ref_state;

static void ref_init(ref_state *g, int dim, long L, int R, ceas_rng_key key, int anti) {
  g->dim = dim;
  g->L = L;
  g->R = R;
  g->anti = anti;
  g->N = dim == 2 ? L * L : L * L * L;
  g->key = key;
  g->sweep = 0;
  g->s = malloc((size_t)(R * g->N));
  cr_assert_not_null(g->s);
  for (int64_t i = 0; i < g->N; i++) {
    uint64_t b[4];
    ceas_rng_bits(key, 0, (uint64_t)i, CEAS_MSC_TAG_INIT, 0, b);
    for (int r = 0; r < R; r++) g->s[r * g->N + i] = (b[r / 64] >> (r % 64)) & 1 ? -1 : 1;
  }
}

static int64_t ref_site(const ref_state *g, long x, long y, long z) {
  long L = g->L;
  x = (x + L) % L;
  y = (y + L) % L;
  z = (z + L) % L;
  return x + L * y + L * L * z;
}

static void ref_sweep(ref_state *g, double beta) {
  const long L = g->L, nz = g->dim == 3 ? L : 1;
  const int d = g->dim;
  for (int c = 0; c < 2; c++)
    for (long z = 0; z < nz; z++)
      for (long y = 0; y < L; y++)
        for (long x = 0; x < L; x++) {
          if (((x + y + z) & 1) != c) continue;
          uint64_t q = (uint64_t)((y + L * z) * (L / 2) + x / 2);
          uint64_t b[4];
          ceas_rng_bits(g->key, g->sweep, q >> 3, CEAS_MSC_TAG_METROPOLIS, (uint64_t)c, b);
          uint64_t w = b[(q & 7) >> 1];
          uint64_t u = (q & 1) ? w >> 32 : w & 0xffffffffu;
          /* Antithetic option: replica r takes ~u where its pattern bit is set. */
          uint64_t pattern[4] = {0, 0, 0, 0};
          if (g->anti)
            ceas_rng_bits(g->key, 0, (uint64_t)(64 * c) + (q & 63), CEAS_MSC_TAG_PATTERN, 0,
                          pattern);
          int64_t i = ref_site(g, x, y, z);
          int64_t nb[6] = {ref_site(g, x - 1, y, z), ref_site(g, x + 1, y, z),
                           ref_site(g, x, y - 1, z), ref_site(g, x, y + 1, z),
                           ref_site(g, x, y, z - 1), ref_site(g, x, y, z + 1)};
          for (int r = 0; r < g->R; r++) {
            int8_t *s = g->s + r * g->N;
            uint64_t ur = (pattern[r / 64] >> (r % 64)) & 1 ? 0xffffffffu - u : u;
            int k = 0;
            for (int m = 0; m < 2 * d; m++) k += s[nb[m]] != s[i];
            double dE = 4.0 * (d - k);
            int flip;
            if (dE < 0)
              flip = 1;
            else if (dE == 0)
              flip = ur < (UINT64_C(1) << 31);
            else
              flip = ur < (uint64_t)ceil(ldexp(exp(-beta * dE), 32));
            if (flip) s[i] = (int8_t)-s[i];
          }
        }
  g->sweep++;
}

static void expect_same(const ceas_msc_state *st, const ref_state *g, const char *what) {
  int8_t *s = malloc((size_t)g->N);
  cr_assert_not_null(s);
  for (int r = 0; r < g->R; r++) {
    cr_assert_eq(ceas_msc_get_replica(st, r, s), 0);
    for (int64_t i = 0; i < g->N; i++)
      cr_assert_eq(s[i], g->s[r * g->N + i], "%s: replica %d site %lld differs", what, r,
                   (long long)i);
  }
  cr_assert_eq(ceas_msc_sweeps_done(st), g->sweep, "%s: sweep counter", what);
  free(s);
}

static ceas_msc_state *new_state(int dim, long L, int R, uint64_t seed, ceas_msc_init init) {
  ceas_msc_state *st = NULL;
  int rc = ceas_msc_alloc(dim, L, R, (ceas_rng_key){seed, 3}, init, &st);
  cr_assert_eq(rc, 0, "alloc %dD L=%ld R=%d: %s", dim, L, R, ceas_error_message());
  return st;
}

/* Sizes cover L = 2 (doubled bonds), rows shorter than one Philox block and not a
 * multiple of 8 or 4 sites (partial blocks, vector remainders), and rows long
 * enough for the vector paths; betas cover every acceptance class. */
static void reference_case(int dim, long L, int R, const char *isa, double beta, int anti) {
  ref_state g;
  ceas_rng_key key = {11 + (uint64_t)L, 3};
  ref_init(&g, dim, L, R, key, anti);
  ceas_msc_state *st = new_state(dim, L, R, key.seed, CEAS_MSC_HOT);
  if (ceas_msc_set_isa(st, isa) != 0) {
    ceas_msc_free(st);
    free(g.s);
    return; /* this CPU cannot run it */
  }
  ceas_msc_set_antithetic(st, anti);
  char what[96];
  snprintf(what, sizeof what, "%dD L=%ld R=%d %s beta=%g%s", dim, L, R, isa, beta,
           anti ? " antithetic" : "");
  expect_same(st, &g, what);
  /* One sweep at a time, then several per call (the wavefront). */
  for (int t = 0; t < 2; t++) {
    cr_assert_eq(ceas_msc_sweep(st, beta, 1), 0);
    ref_sweep(&g, beta);
  }
  expect_same(st, &g, what);
  cr_assert_eq(ceas_msc_sweep(st, beta, 5), 0);
  for (int t = 0; t < 5; t++) ref_sweep(&g, beta);
  expect_same(st, &g, what);
  ceas_msc_free(st);
  free(g.s);
}

/* L = 34 and 10 (3D) have rows of 17 and 5 sites: classes q % 64 that wrap
 * inside a four-site vector; L = 130 has rows longer than 64 sites. */
Test(msc, reference_2d, .timeout = 300) {
  static const long Ls[] = {2, 4, 6, 10, 18, 34, 130};
  static const double betas[] = {0.1, BETA_C, 0.9};
  for (int anti = 0; anti < 2; anti++)
    for (size_t a = 0; a < 3; a++)
      for (size_t l = 0; l < sizeof Ls / sizeof *Ls; l++)
        for (int R = 64; R <= 256; R *= 4)
          reference_case(2, Ls[l], R, isas[a], betas[(l + (size_t)R / 64) % 3], anti);
}

Test(msc, reference_3d, .timeout = 300) {
  static const long Ls[] = {2, 4, 6, 10};
  static const double betas[] = {0.05, 0.2216546, 0.6};
  for (int anti = 0; anti < 2; anti++)
    for (size_t a = 0; a < 3; a++)
      for (size_t l = 0; l < sizeof Ls / sizeof *Ls; l++)
        for (int R = 64; R <= 256; R *= 4)
          reference_case(3, Ls[l], R, isas[a], betas[(l + (size_t)R / 64) % 3], anti);
}

/* Sweeping n at once in passes of any depth is n single sweeps (the wavefront
 * reorders work, never results), including depths whose deferred band covers the
 * whole lattice. */
Test(msc, wavefront_depths_are_exact, .timeout = 300) {
  static const int dims[] = {2, 2, 3, 3};
  static const long Ls[] = {8, 64, 4, 12};
  for (int c = 0; c < 4; c++) {
    ceas_msc_state *ref = new_state(dims[c], Ls[c], 64, 5, CEAS_MSC_HOT);
    cr_assert_eq(ceas_msc_set_depth(ref, 1), 0);
    for (int t = 0; t < 23; t++) cr_assert_eq(ceas_msc_sweep(ref, 0.5, 1), 0);
    size_t nw = ceas_msc_state_words(ref);
    uint64_t *want = malloc(nw * sizeof *want), *got = malloc(nw * sizeof *got);
    cr_assert(want && got);
    ceas_msc_get_state(ref, want, NULL);
    static const int depths[] = {0, 2, 3, 5, 8, 23, 64};
    for (size_t k = 0; k < sizeof depths / sizeof *depths; k++) {
      ceas_msc_state *st = new_state(dims[c], Ls[c], 64, 5, CEAS_MSC_HOT);
      cr_assert_eq(ceas_msc_set_depth(st, depths[k]), 0);
      cr_assert_eq(ceas_msc_sweep(st, 0.5, 23), 0);
      uint64_t done;
      ceas_msc_get_state(st, got, &done);
      cr_assert_eq(done, 23);
      cr_assert(memcmp(got, want, nw * sizeof *got) == 0,
                "%dD L=%ld: depth %d differs from single sweeps", dims[c], Ls[c],
                depths[k]);
      ceas_msc_free(st);
    }
    free(want);
    free(got);
    ceas_msc_free(ref);
  }
}

/* Replica r < 64 of R = 256 is replica r of R = 64: draws depend on sites only. */
Test(msc, replicas_do_not_depend_on_packing) {
  for (int dim = 2; dim <= 3; dim++) {
    long L = dim == 2 ? 32 : 8;
    ceas_msc_state *a = new_state(dim, L, 64, 9, CEAS_MSC_HOT);
    ceas_msc_state *b = new_state(dim, L, 256, 9, CEAS_MSC_HOT);
    cr_assert_eq(ceas_msc_sweep(a, 0.3, 9), 0);
    cr_assert_eq(ceas_msc_sweep(b, 0.3, 9), 0);
    size_t n = (size_t)ceas_msc_sites(a);
    int8_t *sa = malloc(n), *sb = malloc(n);
    cr_assert(sa && sb);
    for (int r = 0; r < 64; r += 7) {
      ceas_msc_get_replica(a, r, sa);
      ceas_msc_get_replica(b, r, sb);
      cr_assert(memcmp(sa, sb, n) == 0, "%dD replica %d", dim, r);
    }
    free(sa);
    free(sb);
    ceas_msc_free(a);
    ceas_msc_free(b);
  }
}

/* A checkpoint is (words, sweeps done): restoring it into a state with the same
 * key continues the chain exactly. */
Test(msc, state_round_trip_continues_the_chain) {
  ceas_msc_state *a = new_state(3, 6, 256, 21, CEAS_MSC_HOT);
  ceas_msc_state *b = new_state(3, 6, 256, 21, CEAS_MSC_COLD);
  cr_assert_eq(ceas_msc_sweep(a, 0.25, 7), 0);
  size_t nw = ceas_msc_state_words(a);
  cr_assert_eq(nw, (size_t)216 * 4);
  uint64_t *w = malloc(nw * sizeof *w), *w2 = malloc(nw * sizeof *w2);
  uint64_t done;
  ceas_msc_get_state(a, w, &done);
  cr_assert_eq(done, 7);
  ceas_msc_set_state(b, w, done);
  cr_assert_eq(ceas_msc_sweep(a, 0.25, 4), 0);
  cr_assert_eq(ceas_msc_sweep(b, 0.25, 4), 0);
  ceas_msc_get_state(a, w, &done);
  ceas_msc_get_state(b, w2, NULL);
  cr_assert(memcmp(w, w2, nw * sizeof *w) == 0);
  cr_assert_eq(ceas_msc_sweeps_done(b), 11);
  free(w);
  free(w2);
  ceas_msc_free(a);
  ceas_msc_free(b);
}

/* ---- measurements --------------------------------------------------------- */

static void direct_em(const int8_t *s, int dim, long L, int64_t *E, int64_t *M) {
  long nz = dim == 3 ? L : 1;
  int64_t e = 0, m = 0;
  for (long z = 0; z < nz; z++)
    for (long y = 0; y < L; y++)
      for (long x = 0; x < L; x++) {
        int64_t i = x + L * y + L * L * z;
        m += s[i];
        e -= s[i] * s[(x + 1) % L + L * y + L * L * z];
        e -= s[i] * s[x + L * ((y + 1) % L) + L * L * z];
        if (dim == 3) e -= s[i] * s[x + L * y + L * L * ((z + 1) % L)];
      }
  *E = e;
  *M = m;
}

Test(msc, measure_equals_direct_sums) {
  static const int dims[] = {2, 2, 2, 3, 3};
  static const long Ls[] = {2, 6, 40, 2, 10};
  for (int c = 0; c < 5; c++)
    for (int R = 64; R <= 256; R *= 4)
      for (int init = 0; init < 2; init++) {
        ceas_msc_state *st = new_state(dims[c], Ls[c], R, 4, init ? CEAS_MSC_COLD : CEAS_MSC_HOT);
        cr_assert_eq(ceas_msc_sweep(st, 0.35, 3), 0);
        int64_t E[256], M[256];
        cr_assert_eq(ceas_msc_measure(st, E, M), 0);
        size_t n = (size_t)ceas_msc_sites(st);
        int8_t *s = malloc(n);
        for (int r = 0; r < R; r++) {
          int64_t e, m;
          ceas_msc_get_replica(st, r, s);
          direct_em(s, dims[c], Ls[c], &e, &m);
          cr_assert_eq(E[r], e, "%dD L=%ld R=%d replica %d: E %lld vs %lld", dims[c], Ls[c],
                       R, r, (long long)E[r], (long long)e);
          cr_assert_eq(M[r], m, "%dD L=%ld R=%d replica %d: M", dims[c], Ls[c], R, r);
        }
        free(s);
        /* The average from the sizes alone (the GPU twin has no ceas_msc_state)
         * is the state's, bit for bit. */
        ceas_msc_sample a, b;
        ceas_msc_replica_average(st, E, M, &a);
        ceas_msc_average(R, ceas_msc_sites(st), E, M, &b);
        cr_assert_eq(memcmp(&a, &b, sizeof a), 0, "%dD L=%ld R=%d: averages", dims[c], Ls[c], R);
        ceas_msc_free(st);
      }
  /* Cold start: every replica at the ground state E = -d N, M = N. */
  ceas_msc_state *st = new_state(3, 4, 64, 1, CEAS_MSC_COLD);
  int64_t E[64], M[64];
  ceas_msc_measure(st, E, M);
  for (int r = 0; r < 64; r++) cr_assert(E[r] == -192 && M[r] == 64);
  ceas_msc_sample avg;
  ceas_msc_replica_average(st, E, M, &avg);
  cr_assert(avg.e == -3.0 && avg.e2 == 9.0 && avg.abs_m == 1.0 && avg.m2 == 1.0 &&
            avg.m4 == 1.0);
  ceas_msc_free(st);
}

/* Per-replica F(k_min), counted bit-sliced, is the engine's F of that replica's
 * spins: the same expression, so equal up to the order of the additions inside
 * ceas_lattice_structure_factor_kmin (relative 1e-12). */
Test(msc, structure_factor_equals_the_engines) {
  static const int dims[] = {2, 2, 3, 3};
  static const long Ls[] = {2, 24, 2, 6};
  for (int c = 0; c < 4; c++)
    for (int R = 64; R <= 256; R *= 4) {
      ceas_msc_state *st = new_state(dims[c], Ls[c], R, 5, CEAS_MSC_HOT);
      cr_assert_eq(ceas_msc_sweep(st, 0.3, 2), 0);
      double F[256];
      cr_assert_eq(ceas_msc_measure_sf(st, F), 0);
      ceas_lattice_system *sys = NULL;
      cr_assert_eq(ceas_lattice_hypercubic_alloc(dims[c] == 2 ? CEAS_MODEL_ISING2D
                                                               : CEAS_MODEL_ISING3D,
                                                 Ls[c], 0.0, &sys), 0);
      int8_t *s = malloc((size_t)ceas_msc_sites(st));
      for (int r = 0; r < R; r++) {
        ceas_msc_get_replica(st, r, s);
        double want = ceas_lattice_structure_factor_kmin(sys, s);
        cr_assert(fabs(F[r] - want) <= 1e-12 * (1.0 + want), "%dD L=%ld R=%d replica %d: %.17g vs %.17g",
                  dims[c], Ls[c], R, r, F[r], want);
      }
      free(s);
      ceas_lattice_system_free(sys);
      ceas_msc_free(st);
    }
}

Test(msc, bad_input_is_refused) {
  ceas_msc_state *st = NULL;
  ceas_rng_key key = {1, 0};
  cr_expect_eq(ceas_msc_alloc(2, 5, 64, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "even") != NULL, "%s", ceas_error_message());
  cr_expect_eq(ceas_msc_alloc(2, 0, 64, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_alloc(4, 8, 64, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_alloc(2, 8, 128, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_null(st);
  cr_assert_eq(ceas_msc_alloc(2, 8, 64, key, CEAS_MSC_HOT, &st), 0);
  cr_expect_eq(ceas_msc_sweep(st, NAN, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_sweep(st, -0.1, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_set_isa(st, "sse9"), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_set_depth(st, 65), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_get_replica(st, 64, NULL), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_sweeps_done(st), 0);
  ceas_msc_free(st);
}

/* ---- physics ------------------------------------------------------------- */

typedef struct {
  double *e, *e2, *abs_m, *m2;
  size_t n;
} series;

static void run_series(int dim, long L, int R, int anti, double beta, uint64_t seed,
                       uint64_t therm, size_t n, int every, series *out) {
  ceas_msc_state *st = new_state(dim, L, R, seed, CEAS_MSC_HOT);
  ceas_msc_set_antithetic(st, anti);
  cr_assert_eq(ceas_msc_sweep(st, beta, therm), 0);
  out->n = n;
  out->e = malloc(n * sizeof(double));
  out->e2 = malloc(n * sizeof(double));
  out->abs_m = malloc(n * sizeof(double));
  out->m2 = malloc(n * sizeof(double));
  cr_assert(out->e && out->e2 && out->abs_m && out->m2);
  int64_t E[256], M[256];
  for (size_t t = 0; t < n; t++) {
    cr_assert_eq(ceas_msc_sweep(st, beta, (uint64_t)every), 0);
    ceas_msc_measure(st, E, M);
    ceas_msc_sample a;
    ceas_msc_replica_average(st, E, M, &a);
    out->e[t] = a.e;
    out->e2[t] = a.e2;
    out->abs_m[t] = a.abs_m;
    out->m2[t] = a.m2;
  }
  ceas_msc_free(st);
}

static void series_free(series *s) {
  free(s->e);
  free(s->e2);
  free(s->abs_m);
  free(s->m2);
}

/* Bin size from the largest tau_int among the series (the header's rule). */
static size_t bin_size(const double *const *xs, int k, size_t n, const char *what) {
  double tmax = 0.5;
  for (int j = 0; j < k; j++) {
    double tau, terr;
    size_t w;
    cr_assert_eq(ceas_measure_tau_int(xs[j], n, &tau, &terr, &w), 0);
    if (tau > tmax) tmax = tau;
  }
  size_t B = 1;
  while ((double)B < 16.0 * tmax) B *= 2;
  cr_assert(n / B >= 32, "%s: run too short: tau_int %.1f needs bins of %zu, only %zu bins",
            what, tmax, B, n / B);
  return B;
}

static void binned(const double *x, size_t n, size_t B, double *mean, double *err) {
  size_t nb = n / B;
  double *bins = malloc(nb * sizeof *bins);
  ceas_measure_bin(x, n, B, bins);
  ceas_measure_mean_error(bins, nb, mean, err);
  free(bins);
}

static void expect_close(const char *what, double mc, double err, double exact, double extra) {
  cr_expect(isfinite(mc) && err > 0, "%s: MC %g +- %g not usable", what, mc, err);
  cr_log_info("%s: MC %.8f +- %.2g vs exact %.8f (%+.2f error bars)", what, mc, err, exact,
              (mc - exact) / err);
  cr_expect(fabs(mc - exact) <= NSIGMA * err + extra,
            "%s: MC %.8f +- %.2g vs exact %.8f (%.2f error bars)", what, mc, err, exact,
            (mc - exact) / err);
}

static void enumeration_case(int dim, int L, int R, int anti, const double *betas, int nb) {
  exact_dos *d = exact_dos_hypercubic(dim, L);
  cr_assert_not_null(d);
  for (int b = 0; b < nb; b++) {
    series s;
    run_series(dim, L, R, anti, betas[b], 100 + (uint64_t)b, 1000, 20000, 1, &s);
    const double *xs[3] = {s.e, s.abs_m, s.m2};
    char what[128];
    snprintf(what, sizeof what, "%dD L=%d R=%d%s beta=%g", dim, L, R,
             anti ? " antithetic" : "", betas[b]);
    size_t B = bin_size(xs, 3, s.n, what);
    exact_thermo x;
    cr_assert_eq(exact_dos_thermo(d, betas[b], 0.0, &x), 0);
    static const char *names[3] = {"energy", "|m|", "m^2"};
    const double want[3] = {x.e, x.abs_m, x.m2};
    for (int k = 0; k < 3; k++) {
      double mean, err;
      binned(xs[k], s.n, B, &mean, &err);
      char w2[160];
      snprintf(w2, sizeof w2, "%s %s", what, names[k]);
      expect_close(w2, mean, err, want[k], 0.0);
    }
    series_free(&s);
  }
  exact_dos_free(d);
}

/* 2D: beta_c = 0.4407; the 4x4 torus's specific-heat peak is near 0.4. */
Test(msc, enumeration_2d_L4, .timeout = 300) {
  static const double betas[] = {0.25, 0.44, 0.65};
  enumeration_case(2, 4, 64, 0, betas, 3);
  enumeration_case(2, 4, 256, 0, betas, 3);
  enumeration_case(2, 4, 64, 1, betas, 3);
  enumeration_case(2, 4, 256, 1, betas, 3);
}

/* 2x2: every neighbour doubled; 2x2x2 likewise in three directions. */
Test(msc, enumeration_doubled_bonds, .timeout = 300) {
  static const double b2[] = {0.25, 0.44, 0.65}, b3[] = {0.12, 0.22, 0.40};
  enumeration_case(2, 2, 256, 0, b2, 3);
  enumeration_case(3, 2, 64, 0, b3, 3);
  enumeration_case(3, 2, 256, 1, b3, 3);
}

/* Specific heat C = beta^2 N (<e^2> - <e>^2) from the replica-averaged e and e^2
 * series, a nonlinear function of two means: jackknife over the same bins. */
typedef struct {
  double beta, N;
} c_ctx;

static double specific_heat(const double *means, void *p) {
  const c_ctx *c = p;
  return c->beta * c->beta * c->N * (means[1] - means[0] * means[0]);
}

static void kaufman_case(int L, int R, int anti, double beta, size_t n, int every) {
  series s;
  run_series(2, L, R, anti, beta, 7000 + (uint64_t)L, 2000, n, every, &s);
  char what[96];
  snprintf(what, sizeof what, "2D L=%d R=%d%s beta=%.6f", L, R, anti ? " antithetic" : "",
           beta);
  const double *xs[2] = {s.e, s.e2};
  size_t B = bin_size(xs, 2, s.n, what);
  double e_exact, c_exact;
  cr_assert_eq(exact_kaufman(L, beta, &e_exact, &c_exact, NULL), 0);
  double mean, err;
  binned(s.e, s.n, B, &mean, &err);
  char w2[160];
  snprintf(w2, sizeof w2, "%s energy", what);
  expect_close(w2, mean, err, e_exact, 0.0);
  size_t nbins = s.n / B;
  double *bins = malloc(2 * nbins * sizeof *bins), *tmp = malloc(nbins * sizeof *tmp);
  ceas_measure_bin(s.e, s.n, B, tmp);
  for (size_t i = 0; i < nbins; i++) bins[2 * i] = tmp[i];
  ceas_measure_bin(s.e2, s.n, B, tmp);
  for (size_t i = 0; i < nbins; i++) bins[2 * i + 1] = tmp[i];
  c_ctx ctx = {beta, (double)L * L};
  double c, cerr;
  cr_assert_eq(ceas_measure_jackknife(bins, nbins, 2, specific_heat, &ctx, &c, &cerr), 0);
  snprintf(w2, sizeof w2, "%s specific heat", what);
  expect_close(w2, c, cerr, c_exact, 0.0);
  free(bins);
  free(tmp);
  series_free(&s);
}

/* Kaufman (1949) / Ferdinand & Fisher (1969), tests/exact_ref.c. */
Test(msc, kaufman_L16, .timeout = 300) {
  static const double betas[] = {0.35, BETA_C, 0.5};
  for (int b = 0; b < 3; b++) kaufman_case(16, 256, 0, betas[b], 20000, 1);
  for (int b = 0; b < 3; b++) kaufman_case(16, 64, 1, betas[b], 20000, 1);
}

Test(msc, kaufman_L32, .timeout = 300) {
  static const double betas[] = {0.35, BETA_C, 0.5};
  for (int b = 0; b < 3; b++) kaufman_case(32, b == 1 ? 256 : 64, b == 2, betas[b], 24000, 2);
}

/* 3D simple cubic, beta = 0.1, v = tanh(beta), L = 8 (a walk or polygon must be
 * at least 8 steps long to wind around the torus, so finite-size terms enter at
 * O(v^8) ~ 1e-8 relative).
 *
 * Energy per spin from ln Z / N = ln 2 + 3 ln cosh(beta) + 3 v^4 + 22 v^6 +
 * (375/2) v^8 + O(v^10) (polygon counts: 3 squares, 22 hexagons per site; the v^8
 * term is 207 octagons + 30 figure-eights - 99/2 overlapping pairs of squares, all
 * counted by a script for this test and matching Domb 1974):
 *   -e = 3 v + (12 v^3 + 132 v^5 + 1500 v^7)(1 - v^2) + O(v^9)
 *      = 3 v + 12 v^3 + 120 v^5 + 1368 v^7 + O(v^9).
 * The coefficients grow by ~12 per two orders; the O(v^9) tail is below 5e-5
 * for any v^9 coefficient up to 5e4, which is added to the tolerance.
 *
 * N <m^2> = sum_x <s_0 s_x> (the reduced susceptibility) = sum_n a_n v^n with a_n
 * = 1, 6, 30, 150, ... (OEIS A002913; Butera & Comi, Phys. Rev. B 62, 14837
 * (2000)), through v^16: the tail is below 1e-5 relative. */
Test(msc, ising3d_high_temperature_series, .timeout = 300) {
  static const double a[] = {1, 6, 30, 150, 726, 3510, 16710, 79494, 375174, 1769686,
                             8306862, 38975286, 182265822, 852063558, 3973784886.0,
                             18527532310.0, 86228667894.0};
  const double beta = 0.1, v = tanh(beta);
  const double e_series = -(3 * v + 12 * pow(v, 3) + 120 * pow(v, 5) + 1368 * pow(v, 7));
  double chi = 0;
  for (int k = 16; k >= 0; k--) chi = chi * v + a[k];
  for (int R = 64; R <= 256; R *= 4) {
    series s;
    run_series(3, 8, R, R == 256, beta, 31 + (uint64_t)R, 200, 6000, 1, &s);
    const double *xs[2] = {s.e, s.m2};
    char what[64];
    snprintf(what, sizeof what, "3D L=8 R=%d%s beta=0.1", R, R == 256 ? " antithetic" : "");
    size_t B = bin_size(xs, 2, s.n, what);
    double mean, err;
    char w2[128];
    binned(s.e, s.n, B, &mean, &err);
    snprintf(w2, sizeof w2, "%s energy", what);
    expect_close(w2, mean, err, e_series, 5e-5);
    binned(s.m2, s.n, B, &mean, &err);
    snprintf(w2, sizeof w2, "%s N <m^2>", what);
    expect_close(w2, 512.0 * mean, 512.0 * err, chi, 1e-5 * chi);
    series_free(&s);
  }
}

/* Why the error bars come from the replica-averaged series, and what the
 * antithetic option buys: with one shared uniform, the replicas of a 2D torus at
 * beta_c lock together into one configuration or its mirror image (measured
 * locking time ~ L^2 / 2 sweeps; 5000 sweeps at L = 16 is ~40 times that); with
 * the antithetic pattern no two replicas lock. Mirror images stay locked because
 * every site sees the same number of antiparallel neighbours in both. */
static int locked_pairs(int anti) {
  ceas_msc_state *st = new_state(2, 16, 64, 13, CEAS_MSC_HOT);
  ceas_msc_set_antithetic(st, anti);
  cr_assert_eq(ceas_msc_sweep(st, BETA_C, 5000), 0);
  int8_t s[64][256];
  for (int r = 0; r < 64; r++) ceas_msc_get_replica(st, r, s[r]);
  int locked = 0;
  for (int a = 0; a < 64; a++)
    for (int b = a + 1; b < 64; b++) {
      int q = 0;
      for (int i = 0; i < 256; i++) q += s[a][i] * s[b][i];
      locked += q == 256 || q == -256;
    }
  ceas_msc_free(st);
  return locked;
}

Test(msc, shared_uniforms_lock_replicas_antithetic_ones_do_not, .timeout = 300) {
  int shared = locked_pairs(0), anti = locked_pairs(1);
  cr_log_info("pairs of 64 replicas locked after 5000 sweeps: shared %d, antithetic %d of 2016",
              shared, anti);
  cr_expect_eq(shared, 2016, "shared uniforms: %d of 2016 pairs locked", shared);
  cr_expect_eq(anti, 0, "antithetic: %d of 2016 pairs locked", anti);
}
