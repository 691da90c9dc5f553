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
#include "ceas_msc.h"
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
          "\n"
          "Spin-flip attempts per nanosecond on one core (every replica's attempt "
          "counts),\n"
          "one line per kernel and size, each with its ratio to the plain int8 "
          "checkerboard\n"
          "Metropolis, which is always measured in the same run (first, for each "
          "size).\n"
          "\n"
          "  --model M      ising2d, ising3d or both, comma-separated [ising2d]\n"
          "  --L LIST       linear sizes [ising2d: 256,1024; ising3d: 128]; the msc "
          "kernels\n"
          "                 need even L\n"
          "  --algo LIST    metropolis (the engine's kernel), msc-replica64, "
          "msc-replica256\n"
          "                 (replica-packed multi-spin coding, 64 or 256 replicas per "
          "site,\n"
          "                 one shared uniform per site), msc-replica64-anti, "
          "msc-replica256-anti\n"
          "                 (the same with the antithetic replica pattern),\n"
          "                 msc-single (one 2D lattice, 64 sites per word; L a "
          "multiple\n"
          "                 of 128; only when listed) [all but msc-single]\n"
          "  --seconds S    timed seconds per kernel and size, after a warm-up of "
          "S/10 [2]\n"
          "  --beta B       inverse temperature [beta_c: 0.4406868 (2D), 0.2216546 "
          "(3D)]\n"
          "  --isa I        msc instruction set: auto, avx512, avx2, generic [auto]\n"
          "  --depth D      msc sweeps per wavefront pass, 0 = automatic [0]\n"
          "  --seed S       random seed [1]\n"
          "  --out FILE     also write the results: FILE.json or FILE.h5 "
          "(atomically)\n"
          "  --force        allow --out to replace an existing file\n"
          "\n"
          "Each line ends in the rate, \"R flips/ns\"; timing is CLOCK_MONOTONIC "
          "over whole\n"
          "sweeps, at least S seconds per kernel.\n");
}

typedef enum {
  ALGO_METROPOLIS,
  ALGO_MSC64,
  ALGO_MSC256,
  ALGO_MSC64_ANTI,
  ALGO_MSC256_ANTI,
  ALGO_MSC_SINGLE,
  ALGO_COUNT
} algo_id;
static const char *const algo_names[ALGO_COUNT] = {
    "metropolis", "msc-replica64", "msc-replica256", "msc-replica64-anti",
    "msc-replica256-anti", "msc-single"};

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
         O_FORCE, O_HELP };
  static const struct option opts[] = {
      {"model", required_argument, 0, O_MODEL}, {"L", required_argument, 0, O_L},
      {"algo", required_argument, 0, O_ALGO},   {"seconds", required_argument, 0, O_SECONDS},
      {"beta", required_argument, 0, O_BETA},   {"isa", required_argument, 0, O_ISA},
      {"depth", required_argument, 0, O_DEPTH}, {"seed", required_argument, 0, O_SEED},
      {"out", required_argument, 0, O_OUT},     {"force", no_argument, 0, O_FORCE},
      {"help", no_argument, 0, O_HELP},         {0, 0, 0, 0}};
  static char model_buf[256], L_buf[512], algo_buf[256];
  memset(a, 0, sizeof *a);
  a->models[0] = 2;
  a->n_models = 1;
  a->seconds = 2.0;
  a->isa = "auto";
  a->seed = 1;
  *help = 0;
  const char *models = NULL, *Ls = NULL, *algos = NULL;
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
      default: rc = ceas_cli_option_error(c, argv, "bench");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim bench --help)",
                        argv[optind]);
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
                            "msc-replica64-anti, msc-replica256-anti or msc-single, got '%s'",
                            items[i]);
        break;
      }
      int seen = 0;
      for (int k = 0; k < a->n_algos; k++) seen |= a->algos[k] == id;
      if (!seen) a->algos[a->n_algos++] = id;
    }
  } else if (!rc) {
    /* msc-single is left out: it takes only 2D sizes that are multiples of 128. */
    for (int k = ALGO_MSC64; k < ALGO_MSC_SINGLE; k++) a->algos[a->n_algos++] = k;
  }
  int msc = 0, single = 0;
  for (int k = 0; k < a->n_algos; k++) {
    msc |= a->algos[k] != ALGO_METROPOLIS;
    single |= a->algos[k] == ALGO_MSC_SINGLE;
  }
  for (int m = 0; !rc && single && m < a->n_models; m++)
    if (a->models[m] == 3)
      rc = ceas_error_set(CEAS_EINPUT, "--algo: msc-single is 2D only, expected --model ising2d");
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
  ceas_lattice_state *plain;
  const ceas_lattice_kernel *kernel;
  ceas_msc_state *msc;
  ceas_msc_single *single;
  double beta;
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

static int bench_one(const bench_args *a, int dim, long L, int algo, double beta,
                     bench_result *res) {
  memset(res, 0, sizeof *res);
  res->dim = dim;
  res->L = L;
  res->algo = algo;
  res->beta = beta;
  runner r = {algo, NULL, NULL, NULL, NULL, beta};
  ceas_lattice_system *sys = NULL;
  ceas_rng_key key = {a->seed, 0};
  int rc;
  uint64_t unit = 1;
  double sites;
  if (algo == ALGO_METROPOLIS) {
    rc = ceas_lattice_hypercubic_alloc(dim == 2 ? CEAS_MODEL_ISING2D : CEAS_MODEL_ISING3D, L,
                                       0.0, &sys);
    if (!rc) rc = ceas_lattice_state_alloc(sys, key, CEAS_INIT_HOT, &r.plain);
    r.kernel = ceas_lattice_kernel_find("metropolis");
    if (!rc && !r.kernel) rc = ceas_error_set(CEAS_EINTERNAL, "no metropolis kernel");
    res->isa = "int8";
    res->replicas = 1;
    sites = sys ? (double)sys->n : 0;
  } else if (algo == ALGO_MSC_SINGLE) {
    rc = ceas_msc_single_alloc(L, key, CEAS_MSC_HOT, &r.single);
    res->isa = "bitslice";
    res->replicas = 1;
    sites = r.single ? (double)ceas_msc_single_sites(r.single) : 0;
  } else {
    res->replicas = algo == ALGO_MSC64 || algo == ALGO_MSC64_ANTI ? 64 : 256;
    rc = ceas_msc_alloc(dim, L, res->replicas, key, CEAS_MSC_HOT, &r.msc);
    if (!rc)
      ceas_msc_set_antithetic(r.msc, algo == ALGO_MSC64_ANTI || algo == ALGO_MSC256_ANTI);
    if (!rc) rc = ceas_msc_set_isa(r.msc, a->isa);
    if (!rc) rc = ceas_msc_set_depth(r.msc, a->depth);
    if (!rc) {
      res->isa = ceas_msc_isa(r.msc);
      res->depth = ceas_msc_depth(r.msc);
      unit = (uint64_t)res->depth;
    }
    sites = r.msc ? (double)ceas_msc_sites(r.msc) : 0;
  }
  if (!rc) rc = time_kernel(&r, a->seconds, unit, res);
  res->flips = (double)res->sweeps * sites * res->replicas;
  res->rate = res->seconds > 0 ? res->flips / (res->seconds * 1e9) : 0;
  ceas_lattice_state_free(r.plain);
  ceas_lattice_system_free(sys);
  ceas_msc_free(r.msc);
  ceas_msc_single_free(r.single);
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

static int write_json(const bench_args *a, const bench_result *res, int n) {
  char cpu[256];
  cpu_model(cpu, sizeof cpu);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "ceasim_version", ceas_version());
  cJSON_AddStringToObject(root, "command_line", ceas_cli_command_line());
  cJSON_AddStringToObject(root, "cpu", cpu);
  cJSON_AddStringToObject(root, "timing",
                          "flips_per_ns: CLOCK_MONOTONIC (wall), one thread; "
                          "flips_per_cpu_ns: CLOCK_THREAD_CPUTIME_ID, which leaves out "
                          "the time other processes held the core");
  cJSON_AddNumberToObject(root, "seconds_per_kernel", a->seconds);
  cJSON_AddNumberToObject(root, "seed", (double)a->seed);
  cJSON *arr = cJSON_AddArrayToObject(root, "results");
  for (int i = 0; i < n; i++) {
    const bench_result *r = &res[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", model_name(r->dim));
    cJSON_AddNumberToObject(o, "L", (double)r->L);
    cJSON_AddStringToObject(o, "algo", algo_names[r->algo]);
    cJSON_AddStringToObject(o, "isa", r->isa);
    cJSON_AddNumberToObject(o, "replicas", r->replicas);
    cJSON_AddNumberToObject(o, "depth", r->depth);
    cJSON_AddNumberToObject(o, "beta", r->beta);
    cJSON_AddNumberToObject(o, "sweeps", (double)r->sweeps);
    cJSON_AddNumberToObject(o, "flip_attempts", r->flips);
    cJSON_AddNumberToObject(o, "seconds", r->seconds);
    cJSON_AddNumberToObject(o, "cpu_seconds", r->cpu_seconds);
    cJSON_AddNumberToObject(o, "flips_per_ns", r->rate);
    cJSON_AddNumberToObject(o, "flips_per_cpu_ns", r->flips / (r->cpu_seconds * 1e9));
    cJSON_AddNumberToObject(o, "ratio_to_metropolis", r->ratio);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  /* Temporary name beside the destination, then link (no overwrite) or rename. */
  size_t cap = strlen(a->out) + 64;
  char *tmp = malloc(cap);
  if (!tmp) {
    free(text);
    return ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  const char *slash = strrchr(a->out, '/');
  int dirlen = slash ? (int)(slash - a->out + 1) : 0;
  snprintf(tmp, cap, "%.*s.%s.tmp.%ld", dirlen, a->out, a->out + dirlen, (long)getpid());
  int rc = CEAS_OK;
  FILE *f = fopen(tmp, "w");
  if (!f ||
      fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0)
    rc = ceas_error_set(CEAS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
  if (f && fclose(f) != 0 && !rc)
    rc = ceas_error_set(CEAS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
  if (!rc) {
    if (a->force) {
      if (rename(tmp, a->out) != 0)
        rc = ceas_error_set(CEAS_EIO, "%s: cannot rename from %s: %s", a->out, tmp,
                            strerror(errno));
    } else if (link(tmp, a->out) != 0) {
      rc = ceas_error_set(errno == EEXIST ? CEAS_EINPUT : CEAS_EIO,
                          "%s: %s (the results are not written; use --force to overwrite)",
                          a->out,
                          errno == EEXIST ? "file appeared while running" : strerror(errno));
    }
  }
  unlink(tmp);
  free(tmp);
  free(text);
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
  if (!rc)
    rc = ceas_io_attr_string(f.file, "timing",
                             "flips_per_ns: CLOCK_MONOTONIC (wall), one thread; "
                             "flips_per_cpu_ns: CLOCK_THREAD_CPUTIME_ID, which leaves out "
                             "the time other processes held the core");
  if (!rc) rc = ceas_io_attr_double(f.file, "seconds_per_kernel", a->seconds);
  if (!rc) rc = ceas_io_attr_uint64(f.file, "seed", a->seed);
  hid_t g;
  if (!rc) rc = ceas_io_group(f.file, "results", &g);
  for (int i = 0; !rc && i < n; i++) {
    const bench_result *r = &res[i];
    char name[32];
    snprintf(name, sizeof name, "%03d", i);
    hid_t h;
    rc = ceas_io_group(g, name, &h);
    if (rc) break;
    rc = ceas_io_attr_string(h, "model", model_name(r->dim));
    if (!rc) rc = ceas_io_attr_int64(h, "L", r->L);
    if (!rc) rc = ceas_io_attr_string(h, "algo", algo_names[r->algo]);
    if (!rc) rc = ceas_io_attr_string(h, "isa", r->isa);
    if (!rc) rc = ceas_io_attr_int64(h, "replicas", r->replicas);
    if (!rc) rc = ceas_io_attr_int64(h, "depth", r->depth);
    if (!rc) rc = ceas_io_attr_double(h, "beta", r->beta);
    if (!rc) rc = ceas_io_attr_uint64(h, "sweeps", r->sweeps);
    if (!rc) rc = ceas_io_attr_double(h, "flip_attempts", r->flips);
    if (!rc) rc = ceas_io_attr_double(h, "seconds", r->seconds);
    if (!rc) rc = ceas_io_attr_double(h, "cpu_seconds", r->cpu_seconds);
    if (!rc) rc = ceas_io_attr_double(h, "flips_per_ns", r->rate);
    if (!rc)
      rc = ceas_io_attr_double(h, "flips_per_cpu_ns", r->flips / (r->cpu_seconds * 1e9));
    if (!rc) rc = ceas_io_attr_double(h, "ratio_to_metropolis", r->ratio);
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
  bench_result res[2 * MAX_LIST * ALGO_COUNT];
  int n = 0;
  for (int m = 0; !rc && m < a.n_models; m++) {
    const int dim = a.models[m];
    static const long def2[] = {256, 1024}, def3[] = {128};
    const long *Ls = a.n_L ? a.L : dim == 2 ? def2 : def3;
    const int nL = a.n_L ? a.n_L : dim == 2 ? 2 : 1;
    const double beta = a.beta_given ? a.beta : dim == 2 ? BETA_C_2D : BETA_C_3D;
    for (int i = 0; !rc && i < nL; i++) {
      double plain = 0;
      for (int k = 0; !rc && k < a.n_algos; k++) {
        bench_result *r = &res[n];
        rc = bench_one(&a, dim, Ls[i], a.algos[k], beta, r);
        if (rc) break;
        if (a.algos[k] == ALGO_METROPOLIS) plain = r->rate;
        r->ratio = plain > 0 ? r->rate / plain : NAN;
        n++;
        printf("%s L=%-5ld %-20s %-7s x%-8.1f %9.3f flips/ns\n", model_name(dim), Ls[i],
               algo_names[r->algo], r->isa, r->ratio, r->rate);
        fflush(stdout);
      }
    }
  }
  if (!rc && a.out) rc = a.json ? write_json(&a, res, n) : write_h5(&a, res, n);
  return rc ? ceas_cli_fail(rc) : 0;
}
