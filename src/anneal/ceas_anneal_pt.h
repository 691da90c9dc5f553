/*
 * ceas_anneal_pt — parallel tempering (replica exchange) over MPI ranks, on any
 * problem of ceas_anneal.h: one run (ceas_anneal_pt_run), and pt as a method of
 * ceas_anneal.h's table whose reads are runs. Part of the anneal module, in its
 * own header because it needs mpi.h (ceas_anneal.h does not).
 *
 * Walkers and temperatures. M walkers (configurations) and a ladder of M inverse
 * temperatures beta_0 < ... < beta_{M-1}. Walker w lives on rank w R / M (R ranks;
 * contiguous blocks) for the whole run and never moves: an exchange swaps the
 * temperatures of two walkers, not their spins, so a swap costs no communication
 * beyond the M energies every rank receives (MPI_Allgatherv) each exchange round.
 *
 * Sweep of a walker at beta: a sweep of the local-field machine of
 * anneal_machine.h (the one sa runs: int16 or float32 fields, dense or sparse rows,
 * AVX2), sites 0 .. n-1 in order, Metropolis acceptance min(1, e^{-beta dE}). The
 * walker's running energy is a pure function of the walker, so the same number on
 * any rank count; with general couplings it carries float32 drift between the
 * machine's refreshes (~1e-6 abs_sum), so a target is confirmed with the exact
 * energy of the walker's spins and the reported best energy is recomputed exactly.
 *
 * Exchange round k (after every `exchange_every` sweeps): pairs of neighbouring
 * temperatures (t, t+1) for t = k mod 2, k mod 2 + 2, ...; the walkers a (at t) and
 * b (at t+1) swap temperatures with probability
 *     min(1, exp((beta_{t+1} - beta_t)(E_b - E_a)))
 * (ceas_anneal_pt_accept), the uniform drawn from Philox (seed, read) at counter
 * (round, t, 0, TAG_SWAP). Every rank takes every decision from the same energies and
 * the same numbers, so all ranks hold the same permutation.
 *
 * Random numbers: walker w is ceas_anneal_machine_start_walker's walker w under the key
 * (seed, read), tags TAG_INIT and TAG_SWEEP. So a run is a pure
 * function of (problem, parameters, seed, read): bitwise the same on any number of
 * ranks (tested on 1, 2 and 3).
 *
 * Ladder. Default geometric from beta_min to beta_max. With tune_rounds > 0 the
 * first tune_rounds x tune_sweeps sweeps re-place the inner temperatures for uniform
 * exchange acceptance: after each round the gap t has "resistance" w_t = -ln A_t
 * (A_t its measured acceptance, floored at 1e-3) and the betas are moved so that each
 * gap carries an equal share of the total resistance (piecewise-linear inverse of
 * the cumulative resistance over the old betas). For Gaussian energy histograms
 * -ln A ~ (dbeta)^2 C / 2 per gap locally, so equal shares mean equal acceptance. The
 * endpoints never move; statistics restart after tuning. The default here is 0 (a
 * fixed ladder, what the sampling tests need); `ceasim anneal` tunes 4 rounds of 1000
 * sweeps by default: on 3D ±J L = 8 with 16 temperatures the geometric ladder had
 * acceptance 0.002 mid-ladder and no round trip in 64 reads, the tuned one 0.12-0.20
 * in every gap and 95 round trips.
 *
 * Reported: per gap the exchange acceptance (after tuning); round trips (a walker
 * that has touched beta_0 reaches beta_{M-1} and then beta_0 again) with the mean
 * sweeps per round trip; per temperature <E>/n with a binned error; the best energy
 * seen by any walker, its configuration and the sweep it was first reached; sweeps
 * and wall time to a target energy.
 *
 * Errors: CEAS_EINPUT for bad parameters (naming them), CEAS_ENOMEM; every rank
 * returns the same status. Collective: all ranks call with the same arguments.
 */
#ifndef CEAS_ANNEAL_PT_H
#define CEAS_ANNEAL_PT_H

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

#include "ceas_anneal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEAS_ANNEAL_PT_TAG_SWEEP UINT64_C(0x7074000001)
#define CEAS_ANNEAL_PT_TAG_SWAP UINT64_C(0x7074000002)
#define CEAS_ANNEAL_PT_TAG_INIT UINT64_C(0x7074000003)

typedef struct {
  int temperatures;         /* M >= 2 */
  double beta_min, beta_max;/* 0 <= beta_min < beta_max, finite */
  const double *ladder;     /* optional: M increasing betas (overrides min/max) */
  uint64_t sweeps;          /* measured sweeps after tuning, >= 1 */
  uint64_t exchange_every;  /* sweeps between exchange rounds, >= 1 */
  int tune_rounds;          /* >= 0 */
  uint64_t tune_sweeps;     /* sweeps per tuning round (>= 1 if tune_rounds > 0) */
  uint64_t seed;
  uint64_t read;            /* the read number: key (seed, read) */
  int has_target;
  double target, target_tol;/* reached when E <= target + tol */
  /* The NPU hardware model (anneal_machine.h; 0: the ideal walkers): */
  int sync;                 /* synchronous sweeps */
  double field_noise;       /* field noise sigma relative to the field scale, >= 0 */
  int j_bits;               /* coupling precision for the cost model */
  /* Energy trace: every trace_every sweeps (0: none; a multiple of exchange_every,
   * counting the tuning sweeps) the lowest energy held by any walker at that
   * moment. */
  uint64_t trace_every;
  /* Called after every exchange round with the sweeps done and the run's total
   * (tuning included), on the ranks where it is set (NULL: none). */
  void (*progress)(void *ctx, uint64_t sweeps, uint64_t total);
  void *progress_ctx;
} ceas_anneal_pt_params;

void ceas_anneal_pt_params_default(ceas_anneal_pt_params *p);

typedef struct {
  int M;
  int64_t n;
  double *betas;            /* M: the ladder used for the measured sweeps */
  double *acceptance;       /* M - 1: per gap, measured sweeps */
  uint64_t *attempts;       /* M - 1 */
  uint64_t round_trips;     /* all walkers, measured sweeps */
  double sweeps_per_round_trip; /* measured sweeps x M / round trips (NaN if none) */
  double *e_mean, *e_err;   /* M: <E>/n per temperature, binned error (NaN if short) */
  double *e_series;         /* n_series x M: E/n of each temperature after every
                               exchange round of the measured sweeps, time-major */
  uint64_t n_series;
  double best_energy;
  uint64_t best_sweep;      /* first sweep (counting tuning) at which it was held */
  int8_t *best_config;      /* n */
  int reached;
  uint64_t sweeps_to_target;
  double seconds_to_target;
  uint64_t updates;         /* spin updates attempted, all walkers */
  double seconds;
  /* The machine's work, all walkers: each walker's initial fields, n updates per
   * sweep and the row update of every flip, plus per exchange round the M energies
   * (8 bytes each) read by the exchange logic. */
  ceas_anneal_cost cost;
  double *trace;            /* trace_len (packed: 64 x trace_len, system-major) */
  uint64_t trace_len;       /* total sweeps / trace_every */
} ceas_anneal_pt_result;

/* ---- the packed kernel: 64 PT systems at once on ±J tori -------------------
 *
 * On a generated ea2d/ea3d instance with ±J bonds and even L (ceas_anneal_sa_msc
 * conditions), each temperature t is one ceas_msc_glass state of 64 replicas under
 * the key (seed, 64 read + t) with antithetic uniforms; bit c of every state
 * together is PT system c: after each exchange round, for every pair (t, t+1) of
 * the round's parity and every c, the configurations of bit c of states t and t+1
 * are exchanged (ceas_msc_glass_swap, a masked XOR; across ranks the two states'
 * words are traded with MPI_Sendrecv) with probability ceas_anneal_pt_accept,
 * the uniform from Philox (seed, read) counter (round, t, c, TAG_SWAP). States
 * (temperatures) are spread over the ranks in contiguous blocks; energies of all
 * states are allgathered each round. Results per system c (its best energy over
 * every temperature, configuration, sweep, target) in the arrays below; the
 * ladder, acceptances (averaged over the systems), round trips (all systems) and
 * <E>/n per temperature (the system average, binned in time) in `all`. A run is
 * bitwise the same on any number of ranks. Energies are counted every exchange
 * round. */
#define CEAS_ANNEAL_PT_SYSTEMS 64
typedef struct {
  ceas_anneal_pt_result all;
  double best_energy[CEAS_ANNEAL_PT_SYSTEMS];
  uint64_t best_sweep[CEAS_ANNEAL_PT_SYSTEMS];
  int reached[CEAS_ANNEAL_PT_SYSTEMS];
  uint64_t sweeps_to_target[CEAS_ANNEAL_PT_SYSTEMS];
  double seconds_to_target[CEAS_ANNEAL_PT_SYSTEMS];
  int8_t *configs; /* 64 x n */
} ceas_anneal_pt_msc_result;

int ceas_anneal_pt_msc_run(MPI_Comm comm, const ceas_anneal_problem *pb,
                           const ceas_anneal_pt_params *p, volatile sig_atomic_t *stop,
                           ceas_anneal_pt_msc_result **out);
void ceas_anneal_pt_msc_result_free(ceas_anneal_pt_msc_result *r);

/* ---- pt as a method of the table: reads over MPI ranks ---------------------
 *
 * ceas_anneal_method_pt runs read r as one ceas_anneal_pt_run under the key
 * (seed, r), collective over `comm`: ladder p->schedule->beta0 .. beta1 (geometric
 * before tuning), p->schedule->sweeps measured sweeps after tune_rounds x
 * tune_sweeps tuning ones; the read's best energy is the lowest any walker held
 * (also its final energy), its updates those of all walkers, its trace the lowest
 * energy held at each trace point (a multiple of exchange_every, counting the
 * tuning sweeps). ceas_anneal_method_pt_packed (ceas_anneal_method_kernel picks
 * it) runs 64 reads at once in ceas_anneal_pt_msc_run: read r is system r % 64 of
 * the run with read number r / 64, charged 1/64 of its time and updates, with the
 * run's ladder and acceptances. The result's `pt` holds the ladder statistics of
 * every read. MPI must be initialised (CEAS_EINPUT if not). */
typedef struct {
  MPI_Comm comm;           /* the ranks the walkers spread over [MPI_COMM_WORLD] */
  int temperatures;        /* M [16] */
  uint64_t exchange_every; /* [1] */
  int tune_rounds;         /* [4] */
  uint64_t tune_sweeps;    /* [1000] */
} ceas_anneal_pt_reads_params;

void ceas_anneal_pt_reads_params_default(ceas_anneal_pt_reads_params *p);

extern const ceas_anneal_method ceas_anneal_method_pt, ceas_anneal_method_pt_packed;

/* Exchange acceptance of walkers with energies e_lo at beta_lo and e_hi at beta_hi. */
double ceas_anneal_pt_accept(double beta_lo, double e_lo, double beta_hi, double e_hi);

/* Collective. *out valid on every rank. */
int ceas_anneal_pt_run(MPI_Comm comm, const ceas_anneal_problem *pb,
                       const ceas_anneal_pt_params *p, volatile sig_atomic_t *stop,
                       ceas_anneal_pt_result **out);
void ceas_anneal_pt_result_free(ceas_anneal_pt_result *r);

#ifdef __cplusplus
}
#endif

#endif
