/* The CPU reference of the GPU annealer (src/gpu/sa_dense.cu): generates an SK
 * instance of ±1/sqrt(n) couplings with ceasim's generator, runs ceasim's sa on it
 * (ceas_anneal_run, one core) and writes everything the GPU test needs into one
 * binary file, so the GPU machine, which lacks GSL and parallel HDF5, needs no
 * ceasim library: tests/gpu/gpu_sa_dense.c reads it.
 *
 *   sa_dense_ref N INSTANCE_SEED SWEEPS SEED READS OUT.bin
 *
 * Default schedule (sa's geometric betas) as `ceasim anneal --method sa`. Prints
 * the CPU's ns per spin update (wall time of the reads / their updates).
 * Built by hand against the top-level library (see tests/gpu/run_sa.sh). File
 * layout, little endian: "CEASSA01", int64 n, uint64 sweeps, seed, reads,
 * double unit, cpu seconds, then betas[sweeps] (double), dense8[n*n] (int8),
 * and per read: double best_energy, final_energy, uint64 best_sweep, flips,
 * then the best configurations reads x n int8. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_anneal.h"

static int put(FILE *f, const void *p, size_t sz, size_t n) { return fwrite(p, sz, n, f) != n; }

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: sa_dense_ref N INSTANCE_SEED SWEEPS SEED READS OUT.bin\n");
    return 2;
  }
  int64_t n = strtoll(argv[1], NULL, 10);
  uint64_t iseed = strtoull(argv[2], NULL, 10), sweeps = strtoull(argv[3], NULL, 10);
  uint64_t seed = strtoull(argv[4], NULL, 10), reads = strtoull(argv[5], NULL, 10);
  ceas_anneal_problem *pb = NULL;
  int rc = ceas_anneal_problem_sk(n, CEAS_ANNEAL_BONDS_PM, iseed, &pb);
  if (!rc) rc = ceas_anneal_problem_set_dense(pb, -1);
  if (rc || !pb->dense8) {
    fprintf(stderr, "sa_dense_ref: sk: %s\n", rc ? ceas_error_message() : "no int8 dense copy");
    return 1;
  }
  const ceas_anneal_method *m = ceas_anneal_method_find("sa");
  double b0, b1;
  m->default_betas(pb, &b0, &b1);
  ceas_anneal_schedule sched = {0};
  if (ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, sweeps, &sched)) {
    fprintf(stderr, "sa_dense_ref: %s\n", ceas_error_message());
    return 1;
  }
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &sched;
  p.seed = seed;
  ceas_anneal_result *res = NULL;
  if (ceas_anneal_run(pb, m, &p, reads, NULL, NULL, NULL, &res)) {
    fprintf(stderr, "sa_dense_ref: %s\n", ceas_error_message());
    return 1;
  }
  double ns = res->seconds * 1e9 / ((double)reads * (double)sweeps * (double)n);
  printf("cpu sa sk n=%lld sweeps=%llu reads=%llu: %.3f s, %.3f ns per spin update, best %.6f\n",
         (long long)n, (unsigned long long)sweeps, (unsigned long long)reads, res->seconds, ns,
         res->best_energy);
  FILE *f = fopen(argv[6], "wb");
  if (!f) {
    fprintf(stderr, "sa_dense_ref: cannot write %s\n", argv[6]);
    return 1;
  }
  int bad = put(f, "CEASSA01", 1, 8) || put(f, &n, 8, 1) || put(f, &sweeps, 8, 1) ||
            put(f, &seed, 8, 1) || put(f, &reads, 8, 1) || put(f, &pb->unit, 8, 1) ||
            put(f, &res->seconds, 8, 1) || put(f, sched.betas, 8, sweeps) ||
            put(f, pb->dense8, 1, (size_t)(n * n));
  for (uint64_t r = 0; r < reads && !bad; r++) {
    const ceas_anneal_read *q = &res->per_read[r];
    bad = put(f, &q->best_energy, 8, 1) || put(f, &q->final_energy, 8, 1) ||
          put(f, &q->best_sweep, 8, 1) || put(f, &q->flips, 8, 1);
  }
  if (!bad) bad = put(f, res->configs, 1, (size_t)(reads * (uint64_t)n));
  if (fclose(f) || bad) {
    fprintf(stderr, "sa_dense_ref: cannot write %s\n", argv[6]);
    return 1;
  }
  ceas_anneal_result_free(res);
  ceas_anneal_schedule_free(&sched);
  ceas_anneal_problem_free(pb);
  return 0;
}
