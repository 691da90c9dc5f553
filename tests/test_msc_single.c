/*
 * Specification of the single-lattice multi-spin-coded Metropolis (ceas_msc.h,
 * "single-lattice"):
 *
 * 1. The packed kernel is the rule of the header and nothing else: a scalar
 *    reference written here from that text (one spin at a time, int8 spins, each
 *    site's 32-bit uniform assembled from its 8 Philox4x32 slots and, on a tie
 *    with the threshold, its row's deep stream, all with ceas_rng_bits32,
 *    compared as an integer with ceil(p 2^32)) reaches bitwise
 *    the same configuration after several sweeps, at L = 128 (one word per row
 *    and colour: the carry wraps onto the word itself), L = 256 (carries
 *    between words) and L = 384 (three words), for beta = 0 (p = 1), 0.3, 0.44,
 *    1 and 3.
 * 2. Bit-sliced Bernoulli masks: the frequency of ones over 2^21 bits agrees with
 *    ceil(p 2^32) / 2^32 within 4 binomial standard deviations, for p with short
 *    and long binary expansions, and the bits of neighbouring sites are
 *    independent: disjoint pairs of adjacent bits are both set with frequency
 *    p^2 within 4 sigma (a tied site's low bits come from its row's deep
 *    stream in order, which must not correlate it with its neighbour).
 * 3. E and M from popcounts equal the sums over the unpacked spins.
 * 4. Physics against Kaufman's exact finite-torus energy and specific heat at
 *    L = 128, beta = 0.3, 0.44, 0.6: within 4 error bars, the error bar from
 *    binning the energy series with bins >= 16 tau_int (as tests/test_msc.c,
 *    at least 32 bins),
 *    the specific heat by jackknife over the same bins. Exact enumeration is out
 *    of reach: the packing needs L >= 128, 2^16384 states.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_measure.h"
#include "ceas_msc.h"
#include "exact_ref.h"

#define NSIGMA 4.0

/* ---- scalar reference ------------------------------------------------------ */

static uint64_t ref_threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return UINT64_C(1) << 32;
  return (uint64_t)ceil(ldexp(p, 32));
}

/* Slot s of word w, row r, colour c, sweep t, as the header defines it (R rows). */
static uint64_t ref_slot(ceas_rng_key32 k, long L, uint64_t R, uint64_t t, int c, uint64_t r,
                         long w, int s) {
  uint64_t nw = (uint64_t)L / 128;
  uint64_t blk = ((uint64_t)(s / 2) * R + r) * nw + (uint64_t)w;
  uint32_t o[4];
  ceas_rng_bits32(k, (uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)t,
                  (uint32_t)(2 * (t >> 32) + (uint64_t)c), o);
  return (uint64_t)o[2 * (s & 1)] | (uint64_t)o[2 * (s & 1) + 1] << 32;
}

/* Word k of row r's deep stream (block 16 R nw + (k / 4) R + r). */
static uint32_t ref_deep(ceas_rng_key32 kk, long L, uint64_t R, uint64_t t, int c, uint64_t r,
                         uint64_t k) {
  uint64_t nw = (uint64_t)L / 128;
  uint64_t blk = 16 * R * nw + (k / 4) * R + r;
  uint32_t o[4];
  ceas_rng_bits32(kk, (uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)t,
                  (uint32_t)(2 * (t >> 32) + (uint64_t)c), o);
  return o[k & 3];
}

/* One sweep of the header's rule, one spin at a time: dim 2 or 3, site order
 * x + L y + L^2 z. A site of class q = d - k >= 1 compares the top 8 bits of
 * its U (slots 0..7) with T_q's; on a tie it takes the next word of its row's
 * deep stream, in the order of j, for the low 24 bits. */
static void ref_sweep(int dim, int8_t *s, long L, ceas_rng_key key, uint64_t t, double beta) {
  ceas_rng_key32 k = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  uint64_t T[4] = {0};
  for (int q = 1; q <= dim; q++) T[q] = ref_threshold(exp(-4 * beta * q));
  const long nz = dim == 3 ? L : 1;
  const uint64_t R = (uint64_t)(L * nz);
  uint64_t slots[8];
  for (int c = 0; c < 2; c++)
    for (long z = 0; z < nz; z++)
      for (long y = 0; y < L; y++) {
        uint64_t r = (uint64_t)(y + L * z), deep = 0;
        for (long w = 0; w < L / 128; w++) {
          for (int q = 0; q < 8; q++) slots[q] = ref_slot(k, L, R, t, c, r, w, q);
          for (int bit = 0; bit < 64; bit++) {
            long j = 64 * w + bit, x = 2 * j + ((c + y + z) & 1);
            size_t i = (size_t)((z * L + y) * L + x);
            int8_t me = s[i];
            int nb[6] = {s[(z * L + (y + L - 1) % L) * L + x], s[(z * L + (y + 1) % L) * L + x],
                         s[(z * L + y) * L + (x + 1) % L], s[(z * L + y) * L + (x + L - 1) % L],
                         0, 0};
            if (dim == 3) {
              nb[4] = s[(((z + L - 1) % L) * L + y) * L + x];
              nb[5] = s[(((z + 1) % L) * L + y) * L + x];
            }
            int kk = 0;
            for (int q = 0; q < 2 * dim; q++) kk += nb[q] != me;
            uint64_t top = 0; /* U's top 8 bits */
            for (int q = 0; q < 8; q++) top |= ((slots[q] >> bit) & 1) << (7 - q);
            int flip;
            if (kk > dim)
              flip = 1;
            else if (kk == dim) /* U < 2^31: the top bit is 0 */
              flip = !(top >> 7);
            else {
              uint64_t Tq = T[dim - kk];
              if (Tq >> 32)
                flip = 1;
              else if (top != Tq >> 24)
                flip = top < Tq >> 24;
              else
                flip = (ref_deep(k, L, R, t, c, r, deep++) >> 8) < (Tq & 0xffffff);
            }
            if (flip) s[i] = (int8_t)-me;
          }
        }
      }
}

static void reference_case_dim(int dim, long L, const double *betas, int nb) {
  ceas_rng_key key = {2024 + (uint64_t)L + 100 * (uint64_t)dim, 3};
  ceas_msc_single *st = NULL;
  cr_assert_eq(ceas_msc_single_alloc_dim(dim, L, key, CEAS_MSC_HOT, &st), 0, "%s",
               ceas_error_message());
  size_t N = (size_t)ceas_msc_single_sites(st);
  int8_t *ref = malloc(N), *got = malloc(N);
  cr_assert(ref && got);
  ceas_msc_single_get_spins(st, ref);
  long down = 0;
  for (size_t i = 0; i < N; i++) down += ref[i] < 0;
  /* The hot start is not a degenerate configuration. */
  cr_expect(fabs((double)down / (double)N - 0.5) < 4 * 0.5 / sqrt((double)N), "%ld down", down);
  for (int i = 0; i < nb; i++) {
    ref_sweep(dim, ref, L, key, ceas_msc_single_sweeps_done(st), betas[i]);
    cr_assert_eq(ceas_msc_single_sweep(st, betas[i], 1), 0);
    ceas_msc_single_get_spins(st, got);
    size_t diff = 0;
    for (size_t q = 0; q < N; q++) diff += got[q] != ref[q];
    cr_assert_eq(diff, 0, "%dD L=%ld sweep %d (beta %g): %zu sites differ", dim, L, i, betas[i],
                 diff);
  }
  /* Several sweeps in one call are the same as single calls. */
  for (int i = 0; i < 2; i++)
    ref_sweep(dim, ref, L, key, ceas_msc_single_sweeps_done(st) + (uint64_t)i, 0.3);
  cr_assert_eq(ceas_msc_single_sweep(st, 0.3, 2), 0);
  ceas_msc_single_get_spins(st, got);
  cr_assert(!memcmp(got, ref, N), "%dD L=%ld: two sweeps in one call differ", dim, L);
  /* E and M from popcounts against the unpacked spins. */
  int64_t E, M, e = 0, m = 0;
  ceas_msc_single_measure(st, &E, &M);
  const long nz = dim == 3 ? L : 1;
  for (long z = 0; z < nz; z++)
    for (long y = 0; y < L; y++)
      for (long x = 0; x < L; x++) {
        int s0 = got[(z * L + y) * L + x];
        m += s0;
        e -= s0 * (got[(z * L + y) * L + (x + 1) % L] + got[(z * L + (y + 1) % L) * L + x]);
        if (dim == 3) e -= s0 * got[(((z + 1) % L) * L + y) * L + x];
      }
  cr_expect_eq(E, e);
  cr_expect_eq(M, m);
  /* set_spins round-trips. */
  ceas_msc_single_set_spins(st, ref, 7);
  ceas_msc_single_get_spins(st, got);
  cr_expect(!memcmp(got, ref, N));
  cr_expect_eq(ceas_msc_single_sweeps_done(st), 7);
  free(ref);
  free(got);
  ceas_msc_single_free(st);
}

static void reference_case(long L) {
  static const double betas[] = {0.0, 0.44, 0.44, 0.44, 1.0, 3.0, 0.44};
  reference_case_dim(2, L, betas, 7);
}

Test(msc_single, scalar_reference_L128) { reference_case(128); }
Test(msc_single, scalar_reference_L256) { reference_case(256); }
/* Three words per row (not a power of two) and a last bulk-draw chunk of fewer
 * rows than the others. */
Test(msc_single, scalar_reference_L384) { reference_case(384); }

/* 3D: six neighbours, three thresholds e^{-4 beta q}, the 1/2 rule at k = 3;
 * one word per row at L = 128 (the carry wraps onto the word itself) and the
 * y wrap inside each plane. */
Test(msc_single, scalar_reference_3d_L128, .timeout = 120) {
  static const double betas[] = {0.0, 0.2216546, 0.2216546, 1.0, 0.1};
  reference_case_dim(3, 128, betas, 5);
}

Test(msc_single, bad_input) {
  ceas_msc_single *st = NULL;
  ceas_rng_key key = {1, 0};
  cr_expect_eq(ceas_msc_single_alloc(192, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "multiple of 128") != NULL, "%s", ceas_error_message());
  cr_expect_eq(ceas_msc_single_alloc(64, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_alloc(65536 + 128, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_alloc_dim(3, 192, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_alloc_dim(3, 2048 + 128, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_alloc_dim(4, 128, key, CEAS_MSC_HOT, &st), CEAS_EINPUT);
  cr_expect_null(st);
  cr_assert_eq(ceas_msc_single_alloc(128, key, CEAS_MSC_COLD, &st), 0);
  cr_expect_eq(ceas_msc_single_sweep(st, NAN, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_sweep(st, -0.5, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_single_sweep(st, INFINITY, 1), CEAS_EINPUT);
  int64_t E, M;
  ceas_msc_single_measure(st, &E, &M);
  cr_expect_eq(E, -2 * 128 * 128);
  cr_expect_eq(M, 128 * 128);
  ceas_msc_single_free(st);
}

/* ---- Bernoulli masks --------------------------------------------------------- */

static void expect_frequency(const char *what, uint64_t ones, double n, double p) {
  double f = (double)ones / n, sigma = sqrt(p * (1 - p) / n);
  cr_log_info("%s: p = %.10f, frequency %.10f (%+.2f sigma)", what, p, f, (f - p) / sigma);
  cr_expect(fabs(f - p) <= NSIGMA * sigma, "%s: p = %.10f, frequency %.10f (%.2f sigma)", what,
            p, f, (f - p) / sigma);
}

Test(msc_single, bernoulli_masks, .timeout = 120) {
  /* (p1, p2), p2 <= p1: the run's own pair at beta_c, dyadic ones (expansion
   * ends early), and long expansions. */
  static const double pairs[][2] = {
      {0.17173913, 0.02949333}, /* exp(-4 * 0.44), exp(-8 * 0.44), rounded */
      {0.5, 0.25},
      {1.0 / 3.0, 0.1},
      {0.7310585786300049, 1e-3},
      {0.3183098861837907, 0.04978706836786394},
  };
  const long L = 1024, nw = L / 128;
  ceas_rng_key key = {77, 5};
  for (int k = 0; k < 5; k++) {
    double p1 = pairs[k][0], p2 = pairs[k][1];
    uint64_t n1 = 0, n2 = 0, nh = 0, pp1 = 0, pp2 = 0;
    double n = 0;
    /* Every word of two sweeps, both colours: 2^21 bits. */
    for (uint64_t t = 0; t < 2; t++)
      for (int c = 0; c < 2; c++)
        for (long y = 0; y < L; y++)
          for (long w = 0; w < nw; w++) {
            uint64_t b1, b2, h;
            ceas_msc_single_bernoulli(key, L, t + 10 * (uint64_t)k, c, y, w, p1, p2, &b1, &b2, &h);
            n1 += (uint64_t)__builtin_popcountll(b1);
            n2 += (uint64_t)__builtin_popcountll(b2);
            nh += (uint64_t)__builtin_popcountll(h);
            const uint64_t even = UINT64_C(0x5555555555555555);
            pp1 += (uint64_t)__builtin_popcountll(b1 & (b1 >> 1) & even);
            pp2 += (uint64_t)__builtin_popcountll(b2 & (b2 >> 1) & even);
            n += 64;
          }
    char what[64];
    snprintf(what, sizeof what, "pair %d p1", k);
    expect_frequency(what, n1, n, ceil(ldexp(p1, 32)) / 4294967296.0);
    snprintf(what, sizeof what, "pair %d p2", k);
    expect_frequency(what, n2, n, ceil(ldexp(p2, 32)) / 4294967296.0);
    snprintf(what, sizeof what, "pair %d half", k);
    expect_frequency(what, nh, n, 0.5);
    const double q1 = ceil(ldexp(p1, 32)) / 4294967296.0, q2 = ceil(ldexp(p2, 32)) / 4294967296.0;
    snprintf(what, sizeof what, "pair %d p1, adjacent bits", k);
    expect_frequency(what, pp1, n / 2, q1 * q1);
    snprintf(what, sizeof what, "pair %d p2, adjacent bits", k);
    expect_frequency(what, pp2, n / 2, q2 * q2);
  }
}

/* ---- physics ----------------------------------------------------------------- */

typedef struct {
  double beta, N;
} c_ctx;

static double specific_heat(const double *means, void *p) {
  const c_ctx *c = p;
  return c->beta * c->beta * c->N * (means[1] - means[0] * means[0]);
}

static void expect_close(const char *what, double mc, double err, double exact) {
  cr_expect(isfinite(mc) && err > 0, "%s: MC %g +- %g not usable", what, mc, err);
  cr_log_info("%s: MC %.8f +- %.2g vs exact %.8f (%+.2f error bars)", what, mc, err, exact,
              (mc - exact) / err);
  cr_expect(fabs(mc - exact) <= NSIGMA * err, "%s: MC %.8f +- %.2g vs exact %.8f (%.2f error bars)",
            what, mc, err, exact, (mc - exact) / err);
}

static void kaufman_case(double beta, ceas_msc_init init, uint64_t seed, uint64_t therm,
                         size_t n, uint64_t every) {
  const long L = 128;
  const double N = (double)(L * L);
  ceas_msc_single *st = NULL;
  cr_assert_eq(ceas_msc_single_alloc(L, (ceas_rng_key){seed, 1}, init, &st), 0);
  cr_assert_eq(ceas_msc_single_sweep(st, beta, therm), 0);
  double *e = malloc(n * sizeof *e), *e2 = malloc(n * sizeof *e2);
  cr_assert(e && e2);
  for (size_t t = 0; t < n; t++) {
    cr_assert_eq(ceas_msc_single_sweep(st, beta, every), 0);
    int64_t E, M;
    ceas_msc_single_measure(st, &E, &M);
    e[t] = (double)E / N;
    e2[t] = e[t] * e[t];
  }
  ceas_msc_single_free(st);
  double tmax = 0.5;
  for (int j = 0; j < 2; j++) {
    double tau, terr;
    size_t win;
    cr_assert_eq(ceas_measure_tau_int(j ? e2 : e, n, &tau, &terr, &win), 0);
    if (tau > tmax) tmax = tau;
  }
  /* Bins of at least 16 tau (not rounded up to a power of two: the critical
   * run is the expensive one, and it needs the bins). */
  size_t B = (size_t)ceil(16.0 * tmax);
  size_t nb = n / B;
  cr_assert(nb >= 32, "beta %g: run too short: tau_int %.1f needs bins of %zu, only %zu", beta,
            tmax, B, nb);
  double *be = malloc(nb * sizeof *be), *be2 = malloc(nb * sizeof *be2),
         *bins = malloc(2 * nb * sizeof *bins);
  cr_assert(be && be2 && bins);
  ceas_measure_bin(e, n, B, be);
  ceas_measure_bin(e2, n, B, be2);
  for (size_t i = 0; i < nb; i++) {
    bins[2 * i] = be[i];
    bins[2 * i + 1] = be2[i];
  }
  double e_exact, c_exact, mean, err, c, cerr;
  cr_assert_eq(exact_kaufman((int)L, beta, &e_exact, &c_exact, NULL), 0);
  ceas_measure_mean_error(be, nb, &mean, &err);
  char what[96];
  snprintf(what, sizeof what, "L=128 beta=%g (tau_int %.1f, %zu bins) energy", beta, tmax, nb);
  expect_close(what, mean, err, e_exact);
  c_ctx ctx = {beta, N};
  cr_assert_eq(ceas_measure_jackknife(bins, nb, 2, specific_heat, &ctx, &c, &cerr), 0);
  snprintf(what, sizeof what, "L=128 beta=%g specific heat", beta);
  expect_close(what, c, cerr, c_exact);
  free(be);
  free(be2);
  free(bins);
  free(e);
  free(e2);
}

/* Hot starts quenched below T_c can freeze into stripes for very long times on a
 * torus, so the ordered-side runs start cold (the equilibrium state is close to
 * it) and only the disordered side starts hot. */
Test(msc_single, kaufman_beta_0_3, .timeout = 120) {
  kaufman_case(0.3, CEAS_MSC_HOT, 11, 2000, 20000, 1);
}
Test(msc_single, kaufman_beta_0_44, .timeout = 120) {
  /* tau_int of the energy is ~700 sweeps here (measured, 85 samples): 2^16
   * samples 8 sweeps apart make ~48 bins of 16 tau, a margin for the error of
   * tau itself. */
  kaufman_case(0.44, CEAS_MSC_COLD, 12, 20000, 65536, 8);
}
Test(msc_single, kaufman_beta_0_6, .timeout = 120) {
  kaufman_case(0.6, CEAS_MSC_COLD, 13, 2000, 20000, 1);
}

/* ---- 3D physics ------------------------------------------------------------
 * No exact 3D reference exists at packing sizes (L >= 128), so the single-
 * lattice kernel is compared with the replica-packed kernel (ceas_msc.h, tested
 * against exact enumeration in test_msc.c; a different code and different
 * random numbers) at beta = 0.2, where the correlation length is ~2 lattice
 * spacings: the energy per site and the specific heat of L = 32 and L = 128
 * then differ by ~exp(-16), far below the error bars. Error bars from bins of
 * >= 16 tau_int (the replica average as one series: its replicas are not
 * independent), the specific heat by jackknife over those bins. */

typedef struct {
  double mean, err, c, cerr, tau;
  size_t nb;
} energy_stats;

static energy_stats energy_binned(const char *what, const double *e, size_t n, double beta,
                                  double N) {
  double *e2 = malloc(n * sizeof *e2);
  cr_assert(e2);
  for (size_t i = 0; i < n; i++) e2[i] = e[i] * e[i];
  double tmax = 0.5;
  for (int j = 0; j < 2; j++) {
    double tau, terr;
    size_t win;
    cr_assert_eq(ceas_measure_tau_int(j ? e2 : e, n, &tau, &terr, &win), 0);
    if (tau > tmax) tmax = tau;
  }
  energy_stats r = {0};
  size_t B = (size_t)ceil(16.0 * tmax);
  r.nb = n / B;
  r.tau = tmax;
  cr_assert(r.nb >= 32, "%s: tau_int %.1f needs bins of %zu, only %zu", what, tmax, B, r.nb);
  double *be = malloc(r.nb * sizeof *be), *be2 = malloc(r.nb * sizeof *be2),
         *bins = malloc(2 * r.nb * sizeof *bins);
  cr_assert(be && be2 && bins);
  ceas_measure_bin(e, n, B, be);
  ceas_measure_bin(e2, n, B, be2);
  for (size_t i = 0; i < r.nb; i++) {
    bins[2 * i] = be[i];
    bins[2 * i + 1] = be2[i];
  }
  ceas_measure_mean_error(be, r.nb, &r.mean, &r.err);
  c_ctx ctx = {beta, N};
  cr_assert_eq(ceas_measure_jackknife(bins, r.nb, 2, specific_heat, &ctx, &r.c, &r.cerr), 0);
  free(be);
  free(be2);
  free(bins);
  free(e2);
  return r;
}

Test(msc_single, physics_3d_against_replica_kernel, .timeout = 300) {
  const double beta = 0.2;
  /* Single lattice, L = 128. */
  const size_t n = 768;
  ceas_msc_single *st = NULL;
  cr_assert_eq(ceas_msc_single_alloc_dim(3, 128, (ceas_rng_key){31, 0}, CEAS_MSC_HOT, &st), 0);
  cr_assert_eq(ceas_msc_single_sweep(st, beta, 64), 0);
  const double N = (double)ceas_msc_single_sites(st);
  double *e = malloc(n * sizeof *e);
  cr_assert(e);
  for (size_t t = 0; t < n; t++) {
    cr_assert_eq(ceas_msc_single_sweep(st, beta, 1), 0);
    int64_t E, M;
    ceas_msc_single_measure(st, &E, &M);
    e[t] = (double)E / N;
  }
  ceas_msc_single_free(st);
  energy_stats a = energy_binned("single L=128", e, n, beta, N);
  /* Replica-packed, L = 32, 64 replicas with antithetic uniforms; the specific
   * heat from the replica average's variance would be wrong (the average
   * fluctuates less than one replica), so the replica kernel's series here is
   * replica 0 alone for C and the average for e. */
  const size_t nr = 1024; /* every 4th sweep: a measurement costs more than a sweep */
  ceas_msc_state *rs = NULL;
  cr_assert_eq(ceas_msc_alloc(3, 32, 64, (ceas_rng_key){32, 0}, CEAS_MSC_HOT, &rs), 0);
  ceas_msc_set_antithetic(rs, 1);
  cr_assert_eq(ceas_msc_sweep(rs, beta, 256), 0);
  const double Nr = (double)ceas_msc_sites(rs);
  double *er = malloc(nr * sizeof *er), *e0 = malloc(nr * sizeof *e0);
  int64_t E[64], M[64];
  cr_assert(er && e0);
  for (size_t t = 0; t < nr; t++) {
    cr_assert_eq(ceas_msc_sweep(rs, beta, 4), 0);
    cr_assert_eq(ceas_msc_measure(rs, E, M), 0);
    double se = 0;
    for (int r = 0; r < 64; r++) se += (double)E[r] / Nr;
    er[t] = se / 64;
    e0[t] = (double)E[0] / Nr;
  }
  ceas_msc_free(rs);
  energy_stats b = energy_binned("replica average L=32", er, nr, beta, Nr);
  energy_stats b0 = energy_binned("replica 0 L=32", e0, nr, beta, Nr);
  cr_log_info("3D beta=0.2: single L=128 e %.6f(%.0f) C %.4f(%.0f); replica L=32 e %.6f(%.0f) "
              "C (replica 0) %.4f(%.0f)",
              a.mean, 1e6 * a.err, a.c, 1e4 * a.cerr, b.mean, 1e6 * b.err, b0.c, 1e4 * b0.cerr);
  expect_close("3D beta=0.2 energy, single L=128 vs replica L=32", a.mean,
               sqrt(a.err * a.err + b.err * b.err), b.mean);
  expect_close("3D beta=0.2 specific heat, single L=128 vs replica 0 at L=32", a.c,
               sqrt(a.cerr * a.cerr + b0.cerr * b0.cerr), b0.c);
  free(e);
  free(er);
  free(e0);
}
