/* Parallel tempering of ±J tori in the replica-packed kernel: 64 PT systems at
 * once, one packed state per temperature (contract in ceas_anneal_pt.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pt_private.h"
#include "ceas_msc.h"

#define S CEAS_ANNEAL_PT_SYSTEMS

void ceas_anneal_pt_msc_result_free(ceas_anneal_pt_msc_result *r) {
  if (!r) return;
  ceas_anneal_pt_result *a = &r->all;
  free(a->betas), free(a->acceptance), free(a->attempts), free(a->e_mean), free(a->e_err);
  free(a->e_series), free(a->best_config), free(a->trace);
  free(r->configs);
  free(r);
}

typedef struct {
  ceas_msc_glass **st; /* nloc states */
  int8_t *signs;
  int64_t *E_all;      /* M x S */
  int *counts, *displs;
  int *walker_at;      /* M x S: walker (configuration) at temperature t of system c */
  int *trip;           /* M x S walkers: round-trip state as in pt.c */
  uint64_t *words, *other;
  int8_t *best;        /* S x n: configurations this rank holds the best of */
  int *best_owner;     /* S: rank holding system c's best */
  uint64_t *acc, *att;
  double *buf;
  int nloc;
} msc_pt;

static void msc_pt_free(msc_pt *w) {
  for (int i = 0; w->st && i < w->nloc; i++) ceas_msc_glass_free(w->st[i]);
  free(w->st), free(w->signs), free(w->E_all), free(w->counts), free(w->displs);
  free(w->walker_at), free(w->trip), free(w->words), free(w->other), free(w->best);
  free(w->best_owner), free(w->acc), free(w->att), free(w->buf);
}

/* The rank holding temperature t: the contiguous-block rule of the displacements
 * (in units of S energies per state) inverted. */
static int owner_of(const msc_pt *w, int ranks, int t) {
  int q = 0;
  while (q + 1 < ranks && w->displs[q + 1] <= t * S) q++;
  return q;
}

/* Exchanges bit c of states t and t+1 where bit c of mask is set. */
static int swap_pair(MPI_Comm comm, msc_pt *w, int t, int first, int rank_lo, int rank_hi,
                     int rank, uint64_t mask, size_t nw) {
  if (!mask) return CEAS_OK;
  int lo_here = rank == rank_lo, hi_here = rank == rank_hi;
  if (lo_here && hi_here)
    return ceas_msc_glass_swap(w->st[t - first], w->st[t + 1 - first], &mask);
  if (!lo_here && !hi_here) return CEAS_OK;
  /* Across ranks: trade the two states' words, keep the other's bits under mask. */
  ceas_msc_glass *mine = w->st[(lo_here ? t : t + 1) - first];
  uint64_t done;
  ceas_msc_glass_get_state(mine, w->words, &done);
  int peer = lo_here ? rank_hi : rank_lo;
  MPI_Sendrecv(w->words, (int)nw, MPI_UINT64_T, peer, 7, w->other, (int)nw, MPI_UINT64_T, peer,
               7, comm, MPI_STATUS_IGNORE);
  for (size_t i = 0; i < nw; i++) w->words[i] ^= (w->words[i] ^ w->other[i]) & mask;
  ceas_msc_glass_set_state(mine, w->words, done);
  return CEAS_OK;
}

int ceas_anneal_pt_msc_run(MPI_Comm comm, const ceas_anneal_problem *pb,
                           const ceas_anneal_pt_params *p, volatile sig_atomic_t *stop,
                           ceas_anneal_pt_msc_result **out) {
  *out = NULL;
  int rank, ranks;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  int rc = ceas_anneal_pt_check_params(p);
  if (!rc && !ceas_anneal_sa_msc_applies(pb))
    rc = ceas_error_set(CEAS_EINPUT,
                        "pt in the packed kernel: only for generated ea2d/ea3d instances with "
                        "+-J bonds and an even L");
  if (!rc && p->temperatures < ranks)
    rc = ceas_error_set(CEAS_EINPUT,
                        "--temperatures: %d temperatures cannot be spread over %d ranks "
                        "(one packed state per temperature)",
                        p->temperatures, ranks);
  if (rc) return rc;
  const int M = p->temperatures;
  const int64_t n = pb->n;
  const int dim = pb->source == CEAS_ANNEAL_SRC_EA2D ? 2 : 3;
  const long L = (long)pb->n_param;
  const int first = (int)((int64_t)rank * M / ranks);
  msc_pt w = {0};
  w.nloc = (int)((int64_t)(rank + 1) * M / ranks) - first;
  const uint64_t rounds_meas = p->sweeps / p->exchange_every;
  const uint64_t tune_total = (uint64_t)p->tune_rounds * (p->tune_sweeps / p->exchange_every);
  const uint64_t rounds = tune_total + rounds_meas;
  const size_t nw = (size_t)n; /* state words: one per site at 64 replicas */
  ceas_anneal_pt_msc_result *r = ceas_calloc(1, sizeof *r);
  ceas_anneal_pt_result *a = r ? &r->all : NULL;
  w.st = ceas_calloc((size_t)w.nloc, sizeof *w.st);
  w.signs = ceas_malloc((size_t)n * (size_t)dim);
  w.E_all = ceas_malloc((size_t)M * S * sizeof *w.E_all);
  w.counts = ceas_malloc((size_t)ranks * sizeof *w.counts);
  w.displs = ceas_malloc((size_t)ranks * sizeof *w.displs);
  w.walker_at = ceas_malloc((size_t)M * S * sizeof *w.walker_at);
  w.trip = ceas_calloc((size_t)M * S, sizeof *w.trip);
  w.words = ceas_malloc(nw * sizeof *w.words);
  w.other = ceas_malloc(nw * sizeof *w.other);
  w.best = ceas_malloc(S * (size_t)n);
  w.best_owner = ceas_calloc(S, sizeof *w.best_owner);
  w.acc = ceas_calloc((size_t)M, sizeof *w.acc);
  w.att = ceas_calloc((size_t)M, sizeof *w.att);
  w.buf = ceas_malloc((size_t)(rounds_meas ? rounds_meas : 1) * sizeof *w.buf);
  int arrays = a && ceas_anneal_pt_result_arrays(a, M, n, rounds_meas);
  if (a) r->configs = ceas_malloc(S * (size_t)n);
  rc = !arrays || !w.st || !w.signs || !w.E_all || !w.counts || !w.displs || !w.walker_at ||
               !w.trip || !w.words || !w.other || !w.best || !w.best_owner || !w.acc ||
               !w.att || !w.buf || !r->configs
           ? CEAS_ENOMEM
           : CEAS_OK;
  if (!rc && p->trace_every) {
    a->trace_len = rounds * p->exchange_every / p->trace_every;
    if (a->trace_len && !(a->trace = ceas_malloc(S * (size_t)a->trace_len * sizeof *a->trace)))
      rc = CEAS_ENOMEM;
  }
  double unit = 1;
  if (!rc)
    rc = ceas_msc_glass_signs_from_csr(dim, L, n, pb->indptr, pb->indices, pb->J, w.signs, &unit);
  for (int i = 0; !rc && i < w.nloc; i++) {
    ceas_rng_key key = {p->seed, (uint64_t)S * p->read + (uint64_t)(first + i)};
    rc = ceas_msc_glass_alloc(dim, L, S, key, CEAS_MSC_HOT, w.signs, &w.st[i]);
    if (!rc) ceas_msc_glass_set_antithetic(w.st[i], 1);
  }
  if ((rc = ceas_anneal_pt_agree(comm, rc))) {
    msc_pt_free(&w);
    ceas_anneal_pt_msc_result_free(r);
    return rc;
  }
  ceas_anneal_pt_initial_ladder(p, a->betas);
  for (int q = 0; q < ranks; q++) {
    w.displs[q] = (int)((int64_t)q * M / ranks) * S;
    w.counts[q] = (int)((int64_t)(q + 1) * M / ranks) * S - w.displs[q];
  }
  for (int i = 0; i < M * S; i++) w.walker_at[i] = i;
  for (int c = 0; c < S; c++) r->best_energy[c] = INFINITY;
  const double tol = p->target_tol > 0 ? p->target_tol : 1e-9 * fmax(1.0, fabs(p->target));
  const ceas_rng_key xkey = {p->seed, p->read};
  double t0 = ceas_wtime();
  uint64_t sweep = 0;
  for (uint64_t k = 0; k <= rounds && !rc; k++) {
    /* Round k: energies of the states reached, bests, the exchange; round 0 sees
     * the initial states. */
    for (int i = 0; i < w.nloc && !rc; i++)
      rc = ceas_msc_glass_energy(w.st[i], w.E_all + (size_t)(first + i) * S);
    if ((rc = ceas_anneal_pt_agree(comm, rc))) break;
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, w.E_all, w.counts, w.displs,
                   MPI_INT64_T, comm);
    for (int t = 0; t < M; t++)
      for (int c = 0; c < S; c++) {
        double e = unit * (double)w.E_all[t * S + c];
        if (e < r->best_energy[c]) {
          r->best_energy[c] = e;
          r->best_sweep[c] = sweep;
          int owner = owner_of(&w, ranks, t);
          w.best_owner[c] = owner;
          if (owner == rank)
            ceas_msc_glass_get_replica(w.st[t - first], c, w.best + (size_t)c * (size_t)n);
        }
        if (p->has_target && !r->reached[c] && e <= p->target + tol) {
          r->reached[c] = 1;
          r->sweeps_to_target[c] = sweep;
          r->seconds_to_target[c] = ceas_wtime() - t0;
        }
      }
    if (a->trace && k > 0 && sweep % p->trace_every == 0)
      for (int c = 0; c < S; c++) {
        double emin = INFINITY;
        for (int t = 0; t < M; t++) emin = fmin(emin, unit * (double)w.E_all[t * S + c]);
        a->trace[(size_t)c * a->trace_len + sweep / p->trace_every - 1] = emin;
      }
    const int measuring = k > tune_total;
    if (measuring) {
      double *row = a->e_series + (k - 1 - tune_total) * (size_t)M;
      for (int t = 0; t < M; t++) {
        double s = 0;
        for (int c = 0; c < S; c++) s += (double)w.E_all[t * S + c];
        row[t] = unit * s / S / (double)n;
      }
    }
    if (k == rounds) break;
    if (k > 0 && p->tune_rounds > 0 && k <= tune_total &&
        k % (p->tune_sweeps / p->exchange_every) == 0) {
      ceas_anneal_pt_retune(a->betas, M, w.acc, w.att);
      memset(w.acc, 0, (size_t)M * sizeof *w.acc);
      memset(w.att, 0, (size_t)M * sizeof *w.att);
    }
    /* The exchange, identical on every rank; swaps applied where the states live. */
    for (int t = (int)(k & 1); t + 1 < M && !rc; t += 2) {
      uint64_t mask = 0;
      for (int c = 0; c < S; c += 4) {
        uint64_t u[4];
        ceas_rng_bits(xkey, k, (uint64_t)t, (uint64_t)c, CEAS_ANNEAL_PT_TAG_SWAP, u);
        for (int j = 0; j < 4; j++) {
          double e_lo = unit * (double)w.E_all[t * S + c + j];
          double e_hi = unit * (double)w.E_all[(t + 1) * S + c + j];
          double pa = ceas_anneal_pt_accept(a->betas[t], e_lo, a->betas[t + 1], e_hi);
          w.att[t]++;
          if (ceas_rng_u01(u[j]) < pa) {
            w.acc[t]++;
            mask |= UINT64_C(1) << (c + j);
            int *lo = &w.walker_at[t * S + c + j], *hi = &w.walker_at[(t + 1) * S + c + j];
            int tmp = *lo;
            *lo = *hi, *hi = tmp;
          }
        }
      }
      rc = swap_pair(comm, &w, t, first, owner_of(&w, ranks, t), owner_of(&w, ranks, t + 1),
                     rank, mask, nw);
    }
    for (int c = 0; c < S; c++) {
      int lo = w.walker_at[c], hi = w.walker_at[(M - 1) * S + c];
      if (w.trip[lo] == 2 && measuring) a->round_trips++;
      w.trip[lo] = 1;
      if (w.trip[hi] == 1) w.trip[hi] = 2;
    }
    for (int i = 0; i < w.nloc && !rc; i++)
      rc = ceas_msc_glass_sweep(w.st[i], a->betas[first + i], p->exchange_every);
    sweep += p->exchange_every;
    if (p->progress) p->progress(p->progress_ctx, sweep, rounds * p->exchange_every);
    int stopping = stop && *stop, any = 0;
    MPI_Allreduce(&stopping, &any, 1, MPI_INT, MPI_MAX, comm);
    if (any && !rc) rc = ceas_error_set(CEAS_EINTERRUPT, "parallel tempering interrupted");
    rc = ceas_anneal_pt_agree(comm, rc);
  }
  if (!rc) {
    a->seconds = ceas_wtime() - t0;
    a->updates = sweep * (uint64_t)n * (uint64_t)M * S;
    for (int c = 0; c < S; c++) {
      if (rank == w.best_owner[c])
        memcpy(r->configs + (size_t)c * (size_t)n, w.best + (size_t)c * (size_t)n, (size_t)n);
      MPI_Bcast(r->configs + (size_t)c * (size_t)n, (int)n, MPI_INT8_T, w.best_owner[c], comm);
      r->best_energy[c] = ceas_anneal_energy(pb, r->configs + (size_t)c * (size_t)n);
    }
    int b = 0;
    for (int c = 1; c < S; c++)
      if (r->best_energy[c] < r->best_energy[b]) b = c;
    a->best_energy = r->best_energy[b];
    a->best_sweep = r->best_sweep[b];
    memcpy(a->best_config, r->configs + (size_t)b * (size_t)n, (size_t)n);
    for (int c = 0; c < S; c++) a->reached |= r->reached[c];
    for (int t = 0; t + 1 < M; t++) {
      a->attempts[t] = w.att[t];
      a->acceptance[t] = w.att[t] ? (double)w.acc[t] / (double)w.att[t] : NAN;
    }
    a->sweeps_per_round_trip =
        a->round_trips ? (double)(rounds_meas * p->exchange_every) * M * S / (double)a->round_trips
                       : NAN;
    a->n_series = rounds_meas;
    for (int t = 0; t < M; t++)
      ceas_anneal_pt_binned(a->e_series + t, (size_t)rounds_meas, (size_t)M, w.buf, &a->e_mean[t],
                       &a->e_err[t]);
  }
  msc_pt_free(&w);
  if (rc) {
    ceas_anneal_pt_msc_result_free(r);
    return rc;
  }
  *out = r;
  return CEAS_OK;
}
