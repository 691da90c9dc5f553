/* Kernel benchmarks (ceas_kernel_bench.h): flip attempts per nanosecond and, with
 * --tau, tau_int(|m|) and independent samples per second, of any kernel of the
 * table on one core. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_kernel_bench.h"
#include "ceas_measure.h"
#include "ceas_msc.h"

/* --tau: a kernel stops early once its production spans this many tau_int, enough
 * for >= 62 bins of >= 16 tau (n_eff to ~18 %); fewer than 100 tau is flagged. */
#define TAU_TARGET CEAS_KERNEL_BENCH_TAU_TARGET
#define TAU_THERM 20
#define TAU_MIN_RUN 100
#define TAU_SINGLES 16          /* single replicas recorded per replica-packed run */
#define TAU_MIN_SAMPLES (4 * CEAS_MEASURE_MIN_BINS) /* 2 * that after discarding half */
#define TAU_STR_(x) #x
#define TAU_STR(x) TAU_STR_(x)
#define TAU_SERIES_DOUBLES (UINT64_C(1) << 24) /* 128 MB of series, then thinned */

#define STOPPED(a) ((a)->stop && *(a)->stop)

static double cpu_time(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One kernel under test, on its lattice. */
typedef struct {
  ceas_lattice_system *sys;
  /* The msc kernels read only a lattice's shape (dim, L, n), never its
   * neighbour arrays, which at L = 32768 would take ~110 GB: they run on this. */
  ceas_lattice_system shape;
  ceas_kernel *k;
  double beta;
  double sites;
} runner;

static int run_sweeps(runner *r, uint64_t n) { return ceas_kernel_sweep(r->k, r->beta, n); }

/* Warm-up for a tenth of the budget (caches, page faults, clock ramp), then whole
 * sweeps until `seconds` have passed; chunks grow so the clock is read rarely. */
static int time_kernel(const ceas_kernel_bench_params *a, runner *r, double seconds, uint64_t unit, ceas_kernel_bench_result *out) {
  int rc = CEAS_OK;
  double t0 = ceas_wtime();
  do {
    rc = run_sweeps(r, unit);
  } while (!rc && !STOPPED(a) && ceas_wtime() - t0 < 0.1 * seconds);
  uint64_t chunk = unit, done = 0;
  double elapsed = 0, c0 = cpu_time();
  t0 = ceas_wtime();
  while (!rc && !STOPPED(a)) {
    double t1 = ceas_wtime();
    rc = run_sweeps(r, chunk);
    done += chunk;
    double now = ceas_wtime();
    elapsed = now - t0;
    if (elapsed >= seconds) break;
    if (now - t1 < 0.05 && now - t1 < 0.1 * seconds) chunk *= 2;
  }
  if (!rc && STOPPED(a)) rc = ceas_error_set(CEAS_EINTERRUPT, "interrupted");
  out->sweeps = done;
  out->seconds = elapsed;
  out->cpu_seconds = cpu_time() - c0;
  return rc;
}

/* Allocates the kernel's state (hot start) and fills res's identity fields. */
static int runner_setup(const ceas_kernel_bench_params *a, const ceas_kernel_type *T, int dim,
                        long L, double beta, runner *r, ceas_kernel_bench_result *res) {
  memset(res, 0, sizeof *res);
  res->dim = dim;
  res->L = L;
  res->type = T;
  res->beta = beta;
  memset(r, 0, sizeof *r);
  r->beta = beta;
  ceas_rng_key key = {a->seed, 0};
  const ceas_model_kind model = dim == 2 ? CEAS_MODEL_ISING2D : CEAS_MODEL_ISING3D;
  int rc = CEAS_OK;
  if (T->flags & CEAS_KERNEL_MSC) {
    r->shape = (ceas_lattice_system){.kind = model, .dim = dim, .L = L,
                                     .n = (int64_t)pow((double)L, dim), .uniform_ferro = 1,
                                     .all_ferro = 1};
    r->sys = &r->shape;
  } else {
    rc = ceas_lattice_hypercubic_alloc(model, L, 0.0, &r->sys);
  }
  if (!rc) rc = ceas_kernel_alloc(T, r->sys, key, CEAS_INIT_HOT, &r->k);
  if (!rc && (T->flags & CEAS_KERNEL_PACKED)) rc = ceas_kernel_configure(r->k, a->isa, a->depth);
  if (!rc) ceas_kernel_describe(r->k, &res->isa, &res->depth);
  res->replicas = T->replicas;
  r->sites = r->sys ? (double)r->sys->n : 0;
  return rc;
}

static void runner_free(runner *r) {
  ceas_kernel_free(r->k);
  if (r->sys != &r->shape) ceas_lattice_system_free(r->sys);
}

int ceas_kernel_bench_flips(const ceas_kernel_bench_params *a, const ceas_kernel_type *T,
                            int dim, long L, double beta, ceas_kernel_bench_result *res) {
  runner r;
  int rc = runner_setup(a, T, dim, L, beta, &r, res);
  /* A wavefront pass at a time; a GPU kernel has none (depth 0): a sweep. */
  if (!rc) rc = time_kernel(a, &r, a->seconds, res->depth > 0 ? (uint64_t)res->depth : 1, res);
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
static int tau_analyze(const tau_series *s, uint64_t every, ceas_kernel_bench_result *res) {
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

int ceas_kernel_bench_tau(const ceas_kernel_bench_params *a, const ceas_kernel_type *T,
                          int dim, long L, double beta, ceas_kernel_bench_result *res) {
  runner r;
  tau_series s = {0};
  double start = ceas_wtime();
  int rc = runner_setup(a, T, dim, L, beta, &r, res);
  uint64_t therm = 0, recorded = 0;
  if (!rc && (T->flags & CEAS_KERNEL_TUNED)) {
    /* Learn the clusters per sweep from the second half of 20 to 1000 tuning sweeps
     * (beyond 20, at most 5 % of the budget): the first half remembers the hot
     * start, whose small clusters would ask for far too many per sweep (at 2D
     * L = 256, 50 tuning sweeps still gave a quarter of the equilibrium size). */
    enum { TUNE_MAX = 1000 };
    int64_t tc[TUNE_MAX], tf[TUNE_MAX]; /* clusters, spins flipped per sweep */
    int k = 0;
    while (!rc && k < TUNE_MAX) {
      uint64_t before = ceas_kernel_flipped(r.k);
      tc[k] = 0;
      rc = ceas_kernel_tune_sweep(r.k, beta, &tc[k]);
      tf[k] = (int64_t)(ceas_kernel_flipped(r.k) - before);
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
    ceas_kernel_set_counters(r.k, want < 1 ? 1 : want, ceas_kernel_flipped(r.k));
    res->wolff_clusters = ceas_kernel_clusters(r.k);
  }
  const int packed = (T->flags & CEAS_KERNEL_PACKED) != 0;
  uint64_t every = a->every ? (uint64_t)a->every : packed && res->depth > 0 ? (uint64_t)res->depth : 1;
  s.singles = packed ? TAU_SINGLES : 0;
  s.cap_max = (size_t)(TAU_SERIES_DOUBLES / (uint64_t)(3 + s.singles)) & ~(size_t)1;
  double one[TAU_SINGLES];
  size_t next_check = 1024;
  if (!rc) ceas_kernel_set_counters(r.k, ceas_kernel_clusters(r.k), 0);
  /* paused: time spent deciding whether to stop, which is not the kernel's. */
  double c0 = cpu_time(), t0 = ceas_wtime(), paused = 0;
  while (!rc) {
    double avg, m2;
    rc = run_sweeps(&r, every);
    if (!rc) rc = ceas_kernel_abs_m(r.k, &avg, &m2, one, s.singles);
    if (!rc) rc = series_push(&s, avg, m2, ceas_wtime() - t0 - paused, one);
    if (rc) break;
    recorded += every;
    if (STOPPED(a)) {
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
    if (T->flags & CEAS_KERNEL_CLUSTER)
      res->flipped_per_sweep = (double)ceas_kernel_flipped(r.k) / ((double)recorded * r.sites);
  }
  series_free(&s);
  runner_free(&r);
  return rc;
}


/* "model name" from /proc/cpuinfo, for the record. */
void ceas_kernel_bench_cpu_model(char *buf, size_t cap) {
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
#define FD(n, v) f[k++] = (ceas_kernel_bench_field){(n), CEAS_KERNEL_BENCH_DOUBLE, (v), 0, NULL}
#define FI(n, v) f[k++] = (ceas_kernel_bench_field){(n), CEAS_KERNEL_BENCH_INT, 0, (int64_t)(v), NULL}
#define FS(n, v) f[k++] = (ceas_kernel_bench_field){(n), CEAS_KERNEL_BENCH_STRING, 0, 0, (v)}

int ceas_kernel_bench_fields(const ceas_kernel_bench_params *a, const ceas_kernel_bench_result *r,
                             ceas_kernel_bench_field *f) {
  int k = 0;
  FS("model", model_name(r->dim));
  FI("L", r->L);
  FS("algo", r->type->name);
  FS("isa", r->isa);
  /* Only a GPU kernel's record says where it ran: a CPU record is as it was. */
  if (r->type->device == CEAS_DEVICE_GPU) FS("device", "gpu");
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
  if (r->type->flags & CEAS_KERNEL_TUNED) FI("wolff_clusters", r->wolff_clusters);
  if (r->type->flags & CEAS_KERNEL_CLUSTER)
    FD("flipped_per_sweep", r->flipped_per_sweep);
  return k;
}

const char *ceas_kernel_bench_timing_note(const ceas_kernel_bench_params *a) {
  return a->tau ? "seconds: CLOCK_MONOTONIC (wall) over the production sweeps and "
                  "measurements, one thread; cpu_seconds: the same share of the "
                  "recording's CLOCK_THREAD_CPUTIME_ID; indep_per_s = n_eff / seconds"
                : "flips_per_ns: CLOCK_MONOTONIC (wall), one thread; "
                  "flips_per_cpu_ns: CLOCK_THREAD_CPUTIME_ID, which leaves out "
                  "the time other processes held the core";
}

const char *const ceas_kernel_bench_definitions =
    "tau_int_abs_m: Sokal-window tau_int of one chain's |m| in sweeps (replica-packed: "
    "mean over 16 single replicas); tau_int_estimator: the same of the natural "
    "estimator's series (replica average); n_eff = var_abs_m / err_abs_m^2 with "
    "err_abs_m from bins >= 16 tau_int_estimator (n_eff_method binned) or, with fewer "
    "than " TAU_STR(CEAS_MEASURE_MIN_BINS) " such bins, 2 tau var(series) / n (n_eff_method "
    "tau); replicas_worth = "
    "n_eff / (n / (2 tau_int_abs_m)); converged: >= 20 tau discarded and >= 100 tau "
    "measured";

int ceas_kernel_bench_write_h5(const ceas_kernel_bench_params *a, const char *path, int force,
                               const char *command_line, const ceas_kernel_bench_result *res,
                               int n) {
  char cpu[256];
  ceas_kernel_bench_cpu_model(cpu, sizeof cpu);
  ceas_io_file f;
  int rc = ceas_io_file_create(path, force, &f);
  if (rc) return rc;
  rc = ceas_io_attr_string(f.file, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(f.file, "command_line", command_line);
  if (!rc) rc = ceas_io_attr_string(f.file, "cpu", cpu);
  if (!rc) rc = ceas_io_attr_string(f.file, "mode", a->tau ? "tau" : "flips");
  if (!rc) rc = ceas_io_attr_string(f.file, "timing", ceas_kernel_bench_timing_note(a));
  if (!rc && a->tau) rc = ceas_io_attr_string(f.file, "definitions", ceas_kernel_bench_definitions);
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
    ceas_kernel_bench_field fl[CEAS_KERNEL_BENCH_MAX_FIELDS];
    int nf = ceas_kernel_bench_fields(a, &res[i], fl);
    for (int j = 0; !rc && j < nf; j++)
      rc = fl[j].kind == CEAS_KERNEL_BENCH_STRING ? ceas_io_attr_string(h, fl[j].name, fl[j].s)
           : fl[j].kind == CEAS_KERNEL_BENCH_INT  ? ceas_io_attr_int64(h, fl[j].name, fl[j].i)
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

int ceas_kernel_bench_size(const ceas_kernel_bench_params *p, const ceas_kernel_type *const *T,
                           int n, int dim, long L, double beta, ceas_kernel_bench_result *res,
                           ceas_kernel_bench_done_fn done, void *ctx) {
  double plain = 0, plain_cpu = 0;
  for (int k = 0; k < n; k++) {
    ceas_kernel_bench_result *r = &res[k];
    int rc = p->tau ? ceas_kernel_bench_tau(p, T[k], dim, L, beta, r)
                    : ceas_kernel_bench_flips(p, T[k], dim, L, beta, r);
    if (rc) return rc;
    if (!p->tau) {
      if (k == 0) plain = r->rate;
      r->ratio = plain > 0 ? r->rate / plain : NAN;
    } else {
      if (k == 0) {
        plain = r->indep_per_s;
        plain_cpu = r->indep_per_cpu_s;
      }
      r->ratio = plain > 0 ? r->indep_per_s / plain : NAN;
      r->ratio_cpu = plain_cpu > 0 ? r->indep_per_cpu_s / plain_cpu : NAN;
    }
    if (done) done(p, r, ctx);
  }
  return CEAS_OK;
}

int ceas_kernel_bench_memory_check(int tau, const ceas_kernel_type *const *T, int n, int dim,
                                   long L) {
  /* The plain kernel's system costs ~(8 + 8 + 12 per bond end + 1 + 8) bytes per
   * site (CSR index, J, field, spin, visiting order), an msc state R / 8 on top
   * (every kernel runs on the lattice's system). */
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  double ram = pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
  double sites = pow((double)L, dim);
  int plain = 0;
  for (int k = 0; k < n; k++) plain |= !(T[k]->flags & CEAS_KERNEL_MSC);
  double need = plain ? sites * (25.0 + 24.0 * dim) : 0;
  for (int k = 0; k < n; k++)
    if (plain && (T[k]->flags & CEAS_KERNEL_MSC)) {
      need += sites * 32.0;
      break;
    }
  /* Without a plain kernel no system is built (runner_setup): the largest msc
   * state, one at a time: R / 8 bytes a site packed, 1 / 8 and an int8 spin for
   * msc-single, twice that for a GPU kernel's host copies. */
  for (int k = 0; !plain && k < n; k++) {
    double b = (T[k]->flags & CEAS_KERNEL_PACKED) ? T[k]->replicas / 8.0 : 1.125;
    if (T[k]->device == CEAS_DEVICE_GPU) b *= 2;
    need = fmax(need, sites * b);
  }
  /* The cluster kernels' work arrays: stack, parent and size, 8 bytes each. */
  if (tau) need += 24.0 * sites;
  if (need > 0.5 * ram)
    return ceas_error_set(CEAS_EINPUT,
                          "--L: %s L=%ld needs ~%.3g GB, more than half of this "
                          "machine's %.3g GB",
                          dim == 2 ? "ising2d" : "ising3d", L, need / 1e9, ram / 1e9);
  return CEAS_OK;
}

int ceas_kernel_bench_isa_check(const char *isa) {
  /* Ask the module on a throwaway state, so the message is its own. */
  ceas_msc_state *probe = NULL;
  int rc = ceas_msc_alloc(2, 2, 64, (ceas_rng_key){0, 0}, CEAS_INIT_COLD, &probe);
  if (!rc) rc = ceas_msc_set_isa(probe, isa);
  if (rc == CEAS_EINPUT) {
    char msg[256];
    const char *m = ceas_error_message();
    snprintf(msg, sizeof msg, "%s", strncmp(m, "msc: ", 5) ? m : m + 5);
    rc = ceas_error_set(CEAS_EINPUT, "--isa: %s", msg);
  }
  ceas_msc_free(probe);
  return rc;
}
