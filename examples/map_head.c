/* Map an attention head to Ising couplings with the installed library, write the
 * couplings file, read it back as a system, and check the top of the spectrum
 * against a direct computation.
 *
 * usage: map_head OUT.h5
 *
 * The head: synthetic, gaussian Q and K of 64 tokens x 8 dimensions, seed 3. The
 * library maps J = (Q K^T + K Q^T)/2 with zero diagonal and normalises it by its
 * largest eigenvalue (dense GSL at this size). The direct computation here builds
 * the same J from the head's Q and K and finds lambda_max by shifted power
 * iteration: a different algorithm on a matrix built independently. The file
 * read back must have lambda_max = 1 (the normalisation). Prints
 * "lambda_max library = A direct = B ... rel.diff = D" for the raw J and
 * "file's J ...: lambda_max library = 1 direct = C" for the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <ceasim/ceas_lattice.h>
#include <ceasim/ceas_mapping.h>

/* lambda_max of the symmetric n x n J by power iteration on J + rho I, rho =
 * ||J||_F >= |lambda_min| so every eigenvalue of the shifted matrix is >= 0 and the
 * top one dominates; stops when ||J v - lambda v|| <= 1e-12 ||J||_F. */
static double power_top(const double *J, size_t n, int *iterations) {
  double rho = 0;
  for (size_t i = 0; i < n * n; i++) rho += J[i] * J[i];
  rho = sqrt(rho);
  double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
  if (!v || !w) {
    free(v);
    free(w);
    return NAN;
  }
  for (size_t i = 0; i < n; i++) v[i] = 1.0 / sqrt((double)n);
  double lambda = NAN;
  int it;
  for (it = 1; it <= 1000000; it++) {
    for (size_t i = 0; i < n; i++) {
      double s = 0;
      for (size_t j = 0; j < n; j++) s += J[i * n + j] * v[j];
      w[i] = s;
    }
    double vw = 0, ww = 0;
    for (size_t i = 0; i < n; i++) vw += v[i] * w[i];
    lambda = vw; /* Rayleigh quotient of the unit v */
    double r = 0;
    for (size_t i = 0; i < n; i++) r += (w[i] - lambda * v[i]) * (w[i] - lambda * v[i]);
    if (sqrt(r) <= 1e-12 * rho) break;
    for (size_t i = 0; i < n; i++) {
      w[i] += rho * v[i];
      ww += w[i] * w[i];
    }
    for (size_t i = 0; i < n; i++) v[i] = w[i] / sqrt(ww);
  }
  *iterations = it;
  free(v);
  free(w);
  return lambda;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: map_head OUT.h5\n");
    return 2;
  }
  ceas_headsrc_spec src;
  ceas_headsrc_spec_default(&src);
  src.synthetic = 1;
  src.spec.n = 64;
  src.spec.d_k = 8;
  src.spec.seed = 3;
  src.have_seed = 1;
  ceas_mapping_options o;
  ceas_mapping_options_default(&o);
  o.normalize = CEAS_MAPPING_NORMALIZE_LAMBDA_MAX;
  ceas_mapping_couplings *c = NULL;
  ceas_lattice_system *sys = NULL;
  int rc = ceas_mapping_head(&src, &o, &c);
  /* force = 1: a rerun overwrites its own output. */
  if (!rc) rc = ceas_mapping_couplings_write(c, argv[1], 1, "map_head");
  if (!rc) rc = ceas_mapping_read_couplings(argv[1], 0.0, &sys);
  if (rc) {
    fprintf(stderr, "map_head: %s\n", ceas_error_message());
    ceas_mapping_couplings_free(c);
    return 1;
  }
  /* The raw couplings, straight from the head the library loaded. */
  const ceas_attention_head *h = c->source->head;
  size_t n = h->n, d = h->d_k;
  double *J = calloc(n * n, sizeof *J);
  if (!J) {
    fprintf(stderr, "map_head: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) {
      if (i == j) continue;
      double qk = 0, kq = 0;
      for (size_t a = 0; a < d; a++) {
        qk += h->q[i * d + a] * h->k[j * d + a];
        kq += h->k[i * d + a] * h->q[j * d + a];
      }
      J[i * n + j] = 0.5 * (qk + kq);
    }
  int iterations = 0, it_file = 0;
  double direct = power_top(J, n, &iterations);
  /* The file read back: dense again from its CSR, lambda_max/lambda_max = 1. */
  double *Jf = calloc((size_t)(sys->n * sys->n), sizeof *Jf);
  if (!Jf) {
    fprintf(stderr, "map_head: out of memory\n");
    return 1;
  }
  for (int64_t i = 0; i < sys->n; i++)
    for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++)
      Jf[i * sys->n + sys->indices[k]] = sys->J[k];
  double file_top = power_top(Jf, (size_t)sys->n, &it_file);
  printf("head: %zu tokens x %zu dims, eigen-solver %s; couplings file %s: %lld spins\n", n, d,
         c->eigen.method, argv[1], (long long)sys->n);
  printf("lambda_max library = %.12g direct = %.12g (%d power steps) rel.diff = %.3g\n",
         c->lambda_max_unscaled, direct, iterations,
         fabs(c->lambda_max_unscaled - direct) / fabs(direct));
  printf("file's J (scaled by %.6g): lambda_max library = %.12g direct = %.12g\n", c->scale,
         c->lambda_max, file_top);
  free(Jf);
  free(J);
  ceas_lattice_system_free(sys);
  ceas_mapping_couplings_free(c);
  return 0;
}
