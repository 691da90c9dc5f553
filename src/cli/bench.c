/* ceasim bench: spin-flip attempts per nanosecond of each update kernel on one
 * core, always beside the engine's plain int8 checkerboard Metropolis measured in
 * the same run, so that ratios compare like with like on a shared machine. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_lattice.h"
#include "ceas_measure.h"
#include "ceas_msc.h"
#include "cli.h"

#define BETA_C_2D 0.44068679350977151 /* ln(1 + sqrt 2) / 2 */
#define BETA_C_3D 0.221654626         /* Ferrenberg, Xu & Landau 2018 */
#define MAX_LIST 16
/* --tau: a kernel stops early once its production spans this many tau_int, enough
 * for >= 62 bins of >= 16 tau (n_eff to ~18 %); fewer than 100 tau is flagged. */
#define TAU_TARGET 2000
#define TAU_THERM 20
#define TAU_MIN_RUN 100
#define TAU_SINGLES 16          /* single replicas recorded per replica-packed run */
#define TAU_MIN_SAMPLES (4 * CEAS_MEASURE_MIN_BINS) /* 2 * that after discarding half */
#define TAU_STR_(x) #x
#define TAU_STR(x) TAU_STR_(x)
#define TAU_SERIES_DOUBLES (UINT64_C(1) << 24) /* 128 MB of series, then thinned */

static void bench_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim bench [--model M[,M]] [--L N[,N...]] [--algo A[,A...]] "
          "[--seconds S]\n"
          "                    [--beta B] [--isa I] [--depth D] [--seed S] "
          "[--out FILE] [--force]\n"
          "       ceasim bench --tau [--measure-every K] [same options]\n"
          "\n"
          "Spin-flip attempts per nanosecond on one core (every replica's attempt "
          "counts),\n"
          "one line per kernel and size, each with its ratio to the plain int8 "
          "checkerboard\n"
          "Metropolis, which is always measured in the same run (first, for each "
          "size).\n"
          "With --tau: statistical efficiency instead, tau_int(|m|) and independent "
          "samples\n"
          "per second (see below), one line per kernel ending in \"indep/s\".\n"
          "\n"
          "  --model M      ising2d, ising3d or both, comma-separated [ising2d]\n"
          "  --L LIST       linear sizes [ising2d: 256,1024; ising3d: 128; with --tau "
          "256 and 32];\n"
          "                 the msc kernels need even L\n"
          "  --algo LIST    metropolis (the engine's kernel), msc-replica64, "
          "msc-replica256\n"
          "                 (replica-packed multi-spin coding, 64 or 256 replicas per "
          "site,\n"
          "                 one shared uniform per site), msc-replica64-anti, "
          "msc-replica256-anti\n"
          "                 (the same with the antithetic replica pattern),\n"
          "                 msc-single (one lattice, 64 sites per word; L a "
          "multiple\n"
          "                 of 128; only when listed), and with --tau only wolff, sw\n"
          "                 [all but msc-single; with --tau all, msc-single where L "
          "allows]\n"
          "  --seconds S    timed seconds per kernel and size, after a warm-up of "
          "S/10 [2];\n"
          "                 with --tau the budget per kernel, thermalisation included "
          "[300]\n"
          "  --beta B       inverse temperature [beta_c: 0.4406868 (2D), 0.2216546 "
          "(3D)]\n"
          "  --isa I        msc instruction set: auto, avx512, avx2, generic [auto]\n"
          "  --depth D      msc sweeps per wavefront pass, 0 = automatic [0]\n"
          "  --seed S       random seed [1]\n"
          "  --tau          measure tau_int(|m|) and independent samples per second\n"
          "  --measure-every K  sweeps between measurements with --tau, 0 = automatic\n"
          "                 (the wavefront depth for msc-replica*, else 1) [0]\n"
          "  --out FILE     also write the results: FILE.json or FILE.h5 "
          "(atomically)\n"
          "  --force        allow --out to replace an existing file\n"
          "\n"
          "Each line ends in the rate, \"R flips/ns\"; timing is CLOCK_MONOTONIC "
          "over whole\n"
          "sweeps, at least S seconds per kernel.\n"
          "\n"
          "--tau: each kernel starts hot and records |m| (for msc-replica*: the "
          "replica\n"
          "average and 16 single replicas) every K sweeps until S seconds or %d tau "
          "of\n"
          "production have passed (at least 64 measurements). A sweep is N updates "
          "(metropolis,\n"
          "msc-*: every replica), one Swendsen-Wang update (sw), or a fixed number "
          "of Wolff\n"
          "clusters tuned first so that about N spins flip (wolff). The first "
          "20 tau_int are\n"
          "discarded; tau_int(|m|) is Sokal's (per replica, averaged); n_eff = "
          "var(|m|) /\n"
          "err^2(<|m|>), err from bins >= 16 tau of the natural estimator (replica "
          "average);\n"
          "indep/s = n_eff / production seconds (sweeps and measurements, "
          "CLOCK_MONOTONIC).\n"
          "A line says NOT-CONVERGED unless >= 20 tau were discarded and >= 100 tau "
          "measured.\n",
          TAU_TARGET);
}

typedef enum {
  ALGO_METROPOLIS,
  ALGO_MSC64,
  ALGO_MSC256,
  ALGO_MSC64_ANTI,
  ALGO_MSC256_ANTI,
  ALGO_MSC_SINGLE,
  ALGO_WOLFF, /* cluster kernels: --tau only (a cluster flip is not a flip attempt) */
  ALGO_SW,
  ALGO_COUNT
} algo_id;
static const char *const algo_names[ALGO_COUNT] = {
    "metropolis", "msc-replica64", "msc-replica256", "msc-replica64-anti",
    "msc-replica256-anti", "msc-single", "wolff", "sw"};

typedef struct {
  int models[2], n_models; /* dimension 2 or 3 */
  long L[MAX_LIST];
  int n_L;
  int algos[ALGO_COUNT], n_algos;
  double seconds, beta;
  int beta_given;
  const char *isa;
  int depth;
  uint64_t seed;
  const char *out;
  int force, json;
  int tau;           /* --tau: statistical efficiency instead of flips/ns */
  long every;        /* --measure-every, 0 = automatic */
  int single_listed; /* msc-single asked for explicitly (else only where L allows) */
} bench_args;

typedef struct {
  int dim;
  long L;
  int algo;
  const char *isa;
  int replicas, depth;
  double beta;
  uint64_t sweeps;
  double flips, seconds, cpu_seconds, rate, ratio;
  /* --tau (seconds and cpu_seconds are then the production's) */
  uint64_t every, measurements, discarded, therm_sweeps, prod_sweeps;
  double tau, tau_err, tau_est, tau_est_err, run_taus, therm_taus;
  double mean_abs_m, err_abs_m, var_abs_m;
  double n_eff, n_eff_binned, n_eff_tau, n_eff_rel_err, replicas_worth;
  uint64_t bin;
  int bins_ok, converged;
  double indep_per_s, indep_per_cpu_s, ratio_cpu, total_seconds;
  long wolff_clusters;
  double flipped_per_sweep; /* cluster kernels: spins flipped per sweep / N */
} bench_result;

/* Copies a comma-separated list into buf (refusing one that does not fit) and
 * splits it in place; at most cap items. */
static int split_list(const char *list, char *buf, size_t size, const char *what,
                      char **items, int cap, int *n) {
  *n = 0;
  if (strlen(list) >= size)
    return ceas_error_set(CEAS_EINPUT, "%s: list too long (at most %zu characters)", what,
                          size - 1);
  char *s = strcpy(buf, list);
  for (char *tok = s;;) {
    char *comma = strchr(tok, ',');
    if (comma) *comma = '\0';
    if (!*tok)
      return ceas_error_set(CEAS_EINPUT, "%s: empty item in the list", what);
    if (*n == cap)
      return ceas_error_set(CEAS_EINPUT, "%s: expected at most %d items", what, cap);
    items[(*n)++] = tok;
    if (!comma) break;
    tok = comma + 1;
  }
  return CEAS_OK;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

static int parse_args(int argc, char **argv, bench_args *a, int *help) {
  enum { O_MODEL = 256, O_L, O_ALGO, O_SECONDS, O_BETA, O_ISA, O_DEPTH, O_SEED, O_OUT,
         O_FORCE, O_HELP, O_TAU, O_EVERY };
  static const struct option opts[] = {
      {"model", required_argument, 0, O_MODEL}, {"L", required_argument, 0, O_L},
      {"algo", required_argument, 0, O_ALGO},   {"seconds", required_argument, 0, O_SECONDS},
      {"beta", required_argument, 0, O_BETA},   {"isa", required_argument, 0, O_ISA},
      {"depth", required_argument, 0, O_DEPTH}, {"seed", required_argument, 0, O_SEED},
      {"out", required_argument, 0, O_OUT},     {"force", no_argument, 0, O_FORCE},
      {"help", no_argument, 0, O_HELP},         {"tau", no_argument, 0, O_TAU},
      {"measure-every", required_argument, 0, O_EVERY}, {0, 0, 0, 0}};
  static char model_buf[256], L_buf[512], algo_buf[256];
  memset(a, 0, sizeof *a);
  a->models[0] = 2;
  a->n_models = 1;
  a->seconds = 2.0;
  a->isa = "auto";
  a->seed = 1;
  *help = 0;
  const char *models = NULL, *Ls = NULL, *algos = NULL;
  int seconds_given = 0;
  opterr = 0;
  optind = 1;
  int c, rc = CEAS_OK;
  long v;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, opts, NULL)) != -1) {
    switch (c) {
      case O_MODEL: models = optarg; break;
      case O_L: Ls = optarg; break;
      case O_ALGO: algos = optarg; break;
      case O_SECONDS:
        rc = ceas_parse_double(optarg, "--seconds", &a->seconds);
        if (!rc && !(a->seconds > 0 && a->seconds <= 3600))
          rc = ceas_error_set(CEAS_EINPUT,
                              "--seconds: expected a time > 0 and <= 3600, got %s", optarg);
        seconds_given = 1;
        break;
      case O_BETA:
        rc = ceas_parse_double(optarg, "--beta", &a->beta);
        if (!rc && a->beta < 0)
          rc = ceas_error_set(CEAS_EINPUT,
                              "--beta: expected an inverse temperature >= 0, got %s", optarg);
        a->beta_given = 1;
        break;
      case O_ISA: a->isa = optarg; break;
      case O_DEPTH:
        rc = ceas_parse_long(optarg, "--depth", 0, 64, &v);
        a->depth = (int)v;
        break;
      case O_SEED: rc = ceas_parse_u64(optarg, "--seed", &a->seed); break;
      case O_OUT: a->out = optarg; break;
      case O_FORCE: a->force = 1; break;
      case O_HELP: *help = 1; return CEAS_OK;
      case O_TAU: a->tau = 1; break;
      case O_EVERY: rc = ceas_parse_long(optarg, "--measure-every", 0, 1000000, &a->every); break;
      default: rc = ceas_cli_option_error(c, argv, "bench");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim bench --help)",
                        argv[optind]);
  if (!rc && a->tau && !seconds_given) a->seconds = 300.0;
  if (!rc && !a->tau && a->every)
    rc = ceas_error_set(CEAS_EINPUT, "--measure-every: only with --tau (flips/ns runs do "
                                     "not measure)");
  char *items[MAX_LIST];
  int n;
  if (!rc && models) {
    rc = split_list(models, model_buf, sizeof model_buf, "--model", items, 2, &n);
    a->n_models = 0;
    for (int i = 0; !rc && i < n; i++) {
      int dim = !strcmp(items[i], "ising2d") ? 2 : !strcmp(items[i], "ising3d") ? 3 : 0;
      if (!dim)
        rc = ceas_error_set(CEAS_EINPUT, "--model: expected ising2d or ising3d, got '%s'",
                            items[i]);
      else
        a->models[a->n_models++] = dim;
    }
  }
  if (!rc && Ls) {
    rc = split_list(Ls, L_buf, sizeof L_buf, "--L", items, MAX_LIST, &n);
    for (int i = 0; !rc && i < n; i++) rc = ceas_parse_long(items[i], "--L", 2, 65536, &a->L[i]);
    if (!rc) a->n_L = n;
  }
  /* The plain kernel is the yardstick: always measured, listed or not. */
  a->algos[a->n_algos++] = ALGO_METROPOLIS;
  if (!rc && algos) {
    rc = split_list(algos, algo_buf, sizeof algo_buf, "--algo", items, MAX_LIST, &n);
    for (int i = 0; !rc && i < n; i++) {
      int id = -1;
      for (int k = 0; k < ALGO_COUNT; k++)
        if (!strcmp(items[i], algo_names[k])) id = k;
      if (id < 0) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "--algo: expected metropolis, msc-replica64, msc-replica256, "
                            "msc-replica64-anti, msc-replica256-anti, msc-single, wolff or "
                            "sw, got '%s'",
                            items[i]);
        break;
      }
      if ((id == ALGO_WOLFF || id == ALGO_SW) && !a->tau) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "--algo: %s is timed only with --tau (a cluster update has no "
                            "flip attempts to count)",
                            items[i]);
        break;
      }
      a->single_listed |= id == ALGO_MSC_SINGLE;
      int seen = 0;
      for (int k = 0; k < a->n_algos; k++) seen |= a->algos[k] == id;
      if (!seen) a->algos[a->n_algos++] = id;
    }
  } else if (!rc) {
    /* msc-single is left out of flips/ns runs: it takes only 2D sizes that are
     * multiples of 128. --tau runs it where the size allows (the L = 256). */
    int last = a->tau ? ALGO_SW : ALGO_MSC_SINGLE - 1;
    for (int k = ALGO_MSC64; k <= last; k++) a->algos[a->n_algos++] = k;
  }
  int msc = 0, single = 0;
  for (int k = 0; k < a->n_algos; k++) {
    msc |= a->algos[k] >= ALGO_MSC64 && a->algos[k] <= ALGO_MSC256_ANTI;
    single |= a->algos[k] == ALGO_MSC_SINGLE && a->single_listed;
  }
  for (int i = 0; !rc && i < a->n_L; i++) {
    for (int m = 0; !rc && m < a->n_models; m++)
      if (a->models[m] == 3 && a->L[i] > 2048)
        rc = ceas_error_set(CEAS_EINPUT, "--L: expected at most 2048 for ising3d, got %ld",
                            a->L[i]);
    if (!rc && msc && a->L[i] % 2)
      rc = ceas_error_set(CEAS_EINPUT,
                          "--L: the msc kernels need an even size (checkerboard "
                          "sublattices on the torus), got %ld",
                          a->L[i]);
    if (!rc && single && a->L[i] % 128)
      rc = ceas_error_set(CEAS_EINPUT,
                          "--L: msc-single needs a multiple of 128 (a row's L/2 sites of "
                          "one colour must fill whole 64-bit words), got %ld",
                          a->L[i]);
  }
  /* A size that cannot fit would page the machine to death before malloc said
   * no (overcommit): refuse anything over half the physical memory. The plain
   * kernel's system costs ~(8 + 8 + 12 per bond end + 1 + 8) bytes per site
   * (CSR index, J, field, spin, visiting order), an msc state R / 8. */
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  double ram = pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
  for (int m = 0; !rc && m < a->n_models; m++)
    for (int i = 0; !rc && i < a->n_L; i++) {
      int dim = a->models[m];
      double sites = pow((double)a->L[i], dim);
      double need = sites * (25.0 + 24.0 * dim);
      for (int k = 0; k < a->n_algos; k++)
        if (a->algos[k] != ALGO_METROPOLIS && sites * 32.0 > need) need = sites * 32.0;
      /* The cluster kernels' work arrays: stack, parent and size, 8 bytes each. */
      if (a->tau) need += 24.0 * sites;
      if (need > 0.5 * ram)
        rc = ceas_error_set(CEAS_EINPUT,
                            "--L: %s L=%ld needs ~%.3g GB, more than half of this "
                            "machine's %.3g GB",
                            dim == 2 ? "ising2d" : "ising3d", a->L[i], need / 1e9, ram / 1e9);
    }
  if (!rc && strcmp(a->isa, "auto")) {
    /* Ask the module on a throwaway state, so the message is its own. */
    ceas_msc_state *probe = NULL;
    rc = ceas_msc_alloc(2, 2, 64, (ceas_rng_key){0, 0}, CEAS_MSC_COLD, &probe);
    if (!rc) rc = ceas_msc_set_isa(probe, a->isa);
    if (rc == CEAS_EINPUT) {
      char msg[256];
      const char *m = ceas_error_message();
      snprintf(msg, sizeof msg, "%s", strncmp(m, "msc: ", 5) ? m : m + 5);
      rc = ceas_error_set(CEAS_EINPUT, "--isa: %s", msg);
    }
    ceas_msc_free(probe);
  }
  if (!rc && a->out) {
    if (ends_with(a->out, ".json"))
      a->json = 1;
    else if (!ends_with(a->out, ".h5") && !ends_with(a->out, ".hdf5"))
      rc = ceas_error_set(CEAS_EINPUT,
                          "--out: %s: expected a name ending in .json, .h5 or .hdf5",
                          a->out);
    if (!rc) rc = ceas_io_check_output(a->out, a->force);
  }
  return rc;
}

static double cpu_time(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One kernel under test: n sweeps per call. */
typedef struct {
  int algo;
  ceas_lattice_system *sys;
  ceas_lattice_state *plain;
  const ceas_lattice_kernel *kernel;
  ceas_msc_state *msc;
  ceas_msc_single *single;
  double beta;
  double sites;
  int replicas;
  int64_t E[256], M[256]; /* msc measurement buffers */
} runner;

static int run_sweeps(runner *r, uint64_t n) {
  if (r->msc) return ceas_msc_sweep(r->msc, r->beta, n);
  if (r->single) return ceas_msc_single_sweep(r->single, r->beta, n);
  for (uint64_t i = 0; i < n; i++) {
    int rc = r->kernel->sweep(r->plain, r->beta);
    if (rc) return rc;
  }
  return CEAS_OK;
}

/* Warm-up for a tenth of the budget (caches, page faults, clock ramp), then whole
 * sweeps until `seconds` have passed; chunks grow so the clock is read rarely. */
static int time_kernel(runner *r, double seconds, uint64_t unit, bench_result *out) {
  int rc = CEAS_OK;
  double t0 = ceas_wtime();
  do {
    rc = run_sweeps(r, unit);
  } while (!rc && !ceas_cli_stop && ceas_wtime() - t0 < 0.1 * seconds);
  uint64_t chunk = unit, done = 0;
  double elapsed = 0, c0 = cpu_time();
  t0 = ceas_wtime();
  while (!rc && !ceas_cli_stop) {
    double t1 = ceas_wtime();
    rc = run_sweeps(r, chunk);
    done += chunk;
    double now = ceas_wtime();
    elapsed = now - t0;
    if (elapsed >= seconds) break;
    if (now - t1 < 0.05 && now - t1 < 0.1 * seconds) chunk *= 2;
  }
  if (!rc && ceas_cli_stop) rc = ceas_error_set(CEAS_EINTERRUPT, "interrupted");
  out->sweeps = done;
  out->seconds = elapsed;
  out->cpu_seconds = cpu_time() - c0;
  return rc;
}

/* Allocates the kernel's state (hot start) and fills res's identity fields. */
static int runner_setup(const bench_args *a, int dim, long L, int algo, double beta,
                        runner *r, bench_result *res) {
  memset(res, 0, sizeof *res);
  res->dim = dim;
  res->L = L;
  res->algo = algo;
  res->beta = beta;
  memset(r, 0, sizeof *r);
  r->algo = algo;
  r->beta = beta;
  ceas_rng_key key = {a->seed, 0};
  int rc;
  if (algo == ALGO_METROPOLIS || algo == ALGO_WOLFF || algo == ALGO_SW) {
    rc = ceas_lattice_hypercubic_alloc(dim == 2 ? CEAS_MODEL_ISING2D : CEAS_MODEL_ISING3D, L,
                                       0.0, &r->sys);
    if (!rc) rc = ceas_lattice_state_alloc(r->sys, key, CEAS_INIT_HOT, &r->plain);
    r->kernel = ceas_lattice_kernel_find(algo_names[algo]);
    if (!rc && !r->kernel)
      rc = ceas_error_set(CEAS_EINTERNAL, "no %s kernel", algo_names[algo]);
    if (!rc) rc = ceas_lattice_kernel_check(r->kernel, r->sys);
    res->isa = "int8";
    res->replicas = 1;
    r->sites = r->sys ? (double)r->sys->n : 0;
  } else if (algo == ALGO_MSC_SINGLE) {
    rc = ceas_msc_single_alloc_dim(dim, L, key, CEAS_MSC_HOT, &r->single);
    res->isa = "bitslice";
    res->replicas = 1;
    r->sites = r->single ? (double)ceas_msc_single_sites(r->single) : 0;
  } else {
    res->replicas = algo == ALGO_MSC64 || algo == ALGO_MSC64_ANTI ? 64 : 256;
    rc = ceas_msc_alloc(dim, L, res->replicas, key, CEAS_MSC_HOT, &r->msc);
    if (!rc)
      ceas_msc_set_antithetic(r->msc, algo == ALGO_MSC64_ANTI || algo == ALGO_MSC256_ANTI);
    if (!rc) rc = ceas_msc_set_isa(r->msc, a->isa);
    if (!rc) rc = ceas_msc_set_depth(r->msc, a->depth);
    if (!rc) {
      res->isa = ceas_msc_isa(r->msc);
      res->depth = ceas_msc_depth(r->msc);
    }
    r->sites = r->msc ? (double)ceas_msc_sites(r->msc) : 0;
  }
  r->replicas = res->replicas;
  return rc;
}

static void runner_free(runner *r) {
  ceas_lattice_state_free(r->plain);
  ceas_lattice_system_free(r->sys);
  ceas_msc_free(r->msc);
  ceas_msc_single_free(r->single);
}

static int bench_one(const bench_args *a, int dim, long L, int algo, double beta,
                     bench_result *res) {
  runner r;
  int rc = runner_setup(a, dim, L, algo, beta, &r, res);
  if (!rc) rc = time_kernel(&r, a->seconds, r.msc ? (uint64_t)res->depth : 1, res);
  res->flips = (double)res->sweeps * r.sites * res->replicas;
  res->rate = res->seconds > 0 ? res->flips / (res->seconds * 1e9) : 0;
  runner_free(&r);
  return rc;
}

/* ---- --tau: autocorrelation time and independent samples per second -------- */

/* The |m| record of one run: per measurement the natural estimator (|m|, or its
 * replica average), the mean of m^2 (for the variance of a single |m|), the time
 * since recording began and, for replica-packed kernels, TAU_SINGLES single
 * replicas' |m| (row-major, `singles` per measurement). */
typedef struct {
  double *avg, *m2, *t, *one;
  size_t n, cap, cap_max;
  int singles;
} tau_series;

static int series_push(tau_series *s, double avg, double m2, double t, const double *one) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 4096;
    if (cap > s->cap_max) cap = s->cap_max;
    double *p[4] = {realloc(s->avg, cap * sizeof(double)), NULL, NULL, NULL};
    if (p[0]) s->avg = p[0];
    p[1] = realloc(s->m2, cap * sizeof(double));
    if (p[1]) s->m2 = p[1];
    p[2] = realloc(s->t, cap * sizeof(double));
    if (p[2]) s->t = p[2];
    if (s->singles) {
      p[3] = realloc(s->one, cap * (size_t)s->singles * sizeof(double));
      if (p[3]) s->one = p[3];
    }
    if (!p[0] || !p[1] || !p[2] || (s->singles && !p[3]))
      return ceas_error_set(CEAS_ENOMEM, "out of memory for the |m| series");
    s->cap = cap;
  }
  s->avg[s->n] = avg;
  s->m2[s->n] = m2;
  s->t[s->n] = t;
  for (int k = 0; k < s->singles; k++) s->one[s->n * (size_t)s->singles + (size_t)k] = one[k];
  s->n++;
  return CEAS_OK;
}

/* Keeps every second measurement (the odd ones, so the last one stays): the
 * series then has twice the spacing, which loses nothing while tau >> spacing. */
static void series_thin(tau_series *s) {
  size_t m = s->n / 2, S = (size_t)s->singles;
  for (size_t j = 0; j < m; j++) {
    s->avg[j] = s->avg[2 * j + 1];
    s->m2[j] = s->m2[2 * j + 1];
    s->t[j] = s->t[2 * j + 1];
    for (size_t k = 0; k < S; k++) s->one[j * S + k] = s->one[(2 * j + 1) * S + k];
  }
  s->n = m;
}

static void series_free(tau_series *s) {
  free(s->avg);
  free(s->m2);
  free(s->t);
  free(s->one);
}

/* Single replica k's |m| over measurements first .. first + n - 1. */
static void series_single(const tau_series *s, int k, size_t first, size_t n, double *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = s->one[(first + i) * (size_t)s->singles + (size_t)k];
}

/* One measurement of the current state. */
static int tau_measure(runner *r, double *avg, double *m2, double *one) {
  double N = r->sites;
  if (r->msc) {
    int rc = ceas_msc_measure(r->msc, r->E, r->M);
    if (rc) return rc;
    ceas_msc_sample smp;
    ceas_msc_replica_average(r->msc, r->E, r->M, &smp);
    *avg = smp.abs_m;
    *m2 = smp.m2;
    for (int k = 0; k < TAU_SINGLES; k++)
      one[k] = fabs((double)r->M[k * (r->replicas / TAU_SINGLES)]) / N;
    return CEAS_OK;
  }
  int64_t M = 0;
  if (r->single) {
    int64_t E;
    ceas_msc_single_measure(r->single, &E, &M);
  } else {
    /* Summing the int8 spins directly is ~4x cheaper than the CSR-generic
     * ceas_lattice_magnetization, and a measurement per sweep must be cheap. */
    const int8_t *sp = r->plain->spins;
    int64_t n = r->sys->n;
    for (int64_t i = 0; i < n; i++) M += sp[i];
  }
  double m = fabs((double)M) / N;
  *avg = m;
  *m2 = m * m;
  return CEAS_OK;
}

/* tau_int of the natural estimator and, for replica-packed runs, the mean over the
 * recorded single replicas, of measurements first .. first + n - 1; buf holds n. */
static void series_taus(const tau_series *s, size_t first, size_t n, double *buf,
                        double *tau_est, double *tau_est_err, double *tau_one,
                        double *tau_one_err) {
  size_t w;
  ceas_measure_tau_int(s->avg + first, n, tau_est, tau_est_err, &w);
  *tau_one = *tau_est;
  *tau_one_err = *tau_est_err;
  if (!s->singles) return;
  double sum = 0, sum_err = 0;
  for (int k = 0; k < s->singles; k++) {
    double t, e;
    series_single(s, k, first, n, buf);
    ceas_measure_tau_int(buf, n, &t, &e, &w);
    sum += t;
    sum_err += e;
  }
  *tau_one = sum / s->singles;
  /* The replicas share uniforms, so their errors are not independent: the mean
   * error, not the mean over sqrt(singles). */
  *tau_one_err = sum_err / s->singles;
}

/* The early stop: does the record already hold TAU_THERM + TAU_TARGET tau_int
 * (estimated from its second half)? */
static int tau_enough(const tau_series *s) {
  size_t h = s->n / 2, n = s->n - h;
  double tau, err, tau1 = 0;
  size_t w;
  ceas_measure_tau_int(s->avg + h, n, &tau, &err, &w);
  if (s->singles) {
    double *buf = malloc(n * sizeof *buf);
    if (!buf) return 0;
    series_single(s, 0, h, n, buf);
    ceas_measure_tau_int(buf, n, &tau1, &err, &w);
    free(buf);
  }
  if (tau1 > tau) tau = tau1;
  return (double)s->n >= (TAU_THERM + TAU_TARGET) * tau;
}

/* Discards the first TAU_THERM tau_int (at most half the record), then fills the
 * statistics of res from the rest. */
static int tau_analyze(const tau_series *s, uint64_t every, bench_result *res) {
  size_t n = s->n, h = n / 2;
  double *buf = malloc(n * sizeof *buf);
  if (!buf) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  double te, tee, t1, t1e;
  series_taus(s, h, n - h, buf, &te, &tee, &t1, &t1e);
  double tmax = te > t1 ? te : t1;
  size_t d = 0, p;
  /* tau of the kept part can come out a little above the second half's: move the
   * cut until it is >= TAU_THERM of the kept part's tau (or half the record). */
  for (int it = 0; it < 8; it++) {
    size_t want = (size_t)ceil(TAU_THERM * tmax * (it ? 1.05 : 1.0));
    if (want <= d) break;
    d = want > h ? h : want;
    p = n - d;
    series_taus(s, d, p, buf, &te, &tee, &t1, &t1e);
    tmax = te > t1 ? te : t1;
    if (d == h) break;
  }
  p = n - d;
  free(buf);
  double mean = 0, m2 = 0;
  for (size_t i = d; i < n; i++) {
    mean += s->avg[i];
    m2 += s->m2[i];
  }
  mean /= (double)p;
  m2 /= (double)p;
  double var = m2 - mean * mean;
  ceas_measure_neff nf;
  int rc = ceas_measure_neff_compute(s->avg + d, p, var, &nf);
  if (rc) return rc;
  res->every = every;
  res->measurements = p;
  res->discarded = d;
  res->prod_sweeps = (uint64_t)p * every;
  res->tau = t1 * (double)every;
  res->tau_err = t1e * (double)every;
  res->tau_est = te * (double)every;
  res->tau_est_err = tee * (double)every;
  res->run_taus = (double)p / tmax;
  res->therm_taus = (double)d / tmax;
  res->mean_abs_m = mean;
  res->err_abs_m = nf.err;
  res->var_abs_m = var;
  res->bin = nf.bin;
  res->bins_ok = nf.bins_ok;
  res->n_eff_binned = nf.n_eff_binned;
  res->n_eff_tau = nf.n_eff_tau;
  res->n_eff_rel_err = nf.n_eff_rel_err;
  /* Too few bins of >= 16 tau underestimate the binned error: use tau then. */
  res->n_eff = nf.bins_ok ? nf.n_eff_binned : nf.n_eff_tau;
  res->replicas_worth = res->n_eff * 2.0 * t1 / (double)p;
  res->converged = res->therm_taus >= TAU_THERM && res->run_taus >= TAU_MIN_RUN;
  res->seconds = s->t[n - 1] - (d ? s->t[d - 1] : 0.0);
  return CEAS_OK;
}

static int tau_one(const bench_args *a, int dim, long L, int algo, double beta,
                   bench_result *res) {
  runner r;
  tau_series s = {0};
  double start = ceas_wtime();
  int rc = runner_setup(a, dim, L, algo, beta, &r, res);
  uint64_t therm = 0, recorded = 0;
  if (!rc && algo == ALGO_WOLFF) {
    /* Learn the clusters per sweep from the second half of 20 to 1000 tuning sweeps
     * (beyond 20, at most 5 % of the budget): the first half remembers the hot
     * start, whose small clusters would ask for far too many per sweep (at 2D
     * L = 256, 50 tuning sweeps still gave a quarter of the equilibrium size). */
    enum { TUNE_MAX = 1000 };
    static int64_t tc[TUNE_MAX], tf[TUNE_MAX]; /* clusters, spins flipped per sweep */
    int k = 0;
    while (!rc && k < TUNE_MAX) {
      uint64_t before = r.plain->flipped;
      tc[k] = 0;
      rc = ceas_lattice_wolff_sweep_tune(r.plain, beta, &tc[k]);
      tf[k] = (int64_t)(r.plain->flipped - before);
      k++;
      if (k >= 20 && ceas_wtime() - start > 0.05 * a->seconds) break;
    }
    therm = (uint64_t)k;
    int64_t clusters = 0, flipped = 0;
    for (int j = k / 2; j < k; j++) {
      clusters += tc[j];
      flipped += tf[j];
    }
    double per = clusters > 0 ? (double)flipped / (double)clusters : 1.0;
    long want = lround(r.sites / per);
    r.plain->wolff_clusters = want < 1 ? 1 : want;
    res->wolff_clusters = r.plain->wolff_clusters;
  }
  uint64_t every = a->every ? (uint64_t)a->every : r.msc ? (uint64_t)res->depth : 1;
  s.singles = r.msc ? TAU_SINGLES : 0;
  s.cap_max = (size_t)(TAU_SERIES_DOUBLES / (uint64_t)(3 + s.singles)) & ~(size_t)1;
  double one[TAU_SINGLES];
  size_t next_check = 1024;
  if (r.plain) r.plain->flipped = 0;
  /* paused: time spent deciding whether to stop, which is not the kernel's. */
  double c0 = cpu_time(), t0 = ceas_wtime(), paused = 0;
  while (!rc) {
    double avg, m2;
    rc = run_sweeps(&r, every);
    if (!rc) rc = tau_measure(&r, &avg, &m2, one);
    if (!rc) rc = series_push(&s, avg, m2, ceas_wtime() - t0 - paused, one);
    if (rc) break;
    recorded += every;
    if (ceas_cli_stop) {
      rc = ceas_error_set(CEAS_EINTERRUPT, "interrupted");
      break;
    }
    if (s.n >= TAU_MIN_SAMPLES && ceas_wtime() - start >= a->seconds) break;
    if (s.n >= next_check) {
      double p0 = ceas_wtime();
      if (tau_enough(&s)) break;
      next_check = s.n + s.n / 4;
      paused += ceas_wtime() - p0;
    }
    if (s.n == s.cap_max) {
      series_thin(&s);
      every *= 2;
      next_check = s.n + s.n / 4;
    }
  }
  /* The CPU share of the recording (stop checks included on both sides) scales
   * the production's wall time: one clock_gettime per measurement would cost
   * more than a small lattice's sweep. */
  double cpu = cpu_time() - c0, wall = ceas_wtime() - t0;
  if (!rc) rc = tau_analyze(&s, every, res);
  if (!rc) {
    res->cpu_seconds = wall > 0 ? res->seconds * fmin(1.0, cpu / wall) : res->seconds;
    res->sweeps = therm + recorded;
    res->therm_sweeps = res->sweeps - res->prod_sweeps;
    res->total_seconds = ceas_wtime() - start;
    res->indep_per_s = res->n_eff / res->seconds;
    res->indep_per_cpu_s = res->n_eff / res->cpu_seconds;
    if (r.plain && algo != ALGO_METROPOLIS)
      res->flipped_per_sweep = (double)r.plain->flipped / ((double)recorded * r.sites);
  }
  series_free(&s);
  runner_free(&r);
  return rc;
}

/* "model name" from /proc/cpuinfo, for the record. */
static void cpu_model(char *buf, size_t cap) {
  snprintf(buf, cap, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    char *colon = strchr(line, ':');
    if (!colon) continue;
    colon++;
    while (*colon == ' ' || *colon == '\t') colon++;
    colon[strcspn(colon, "\n")] = '\0';
    snprintf(buf, cap, "%s", colon);
    break;
  }
  fclose(f);
}

static const char *model_name(int dim) { return dim == 2 ? "ising2d" : "ising3d"; }

/* The per-result fields of the output files, in one list so that JSON and HDF5
 * cannot drift apart. */
typedef struct {
  const char *name;
  enum { F_DOUBLE, F_INT, F_STRING } kind;
  double d;
  int64_t i;
  const char *s;
} field;

#define FD(n, v) f[k++] = (field){(n), F_DOUBLE, (v), 0, NULL}
#define FI(n, v) f[k++] = (field){(n), F_INT, 0, (int64_t)(v), NULL}
#define FS(n, v) f[k++] = (field){(n), F_STRING, 0, 0, (v)}
#define MAX_FIELDS 48

static int result_fields(const bench_args *a, const bench_result *r, field *f) {
  int k = 0;
  FS("model", model_name(r->dim));
  FI("L", r->L);
  FS("algo", algo_names[r->algo]);
  FS("isa", r->isa);
  FI("replicas", r->replicas);
  FI("depth", r->depth);
  FD("beta", r->beta);
  FI("sweeps", r->sweeps);
  FD("seconds", r->seconds);
  FD("cpu_seconds", r->cpu_seconds);
  if (!a->tau) {
    FD("flip_attempts", r->flips);
    FD("flips_per_ns", r->rate);
    FD("flips_per_cpu_ns", r->flips / (r->cpu_seconds * 1e9));
    FD("ratio_to_metropolis", r->ratio);
    return k;
  }
  FI("measure_every", r->every);
  FI("measurements", r->measurements);
  FI("discarded", r->discarded);
  FI("therm_sweeps", r->therm_sweeps);
  FI("prod_sweeps", r->prod_sweeps);
  FD("tau_int_abs_m", r->tau);
  FD("tau_int_abs_m_err", r->tau_err);
  FD("tau_int_estimator", r->tau_est);
  FD("tau_int_estimator_err", r->tau_est_err);
  FD("run_taus", r->run_taus);
  FD("therm_taus", r->therm_taus);
  FI("converged", r->converged);
  FD("mean_abs_m", r->mean_abs_m);
  FD("err_abs_m", r->err_abs_m);
  FD("var_abs_m", r->var_abs_m);
  FI("bin", r->bin);
  FI("bins_ok", r->bins_ok);
  FS("n_eff_method", r->bins_ok ? "binned" : "tau");
  FD("n_eff", r->n_eff);
  FD("n_eff_binned", r->n_eff_binned);
  FD("n_eff_tau", r->n_eff_tau);
  FD("n_eff_rel_err", r->n_eff_rel_err);
  FD("replicas_worth", r->replicas_worth);
  FD("indep_per_s", r->indep_per_s);
  FD("indep_per_cpu_s", r->indep_per_cpu_s);
  FD("ratio_to_metropolis", r->ratio);
  FD("ratio_to_metropolis_cpu", r->ratio_cpu);
  FD("total_seconds", r->total_seconds);
  if (r->algo == ALGO_WOLFF) FI("wolff_clusters", r->wolff_clusters);
  if (r->algo == ALGO_WOLFF || r->algo == ALGO_SW)
    FD("flipped_per_sweep", r->flipped_per_sweep);
  return k;
}

static const char *timing_note(const bench_args *a) {
  return a->tau ? "seconds: CLOCK_MONOTONIC (wall) over the production sweeps and "
                  "measurements, one thread; cpu_seconds: the same share of the "
                  "recording's CLOCK_THREAD_CPUTIME_ID; indep_per_s = n_eff / seconds"
                : "flips_per_ns: CLOCK_MONOTONIC (wall), one thread; "
                  "flips_per_cpu_ns: CLOCK_THREAD_CPUTIME_ID, which leaves out "
                  "the time other processes held the core";
}

static const char *tau_definitions =
    "tau_int_abs_m: Sokal-window tau_int of one chain's |m| in sweeps (replica-packed: "
    "mean over 16 single replicas); tau_int_estimator: the same of the natural "
    "estimator's series (replica average); n_eff = var_abs_m / err_abs_m^2 with "
    "err_abs_m from bins >= 16 tau_int_estimator (n_eff_method binned) or, with fewer "
    "than " TAU_STR(CEAS_MEASURE_MIN_BINS) " such bins, 2 tau var(series) / n (n_eff_method "
    "tau); replicas_worth = "
    "n_eff / (n / (2 tau_int_abs_m)); converged: >= 20 tau discarded and >= 100 tau "
    "measured";

static int write_json(const bench_args *a, const bench_result *res, int n) {
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "ceasim_version", ceas_version());
  cJSON_AddStringToObject(root, "command_line", ceas_cli_command_line());
  cJSON_AddStringToObject(root, "cpu", cpu);
  cJSON_AddStringToObject(root, "mode", a->tau ? "tau" : "flips");
  cJSON_AddStringToObject(root, "timing", timing_note(a));
  if (a->tau) cJSON_AddStringToObject(root, "definitions", tau_definitions);
  cJSON_AddNumberToObject(root, "seconds_per_kernel", a->seconds);
  cJSON_AddNumberToObject(root, "seed", (double)a->seed);
  cJSON *arr = cJSON_AddArrayToObject(root, "results");
  for (int i = 0; i < n; i++) {
    field f[MAX_FIELDS];
    int nf = result_fields(a, &res[i], f);
    cJSON *o = cJSON_CreateObject();
    for (int j = 0; j < nf; j++) {
      if (f[j].kind == F_STRING)
        cJSON_AddStringToObject(o, f[j].name, f[j].s);
      else
        cJSON_AddNumberToObject(o, f[j].name,
                                f[j].kind == F_INT ? (double)f[j].i : f[j].d);
    }
    cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  size_t len = strlen(text);
  char *line = realloc(text, len + 2);
  if (!line) {
    free(text);
    return ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  line[len] = '\n';
  line[len + 1] = '\0';
  int rc = ceas_io_write_text(a->out, a->force, line, len + 1);
  free(line);
  return rc;
}

static int write_h5(const bench_args *a, const bench_result *res, int n) {
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  ceas_io_file f;
  int rc = ceas_io_file_create(a->out, a->force, &f);
  if (rc) return rc;
  rc = ceas_io_attr_string(f.file, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(f.file, "command_line", ceas_cli_command_line());
  if (!rc) rc = ceas_io_attr_string(f.file, "cpu", cpu);
  if (!rc) rc = ceas_io_attr_string(f.file, "mode", a->tau ? "tau" : "flips");
  if (!rc) rc = ceas_io_attr_string(f.file, "timing", timing_note(a));
  if (!rc && a->tau) rc = ceas_io_attr_string(f.file, "definitions", tau_definitions);
  if (!rc) rc = ceas_io_attr_double(f.file, "seconds_per_kernel", a->seconds);
  if (!rc) rc = ceas_io_attr_uint64(f.file, "seed", a->seed);
  hid_t g;
  if (!rc) rc = ceas_io_group(f.file, "results", &g);
  for (int i = 0; !rc && i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "%03d", i);
    hid_t h;
    rc = ceas_io_group(g, name, &h);
    if (rc) break;
    field fl[MAX_FIELDS];
    int nf = result_fields(a, &res[i], fl);
    for (int j = 0; !rc && j < nf; j++)
      rc = fl[j].kind == F_STRING ? ceas_io_attr_string(h, fl[j].name, fl[j].s)
           : fl[j].kind == F_INT  ? ceas_io_attr_int64(h, fl[j].name, fl[j].i)
                                  : ceas_io_attr_double(h, fl[j].name, fl[j].d);
    H5Gclose(h);
  }
  if (!rc) H5Gclose(g);
  if (rc) {
    ceas_io_file_abort(&f);
    return rc;
  }
  return ceas_io_file_commit(&f);
}

int ceas_cli_bench(int argc, char **argv) {
  bench_args a;
  int help;
  int rc = parse_args(argc, argv, &a, &help);
  if (help) {
    bench_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  ceas_cli_install_signals();
  static bench_result res[2 * MAX_LIST * ALGO_COUNT];
  int n = 0;
  for (int m = 0; !rc && m < a.n_models; m++) {
    const int dim = a.models[m];
    static const long def2[] = {256, 1024}, def3[] = {128}, tau2[] = {256}, tau3[] = {32};
    const long *Ls = a.n_L ? a.L : dim == 2 ? (a.tau ? tau2 : def2) : (a.tau ? tau3 : def3);
    const int nL = a.n_L ? a.n_L : dim == 2 && !a.tau ? 2 : 1;
    const double beta = a.beta_given ? a.beta : dim == 2 ? BETA_C_2D : BETA_C_3D;
    for (int i = 0; !rc && i < nL; i++) {
      double plain = 0, plain_cpu = 0;
      for (int k = 0; !rc && k < a.n_algos; k++) {
        /* Not listed, msc-single runs only where it can (2D, L a multiple of 128). */
        if (a.algos[k] == ALGO_MSC_SINGLE && !a.single_listed && (dim != 2 || Ls[i] % 128))
          continue;
        bench_result *r = &res[n];
        rc = a.tau ? tau_one(&a, dim, Ls[i], a.algos[k], beta, r)
                   : bench_one(&a, dim, Ls[i], a.algos[k], beta, r);
        if (rc) break;
        n++;
        if (!a.tau) {
          if (a.algos[k] == ALGO_METROPOLIS) plain = r->rate;
          r->ratio = plain > 0 ? r->rate / plain : NAN;
          printf("%s L=%-5ld %-20s %-7s x%-8.1f %9.3f flips/ns\n", model_name(dim), Ls[i],
                 algo_names[r->algo], r->isa, r->ratio, r->rate);
        } else {
          if (a.algos[k] == ALGO_METROPOLIS) {
            plain = r->indep_per_s;
            plain_cpu = r->indep_per_cpu_s;
          }
          r->ratio = plain > 0 ? r->indep_per_s / plain : NAN;
          r->ratio_cpu = plain_cpu > 0 ? r->indep_per_cpu_s / plain_cpu : NAN;
          printf("%s L=%-5ld %-20s tau=%.4g+-%.2g sweeps  n/tau=%.0f  n_eff=%.4g%s  "
                 "worth=%.3g  %s  x%.4g  %.4g indep/s\n",
                 model_name(dim), Ls[i], algo_names[r->algo], r->tau, r->tau_err,
                 r->run_taus, r->n_eff, r->bins_ok ? "" : "(tau)", r->replicas_worth,
                 r->converged ? "converged" : "NOT-CONVERGED", r->ratio, r->indep_per_s);
        }
        fflush(stdout);
      }
    }
  }
  if (!rc && a.out) rc = a.json ? write_json(&a, res, n) : write_h5(&a, res, n);
  return rc ? ceas_cli_fail(rc) : 0;
}
