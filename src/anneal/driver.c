/* The method table, runs over reads, success statistics, HDF5 output. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anneal_private.h"
#include "ceas_anneal_ceas.h"
#include "ceas_anneal_pt.h"
#include "anneal_npu.h"
#include "ceas_io.h"

const ceas_anneal_method *const ceas_anneal_methods[] = {
    &ceas_anneal_method_sa,          &ceas_anneal_method_ceas,   &ceas_anneal_method_sb_ballistic,
    &ceas_anneal_method_sb_discrete, &ceas_anneal_method_analog, &ceas_anneal_method_pt,
    NULL};

const ceas_anneal_method *ceas_anneal_method_find(const char *name) {
  for (int i = 0; ceas_anneal_methods[i]; i++)
    if (!strcmp(ceas_anneal_methods[i]->name, name)) return ceas_anneal_methods[i];
  return NULL;
}

int ceas_anneal_method_kernel(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                              const ceas_anneal_params *p, int kernel,
                              const ceas_anneal_method **out) {
  *out = m;
  /* The packed kernel where it applies and models what is asked: exact fields,
   * asynchronous updates. */
  const int can_pack = m->packed && ceas_anneal_sa_msc_applies(pb) && p->field_noise == 0 &&
                       p->update == CEAS_ANNEAL_UPDATE_ASYNC &&
                       p->order == CEAS_ANNEAL_ORDER_SEQUENTIAL;
  if (kernel == 1 && !can_pack)
    return ceas_error_set(CEAS_EINPUT,
                          "--kernel packed: needs --method sa or pt on an ea2d/ea3d +-J "
                          "instance with even L, without --field-noise, --update sync or "
                          "--order random");
  if (kernel != -1 && !m->packed)
    return ceas_error_set(CEAS_EINPUT, "--kernel: only for --method sa or pt");
  if (can_pack && kernel != 0) *out = m->packed;
  return CEAS_OK;
}

void ceas_anneal_params_default(ceas_anneal_params *p) {
  memset(p, 0, sizeof *p);
  p->seed = 1;
  p->order = CEAS_ANNEAL_ORDER_SEQUENTIAL;
  p->target = NAN;
  p->target_tol = NAN;
}

double ceas_anneal_tts99(double t, double p) {
  if (!(p >= 0 && p <= 1) || !(t >= 0)) return NAN;
  if (p >= 0.99) return t;
  if (p == 0) return INFINITY;
  return t * log(0.01) / log1p(-p);
}

void ceas_anneal_result_free(ceas_anneal_result *r) {
  if (!r) return;
  if (r->pt) {
    free(r->pt->betas), free(r->pt->acceptance), free(r->pt->e_mean), free(r->pt->e_err);
    free(r->pt->round_trips), free(r->pt->sweeps_per_round_trip);
    free(r->pt);
  }
  free(r->per_read);
  free(r->configs);
  free(r->traces);
  free(r);
}

/* CPU time of this thread: on a shared machine the wall clock also counts the time
 * other processes held the core. */
static double cpu_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return NAN;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
  void (*progress)(double, double, void *);
  void *ctx;
  double t0, last;
  uint64_t done_before; /* sweeps of finished reads */
  double total;
} progress_state;

static void on_sweeps(void *ctx, uint64_t sweeps) {
  progress_state *ps = ctx;
  double now = ceas_wtime();
  if (now - ps->last < 0.5) return;
  ps->last = now;
  ps->progress(((double)ps->done_before + (double)sweeps) / ps->total, now - ps->t0,
               ps->ctx);
}

int ceas_anneal_result_check(uint64_t reads, int64_t n, uint64_t trace_len,
                             size_t extra_per_read) {
  size_t bytes, per_read;
  /* trace_len <= 2^31 (sweeps are capped there), so one read's bytes fit. */
  per_read = (size_t)n + sizeof(ceas_anneal_read) + (size_t)trace_len * sizeof(double) +
             extra_per_read;
  const size_t f[] = {(size_t)reads, per_read};
  return ceas_size_check("--reads: the configurations and traces kept of every read", &bytes,
                         2, f);
}

int ceas_anneal_run(const ceas_anneal_problem *pb, const ceas_anneal_method *method,
                    const ceas_anneal_params *p_in, uint64_t reads,
                    volatile sig_atomic_t *stop,
                    void (*progress)(double fraction, double elapsed, void *ctx),
                    void *progress_ctx, ceas_anneal_result **out) {
  *out = NULL;
  ceas_anneal_params p = *p_in;
  if (reads < 1) return ceas_error_set(CEAS_EINPUT, "--reads: expected at least 1 read");
  p.reads = reads;
  if (!p.schedule) return ceas_error_set(CEAS_EINPUT, "anneal: no schedule");
  if (p.has_target && !isfinite(p.target))
    return ceas_error_set(CEAS_EINPUT, "--target: expected a finite energy");
  if (p.has_target && !(p.target_tol >= 0)) p.target_tol = 1e-9 * fmax(1.0, fabs(p.target));
  int rc = ceas_anneal_npu_check(&p);
  if (!rc) rc = method->check(pb, &p);
  if (rc) return rc;
  uint64_t sweeps;
  size_t read_bytes;
  method->shape(&p, &sweeps, &read_bytes);
  if (p.trace_every > sweeps)
    return ceas_error_set(CEAS_EINPUT,
                          "--trace-every: %llu is more than the %llu sweeps of the schedule",
                          (unsigned long long)p.trace_every, (unsigned long long)sweeps);
  size_t n = (size_t)pb->n;
  const uint64_t trace_len = p.trace_every ? sweeps / p.trace_every : 0;
  if ((rc = ceas_anneal_result_check(reads, pb->n, trace_len, read_bytes))) return rc;
  ceas_anneal_result *r = ceas_calloc(1, sizeof *r);
  if (!r) return CEAS_ENOMEM;
  r->reads = reads;
  r->trace_len = trace_len;
  r->per_read = ceas_calloc((size_t)reads, sizeof *r->per_read);
  r->configs = ceas_malloc((size_t)reads * n);
  if (r->trace_len)
    r->traces = ceas_malloc((size_t)reads * (size_t)r->trace_len * sizeof *r->traces);
  if (!r->per_read || !r->configs || (r->trace_len && !r->traces)) {
    ceas_anneal_result_free(r);
    return CEAS_ENOMEM;
  }
  void *work = NULL;
  if ((rc = method->alloc(pb, &p, &work))) {
    ceas_anneal_result_free(r);
    return rc;
  }
  progress_state ps = {progress, progress_ctx, ceas_wtime(), ceas_wtime(), 0,
                       (double)reads * (double)sweeps};
  ceas_anneal_hooks hooks = {stop, progress ? on_sweeps : NULL, &ps};
  double t0 = ceas_wtime(), c0 = cpu_seconds();
  for (uint64_t q = 0; q < reads && !rc; q++) {
    rc = method->read(work, q, &hooks, &r->per_read[q], r->configs + q * n,
                      r->traces ? r->traces + q * r->trace_len : NULL);
    ps.done_before += sweeps;
    if (!rc && progress) on_sweeps(&ps, 0);
  }
  r->seconds = ceas_wtime() - t0;
  r->cpu_seconds = cpu_seconds() - c0;
  if (!rc) rc = method->finish(work, r);
  method->free(work);
  if (rc) {
    ceas_anneal_result_free(r);
    return rc;
  }
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_of(&p, &pj);
  ceas_anneal_result_price(r, &pj);
  double tsum = 0, usum = 0;
  r->best_energy = INFINITY;
  for (uint64_t q = 0; q < reads; q++) {
    const ceas_anneal_read *rd = &r->per_read[q];
    if (rd->best_energy < r->best_energy) {
      r->best_energy = rd->best_energy;
      r->best_read = q;
    }
    r->successes += rd->reached ? 1 : 0;
    tsum += rd->seconds;
    usum += (double)rd->updates;
  }
  if (p.has_target) {
    r->p_success = (double)r->successes / (double)reads;
    r->tts99_seconds = ceas_anneal_tts99(tsum / (double)reads, r->p_success);
    r->tts99_updates = ceas_anneal_tts99(usum / (double)reads, r->p_success);
  } else {
    r->p_success = r->tts99_seconds = r->tts99_updates = NAN;
  }
  *out = r;
  return CEAS_OK;
}

/* ---- output -------------------------------------------------------------- */

static int write_2d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                    const void *data, hsize_t rows, hsize_t cols) {
  hsize_t dims[2] = {rows, cols};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t d = sp >= 0 ? H5Dcreate2(loc, name, file_type, sp, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT)
                    : H5I_INVALID_HID;
  herr_t st = d >= 0 && rows * cols > 0
                  ? H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data)
                  : (d >= 0 ? 0 : -1);
  if (d >= 0 && H5Dclose(d) < 0) st = -1; /* the close writes what HDF5 buffered */
  if (sp >= 0) H5Sclose(sp);
  return st < 0 ? ceas_io_write_error(loc, "dataset", name) : CEAS_OK;
}

/* `units` and `description` of every dataset of an anneal file (ceas_io_describe).
 * Energies are in the instance's coupling units J: E = -sum_{i<j} J_ij s_i s_j -
 * sum_i h_i s_i, total unless "per spin". */
static const ceas_io_doc anneal_docs[] = {
    {"best_energy", "J", "lowest energy E held at the end of a sweep, per read"},
    {"best_energy_per_spin", "J per spin", "best_energy / n, per read"},
    {"best_cut", "edge weight", "cut weight of the read's best state (MaxCut instances)"},
    {"final_energy", "J", "energy of the read's state after its last sweep"},
    {"best_sweep", "sweeps", "sweep (from 1) after which the read first held best_energy"},
    {"seconds", "s", "wall-clock time of the read"},
    {"updates", "spin updates", "attempted single-spin updates of the read"},
    {"flips", "spin flips", "accepted single-spin updates of the read"},
    {"cost_spin_updates", "spin updates",
     "the machine's single-site state updates in the read, as the cost model counts them"},
    {"cost_macs", "multiply-accumulates", "the machine's coupling MACs in the read"},
    {"cost_bytes", "bytes", "bytes the machine moves between memory and arithmetic in the read"},
    {"energy_pj", "pJ", "the read's cost priced at cost_pj_update, cost_pj_mac, cost_pj_byte"},
    {"reached", "dimensionless (1 or 0)", "1 if the read reached the target energy"},
    {"sweeps_to_target", "sweeps", "first sweep ending at E <= target (0 if not reached)"},
    {"updates_to_target", "spin updates", "updates until the target (0 if not reached)"},
    {"seconds_to_target", "s", "wall-clock time until the target (NaN if not reached)"},
    {"best_config", "dimensionless (+1 or -1)", "reads x n: the best state of each read"},
    {"trace", "J",
     "reads x points: the running energy after each sweep of trace_sweeps (pt: the lowest "
     "energy any walker holds then)"},
    {"trace_sweeps", "sweeps", "the sweeps after which trace is recorded"},
    {"betas", "1/J", "the annealing schedule: beta of each sweep"},
    {"pt/betas", "1/J", "reads x temperatures: the ladder of each read"},
    {"pt/acceptance", "dimensionless (fraction)",
     "reads x (temperatures - 1): acceptance of swaps between neighbouring temperatures"},
    {"pt/energy_per_spin", "J per spin", "reads x temperatures: mean energy per spin"},
    {"pt/energy_per_spin_error", "J per spin", "one-standard-deviation error of energy_per_spin"},
    {"pt/round_trips", "round trips", "cold-hot-cold round trips of the replicas, per read"},
    {"pt/sweeps_per_round_trip", "sweeps", "sweeps per round trip, per read"},
    {NULL, NULL, NULL}};

/* pt's ladder statistics: reads x M (acceptance: reads x (M - 1)) and per read. */
static int write_pt_group(hid_t loc, const ceas_anneal_pt_stats *x, uint64_t reads) {
  hid_t g;
  int rc = ceas_io_group(loc, "pt", &g);
  if (rc) return rc;
  size_t R = (size_t)reads, M = (size_t)x->temperatures;
  rc = ceas_io_attr_int64(g, "temperatures", x->temperatures);
  if (!rc) rc = ceas_io_attr_uint64(g, "exchange_every", x->exchange_every);
  if (!rc) rc = ceas_io_attr_int64(g, "tune_rounds", x->tune_rounds);
  if (!rc) rc = ceas_io_attr_uint64(g, "tune_sweeps", x->tune_sweeps);
  if (!rc) rc = ceas_io_attr_int64(g, "ranks", x->ranks);
  if (!rc) rc = ceas_io_write_doubles_2d(g, "betas", x->betas, R, M);
  if (!rc) rc = ceas_io_write_doubles_2d(g, "acceptance", x->acceptance, R, M - 1);
  if (!rc) rc = ceas_io_write_doubles_2d(g, "energy_per_spin", x->e_mean, R, M);
  if (!rc) rc = ceas_io_write_doubles_2d(g, "energy_per_spin_error", x->e_err, R, M);
  if (!rc) rc = ceas_io_write_uint64s(g, "round_trips", x->round_trips, R);
  if (!rc) rc = ceas_io_write_doubles(g, "sweeps_per_round_trip", x->sweeps_per_round_trip, R);
  H5Gclose(g);
  return rc;
}

int ceas_anneal_write(hid_t loc, const ceas_anneal_problem *pb,
                      const ceas_anneal_method *method, const ceas_anneal_params *p,
                      const ceas_anneal_result *r, double e0, uint64_t degeneracy,
                      const char *command_line) {
  const ceas_anneal_schedule *s = p->schedule;
  uint64_t R = r->reads;
  int rc = ceas_io_attr_string(loc, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(loc, "command_line", command_line ? command_line : "");
  if (!rc) rc = ceas_io_attr_string(loc, "method", method->name);
  if (!rc) rc = ceas_io_attr_string(loc, "kernel", method->kernel ? method->kernel : "fields");
  if (!rc) rc = ceas_io_attr_string(loc, "device", method->device ? method->device : "cpu");
  if (!rc) rc = ceas_io_attr_string(loc, "rng", method->rng);
  if (!rc) rc = ceas_io_attr_string(loc, "source", ceas_anneal_source_name(pb->source));
  if (!rc) rc = ceas_io_attr_string(loc, "origin", pb->origin);
  if (!rc) rc = ceas_io_attr_int64(loc, "n", pb->n);
  if (!rc) rc = ceas_io_attr_int64(loc, "couplings", pb->nnz / 2);
  if (!rc) rc = ceas_io_attr_string(loc, "field_update",
                                       pb->dense8 ? "dense_int8" : pb->dense ? "dense_float32" : "sparse");
  if (!rc && (pb->source == CEAS_ANNEAL_SRC_SK || pb->source == CEAS_ANNEAL_SRC_EA2D ||
              pb->source == CEAS_ANNEAL_SRC_EA3D)) {
    rc = ceas_io_attr_string(loc, "bonds", ceas_anneal_bonds_name(pb->bonds));
    if (!rc) rc = ceas_io_attr_uint64(loc, "instance_seed", pb->seed);
    if (!rc) rc = ceas_io_attr_int64(loc, pb->source == CEAS_ANNEAL_SRC_SK ? "size_n" : "L",
                                     pb->n_param);
  }
  if (!rc) rc = ceas_io_attr_int64(loc, "maxcut", pb->maxcut);
  if (!rc && pb->maxcut) rc = ceas_io_attr_double(loc, "weight_sum", pb->w_sum);
  if (!rc) rc = ceas_io_attr_double(loc, "field_scale", pb->field_scale);
  if (!rc) rc = ceas_io_attr_uint64(loc, "seed", p->seed);
  if (!rc) rc = ceas_io_attr_uint64(loc, "reads", R);
  if (!rc) rc = ceas_io_attr_uint64(loc, "sweeps", s->sweeps);
  if (!rc) rc = ceas_io_attr_string(loc, "schedule", ceas_anneal_sched_name(s->kind));
  if (!rc && s->kind == CEAS_ANNEAL_SCHED_FILE)
    rc = ceas_io_attr_string(loc, "schedule_file", s->file);
  if (!rc) rc = ceas_io_attr_double(loc, "beta0", s->beta0);
  if (!rc) rc = ceas_io_attr_double(loc, "beta1", s->beta1);
  if (!rc)
    rc = ceas_io_attr_string(loc, "order",
                             p->order == CEAS_ANNEAL_ORDER_RANDOM ? "random" : "sequential");
  if (!rc) rc = ceas_io_attr_uint64(loc, "trace_every", p->trace_every);
  for (int i = 0; !rc && i < r->n_used; i++)
    rc = ceas_io_attr_double(loc, r->used[i].name, r->used[i].value);
  /* The NPU model and the cost model's prices. */
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_of(p, &pj);
  double e_pj = 0;
  for (uint64_t q = 0; q < R; q++) e_pj += r->per_read[q].energy_pj;
  if (!rc)
    rc = ceas_io_attr_string(loc, "update",
                             method->synchronous || p->update == CEAS_ANNEAL_UPDATE_SYNC
                                 ? "sync"
                                 : "async");
  if (!rc) rc = ceas_io_attr_double(loc, "field_noise", p->field_noise);
  if (!rc) rc = ceas_io_attr_double(loc, "cost_pj_mac", pj.mac);
  if (!rc) rc = ceas_io_attr_double(loc, "cost_pj_byte", pj.byte);
  if (!rc) rc = ceas_io_attr_double(loc, "cost_pj_update", pj.spin_update);
  if (!rc)
    rc = ceas_io_attr_int64(loc, "cost_coupling_bytes", ceas_anneal_coupling_bytes(p->j_bits));
  if (!rc) rc = ceas_io_attr_double(loc, "cost_energy_pj_total", e_pj);
  /* 0: the packed kernels count spin updates only (no per-flip row updates). */
  if (!rc) rc = ceas_io_attr_int64(loc, "cost_counts_flips", method->kernel ? 0 : 1);
  if (!rc) rc = ceas_io_attr_double(loc, "target", p->has_target ? p->target : NAN);
  if (!rc) rc = ceas_io_attr_double(loc, "exact_e0", degeneracy ? e0 : NAN);
  if (!rc) rc = ceas_io_attr_uint64(loc, "exact_degeneracy", degeneracy);
  if (!rc) rc = ceas_io_attr_double(loc, "best_energy", r->best_energy);
  if (!rc) rc = ceas_io_attr_uint64(loc, "best_read", r->best_read);
  if (!rc) rc = ceas_io_attr_double(loc, "seconds", r->seconds);
  if (!rc) rc = ceas_io_attr_double(loc, "cpu_seconds", r->cpu_seconds);
  if (!rc) rc = ceas_io_attr_uint64(loc, "successes", r->successes);
  if (!rc) rc = ceas_io_attr_double(loc, "p_success", r->p_success);
  if (!rc) rc = ceas_io_attr_double(loc, "tts99_seconds", r->tts99_seconds);
  if (!rc) rc = ceas_io_attr_double(loc, "tts99_updates", r->tts99_updates);
  if (rc) return rc;
  double *d = ceas_malloc((size_t)(R > s->sweeps ? R : s->sweeps) * sizeof *d);
  uint64_t *u = ceas_malloc((size_t)R * sizeof *u);
  int8_t *b = ceas_malloc((size_t)R);
  if (!d || !u || !b) {
    free(d);
    free(u);
    free(b);
    return CEAS_ENOMEM;
  }
  const ceas_anneal_read *pr = r->per_read;
#define COL_D(name, expr)                                          \
  if (!rc) {                                                       \
    for (uint64_t q = 0; q < R; q++) d[q] = (expr);                \
    rc = ceas_io_write_doubles(loc, name, d, (size_t)R);           \
  }
#define COL_U(name, expr)                                          \
  if (!rc) {                                                       \
    for (uint64_t q = 0; q < R; q++) u[q] = (expr);                \
    rc = ceas_io_write_uint64s(loc, name, u, (size_t)R);           \
  }
  COL_D("best_energy", pr[q].best_energy)
  COL_D("best_energy_per_spin", pr[q].best_energy / (double)pb->n)
  if (pb->maxcut) COL_D("best_cut", ceas_anneal_cut(pb, pr[q].best_energy))
  COL_D("final_energy", pr[q].final_energy)
  COL_U("best_sweep", pr[q].best_sweep)
  COL_D("seconds", pr[q].seconds)
  COL_U("updates", pr[q].updates)
  COL_U("flips", pr[q].flips)
  COL_U("cost_spin_updates", pr[q].cost.spin_updates)
  COL_U("cost_macs", pr[q].cost.macs)
  COL_U("cost_bytes", pr[q].cost.bytes)
  COL_D("energy_pj", pr[q].energy_pj)
  if (p->has_target) {
    if (!rc) {
      for (uint64_t q = 0; q < R; q++) b[q] = (int8_t)pr[q].reached;
      rc = ceas_io_write_int8(loc, "reached", b, (size_t)R);
    }
    COL_U("sweeps_to_target", pr[q].reached ? pr[q].sweeps_to_target : 0)
    COL_U("updates_to_target", pr[q].reached ? pr[q].updates_to_target : 0)
    COL_D("seconds_to_target", pr[q].reached ? pr[q].seconds_to_target : NAN)
  }
#undef COL_D
#undef COL_U
  if (!rc)
    rc = write_2d(loc, "best_config", H5T_STD_I8LE, H5T_NATIVE_INT8, r->configs, R,
                  (hsize_t)pb->n);
  if (!rc && r->trace_len) {
    rc = write_2d(loc, "trace", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, r->traces, R,
                  r->trace_len);
    if (!rc) {
      uint64_t *ts = ceas_malloc((size_t)r->trace_len * sizeof *ts);
      if (!ts) rc = CEAS_ENOMEM;
      for (uint64_t k = 0; !rc && k < r->trace_len; k++) ts[k] = (k + 1) * p->trace_every;
      if (!rc) rc = ceas_io_write_uint64s(loc, "trace_sweeps", ts, (size_t)r->trace_len);
      free(ts);
    }
  }
  if (!rc) rc = ceas_io_write_doubles(loc, "betas", s->betas, (size_t)s->sweeps);
  free(d);
  free(u);
  free(b);
  if (!rc && r->pt) rc = write_pt_group(loc, r->pt, R);
  if (!rc) rc = ceas_io_describe(loc, anneal_docs);
  return rc;
}
