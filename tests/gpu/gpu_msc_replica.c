/* The GPU replica-packed kernels (msc-replica64/256 and -anti, ceas_gpu.h)
 * against the CPU ones (ceas_msc.h), and their speed beside the CPU kernel's on
 * the same machine. Needs a CUDA device, so the suite does not run it:
 * tests/gpu/run.sh.
 *
 *   gpu_msc_replica check       bitwise equality of the states, exit 1 on any mismatch
 *   gpu_msc_replica bench DIM L R ANTI SWEEPS [SCHEDULE THREADS]   GPU flips/ns, 3 runs
 *       (SCHEDULE 0 launch, 1 resident, 2 shared, 3 sweep; default: the library's)
 *   gpu_msc_replica cpu DIM L R ANTI SWEEPS CORES   the CPU kernel, CORES independent
 *       states in as many threads (one each), aggregate flips/ns, 3 runs
 * A flip here is one spin update: R replicas x L^DIM sites per sweep. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_msc.h"
#include "gpu_test.h"

#define BETA_C2 0.44068679350977151
#define BETA_C3 0.2216544

static const char *const sched_name[] = {"launch  ", "resident", "shared  ", "sweep   "};

typedef struct {
  int dim;
  long L;
  int R, anti;
  uint64_t seed;
  double beta;
  uint64_t sweeps; /* in two calls: sweeps / 2 and the rest */
  ceas_msc_init init;
  int resident, threads;
} check_case;

/* 0 if the GPU's state equals the CPU's after the case's sweeps, 1 if not, -1
 * on an error. */
static int check_one(const check_case *cc) {
  const ceas_rng_key key = {cc->seed, 3};
  ceas_msc_state *cpu = NULL;
  ceas_gpu_msc *gpu = NULL;
  uint64_t *h = NULL, *g = NULL;
  size_t words = 0;
  const uint64_t n1 = cc->sweeps / 2, n2 = cc->sweeps - n1;
  int rc = ceas_msc_alloc(cc->dim, cc->L, cc->R, key, cc->init, &cpu);
  if (!rc) {
    ceas_msc_set_antithetic(cpu, cc->anti);
    words = ceas_msc_state_words(cpu);
    h = malloc(words * 8);
    g = malloc(words * 8);
    if (!h || !g) rc = CEAS_ENOMEM;
  }
  if (!rc) rc = ceas_msc_sweep(cpu, cc->beta, n1);
  if (!rc) rc = ceas_msc_sweep(cpu, cc->beta, n2);
  if (!rc) ceas_msc_get_state(cpu, h, NULL);
  if (!rc) rc = ceas_gpu_msc_alloc(cc->dim, cc->L, cc->R, key, cc->init, &gpu);
  if (!rc) {
    ceas_gpu_msc_set_antithetic(gpu, cc->anti);
    rc = ceas_gpu_msc_set_schedule(gpu, cc->resident, cc->threads);
  }
  if (!rc) rc = ceas_gpu_msc_sweep(gpu, cc->beta, n1);
  if (!rc) rc = ceas_gpu_msc_sweep(gpu, cc->beta, n2);
  if (!rc) rc = ceas_gpu_msc_sync(gpu);
  if (!rc && ceas_gpu_msc_state_words(gpu) != words) rc = CEAS_EINPUT;
  if (!rc) rc = ceas_gpu_msc_get_state(gpu, g);
  int bad = -1;
  size_t diff = 0, first = 0, down = 0;
  if (!rc) {
    for (size_t i = 0; i < words; i++) {
      if (g[i] != h[i] && diff++ == 0) first = i;
      down += (size_t)__builtin_popcountll(h[i]);
    }
    bad = diff != 0;
  }
  if (rc) fprintf(stderr, "gpu_msc_replica: %s\n", ceas_error_message());
  printf("%-4s %dD L=%-5ld R=%-3d %s seed=%-3llu beta=%-9.6f sweeps=%-3llu %s %s x%-4d "
         "down=%.4f",
         rc ? "ERR" : bad ? "FAIL" : "ok", cc->dim, cc->L, cc->R, cc->anti ? "anti" : "    ",
         (unsigned long long)cc->seed, cc->beta, (unsigned long long)cc->sweeps,
         cc->init == CEAS_MSC_HOT ? "hot " : "cold", sched_name[cc->resident],
         cc->threads, words ? (double)down / (64.0 * (double)words) : 0.0);
  if (bad > 0) printf("  %zu of %zu words differ, first %zu", diff, words, first);
  printf("\n");
  fflush(stdout);
  ceas_gpu_msc_free(gpu);
  ceas_msc_free(cpu);
  free(h);
  free(g);
  return rc ? -1 : bad;
}

static int check(void) {
  const double betas[] = {0.0, 0.25, BETA_C2, 0.7, 2.0};
  const long L2[] = {2, 4, 6, 10, 64, 130, 512, 1024};
  const long L3[] = {2, 4, 6, 16, 34, 64, 96};
  const int shapes[][2] = {{1, 256}, {0, 256}, {1, 64}, {1, 512}, {0, 96}, {1, 128}};
  gpu_test_tally tally = {0, 0, 0};
  /* A build with other shared-schedule block widths (msc_replica.cu,
   * REP_SHARED_THREADS) checks its width where the shared and sweep schedules'
   * cases below take 512 threads. */
  const char *ct = getenv("CHECK_THREADS");
  const int wide = ct ? atoi(ct) : 512;
  /* Every size, each with two of the 8 kernel variants (R, anti) and the
   * betas, starts, sweep counts and schedules taken in turn. */
  for (int dim = 2; dim <= 3; dim++) {
    const int nl = dim == 2 ? 8 : 7;
    for (int i = 0; i < nl; i++)
      for (int v = 0; v < 2; v++) {
        const int k = 2 * i + v + 8 * (dim - 2);
        check_case cc;
        cc.dim = dim;
        cc.L = dim == 2 ? L2[i] : L3[i];
        cc.R = (k >> 1) & 1 ? 256 : 64;
        cc.anti = k & 1;
        cc.seed = (uint64_t)(k + 1);
        cc.beta = dim == 3 && k % 5 == 2 ? BETA_C3 : betas[k % 5];
        cc.sweeps = cc.L >= 512 || (dim == 3 && cc.L >= 64) ? 3 + (uint64_t)(k % 3) : 1 + (uint64_t)(k % 4) * 6;
        cc.init = k % 3 == 1 ? CEAS_MSC_COLD : CEAS_MSC_HOT;
        cc.resident = shapes[k % 6][0];
        cc.threads = shapes[k % 6][1];
        gpu_test_count(&tally, check_one(&cc));
      }
  }
  /* The timed configurations, every schedule, every variant at L = 1024 (the
   * shared one with 64 replicas: 256 do not fit). */
  for (int v = 0; v < 4; v++)
    for (int res = 0; res < (v & 2 ? 2 : 3); res++) {
      check_case cc = {2, 1024, v & 2 ? 256 : 64, v & 1, 77, BETA_C2, 4, CEAS_MSC_HOT, res, 256};
      gpu_test_count(&tally, check_one(&cc));
    }
  /* The shared schedule's tiles (strips of 7 and 8 rows at L = 1024 on 132
   * SMs), plain; antithetic below (S2). */
  {
    check_case cc = {2, 1024, 64, 0, 81, BETA_C2, 5, CEAS_MSC_HOT, 2, wide};
    gpu_test_count(&tally, check_one(&cc));
  }
  /* The sweep schedule at L = 1024 in every block width timed (two blocks an
   * SM at 256 and fewer threads). */
  const int widths[] = {512, 384, 320, 256, 192};
  for (int i = 0; i < 5; i++) {
    check_case cc = {2, 1024, 64, i & 1, 79, BETA_C2, 4, CEAS_MSC_HOT, 3,
                     widths[i] == 512 ? wide : widths[i]};
    gpu_test_count(&tally, check_one(&cc));
  }
  for (int v = 0; v < 2; v++) {
    check_case cc = {3, 128, 64, v, 78, BETA_C3, 2, CEAS_MSC_HOT, 1, 256};
    gpu_test_count(&tally, check_one(&cc));
  }
  /* The shared schedule (strips in shared memory) wherever its strips fit: the
   * sizes above with 64 replicas (odd rows per strip, strips of one slab, tori
   * of two slabs), 256 where the strips are small, plain and antithetic. */
  const long S2[] = {2, 4, 6, 10, 64, 130, 512, 1024, 2, 10, 130, 512};
  const long S3[] = {2, 4, 6, 16, 34, 64, 96, 128, 4, 16, 64};
  for (int dim = 2; dim <= 3; dim++)
    for (int i = 0; i < (dim == 2 ? 12 : 11); i++) {
      const int big = i >= 8;
      check_case cc;
      cc.dim = dim;
      cc.L = dim == 2 ? S2[i] : S3[i];
      cc.R = big ? 256 : 64;
      cc.anti = i & 1;
      cc.seed = (uint64_t)(100 + 20 * dim + i);
      cc.beta = dim == 3 && i % 5 == 2 ? BETA_C3 : betas[i % 5];
      cc.sweeps = cc.L >= 512 || (dim == 3 && cc.L >= 64) ? 3 + (uint64_t)(i % 2) : 2 + (uint64_t)(i % 3) * 5;
      cc.init = i % 3 == 1 ? CEAS_MSC_COLD : CEAS_MSC_HOT;
      cc.resident = 2;
      cc.threads = i % 3 == 2 ? 256 : 512;
      if (cc.threads == 512) cc.threads = wide;
      gpu_test_count(&tally, check_one(&cc));
    }
  /* The sweep schedule (2D, L a multiple of 16; halo rows recomputed, one
   * exchange a sweep): strips of 2 rows (L 16 .. 64: every halo row is a
   * neighbour's edge), of 2 and 3 (272, 512), 7 and 8 (1024) and 11 and 12
   * (1536) rows on 132 SMs; rows of fewer sites than a warp's item (48, 80,
   * 136), several items a row (768); 256 replicas where they fit; block widths
   * that leave warps idle or take several items each; launches of 3 sweeps and
   * more (both edge-row buffers reused). */
  const long T[] = {16, 32, 48, 64, 96, 160, 272, 512, 1024, 1536, 16, 96, 160, 512};
  const int tw[] = {512, 256, 96, 512, 320, 512, 256, 512, 512, 384, 64, 512, 256, 512};
  for (int i = 0; i < 14; i++)
    for (int anti = 0; anti < 2; anti++) {
      const int big = i >= 10;
      check_case cc;
      cc.dim = 2;
      cc.L = T[i];
      cc.R = big ? 256 : 64;
      cc.anti = anti;
      cc.seed = (uint64_t)(200 + 2 * i + anti);
      cc.beta = betas[(i + anti) % 5];
      cc.sweeps = cc.L >= 512 ? 6 + (uint64_t)((i + anti) % 3) : 6 + (uint64_t)((i + anti) % 4) * 3;
      cc.init = (i + anti) % 3 == 1 ? CEAS_MSC_COLD : CEAS_MSC_HOT;
      cc.resident = 3;
      cc.threads = tw[i];
      if (cc.threads == 512) cc.threads = wide;
      gpu_test_count(&tally, check_one(&cc));
    }
  return gpu_test_summary(&tally);
}

static double flips(int dim, long L, int R, uint64_t sweeps) {
  return (double)R * pow((double)L, dim) * (double)sweeps;
}

static int bench(int dim, long L, int R, int anti, uint64_t sweeps, int resident, int threads) {
  char name[256];
  ceas_gpu_msc *st = NULL;
  const ceas_rng_key key = {42, 0};
  const double beta = dim == 2 ? BETA_C2 : BETA_C3;
  int rc = ceas_gpu_device_name(name, sizeof name);
  if (!rc) rc = ceas_gpu_msc_alloc(dim, L, R, key, CEAS_MSC_HOT, &st);
  if (!rc) {
    ceas_gpu_msc_set_antithetic(st, anti);
    if (resident >= 0) rc = ceas_gpu_msc_set_schedule(st, resident, threads);
  }
  if (!rc) rc = ceas_gpu_msc_sweep(st, beta, 10);
  if (!rc) rc = ceas_gpu_msc_sync(st);
  double rate[3] = {0};
  for (int i = 0; i < 3 && !rc; i++) {
    const double t0 = gpu_test_now();
    rc = ceas_gpu_msc_sweep(st, beta, sweeps);
    if (!rc) rc = ceas_gpu_msc_sync(st);
    rate[i] = flips(dim, L, R, sweeps) / ((gpu_test_now() - t0) * 1e9);
  }
  ceas_gpu_msc_free(st);
  if (rc) {
    fprintf(stderr, "gpu_msc_replica: %s\n", ceas_error_message());
    return 1;
  }
  printf("gpu %s %dD L=%ld R=%d%s sweeps=%llu %s x%d flips/ns %.0f %.0f %.0f\n", name, dim, L, R,
         anti ? " anti" : "", (unsigned long long)sweeps, resident >= 0 ? sched_name[resident] : "default ",
         resident >= 0 ? threads : 0, rate[0], rate[1], rate[2]);
  return 0;
}

typedef struct {
  int dim, R, anti;
  long L;
  uint64_t sweeps;
  uint64_t seed;
  int rc;
  pthread_barrier_t *bar;
  double seconds;
} cpu_job;

static void *cpu_thread(void *arg) {
  cpu_job *j = arg;
  ceas_msc_state *st = NULL;
  const ceas_rng_key key = {j->seed, 0};
  const double beta = j->dim == 2 ? BETA_C2 : BETA_C3;
  j->rc = ceas_msc_alloc(j->dim, j->L, j->R, key, CEAS_MSC_HOT, &st);
  if (!j->rc) {
    ceas_msc_set_antithetic(st, j->anti);
    j->rc = ceas_msc_sweep(st, beta, 2);
  }
  pthread_barrier_wait(j->bar);
  const double t0 = gpu_test_now();
  if (!j->rc) j->rc = ceas_msc_sweep(st, beta, j->sweeps);
  j->seconds = gpu_test_now() - t0;
  pthread_barrier_wait(j->bar);
  ceas_msc_free(st);
  return NULL;
}

/* CORES independent states, one a thread, started together: aggregate rate. */
static int cpu(int dim, long L, int R, int anti, uint64_t sweeps, int cores) {
  double rate[3] = {0};
  for (int rep = 0; rep < 3; rep++) {
    pthread_t th[256];
    cpu_job job[256];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)cores + 1);
    for (int i = 0; i < cores; i++) {
      job[i] = (cpu_job){dim, R, anti, L, sweeps, (uint64_t)(i + 1), 0, &bar, 0};
      pthread_create(&th[i], NULL, cpu_thread, &job[i]);
    }
    pthread_barrier_wait(&bar);
    const double t0 = gpu_test_now();
    pthread_barrier_wait(&bar);
    const double dt = gpu_test_now() - t0;
    int rc = 0;
    for (int i = 0; i < cores; i++) {
      pthread_join(th[i], NULL);
      rc |= job[i].rc;
    }
    pthread_barrier_destroy(&bar);
    if (rc) {
      fprintf(stderr, "gpu_msc_replica: %s\n", ceas_error_message());
      return 1;
    }
    rate[rep] = cores * flips(dim, L, R, sweeps) / (dt * 1e9);
  }
  printf("cpu %dD L=%ld R=%d%s sweeps=%llu cores=%d flips/ns %.1f %.1f %.1f\n", dim, L, R,
         anti ? " anti" : "", (unsigned long long)sweeps, cores, rate[0], rate[1], rate[2]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "check")) return check();
  if ((argc == 7 || argc == 9) && !strcmp(argv[1], "bench"))
    return bench(atoi(argv[2]), atol(argv[3]), atoi(argv[4]), atoi(argv[5]),
                 (uint64_t)atoll(argv[6]), argc == 9 ? atoi(argv[7]) : -1,
                 argc == 9 ? atoi(argv[8]) : 0);
  if (argc == 8 && !strcmp(argv[1], "cpu")) {
    const int cores = atoi(argv[7]);
    if (cores < 1 || cores > 256) {
      fprintf(stderr, "gpu_msc_replica: CORES = %s, expected 1 to 256\n", argv[7]);
      return 2;
    }
    return cpu(atoi(argv[2]), atol(argv[3]), atoi(argv[4]), atoi(argv[5]),
               (uint64_t)atoll(argv[6]), cores);
  }
  fprintf(stderr,
          "usage: gpu_msc_replica check | bench DIM L R ANTI SWEEPS [RESIDENT THREADS] | "
          "cpu DIM L R ANTI SWEEPS CORES\n");
  return 2;
}
