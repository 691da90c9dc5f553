/* pt as a method of the table (contract in ceas_anneal_pt.h): read r is a whole
 * parallel-tempering run under the key (seed, r), collective over the ranks of the
 * method's communicator; the packed entry runs 64 reads per run. Every rank holds
 * the same results, so every rank's ceas_anneal_run returns the same summary. */
#include <stdlib.h>
#include <string.h>

#include "pt_private.h"

void ceas_anneal_pt_reads_params_default(ceas_anneal_pt_reads_params *p) {
  memset(p, 0, sizeof *p);
  p->comm = MPI_COMM_WORLD;
  p->temperatures = 16;
  p->exchange_every = 1;
  p->tune_rounds = 4;
  p->tune_sweeps = 1000;
}

static void reads_params_of(const ceas_anneal_params *p, ceas_anneal_pt_reads_params *o) {
  if (p->method_params)
    *o = *(const ceas_anneal_pt_reads_params *)p->method_params;
  else
    ceas_anneal_pt_reads_params_default(o);
}

/* The run parameters of every read (read number set per run). */
static void run_params_of(const ceas_anneal_params *p, ceas_anneal_pt_params *q) {
  ceas_anneal_pt_reads_params o;
  reads_params_of(p, &o);
  ceas_anneal_pt_params_default(q);
  q->temperatures = o.temperatures;
  q->beta_min = p->schedule->beta0;
  q->beta_max = p->schedule->beta1;
  q->sweeps = p->schedule->sweeps;
  q->exchange_every = o.exchange_every;
  q->tune_rounds = o.tune_rounds;
  q->tune_sweeps = o.tune_sweeps;
  q->seed = p->seed;
  q->has_target = p->has_target;
  q->target = p->target;
  q->target_tol = p->target_tol;
  q->sync = p->update == CEAS_ANNEAL_UPDATE_SYNC;
  q->field_noise = p->field_noise;
  q->j_bits = p->j_bits;
  q->trace_every = p->trace_every;
}

static int pt_check(const ceas_anneal_problem *pb, const ceas_anneal_params *p) {
  (void)pb;
  int started = 0;
  MPI_Initialized(&started);
  if (!started)
    return ceas_error_set(CEAS_EINPUT, "pt: MPI is not initialised (its walkers spread over "
                                       "MPI ranks)");
  if (p->order != CEAS_ANNEAL_ORDER_SEQUENTIAL || p->schedule->kind == CEAS_ANNEAL_SCHED_FILE)
    return ceas_error_set(CEAS_EINPUT,
                          "pt: the ladder is beta0 .. beta1 and the sweeps are sequential; a "
                          "schedule file and random order do not apply");
  ceas_anneal_pt_params q;
  run_params_of(p, &q);
  return ceas_anneal_pt_check_params(&q);
}

static void pt_shape(const ceas_anneal_params *p, uint64_t *sweeps, size_t *read_bytes) {
  ceas_anneal_pt_params q;
  run_params_of(p, &q);
  *sweeps = ceas_anneal_pt_total_sweeps(&q);
  /* The ladder statistics: betas, acceptances, <E>/n and its error (M each, counted
   * as in the size check before this moved here), round trips, sweeps per trip. */
  *read_bytes = (4 * (size_t)q.temperatures + 2) * sizeof(double);
}

typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  MPI_Comm comm;
  ceas_anneal_pt_params q;
  int packed;
  ceas_anneal_pt_stats st;      /* grown read by read, handed over by finish() */
  uint64_t cap;                 /* reads st has room for */
  ceas_anneal_pt_msc_result *g; /* packed: the run of the cached group */
  uint64_t group;               /* cached group + 1, 0: none */
  const ceas_anneal_hooks *hooks;
} pt_work;

static void stats_free(ceas_anneal_pt_stats *st) {
  free(st->betas), free(st->acceptance), free(st->e_mean), free(st->e_err);
  free(st->round_trips), free(st->sweeps_per_round_trip);
}

static void pt_free(void *work) {
  pt_work *w = work;
  if (!w) return;
  stats_free(&w->st);
  ceas_anneal_pt_msc_result_free(w->g);
  free(w);
}

static int alloc_common(const ceas_anneal_problem *pb, const ceas_anneal_params *p, int packed,
                        void **out) {
  *out = NULL;
  pt_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return CEAS_ENOMEM;
  ceas_anneal_pt_reads_params o;
  reads_params_of(p, &o);
  w->pb = pb;
  w->p = p;
  w->comm = o.comm;
  w->packed = packed;
  run_params_of(p, &w->q);
  w->st.temperatures = o.temperatures;
  w->st.exchange_every = o.exchange_every;
  w->st.tune_rounds = o.tune_rounds;
  w->st.tune_sweeps = o.tune_sweeps;
  MPI_Comm_size(o.comm, &w->st.ranks);
  *out = w;
  return CEAS_OK;
}

static int pt_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p, void **out) {
  return alloc_common(pb, p, 0, out);
}

static int pt_alloc_packed(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                           void **out) {
  return alloc_common(pb, p, 1, out);
}

/* Room for the statistics of read r. */
static int stats_reserve(pt_work *w, uint64_t r) {
  if (r < w->cap) return CEAS_OK;
  uint64_t cap = w->cap ? 2 * w->cap : 16;
  while (cap <= r) cap *= 2;
  const size_t M = (size_t)w->st.temperatures;
  double **d[] = {&w->st.betas, &w->st.acceptance, &w->st.e_mean, &w->st.e_err};
  for (int i = 0; i < 4; i++) {
    double *t = realloc(*d[i], (size_t)cap * M * sizeof(double));
    if (!t) return ceas_error_set(CEAS_ENOMEM, "out of memory (pt's ladder statistics)");
    *d[i] = t;
  }
  uint64_t *rt = realloc(w->st.round_trips, (size_t)cap * sizeof *rt);
  if (rt) w->st.round_trips = rt;
  double *spr = rt ? realloc(w->st.sweeps_per_round_trip, (size_t)cap * sizeof *spr) : NULL;
  if (spr) w->st.sweeps_per_round_trip = spr;
  if (!rt || !spr) return ceas_error_set(CEAS_ENOMEM, "out of memory (pt's ladder statistics)");
  w->cap = cap;
  return CEAS_OK;
}

/* Read k's ladder statistics from one run (the packed run's are the run's). */
static void stats_take(pt_work *w, uint64_t k, const ceas_anneal_pt_result *t) {
  const size_t M = (size_t)w->st.temperatures;
  memcpy(w->st.betas + k * M, t->betas, M * sizeof(double));
  memcpy(w->st.acceptance + k * (M - 1), t->acceptance, (M - 1) * sizeof(double));
  memcpy(w->st.e_mean + k * M, t->e_mean, M * sizeof(double));
  memcpy(w->st.e_err + k * M, t->e_err, M * sizeof(double));
  w->st.round_trips[k] = t->round_trips; /* packed: of the whole run (64 systems) */
  w->st.sweeps_per_round_trip[k] = t->sweeps_per_round_trip;
}

/* The run's progress as the driver's: sweeps of the current read. */
static void on_round(void *ctx, uint64_t sweeps, uint64_t total) {
  const pt_work *w = ctx;
  (void)total;
  w->hooks->sweeps_done(w->hooks->ctx, sweeps);
}

static void set_hooks(pt_work *w, const ceas_anneal_hooks *hooks) {
  w->hooks = hooks;
  w->q.progress = hooks && hooks->sweeps_done ? on_round : NULL;
  w->q.progress_ctx = w;
}

static int pt_read(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                   ceas_anneal_read *res, int8_t *best, double *trace) {
  pt_work *w = work;
  int rc = stats_reserve(w, r);
  if (rc) return rc;
  set_hooks(w, hooks);
  w->q.read = r;
  ceas_anneal_pt_result *t = NULL;
  rc = ceas_anneal_pt_run(w->comm, w->pb, &w->q, hooks ? hooks->stop : NULL, &t);
  if (rc) return rc;
  const int64_t n = w->pb->n;
  memset(res, 0, sizeof *res);
  res->best_energy = t->best_energy;
  res->best_sweep = t->best_sweep;
  res->final_energy = t->best_energy;
  res->reached = t->reached;
  res->sweeps_to_target = t->sweeps_to_target;
  res->updates_to_target = t->sweeps_to_target * (uint64_t)n * (uint64_t)w->q.temperatures;
  res->seconds_to_target = t->seconds_to_target;
  res->updates = t->updates;
  res->seconds = t->seconds;
  res->cost = t->cost;
  memcpy(best, t->best_config, (size_t)n);
  if (trace && t->trace_len) memcpy(trace, t->trace, (size_t)t->trace_len * sizeof *trace);
  stats_take(w, r, t);
  ceas_anneal_pt_result_free(t);
  return CEAS_OK;
}

/* Packed: run g gives the 64 reads 64 g .. 64 g + 63 (its PT systems), each
 * charged 1/64 of the run's time and updates; ladder and acceptances are the
 * run's. */
static int pt_read_packed(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
                          ceas_anneal_read *res, int8_t *best, double *trace) {
  pt_work *w = work;
  const int S = CEAS_ANNEAL_PT_SYSTEMS;
  const uint64_t g = r / (uint64_t)S;
  const int c = (int)(r % (uint64_t)S);
  int rc = stats_reserve(w, r);
  if (rc) return rc;
  if (w->group != g + 1) {
    ceas_anneal_pt_msc_result_free(w->g);
    w->g = NULL;
    w->group = 0;
    set_hooks(w, hooks);
    w->q.read = g;
    if ((rc = ceas_anneal_pt_msc_run(w->comm, w->pb, &w->q, hooks ? hooks->stop : NULL, &w->g)))
      return rc;
    w->group = g + 1;
  }
  const ceas_anneal_pt_msc_result *t = w->g;
  const int64_t n = w->pb->n;
  memset(res, 0, sizeof *res);
  res->best_energy = res->final_energy = t->best_energy[c];
  res->best_sweep = t->best_sweep[c];
  res->reached = t->reached[c];
  res->sweeps_to_target = t->sweeps_to_target[c];
  res->updates_to_target =
      t->sweeps_to_target[c] * (uint64_t)n * (uint64_t)w->q.temperatures;
  res->seconds_to_target = t->seconds_to_target[c];
  res->updates = t->all.updates / (uint64_t)S;
  res->seconds = t->all.seconds / S;
  res->cost.spin_updates = res->updates;
  memcpy(best, t->configs + (size_t)c * (size_t)n, (size_t)n);
  if (trace && t->all.trace_len)
    memcpy(trace, t->all.trace + (size_t)c * t->all.trace_len,
           (size_t)t->all.trace_len * sizeof *trace);
  stats_take(w, r, &t->all);
  return CEAS_OK;
}

static int pt_finish(void *work, ceas_anneal_result *r) {
  pt_work *w = work;
  ceas_anneal_pt_stats *st = ceas_malloc(sizeof *st);
  if (!st) return CEAS_ENOMEM;
  *st = w->st;
  memset(&w->st, 0, sizeof w->st);
  w->cap = 0;
  r->pt = st;
  return CEAS_OK;
}

const ceas_anneal_method ceas_anneal_method_pt = {
    .name = "pt",
    .summary = "parallel tempering over MPI ranks",
    .params = CEAS_ANNEAL_PARAMS_PT,
    .kernel = NULL,
    .rng = CEAS_ANNEAL_RNG_FIELDS,
    .synchronous = 0,
    .collective = 1,
    .packed = &ceas_anneal_method_pt_packed,
    .check = pt_check,
    .alloc = pt_alloc,
    .read = pt_read,
    .finish = pt_finish,
    .free = pt_free,
    .shape = pt_shape,
    .default_betas = ceas_anneal_default_betas,
};

const ceas_anneal_method ceas_anneal_method_pt_packed = {
    .name = "pt",
    .summary = "parallel tempering over MPI ranks, 64 systems at once in the multi-spin-coded "
               "kernel",
    .params = CEAS_ANNEAL_PARAMS_PT,
    .kernel = "packed",
    .rng = CEAS_ANNEAL_RNG_PACKED,
    .synchronous = 0,
    .collective = 1,
    .packed = NULL,
    .check = pt_check,
    .alloc = pt_alloc_packed,
    .read = pt_read_packed,
    .finish = pt_finish,
    .free = pt_free,
    .shape = pt_shape,
    .default_betas = ceas_anneal_default_betas,
};
