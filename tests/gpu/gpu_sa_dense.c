/* The GPU annealer (src/gpu/sa_dense.cu, sb_dense.cu) against ceasim's CPU sa and
 * sb-discrete: reads a file of tests/gpu/sa_dense_ref.c (instance, schedule, the
 * CPU's per-read results and best configurations), runs the same reads on the GPU
 * and checks bit for bit: best configurations, best sweeps, flips, sa's sweeps to
 * the running target and its trace (the file's options: random order, sync
 * updates, fields), and the best energy recomputed from the GPU's configuration
 * against the CPU's (two double sums of the same n(n-1)/2 + n terms in different
 * orders: within n^2 2^-52 abs_sum).
 * Then times BENCH_READS reads (reads 0 .. BENCH_READS - 1: the checked ones
 * among them) and, with a target cut in the file, reports the fraction of those
 * reads that reach it and TTS99 = t_read ln(0.01) / ln(1 - p), t_read the
 * kernel's time over the reads (all run at once).
 * THREADS a block's threads, GROUP reads a block (integer sa and sb; the real
 * sa runs one read a block).
 *   gpu_sa_dense FILE [BENCH_READS [THREADS [GROUP]]] */
#define _POSIX_C_SOURCE 200809L /* gpu_test.h: clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu.h"
#include "ceas_gpu_sa.h"
#include "gpu_test.h"

static int get(FILE *f, void *p, size_t sz, size_t n) { return fread(p, sz, n, f) != n; }

typedef struct {
  char method[16];
  int64_t n, kind;
  uint64_t sweeps, seed, reads;
  double unit, abs_sum, cpu_s, dt, a0, c0, x_init, W, target;
  int64_t opt[4];    /* random, sync, has_field, has_target */
  uint64_t trace_every;
  double run_target, target_tol;
  double *betas, *J; /* J: kind 1, n x n */
  double *h;         /* has_field: n */
  int8_t *J8;        /* kind 0 */
} ref_file;

static double energy(const ref_file *rf, const int8_t *s) {
  const int64_t n = rf->n;
  double e = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++)
      e += (rf->kind ? rf->J[i * n + j] : rf->unit * rf->J8[i * n + j]) * s[i] * s[j];
  for (int64_t i = 0; rf->h && i < n; i++) e += rf->h[i] * s[i];
  return -e;
}

/* Reads 0 .. reads - 1 on the GPU; sa: the file's options, tt and trace (NULL:
 * none) the sweeps to target and the traces. */
static int gpu_run(const ref_file *rf, uint64_t reads, int threads, int group, int8_t *best,
                   int8_t *final, ceas_gpu_anneal_read *res, double *ks, uint64_t *tt,
                   double *trace) {
  ceas_gpu_sa_opts o;
  memset(&o, 0, sizeof o);
  o.random = (int)rf->opt[0];
  o.sync = (int)rf->opt[1];
  o.h = rf->h;
  o.abs_sum = rf->abs_sum;
  o.has_target = tt && rf->opt[3];
  o.target = rf->run_target;
  o.target_tol = rf->target_tol;
  o.sweeps_to_target = tt;
  o.trace_every = trace ? rf->trace_every : 0;
  o.trace = trace;
  /* sb: the float readout's kernel for real couplings, fields, targets, traces. */
  if (!strcmp(rf->method, "sb-discrete") && (rf->kind || tt || trace))
    return ceas_gpu_sb_dense_real_run(rf->n, rf->J, rf->unit, rf->abs_sum, rf->dt, rf->a0,
                                      rf->c0, rf->x_init, rf->sweeps, rf->seed, 0, reads,
                                      threads, &o, best, final, res, ks);
  if (!strcmp(rf->method, "sb-discrete"))
    return ceas_gpu_sb_dense_run(rf->n, rf->J8, rf->unit, rf->dt, rf->a0, rf->c0, rf->x_init,
                                 rf->sweeps, rf->seed, 0, reads, threads, group, best, final,
                                 res, ks);
  if (rf->kind)
    return ceas_gpu_sa_dense_real_run(rf->n, rf->J, rf->unit, rf->abs_sum, rf->betas,
                                      rf->sweeps, rf->seed, 0, reads, threads, &o, best, final,
                                      res, ks);
  ceas_gpu_sa_read *ir = malloc(reads * sizeof *ir);
  if (!ir) return ceas_error_set(CEAS_ENOMEM, "host memory");
  int rc = ceas_gpu_sa_dense_run(rf->n, rf->J8, rf->unit, rf->betas, rf->sweeps, rf->seed, 0,
                                 reads, threads, group, &o, best, final, ir, ks);
  for (uint64_t r = 0; !rc && res && r < reads; r++) {
    res[r].best_sweep = ir[r].best_sweep;
    res[r].flips = ir[r].flips;
    res[r].best_e = rf->unit * (double)ir[r].best_de;
    res[r].final_e = rf->unit * (double)ir[r].final_de;
  }
  free(ir);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gpu_sa_dense FILE [BENCH_READS [THREADS [GROUP]]]\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  char magic[8];
  ref_file rf;
  memset(&rf, 0, sizeof rf);
  if (!f || get(f, magic, 1, 8) || memcmp(magic, "CEASAN03", 8) || get(f, rf.method, 1, 16) ||
      get(f, &rf.n, 8, 1) || get(f, &rf.sweeps, 8, 1) || get(f, &rf.seed, 8, 1) ||
      get(f, &rf.reads, 8, 1) || get(f, &rf.kind, 8, 1) || get(f, &rf.unit, 8, 1) ||
      get(f, &rf.abs_sum, 8, 1) || get(f, &rf.cpu_s, 8, 1) || get(f, &rf.dt, 8, 1) ||
      get(f, &rf.a0, 8, 1) || get(f, &rf.c0, 8, 1) || get(f, &rf.x_init, 8, 1) ||
      get(f, &rf.W, 8, 1) || get(f, &rf.target, 8, 1) || get(f, rf.opt, 8, 4) ||
      get(f, &rf.trace_every, 8, 1) || get(f, &rf.run_target, 8, 1) ||
      get(f, &rf.target_tol, 8, 1) || rf.method[15] || rf.n < 2 ||
      rf.n > 16384) {
    fprintf(stderr, "gpu_sa_dense: %s: not a sa_dense_ref file\n", argv[1]);
    return 2;
  }
  const int64_t n = rf.n;
  const uint64_t reads = rf.reads;
  rf.betas = malloc(rf.sweeps * sizeof *rf.betas);
  int bad = get(f, rf.betas, 8, rf.sweeps);
  if (rf.kind) {
    rf.J = calloc((size_t)(n * n), sizeof *rf.J);
    for (int64_t i = 0; i < n && !bad; i++)
      for (int64_t j = i + 1; j < n && !bad; j++) {
        bad = get(f, &rf.J[i * n + j], 8, 1);
        rf.J[j * n + i] = rf.J[i * n + j];
      }
  } else {
    rf.J8 = malloc((size_t)(n * n));
    bad = bad || get(f, rf.J8, 1, (size_t)(n * n));
  }
  if (rf.opt[2]) {
    rf.h = malloc((size_t)n * sizeof *rf.h);
    bad = bad || get(f, rf.h, 8, (size_t)n);
  }
  const uint64_t tlen = rf.trace_every ? rf.sweeps / rf.trace_every : 0;
  double *cpu = malloc(reads * 5 * sizeof *cpu);
  double *ctrace = malloc((reads * tlen + 1) * sizeof *ctrace);
  double *gtrace = malloc((reads * tlen + 1) * sizeof *gtrace);
  uint64_t *gtt = malloc(reads * sizeof *gtt);
  int8_t *cbest = malloc(reads * (size_t)n), *gbest = malloc(reads * (size_t)n);
  int8_t *gfinal = malloc(reads * (size_t)n);
  ceas_gpu_anneal_read *res = malloc(reads * sizeof *res);
  if (bad || get(f, cpu, 8, 5 * reads) || get(f, cbest, 1, reads * (size_t)n) ||
      get(f, ctrace, 8, reads * tlen)) {
    fprintf(stderr, "gpu_sa_dense: %s: truncated\n", argv[1]);
    return 2;
  }
  fclose(f);
  int threads = argc > 3 ? atoi(argv[3]) : 256, group = argc > 4 ? atoi(argv[4]) : 4;
  char dev[256] = "gpu";
  ceas_gpu_device_name(dev, sizeof dev);
  double ks;
  const int sa = !strcmp(rf.method, "sa");
  /* sb with a target or trace runs the float readout's kernel: it takes doubles. */
  const int sbr = !sa && (rf.kind || rf.opt[3] || tlen);
  if (sbr && !rf.kind) {
    rf.J = malloc((size_t)(n * n) * sizeof *rf.J);
    for (int64_t q = 0; rf.J && q < n * n; q++) rf.J[q] = rf.unit * rf.J8[q];
  }
  for (uint64_t r = 0; r < reads; r++) gtt[r] = UINT64_MAX;
  if (gpu_run(&rf, reads, threads, group, gbest, gfinal, res, &ks, sa || sbr ? gtt : NULL,
              (sa || sbr) && tlen ? gtrace : NULL)) {
    fprintf(stderr, "gpu_sa_dense: %s\n", ceas_error_message());
    return 1;
  }
  const double tol = (double)n * (double)n * 0x1p-52 * rf.abs_sum;
  gpu_test_tally tally = {0, 0, 0};
  for (uint64_t r = 0; r < reads; r++) {
    uint64_t cbs, cfl, ctt;
    memcpy(&cbs, &cpu[5 * r + 2], 8);
    memcpy(&cfl, &cpu[5 * r + 3], 8);
    memcpy(&ctt, &cpu[5 * r + 4], 8);
    double eb = energy(&rf, gbest + r * n);
    const int tt_ok = !(sa || sbr) || !rf.opt[3] || gtt[r] == ctt;
    const int tr_ok = !(sa || sbr) || !tlen ||
                      !memcmp(gtrace + r * tlen, ctrace + r * tlen, tlen * sizeof *ctrace);
    int ok = !memcmp(gbest + r * n, cbest + r * n, (size_t)n) && cbs == res[r].best_sweep &&
             cfl == res[r].flips && fabs(eb - cpu[5 * r]) <= tol && tt_ok && tr_ok;
    if (!ok || r < 2)
      printf("read %llu: %s best %.9f/%.9f sweep %llu/%llu flips %llu/%llu to target "
             "%lld/%lld trace %s\n",
             (unsigned long long)r, ok ? "equal" : "DIFFERENT", eb, cpu[5 * r],
             (unsigned long long)res[r].best_sweep, (unsigned long long)cbs,
             (unsigned long long)res[r].flips, (unsigned long long)cfl,
             gtt[r] == UINT64_MAX ? -1LL : (long long)gtt[r],
             ctt == UINT64_MAX ? -1LL : (long long)ctt,
             !tlen ? "none" : tr_ok ? "equal" : "DIFFERENT");
    gpu_test_count(&tally, !ok);
  }
  printf("%s: gpu %s n=%lld sweeps=%llu kind=%s%s%s%s%s%s: %llu reads checked against the "
         "CPU's\n", dev, rf.method, (long long)n, (unsigned long long)rf.sweeps,
         rf.kind ? "real" : "pm", rf.opt[0] ? " random" : "", rf.opt[1] ? " sync" : "",
         rf.opt[2] ? " fields" : "", rf.opt[3] ? " target" : "", tlen ? " trace" : "",
         (unsigned long long)reads);
  int fails = gpu_test_summary(&tally);
  double cpu_ns = rf.cpu_s * 1e9 / ((double)reads * rf.sweeps * n);
  uint64_t breads = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
  if (breads) {
    int8_t *b2 = malloc(breads * (size_t)n);
    ceas_gpu_anneal_read *r2 = malloc(breads * sizeof *r2);
    if (gpu_run(&rf, breads, threads, group, b2, NULL, r2, &ks, NULL, NULL)) {
      fprintf(stderr, "gpu_sa_dense: %s\n", ceas_error_message());
      return 1;
    }
    printf("%s: gpu %s n=%lld sweeps=%llu reads=%llu threads=%d group=%d: %.4f s, %.4f ns per spin "
           "update (the reference file's CPU time: %.2f ns on one core of the machine that wrote "
           "it)\n",
           dev, rf.method, (long long)n, (unsigned long long)rf.sweeps,
           (unsigned long long)breads, threads, group, ks, ks * 1e9 / ((double)breads * rf.sweeps * n),
           cpu_ns);
    if (rf.target > 0) {
      uint64_t hit = 0;
      double bestcut = -INFINITY;
      for (uint64_t r = 0; r < breads; r++) {
        double cut = (rf.W - energy(&rf, b2 + r * n)) / 2;
        hit += cut >= rf.target - 0.5;
        bestcut = fmax(bestcut, cut);
      }
      double p = (double)hit / (double)breads, tr = ks / (double)breads;
      printf("%s: gpu %s target cut %.0f: best %.0f, p = %llu/%llu, t_read %.3e s, TTS99 %.3e s\n",
             dev, rf.method, rf.target, bestcut, (unsigned long long)hit,
             (unsigned long long)breads, tr,
             p >= 0.99 ? tr : p > 0 ? tr * log(0.01) / log1p(-p) : INFINITY);
    }
    free(b2);
    free(r2);
  }
  return fails;
}
