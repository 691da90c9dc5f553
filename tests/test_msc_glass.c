/*
 * Specification of the ±J replica-packed kernel (ceas_msc.h, "±J spin glasses").
 *
 * 1. Rule: a scalar reference written from the header alone (one replica, one
 *    spin at a time, dE = 2 s_i sum_j J_ij s_j computed directly, the site's
 *    uniform drawn with ceas_rng_bits) reaches bitwise the same configuration of
 *    every replica: 2D and 3D, L = 2 (doubled bonds) to rows longer than a
 *    Philox block, R = 64 and 256, shared and antithetic uniforms, every
 *    instruction set the CPU runs, a beta per sweep, every wavefront depth.
 * 2. With all J = +1 the state is bitwise the ferromagnetic ceas_msc_state of
 *    the same key after any number of sweeps (the kernels share no code path
 *    beyond the draws; the ferromagnet is itself tested against its own scalar
 *    reference in test_msc.c).
 * 3. Energies and overlaps equal direct sums over the unpacked spins; the masked
 *    swap exchanges exactly the masked replicas; CSR signs from
 *    ceas_anneal_problem_ea give the energies ceas_anneal_energy computes.
 * 4. Physics: replica-averaged <E> / N and <E^2> / N^2 of fixed ±J instances
 *    (2D 4x4, 16 spins; 3D 2x2x2 with its doubled bonds, 24 bonds on 8 spins)
 *    against exact Boltzmann averages from enumerating all 2^N states here;
 *    and two-temperature parallel tempering built from one state per
 *    temperature and ceas_msc_glass_swap against the same enumeration. Tolerance
 *    4 error bars, the error bar from bins of >= 16 tau_int of the
 *    replica-averaged series (replicas share uniforms: they are one Markov chain,
 *    not R samples; see test_msc.c).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_anneal.h"
#include "ceas_measure.h"
#include "ceas_msc.h"

#define NSIGMA 4.0

static const char *const isas[] = {"generic", "avx2", "avx512"};

static int64_t sites_of(int dim, long L) { return dim == 2 ? L * L : L * L * L; }

/* Random signs from a test-only stream, independent of the kernel's draws. */
static int8_t *random_bonds(int dim, long L, uint64_t seed, double p_negative) {
  const int64_t nb = dim * sites_of(dim, L);
  int8_t *J = malloc((size_t)nb);
  cr_assert_not_null(J);
  for (int64_t b = 0; b < nb; b++) {
    uint64_t w[4];
    ceas_rng_bits((ceas_rng_key){seed, 77}, (uint64_t)b, 0, 0, 0, w);
    J[b] = (double)(w[0] >> 11) * 0x1p-53 < p_negative ? -1 : 1;
  }
  return J;
}

/* Site i's 2d neighbours and the couplings to them: the -a neighbour's bond is
 * the one it owns towards +a. */
static void neighbours(int dim, long L, int64_t i, const int8_t *J, int64_t nb[6],
                       int jb[6]) {
  long c[3] = {(long)(i % L), (long)((i / L) % L), dim == 3 ? (long)(i / (L * L)) : 0};
  int64_t stride = 1;
  for (int a = 0; a < dim; a++, stride *= L) {
    const int64_t up = c[a] == L - 1 ? i - (L - 1) * stride : i + stride;
    const int64_t dn = c[a] == 0 ? i + (L - 1) * stride : i - stride;
    nb[2 * a] = dn;
    jb[2 * a] = J[dn * dim + a];
    nb[2 * a + 1] = up;
    jb[2 * a + 1] = J[i * dim + a];
  }
}

static int64_t direct_energy(int dim, long L, const int8_t *J, const int8_t *s) {
  const int64_t N = sites_of(dim, L);
  int64_t E = 0;
  for (int64_t i = 0; i < N; i++) {
    int64_t nb[6];
    int jb[6];
    neighbours(dim, L, i, J, nb, jb);
    for (int a = 0; a < dim; a++) E -= jb[2 * a + 1] * s[i] * s[nb[2 * a + 1]];
  }
  return E;
}

/* ---- scalar reference ---------------------------------------------------- */

typedef struct {
  int dim, R, anti;
  long L;
  int64_t N;
  ceas_rng_key key;
  uint64_t sweep;
  const int8_t *J;
  int8_t *s; /* s[r * N + i] */
} ref_state;

static void ref_init(ref_state *g, int dim, long L, int R, ceas_rng_key key, int anti,
                     const int8_t *J) {
  g->dim = dim;
  g->L = L;
  g->R = R;
  g->anti = anti;
  g->N = sites_of(dim, L);
  g->key = key;
  g->sweep = 0;
  g->J = J;
  g->s = malloc((size_t)(R * g->N));
  cr_assert_not_null(g->s);
  for (int64_t i = 0; i < g->N; i++) {
    uint64_t b[4];
    ceas_rng_bits(key, 0, (uint64_t)i, CEAS_MSC_TAG_INIT, 0, b);
    for (int r = 0; r < R; r++) g->s[r * g->N + i] = (b[r / 64] >> (r % 64)) & 1 ? -1 : 1;
  }
}

static void ref_sweep(ref_state *g, double beta) {
  const long L = g->L, nz = g->dim == 3 ? L : 1;
  for (int c = 0; c < 2; c++)
    for (long z = 0; z < nz; z++)
      for (long y = 0; y < L; y++)
        for (long x = 0; x < L; x++) {
          if (((x + y + z) & 1) != c) continue;
          const uint64_t q = (uint64_t)((y + L * z) * (L / 2) + x / 2);
          uint64_t b[4], pattern[4] = {0, 0, 0, 0};
          ceas_rng_bits(g->key, g->sweep, q >> 3, CEAS_MSC_TAG_METROPOLIS, (uint64_t)c,
                        b);
          const uint64_t w = b[(q & 7) >> 1];
          const uint64_t u = (q & 1) ? w >> 32 : w & 0xffffffffu;
          if (g->anti)
            ceas_rng_bits(g->key, 0, (uint64_t)(64 * c) + (q & 63), CEAS_MSC_TAG_PATTERN,
                          0, pattern);
          const int64_t i = x + L * y + L * L * z;
          int64_t nb[6];
          int jb[6];
          neighbours(g->dim, L, i, g->J, nb, jb);
          for (int r = 0; r < g->R; r++) {
            int8_t *s = g->s + r * g->N;
            const uint64_t ur = (pattern[r / 64] >> (r % 64)) & 1 ? 0xffffffffu - u : u;
            int h = 0;
            for (int m = 0; m < 2 * g->dim; m++) h += jb[m] * s[nb[m]];
            const double dE = 2.0 * s[i] * h;
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

static void expect_same(const ceas_msc_glass *st, const ref_state *g, const char *what) {
  int8_t *s = malloc((size_t)g->N);
  cr_assert_not_null(s);
  for (int r = 0; r < g->R; r++) {
    cr_assert_eq(ceas_msc_glass_get_replica(st, r, s), 0);
    cr_assert(memcmp(s, g->s + r * g->N, (size_t)g->N) == 0, "%s: replica %d differs",
              what, r);
  }
  cr_assert_eq(ceas_msc_glass_sweeps_done(st), g->sweep, "%s: sweep counter", what);
  free(s);
}

static ceas_msc_glass *new_glass(int dim, long L, int R, ceas_rng_key key,
                                 ceas_msc_init init, const int8_t *J) {
  ceas_msc_glass *st = NULL;
  int rc = ceas_msc_glass_alloc(dim, L, R, key, init, J, &st);
  cr_assert_eq(rc, 0, "glass alloc %dD L=%ld R=%d: %s", dim, L, R, ceas_error_message());
  return st;
}

/* Two sweeps at beta, then five with a schedule that visits beta = 0 (every
 * class accepted up to k = d), a moderate beta and a huge one (only k > d and
 * the k = d coin), in one call. Half the bonds negative. */
static void reference_case(int dim, long L, int R, const char *isa, int anti) {
  ceas_rng_key key = {500 + (uint64_t)L, 9};
  int8_t *J = random_bonds(dim, L, 1000 + (uint64_t)L, 0.5);
  ref_state g;
  ref_init(&g, dim, L, R, key, anti, J);
  ceas_msc_glass *st = new_glass(dim, L, R, key, CEAS_MSC_HOT, J);
  if (ceas_msc_glass_set_isa(st, isa) != 0) {
    ceas_msc_glass_free(st);
    free(g.s);
    free(J);
    return;
  }
  ceas_msc_glass_set_antithetic(st, anti);
  char what[96];
  snprintf(what, sizeof what, "%dD L=%ld R=%d %s%s", dim, L, R, isa,
           anti ? " antithetic" : "");
  expect_same(st, &g, what);
  for (int t = 0; t < 2; t++) {
    cr_assert_eq(ceas_msc_glass_sweep(st, 0.3, 1), 0);
    ref_sweep(&g, 0.3);
  }
  expect_same(st, &g, what);
  static const double sched[5] = {0.0, 0.2, 0.45, 50.0, 0.1};
  cr_assert_eq(ceas_msc_glass_anneal(st, sched, 5), 0);
  for (int t = 0; t < 5; t++) ref_sweep(&g, sched[t]);
  expect_same(st, &g, what);
  ceas_msc_glass_free(st);
  free(g.s);
  free(J);
}

/* L = 34 and 10 (3D): rows of 17 and 5 sites (partial Philox blocks, vector
 * remainders); L = 2: the two bonds of a pair are distinct. */
Test(msc_glass, reference_2d, .timeout = 300) {
  static const long Ls[] = {2, 4, 6, 10, 18, 34};
  for (size_t a = 0; a < sizeof Ls / sizeof *Ls; a++)
    for (int i = 0; i < 3; i++)
      for (int anti = 0; anti < 2; anti++) {
        reference_case(2, Ls[a], 64, isas[i], anti);
        reference_case(2, Ls[a], 256, isas[i], anti);
      }
}

Test(msc_glass, reference_3d, .timeout = 300) {
  static const long Ls[] = {2, 4, 6, 10};
  for (size_t a = 0; a < sizeof Ls / sizeof *Ls; a++)
    for (int i = 0; i < 3; i++)
      for (int anti = 0; anti < 2; anti++) {
        reference_case(3, Ls[a], 64, isas[i], anti);
        reference_case(3, Ls[a], 256, isas[i], anti);
      }
}

/* A schedule run at any depth is the depth-1 run. */
Test(msc_glass, wavefront_depths_are_exact, .timeout = 300) {
  static const int dims[] = {2, 3};
  static const long Ls[] = {64, 16};
  double sched[23];
  for (int t = 0; t < 23; t++) sched[t] = 0.1 + 0.05 * t;
  for (int c = 0; c < 2; c++) {
    int8_t *J = random_bonds(dims[c], Ls[c], 5, 0.5);
    ceas_rng_key key = {21, 4};
    ceas_msc_glass *ref = new_glass(dims[c], Ls[c], 64, key, CEAS_MSC_HOT, J);
    cr_assert_eq(ceas_msc_glass_set_depth(ref, 1), 0);
    for (int t = 0; t < 23; t++)
      cr_assert_eq(ceas_msc_glass_anneal(ref, sched + t, 1), 0);
    const size_t nw = ceas_msc_glass_state_words(ref);
    uint64_t *want = malloc(nw * sizeof *want), *got = malloc(nw * sizeof *got);
    cr_assert(want && got);
    ceas_msc_glass_get_state(ref, want, NULL);
    static const int depths[] = {0, 2, 3, 5, 8};
    for (int k = 0; k < 5; k++) {
      ceas_msc_glass *st = new_glass(dims[c], Ls[c], 64, key, CEAS_MSC_HOT, J);
      cr_assert_eq(ceas_msc_glass_set_depth(st, depths[k]), 0);
      cr_assert_eq(ceas_msc_glass_anneal(st, sched, 23), 0);
      uint64_t done;
      ceas_msc_glass_get_state(st, got, &done);
      cr_assert_eq(done, 23);
      cr_assert(memcmp(got, want, nw * sizeof *got) == 0,
                "%dD depth %d differs from depth 1", dims[c], depths[k]);
      ceas_msc_glass_free(st);
    }
    free(want);
    free(got);
    ceas_msc_glass_free(ref);
    free(J);
  }
}

/* ---- J = +1 is the ferromagnet ------------------------------------------- */

static void ferro_case(int dim, long L, int R, const char *isa, int anti,
                       int explicit_J) {
  ceas_rng_key key = {77 + (uint64_t)L, 2};
  int8_t *J = NULL;
  if (explicit_J) {
    J = malloc((size_t)(dim * sites_of(dim, L)));
    cr_assert_not_null(J);
    memset(J, 1, (size_t)(dim * sites_of(dim, L)));
  }
  ceas_msc_glass *gl = new_glass(dim, L, R, key, CEAS_MSC_HOT, J);
  ceas_msc_state *fe = NULL;
  cr_assert_eq(ceas_msc_alloc(dim, L, R, key, CEAS_MSC_HOT, &fe), 0);
  if (ceas_msc_glass_set_isa(gl, isa) != 0) {
    ceas_msc_glass_free(gl);
    ceas_msc_free(fe);
    free(J);
    return;
  }
  cr_assert_eq(ceas_msc_set_isa(fe, isa), 0);
  ceas_msc_glass_set_antithetic(gl, anti);
  ceas_msc_set_antithetic(fe, anti);
  const size_t nw = ceas_msc_glass_state_words(gl);
  cr_assert_eq(nw, ceas_msc_state_words(fe));
  uint64_t *a = malloc(nw * sizeof *a), *b = malloc(nw * sizeof *b);
  int64_t *Eg = malloc((size_t)R * sizeof *Eg), *Ef = malloc((size_t)R * sizeof *Ef);
  int64_t *M = malloc((size_t)R * sizeof *M);
  cr_assert(a && b && Eg && Ef && M);
  /* Calls of 1, 7 and 40 sweeps: the single-sweep path and the wavefront. */
  static const double betas[] = {0.2, 0.4406868, 0.7};
  static const uint64_t n[] = {1, 7, 40};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(ceas_msc_glass_sweep(gl, betas[k], n[k]), 0);
    cr_assert_eq(ceas_msc_sweep(fe, betas[k], n[k]), 0);
    uint64_t ta, tb;
    ceas_msc_glass_get_state(gl, a, &ta);
    ceas_msc_get_state(fe, b, &tb);
    cr_assert_eq(ta, tb);
    cr_assert(memcmp(a, b, nw * sizeof *a) == 0,
              "%dD L=%ld R=%d %s%s%s: glass with J = +1 differs from the ferromagnet "
              "after %llu sweeps",
              dim, L, R, isa, anti ? " antithetic" : "", explicit_J ? "" : " (J = NULL)",
              (unsigned long long)ta);
    cr_assert_eq(ceas_msc_glass_energy(gl, Eg), 0);
    cr_assert_eq(ceas_msc_measure(fe, Ef, M), 0);
    cr_assert(memcmp(Eg, Ef, (size_t)R * sizeof *Eg) == 0, "%dD L=%ld: energies differ",
              dim, L);
  }
  free(a), free(b), free(Eg), free(Ef), free(M), free(J);
  ceas_msc_glass_free(gl);
  ceas_msc_free(fe);
}

Test(msc_glass, unit_couplings_are_the_ferromagnet, .timeout = 300) {
  static const int dims[] = {2, 2, 2, 2, 3, 3, 3, 3};
  static const long Ls[] = {2, 6, 34, 64, 2, 4, 10, 16};
  for (int c = 0; c < 8; c++)
    for (int i = 0; i < 3; i++) {
      ferro_case(dims[c], Ls[c], 64, isas[i], 0, 1);
      ferro_case(dims[c], Ls[c], 256, isas[i], 1, 1);
    }
  ferro_case(2, 18, 256, "auto", 0, 0);
  ferro_case(3, 6, 64, "auto", 1, 0);
}

/* ---- measurements, state, swap -------------------------------------------- */

/* Sizes: L = 2 (doubled bonds), rows of 5 sites (vector remainders), and 2D
 * L = 530, rows of 265 sites: longer than one 256-site chunk of the counter. */
Test(msc_glass, energy_and_overlap_equal_direct_sums, .timeout = 300) {
  static const int dims[] = {2, 2, 2, 3, 3};
  static const long Ls[] = {2, 10, 530, 2, 6};
  for (int c = 0; c < 5; c++)
    for (int R = 64; R <= 256; R *= 4) {
      const int dim = dims[c];
      const long L = Ls[c];
      if (L > 100 && R == 256) continue;
      const int64_t N = sites_of(dim, L);
      int8_t *J = random_bonds(dim, L, 40 + (uint64_t)c, 0.3);
      ceas_msc_glass *a = new_glass(dim, L, R, (ceas_rng_key){1, 1}, CEAS_MSC_HOT, J);
      ceas_msc_glass *b = new_glass(dim, L, R, (ceas_rng_key){1, 2}, CEAS_MSC_HOT, J);
      cr_assert_eq(ceas_msc_glass_sweep(a, 0.6, 3), 0);
      /* Each instruction set's counters (the generic ones stand in for a set
       * the CPU cannot run). */
      int64_t E[3][256], Q[3][256];
      for (int i = 0; i < 3; i++) {
        if (ceas_msc_glass_set_isa(a, isas[i]) != 0)
          cr_assert_eq(ceas_msc_glass_set_isa(a, "generic"), 0);
        cr_assert_eq(ceas_msc_glass_energy(a, E[i]), 0);
        cr_assert_eq(ceas_msc_glass_overlap(a, b, Q[i]), 0);
      }
      int8_t *sa = malloc((size_t)N), *sb = malloc((size_t)N);
      cr_assert(sa && sb);
      for (int r = 0; r < R; r++) {
        ceas_msc_glass_get_replica(a, r, sa);
        ceas_msc_glass_get_replica(b, r, sb);
        int64_t q = 0;
        for (int64_t i = 0; i < N; i++) q += sa[i] * sb[i];
        const int64_t e = direct_energy(dim, L, J, sa);
        for (int i = 0; i < 3; i++) {
          cr_assert_eq(E[i][r], e, "%dD L=%ld R=%d %s replica %d energy", dim, L, R,
                       isas[i], r);
          cr_assert_eq(Q[i][r], q, "%dD L=%ld R=%d %s replica %d overlap", dim, L, R,
                       isas[i], r);
        }
      }
      free(sa), free(sb), free(J);
      ceas_msc_glass_free(a);
      ceas_msc_glass_free(b);
    }
  /* Cold start: every bond contributes -J. */
  int8_t *J = random_bonds(2, 8, 3, 0.25);
  ceas_msc_glass *st = new_glass(2, 8, 64, (ceas_rng_key){2, 2}, CEAS_MSC_COLD, J);
  int64_t E[64], want = 0;
  for (int b = 0; b < 128; b++) want -= J[b];
  ceas_msc_glass_energy(st, E);
  for (int r = 0; r < 64; r++) cr_assert_eq(E[r], want);
  ceas_msc_glass_free(st);
  free(J);
}

Test(msc_glass, swap_exchanges_exactly_the_masked_replicas) {
  const int dim = 3, R = 256;
  const long L = 4;
  const int64_t N = 64;
  ceas_msc_glass *a = new_glass(dim, L, R, (ceas_rng_key){3, 1}, CEAS_MSC_HOT, NULL);
  ceas_msc_glass *b = new_glass(dim, L, R, (ceas_rng_key){3, 2}, CEAS_MSC_HOT, NULL);
  int8_t(*sa)[64] = malloc(sizeof(int8_t[256][64])),
  (*sb)[64] = malloc(sizeof(int8_t[256][64]));
  cr_assert(sa && sb);
  for (int r = 0; r < R; r++) {
    ceas_msc_glass_get_replica(a, r, sa[r]);
    ceas_msc_glass_get_replica(b, r, sb[r]);
  }
  uint64_t mask[4];
  ceas_rng_bits((ceas_rng_key){9, 9}, 0, 0, 0, 0, mask);
  cr_assert_eq(ceas_msc_glass_swap(a, b, mask), 0);
  int8_t s[64];
  for (int r = 0; r < R; r++) {
    const int sw = (int)((mask[r / 64] >> (r % 64)) & 1);
    ceas_msc_glass_get_replica(a, r, s);
    cr_assert(memcmp(s, sw ? sb[r] : sa[r], (size_t)N) == 0, "replica %d of a", r);
    ceas_msc_glass_get_replica(b, r, s);
    cr_assert(memcmp(s, sw ? sa[r] : sb[r], (size_t)N) == 0, "replica %d of b", r);
  }
  /* set_replica writes one replica and nothing else. */
  for (int i = 0; i < N; i++) s[i] = (int8_t)(i % 3 ? 1 : -1);
  cr_assert_eq(ceas_msc_glass_set_replica(a, 77, s), 0);
  int8_t t[64];
  ceas_msc_glass_get_replica(a, 77, t);
  cr_assert(memcmp(s, t, 64) == 0);
  ceas_msc_glass_get_replica(a, 76, t);
  const int sw76 = (int)((mask[1] >> 12) & 1);
  cr_assert(memcmp(t, sw76 ? sb[76] : sa[76], 64) == 0);
  free(sa), free(sb);
  ceas_msc_glass_free(a);
  ceas_msc_glass_free(b);
}

Test(msc_glass, state_round_trip_continues_the_chain) {
  int8_t *J = random_bonds(2, 12, 8, 0.5);
  ceas_msc_glass *a = new_glass(2, 12, 256, (ceas_rng_key){4, 4}, CEAS_MSC_HOT, J);
  ceas_msc_glass *b = new_glass(2, 12, 256, (ceas_rng_key){4, 4}, CEAS_MSC_COLD, J);
  cr_assert_eq(ceas_msc_glass_sweep(a, 0.9, 6), 0);
  const size_t nw = ceas_msc_glass_state_words(a);
  cr_assert_eq(nw, (size_t)144 * 4);
  uint64_t *w = malloc(nw * 8), *w2 = malloc(nw * 8), done;
  ceas_msc_glass_get_state(a, w, &done);
  ceas_msc_glass_set_state(b, w, done);
  cr_assert_eq(ceas_msc_glass_sweep(a, 0.9, 5), 0);
  cr_assert_eq(ceas_msc_glass_sweep(b, 0.9, 5), 0);
  ceas_msc_glass_get_state(a, w, NULL);
  ceas_msc_glass_get_state(b, w2, NULL);
  cr_assert(memcmp(w, w2, nw * 8) == 0);
  free(w), free(w2), free(J);
  ceas_msc_glass_free(a);
  ceas_msc_glass_free(b);
}

/* The anneal module's EA generator stores each bond once in CSR form; the signs
 * read back from it make the kernel's energies those of ceas_anneal_energy. */
Test(msc_glass, signs_from_the_ea_generator) {
  static const int dims[] = {2, 3};
  static const long Ls[] = {6, 4};
  for (int c = 0; c < 2; c++) {
    ceas_anneal_problem *pb = NULL;
    cr_assert_eq(ceas_anneal_problem_ea(dims[c], Ls[c], CEAS_ANNEAL_BONDS_PM, 12, &pb), 0,
                 "%s", ceas_error_message());
    const int64_t N = pb->n;
    int8_t *J = malloc((size_t)(dims[c] * N)), *s = malloc((size_t)N);
    double unit = 0;
    cr_assert_eq(ceas_msc_glass_signs_from_csr(dims[c], Ls[c], N, pb->indptr, pb->indices,
                                               pb->J, J, &unit),
                 0, "%s", ceas_error_message());
    ceas_msc_glass *st =
        new_glass(dims[c], Ls[c], 64, (ceas_rng_key){5, 5}, CEAS_MSC_HOT, J);
    cr_assert_eq(ceas_msc_glass_sweep(st, 0.5, 4), 0);
    int64_t E[64];
    ceas_msc_glass_energy(st, E);
    for (int r = 0; r < 64; r++) {
      ceas_msc_glass_get_replica(st, r, s);
      cr_assert_eq((double)E[r] * unit, ceas_anneal_energy(pb, s), "%dD replica %d",
                   dims[c], r);
    }
    /* Gaussian couplings are not one magnitude. */
    ceas_anneal_problem *pg = NULL;
    cr_assert_eq(ceas_anneal_problem_ea(dims[c], Ls[c], CEAS_ANNEAL_BONDS_GAUSS, 12, &pg),
                 0);
    cr_assert_eq(ceas_msc_glass_signs_from_csr(dims[c], Ls[c], N, pg->indptr, pg->indices,
                                               pg->J, J, NULL),
                 CEAS_EINPUT);
    /* Wrong size. */
    cr_assert_eq(ceas_msc_glass_signs_from_csr(dims[c], Ls[c] + 2, N, pb->indptr,
                                               pb->indices, pb->J, J, NULL),
                 CEAS_EINPUT);
    ceas_anneal_problem_free(pg);
    ceas_anneal_problem_free(pb);
    ceas_msc_glass_free(st);
    free(J), free(s);
  }
  /* An SK instance has n = 16 spins like a 4x4 torus but every pair coupled. */
  ceas_anneal_problem *sk = NULL;
  cr_assert_eq(ceas_anneal_problem_sk(16, CEAS_ANNEAL_BONDS_PM, 1, &sk), 0);
  int8_t J[32];
  cr_assert_eq(
      ceas_msc_glass_signs_from_csr(2, 4, 16, sk->indptr, sk->indices, sk->J, J, NULL),
      CEAS_EINPUT);
  ceas_anneal_problem_free(sk);
}

Test(msc_glass, bad_input_is_refused) {
  ceas_msc_glass *st = NULL;
  ceas_rng_key key = {1, 1};
  cr_expect_eq(ceas_msc_glass_alloc(4, 8, 64, key, CEAS_MSC_HOT, NULL, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_alloc(2, 7, 64, key, CEAS_MSC_HOT, NULL, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_alloc(2, 0, 64, key, CEAS_MSC_HOT, NULL, &st), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_alloc(2, 8, 128, key, CEAS_MSC_HOT, NULL, &st),
               CEAS_EINPUT);
  cr_expect_null(st);
  int8_t J[128];
  memset(J, 1, sizeof J);
  J[77] = 0;
  cr_expect_eq(ceas_msc_glass_alloc(2, 8, 64, key, CEAS_MSC_HOT, J, &st), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "coupling 77") != NULL, "%s",
            ceas_error_message());
  J[77] = -1;
  cr_assert_eq(ceas_msc_glass_alloc(2, 8, 64, key, CEAS_MSC_HOT, J, &st), 0);
  cr_expect_eq(ceas_msc_glass_sweep(st, -1, 1), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_sweep(st, NAN, 1), CEAS_EINPUT);
  const double sched[3] = {0.1, INFINITY, 0.3};
  cr_expect_eq(ceas_msc_glass_anneal(st, sched, 3), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_anneal(st, NULL, 3), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_sweeps_done(st), 0, "a refused schedule runs no sweep");
  cr_expect_eq(ceas_msc_glass_set_isa(st, "sse9"), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_set_depth(st, 65), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_get_replica(st, 64, NULL), CEAS_EINPUT);
  int8_t bad[64];
  memset(bad, 1, sizeof bad);
  bad[5] = 2;
  cr_expect_eq(ceas_msc_glass_set_replica(st, 0, bad), CEAS_EINPUT);
  ceas_msc_glass *other = NULL;
  cr_assert_eq(ceas_msc_glass_alloc(2, 8, 256, key, CEAS_MSC_HOT, NULL, &other), 0);
  uint64_t mask[4] = {~UINT64_C(0), 0, 0, 0};
  int64_t Q[256];
  cr_expect_eq(ceas_msc_glass_swap(st, other, mask), CEAS_EINPUT);
  cr_expect_eq(ceas_msc_glass_overlap(st, other, Q), CEAS_EINPUT);
  ceas_msc_glass_free(other);
  ceas_msc_glass_free(st);
}

/* ---- physics against enumeration ------------------------------------------ */

typedef struct {
  double e, e2; /* <E>/N, <E^2>/N^2 */
} exact_e;

/* All 2^N states of a small instance (N <= 20), energies summed directly. */
static exact_e enumerate(int dim, long L, const int8_t *J, double beta) {
  const int64_t N = sites_of(dim, L);
  cr_assert(N <= 20);
  int8_t s[20];
  double z = 0, ze = 0, ze2 = 0, emin = 0;
  double *E = malloc(sizeof(double) << N);
  cr_assert_not_null(E);
  for (uint64_t c = 0; c < (UINT64_C(1) << N); c++) {
    for (int64_t i = 0; i < N; i++) s[i] = (c >> i) & 1 ? -1 : 1;
    E[c] = (double)direct_energy(dim, L, J, s);
    if (E[c] < emin) emin = E[c];
  }
  for (uint64_t c = 0; c < (UINT64_C(1) << N); c++) {
    const double w = exp(-beta * (E[c] - emin));
    z += w;
    ze += w * E[c];
    ze2 += w * E[c] * E[c];
  }
  free(E);
  return (exact_e){ze / z / (double)N, ze2 / z / ((double)N * (double)N)};
}

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
  cr_assert(n / B >= 32,
            "%s: run too short: tau_int %.1f needs bins of %zu, only %zu bins", what,
            tmax, B, n / B);
  return B;
}

static void expect_binned(const char *what, const double *x, size_t n, size_t B,
                          double exact) {
  const size_t nb = n / B;
  double *bins = malloc(nb * sizeof *bins), mean, err;
  ceas_measure_bin(x, n, B, bins);
  ceas_measure_mean_error(bins, nb, &mean, &err);
  free(bins);
  cr_log_info("%s: MC %.6f +- %.2g vs exact %.6f (%+.2f error bars)", what, mean, err,
              exact, (mean - exact) / err);
  cr_expect(isfinite(mean) && err > 0, "%s: no error bar", what);
  cr_expect(fabs(mean - exact) <= NSIGMA * err, "%s: MC %.6f +- %.2g vs exact %.6f", what,
            mean, err, exact);
}

static void enumeration_case(int dim, long L, int R, int anti, const double *betas,
                             int nb, uint64_t instance) {
  int8_t *J = random_bonds(dim, L, instance, 0.5);
  const size_t n = 20000;
  double *e = malloc(n * sizeof *e), *e2 = malloc(n * sizeof *e2);
  cr_assert(e && e2);
  for (int b = 0; b < nb; b++) {
    ceas_msc_glass *st =
        new_glass(dim, L, R, (ceas_rng_key){900 + (uint64_t)b, 1}, CEAS_MSC_HOT, J);
    ceas_msc_glass_set_antithetic(st, anti);
    cr_assert_eq(ceas_msc_glass_sweep(st, betas[b], 1000), 0);
    const int64_t N = sites_of(dim, L);
    const double Nd = (double)N;
    int64_t E[256];
    for (size_t t = 0; t < n; t++) {
      cr_assert_eq(ceas_msc_glass_sweep(st, betas[b], 1), 0);
      cr_assert_eq(ceas_msc_glass_energy(st, E), 0);
      double s = 0, s2 = 0;
      for (int r = 0; r < R; r++) {
        s += (double)E[r] / Nd;
        s2 += ((double)E[r] / Nd) * ((double)E[r] / Nd);
      }
      e[t] = s / R;
      e2[t] = s2 / R;
    }
    char what[128];
    snprintf(what, sizeof what, "%dD L=%ld R=%d%s instance %llu beta=%g", dim, L, R,
             anti ? " antithetic" : "", (unsigned long long)instance, betas[b]);
    const double *xs[2] = {e, e2};
    const size_t B = bin_size(xs, 2, n, what);
    const exact_e x = enumerate(dim, L, J, betas[b]);
    char w2[160];
    snprintf(w2, sizeof w2, "%s <E>/N", what);
    expect_binned(w2, e, n, B, x.e);
    snprintf(w2, sizeof w2, "%s <E^2>/N^2", what);
    expect_binned(w2, e2, n, B, x.e2);
    ceas_msc_glass_free(st);
  }
  free(e), free(e2), free(J);
}

/* 2D 4x4 (16 spins): from the paramagnet to well below the energy scale of a
 * frustrated plaquette. */
Test(msc_glass, enumeration_2d_L4, .timeout = 300) {
  static const double betas[] = {0.3, 0.7, 1.5};
  enumeration_case(2, 4, 64, 0, betas, 3, 1);
  enumeration_case(2, 4, 256, 1, betas, 3, 2);
}

/* 2x2x2 with doubled bonds (each pair joined by two bonds of independent signs,
 * so some pairs have J = 0 in effect and others +-2), and 2x2 in 2D. */
Test(msc_glass, enumeration_doubled_bonds, .timeout = 300) {
  static const double betas[] = {0.2, 0.5, 1.2};
  enumeration_case(3, 2, 64, 0, betas, 3, 3);
  enumeration_case(3, 2, 256, 1, betas, 3, 4);
  enumeration_case(2, 2, 64, 0, betas, 3, 5);
}

/* Parallel tempering as the header prescribes: one state per temperature, each
 * with its own key; after every sweep, replica r of the two states exchanges
 * configurations with probability min(1, exp((b0 - b1)(E0 - E1))), the
 * uniforms from a test-only stream. Both temperatures must sample their own
 * Boltzmann distribution. */
Test(msc_glass, parallel_tempering_one_state_per_temperature, .timeout = 300) {
  const int dim = 2, R = 64;
  const long L = 4;
  const double beta[2] = {0.4, 1.4};
  int8_t *J = random_bonds(dim, L, 6, 0.5);
  ceas_msc_glass *st[2];
  for (int k = 0; k < 2; k++)
    st[k] = new_glass(dim, L, R, (ceas_rng_key){31, 10 + (uint64_t)k}, CEAS_MSC_HOT, J);
  const size_t n = 20000, therm = 500;
  double *e[2], *e2[2];
  for (int k = 0; k < 2; k++) {
    e[k] = malloc(n * sizeof(double));
    e2[k] = malloc(n * sizeof(double));
    cr_assert(e[k] && e2[k]);
  }
  uint64_t swaps = 0, tries = 0;
  for (size_t t = 0; t < therm + n; t++) {
    int64_t E[2][64];
    for (int k = 0; k < 2; k++) {
      cr_assert_eq(ceas_msc_glass_sweep(st[k], beta[k], 1), 0);
      cr_assert_eq(ceas_msc_glass_energy(st[k], E[k]), 0);
    }
    uint64_t mask = 0, u[4] = {0, 0, 0, 0};
    for (int r = 0; r < R; r++) {
      if (r % 4 == 0) ceas_rng_bits((ceas_rng_key){77, 77}, t, (uint64_t)r, 0, 0, u);
      const double p = exp((beta[0] - beta[1]) * (double)(E[0][r] - E[1][r]));
      if ((double)(u[r % 4] >> 11) * 0x1p-53 < p) {
        mask |= UINT64_C(1) << r;
        const int64_t tmp = E[0][r];
        E[0][r] = E[1][r];
        E[1][r] = tmp;
      }
    }
    cr_assert_eq(ceas_msc_glass_swap(st[0], st[1], &mask), 0);
    if (t < therm) continue;
    tries += R;
    swaps += (uint64_t)__builtin_popcountll(mask);
    for (int k = 0; k < 2; k++) {
      double s = 0, s2 = 0;
      for (int r = 0; r < R; r++) {
        s += (double)E[k][r] / 16.0;
        s2 += ((double)E[k][r] / 16.0) * ((double)E[k][r] / 16.0);
      }
      e[k][t - therm] = s / R;
      e2[k][t - therm] = s2 / R;
    }
    if (t + 1 == therm + n) {
      /* The energies tracked through the swaps are the states' energies. */
      int64_t chk[64];
      for (int k = 0; k < 2; k++) {
        ceas_msc_glass_energy(st[k], chk);
        cr_assert(memcmp(chk, E[k], sizeof chk) == 0);
      }
    }
  }
  cr_log_info("PT exchange acceptance %.3f", (double)swaps / (double)tries);
  cr_expect(swaps > tries / 20, "too few exchanges (%llu of %llu) to test anything",
            (unsigned long long)swaps, (unsigned long long)tries);
  for (int k = 0; k < 2; k++) {
    char what[96];
    snprintf(what, sizeof what, "PT 2D L=4 beta=%g", beta[k]);
    const double *xs[2] = {e[k], e2[k]};
    const size_t B = bin_size(xs, 2, n, what);
    const exact_e x = enumerate(dim, L, J, beta[k]);
    char w2[128];
    snprintf(w2, sizeof w2, "%s <E>/N", what);
    expect_binned(w2, e[k], n, B, x.e);
    snprintf(w2, sizeof w2, "%s <E^2>/N^2", what);
    expect_binned(w2, e2[k], n, B, x.e2);
    free(e[k]);
    free(e2[k]);
  }
  for (int k = 0; k < 2; k++) ceas_msc_glass_free(st[k]);
  free(J);
}
