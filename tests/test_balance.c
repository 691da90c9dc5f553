/* Stationarity and detailed balance, checked on systems small enough to list
 * every state.
 *
 * Detailed balance pi(a) P(a,b) = pi(b) P(b,a) is tested with the empirical
 * transition probabilities: given n_a visits to a, the moves out of a are
 * multinomial (the Markov property), so P_hat(a,b) has the exact binomial error
 * sqrt(P(1-P)/n_a) and each pair gives a z-score. The visit histogram against the
 * Boltzmann weights uses batch means for its errors (visits are correlated).
 * The Boltzmann weights come from the test's own energy function. */
#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_lattice.h"

#define MAXS 512
#define NBATCH 100

typedef struct {
  int n;              /* spins */
  int ne;
  int ei[64], ej[64];
  double J[64], h[16];
  double beta;
  double pi[MAXS];    /* exact Boltzmann weights */
} tiny;

static double tiny_energy(const tiny *t, int state) {
  double E = 0;
  for (int k = 0; k < t->ne; k++)
    E -= t->J[k] * (((state >> t->ei[k]) & 1) ? 1 : -1) * (((state >> t->ej[k]) & 1) ? 1 : -1);
  for (int i = 0; i < t->n; i++) E -= t->h[i] * (((state >> i) & 1) ? 1 : -1);
  return E;
}

static void tiny_boltzmann(tiny *t) {
  int ns = 1 << t->n;
  double emin = INFINITY, z = 0;
  for (int a = 0; a < ns; a++) emin = fmin(emin, tiny_energy(t, a));
  for (int a = 0; a < ns; a++) z += t->pi[a] = exp(-t->beta * (tiny_energy(t, a) - emin));
  for (int a = 0; a < ns; a++) t->pi[a] /= z;
}

static ceas_lattice_system *tiny_system(const tiny *t) {
  /* CSR with both directions, built here rather than through the file reader. */
  int64_t indptr[17] = {0};
  int32_t idx[128];
  double J[128];
  for (int k = 0; k < t->ne; k++) {
    indptr[t->ei[k] + 1]++;
    indptr[t->ej[k] + 1]++;
  }
  for (int i = 0; i < t->n; i++) indptr[i + 1] += indptr[i];
  int64_t fill[16];
  memcpy(fill, indptr, sizeof fill);
  for (int k = 0; k < t->ne; k++) {
    int64_t a = fill[t->ei[k]]++, b = fill[t->ej[k]]++;
    idx[a] = t->ej[k];
    J[a] = t->J[k];
    idx[b] = t->ei[k];
    J[b] = t->J[k];
  }
  ceas_lattice_system *sys = NULL;
  cr_assert_eq(ceas_lattice_graph_alloc(t->n, indptr, idx, J, t->h, "tiny", &sys), 0, "%s",
               ceas_error_message());
  return sys;
}

static int encode(const int8_t *s, int n) {
  int a = 0;
  for (int i = 0; i < n; i++) a |= (s[i] > 0) << i;
  return a;
}

typedef struct {
  long long *count; /* [a * ns + b] */
  long long visits[MAXS];
  double batch[NBATCH][MAXS];
} record;

/* Visit histogram against the Boltzmann weights, errors from batch means: every
 * state expected >= 200 times gets |z| < zmax, and the sum of z^2 is checked too. */
static void check_histogram(const tiny *t, const record *r, long long steps, double zmax,
                            int min_states, const char *what) {
  int used = 0;
  double chi2 = 0;
  for (int a = 0; a < (1 << t->n); a++) {
    if (t->pi[a] * (double)steps < 200) continue;
    double m = 0, v = 0;
    for (int k = 0; k < NBATCH; k++) m += r->batch[k][a] / NBATCH;
    for (int k = 0; k < NBATCH; k++) v += (r->batch[k][a] - m) * (r->batch[k][a] - m);
    double err = sqrt(v / (NBATCH - 1) / NBATCH);
    double z = (m - t->pi[a]) / err;
    chi2 += z * z;
    used++;
    cr_expect(fabs(z) < zmax, "%s: state %d visited with frequency %.6f +- %.2g, Boltzmann %.6f",
              what, a, m, err, t->pi[a]);
  }
  cr_expect(used >= min_states, "%s: too few states tested (%d)", what, used);
  /* z^2 from 100 batches follows F(1, 99): mean 1.02, variance ~2.1 per state. */
  cr_expect(chi2 < 1.02 * used + 5 * sqrt(2.1 * used), "%s: chi2 = %.1f for %d states",
            what, chi2, used);
}

/* Detailed balance z-scores for every pair with enough moves both ways for the
 * normal approximation (expected >= 20), plus the histogram test. */
static void check_record(const tiny *t, const record *r, long long steps, const char *what) {
  int ns = 1 << t->n, pairs = 0;
  double worst = 0;
  for (int a = 0; a < ns; a++)
    for (int b = a + 1; b < ns; b++) {
      long long nab = r->count[a * ns + b], nba = r->count[b * ns + a];
      if (nab < 20 || nba < 20) continue;
      double pab = (double)nab / r->visits[a], pba = (double)nba / r->visits[b];
      double var = t->pi[a] * t->pi[a] * pab * (1 - pab) / r->visits[a] +
                   t->pi[b] * t->pi[b] * pba * (1 - pba) / r->visits[b];
      double z = (t->pi[a] * pab - t->pi[b] * pba) / sqrt(var);
      pairs++;
      if (fabs(z) > fabs(worst)) worst = z;
      cr_expect(fabs(z) < 4.5, "%s: detailed balance violated for %d<->%d: z = %.2f", what,
                a, b, z);
    }
  cr_expect(pairs >= ns, "%s: only %d pairs had enough transitions", what, pairs);
  check_histogram(t, r, steps, 5.0, 8, what);
}

static record *record_new(int ns) {
  record *r = calloc(1, sizeof *r);
  r->count = calloc((size_t)ns * ns, sizeof *r->count);
  return r;
}

static void record_free(record *r) {
  free(r->count);
  free(r);
}

static void make_tiny(tiny *t, int n, int ferro, int field, double beta, unsigned long seed) {
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(g, seed);
  memset(t, 0, sizeof *t);
  t->n = n;
  t->beta = beta;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      t->ei[t->ne] = i;
      t->ej[t->ne] = j;
      t->J[t->ne++] = ferro ? 0.3 + gsl_rng_uniform(g) : gsl_ran_gaussian(g, 1.0);
    }
  for (int i = 0; i < n; i++) t->h[i] = field ? gsl_ran_gaussian(g, 0.5) : 0;
  gsl_rng_free(g);
  tiny_boltzmann(t);
}

/* The acceptance rules alone, in a random-sequential chain driven by GSL. */
static void rule_case(int (*rule)(const ceas_lattice_system *, int8_t *, int64_t, double, double),
                      const char *what) {
  tiny t;
  make_tiny(&t, 4, 0, 1, 0.7, 99);
  ceas_lattice_system *sys = tiny_system(&t);
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(g, 3);
  int8_t s[4] = {1, 1, 1, 1};
  int ns = 16;
  record *r = record_new(ns);
  const long long steps = 2000000;
  int a = encode(s, 4);
  for (long long k = 0; k < steps; k++) {
    int64_t i = (int64_t)gsl_rng_uniform_int(g, 4);
    rule(sys, s, i, t.beta, gsl_rng_uniform(g));
    int b = encode(s, 4);
    r->count[a * ns + b]++;
    r->visits[a]++;
    r->batch[k * NBATCH / steps][b] += (double)NBATCH / steps;
    a = b;
  }
  check_record(&t, r, steps, what);
  record_free(r);
  gsl_rng_free(g);
  ceas_lattice_system_free(sys);
}

Test(balance, metropolis_rule) { rule_case(ceas_lattice_site_metropolis, "metropolis rule"); }
Test(balance, heatbath_rule) { rule_case(ceas_lattice_site_heatbath, "heatbath rule"); }

/* Whole sweeps of the engine's kernels with its own random numbers. */
static void sweep_case(const ceas_lattice_kernel *k, int ferro, int field, double beta,
                       const char *what) {
  tiny t;
  make_tiny(&t, 4, ferro, field, beta, 1234);
  ceas_lattice_system *sys = tiny_system(&t);
  cr_assert_eq(ceas_lattice_kernel_check(k, sys), 0, "%s", ceas_error_message());
  ceas_lattice_state *st = NULL;
  ceas_rng_key key = {42, 0};
  cr_assert_eq(ceas_lattice_state_alloc(sys, key, CEAS_INIT_HOT, &st), 0);
  record *r = record_new(16);
  const long long steps = 1000000;
  int a = encode(st->spins, 4);
  for (long long n = 0; n < steps; n++) {
    k->sweep(st, beta);
    int b = encode(st->spins, 4);
    r->count[a * 16 + b]++;
    r->visits[a]++;
    r->batch[n * NBATCH / steps][b] += (double)NBATCH / steps;
    a = b;
  }
  check_record(&t, r, steps, what);
  record_free(r);
  ceas_lattice_state_free(st);
  ceas_lattice_system_free(sys);
}

/* Random-sequential sweeps are products of reversible updates: reversible. */
Test(balance, metropolis_graph_sweep, .timeout = 120) {
  sweep_case(&ceas_lattice_kernel_metropolis, 0, 1, 0.7, "metropolis graph sweep");
}
Test(balance, heatbath_graph_sweep, .timeout = 120) {
  sweep_case(&ceas_lattice_kernel_heatbath, 0, 1, 0.7, "heatbath graph sweep");
}
/* One Wolff cluster per sweep, and Swendsen–Wang: reversible on a ferromagnet. */
Test(balance, wolff_sweep, .timeout = 120) { sweep_case(&ceas_lattice_kernel_wolff, 1, 0, 0.4, "wolff sweep"); }
Test(balance, sw_sweep, .timeout = 120) { sweep_case(&ceas_lattice_kernel_sw, 1, 0, 0.4, "sw sweep"); }

/* Checkerboard sweeps (even sites, then odd) are not reversible, only
 * stationary: test the visit histogram of a 3x3 torus (512 states). */
static void checkerboard_case(const ceas_lattice_kernel *k) {
  tiny t;
  memset(&t, 0, sizeof t);
  t.n = 9;
  t.beta = 0.25;
  for (int i = 0; i < 9; i++) {
    int x = i % 3, y = i / 3;
    t.ei[t.ne] = i;
    t.ej[t.ne] = (x + 1) % 3 + 3 * y;
    t.J[t.ne++] = 1;
    t.ei[t.ne] = i;
    t.ej[t.ne] = x + 3 * ((y + 1) % 3);
    t.J[t.ne++] = 1;
  }
  tiny_boltzmann(&t);
  ceas_lattice_system *sys = NULL;
  cr_assert_eq(ceas_lattice_hypercubic_alloc(CEAS_MODEL_ISING2D, 3, 0.0, &sys), 0);
  ceas_lattice_state *st = NULL;
  ceas_rng_key key = {7, 1};
  cr_assert_eq(ceas_lattice_state_alloc(sys, key, CEAS_INIT_HOT, &st), 0);
  record *r = record_new(512);
  const long long steps = 2000000;
  for (long long n = 0; n < steps; n++) {
    k->sweep(st, t.beta);
    r->batch[n * NBATCH / steps][encode(st->spins, 9)] += (double)NBATCH / steps;
  }
  char what[64];
  snprintf(what, sizeof what, "%s checkerboard", k->name);
  check_histogram(&t, r, steps, 5.5, 100, what);
  record_free(r);
  ceas_lattice_state_free(st);
  ceas_lattice_system_free(sys);
}

Test(balance, metropolis_checkerboard_stationary, .timeout = 300) { checkerboard_case(&ceas_lattice_kernel_metropolis); }
Test(balance, heatbath_checkerboard_stationary, .timeout = 300) { checkerboard_case(&ceas_lattice_kernel_heatbath); }
