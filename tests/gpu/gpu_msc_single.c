/* The GPU msc-single kernel against the CPU one (src/gpu/ceas_gpu.h), and its
 * speed. Needs a CUDA device, so the suite does not run it: tests/gpu/run.sh.
 *
 *   gpu_msc_single check                  bitwise equality, exit 1 on any mismatch
 *   gpu_msc_single bench L SWEEPS [THREADS ROWS]  2D flips/ns at beta_c, three timed runs
 *   gpu_msc_single bench3 L SWEEPS [THREADS]      the same in 3D (beta_c of 3D; 128 threads)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_msc.h"
#include "gpu_test.h"

#define BETA_C 0.44068679350977151
#define BETA_C3 0.2216544

/* The CPU kernel on the whole torus through the plane-range API (halo planes
 * refreshed after each colour, as ceas_msc_single_sweep does), so that the
 * words can be compared at sizes where unpacked spins would not fit. */
static int cpu_run(int dim, long L, ceas_rng_key key, ceas_msc_init init, double beta,
                   uint64_t sweeps, uint64_t *out0, uint64_t *out1) {
  const size_t pw = ceas_msc_single_plane_words(dim, L), words = (size_t)L * pw;
  uint64_t *col[2] = {calloc(words + 2 * pw, 8), calloc(words + 2 * pw, 8)};
  ceas_msc_single_kernel *k = NULL;
  int rc = col[0] && col[1] ? ceas_msc_single_kernel_alloc(dim, L, key, &k) : CEAS_ENOMEM;
  if (!rc) rc = ceas_msc_single_kernel_set_beta(k, beta);
  if (!rc) {
    for (int c = 0; c < 2; c++) {
      ceas_msc_single_initial(key, dim, L, init, c, 0, L, col[c] + pw);
      memcpy(col[c], col[c] + words, pw * 8);
      memcpy(col[c] + pw + words, col[c] + pw, pw * 8);
    }
    for (uint64_t t = 0; t < sweeps; t++)
      for (int c = 0; c < 2; c++) {
        ceas_msc_single_kernel_update(k, t, c, 0, L, col[c] + pw, col[1 - c] + pw);
        memcpy(col[c], col[c] + words, pw * 8);
        memcpy(col[c] + pw + words, col[c] + pw, pw * 8);
      }
    memcpy(out0, col[0] + pw, words * 8);
    memcpy(out1, col[1] + pw, words * 8);
  }
  ceas_msc_single_kernel_free(k);
  free(col[0]);
  free(col[1]);
  return rc;
}

typedef struct {
  int dim;
  long L;
  uint64_t seed;
  double beta;
  uint64_t sweeps;
  ceas_msc_init init;
  int threads, rows;
} check_case;

/* Returns 0 if the GPU's words equal the CPU's after the case's sweeps (and, at
 * small L, the spins of the CPU torus API too), 1 if not, -1 on an error. */
static int check_one(const check_case *cc) {
  const long L = cc->L;
  const int dim = cc->dim;
  const size_t pw = ceas_msc_single_plane_words(dim, L), words = (size_t)L * pw;
  const ceas_rng_key key = {cc->seed, 7};
  uint64_t *g = malloc(2 * words * 8), *h = malloc(2 * words * 8);
  ceas_gpu_msc_single *st = NULL;
  int rc = g && h ? cpu_run(dim, L, key, cc->init, cc->beta, cc->sweeps, h, h + words)
                  : CEAS_ENOMEM;
  if (!rc) rc = ceas_gpu_msc_single_alloc_dim(dim, L, key, cc->init, &st);
  if (!rc) rc = ceas_gpu_msc_single_set_shape(st, cc->threads, cc->rows);
  if (!rc) rc = ceas_gpu_msc_single_sweep(st, cc->beta, cc->sweeps);
  if (!rc) rc = ceas_gpu_msc_single_sync(st);
  if (!rc) rc = ceas_gpu_msc_single_get(st, g, g + words);
  int bad = -1;
  size_t diff = 0, first = 0, down = 0;
  const double sites = (double)L * (double)L * (dim == 3 ? (double)L : 1.0);
  if (!rc) {
    for (size_t i = 0; i < 2 * words; i++) {
      if (g[i] != h[i] && diff++ == 0) first = i;
      down += (size_t)__builtin_popcountll(h[i]);
    }
    bad = diff != 0;
    if (!bad && sites <= 1048576.0 * 2) {
      /* The torus API's own sweep gives the same spins. */
      ceas_msc_single *t = NULL;
      int8_t *a = malloc((size_t)sites), *b = malloc((size_t)sites);
      rc = a && b ? ceas_msc_single_alloc_dim(dim, L, key, cc->init, &t) : CEAS_ENOMEM;
      if (!rc) rc = ceas_msc_single_sweep(t, cc->beta, cc->sweeps);
      if (!rc) {
        ceas_msc_single_get_spins(t, a);
        ceas_msc_single_unpack(dim, L, 0, L, g, g + words, b);
        bad = memcmp(a, b, (size_t)sites) != 0;
      }
      ceas_msc_single_free(t);
      free(a);
      free(b);
    }
  }
  if (rc) fprintf(stderr, "gpu_msc_single: %s\n", ceas_error_message());
  printf("%-4s %dD L=%-6ld seed=%-3llu beta=%-9.6f sweeps=%-3llu %s shape=%4dx%d down=%.4f",
         rc ? "ERR" : bad ? "FAIL" : "ok", dim, L, (unsigned long long)cc->seed, cc->beta,
         (unsigned long long)cc->sweeps, cc->init == CEAS_MSC_HOT ? "hot " : "cold",
         cc->threads, cc->rows, (double)down / sites);
  if (bad > 0 && diff) {
    const size_t nw = (size_t)(L / 128);
    printf("  %zu of %zu words differ, first: colour %zu row %zu word %zu", diff, 2 * words,
           first / words, (first % words) / nw, first % nw);
  }
  printf("\n");
  fflush(stdout);
  ceas_gpu_msc_single_free(st);
  free(g);
  free(h);
  return rc ? -1 : bad;
}

static int check(void) {
  const double betas[] = {0.0, 0.25, BETA_C, 0.7, 2.0};
  check_case cases[64];
  int n = 0;
  /* Small tori: every beta, short and long runs, hot and cold, every number
   * of rows per block. */
  for (int b = 0; b < 5; b++) {
    cases[n++] = (check_case){2, 128, 1, betas[b], 1, CEAS_MSC_HOT, 256, 1 << (b % 3)};
    cases[n++] = (check_case){2, 256, 2 + (uint64_t)b, betas[b], 20, CEAS_MSC_HOT, 256, 2};
    cases[n++] = (check_case){2, 1024, 3, betas[b], 7, b % 2 ? CEAS_MSC_COLD : CEAS_MSC_HOT, 64,
                              1 << ((b + 1) % 3)};
  }
  /* Rows walked in several chunks (nw > threads), the tied ranks carried
   * across them, and block shapes that must not change a bit. */
  cases[n++] = (check_case){2, 4096, 11, BETA_C, 5, CEAS_MSC_HOT, 32, 1};
  cases[n++] = (check_case){2, 4096, 11, BETA_C, 5, CEAS_MSC_HOT, 32, 4};
  cases[n++] = (check_case){2, 8192, 12, 0.7, 3, CEAS_MSC_HOT, 32, 2};
  cases[n++] = (check_case){2, 8192, 12, 0.7, 3, CEAS_MSC_HOT, 1024, 1};
  cases[n++] = (check_case){2, 8192, 12, 0.7, 3, CEAS_MSC_HOT, 512, 4};
  cases[n++] = (check_case){2, 16384, 13, BETA_C, 2, CEAS_MSC_HOT, 96, 2};
  /* The sizes that are timed, in the default shape and the one-row kernel. */
  cases[n++] = (check_case){2, 32768, 14, BETA_C, 2, CEAS_MSC_HOT, 256, 2};
  cases[n++] = (check_case){2, 32768, 14, BETA_C, 2, CEAS_MSC_HOT, 256, 1};
  cases[n++] = (check_case){2, 65536, 15, BETA_C, 1, CEAS_MSC_HOT, 256, 2};
  /* 3D: every beta (the 3D critical point among them), hot and cold, 1 to 20
   * sweeps; rows of 1, 2, 3, 4, 8 and 16 words, so that a block's rows are
   * 1 to 1024 and fill it whole or not (L = 384: 85 rows of 3 words in 256
   * threads); up to the largest size timed. */
  const double betas3[] = {0.0, 0.1, BETA_C3, 0.7, 2.0};
  for (int b = 0; b < 5; b++) {
    cases[n++] = (check_case){3, 128, 21 + (uint64_t)b, betas3[b], 1 + 4 * (uint64_t)b,
                              b % 2 ? CEAS_MSC_COLD : CEAS_MSC_HOT, 32 << (b % 4), 1};
    cases[n++] = (check_case){3, 256, 31 + (uint64_t)b, betas3[b], 3, CEAS_MSC_HOT,
                              b % 2 ? 96 : 256, 1};
  }
  cases[n++] = (check_case){3, 384, 41, BETA_C3, 4, CEAS_MSC_HOT, 256, 1};
  cases[n++] = (check_case){3, 384, 42, 0.7, 2, CEAS_MSC_COLD, 1024, 1};
  cases[n++] = (check_case){3, 512, 43, BETA_C3, 3, CEAS_MSC_HOT, 256, 1};
  cases[n++] = (check_case){3, 1024, 44, BETA_C3, 2, CEAS_MSC_HOT, 256, 1};
  cases[n++] = (check_case){3, 1024, 45, 0.25, 1, CEAS_MSC_HOT, 64, 1};
  cases[n++] = (check_case){3, 2048, 46, BETA_C3, 1, CEAS_MSC_HOT, 256, 1};
  gpu_test_tally tally = {0, 0, 0};
  for (int i = 0; i < n; i++) gpu_test_count(&tally, check_one(&cases[i]));
  return gpu_test_summary(&tally);
}

static int bench(int dim, long L, uint64_t sweeps, int threads, int rows) {
  char name[256];
  ceas_gpu_msc_single *st = NULL;
  const ceas_rng_key key = {42, 0};
  const double beta = dim == 3 ? BETA_C3 : BETA_C;
  const double sites = (double)L * (double)L * (dim == 3 ? (double)L : 1.0);
  int rc = ceas_gpu_device_name(name, sizeof name);
  if (!rc) rc = ceas_gpu_msc_single_alloc_dim(dim, L, key, CEAS_MSC_HOT, &st);
  if (!rc) rc = ceas_gpu_msc_single_set_shape(st, threads, rows);
  /* Warm-up: module load, and out of the hot start's disorder. */
  if (!rc) rc = ceas_gpu_msc_single_sweep(st, beta, 10);
  if (!rc) rc = ceas_gpu_msc_single_sync(st);
  double rate[3] = {0};
  for (int i = 0; i < 3 && !rc; i++) {
    const double t0 = gpu_test_now();
    rc = ceas_gpu_msc_single_sweep(st, beta, sweeps);
    if (!rc) rc = ceas_gpu_msc_single_sync(st);
    rate[i] = sites * (double)sweeps / ((gpu_test_now() - t0) * 1e9);
  }
  ceas_gpu_msc_single_free(st);
  if (rc) {
    fprintf(stderr, "gpu_msc_single: %s\n", ceas_error_message());
    return 1;
  }
  if (dim == 3)
    printf("bench %s 3D L=%ld sweeps=%llu threads=%d flips/ns %.1f %.1f %.1f\n", name, L,
           (unsigned long long)sweeps, threads, rate[0], rate[1], rate[2]);
  else
    printf("bench %s L=%ld sweeps=%llu shape=%dx%d flips/ns %.1f %.1f %.1f\n", name, L,
           (unsigned long long)sweeps, threads, rows, rate[0], rate[1], rate[2]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "check")) return check();
  const int three = argc >= 2 && !strcmp(argv[1], "bench3");
  if (((argc == 4 || argc == 6) && !strcmp(argv[1], "bench")) ||
      ((argc == 4 || argc == 5) && three)) {
    char *end;
    long L = strtol(argv[2], &end, 10);
    long long sw = strtoll(argv[3], &end, 10);
    int threads = argc >= 5 ? atoi(argv[4]) : three ? 128 : 256, rows = argc == 6 ? atoi(argv[5]) : 2;
    if (sw <= 0) {
      fprintf(stderr, "gpu_msc_single: SWEEPS = %s, expected a positive count\n", argv[3]);
      return 2;
    }
    return bench(three ? 3 : 2, L, (uint64_t)sw, threads, three ? 1 : rows);
  }
  fprintf(stderr,
          "usage: gpu_msc_single check | bench L SWEEPS [THREADS ROWS] | bench3 L SWEEPS "
          "[THREADS]\n");
  return 2;
}
