#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_sweep.h"

void ceas_sweep_spec_init(ceas_sweep_spec *s) {
  memset(s, 0, sizeof *s);
  ceas_task_params_default(&s->base);
  s->replicas = 1;
  s->checkpoint_every = 60.0;
}

static void graphs_clear(ceas_sweep_spec *s) {
  free(s->graph);
  free(s->graph_n);
  free(s->graph_buf);
  s->graph = NULL;
  s->graph_n = NULL;
  s->graph_buf = NULL;
  s->ngraph = 0;
}

void ceas_sweep_spec_free(ceas_sweep_spec *s) {
  free(s->L);
  free(s->beta);
  free(s->dir);
  free(s->algo_buf);
  free(s->couplings_buf);
  s->L = NULL;
  s->beta = NULL;
  s->dir = NULL;
  s->algo_buf = s->couplings_buf = NULL;
  graphs_clear(s);
}

/* Splits on commas into a fresh array of tokens (stored in *buf). */
static int split_commas(const char *text, const char *what, char **buf, char ***tok,
                        size_t *n) {
  *buf = strdup(text ? text : "");
  size_t cap = 1;
  for (const char *c = text; c && *c; c++) cap += *c == ',';
  *tok = calloc(cap, sizeof **tok);
  if (!*buf || !*tok) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  *n = 0;
  char *save = NULL;
  for (char *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    while (*t == ' ') t++;
    char *e = t + strlen(t);
    while (e > t && e[-1] == ' ') *--e = '\0';
    (*tok)[(*n)++] = t;
  }
  if (*n == 0 || *n != cap)
    return ceas_error_set(CEAS_EINPUT, "%s: expected a comma-separated list, got '%s'", what,
                          text ? text : "");
  return CEAS_OK;
}

int ceas_sweep_parse_sizes(const char *text, const char *what, long **L, size_t *n) {
  char *buf = NULL, **tok = NULL;
  size_t nt = 0;
  int rc = split_commas(text, what, &buf, &tok, &nt);
  long *out = rc ? NULL : calloc(nt, sizeof *out);
  if (!rc && !out) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < nt; i++) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s (entry %zu)", what, i + 1);
    rc = ceas_parse_long(tok[i], msg, 2, 1L << 31, &out[i]);
    for (size_t j = 0; !rc && j < i; j++)
      if (out[j] == out[i])
        rc = ceas_error_set(CEAS_EINPUT, "%s: size %ld is listed twice", what, out[i]);
  }
  free(buf);
  free(tok);
  if (rc) {
    free(out);
    return rc;
  }
  *L = out;
  *n = nt;
  return CEAS_OK;
}

int ceas_sweep_parse_betas(const char *text, const char *what, double **beta, size_t *n) {
  if (!text || !*text)
    return ceas_error_set(CEAS_EINPUT, "%s: expected 'first:last:count' or a list", what);
  if (strchr(text, ':')) {
    char *buf = strdup(text), *save = NULL;
    if (!buf) return ceas_error_set(CEAS_ENOMEM, "out of memory");
    char *a = strtok_r(buf, ":", &save), *b = strtok_r(NULL, ":", &save),
         *c = strtok_r(NULL, ":", &save), *extra = strtok_r(NULL, ":", &save);
    double lo, hi;
    long cnt;
    int rc = (!a || !b || !c || extra)
                 ? ceas_error_set(CEAS_EINPUT,
                                  "%s: expected 'first:last:count' (e.g. 0.42:0.46:21), "
                                  "got '%s'",
                                  what, text)
                 : CEAS_OK;
    if (!rc) rc = ceas_parse_double(a, what, &lo);
    if (!rc) rc = ceas_parse_double(b, what, &hi);
    if (!rc) rc = ceas_parse_long(c, what, 1, 1000000, &cnt);
    if (!rc && (lo < 0 || hi < 0))
      rc = ceas_error_set(CEAS_EINPUT, "%s: inverse temperatures must be >= 0, got '%s'",
                          what, text);
    if (!rc && cnt > 1 && !(hi > lo))
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: the range %s is empty or reversed (expected first < last)",
                          what, text);
    if (!rc && cnt == 1 && hi != lo)
      rc = ceas_error_set(CEAS_EINPUT, "%s: a count of 1 needs first == last, got '%s'",
                          what, text);
    free(buf);
    if (rc) return rc;
    double *out = calloc((size_t)cnt, sizeof *out);
    if (!out) return ceas_error_set(CEAS_ENOMEM, "out of memory");
    for (long i = 0; i < cnt; i++)
      out[i] = cnt == 1 ? lo : lo + (hi - lo) * (double)i / (double)(cnt - 1);
    *beta = out;
    *n = (size_t)cnt;
    return CEAS_OK;
  }
  char *buf = NULL, **tok = NULL;
  size_t nt = 0;
  int rc = split_commas(text, what, &buf, &tok, &nt);
  double *out = rc ? NULL : calloc(nt, sizeof *out);
  if (!rc && !out) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < nt; i++) {
    rc = ceas_parse_double(tok[i], what, &out[i]);
    if (!rc && out[i] < 0)
      rc = ceas_error_set(CEAS_EINPUT, "%s: inverse temperatures must be >= 0, got %s", what,
                          tok[i]);
  }
  free(buf);
  free(tok);
  if (rc) {
    free(out);
    return rc;
  }
  *beta = out;
  *n = nt;
  return CEAS_OK;
}

/* Returns the length the name needs (snprintf's count): >= cap means cut short. */
static int task_name(const ceas_sweep_spec *s, long L, double beta, long r, char *buf,
                     size_t cap) {
  if (s->base.model == CEAS_MODEL_GRAPH)
    return snprintf(buf, cap, "graph_n%06ld_beta%.8f_r%03ld", L, beta, r);
  return snprintf(buf, cap, "L%04ld_beta%.8f_r%03ld", L, beta, r);
}

/* Reads each coupling file of a graph sweep once: its n is the task's size. */
static int resolve_graphs(ceas_sweep_spec *s) {
  graphs_clear(s);
  if (!s->base.couplings || !*s->base.couplings)
    return ceas_error_set(CEAS_EINPUT, "--couplings: expected a coupling file (or a "
                                       "comma-separated list, one system per size)");
  size_t n = 0;
  int rc = split_commas(s->base.couplings, "--couplings", &s->graph_buf, &s->graph, &n);
  if (!rc) {
    s->graph_n = calloc(n, sizeof *s->graph_n);
    if (!s->graph_n) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  for (size_t i = 0; !rc && i < n; i++) {
    if (!*s->graph[i]) {
      rc = ceas_error_set(CEAS_EINPUT, "--couplings: entry %zu of '%s' is empty", i + 1,
                          s->base.couplings);
      break;
    }
    ceas_task_params p = s->base;
    p.couplings = s->graph[i];
    for (size_t b = 0; b < s->nbeta; b++) /* the largest: beta |J| is bounded */
      if (b == 0 || s->beta[b] > p.beta) p.beta = s->beta[b];
    ceas_task *t = NULL;
    rc = ceas_task_create(&p, &t);
    if (!rc) s->graph_n[i] = (long)t->sys->n;
    ceas_task_free(t);
    for (size_t j = 0; !rc && j < i; j++)
      if (s->graph_n[j] == s->graph_n[i])
        rc = ceas_error_set(CEAS_EINPUT,
                            "--couplings: %s and %s both have n = %ld spins (a graph sweep "
                            "takes one system per size; sweep other systems of the same n "
                            "into another --out)",
                            s->graph[j], s->graph[i], s->graph_n[i]);
  }
  if (!rc) s->ngraph = n;
  return rc;
}

int ceas_sweep_check(ceas_sweep_spec *s) {
  if (!s->dir || !*s->dir)
    return ceas_error_set(CEAS_EINPUT, "--out: expected the sweep directory");
  if (s->base.model == CEAS_MODEL_GRAPH) {
    if (s->nL)
      return ceas_error_set(CEAS_EINPUT, "--L: not used with --model graph (the sizes are "
                                         "the n of the --couplings files)");
  } else if (!s->nL) {
    return ceas_error_set(CEAS_EINPUT, "--L: expected the sizes, e.g. --L 16,32,64");
  }
  if (!s->nbeta)
    return ceas_error_set(CEAS_EINPUT, "--beta: expected 'first:last:count' or a list");
  if (s->replicas < 1 || s->replicas > 100000)
    return ceas_error_set(CEAS_EINPUT, "--replicas: expected 1 to 100000, got %ld",
                          s->replicas);
  if (!(s->checkpoint_every > 0))
    return ceas_error_set(CEAS_EINPUT, "--checkpoint-every: expected seconds > 0");
  int graph = s->base.model == CEAS_MODEL_GRAPH;
  size_t nsize = graph ? 1 : s->nL;
  if (graph && s->base.couplings)
    for (const char *c = s->base.couplings; *c; c++) nsize += *c == ',';
  if ((double)nsize * (double)s->nbeta * (double)s->replicas > 1e7)
    return ceas_error_set(CEAS_EINPUT,
                          "--beta/--L/--replicas: %zu x %zu x %ld tasks is more than the 10^7 "
                          "a sweep directory holds",
                          nsize, s->nbeta, s->replicas);
  /* Names carry beta to 8 decimals: two betas that print alike would share files. */
  for (size_t i = 0; i < s->nbeta; i++)
    for (size_t j = 0; j < i; j++) {
      char a[64], b[64];
      task_name(s, 0, s->beta[i], 0, a, sizeof a);
      task_name(s, 0, s->beta[j], 0, b, sizeof b);
      if (!strcmp(a, b))
        return ceas_error_set(CEAS_EINPUT,
                              "--beta: %.10g and %.10g coincide to 8 decimals (each beta "
                              "needs its own task)",
                              s->beta[j], s->beta[i]);
    }
  /* Each task's own parameters get the engine's checks (one probe per size, at
   * the largest beta: beta |J| is bounded). */
  double bmax = 0;
  for (size_t i = 0; i < s->nbeta; i++)
    if (s->beta[i] > bmax) bmax = s->beta[i];
  int rc = graph ? resolve_graphs(s) : CEAS_OK;
  for (size_t i = 0; !graph && !rc && i < nsize; i++) {
    ceas_task_params p = s->base;
    if (s->nL) p.L = s->L[i];
    p.beta = bmax;
    ceas_task *t = NULL;
    rc = ceas_task_create(&p, &t);
    ceas_task_free(t);
  }
  /* A name cut short by its buffer would carry another beta (1e100 was stored as
   * 1e62): every name must fit whole; the largest size, beta and replica number
   * make the longest. */
  long Lmax = 0;
  for (size_t i = 0; i < (graph ? s->ngraph : s->nL); i++)
    if ((graph ? s->graph_n[i] : s->L[i]) > Lmax) Lmax = graph ? s->graph_n[i] : s->L[i];
  char name[sizeof((ceas_sweep_task *)0)->name];
  if (!rc && task_name(s, Lmax, bmax, s->replicas - 1, name, sizeof name) >= (int)sizeof name)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--beta: %g is too large for a task name (expected at most %zu "
                        "characters for the size, beta to 8 decimals and the replica)",
                        bmax, sizeof name - 1);
  return rc;
}

/* splitmix64 finaliser: a well-mixed 64-bit hash of the task identity. */
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static uint64_t task_stream(long L, double beta, long replica) {
  uint64_t bits;
  memcpy(&bits, &beta, sizeof bits);
  return mix64(mix64(mix64((uint64_t)L) ^ bits) ^ (uint64_t)replica);
}

/* A task's beta is the value its name shows (8 decimals): 0.40:0.46:16 computes
 * 0.43600000000000005 where 0.40:0.46:6 and the list 0.436 give 0.436, and the
 * same task must have the same beta, stream and file however the grid was written. */
static double canonical_beta(double beta) {
  char buf[DBL_MAX_10_EXP + 16]; /* "%.8f" of any finite double, whole */
  snprintf(buf, sizeof buf, "%.8f", beta);
  return strtod(buf, NULL);
}

static int cmp_cost(const void *a, const void *b) {
  const ceas_sweep_task *x = a, *y = b;
  if (x->cost != y->cost) return x->cost < y->cost ? 1 : -1;
  return strcmp(x->name, y->name);
}

int ceas_sweep_tasks(const ceas_sweep_spec *s, ceas_sweep_task **tasks, size_t *n) {
  int graph = s->base.model == CEAS_MODEL_GRAPH;
  if (graph && !s->ngraph)
    return ceas_error_set(CEAS_EINTERNAL, "ceas_sweep_tasks: graph files not resolved "
                                          "(call ceas_sweep_check first)");
  size_t nsize = graph ? s->ngraph : s->nL;
  size_t total = nsize * s->nbeta * (size_t)s->replicas;
  ceas_sweep_task *t = calloc(total ? total : 1, sizeof *t);
  if (!t) return ceas_error_set(CEAS_ENOMEM, "out of memory for %zu tasks", total);
  size_t k = 0;
  double per_spin = (double)(s->base.therm + s->base.sweeps);
  for (size_t i = 0; i < nsize; i++) {
    long L = graph ? s->graph_n[i] : s->L[i];
    /* Work per sweep: a graph's couplings are typically dense (mapped heads). */
    double nspins = (double)L * (graph ? (double)L : 1.0);
    if (s->base.model == CEAS_MODEL_ISING2D) nspins = (double)L * L;
    if (s->base.model == CEAS_MODEL_ISING3D) nspins = (double)L * L * L;
    for (size_t b = 0; b < s->nbeta; b++)
      for (long r = 0; r < s->replicas; r++, k++) {
        t[k].L = L;
        t[k].couplings = graph ? s->graph[i] : NULL;
        t[k].beta = canonical_beta(s->beta[b]);
        t[k].replica = r;
        t[k].stream = task_stream(L, t[k].beta, r);
        t[k].cost = nspins * per_spin;
        task_name(s, L, s->beta[b], r, t[k].name, sizeof t[k].name);
      }
  }
  qsort(t, total, sizeof *t, cmp_cost);
  *tasks = t;
  *n = total;
  return CEAS_OK;
}

static int mkdir_p(const char *path) {
  char buf[4096];
  if (strlen(path) >= sizeof buf) return ceas_error_set(CEAS_EINPUT, "%s: path too long", path);
  strcpy(buf, path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return ceas_error_set(CEAS_EINPUT, "--out %s: cannot create '%s': %s", path, buf,
                            strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST)
    return ceas_error_set(CEAS_EINPUT, "--out %s: cannot create it: %s", path, strerror(errno));
  struct stat st;
  if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "--out %s: exists and is not a directory", path);
  if (access(buf, W_OK | X_OK) != 0)
    return ceas_error_set(CEAS_EINPUT, "--out %s: directory is not writable", path);
  return CEAS_OK;
}

static void path_join(char *buf, size_t cap, const char *a, const char *b, const char *c) {
  snprintf(buf, cap, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
}

/* Removes the .h5 files of a subdirectory: all of them for a forced restart, or
 * only the temporaries (".name.tmp.pid") that a killed writer left behind. */
static void clear_dir(const char *dir, const char *sub, int only_temporaries) {
  char path[4096];
  path_join(path, sizeof path, dir, sub, NULL);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    int temporary = e->d_name[0] == '.' && strstr(e->d_name, ".h5.tmp.") != NULL;
    if (temporary || (!only_temporaries && len > 3 && !strcmp(e->d_name + len - 3, ".h5"))) {
      char f[4096 + 256];
      snprintf(f, sizeof f, "%s/%s", path, e->d_name);
      unlink(f);
    }
  }
  closedir(d);
}

/* The parameters that fix every task's chain; a directory that disagrees on any
 * of them holds different physics. */
static int compare_existing(const ceas_sweep_spec *s, const char *path) {
  hid_t f;
  if (ceas_io_open_read(path, &f)) {
    char why[512];
    snprintf(why, sizeof why, "%s", ceas_error_message());
    return ceas_error_set(CEAS_EINPUT, "%s (use --force to start the sweep afresh)", why);
  }
  const ceas_task_params *p = &s->base;
  char str[4096];
  double d;
  uint64_t u;
  int64_t i64;
  int rc;
  const char *what = NULL;
  char have[128] = "", want[128] = "";
#define CMP_STR(name, value)                                                   \
  if (!what) {                                                                 \
    if ((rc = ceas_io_read_attr_string(f, path, name, str, sizeof str))) goto out; \
    if (strcmp(str, value)) {                                                   \
      what = name;                                                             \
      snprintf(have, sizeof have, "%.120s", str);                                  \
      snprintf(want, sizeof want, "%.120s", value);                                \
    }                                                                          \
  }
#define CMP_NUM(name, reader, var, value, fmt, cast)                           \
  if (!what) {                                                                 \
    if ((rc = reader(f, path, name, &var))) goto out;                          \
    if (var != (value)) {                                                      \
      what = name;                                                             \
      snprintf(have, sizeof have, fmt, (cast)var);                             \
      snprintf(want, sizeof want, fmt, (cast)(value));                         \
    }                                                                          \
  }
  CMP_STR("model", ceas_lattice_model_name(p->model));
  if (!what && p->model == CEAS_MODEL_GRAPH) {
    /* Sizes may be added to a graph sweep as to a lattice sweep, but every file it
     * already holds tasks of must stay in the list. */
    if ((rc = ceas_io_read_attr_string(f, path, "couplings", str, sizeof str))) goto out;
    char *save = NULL;
    for (char *e = strtok_r(str, ",", &save); e && !what; e = strtok_r(NULL, ",", &save)) {
      while (*e == ' ') e++;
      char *end = e + strlen(e);
      while (end > e && end[-1] == ' ') *--end = '\0';
      int found = 0;
      for (size_t i = 0; i < s->ngraph && !found; i++) found = !strcmp(s->graph[i], e);
      if (!found) {
        what = "couplings";
        snprintf(have, sizeof have, "%.120s", e);
        snprintf(want, sizeof want, "a list without it");
      }
    }
  } else {
    CMP_STR("couplings", p->couplings ? p->couplings : "");
  }
  CMP_STR("algo", p->algo);
  CMP_NUM("seed", ceas_io_read_attr_uint64, u, p->seed, "%llu", unsigned long long);
  CMP_NUM("sweeps", ceas_io_read_attr_uint64, u, p->sweeps, "%llu", unsigned long long);
  CMP_NUM("therm", ceas_io_read_attr_uint64, u, p->therm, "%llu", unsigned long long);
  CMP_NUM("measure_every", ceas_io_read_attr_uint64, u, p->measure_every, "%llu",
          unsigned long long);
  CMP_NUM("h", ceas_io_read_attr_double, d, p->h, "%.15g", double);
  CMP_STR("init", p->init == CEAS_INIT_COLD ? "cold" : "hot");
  CMP_NUM("wolff_clusters", ceas_io_read_attr_int64, i64, p->wolff_clusters, "%lld",
          long long);
#undef CMP_STR
#undef CMP_NUM
  rc = what ? ceas_error_set(CEAS_EINPUT,
                             "%s: the existing sweep has %s = %s, this one %s (use --force "
                             "to start it afresh, or another --out)",
                             s->dir, what, have, want)
            : CEAS_OK;
out:
  H5Fclose(f);
  return rc;
}

static const ceas_io_doc sweep_docs[] = {
    {"L", "lattice spacings (graphs: spins)",
     "the sizes of the grid: linear size L of the lattices, or the spin count n of each "
     "couplings file"},
    {"beta", "1/J", "the inverse temperatures of the grid (k_B = 1)"},
    {NULL, NULL, NULL}};

static int write_sweep_file(const ceas_sweep_spec *s, const char *path,
                            const char *command_line) {
  ceas_io_file f;
  int rc = ceas_io_file_create(path, 1, &f);
  if (rc) return rc;
  const ceas_task_params *p = &s->base;
  hid_t l = f.file;
  rc = ceas_io_attr_string(l, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(l, "command_line", command_line ? command_line : "");
  if (!rc) rc = ceas_io_attr_string(l, "model", ceas_lattice_model_name(p->model));
  if (!rc) rc = ceas_io_attr_string(l, "couplings", p->couplings ? p->couplings : "");
  if (!rc) rc = ceas_io_attr_string(l, "algo", p->algo);
  if (!rc) rc = ceas_io_attr_string(l, "rng", ceas_task_rng_name(p->model, p->algo));
  if (!rc) rc = ceas_io_attr_uint64(l, "seed", p->seed);
  if (!rc) rc = ceas_io_attr_uint64(l, "sweeps", p->sweeps);
  if (!rc) rc = ceas_io_attr_uint64(l, "therm", p->therm);
  if (!rc) rc = ceas_io_attr_uint64(l, "measure_every", p->measure_every);
  if (!rc) rc = ceas_io_attr_double(l, "h", p->h);
  if (!rc) rc = ceas_io_attr_string(l, "init", p->init == CEAS_INIT_COLD ? "cold" : "hot");
  if (!rc) rc = ceas_io_attr_int64(l, "wolff_clusters", p->wolff_clusters);
  if (!rc) rc = ceas_io_attr_int64(l, "replicas", s->replicas);
  if (!rc) rc = ceas_io_attr_double(l, "checkpoint_every", s->checkpoint_every);
  if (!rc) {
    int graph = p->model == CEAS_MODEL_GRAPH;
    size_t nsize = graph ? s->ngraph : s->nL;
    double *Ld = calloc(nsize ? nsize : 1, sizeof *Ld);
    if (!Ld) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nsize; i++) Ld[i] = (double)(graph ? s->graph_n[i] : s->L[i]);
    if (!rc) rc = ceas_io_write_doubles(l, "L", Ld, nsize);
    free(Ld);
  }
  if (!rc) rc = ceas_io_write_doubles(l, "beta", s->beta, s->nbeta);
  if (!rc) rc = ceas_io_describe(l, sweep_docs);
  if (rc) {
    ceas_io_file_abort(&f);
    return rc;
  }
  return ceas_io_file_commit(&f);
}

static int prepare_locked(const ceas_sweep_spec *s, const char *command_line) {
  int rc;
  char path[4096];
  path_join(path, sizeof path, s->dir, "sweep.h5", NULL);
  struct stat st;
  if (stat(path, &st) == 0) {
    if (s->force) {
      clear_dir(s->dir, "tasks", 0);
      clear_dir(s->dir, "checkpoints", 0);
    } else if ((rc = compare_existing(s, path))) {
      return rc;
    }
    clear_dir(s->dir, "tasks", 1);
    clear_dir(s->dir, "checkpoints", 1);
    clear_dir(s->dir, ".", 1);
  } else if (!s->force) {
    /* A directory with other content is not ours to fill. */
    DIR *d = opendir(s->dir);
    struct dirent *e;
    int foreign = 0;
    while (d && (e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "tasks") &&
          strcmp(e->d_name, "checkpoints") && strcmp(e->d_name, ".lock") &&
          !(e->d_name[0] == '.' && strstr(e->d_name, ".tmp."))) /* a killed first write */
        foreign = 1;
    if (d) closedir(d);
    if (foreign)
      return ceas_error_set(CEAS_EINPUT,
                            "--out %s: directory is not empty and holds no sweep.h5 (use "
                            "an empty or new directory, or --force)",
                            s->dir);
  }
  char sub[4096];
  path_join(sub, sizeof sub, s->dir, "tasks", NULL);
  if ((rc = mkdir_p(sub))) return rc;
  path_join(sub, sizeof sub, s->dir, "checkpoints", NULL);
  if ((rc = mkdir_p(sub))) return rc;
  return write_sweep_file(s, path, command_line);
}

int ceas_sweep_prepare(const ceas_sweep_spec *s, const char *command_line,
                       ceas_sweep_lock *lock) {
  lock->fd = -1;
  int rc = mkdir_p(s->dir);
  if (!rc) rc = ceas_sweep_lock_take(s->dir, lock);
  if (!rc && (rc = prepare_locked(s, command_line))) ceas_sweep_lock_release(lock);
  return rc;
}

static void task_paths(const ceas_sweep_spec *s, const ceas_sweep_task *t, char *file,
                       char *ckpt, size_t cap) {
  char name[80];
  snprintf(name, sizeof name, "%s.h5", t->name);
  path_join(file, cap, s->dir, "tasks", name);
  path_join(ckpt, cap, s->dir, "checkpoints", name);
}

/* A task file or checkpoint that fails its checksum (ceas_io_verify) or HDF5's open
 * (truncated without a checksum: an earlier build's) is set aside
 * as NAME.bad, kept for inspection, with a warning naming it; the task then runs
 * from scratch, bitwise the run that was never damaged. */
static void set_aside(const char *path, const char *what) {
  char bad[4096 + 8];
  snprintf(bad, sizeof bad, "%s.bad", path);
  int moved = rename(path, bad) == 0;
  fprintf(stderr, "ceasim: warning: %s; %s %s%s, the task runs again from the start\n",
          ceas_error_message(), what, moved ? "set aside as " : "not movable: ",
          moved ? bad : strerror(errno));
  ceas_error_clear();
}

int ceas_sweep_task_done(const ceas_sweep_spec *s, const ceas_sweep_task *t) {
  char file[4096], ckpt[4096];
  task_paths(s, t, file, ckpt, sizeof file);
  if (access(file, F_OK) != 0) return 0;
  hid_t f; /* a truncated file of an earlier build (no checksum) fails HDF5's open */
  if (ceas_io_open_read(file, &f) == CEAS_OK) {
    H5Fclose(f);
    return 1;
  }
  set_aside(file, "task file");
  return 0;
}

static int write_task_file(const ceas_task *task, const ceas_sweep_task *t, const char *path,
                           int force, const char *command_line) {
  ceas_io_file f;
  int rc = ceas_io_file_create(path, force, &f);
  if (rc) return rc;
  rc = ceas_task_write(task, f.file, command_line);
  if (!rc) rc = ceas_task_file_write_replica(f.file, t->replica);
  if (!rc) rc = ceas_io_attr_string(f.file, "task", t->name);
  if (rc) {
    ceas_io_file_abort(&f);
    return rc;
  }
  return ceas_io_file_commit(&f);
}

static int files_equal(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int equal = fa && fb;
  while (equal) {
    char x[16384], y[16384];
    size_t na = fread(x, 1, sizeof x, fa), nb = fread(y, 1, sizeof y, fb);
    equal = na == nb && !memcmp(x, y, na) && !ferror(fa) && !ferror(fb);
    if (na < sizeof x) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return equal;
}

/* The task file appeared while the task ran: a rank of a killed run that outlived
 * its launcher (on another node) finished the same task. Written from the same
 * command, it is bitwise what this run would write (the chain and the file are
 * deterministic), and the task is done; anything else is not ours to replace. */
static int same_as_appeared(const ceas_task *task, const ceas_sweep_task *t,
                            const char *file, const char *command_line, int rc_first) {
  char why[1024], mine[4096 + 64];
  snprintf(why, sizeof why, "%s", ceas_error_message());
  /* A dot name with ".h5.tmp." in it: a rerun removes it if we are killed here. */
  const char *slash = strrchr(file, '/');
  snprintf(mine, sizeof mine, "%.*s/.%s.tmp.%ld.appeared", (int)(slash - file), file,
           slash + 1, (long)getpid());
  int rc = write_task_file(task, t, mine, 1, command_line);
  int equal = !rc && files_equal(mine, file);
  unlink(mine);
  if (equal) {
    ceas_error_clear();
    return CEAS_OK;
  }
  if (rc) return ceas_error_set(rc_first, "%s", why); /* not even compared: the first error */
  return ceas_error_set(CEAS_EIO,
                        "%s: appeared while the task ran and differs from its result (another "
                        "process wrote it; move it away and run the sweep again)",
                        file);
}

int ceas_sweep_run_task(const ceas_sweep_spec *s, const ceas_sweep_task *t,
                        const ceas_task_hooks *hooks, const char *command_line,
                        uint64_t *sweeps_done) {
  char file[4096], ckpt[4096];
  task_paths(s, t, file, ckpt, sizeof file);
  *sweeps_done = 0;
  ceas_task_params p = s->base;
  if (t->couplings) {
    p.couplings = t->couplings;
  } else {
    p.L = t->L;
  }
  p.beta = t->beta;
  p.stream = t->stream;
  ceas_task *task = NULL;
  int rc = ceas_task_create(&p, &task);
  if (rc) return rc;
  if (access(ckpt, F_OK) == 0 && (rc = ceas_task_checkpoint_load(task, ckpt))) {
    ceas_task_free(task);
    if (rc != CEAS_EINPUT) return rc;
    set_aside(ckpt, "checkpoint"); /* damaged or truncated: it must not block the sweep */
    if ((rc = ceas_task_create(&p, &task))) return rc;
  }
  uint64_t start = ceas_task_sweeps_done(task);
  ceas_task_hooks h = hooks ? *hooks : (ceas_task_hooks){0};
  h.checkpoint = ckpt;
  h.checkpoint_every = s->checkpoint_every;
  rc = ceas_task_run_hooks(task, &h);
  *sweeps_done = ceas_task_sweeps_done(task) - start;
  if (!rc) {
    rc = write_task_file(task, t, file, s->force, command_line);
    /* Our own writes never leave the file behind on failure: someone else wrote it. */
    if (rc && !s->force && access(file, F_OK) == 0)
      rc = same_as_appeared(task, t, file, command_line, rc);
    if (!rc) unlink(ckpt);
  }
  ceas_task_free(task);
  return rc;
}
