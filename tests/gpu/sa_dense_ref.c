/* The CPU reference of the GPU annealer (src/gpu/sa_dense.cu, sb_dense.cu): makes
 * or reads an instance with ceasim's own code, runs ceasim's sa or sb-discrete on
 * it (ceas_anneal_run, one core) and writes everything the GPU test needs into one
 * binary file, so the GPU machine, which lacks GSL and parallel HDF5, needs no
 * ceasim library: tests/gpu/gpu_sa_dense.c reads it.
 *
 *   sa_dense_ref METHOD INSTANCE SWEEPS SEED READS OUT.bin|- [TARGET_CUT|-] [OPTION...]
 *
 * METHOD sa | sb-discrete (default schedule, dt, a0, c0 as `ceasim anneal`);
 * INSTANCE sk-pm:N:SEED | sk-gauss:N:SEED | k2000:SEED (a complete graph of 2000
 * vertices with weights ±1, as a G-set file: J = -w, unit 1) | gset:PATH |
 * couplings:PATH (a couplings file, e.g. of `ceasim map`; complete, fields allowed).
 * TARGET_CUT (G-set): the CPU's running target (--target-cut), and the cut whose
 * reach the timing runs report. OPTION: random (--order random), sync (--update
 * sync), trace=K (--trace-every K), target=E (--target E). Prints the CPU's ns
 * per spin update (wall time of the reads / their updates) and, with TARGET_CUT,
 * the fraction of reads whose best cut reaches it; OUT "-" writes no file
 * (timing runs). Built by hand against the top-level library (see
 * tests/gpu/run_sa.sh). File layout, little endian: "CEASAN03", char method[16],
 * int64 n, uint64 sweeps, seed, reads, int64 kind (0: couplings as int8 signs
 * n x n, 1: doubles J_ij for i < j row by row), doubles unit, abs_sum, cpu seconds,
 * dt, a0, c0, x_init, W (sum of G-set weights, 0 otherwise), target cut (0: none),
 * int64 random, sync, has_field, has_target, uint64 trace_every, doubles target,
 * target_tol (the CPU's), then betas[sweeps], the couplings, with has_field h[n];
 * per read: double best_energy, final_energy, uint64 best_sweep, flips,
 * sweeps_to_target (UINT64_MAX: not reached); then the best configurations
 * reads x n int8, then the traces reads x (sweeps / trace_every) doubles. */
#define _POSIX_C_SOURCE 200809L /* getpid: the K2000 file's name */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_anneal.h"

static int put(FILE *f, const void *p, size_t sz, size_t n) { return fwrite(p, sz, n, f) != n; }

static int fail(const char *what) {
  fprintf(stderr, "sa_dense_ref: %s: %s\n", what, ceas_error_message());
  return 1;
}

/* The instance named by spec, with its dense copy; *W the sum of G-set weights. */
static int instance(const char *spec, ceas_anneal_problem **pb, double *W) {
  long long n = 0;
  unsigned long long seed = 0;
  int rc;
  *W = 0;
  if (sscanf(spec, "sk-pm:%lld:%llu", &n, &seed) == 2) {
    rc = ceas_anneal_problem_sk(n, CEAS_ANNEAL_BONDS_PM, seed, pb);
  } else if (sscanf(spec, "sk-gauss:%lld:%llu", &n, &seed) == 2) {
    rc = ceas_anneal_problem_sk(n, CEAS_ANNEAL_BONDS_GAUSS, seed, pb);
  } else if (sscanf(spec, "k2000:%llu", &seed) == 1) {
    /* The signs of sk pm (seed) as G-set weights: a K2000-style instance. */
    ceas_anneal_problem *sk = NULL;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/sa_dense_ref_k2000_%d.txt", (int)getpid());
    FILE *f = NULL;
    rc = ceas_anneal_problem_sk(2000, CEAS_ANNEAL_BONDS_PM, seed, &sk);
    if (!rc && !(f = fopen(tmp, "w"))) rc = ceas_error_set(CEAS_EIO, "cannot write %s", tmp);
    if (!rc) {
      fprintf(f, "2000 %d\n", 2000 * 1999 / 2);
      for (int64_t i = 0; i < 2000; i++)
        for (int64_t k = sk->indptr[i]; k < sk->indptr[i + 1]; k++)
          if (sk->indices[k] > i)
            fprintf(f, "%lld %d %d\n", (long long)i + 1, sk->indices[k] + 1,
                    sk->J[k] > 0 ? 1 : -1);
      rc = fclose(f) ? ceas_error_set(CEAS_EIO, "cannot write %s", tmp) : CEAS_OK;
    }
    if (!rc) rc = ceas_anneal_problem_read_gset(tmp, pb);
    remove(tmp);
    ceas_anneal_problem_free(sk);
  } else if (!strncmp(spec, "gset:", 5)) {
    rc = ceas_anneal_problem_read_gset(spec + 5, pb);
  } else if (!strncmp(spec, "couplings:", 10)) {
    rc = ceas_anneal_problem_from_couplings(spec + 10, pb);
  } else {
    return ceas_error_set(CEAS_EINPUT, "expected sk-pm:N:SEED, sk-gauss:N:SEED, k2000:SEED, "
                          "gset:PATH or couplings:PATH, got '%s'", spec);
  }
  if (!rc && ((*pb)->source == CEAS_ANNEAL_SRC_GSET))
    for (int64_t i = 0; i < (*pb)->n; i++)
      for (int64_t k = (*pb)->indptr[i]; k < (*pb)->indptr[i + 1]; k++)
        if ((*pb)->indices[k] > i) *W -= (*pb)->J[k];
  /* The CLI's default (auto): G-set graphs run on the CPU's sparse rows. */
  if (!rc) rc = ceas_anneal_problem_set_dense(*pb, -1);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: sa_dense_ref sa|sb-discrete INSTANCE SWEEPS SEED READS OUT.bin|- "
                    "[TARGET_CUT|-] [random] [sync] [trace=K] [target=E]\n");
    return 2;
  }
  uint64_t sweeps = strtoull(argv[3], NULL, 10), seed = strtoull(argv[4], NULL, 10);
  uint64_t reads = strtoull(argv[5], NULL, 10);
  double target = argc > 7 && strcmp(argv[7], "-") ? atof(argv[7]) : 0, W = 0;
  const ceas_anneal_method *m = ceas_anneal_method_find(argv[1]);
  if (!m || (strcmp(argv[1], "sa") && strcmp(argv[1], "sb-discrete"))) {
    fprintf(stderr, "sa_dense_ref: METHOD: expected sa or sb-discrete, got '%s'\n", argv[1]);
    return 2;
  }
  ceas_anneal_problem *pb = NULL;
  if (instance(argv[2], &pb, &W)) return fail(argv[2]);
  const int64_t n = pb->n;
  int64_t kind = pb->one_magnitude && !pb->has_field ? 0 : 1;
  double b0, b1;
  m->default_betas(pb, &b0, &b1);
  ceas_anneal_schedule sched = {0};
  if (ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, sweeps, &sched))
    return fail("schedule");
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.schedule = &sched;
  p.seed = seed;
  if (target > 0) {
    p.has_target = 1;
    p.target = ceas_anneal_energy_of_cut(pb, target);
  }
  for (int a = 8; a < argc; a++) {
    if (!strcmp(argv[a], "random")) {
      p.order = CEAS_ANNEAL_ORDER_RANDOM;
    } else if (!strcmp(argv[a], "sync")) {
      p.update = CEAS_ANNEAL_UPDATE_SYNC;
    } else if (!strncmp(argv[a], "trace=", 6)) {
      p.trace_every = strtoull(argv[a] + 6, NULL, 10);
    } else if (!strncmp(argv[a], "target=", 7)) {
      p.has_target = 1;
      p.target = atof(argv[a] + 7);
    } else {
      fprintf(stderr, "sa_dense_ref: OPTION: expected random, sync, trace=K or target=E, got "
                      "'%s'\n", argv[a]);
      return 2;
    }
  }
  /* ceas_anneal_run's default tolerance, fixed here so that the file holds it. */
  if (p.has_target) p.target_tol = 1e-9 * fmax(1.0, fabs(p.target));
  const int64_t opt[4] = {p.order == CEAS_ANNEAL_ORDER_RANDOM,
                          p.update == CEAS_ANNEAL_UPDATE_SYNC, pb->has_field, p.has_target};
  ceas_anneal_result *res = NULL;
  if (ceas_anneal_run(pb, m, &p, reads, NULL, NULL, NULL, &res)) return fail(argv[1]);
  double used[4] = {0, 0, 0, 0.1}; /* dt, a0, c0, sb's default x_init */
  for (int i = 0; i < res->n_used; i++)
    for (int q = 0; q < 3; q++)
      if (!strcmp(res->used[i].name, (const char *[]){"dt", "a0", "c0"}[q]))
        used[q] = res->used[i].value;
  double ns = res->seconds * 1e9 / ((double)reads * (double)sweeps * (double)n);
  printf("cpu %s %s n=%lld sweeps=%llu reads=%llu: %.3f s, %.3f ns per spin update, best %.6f",
         argv[1], argv[2], (long long)n, (unsigned long long)sweeps, (unsigned long long)reads,
         res->seconds, ns, res->best_energy);
  if (target > 0) {
    uint64_t hit = 0;
    for (uint64_t r = 0; r < reads; r++) hit += (W - res->per_read[r].best_energy) / 2 >= target - 0.5;
    printf(", best cut %.0f, p(cut >= %.0f) = %llu/%llu", (W - res->best_energy) / 2, target,
           (unsigned long long)hit, (unsigned long long)reads);
  }
  printf("\n");
  if (strcmp(argv[6], "-")) {
    if (kind == 0 && ceas_anneal_problem_set_dense(pb, 1)) return fail("dense copy");
    FILE *f = fopen(argv[6], "wb");
    if (!f) {
      fprintf(stderr, "sa_dense_ref: cannot write %s\n", argv[6]);
      return 1;
    }
    char method[16] = {0};
    strncpy(method, argv[1], sizeof method - 1);
    int bad = put(f, "CEASAN03", 1, 8) || put(f, method, 1, 16) || put(f, &n, 8, 1) ||
              put(f, &sweeps, 8, 1) || put(f, &seed, 8, 1) || put(f, &reads, 8, 1) ||
              put(f, &kind, 8, 1) || put(f, &pb->unit, 8, 1) || put(f, &pb->abs_sum, 8, 1) ||
              put(f, &res->seconds, 8, 1) || put(f, used, 8, 4) || put(f, &W, 8, 1) ||
              put(f, &target, 8, 1) || put(f, opt, 8, 4) || put(f, &p.trace_every, 8, 1) ||
              put(f, &p.target, 8, 1) || put(f, &p.target_tol, 8, 1) ||
              put(f, sched.betas, 8, sweeps);
    if (kind == 0) {
      bad = bad || put(f, pb->dense8, 1, (size_t)(n * n));
    } else {
      for (int64_t i = 0; i < n && !bad; i++)
        for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1] && !bad; k++)
          if (pb->indices[k] > i) bad = put(f, &pb->J[k], 8, 1);
      bad = bad || pb->nnz != n * (n - 1); /* the file holds complete graphs only */
    }
    if (pb->has_field) bad = bad || put(f, pb->h, 8, (size_t)n);
    for (uint64_t r = 0; r < reads && !bad; r++) {
      const ceas_anneal_read *q = &res->per_read[r];
      const uint64_t tt = q->reached ? q->sweeps_to_target : UINT64_MAX;
      bad = put(f, &q->best_energy, 8, 1) || put(f, &q->final_energy, 8, 1) ||
            put(f, &q->best_sweep, 8, 1) || put(f, &q->flips, 8, 1) || put(f, &tt, 8, 1);
    }
    if (!bad) bad = put(f, res->configs, 1, (size_t)(reads * (uint64_t)n));
    if (!bad && res->trace_len)
      bad = put(f, res->traces, 8, (size_t)(reads * res->trace_len));
    if (fclose(f) || bad) {
      fprintf(stderr, "sa_dense_ref: cannot write %s (real couplings must form a complete "
                      "graph)\n", argv[6]);
      return 1;
    }
  }
  ceas_anneal_result_free(res);
  ceas_anneal_schedule_free(&sched);
  ceas_anneal_problem_free(pb);
  return 0;
}
