/* GPU sa on dense couplings (src/gpu/sa_dense.cu) against ceasim's CPU sa: reads
 * the file of tests/gpu/sa_dense_ref.c (instance, schedule, the CPU's per-read
 * results and best configurations), runs the same reads on the GPU and checks
 * bit for bit: best configurations, best sweeps, flips, and the best and final
 * energies (from the GPU's configurations, exact integer sums times unit, within
 * 1e-12 relative of the CPU's double sums). Then times `reads` reads.
 *   gpu_sa_dense FILE [BENCH_READS [THREADS]] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu.h"
#include "ceas_gpu_sa.h"

static int get(FILE *f, void *p, size_t sz, size_t n) { return fread(p, sz, n, f) != n; }

static double energy(int64_t n, const int8_t *J, double unit, const int8_t *s) {
  int64_t e = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++) e += J[i * n + j] * s[i] * s[j];
  return -unit * (double)e;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gpu_sa_dense FILE [BENCH_READS [THREADS]]\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  char magic[8];
  int64_t n;
  uint64_t sweeps, seed, reads;
  double unit, cpu_s;
  if (!f || get(f, magic, 1, 8) || memcmp(magic, "CEASSA01", 8) || get(f, &n, 8, 1) ||
      get(f, &sweeps, 8, 1) || get(f, &seed, 8, 1) || get(f, &reads, 8, 1) ||
      get(f, &unit, 8, 1) || get(f, &cpu_s, 8, 1)) {
    fprintf(stderr, "gpu_sa_dense: %s: not a sa_dense_ref file\n", argv[1]);
    return 2;
  }
  double *betas = malloc(sweeps * sizeof *betas);
  int8_t *J = malloc((size_t)(n * n));
  double *cpu = malloc(reads * 4 * sizeof *cpu);
  int8_t *cbest = malloc(reads * (size_t)n), *gbest = malloc(reads * (size_t)n);
  int8_t *gfinal = malloc(reads * (size_t)n);
  ceas_gpu_sa_read *res = malloc(reads * sizeof *res);
  if (get(f, betas, 8, sweeps) || get(f, J, 1, (size_t)(n * n)) || get(f, cpu, 8, 4 * reads) ||
      get(f, cbest, 1, reads * (size_t)n)) {
    fprintf(stderr, "gpu_sa_dense: %s: truncated\n", argv[1]);
    return 2;
  }
  fclose(f);
  int threads = argc > 3 ? atoi(argv[3]) : 128;
  char dev[256];
  ceas_gpu_device_name(dev, sizeof dev);
  double ks;
  if (ceas_gpu_sa_dense_run(n, J, unit, betas, sweeps, seed, 0, reads, threads, gbest, gfinal,
                            res, &ks)) {
    fprintf(stderr, "gpu_sa_dense: %s\n", ceas_error_message());
    return 1;
  }
  int bad = 0;
  for (uint64_t r = 0; r < reads; r++) {
    uint64_t cbs, cfl;
    memcpy(&cbs, &cpu[4 * r + 2], 8);
    memcpy(&cfl, &cpu[4 * r + 3], 8);
    double eb = energy(n, J, unit, gbest + r * n), ef = energy(n, J, unit, gfinal + r * n);
    double tol = 1e-12 * fabs(cpu[4 * r]) + 1e-12;
    int ok = !memcmp(gbest + r * n, cbest + r * n, (size_t)n) && cbs == res[r].best_sweep &&
             cfl == res[r].flips && fabs(eb - cpu[4 * r]) <= tol &&
             fabs(ef - cpu[4 * r + 1]) <= tol;
    if (!ok || r < 2)
      printf("read %llu: %s best %.9f/%.9f final %.9f/%.9f sweep %llu/%llu flips %llu/%llu\n",
             (unsigned long long)r, ok ? "equal" : "DIFFERENT", eb, cpu[4 * r], ef,
             cpu[4 * r + 1], (unsigned long long)res[r].best_sweep, (unsigned long long)cbs,
             (unsigned long long)res[r].flips, (unsigned long long)cfl);
    bad += !ok;
  }
  printf("%s: gpu sa n=%lld sweeps=%llu: %llu reads checked, %d differ from the CPU's\n", dev,
         (long long)n, (unsigned long long)sweeps, (unsigned long long)reads, bad);
  double cpu_ns = cpu_s * 1e9 / ((double)reads * sweeps * n);
  uint64_t breads = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
  if (breads) {
    int8_t *b2 = malloc(breads * (size_t)n);
    if (ceas_gpu_sa_dense_run(n, J, unit, betas, sweeps, seed, 0, breads, threads, b2, NULL,
                              NULL, &ks)) {
      fprintf(stderr, "gpu_sa_dense: %s\n", ceas_error_message());
      return 1;
    }
    printf("%s: gpu sa n=%lld sweeps=%llu reads=%llu threads=%d: %.4f s, %.4f ns per spin "
           "update (reference file's CPU: %.2f ns)\n",
           dev, (long long)n, (unsigned long long)sweeps, (unsigned long long)breads, threads, ks,
           ks * 1e9 / ((double)breads * sweeps * n), cpu_ns);
    free(b2);
  }
  return bad != 0;
}
