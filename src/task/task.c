#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_mapping.h"
#include "ceas_task.h"
#include "task_private.h"

void ceas_task_params_default(ceas_task_params *p) {
  memset(p, 0, sizeof *p);
  p->model = CEAS_MODEL_ISING2D;
  p->L = 16;
  p->algo = "metropolis";
  p->beta = 0.44;
  p->seed = 1;
  p->sweeps = 10000;
  p->therm = 1000;
  p->measure_every = 1;
  p->init = CEAS_INIT_HOT;
}

/* The multi-spin-coded kernels a task can run (ceas_msc.h). */
typedef struct {
  const char *name;
  int replicas; /* packed replicas; 1 for the single-lattice kernel */
  int anti;     /* antithetic uniforms */
  int single;
} msc_algo;

static const msc_algo msc_algos[] = {
    {"msc-replica64", 64, 0, 0},       {"msc-replica256", 256, 0, 0},
    {"msc-replica64-anti", 64, 1, 0},  {"msc-replica256-anti", 256, 1, 0},
    {"msc-single", 1, 0, 1},
};

static const msc_algo *msc_find(const char *name) {
  for (size_t i = 0; name && i < sizeof msc_algos / sizeof msc_algos[0]; i++)
    if (!strcmp(name, msc_algos[i].name)) return &msc_algos[i];
  return NULL;
}

/* beta |J| above 1e6 makes no run different from beta |J| = 1e6: exp(-beta dE) of
 * any move costing even 1e-3 of the largest coupling or field is below e^-1000,
 * exactly 0 in doubles (e^-745 is the smallest), so the run is the zero-temperature
 * one under another name; and beta E, beta^2 var(E) of the analysis stay finite. */
#define CEAS_MAX_BETA_J 1e6

static int beta_scale_check(double beta, double scale) {
  if (beta * scale > CEAS_MAX_BETA_J)
    return ceas_error_set(CEAS_EINPUT,
                          "--beta: beta x max(|J_ij|, |h_i|) = %g x %g; expected at most "
                          "%g (beyond it every Boltzmann factor exp(-beta dE) of a move "
                          "costing 1e-3 of the largest coupling is exactly 0: the "
                          "zero-temperature run)",
                          beta, scale, CEAS_MAX_BETA_J);
  return CEAS_OK;
}

/* max(|J_ij|, |h_i|) of a built system (graphs: from the couplings file). */
static double coupling_scale(const ceas_lattice_system *sys) {
  double scale = 0;
  for (int64_t k = 0; k < sys->indptr[sys->n]; k++)
    if (fabs(sys->J[k]) > scale) scale = fabs(sys->J[k]);
  for (int64_t i = 0; i < sys->n; i++)
    if (fabs(sys->h[i]) > scale) scale = fabs(sys->h[i]);
  return scale;
}

int ceas_task_params_check(const ceas_task_params *p) {
  if (!isfinite(p->beta) || p->beta < 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--beta: expected a finite inverse temperature >= 0, "
                          "got %g",
                          p->beta);
  if (!isfinite(p->h))
    return ceas_error_set(CEAS_EINPUT, "--h: expected a finite field, got %g", p->h);
  if (p->measure_every < 1)
    return ceas_error_set(CEAS_EINPUT, "--measure-every: expected >= 1");
  uint64_t total;
  if (ceas_u64_add_check("--therm + --sweeps", p->therm, p->sweeps, &total))
    return CEAS_EINPUT;
  if (p->sweeps / p->measure_every < 2 * CEAS_MEASURE_MIN_BINS)
    return ceas_error_set(
        CEAS_EINPUT,
        "--sweeps: %llu sweeps measured every %llu give %llu measurements; error "
        "bars need at least %d",
        (unsigned long long)p->sweeps, (unsigned long long)p->measure_every,
        (unsigned long long)(p->sweeps / p->measure_every),
        2 * CEAS_MEASURE_MIN_BINS);
  if (p->wolff_clusters < 0)
    return ceas_error_set(CEAS_EINPUT, "--wolff-clusters: expected >= 0 (0 = tune)");
  if (p->model == CEAS_MODEL_GRAPH && !p->couplings)
    return ceas_error_set(CEAS_EINPUT,
                          "--model graph: expected --couplings FILE (edge list or "
                          "HDF5 CSR)");
  if (p->model != CEAS_MODEL_GRAPH && p->couplings)
    return ceas_error_set(CEAS_EINPUT,
                          "--couplings: only used with --model graph (got --model "
                          "%s)",
                          ceas_lattice_model_name(p->model));
  int rc = ceas_task_algo_check(p->algo, "--algo");
  if (rc) return rc;
  const msc_algo *a = msc_find(p->algo);
  /* Three series (e, m and on lattices S(k_min)) of n_meas x replicas doubles, here
   * where a single-rank and a decomposed run (ceas_decomp_params_check) both see it. */
  size_t bytes;
  const size_t f[] = {(size_t)(p->sweeps / p->measure_every), a ? (size_t)a->replicas : 1,
                      3 * sizeof(double)};
  if (p->sweeps / p->measure_every > SIZE_MAX)
    return ceas_error_set(CEAS_EINPUT, "--sweeps: %llu measurements do not fit in memory",
                          (unsigned long long)(p->sweeps / p->measure_every));
  if ((rc = ceas_size_check("--sweeps / --measure-every: the time series", &bytes, 3, f)))
    return rc;
  /* A lattice's couplings are 1: its beta bound is known before it is built. */
  if (p->model != CEAS_MODEL_GRAPH && (rc = beta_scale_check(p->beta, fmax(1.0, fabs(p->h)))))
    return rc;
  if (!a) return CEAS_OK;
  if (p->model == CEAS_MODEL_GRAPH)
    return ceas_error_set(CEAS_EINPUT, "--algo %s: only for --model ising2d or ising3d (got %s)",
                          a->name, ceas_lattice_model_name(p->model));
  if (p->h != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--h: the multi-spin-coded kernels have no field (got %g with "
                          "--algo %s; use metropolis or heatbath)",
                          p->h, a->name);
  const long lmax = p->model == CEAS_MODEL_ISING3D ? 2048 : 65536;
  if (a->single && (p->L < 128 || p->L % 128 || p->L > lmax))
    return ceas_error_set(CEAS_EINPUT,
                          "--L: --algo %s packs a row of each colour into 64-bit words "
                          "and needs L a multiple of 128 up to %ld (got %ld)",
                          a->name, lmax, p->L);
  if (!a->single && (p->L < 2 || p->L % 2 || p->L > (p->model == CEAS_MODEL_ISING3D ? 2048 : 65536)))
    return ceas_error_set(CEAS_EINPUT,
                          "--L: --algo %s needs an even L from 2 to %d (checkerboard "
                          "colours; got %ld)",
                          a->name, p->model == CEAS_MODEL_ISING3D ? 2048 : 65536, p->L);
  return CEAS_OK;
}

int ceas_task_algo_check(const char *name, const char *what) {
  if (name && (ceas_lattice_kernel_find(name) || msc_find(name))) return CEAS_OK;
  char list[512] = "";
  for (int i = 0; ceas_lattice_kernels[i]; i++) {
    if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, ceas_lattice_kernels[i]->name, sizeof list - strlen(list) - 1);
  }
  for (size_t i = 0; i < sizeof msc_algos / sizeof msc_algos[0]; i++) {
    strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, msc_algos[i].name, sizeof list - strlen(list) - 1);
  }
  return ceas_error_set(CEAS_EINPUT, "%s: unknown algorithm '%s' (expected %s)", what,
                        name ? name : "", list);
}

static int msc_create(ceas_task *t, const msc_algo *a) {
  const ceas_task_params *p = &t->p;
  ceas_rng_key key = {p->seed, p->stream};
  ceas_msc_init init = p->init == CEAS_INIT_COLD ? CEAS_MSC_COLD : CEAS_MSC_HOT;
  int rc;
  if (a->single) {
    rc = ceas_msc_single_alloc_dim(t->sys->dim, p->L, key, init, &t->mss);
    if (!rc && !(t->msc_spins = ceas_malloc((size_t)t->sys->n))) rc = CEAS_ENOMEM;
    return rc;
  }
  rc = ceas_msc_alloc(t->sys->dim, p->L, a->replicas, key, init, &t->msc);
  if (rc) return rc;
  ceas_msc_set_antithetic(t->msc, a->anti);
  t->msc_E = ceas_malloc((size_t)a->replicas * sizeof *t->msc_E);
  t->msc_M = ceas_malloc((size_t)a->replicas * sizeof *t->msc_M);
  return t->msc_E && t->msc_M ? CEAS_OK : CEAS_ENOMEM;
}

int ceas_task_create(const ceas_task_params *p, ceas_task **out) {
  *out = NULL;
  int rc = ceas_task_params_check(p);
  if (rc) return rc;
  const msc_algo *ma = msc_find(p->algo);
  ceas_task *t = ceas_calloc(1, sizeof *t);
  if (!t) return CEAS_ENOMEM;
  t->p = *p;
  t->kernel = ma ? NULL : ceas_lattice_kernel_find(p->algo);
  t->algo = ma ? ma->name : t->kernel->name;
  t->replicas = ma ? ma->replicas : 1;
  rc = p->model == CEAS_MODEL_GRAPH
           ? ceas_mapping_read_couplings(p->couplings, p->h, &t->sys)
           : ceas_lattice_hypercubic_alloc(p->model, p->L, p->h, &t->sys);
  ceas_rng_key key = {p->seed, p->stream};
  if (!rc && p->model == CEAS_MODEL_GRAPH) rc = beta_scale_check(p->beta, coupling_scale(t->sys));
  if (!rc && ma) rc = msc_create(t, ma);
  if (!rc && !ma) rc = ceas_lattice_kernel_check(t->kernel, t->sys);
  if (!rc && !ma) rc = ceas_lattice_state_alloc(t->sys, key, p->init, &t->st);
  if (!rc && t->st && p->wolff_clusters > 1024 * (long)t->sys->n)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--wolff-clusters: expected at most 1024 clusters per spin (%ld "
                        "for %ld spins; a tuned sweep flips about N spins), got %ld",
                        1024 * (long)t->sys->n, (long)t->sys->n, p->wolff_clusters);
  if (!rc) {
    t->n_meas = (size_t)(p->sweeps / p->measure_every);
    size_t len = t->n_meas * (size_t)t->replicas;
    t->e = ceas_malloc(len * sizeof *t->e);
    t->m = ceas_malloc(len * sizeof *t->m);
    if (p->model != CEAS_MODEL_GRAPH) t->f = ceas_malloc(len * sizeof *t->f);
    if (!t->e || !t->m || (p->model != CEAS_MODEL_GRAPH && !t->f)) rc = CEAS_ENOMEM;
  }
  if (rc) {
    ceas_task_free(t);
    return rc;
  }
  if (p->wolff_clusters > 0 && t->st) t->st->wolff_clusters = p->wolff_clusters;
  *out = t;
  return CEAS_OK;
}

void ceas_task_free(ceas_task *t) {
  if (!t) return;
  ceas_lattice_state_free(t->st);
  ceas_msc_free(t->msc);
  ceas_msc_single_free(t->mss);
  free(t->msc_E);
  free(t->msc_M);
  free(t->msc_spins);
  ceas_lattice_system_free(t->sys);
  free(t->e);
  free(t->m);
  free(t->f);
  free(t);
}

static int is_wolff(const ceas_task *t) { return strcmp(t->algo, "wolff") == 0; }

uint64_t ceas_task_sweeps_done(const ceas_task *t) {
  if (t->msc) return ceas_msc_sweeps_done(t->msc);
  if (t->mss) return ceas_msc_single_sweeps_done(t->mss);
  return t->st->sweep;
}

/* Sweeps per call of an msc kernel at most: the calls are where a stop request is
 * noticed, and a few dozen sweeps already give the kernel its temporal blocking. */
#define MSC_CHUNK 64

/* The msc kernels advance by whole stretches (to the end of thermalisation or to
 * the next measurement, at most MSC_CHUNK), then measure if a measurement is due. */
static int msc_step(ceas_task *t) {
  const ceas_task_params *p = &t->p;
  uint64_t k = ceas_task_sweeps_done(t);
  uint64_t n = k < p->therm ? p->therm - k
                            : p->measure_every - (k - p->therm) % p->measure_every;
  if (n > MSC_CHUNK) n = MSC_CHUNK;
  /* sweeps need not be a multiple of measure_every: the tail is swept, unmeasured. */
  if (n > p->therm + p->sweeps - k) n = p->therm + p->sweeps - k;
  int rc = t->msc ? ceas_msc_sweep(t->msc, p->beta, n)
                  : ceas_msc_single_sweep(t->mss, p->beta, n);
  if (rc) return rc;
  k += n;
  if (k <= p->therm || (k - p->therm) % p->measure_every) return CEAS_OK;
  const size_t i = (size_t)((k - p->therm) / p->measure_every - 1);
  const double N = (double)t->sys->n;
  if (t->msc) {
    const size_t R = (size_t)t->replicas;
    if ((rc = ceas_msc_measure(t->msc, t->msc_E, t->msc_M))) return rc;
    if ((rc = ceas_msc_measure_sf(t->msc, t->f + i * R))) return rc;
    for (size_t r = 0; r < R; r++) {
      t->e[i * R + r] = (double)t->msc_E[r] / N;
      t->m[i * R + r] = (double)t->msc_M[r] / N;
    }
    return CEAS_OK;
  }
  int64_t E, M;
  ceas_msc_single_measure(t->mss, &E, &M);
  ceas_msc_single_get_spins(t->mss, t->msc_spins);
  t->e[i] = (double)E / N;
  t->m[i] = (double)M / N;
  t->f[i] = ceas_lattice_structure_factor_kmin(t->sys, t->msc_spins);
  return CEAS_OK;
}

/* One sweep of the chain, number k = st->sweep, with its measurement. */
static int task_step(ceas_task *t) {
  if (!t->st) return msc_step(t);
  const ceas_task_params *p = &t->p;
  ceas_lattice_state *st = t->st;
  double n = (double)t->sys->n;
  uint64_t k = st->sweep;
  int rc;
  if (is_wolff(t) && p->wolff_clusters == 0 && k < p->therm) {
    /* Learn the cluster size from the second half of thermalisation only:
     * the first half still remembers the initial state. */
    int64_t c = 0;
    uint64_t before = st->flipped;
    rc = ceas_lattice_wolff_sweep_tune(st, p->beta, &c);
    if (2 * k >= p->therm) {
      t->tune_clusters += c;
      t->tune_flipped += st->flipped - before;
    }
    if (k + 1 == p->therm && t->tune_clusters > 0) {
      double per = (double)t->tune_flipped / (double)t->tune_clusters;
      long want = lround(n / per);
      st->wolff_clusters = want < 1 ? 1 : want;
    }
  } else {
    if (k == p->therm) st->flipped = 0;
    rc = t->kernel->sweep(st, p->beta);
  }
  if (rc) return rc;
  if (k >= p->therm && (k - p->therm + 1) % p->measure_every == 0) {
    size_t i = (size_t)((k - p->therm + 1) / p->measure_every - 1);
    t->e[i] = ceas_lattice_energy(t->sys, st->spins) / n;
    t->m[i] = ceas_lattice_magnetization(t->sys, st->spins) / n;
    if (t->f) t->f[i] = ceas_lattice_structure_factor_kmin(t->sys, st->spins);
  }
  return CEAS_OK;
}

int ceas_task_run_hooks(ceas_task *t, const ceas_task_hooks *h) {
  static const ceas_task_hooks none = {0};
  if (!h) h = &none;
  const ceas_task_params *p = &t->p;
  uint64_t total = p->therm + p->sweeps;
  double t0 = ceas_wtime(), last = t0, last_ckpt = t0;
  while (ceas_task_sweeps_done(t) < total) {
    int stop = (h->stop && *h->stop) || (h->poll && h->poll(h->poll_ctx));
    if (stop) {
      uint64_t k = ceas_task_sweeps_done(t);
      if (h->checkpoint) {
        int rc = ceas_task_checkpoint_write(t, h->checkpoint);
        if (rc) return rc;
      }
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted after %llu of %llu sweeps%s",
                            (unsigned long long)k, (unsigned long long)total,
                            h->checkpoint ? " (checkpoint written)" : "");
    }
    int rc = task_step(t);
    if (rc) return rc;
    if (h->progress || h->checkpoint) {
      double now = ceas_wtime();
      if (h->progress && now - last > 0.5) {
        h->progress((double)ceas_task_sweeps_done(t) / (double)total, now - t0,
                    h->progress_ctx);
        last = now;
      }
      if (h->checkpoint && h->checkpoint_every > 0 && now - last_ckpt >= h->checkpoint_every &&
          ceas_task_sweeps_done(t) < total) {
        if ((rc = ceas_task_checkpoint_write(t, h->checkpoint))) return rc;
        last_ckpt = ceas_wtime();
      }
    }
  }
  t->seconds += ceas_wtime() - t0;
  const ceas_lattice_state *st = t->st;
  t->mean_cluster_size =
      is_wolff(t) ? (double)st->flipped / ((double)st->wolff_clusters * (double)p->sweeps)
                  : NAN;
  ceas_task_summary s;
  ceas_task_summary_of(t, &s);
  int rc = ceas_task_analyze(&s, &t->result);
  t->analysed = rc == CEAS_OK;
  return rc;
}

void ceas_task_summary_of(const ceas_task *t, ceas_task_summary *s) {
  memset(s, 0, sizeof *s);
  s->p = &t->p;
  s->algo = t->algo;
  s->L = t->sys->L;
  s->dim = t->sys->dim;
  s->n_spins = t->sys->n;
  s->e = t->e;
  s->m = t->m;
  s->f = t->f;
  s->n_meas = t->n_meas;
  s->replicas = t->replicas;
  s->result = &t->result;
  s->wolff = is_wolff(t);
  s->wolff_clusters = t->st ? t->st->wolff_clusters : 0;
  s->mean_cluster_size = t->mean_cluster_size;
}

int ceas_task_analyze(const ceas_task_summary *s, ceas_measure_result *r) {
  ceas_measure_series ser = {s->e, s->m, s->f, s->n_meas, (double)s->n_spins, s->p->beta,
                             s->L, s->replicas > 1 ? (size_t)s->replicas : 1};
  return ceas_measure_analyze(&ser, r);
}

int ceas_task_run(ceas_task *t, volatile sig_atomic_t *stop,
                  ceas_task_progress_fn progress, void *ctx) {
  ceas_task_hooks h = {0};
  h.stop = stop;
  h.progress = progress;
  h.progress_ctx = ctx;
  return ceas_task_run_hooks(t, &h);
}

/* The single-spin kernels on lattices take their update uniforms from a bulk
 * Philox4x32-10 stream (the AVX2 and scalar paths give the same words); every
 * other kernel, and every initial configuration, draws from Philox4x64-10. */
const char *ceas_task_rng_name(ceas_model_kind model, const char *algo) {
  if (model != CEAS_MODEL_GRAPH && algo &&
      (!strcmp(algo, "metropolis") || !strcmp(algo, "heatbath") || !strcmp(algo, "msc-single")))
    return "Philox4x32-10 (Random123) for the updates: one bulk stream keyed by (seed, "
           "stream, kernel), AVX2 and scalar paths bitwise equal; Philox4x64-10 for the "
           "initial spins";
  return "Philox4x64-10 (Random123)";
}

/* The `units` and `description` of every dataset ceas_task_write_summary writes
 * (paths relative to its location). */
#define OBS_ROW(name, units, description)                                                 \
  {TASK_OBS_GROUP "/" name, units,                                                           \
   description ". The scalar is the mean over all measurements; attributes: mean, error "  \
               "(one standard deviation), and for the direct averages tau_int and "        \
               "tau_int_error, the integrated autocorrelation time in measurements (one "   \
               "measurement every {measure_every} sweep(s) of {algo})"},
static const ceas_io_doc task_docs[] = {
    {TASK_SERIES_GROUP "/" TASK_SERIES_ENERGY, "J per spin",
     "energy per spin e = E/N at each measurement, one every {measure_every} sweep(s) of "
     "{algo} after {therm} thermalisation sweeps (msc-replica* runs: a measurements x "
     "packed_replicas table)"},
    {TASK_SERIES_GROUP "/" TASK_SERIES_MAGNETIZATION, "dimensionless (per spin)",
     "magnetization per spin m = M/N at each measurement, one every {measure_every} sweep(s) "
     "of {algo} after {therm} thermalisation sweeps (msc-replica* runs: a measurements x "
     "packed_replicas table)"},
    {TASK_SERIES_GROUP "/" TASK_SERIES_F, "dimensionless",
     "structure factor F = |sum_x s_x exp(i k.x)|^2 / N at |k| = 2 pi / L, averaged over "
     "the dim directions, at each measurement (the input of xi_2nd)"},
    CEAS_MEASURE_OBS_DOCS(OBS_ROW){NULL, NULL, NULL}};
#undef OBS_ROW

static int write_params(const ceas_task_summary *s, hid_t loc, const char *cmdline) {
  const ceas_task_params *p = s->p;
  int rc = 0;
  rc = rc ? rc : ceas_io_attr_string(loc, "ceasim_version", ceas_version());
  rc = rc ? rc : ceas_io_attr_string(loc, "command_line", cmdline ? cmdline : "");
  rc = rc ? rc : ceas_io_attr_string(loc, TASK_ATTR_MODEL, ceas_lattice_model_name(p->model));
  rc = rc ? rc : ceas_io_attr_int64(loc, TASK_ATTR_L, s->L);
  rc = rc ? rc : ceas_io_attr_int64(loc, TASK_ATTR_DIM, s->dim);
  rc = rc ? rc : ceas_io_attr_int64(loc, TASK_ATTR_N_SPINS, s->n_spins);
  rc = rc ? rc : ceas_io_attr_double(loc, TASK_ATTR_BETA, p->beta);
  rc = rc ? rc : ceas_io_attr_double(loc, TASK_ATTR_H, p->h);
  rc = rc ? rc : ceas_io_attr_string(loc, TASK_ATTR_ALGO, s->algo);
  rc = rc ? rc : ceas_io_attr_uint64(loc, TASK_ATTR_SEED, p->seed);
  rc = rc ? rc : ceas_io_attr_uint64(loc, TASK_ATTR_STREAM, p->stream);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "sweeps", p->sweeps);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "therm", p->therm);
  rc = rc ? rc : ceas_io_attr_uint64(loc, TASK_ATTR_MEASURE_EVERY, p->measure_every);
  rc = rc ? rc : ceas_io_attr_string(loc, "init", p->init == CEAS_INIT_COLD ? "cold" : "hot");
  rc = rc ? rc : ceas_io_attr_string(loc, "rng", ceas_task_rng_name(p->model, s->algo));
  if (p->couplings) rc = rc ? rc : ceas_io_attr_string(loc, "couplings", p->couplings);
  if (s->replicas > 1) rc = rc ? rc : ceas_io_attr_int64(loc, TASK_ATTR_PACKED_REPLICAS, s->replicas);
  if (s->wolff) {
    rc = rc ? rc : ceas_io_attr_int64(loc, "wolff_clusters_per_sweep", s->wolff_clusters);
    rc = rc ? rc : ceas_io_attr_double(loc, "mean_cluster_size", s->mean_cluster_size);
  }
  return rc;
}

int ceas_task_write_params(const ceas_task *t, hid_t loc, const char *cmdline) {
  ceas_task_summary s;
  ceas_task_summary_of(t, &s);
  return write_params(&s, loc, cmdline);
}

int ceas_task_write(const ceas_task *t, hid_t loc, const char *command_line) {
  ceas_task_summary s;
  ceas_task_summary_of(t, &s);
  return ceas_task_write_summary(&s, loc, command_line);
}

/* One value per measurement, or a measurements x replicas table. */
static int write_series(hid_t g, const char *name, const double *x,
                        const ceas_task_summary *s) {
  if (s->replicas > 1)
    return ceas_io_write_doubles_2d(g, name, x, s->n_meas, (size_t)s->replicas);
  return ceas_io_write_doubles(g, name, x, s->n_meas);
}

int ceas_task_write_summary(const ceas_task_summary *s, hid_t loc, const char *command_line) {
  int rc = write_params(s, loc, command_line);
  if (rc) return rc;
  hid_t g;
  if ((rc = ceas_io_group(loc, TASK_SERIES_GROUP, &g))) return rc;
  rc = write_series(g, TASK_SERIES_ENERGY, s->e, s);
  if (!rc) rc = write_series(g, TASK_SERIES_MAGNETIZATION, s->m, s);
  if (!rc && s->f) rc = write_series(g, TASK_SERIES_F, s->f, s);
  H5Gclose(g);
  if (rc) return rc;
  if ((rc = ceas_io_group(loc, TASK_OBS_GROUP, &g))) return rc;
  const ceas_measure_result *r = s->result;
  rc = ceas_io_attr_int64(g, "bin_size", (int64_t)r->bin_size);
  if (!rc) rc = ceas_io_attr_int64(g, "n_bins", (int64_t)r->n_bins);
  if (!rc) rc = ceas_io_attr_int64(g, TASK_OBS_CONVERGED, r->converged);
  for (int o = 0; o < CEAS_OBS_COUNT && !rc; o++) {
    const ceas_measure_value *v = &r->obs[o];
    hid_t d;
    rc = ceas_io_write_scalar(g, ceas_measure_obs_name(o), v->mean, &d);
    if (rc) break;
    rc = ceas_io_attr_double(d, TASK_OBS_MEAN, v->mean);
    if (!rc) rc = ceas_io_attr_double(d, TASK_OBS_ERROR, v->error);
    if (!rc && !isnan(v->tau_int)) {
      rc = ceas_io_attr_double(d, TASK_OBS_TAU, v->tau_int);
      if (!rc) rc = ceas_io_attr_double(d, "tau_int_error", v->tau_int_err);
    }
    if (!rc && !v->defined)
      rc = ceas_io_attr_string(d, "note", "not defined for this model");
    H5Dclose(d);
  }
  H5Gclose(g);
  return rc ? rc : ceas_io_describe(loc, task_docs);
}
