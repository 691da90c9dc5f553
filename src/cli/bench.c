/* ceasim bench: spin-flip attempts per nanosecond of each update kernel on one
 * core, always beside the engine's plain int8 checkerboard Metropolis measured in
 * the same run, so that ratios compare like with like on a shared machine. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_kernel_bench.h"
#include "cli.h"

#define BETA_C_2D 0.44068679350977151 /* ln(1 + sqrt 2) / 2 */
#define BETA_C_3D 0.221654626         /* Ferrenberg, Xu & Landau 2018 */
#define MAX_LIST 16
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
          "                 of 128; only when listed), heatbath (only when listed),\n"
          "                 and with --tau only wolff, sw\n"
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
          CEAS_KERNEL_BENCH_TAU_TARGET);
}

typedef struct {
  int models[2], n_models; /* dimension 2 or 3 */
  long L[MAX_LIST];
  int n_L;
  const ceas_kernel_type *algos[MAX_LIST + 1];
  int n_algos;
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
  const ceas_kernel_type *plain = ceas_kernel_find("metropolis");
  a->algos[a->n_algos++] = plain;
  if (!rc && algos) {
    rc = split_list(algos, algo_buf, sizeof algo_buf, "--algo", items, MAX_LIST, &n);
    for (int i = 0; !rc && i < n; i++) {
      const ceas_kernel_type *T = ceas_kernel_find(items[i]);
      if ((rc = ceas_kernel_name_check(items[i], "--algo"))) break;
      if ((T->flags & CEAS_KERNEL_CLUSTER) && !a->tau) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "--algo: %s is timed only with --tau (a cluster update has no "
                            "flip attempts to count)",
                            items[i]);
        break;
      }
      a->single_listed |= (T->flags & CEAS_KERNEL_MSC) && !(T->flags & CEAS_KERNEL_PACKED);
      int seen = 0;
      for (int k = 0; k < a->n_algos; k++) seen |= a->algos[k] == T;
      if (!seen) a->algos[a->n_algos++] = T;
    }
  } else if (!rc) {
    /* The replica-packed kernels, and with --tau also msc-single (where the size
     * allows: the L = 256) and the cluster kernels, last. msc-single is
     * left out of flips/ns runs: it takes only sizes that are multiples of 128. */
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; ceas_kernel_types[k]; k++) {
        const ceas_kernel_type *T = ceas_kernel_types[k];
        int want = pass ? a->tau && (T->flags & CEAS_KERNEL_CLUSTER)
                        : (T->flags & CEAS_KERNEL_PACKED) || (a->tau && (T->flags & CEAS_KERNEL_MSC));
        if (want) a->algos[a->n_algos++] = T;
      }
  }
  int msc = 0, single = 0;
  for (int k = 0; k < a->n_algos; k++) {
    msc |= (a->algos[k]->flags & CEAS_KERNEL_PACKED) != 0;
    single |= !(a->algos[k]->flags & CEAS_KERNEL_PACKED) && (a->algos[k]->flags & CEAS_KERNEL_MSC) &&
              a->single_listed;
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
  for (int m = 0; !rc && m < a->n_models; m++)
    for (int i = 0; !rc && i < a->n_L; i++)
      rc = ceas_kernel_bench_memory_check(a->tau, a->algos, a->n_algos, a->models[m], a->L[i]);
  if (!rc && strcmp(a->isa, "auto")) rc = ceas_kernel_bench_isa_check(a->isa);
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

static int write_json(const bench_args *a, const ceas_kernel_bench_params *bp,
                      const ceas_kernel_bench_result *res, int n) {
  char cpu[256];
  ceas_kernel_bench_cpu_model(cpu, sizeof cpu);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "ceasim_version", ceas_version());
  cJSON_AddStringToObject(root, "command_line", ceas_cli_command_line());
  cJSON_AddStringToObject(root, "cpu", cpu);
  cJSON_AddStringToObject(root, "mode", a->tau ? "tau" : "flips");
  cJSON_AddStringToObject(root, "timing", ceas_kernel_bench_timing_note(bp));
  if (a->tau) cJSON_AddStringToObject(root, "definitions", ceas_kernel_bench_definitions);
  cJSON_AddNumberToObject(root, "seconds_per_kernel", a->seconds);
  cJSON_AddNumberToObject(root, "seed", (double)a->seed);
  cJSON *arr = cJSON_AddArrayToObject(root, "results");
  for (int i = 0; i < n; i++) {
    ceas_kernel_bench_field f[CEAS_KERNEL_BENCH_MAX_FIELDS];
    int nf = ceas_kernel_bench_fields(bp, &res[i], f);
    cJSON *o = cJSON_CreateObject();
    for (int j = 0; j < nf; j++) {
      if (f[j].kind == CEAS_KERNEL_BENCH_STRING)
        cJSON_AddStringToObject(o, f[j].name, f[j].s);
      else
        cJSON_AddNumberToObject(o, f[j].name,
                                f[j].kind == CEAS_KERNEL_BENCH_INT ? (double)f[j].i : f[j].d);
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

/* One line per kernel and size, as each finishes. */
static void print_result(const ceas_kernel_bench_params *p, const ceas_kernel_bench_result *r,
                         void *ctx) {
  (void)ctx;
  const char *model = ceas_lattice_model_name(r->dim == 2 ? CEAS_MODEL_ISING2D : CEAS_MODEL_ISING3D);
  if (!p->tau)
    printf("%s L=%-5ld %-20s %-7s x%-8.1f %9.3f flips/ns\n", model, r->L, r->type->name, r->isa,
           r->ratio, r->rate);
  else
    printf("%s L=%-5ld %-20s tau=%.4g+-%.2g sweeps  n/tau=%.0f  n_eff=%.4g%s  "
           "worth=%.3g  %s  x%.4g  %.4g indep/s\n",
           model, r->L, r->type->name, r->tau, r->tau_err, r->run_taus, r->n_eff,
           r->bins_ok ? "" : "(tau)", r->replicas_worth,
           r->converged ? "converged" : "NOT-CONVERGED", r->ratio, r->indep_per_s);
  fflush(stdout);
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
  const ceas_kernel_bench_params bp = {a.seconds, a.isa, a.depth, a.seed, a.tau, a.every,
                                       &ceas_cli_stop};
  static ceas_kernel_bench_result res[2 * MAX_LIST * (MAX_LIST + 1)];
  int n = 0;
  for (int m = 0; !rc && m < a.n_models; m++) {
    const int dim = a.models[m];
    static const long def2[] = {256, 1024}, def3[] = {128}, tau2[] = {256}, tau3[] = {32};
    const long *Ls = a.n_L ? a.L : dim == 2 ? (a.tau ? tau2 : def2) : (a.tau ? tau3 : def3);
    const int nL = a.n_L ? a.n_L : dim == 2 && !a.tau ? 2 : 1;
    const double beta = a.beta_given ? a.beta : dim == 2 ? BETA_C_2D : BETA_C_3D;
    for (int i = 0; !rc && i < nL; i++) {
      /* Not listed, msc-single runs only where it can (2D, L a multiple of 128). */
      const ceas_kernel_type *T[MAX_LIST + 1];
      int nT = 0;
      for (int k = 0; k < a.n_algos; k++)
        if ((a.algos[k]->flags & CEAS_KERNEL_PACKED) || !(a.algos[k]->flags & CEAS_KERNEL_MSC) ||
            a.single_listed || (dim == 2 && Ls[i] % 128 == 0))
          T[nT++] = a.algos[k];
      rc = ceas_kernel_bench_size(&bp, T, nT, dim, Ls[i], beta, res + n, print_result, NULL);
      n += nT;
    }
  }
  if (!rc && a.out) rc = a.json ? write_json(&a, &bp, res, n)
                               : ceas_kernel_bench_write_h5(&bp, a.out, a.force,
                                                            ceas_cli_command_line(), res, n);
  return rc ? ceas_cli_fail(rc) : 0;
}
