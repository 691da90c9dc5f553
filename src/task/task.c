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
  return CEAS_OK;
}

static int algo_lookup(const char *name, const ceas_lattice_kernel **k) {
  *k = name ? ceas_lattice_kernel_find(name) : NULL;
  if (*k) return CEAS_OK;
  char list[256] = "";
  for (int i = 0; ceas_lattice_kernels[i]; i++) {
    if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, ceas_lattice_kernels[i]->name, sizeof list - strlen(list) - 1);
  }
  return ceas_error_set(CEAS_EINPUT, "--algo: unknown algorithm '%s' (expected %s)",
                        name ? name : "", list);
}

int ceas_task_create(const ceas_task_params *p, ceas_task **out) {
  *out = NULL;
  const ceas_lattice_kernel *kernel;
  int rc = ceas_task_params_check(p);
  if (!rc) rc = algo_lookup(p->algo, &kernel);
  if (rc) return rc;
  ceas_task *t = ceas_calloc(1, sizeof *t);
  if (!t) return CEAS_ENOMEM;
  t->p = *p;
  t->kernel = kernel;
  rc = p->model == CEAS_MODEL_GRAPH
           ? ceas_mapping_read_couplings(p->couplings, p->h, &t->sys)
           : ceas_lattice_hypercubic_alloc(p->model, p->L, p->h, &t->sys);
  if (!rc) rc = ceas_lattice_kernel_check(kernel, t->sys);
  ceas_rng_key key = {p->seed, p->stream};
  if (!rc) rc = ceas_lattice_state_alloc(t->sys, key, p->init, &t->st);
  if (!rc) {
    t->n_meas = (size_t)(p->sweeps / p->measure_every);
    t->e = ceas_malloc(t->n_meas * sizeof *t->e);
    t->m = ceas_malloc(t->n_meas * sizeof *t->m);
    if (p->model != CEAS_MODEL_GRAPH) t->f = ceas_malloc(t->n_meas * sizeof *t->f);
    if (!t->e || !t->m || (p->model != CEAS_MODEL_GRAPH && !t->f)) rc = CEAS_ENOMEM;
  }
  if (rc) {
    ceas_task_free(t);
    return rc;
  }
  if (p->wolff_clusters > 0) t->st->wolff_clusters = p->wolff_clusters;
  *out = t;
  return CEAS_OK;
}

void ceas_task_free(ceas_task *t) {
  if (!t) return;
  ceas_lattice_state_free(t->st);
  ceas_lattice_system_free(t->sys);
  free(t->e);
  free(t->m);
  free(t->f);
  free(t);
}

static int is_wolff(const ceas_task *t) { return strcmp(t->kernel->name, "wolff") == 0; }

uint64_t ceas_task_sweeps_done(const ceas_task *t) { return t->st->sweep; }

/* One sweep of the chain, number k = st->sweep, with its measurement. */
static int task_step(ceas_task *t) {
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
  ceas_lattice_state *st = t->st;
  uint64_t total = p->therm + p->sweeps;
  double t0 = ceas_wtime(), last = t0, last_ckpt = t0;
  while (st->sweep < total) {
    int stop = (h->stop && *h->stop) || (h->poll && h->poll(h->poll_ctx));
    if (stop) {
      uint64_t k = st->sweep;
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
        h->progress((double)st->sweep / (double)total, now - t0, h->progress_ctx);
        last = now;
      }
      if (h->checkpoint && h->checkpoint_every > 0 && now - last_ckpt >= h->checkpoint_every &&
          st->sweep < total) {
        if ((rc = ceas_task_checkpoint_write(t, h->checkpoint))) return rc;
        last_ckpt = ceas_wtime();
      }
    }
  }
  t->seconds += ceas_wtime() - t0;
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
  s->algo = t->kernel->name;
  s->L = t->sys->L;
  s->dim = t->sys->dim;
  s->n_spins = t->sys->n;
  s->e = t->e;
  s->m = t->m;
  s->f = t->f;
  s->n_meas = t->n_meas;
  s->result = &t->result;
  s->wolff = is_wolff(t);
  s->wolff_clusters = t->st->wolff_clusters;
  s->mean_cluster_size = t->mean_cluster_size;
}

int ceas_task_analyze(const ceas_task_summary *s, ceas_measure_result *r) {
  ceas_measure_series ser = {s->e, s->m, s->f, s->n_meas, (double)s->n_spins, s->p->beta,
                             s->L};
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

static int write_params(const ceas_task_summary *s, hid_t loc, const char *cmdline) {
  const ceas_task_params *p = s->p;
  int rc = 0;
  rc = rc ? rc : ceas_io_attr_string(loc, "ceasim_version", ceas_version());
  rc = rc ? rc : ceas_io_attr_string(loc, "command_line", cmdline ? cmdline : "");
  rc = rc ? rc : ceas_io_attr_string(loc, "model", ceas_lattice_model_name(p->model));
  rc = rc ? rc : ceas_io_attr_int64(loc, "L", s->L);
  rc = rc ? rc : ceas_io_attr_int64(loc, "dim", s->dim);
  rc = rc ? rc : ceas_io_attr_int64(loc, "n_spins", s->n_spins);
  rc = rc ? rc : ceas_io_attr_double(loc, "beta", p->beta);
  rc = rc ? rc : ceas_io_attr_double(loc, "h", p->h);
  rc = rc ? rc : ceas_io_attr_string(loc, "algo", s->algo);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "seed", p->seed);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "stream", p->stream);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "sweeps", p->sweeps);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "therm", p->therm);
  rc = rc ? rc : ceas_io_attr_uint64(loc, "measure_every", p->measure_every);
  rc = rc ? rc : ceas_io_attr_string(loc, "init", p->init == CEAS_INIT_COLD ? "cold" : "hot");
  rc = rc ? rc : ceas_io_attr_string(loc, "rng", "philox4x64-10 (Random123)");
  if (p->couplings) rc = rc ? rc : ceas_io_attr_string(loc, "couplings", p->couplings);
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

int ceas_task_write_summary(const ceas_task_summary *s, hid_t loc, const char *command_line) {
  int rc = write_params(s, loc, command_line);
  if (rc) return rc;
  hid_t g;
  if ((rc = ceas_io_group(loc, "timeseries", &g))) return rc;
  rc = ceas_io_write_doubles(g, "energy", s->e, s->n_meas);
  if (!rc) rc = ceas_io_write_doubles(g, "magnetization", s->m, s->n_meas);
  if (!rc && s->f) rc = ceas_io_write_doubles(g, "structure_factor_kmin", s->f, s->n_meas);
  H5Gclose(g);
  if (rc) return rc;
  if ((rc = ceas_io_group(loc, "observables", &g))) return rc;
  const ceas_measure_result *r = s->result;
  rc = ceas_io_attr_int64(g, "bin_size", (int64_t)r->bin_size);
  if (!rc) rc = ceas_io_attr_int64(g, "n_bins", (int64_t)r->n_bins);
  if (!rc) rc = ceas_io_attr_int64(g, "converged", r->converged);
  for (int o = 0; o < CEAS_OBS_COUNT && !rc; o++) {
    const ceas_measure_value *v = &r->obs[o];
    hid_t d;
    rc = ceas_io_write_scalar(g, ceas_measure_obs_name(o), v->mean, &d);
    if (rc) break;
    rc = ceas_io_attr_double(d, "mean", v->mean);
    if (!rc) rc = ceas_io_attr_double(d, "error", v->error);
    if (!rc && !isnan(v->tau_int)) {
      rc = ceas_io_attr_double(d, "tau_int", v->tau_int);
      if (!rc) rc = ceas_io_attr_double(d, "tau_int_error", v->tau_int_err);
    }
    if (!rc && !v->defined)
      rc = ceas_io_attr_string(d, "note", "not defined for this model");
    H5Dclose(d);
  }
  H5Gclose(g);
  return rc;
}
