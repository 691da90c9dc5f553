/* Parallel tempering over MPI ranks (contract in ceas_anneal_pt.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anneal_machine.h"
#include "pt_private.h"
#include "ceas_measure.h"

void ceas_anneal_pt_params_default(ceas_anneal_pt_params *p) {
  memset(p, 0, sizeof *p);
  p->temperatures = 16;
  p->beta_min = 0.1;
  p->beta_max = 3.0;
  p->sweeps = 10000;
  p->exchange_every = 1;
  p->tune_rounds = 0;
  p->tune_sweeps = 1000;
  p->seed = 1;
}

double ceas_anneal_pt_accept(double beta_lo, double e_lo, double beta_hi, double e_hi) {
  /* Detailed balance for the swap (beta_lo <-> beta_hi) of two walkers. */
  double x = (beta_hi - beta_lo) * (e_hi - e_lo);
  return x >= 0 ? 1.0 : exp(x);
}

/* Round-trip state of a walker: 0 has not touched beta_0, 1 has (and not yet
 * beta_{M-1} since), 2 has reached beta_{M-1} after beta_0: back at beta_0 it has
 * made a round trip. */

typedef struct {
  const ceas_anneal_problem *pb;
  ceas_rng_key key;
  int M, nloc, first; /* walkers first .. first + nloc - 1 live here */
  anneal_machine *w;  /* nloc */
  int *temp_of;       /* M: temperature index of walker w */
  int *trip;          /* M: round-trip state of walker w */
  int *walker_at;     /* M: walker at temperature t */
  double *E_all;      /* M: energies by walker */
  double *checked;    /* nloc: lowest running energy checked against the target */
  int *counts, *displs;
  double *betas;
  uint64_t *acc, *att;
  int8_t *best;       /* this rank's best configuration */
  double best_E;
  uint64_t best_sweep;
  int best_walker;
} pt_state;

/* Moves the inner betas so each gap carries an equal share of sum_t -ln A_t. */
void ceas_anneal_pt_initial_ladder(const ceas_anneal_pt_params *p, double *betas) {
  const int M = p->temperatures;
  for (int t = 0; t < M; t++)
    betas[t] = p->ladder ? p->ladder[t]
               : p->beta_min > 0
                   ? p->beta_min * pow(p->beta_max / p->beta_min, (double)t / (M - 1))
                   : p->beta_min + (p->beta_max - p->beta_min) * t / (M - 1);
}

void ceas_anneal_pt_retune(double *betas, int M, const uint64_t *acc, const uint64_t *att) {
  double *cum = malloc((size_t)M * sizeof *cum), *nb = malloc((size_t)M * sizeof *nb);
  if (!cum || !nb) {
    free(cum), free(nb);
    return; /* keep the ladder: tuning is an optimisation */
  }
  cum[0] = 0;
  for (int t = 0; t + 1 < M; t++) {
    double a = att[t] ? (double)acc[t] / (double)att[t] : 0.0;
    cum[t + 1] = cum[t] - log(fmax(a, 1e-3));
  }
  nb[0] = betas[0];
  nb[M - 1] = betas[M - 1];
  for (int k = 1; k + 1 < M; k++) {
    double target = cum[M - 1] * k / (M - 1);
    int t = 0;
    while (t + 2 < M && cum[t + 1] < target) t++;
    double span = cum[t + 1] - cum[t];
    double x = span > 0 ? (target - cum[t]) / span : 0.5;
    nb[k] = betas[t] + x * (betas[t + 1] - betas[t]);
  }
  memcpy(betas, nb, (size_t)M * sizeof *betas);
  free(cum), free(nb);
}

uint64_t ceas_anneal_pt_total_sweeps(const ceas_anneal_pt_params *p) {
  return (uint64_t)p->tune_rounds * (p->tune_sweeps / p->exchange_every) * p->exchange_every +
         p->sweeps / p->exchange_every * p->exchange_every;
}

int ceas_anneal_pt_check_params(const ceas_anneal_pt_params *p) {
  if (p->temperatures < 2 || p->temperatures > 100000)
    return ceas_error_set(CEAS_EINPUT, "--temperatures: expected 2 to 100000, got %d",
                          p->temperatures);
  if (p->ladder) {
    for (int t = 0; t < p->temperatures; t++)
      if (!isfinite(p->ladder[t]) || p->ladder[t] < 0 || (t && !(p->ladder[t] > p->ladder[t - 1])))
        return ceas_error_set(CEAS_EINPUT,
                              "--ladder: expected increasing finite betas >= 0 (entry %d is %g)",
                              t + 1, p->ladder[t]);
  } else if (!isfinite(p->beta_min) || !isfinite(p->beta_max) || p->beta_min < 0 ||
             !(p->beta_max > p->beta_min)) {
    return ceas_error_set(CEAS_EINPUT,
                          "--beta-min/--beta-max: expected 0 <= beta_min < beta_max, got %g, %g",
                          p->beta_min, p->beta_max);
  }
  if (p->sweeps < 1) return ceas_error_set(CEAS_EINPUT, "--sweeps: expected >= 1");
  if (!(p->field_noise >= 0) || !isfinite(p->field_noise))
    return ceas_error_set(CEAS_EINPUT, "--field-noise: expected a finite sigma >= 0, got %g",
                          p->field_noise);
  if (p->exchange_every < 1)
    return ceas_error_set(CEAS_EINPUT, "--exchange-every: expected >= 1");
  if (p->trace_every % p->exchange_every)
    return ceas_error_set(CEAS_EINPUT,
                          "--trace-every: expected a multiple of --exchange-every (%llu): pt "
                          "knows every walker's energy at the exchange rounds, got %llu",
                          (unsigned long long)p->exchange_every,
                          (unsigned long long)p->trace_every);
  uint64_t total = ceas_anneal_pt_total_sweeps(p);
  if (p->trace_every > total)
    return ceas_error_set(CEAS_EINPUT,
                          "--trace-every: %llu is more than the %llu sweeps of the run",
                          (unsigned long long)p->trace_every, (unsigned long long)total);
  if (p->tune_rounds < 0 || (p->tune_rounds > 0 && p->tune_sweeps < p->exchange_every))
    return ceas_error_set(CEAS_EINPUT,
                          "--tune-rounds/--tune-sweeps: expected rounds >= 0 of at least "
                          "one exchange interval each");
  return CEAS_OK;
}

void ceas_anneal_pt_result_free(ceas_anneal_pt_result *r) {
  if (!r) return;
  free(r->betas), free(r->acceptance), free(r->attempts), free(r->e_mean), free(r->e_err);
  free(r->e_series), free(r->best_config), free(r->trace);
  free(r);
}

static void state_free(pt_state *st) {
  for (int i = 0; st->w && i < st->nloc; i++) ceas_anneal_machine_free(&st->w[i]);
  free(st->w), free(st->temp_of), free(st->trip), free(st->walker_at), free(st->E_all), free(st->counts);
  free(st->displs), free(st->acc), free(st->att), free(st->best);
  free(st->checked);
}

/* Same status on every rank: the worst (largest) one, with a generic message on the
 * ranks that did not fail themselves. */
int ceas_anneal_pt_result_arrays(ceas_anneal_pt_result *r, int M, int64_t n,
                                 uint64_t rounds_meas) {
  r->M = M;
  r->n = n;
  r->betas = ceas_malloc((size_t)M * sizeof *r->betas);
  r->acceptance = ceas_malloc((size_t)M * sizeof *r->acceptance);
  r->attempts = ceas_calloc((size_t)M, sizeof *r->attempts);
  r->e_mean = ceas_malloc((size_t)M * sizeof *r->e_mean);
  r->e_err = ceas_malloc((size_t)M * sizeof *r->e_err);
  r->e_series = ceas_malloc((size_t)(rounds_meas ? rounds_meas : 1) * (size_t)M * sizeof(double));
  r->best_config = ceas_malloc((size_t)n);
  return r->betas && r->acceptance && r->attempts && r->e_mean && r->e_err && r->e_series &&
         r->best_config;
}

int ceas_anneal_pt_agree(MPI_Comm comm, int rc) {
  int worst = rc;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, comm);
  if (worst && !rc) ceas_error_set(worst, "parallel tempering failed on another rank");
  return worst;
}

/* Binned mean and error of x (NaN error if the bins of ceas_measure_bin_size cannot
 * be long enough: a too-small error bar would be worse than none). */
void ceas_anneal_pt_binned(const double *x, size_t n, size_t stride, double *buf, double *mean,
                      double *err) {
  for (size_t i = 0; i < n; i++) buf[i] = x[i * stride];
  double tau = 0.5, terr;
  size_t win;
  if (n >= 2) ceas_measure_tau_int(buf, n, &tau, &terr, &win);
  int long_enough;
  size_t B = ceas_measure_bin_size(tau, n, &long_enough);
  double s = 0;
  for (size_t i = 0; i < n; i++) s += buf[i];
  *mean = n ? s / (double)n : NAN;
  if (!long_enough) {
    *err = NAN;
    return;
  }
  size_t nb = n / B;
  double *bins = malloc(nb * sizeof *bins), m;
  if (!bins) {
    *err = NAN;
    return;
  }
  ceas_measure_bin(buf, n, B, bins);
  ceas_measure_mean_error(bins, nb, &m, err);
  free(bins);
}

int ceas_anneal_pt_run(MPI_Comm comm, const ceas_anneal_problem *pb,
                       const ceas_anneal_pt_params *p, volatile sig_atomic_t *stop,
                       ceas_anneal_pt_result **out) {
  *out = NULL;
  int rank, ranks;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  int rc = ceas_anneal_pt_check_params(p);
  if (rc) return rc; /* the same on every rank: same arguments */
  const int M = p->temperatures;
  const int64_t n = pb->n;
  pt_state st = {0};
  st.pb = pb;
  st.key = (ceas_rng_key){p->seed, p->read};
  st.M = M;
  st.first = (int)((int64_t)rank * M / ranks);
  st.nloc = (int)((int64_t)(rank + 1) * M / ranks) - st.first;
  ceas_anneal_pt_result *r = ceas_calloc(1, sizeof *r);
  st.w = ceas_calloc((size_t)(st.nloc ? st.nloc : 1), sizeof *st.w);
  st.temp_of = ceas_malloc((size_t)M * sizeof *st.temp_of);
  st.walker_at = ceas_malloc((size_t)M * sizeof *st.walker_at);
  st.trip = ceas_calloc((size_t)M, sizeof *st.trip);
  st.E_all = ceas_malloc((size_t)M * sizeof *st.E_all);
  st.counts = ceas_malloc((size_t)ranks * sizeof *st.counts);
  st.displs = ceas_malloc((size_t)ranks * sizeof *st.displs);
  st.acc = ceas_calloc((size_t)M, sizeof *st.acc);
  st.att = ceas_calloc((size_t)M, sizeof *st.att);
  st.best = ceas_malloc((size_t)n);
  st.checked = ceas_malloc((size_t)(st.nloc ? st.nloc : 1) * sizeof *st.checked);
  for (int i = 0; st.checked && i < st.nloc; i++) st.checked[i] = INFINITY;
  const uint64_t rounds_meas = p->sweeps / p->exchange_every;
  int arrays = r && ceas_anneal_pt_result_arrays(r, M, n, rounds_meas);
  rc = !arrays || !st.w || !st.temp_of || !st.trip || !st.walker_at || !st.E_all || !st.counts ||
               !st.displs || !st.acc || !st.att || !st.best || !st.checked
           ? CEAS_ENOMEM
           : CEAS_OK;
  for (int i = 0; !rc && i < st.nloc; i++)
    rc = ceas_anneal_machine_alloc(pb, p->field_noise, p->sync, 0, &st.w[i]);
  if ((rc = ceas_anneal_pt_agree(comm, rc))) {
    state_free(&st);
    ceas_anneal_pt_result_free(r);
    return rc;
  }
  st.betas = r->betas;
  ceas_anneal_pt_initial_ladder(p, st.betas);
  for (int q = 0; q < ranks; q++) {
    st.displs[q] = (int)((int64_t)q * M / ranks);
    st.counts[q] = (int)((int64_t)(q + 1) * M / ranks) - st.displs[q];
  }
  for (int t = 0; t < M; t++) st.temp_of[t] = st.walker_at[t] = t;
  for (int i = 0; i < st.nloc; i++)
    ceas_anneal_machine_start_walker(&st.w[i], st.key, (uint64_t)(st.first + i),
                                CEAS_ANNEAL_PT_TAG_INIT, CEAS_ANNEAL_PT_TAG_SWEEP, p->seed,
                                p->read);
  st.best_E = INFINITY;

  const uint64_t tune_total = (uint64_t)p->tune_rounds * (p->tune_sweeps / p->exchange_every);
  const uint64_t rounds = tune_total + rounds_meas;
  const double tol = p->target_tol > 0 ? p->target_tol : 1e-9 * fmax(1.0, fabs(p->target));
  /* Running energies may drift by ~1e-6 abs_sum between refreshes (anneal_machine.h):
   * a walker that looks within `slack` of the target has its exact energy checked,
   * once per new low. */
  const double slack = 1e-6 * pb->abs_sum, noise = 1e-12 * pb->abs_sum;
  if (p->trace_every) {
    r->trace_len = rounds * p->exchange_every / p->trace_every;
    if (r->trace_len && !(r->trace = ceas_malloc((size_t)r->trace_len * sizeof *r->trace)))
      rc = CEAS_ENOMEM;
  }
  if ((rc = ceas_anneal_pt_agree(comm, rc))) {
    state_free(&st);
    ceas_anneal_pt_result_free(r);
    return rc;
  }
  double t0 = ceas_wtime();
  uint64_t sweep = 0, updates = 0;
  for (uint64_t k = 0; k < rounds && !rc; k++) {
    int hit = 0;
    for (uint64_t s = 0; s < p->exchange_every; s++, sweep++)
      for (int i = 0; i < st.nloc; i++) {
        anneal_machine *w = &st.w[i];
        ceas_anneal_machine_sweep(w, sweep, st.betas[st.temp_of[st.first + i]]);
        if (w->E < st.best_E) {
          st.best_E = w->E;
          st.best_sweep = sweep + 1;
          st.best_walker = st.first + i;
          memcpy(st.best, w->s, (size_t)n);
        }
        if (p->has_target && !r->reached && !hit && w->E <= p->target + tol + slack &&
            w->E < st.checked[i] - noise) {
          st.checked[i] = w->E;
          hit = ceas_anneal_energy(pb, w->s) <= p->target + tol;
        }
      }
    updates += p->exchange_every * (uint64_t)n * (uint64_t)M;
    for (int i = 0; i < st.nloc; i++) st.E_all[st.first + i] = st.w[i].E;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, st.E_all, st.counts, st.displs,
                   MPI_DOUBLE, comm);
    if (r->trace && sweep % p->trace_every == 0) {
      double emin = INFINITY;
      for (int q = 0; q < M; q++) emin = fmin(emin, st.E_all[q]);
      r->trace[sweep / p->trace_every - 1] = emin;
    }
    /* The exchange round: identical on every rank. */
    const int measuring = k >= tune_total;
    for (int t = (int)(k & 1); t + 1 < M; t += 2) {
      int a = st.walker_at[t], b = st.walker_at[t + 1];
      uint64_t u[4];
      ceas_rng_bits(st.key, k, (uint64_t)t, 0, CEAS_ANNEAL_PT_TAG_SWAP, u);
      double acc = ceas_anneal_pt_accept(st.betas[t], st.E_all[a], st.betas[t + 1], st.E_all[b]);
      st.att[t]++;
      if (ceas_rng_u01(u[0]) < acc) {
        st.acc[t]++;
        st.walker_at[t] = b, st.walker_at[t + 1] = a;
        st.temp_of[a] = t + 1, st.temp_of[b] = t;
      }
    }
    /* Round trips, tracked for every walker on every rank (cheap, identical). */
    int lo = st.walker_at[0], hi = st.walker_at[M - 1];
    if (st.trip[lo] == 2 && measuring) r->round_trips++;
    st.trip[lo] = 1;
    if (st.trip[hi] == 1) st.trip[hi] = 2;
    if (measuring) {
      double *row = r->e_series + (k - tune_total) * (size_t)M;
      for (int t = 0; t < M; t++) row[t] = st.E_all[st.walker_at[t]] / (double)n;
    }
    if (p->tune_rounds > 0 && k < tune_total &&
        (k + 1) % (p->tune_sweeps / p->exchange_every) == 0) {
      ceas_anneal_pt_retune(st.betas, M, st.acc, st.att);
      memset(st.acc, 0, (size_t)M * sizeof *st.acc);
      memset(st.att, 0, (size_t)M * sizeof *st.att);
    }
    /* One reduction for the stop request and the target. */
    int mine[2] = {stop && *stop, hit}, any[2] = {0, 0};
    MPI_Allreduce(mine, any, 2, MPI_INT, MPI_MAX, comm);
    if (any[1] && !r->reached) {
      r->reached = 1;
      r->sweeps_to_target = sweep;
      r->seconds_to_target = ceas_wtime() - t0;
    }
    if (p->progress) p->progress(p->progress_ctx, sweep, rounds * p->exchange_every);
    if (any[0]) rc = ceas_error_set(CEAS_EINTERRUPT, "parallel tempering interrupted");
  }
  if (rc) {
    state_free(&st);
    ceas_anneal_pt_result_free(r);
    return rc;
  }
  r->seconds = ceas_wtime() - t0;
  r->updates = updates;
  uint64_t deg = 0, deg_all = 0;
  for (int i = 0; i < st.nloc; i++) deg += ceas_anneal_machine_deg_sum(&st.w[i]);
  MPI_Allreduce(&deg, &deg_all, 1, MPI_UINT64_T, MPI_SUM, comm);
  ceas_anneal_cost one;
  ceas_anneal_cost_metropolis(pb, p->j_bits, 0, 0, &one); /* a walker's initial fields */
  ceas_anneal_cost_add(&r->cost, &one, (uint64_t)M);
  r->cost.spin_updates += updates;
  ceas_anneal_cost_rows(deg_all, p->j_bits, &r->cost);
  r->cost.bytes += rounds * 8 * (uint64_t)M;
  /* The best configuration: the rank holding the lowest energy (lowest rank if
   * tied) sends it to all. Its energy is recomputed exactly from the spins. */
  /* Ties (a degenerate minimum) go to the earliest (sweep, walker): the state a
   * one-rank run keeps, so the choice does not depend on the rank count. */
  double *cand = ceas_malloc(3 * (size_t)ranks * sizeof *cand);
  if (!cand) rc = CEAS_ENOMEM;
  if ((rc = ceas_anneal_pt_agree(comm, rc))) {
    state_free(&st);
    ceas_anneal_pt_result_free(r);
    return rc;
  }
  double mine[3] = {st.best_E, (double)st.best_sweep, (double)st.best_walker};
  MPI_Allgather(mine, 3, MPI_DOUBLE, cand, 3, MPI_DOUBLE, comm);
  int owner = 0;
  for (int q = 1; q < ranks; q++) {
    const double *a = cand + 3 * q, *b = cand + 3 * owner;
    if (a[0] < b[0] || (a[0] == b[0] && (a[1] < b[1] || (a[1] == b[1] && a[2] < b[2])))) owner = q;
  }
  r->best_sweep = (uint64_t)cand[3 * owner + 1];
  free(cand);
  if (rank == owner) memcpy(r->best_config, st.best, (size_t)n);
  MPI_Bcast(r->best_config, (int)n, MPI_INT8_T, owner, comm);
  r->best_energy = ceas_anneal_energy(pb, r->best_config);
  for (int t = 0; t + 1 < M; t++) {
    r->attempts[t] = st.att[t];
    r->acceptance[t] = st.att[t] ? (double)st.acc[t] / (double)st.att[t] : NAN;
  }
  r->sweeps_per_round_trip =
      r->round_trips ? (double)(rounds_meas * p->exchange_every) * M / (double)r->round_trips : NAN;
  r->n_series = rounds_meas;
  double *buf = ceas_malloc((size_t)(rounds_meas ? rounds_meas : 1) * sizeof *buf);
  if (!buf) rc = CEAS_ENOMEM;
  for (int t = 0; !rc && t < M; t++)
    ceas_anneal_pt_binned(r->e_series + t, (size_t)rounds_meas, (size_t)M, buf, &r->e_mean[t], &r->e_err[t]);
  free(buf);
  state_free(&st);
  if ((rc = ceas_anneal_pt_agree(comm, rc))) {
    ceas_anneal_pt_result_free(r);
    return rc;
  }
  *out = r;
  return CEAS_OK;
}
