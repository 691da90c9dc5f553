/* Speed of the ±J replica-packed kernel against the ferromagnetic one, in one run.
 *
 * For each case the ferromagnetic ceas_msc_state and a ceas_msc_glass with
 * random ±J bonds (half negative) run the same lattice, replicas, key, beta and
 * kernel set, alternating in rounds so that both see the same machine load:
 * each round warms up for 1 sweep and times whole calls of `depth` sweeps for at
 * least S / ROUNDS seconds. Flip attempts per ns = R L^d sweeps / ns, by wall
 * clock and by the thread's CPU time.
 *
 * Mode "lock": are the replicas of one annealed state independent reads? A 2D
 * ±J instance (L = 32) is annealed on a geometric schedule from beta 0.1 to 3
 * by R = 64 replicas of one state (shared uniforms, then antithetic) and by 64
 * states of distinct keys (replica 0 of each: independent reads); printed are
 * the pairs of reads that end in the same configuration or its mirror image,
 * the distinct final energies, the mean, spread and best of E / N.
 *
 * build: cc -O2 -std=c11 -Isrc/msc -Isrc/core bench/msc_glass.c \
 *          build-h5/libceasim.a -lm -o msc_glass_bench
 * usage: msc_glass_bench [SECONDS_PER_KERNEL] [ISA]     (default 2, auto)
 *        msc_glass_bench lock SWEEPS
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ceas_msc.h"

#define ROUNDS 4

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  double wall, cpu;
  uint64_t sweeps;
} tally;

static void time_ferro(ceas_msc_state *st, double beta, double seconds, tally *t) {
  ceas_msc_sweep(st, beta, 1);
  const uint64_t chunk = (uint64_t)ceas_msc_depth(st);
  double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID), w;
  do {
    ceas_msc_sweep(st, beta, chunk);
    t->sweeps += chunk;
    w = now(CLOCK_MONOTONIC);
  } while (w - w0 < seconds);
  t->wall += w - w0;
  t->cpu += now(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static void time_glass(ceas_msc_glass *st, double beta, double seconds, tally *t) {
  ceas_msc_glass_sweep(st, beta, 1);
  const uint64_t chunk = (uint64_t)ceas_msc_glass_depth(st);
  double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID), w;
  do {
    ceas_msc_glass_sweep(st, beta, chunk);
    t->sweeps += chunk;
    w = now(CLOCK_MONOTONIC);
  } while (w - w0 < seconds);
  t->wall += w - w0;
  t->cpu += now(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static int8_t *ea_bonds(int d, long L, uint64_t seed) {
  const int64_t N = d == 2 ? L * L : L * L * L;
  int8_t *J = malloc((size_t)(d * N));
  if (!J) exit(1);
  for (int64_t b = 0; b < d * N; b++) {
    uint64_t w[4];
    ceas_rng_bits((ceas_rng_key){seed, 0}, (uint64_t)b, 0, 0, 0, w);
    J[b] = (int8_t)(w[0] >> 63 ? -1 : 1);
  }
  return J;
}

/* Pairs of the 64 reads s[r] (N spins each) equal up to a global flip, distinct
 * energies, mean / standard deviation / minimum of E / N. */
static void lock_report(const char *what, int8_t (*s)[1024], const int64_t *E) {
  int locked = 0, distinct = 0;
  for (int a = 0; a < 64; a++) {
    int seen = 0;
    for (int b = 0; b < a; b++) seen |= E[b] == E[a];
    distinct += !seen;
    for (int b = a + 1; b < 64; b++) {
      int q = 0;
      for (int i = 0; i < 1024; i++) q += s[a][i] * s[b][i];
      locked += q == 1024 || q == -1024;
    }
  }
  double m = 0, m2 = 0, best = 0;
  for (int r = 0; r < 64; r++) {
    const double e = (double)E[r] / 1024.0;
    m += e / 64;
    m2 += e * e / 64;
    if (e < best) best = e;
  }
  printf("| %s | %d / 2016 | %d | %.4f | %.4f | %.4f |\n", what, locked, distinct, m,
         sqrt(m2 - m * m), best);
}

static int lock_mode(uint64_t sweeps) {
  const long L = 32;
  int8_t *J = ea_bonds(2, L, 2024);
  double *sched = malloc(sweeps * sizeof *sched);
  int8_t(*s)[1024] = malloc(64 * sizeof *s);
  if (!sched || !s) return 1;
  for (uint64_t t = 0; t < sweeps; t++)
    sched[t] = 0.1 * pow(30.0, sweeps > 1 ? (double)t / (double)(sweeps - 1) : 1.0);
  printf("| reads | locked pairs | distinct E | mean E/N | spread | best E/N |\n");
  printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (int anti = 0; anti < 2; anti++) {
    ceas_msc_glass *st = NULL;
    if (ceas_msc_glass_alloc(2, L, 64, (ceas_rng_key){5, 0}, CEAS_MSC_HOT, J, &st))
      return 1;
    ceas_msc_glass_set_antithetic(st, anti);
    ceas_msc_glass_anneal(st, sched, sweeps);
    int64_t E[64];
    ceas_msc_glass_energy(st, E);
    for (int r = 0; r < 64; r++) ceas_msc_glass_get_replica(st, r, s[r]);
    lock_report(
        anti ? "64 replicas of one state, antithetic" : "64 replicas of one state", s, E);
    ceas_msc_glass_free(st);
  }
  int64_t E[64], Er[64];
  for (int k = 0; k < 64; k++) {
    ceas_msc_glass *st = NULL;
    if (ceas_msc_glass_alloc(2, L, 64, (ceas_rng_key){5, 1 + (uint64_t)k}, CEAS_MSC_HOT,
                             J, &st))
      return 1;
    ceas_msc_glass_anneal(st, sched, sweeps);
    ceas_msc_glass_energy(st, Er);
    E[k] = Er[0];
    ceas_msc_glass_get_replica(st, 0, s[k]);
    ceas_msc_glass_free(st);
  }
  lock_report("replica 0 of 64 states (distinct keys)", s, E);
  /* n_eff = (spread within a state)^2 / (spread of the state means)^2 over 32
   * states of distinct keys: 64 if the replicas were independent reads. */
  for (int anti = 0; anti < 2; anti++) {
    double within = 0, mm = 0, mm2 = 0;
    for (int k = 0; k < 32; k++) {
      ceas_msc_glass *st = NULL;
      if (ceas_msc_glass_alloc(2, L, 64, (ceas_rng_key){6, (uint64_t)k}, CEAS_MSC_HOT, J,
                               &st))
        return 1;
      ceas_msc_glass_set_antithetic(st, anti);
      ceas_msc_glass_anneal(st, sched, sweeps);
      ceas_msc_glass_energy(st, Er);
      double m = 0, m2 = 0;
      for (int r = 0; r < 64; r++) {
        m += (double)Er[r] / 64;
        m2 += (double)Er[r] * (double)Er[r] / 64;
      }
      within += (m2 - m * m) * 64.0 / 63.0 / 32.0;
      mm += m / 32;
      mm2 += m * m / 32;
      ceas_msc_glass_free(st);
    }
    const double between = (mm2 - mm * mm) * 32.0 / 31.0;
    printf("%s: n_eff of 64 replicas = %.1f (32 states; relative error ~25%%)\n",
           anti ? "antithetic" : "shared uniforms", within / between);
  }
  free(J), free(sched), free(s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "lock")) return lock_mode(strtoull(argv[2], NULL, 10));
  const double S = argc > 1 ? atof(argv[1]) : 2.0;
  const char *isa = argc > 2 ? argv[2] : "auto";
  static const int dims[] = {2, 2, 3, 3};
  static const long Ls[] = {64, 256, 16, 32};
  printf(
      "| model | L | R | isa | depth | ferro flips/ns | glass flips/ns | glass / ferro |"
      " ferro (CPU) | glass (CPU) | glass / ferro (CPU) | glass energy ns/site |"
      " ferro measure ns/site |\n");
  printf("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
         "---: |"
         " ---: |\n");
  for (int c = 0; c < 4; c++)
    for (int R = 64; R <= 256; R *= 4) {
      const int d = dims[c];
      const long L = Ls[c];
      const int64_t N = d == 2 ? L * L : L * L * L;
      int8_t *J = malloc((size_t)(d * N));
      if (!J) return 1;
      for (int64_t b = 0; b < d * N; b++) {
        uint64_t w[4];
        ceas_rng_bits((ceas_rng_key){42, 0}, (uint64_t)b, 0, 0, 0, w);
        J[b] = (int8_t)(w[0] >> 63 ? -1 : 1);
      }
      const ceas_rng_key key = {7, 1};
      ceas_msc_state *fe = NULL;
      ceas_msc_glass *gl = NULL;
      if (ceas_msc_alloc(d, L, R, key, CEAS_MSC_HOT, &fe) ||
          ceas_msc_glass_alloc(d, L, R, key, CEAS_MSC_HOT, J, &gl) ||
          ceas_msc_set_isa(fe, isa) || ceas_msc_glass_set_isa(gl, isa)) {
        fprintf(stderr, "msc_glass_bench: %s\n", ceas_error_message());
        return 1;
      }
      const double beta = d == 2 ? 0.44 : 0.22;
      tally tf = {0, 0, 0}, tg = {0, 0, 0};
      for (int round = 0; round < ROUNDS; round++) {
        time_ferro(fe, beta, S / ROUNDS, &tf);
        time_glass(gl, beta, S / ROUNDS, &tg);
      }
      const double flips = (double)R * (double)N;
      const double fw = flips * (double)tf.sweeps / (tf.wall * 1e9);
      const double gw = flips * (double)tg.sweeps / (tg.wall * 1e9);
      const double fc = flips * (double)tf.sweeps / (tf.cpu * 1e9);
      const double gc = flips * (double)tg.sweeps / (tg.cpu * 1e9);
      /* Per-replica energies, in CPU ns per site and in glass sweeps. */
      int64_t E[256], M[256];
      double e0 = now(CLOCK_THREAD_CPUTIME_ID), e1;
      int ne = 0;
      do {
        ceas_msc_glass_energy(gl, E);
        ne++;
        e1 = now(CLOCK_THREAD_CPUTIME_ID);
      } while (e1 - e0 < S / 8);
      const double eg = (e1 - e0) / ne * 1e9 / (double)N;
      ne = 0;
      e0 = now(CLOCK_THREAD_CPUTIME_ID);
      do {
        ceas_msc_measure(fe, E, M);
        ne++;
        e1 = now(CLOCK_THREAD_CPUTIME_ID);
      } while (e1 - e0 < S / 8);
      const double ef = (e1 - e0) / ne * 1e9 / (double)N;
      printf("| ising%dd / ea%dd | %ld | %d | %s | %d / %d | %.2f | %.2f | %.2f | %.2f | "
             "%.2f | %.2f | %.2f (%.2f sweeps) | %.2f |\n",
             d, d, L, R, ceas_msc_glass_isa(gl), ceas_msc_depth(fe),
             ceas_msc_glass_depth(gl), fw, gw, gw / fw, fc, gc, gc / fc, eg,
             eg * gc / (double)R, ef);
      fflush(stdout);
      ceas_msc_free(fe);
      ceas_msc_glass_free(gl);
      free(J);
    }
  return 0;
}
