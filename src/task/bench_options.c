/* `ceasim bench`'s options, the run over models and sizes, and its JSON record
 * (ceas_kernel_bench_options.h). */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_kernel_bench_options.h"

#define BETA_C_2D 0.44068679350977151 /* ln(1 + sqrt 2) / 2 */
#define BETA_C_3D 0.221654626         /* Ferrenberg, Xu & Landau 2018 */
#define MAX_LIST CEAS_KERNEL_BENCH_MAX_LIST

/* In the order of the table. */
enum { O_MODEL, O_L, O_ALGO, O_SECONDS, O_BETA, O_ISA, O_DEPTH, O_SEED, O_TAU, O_EVERY,
       O_DEVICE, O_GPU };

const ceas_option ceas_kernel_bench_option_table[] = {
    {"model", "M", "ising2d", "ising2d, ising3d or both, comma-separated", "benchmark"},
    {"L", "LIST", "ising2d: 256,1024; ising3d: 128; with --tau 256 and 32",
     "linear sizes; the msc kernels need even L", "benchmark"},
    {"algo", "LIST", "all but msc-single; with --tau all, msc-single where L allows",
     "metropolis (the engine's kernel), msc-replica64, msc-replica256 (replica-packed "
     "multi-spin coding, 64 or 256 replicas per site, one shared uniform per site), "
     "msc-replica64-anti, msc-replica256-anti (the same with the antithetic replica "
     "pattern), msc-single (one lattice, 64 sites per word; L a multiple of 128; only when "
     "listed), heatbath (only when listed), and with --tau only wolff, sw", "benchmark"},
    {"seconds", "S", "2; with --tau 300",
     "timed seconds per kernel and size, after a warm-up of S/10; with --tau the budget per "
     "kernel, thermalisation included", "benchmark"},
    {"beta", "B", "beta_c: 0.4406868 (2D), 0.2216546 (3D)", "inverse temperature",
     "benchmark"},
    {"isa", "I", "auto", "msc instruction set: auto, avx512, avx2, generic", "benchmark"},
    {"depth", "D", "0", "msc sweeps per wavefront pass, 0 = automatic", "benchmark"},
    {"seed", "S", "1", "random seed", "benchmark"},
    {"tau", NULL, NULL, "measure tau_int(|m|) and independent samples per second",
     "benchmark"},
    {"measure-every", "K", "0",
     "sweeps between measurements with --tau, 0 = automatic (the wavefront depth for "
     "msc-replica*, else 1)", "benchmark"},
    {"device", "cpu|gpu", "cpu",
     "gpu: each kernel listed that has a GPU version (msc-single, msc-replica*; a build "
     "with -DCEASIM_CUDA=ON) is timed on the CPU and then on the GPU, the GPU line's ratio "
     "GPU over CPU, with ns per spin update; metropolis is left out", "benchmark"},
    {"gpu", "N", "0", "with --device gpu: the CUDA device to use", "benchmark"},
    {NULL, NULL, NULL, NULL, NULL}};

void ceas_kernel_bench_options_default(ceas_kernel_bench_options *o) {
  memset(o, 0, sizeof *o);
  o->models[0] = 2;
  o->n_models = 1;
  o->p.seconds = 2.0;
  o->p.isa = "auto";
  o->p.seed = 1;
  o->gpu = -1;
}

int ceas_kernel_bench_option_set(ceas_kernel_bench_options *o, const char *key,
                                 const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  const ceas_option *opt = ceas_option_find(ceas_kernel_bench_option_table, key);
  if (!opt) return ceas_error_set(CEAS_EINPUT, "%s: unknown option of a benchmark", what);
  int rc = CEAS_OK;
  long v = 0;
  switch (opt - ceas_kernel_bench_option_table) {
    case O_MODEL: o->models_text = value; break;
    case O_L: o->L_text = value; break;
    case O_ALGO: o->algos_text = value; break;
    case O_SECONDS:
      rc = ceas_parse_double(value, "--seconds", &o->p.seconds);
      if (!rc && !(o->p.seconds > 0 && o->p.seconds <= 3600))
        rc = ceas_error_set(CEAS_EINPUT, "--seconds: expected a time > 0 and <= 3600, got %s",
                            value);
      o->seconds_given = 1;
      break;
    case O_BETA:
      rc = ceas_parse_double(value, "--beta", &o->beta);
      if (!rc && o->beta < 0)
        rc = ceas_error_set(CEAS_EINPUT, "--beta: expected an inverse temperature >= 0, got %s",
                            value);
      o->beta_given = 1;
      break;
    case O_ISA: o->p.isa = value; break;
    case O_DEPTH:
      rc = ceas_parse_long(value, "--depth", 0, 64, &v);
      o->p.depth = (int)v;
      break;
    case O_SEED: rc = ceas_parse_u64(value, "--seed", &o->p.seed); break;
    case O_TAU: o->p.tau = 1; break;
    case O_EVERY: rc = ceas_parse_long(value, "--measure-every", 0, 1000000, &o->p.every); break;
    case O_DEVICE: rc = ceas_device_parse(value, "--device", &o->device); break;
    case O_GPU:
      rc = ceas_parse_long(value, "--gpu", 0, 1023, &v);
      o->gpu = (int)v;
      break;
  }
  return rc;
}

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
    if (!*tok) return ceas_error_set(CEAS_EINPUT, "%s: empty item in the list", what);
    if (*n == cap) return ceas_error_set(CEAS_EINPUT, "%s: expected at most %d items", what, cap);
    items[(*n)++] = tok;
    if (!comma) break;
    tok = comma + 1;
  }
  return CEAS_OK;
}

/* --device gpu: each kernel as a pair, its CPU entry then its GPU entry, timed
 * together (the CPU one the pair's yardstick, so the GPU line's ratio is GPU
 * over CPU of the same kernel); the plain metropolis, which has no GPU entry,
 * is left out. The GPU chosen. */
static int gpu_pairs(ceas_kernel_bench_options *o) {
  if (!ceas_gpu_built()) return ceas_gpu_require("--device gpu");
  const ceas_kernel_type *all[2 * (MAX_LIST + 1)];
  int n = 0;
  for (int k = 1; k < o->n_algos; k++) {
    const ceas_kernel_type *G = ceas_kernel_find_on(o->algos[k]->name, CEAS_DEVICE_GPU);
    if (!G)
      return ceas_error_set(CEAS_EINPUT,
                            "--device gpu: %s has no GPU version (msc-single, msc-replica64, "
                            "msc-replica256 and their -anti have)",
                            o->algos[k]->name);
    all[n++] = o->algos[k];
    all[n++] = G;
  }
  if (!n)
    return ceas_error_set(CEAS_EINPUT,
                          "--device gpu: metropolis has no GPU version (msc-single, "
                          "msc-replica64, msc-replica256 and their -anti have)");
  if (n > MAX_LIST + 1)
    return ceas_error_set(CEAS_EINPUT, "--algo: with --device gpu at most %d kernels",
                          (MAX_LIST + 1) / 2);
  int rc = ceas_gpu_require("--device gpu");
  if (!rc) rc = ceas_gpu_select(o->gpu, 0, NULL);
  if (rc) return rc;
  memcpy(o->algos, all, (size_t)n * sizeof *all);
  o->n_algos = n;
  return CEAS_OK;
}

int ceas_kernel_bench_options_finish(ceas_kernel_bench_options *o) {
  char model_buf[256], L_buf[512], algo_buf[256];
  int rc = CEAS_OK;
  if (!rc && o->p.tau && !o->seconds_given) o->p.seconds = 300.0;
  if (!rc && !o->p.tau && o->p.every)
    rc = ceas_error_set(CEAS_EINPUT, "--measure-every: only with --tau (flips/ns runs do "
                                     "not measure)");
  char *items[MAX_LIST];
  int n;
  if (!rc && o->models_text) {
    rc = split_list(o->models_text, model_buf, sizeof model_buf, "--model", items, 2, &n);
    o->n_models = 0;
    for (int i = 0; !rc && i < n; i++) {
      int dim = !strcmp(items[i], "ising2d") ? 2 : !strcmp(items[i], "ising3d") ? 3 : 0;
      if (!dim)
        rc = ceas_error_set(CEAS_EINPUT, "--model: expected ising2d or ising3d, got '%s'",
                            items[i]);
      else
        o->models[o->n_models++] = dim;
    }
  }
  if (!rc && o->L_text) {
    rc = split_list(o->L_text, L_buf, sizeof L_buf, "--L", items, MAX_LIST, &n);
    for (int i = 0; !rc && i < n; i++) rc = ceas_parse_long(items[i], "--L", 2, 65536, &o->L[i]);
    if (!rc) o->n_L = n;
  }
  /* The plain kernel is the yardstick: always measured, listed or not. */
  const ceas_kernel_type *plain = ceas_kernel_find("metropolis");
  o->algos[o->n_algos++] = plain;
  if (!rc && o->algos_text) {
    rc = split_list(o->algos_text, algo_buf, sizeof algo_buf, "--algo", items, MAX_LIST, &n);
    for (int i = 0; !rc && i < n; i++) {
      const ceas_kernel_type *T = ceas_kernel_find(items[i]);
      if ((rc = ceas_kernel_name_check(items[i], "--algo"))) break;
      if ((T->flags & CEAS_KERNEL_CLUSTER) && !o->p.tau) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "--algo: %s is timed only with --tau (a cluster update has no "
                            "flip attempts to count)",
                            items[i]);
        break;
      }
      o->single_listed |= (T->flags & CEAS_KERNEL_MSC) && !(T->flags & CEAS_KERNEL_PACKED);
      int seen = 0;
      for (int k = 0; k < o->n_algos; k++) seen |= o->algos[k] == T;
      if (!seen) o->algos[o->n_algos++] = T;
    }
  } else if (!rc) {
    /* The replica-packed kernels, and with --tau also msc-single (where the size
     * allows: the L = 256) and the cluster kernels, last. msc-single is
     * left out of flips/ns runs: it takes only sizes that are multiples of 128. */
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; ceas_kernel_types[k]; k++) {
        const ceas_kernel_type *T = ceas_kernel_types[k];
        if (T->device != CEAS_DEVICE_CPU) continue;
        int want = pass ? o->p.tau && (T->flags & CEAS_KERNEL_CLUSTER)
                        : (T->flags & CEAS_KERNEL_PACKED) || (o->p.tau && (T->flags & CEAS_KERNEL_MSC));
        if (want) o->algos[o->n_algos++] = T;
      }
  }
  if (!rc && o->device == CEAS_DEVICE_GPU) rc = gpu_pairs(o);
  int msc = 0, single = 0;
  for (int k = 0; k < o->n_algos; k++) {
    msc |= (o->algos[k]->flags & CEAS_KERNEL_PACKED) != 0;
    single |= !(o->algos[k]->flags & CEAS_KERNEL_PACKED) && (o->algos[k]->flags & CEAS_KERNEL_MSC) &&
              o->single_listed;
  }
  for (int i = 0; !rc && i < o->n_L; i++) {
    for (int m = 0; !rc && m < o->n_models; m++)
      if (o->models[m] == 3 && o->L[i] > 2048)
        rc = ceas_error_set(CEAS_EINPUT, "--L: expected at most 2048 for ising3d, got %ld",
                            o->L[i]);
    if (!rc && msc && o->L[i] % 2)
      rc = ceas_error_set(CEAS_EINPUT,
                          "--L: the msc kernels need an even size (checkerboard "
                          "sublattices on the torus), got %ld",
                          o->L[i]);
    if (!rc && single && o->L[i] % 128)
      rc = ceas_error_set(CEAS_EINPUT,
                          "--L: msc-single needs a multiple of 128 (a row's L/2 sites of "
                          "one colour must fill whole 64-bit words), got %ld",
                          o->L[i]);
  }
  for (int m = 0; !rc && m < o->n_models; m++)
    for (int i = 0; !rc && i < o->n_L; i++)
      rc = ceas_kernel_bench_memory_check(o->p.tau, o->algos, o->n_algos, o->models[m], o->L[i]);
  if (!rc && strcmp(o->p.isa, "auto")) rc = ceas_kernel_bench_isa_check(o->p.isa);
  return rc;
}

int ceas_kernel_bench_options_run(ceas_kernel_bench_options *o, volatile sig_atomic_t *stop,
                                  ceas_kernel_bench_done_fn done, void *ctx) {
  int rc = CEAS_OK;
  o->p.stop = stop;
  o->n_res = 0;
  for (int m = 0; !rc && m < o->n_models; m++) {
    const int dim = o->models[m];
    static const long def2[] = {256, 1024}, def3[] = {128}, tau2[] = {256}, tau3[] = {32};
    const long *Ls = o->n_L ? o->L : dim == 2 ? (o->p.tau ? tau2 : def2) : (o->p.tau ? tau3 : def3);
    const int nL = o->n_L ? o->n_L : dim == 2 && !o->p.tau ? 2 : 1;
    const double beta = o->beta_given ? o->beta : dim == 2 ? BETA_C_2D : BETA_C_3D;
    for (int i = 0; !rc && i < nL; i++) {
      /* Not listed, msc-single runs only where it can (2D, L a multiple of 128). */
      const ceas_kernel_type *T[MAX_LIST + 1];
      int nT = 0;
      for (int k = 0; k < o->n_algos; k++)
        if ((o->algos[k]->flags & CEAS_KERNEL_PACKED) || !(o->algos[k]->flags & CEAS_KERNEL_MSC) ||
            o->single_listed || (dim == 2 && Ls[i] % 128 == 0))
          T[nT++] = o->algos[k];
      /* --device gpu: (CPU, GPU) pairs of one kernel, each its own yardstick. */
      const int group = o->device == CEAS_DEVICE_GPU ? 2 : nT;
      for (int k = 0; !rc && k < nT; k += group) {
        rc = ceas_kernel_bench_size(&o->p, T + k, group, dim, Ls[i], beta,
                                    o->res + o->n_res, done, ctx);
        o->n_res += group;
      }
    }
  }
  return rc;
}

int ceas_kernel_bench_write_json(const ceas_kernel_bench_options *o, const char *path,
                                 int force, const char *command_line) {
  const ceas_kernel_bench_params *bp = &o->p;
  char cpu[256];
  ceas_kernel_bench_cpu_model(cpu, sizeof cpu);
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "ceasim_version", ceas_version());
  cJSON_AddStringToObject(root, "command_line", command_line ? command_line : "");
  cJSON_AddStringToObject(root, "cpu", cpu);
  cJSON_AddStringToObject(root, "mode", bp->tau ? "tau" : "flips");
  cJSON_AddStringToObject(root, "timing", ceas_kernel_bench_timing_note(bp));
  if (bp->tau) cJSON_AddStringToObject(root, "definitions", ceas_kernel_bench_definitions);
  cJSON_AddNumberToObject(root, "seconds_per_kernel", bp->seconds);
  cJSON_AddNumberToObject(root, "seed", (double)bp->seed);
  cJSON *arr = cJSON_AddArrayToObject(root, "results");
  for (int i = 0; i < o->n_res; i++) {
    ceas_kernel_bench_field f[CEAS_KERNEL_BENCH_MAX_FIELDS];
    int nf = ceas_kernel_bench_fields(bp, &o->res[i], f);
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
  int rc = ceas_io_write_text(path, force, line, len + 1);
  free(line);
  return rc;
}

void ceas_kernel_bench_result_print(FILE *out, const ceas_kernel_bench_options *o,
                                    const ceas_kernel_bench_result *r) {
  const char *model =
      ceas_lattice_model_name(r->dim == 2 ? CEAS_MODEL_ISING2D : CEAS_MODEL_ISING3D);
  if (!o->p.tau && o->device == CEAS_DEVICE_GPU)
    /* Each GPU line follows its kernel's CPU line: the same counting of spin
     * updates, so the two figures compare directly. */
    fprintf(out, "%s L=%-5ld %-20s %-7s x%-8.1f %9.3f flips/ns  %.4g ns/update%s\n", model,
            r->L, r->type->name, r->isa, r->ratio, r->rate, 1 / r->rate,
            r->type->device == CEAS_DEVICE_GPU ? "  (gpu)" : "");
  else if (!o->p.tau)
    fprintf(out, "%s L=%-5ld %-20s %-7s x%-8.1f %9.3f flips/ns\n", model, r->L, r->type->name,
            r->isa, r->ratio, r->rate);
  else
    fprintf(out, "%s L=%-5ld %-20s tau=%.4g+-%.2g sweeps  n/tau=%.0f  n_eff=%.4g%s  "
                 "worth=%.3g  %s  x%.4g  %.4g indep/s\n",
            model, r->L, r->type->name, r->tau, r->tau_err, r->run_taus, r->n_eff,
            r->bins_ok ? "" : "(tau)", r->replicas_worth,
            r->converged ? "converged" : "NOT-CONVERGED", r->ratio, r->indep_per_s);
}
