#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_kernel.h"
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
  p->device = CEAS_DEVICE_CPU;
  p->gpu = -1;
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

/* The kernel entry of p->algo on p->device (the name is known to be a CPU
 * kernel's), or CEAS_EINPUT saying why the GPU cannot run it. */
static int task_kernel_type(const ceas_task_params *p, const ceas_kernel_type **T) {
  *T = ceas_kernel_find_on(p->algo, p->device);
  if (p->device != CEAS_DEVICE_GPU) return CEAS_OK;
  if (p->model == CEAS_MODEL_GRAPH)
    return ceas_error_set(CEAS_EINPUT,
                          "--device gpu: the GPU kernels run on --model ising2d or ising3d, "
                          "not on a graph");
  /* Without CUDA the build's message says how to get one. */
  if (!ceas_gpu_built()) return ceas_gpu_require("--device gpu");
  if (!*T)
    return ceas_error_set(CEAS_EINPUT,
                          "--device gpu: --algo %s has no GPU kernel (the GPU runs msc-single, "
                          "msc-replica64, msc-replica256 and their -anti, in 2D and 3D)",
                          p->algo);
  return CEAS_OK;
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
  int rc = ceas_kernel_name_check(p->algo, "--algo");
  if (rc) return rc;
  const ceas_kernel_type *T;
  if ((rc = task_kernel_type(p, &T))) return rc;
  /* Three series (e, m and on lattices S(k_min)) of n_meas x replicas doubles, here
   * where a single-rank and a decomposed run (ceas_decomp_params_check) both see it. */
  size_t bytes;
  const size_t f[] = {(size_t)(p->sweeps / p->measure_every), (size_t)T->replicas,
                      3 * sizeof(double)};
  if (p->sweeps / p->measure_every > SIZE_MAX)
    return ceas_error_set(CEAS_EINPUT, "--sweeps: %llu measurements do not fit in memory",
                          (unsigned long long)(p->sweeps / p->measure_every));
  if ((rc = ceas_size_check("--sweeps / --measure-every: the time series", &bytes, 3, f)))
    return rc;
  /* A lattice's couplings are 1: its beta bound is known before it is built. */
  if (p->model != CEAS_MODEL_GRAPH && (rc = beta_scale_check(p->beta, fmax(1.0, fabs(p->h)))))
    return rc;
  if ((rc = ceas_kernel_params_check(T, p->model, p->L, p->h))) return rc;
  return p->device == CEAS_DEVICE_GPU ? ceas_gpu_require("--device gpu") : CEAS_OK;
}

int ceas_task_algo_check(const char *name, const char *what) {
  return ceas_kernel_name_check(name, what);
}

int ceas_task_create(const ceas_task_params *p, ceas_task **out) {
  *out = NULL;
  int rc = ceas_task_params_check(p);
  if (rc) return rc;
  ceas_task *t = ceas_calloc(1, sizeof *t);
  if (!t) return CEAS_ENOMEM;
  t->p = *p;
  t->type = ceas_kernel_find_on(p->algo, p->device);
  if (p->device == CEAS_DEVICE_GPU) {
    if (p->gpu >= 0 && (rc = ceas_gpu_select(p->gpu, 0, NULL))) {
      free(t);
      return rc;
    }
    ceas_gpu_name(t->device_name, sizeof t->device_name);
  }
  t->algo = t->type->name;
  t->replicas = t->type->replicas;
  rc = p->model == CEAS_MODEL_GRAPH
           ? ceas_mapping_read_couplings(p->couplings, p->h, &t->sys)
           : ceas_lattice_hypercubic_alloc(p->model, p->L, p->h, &t->sys);
  ceas_rng_key key = {p->seed, p->stream};
  if (!rc && p->model == CEAS_MODEL_GRAPH) rc = beta_scale_check(p->beta, coupling_scale(t->sys));
  if (!rc) rc = ceas_kernel_alloc(t->type, t->sys, key, p->init, &t->kernel);
  if (!rc && !(t->type->flags & CEAS_KERNEL_MSC) && p->wolff_clusters > 1024 * (long)t->sys->n)
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
  if (p->wolff_clusters > 0)
    ceas_kernel_set_counters(t->kernel, p->wolff_clusters, ceas_kernel_flipped(t->kernel));
  *out = t;
  return CEAS_OK;
}

void ceas_task_free(ceas_task *t) {
  if (!t) return;
  ceas_kernel_free(t->kernel);
  ceas_lattice_system_free(t->sys);
  free(t->e);
  free(t->m);
  free(t->f);
  free(t);
}

static int is_wolff(const ceas_task *t) { return (t->type->flags & CEAS_KERNEL_TUNED) != 0; }

uint64_t ceas_task_sweeps_done(const ceas_task *t) { return ceas_kernel_sweeps_done(t->kernel); }

/* Wolff with wolff_clusters = 0: one tuning sweep, number k < therm. The tuned
 * count is learnt from the second half of thermalisation only: the first half
 * still remembers the initial state. */
static int tune_step(ceas_task *t, uint64_t k) {
  const ceas_task_params *p = &t->p;
  int64_t c = 0;
  uint64_t before = ceas_kernel_flipped(t->kernel);
  int rc = ceas_kernel_tune_sweep(t->kernel, p->beta, &c);
  if (2 * k >= p->therm) {
    t->tune_clusters += c;
    t->tune_flipped += ceas_kernel_flipped(t->kernel) - before;
  }
  if (k + 1 == p->therm && t->tune_clusters > 0) {
    double per = (double)t->tune_flipped / (double)t->tune_clusters;
    long want = lround((double)t->sys->n / per);
    ceas_kernel_set_counters(t->kernel, want < 1 ? 1 : want, ceas_kernel_flipped(t->kernel));
  }
  return rc;
}

/* One stretch of the chain: to the end of thermalisation or to the next
 * measurement, at most the kernel's chunk of sweeps, then the measurement if one
 * is due. */
int ceas_task_step(ceas_task *t) {
  const ceas_task_params *p = &t->p;
  uint64_t k = ceas_task_sweeps_done(t);
  int rc;
  if (is_wolff(t) && p->wolff_clusters == 0 && k < p->therm) return tune_step(t, k);
  uint64_t n = k < p->therm ? p->therm - k
                            : p->measure_every - (k - p->therm) % p->measure_every;
  if (n > t->type->chunk) n = t->type->chunk;
  /* sweeps need not be a multiple of measure_every: the tail is swept, unmeasured. */
  if (n > p->therm + p->sweeps - k) n = p->therm + p->sweeps - k;
  /* Cluster sizes are counted over the measured sweeps only. */
  if (k == p->therm) ceas_kernel_set_counters(t->kernel, ceas_kernel_clusters(t->kernel), 0);
  if ((rc = ceas_kernel_sweep(t->kernel, p->beta, n))) return rc;
  k += n;
  if (k <= p->therm || (k - p->therm) % p->measure_every) return CEAS_OK;
  const size_t R = (size_t)t->replicas, i = (size_t)((k - p->therm) / p->measure_every - 1);
  return ceas_kernel_measure(t->kernel, t->e + i * R, t->m + i * R, t->f ? t->f + i * R : NULL);
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
  s->wolff_clusters = is_wolff(t) ? ceas_kernel_clusters(t->kernel) : 0;
  s->mean_cluster_size = t->mean_cluster_size;
  s->device = t->type->device == CEAS_DEVICE_GPU ? t->device_name : NULL;
}

int ceas_task_analyze(const ceas_task_summary *s, ceas_measure_result *r) {
  ceas_measure_series ser = {s->e, s->m, s->f, s->n_meas, (double)s->n_spins, s->p->beta,
                             s->L, s->replicas > 1 ? (size_t)s->replicas : 1};
  return ceas_measure_analyze(&ser, r);
}

const char *ceas_task_rng_name(ceas_model_kind model, const char *algo) {
  const ceas_kernel_type *T = ceas_kernel_find(algo);
  return model != CEAS_MODEL_GRAPH && T ? T->rng_lattice : "Philox4x64-10 (Random123)";
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
  /* Only a GPU run says where it ran: a CPU run's file is as it always was. */
  if (s->device) rc = rc ? rc : ceas_io_attr_string(loc, "device", s->device);
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

typedef struct {
  const ceas_task *t;
  const char *command_line;
} task_file;

static int write_task_file(const void *ctx, hid_t f) {
  const task_file *w = ctx;
  return ceas_task_write(w->t, f, w->command_line);
}

int ceas_task_write_file(const ceas_task *t, const char *path, int force,
                         const char *command_line) {
  return ceas_io_write_hdf5(path, force, write_task_file, &(task_file){t, command_line});
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
