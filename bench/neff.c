/* How many independent replicas are the R replicas of a replica-packed run worth?
 *
 * n_eff = (error of one replica's mean / error of the replica-averaged mean)^2,
 * both from bins of >= 16 tau_int of their time series (ceas_measure), the
 * single-replica error averaged in quadrature over 16 replicas. Also prints how
 * many pairs of the first 64 replicas ended identical or mirror images.
 *
 * build: cc -O2 -std=c11 -Isrc/msc -Isrc/core -Isrc/measure bench/neff.c \
 *          build/libceasim.a -lgsl -lgslcblas -lm -o neff
 * usage: neff DIM L BETA R MEASUREMENTS THERM SWEEPS_PER_MEASUREMENT ANTITHETIC
 * e.g.   neff 2 64 0.44068679 256 20000 4000 8 1
 *
 * `ceasim bench --tau` reports the same figure ("replicas worth") for |m| of every
 * kernel, with tau_int and independent samples per second (bench/README.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ceas_measure.h"
#include "ceas_msc.h"

#define SINGLES 16

/* Binned error of the mean; NaN if fewer than 16 bins of 16 tau_int fit. */
static double binned_error(const double *x, size_t n) {
  double tau, tau_err;
  size_t window, B = 1;
  ceas_measure_tau_int(x, n, &tau, &tau_err, &window);
  while ((double)B < 16 * tau) B *= 2;
  size_t nb = n / B;
  if (nb < 16) return NAN;
  double *bins = malloc(nb * sizeof *bins), mean, err;
  ceas_measure_bin(x, n, B, bins);
  ceas_measure_mean_error(bins, nb, &mean, &err);
  free(bins);
  return err;
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s DIM L BETA R MEASUREMENTS THERM EVERY ANTITHETIC\n", argv[0]);
    return 2;
  }
  int dim = atoi(argv[1]), R = atoi(argv[4]), every = atoi(argv[7]);
  long L = atol(argv[2]);
  double beta = atof(argv[3]);
  size_t n = (size_t)atol(argv[5]);
  ceas_msc_state *st;
  if (ceas_msc_alloc(dim, L, R, (ceas_rng_key){77, 0}, CEAS_MSC_HOT, &st)) {
    fprintf(stderr, "%s\n", ceas_error_message());
    return 2;
  }
  ceas_msc_set_antithetic(st, atoi(argv[8]));
  ceas_msc_sweep(st, beta, (uint64_t)atol(argv[6]));
  double *avg = malloc(2 * n * sizeof *avg), *one = malloc(2 * SINGLES * n * sizeof *one);
  int64_t E[256], M[256];
  double N = (double)ceas_msc_sites(st);
  for (size_t t = 0; t < n; t++) {
    ceas_msc_sweep(st, beta, (uint64_t)every);
    ceas_msc_measure(st, E, M);
    ceas_msc_sample s;
    ceas_msc_replica_average(st, E, M, &s);
    avg[t] = s.e;
    avg[n + t] = s.abs_m;
    for (int k = 0; k < SINGLES; k++) {
      one[(2 * k) * n + t] = (double)E[k * (R / SINGLES)] / N;
      one[(2 * k + 1) * n + t] = fabs((double)M[k * (R / SINGLES)] / N);
    }
  }
  for (int o = 0; o < 2; o++) {
    double e1 = 0;
    for (int k = 0; k < SINGLES; k++) {
      double e = binned_error(one + (2 * k + o) * n, n);
      e1 += e * e;
    }
    e1 = sqrt(e1 / SINGLES);
    double ea = binned_error(avg + o * n, n);
    printf("%s %dD L=%ld beta=%.6g R=%d %-3s: error one replica %.3g, replica average %.3g "
           "-> n_eff %.1f\n",
           ceas_msc_antithetic(st) ? "antithetic" : "shared", dim, L, beta, R,
           o ? "|m|" : "e", e1, ea, (e1 / ea) * (e1 / ea));
  }
  size_t ns = (size_t)N;
  int8_t *s = malloc(64 * ns);
  for (int r = 0; r < 64; r++) ceas_msc_get_replica(st, r, s + (size_t)r * ns);
  int locked = 0;
  for (int a = 0; a < 64; a++)
    for (int b = a + 1; b < 64; b++) {
      long q = 0;
      for (size_t i = 0; i < ns; i++) q += s[(size_t)a * ns + i] * s[(size_t)b * ns + i];
      locked += labs(q) == (long)ns;
    }
  printf("pairs of the first 64 replicas identical or mirror images: %d of 2016\n", locked);
  free(s);
  free(avg);
  free(one);
  ceas_msc_free(st);
  return 0;
}
