/* The single-spin Metropolis machine with local-field bookkeeping: the state and
 * the sweep that sa, ceas and pt (on general graphs) all run. Shared between the
 * files of src/anneal; not installed.
 *
 * State: spins s (int8) and local fields f_i = (sum_j J_ij s_j + h_i) / unit, unit
 * the common coupling magnitude when there is one (pb->unit; else 1), so that a
 * flip of i costs dE_i = 2 unit s_i f_i to evaluate. An accepted flip adds
 * -2 s_i(old) J_ji / unit to every f_j: one contiguous axpy over row i of the dense
 * copy (float32 rows, or int8 signs when all |J| are equal), vectorised with an
 * AVX2 clone where the CPU has it, or one indexed update per CSR neighbour.
 * A rejected flip touches nothing.
 *
 * Paths: with ±1 couplings (in units) and no field the fields are int16 integers
 * (|f| <= degree < 2^15) and a flip adds ±2 x (int8 row of the dense copy: 1 byte
 * of couplings and 2 of fields per neighbour instead of 4 + 4), or ±2 x the CSR
 * signs; acceptance thresholds are tabulated per sweep. Otherwise float32 fields.
 * In units, float32 fields of ±1 couplings are exact integers too, so the int16,
 * dense float32/int8 and sparse paths compute the same numbers; with general
 * couplings the dense and sparse float paths still add the very same products in
 * the same order (a dense row holds exact zeros elsewhere, and ISO C mode forbids
 * fused multiply-adds). Every path makes the same decisions: tests compare them
 * bit for bit, and the AVX2 loops against the baseline ones. CEASIM_SA_FLOAT=1
 * forces float fields, CEASIM_NO_AVX2=1 the baseline loops.
 *
 * Sweep k of a chain at beta makes n updates: sites 0 .. n-1 in order (sequential)
 * or n sites drawn uniformly (random order: update t picks floor(w_t n / 2^32) from
 * its own 32-bit word, a bias below n / 2^32). Update t accepts iff
 * x = beta unit dE_u <= 0 or u_t < e^-x 2^32, u_t word t of the Philox4x32 blocks
 * (t/4, k low, k high) under the chain's key (the site words: blocks from 2^32 on):
 * exact Metropolis up to float32 rounding of e^-x (relative 2^-24) and the 2^-32
 * resolution of u (x > 22.18, where e^-x < 2^-32, is rejected outright). A move
 * with dE = 0 is always accepted in sa's chains (as in neal)
 * and with probability 1/2 (the top bit of u_t) in walkers, which sample: with
 * a(0) = 1 a fixed visiting order can be reducible (deterministic zero-field
 * cycles, docs/design.md), a(0) = 1/2 keeps detailed balance and removes them.
 *
 * Energy: E is the energy of the spins when the chain starts, plus the accepted
 * changes. General couplings leave rounding drift in float32 fields; every
 * ANNEAL_MACHINE_REFRESH sweeps fields and E are recomputed from the couplings in
 * double (±1 couplings without field need no refresh: nothing drifts, E is exact).
 * Between refreshes E is within ~1e-6 abs_sum of the exact energy: callers that
 * act on E (a best state, a target) confirm with ceas_anneal_energy.
 *
 * The NPU model: with field noise, update t decides with f_i + nu_t, nu_t the
 * field noise of (seed, read, k, site0 + t) in units of pb->unit; with sync the
 * accepted sites are collected and flipped after the last decision (each flip
 * adding its exact dE). With neither, the sweep is the ideal one, bit for bit.
 *
 * Cost: deg_sum is the sum of the degrees of the accepted flips (the cost model's
 * row updates): counted per flip on irregular graphs and under the NPU model,
 * flips x degree on regular ones. */
#ifndef CEAS_ANNEAL_MACHINE_H
#define CEAS_ANNEAL_MACHINE_H

#include "anneal_npu.h"
#include "ceas_anneal.h"

#define ANNEAL_MACHINE_REFRESH 256

typedef void (*anneal_axpy_fn)(int64_t n, float c, const float *restrict a, float *restrict y);
typedef void (*anneal_axpy8_fn)(int64_t n, float c, const int8_t *restrict a, float *restrict y);
typedef void (*anneal_axpy16_fn)(int64_t n, int c, const int8_t *restrict a,
                                 int16_t *restrict y);

typedef struct {
  const ceas_anneal_problem *pb;
  int8_t *s;      /* n spins: written by the caller before ceas_anneal_machine_start */
  float *f;       /* local fields in units of pb->unit (float path) */
  int16_t *f16;   /* the same as exact integers (int path), or NULL */
  float *thr;     /* int path: acceptance thresholds by |f| (kcap entries) */
  int64_t kcap;   /* int path: 1 + the largest |f| (the largest degree) */
  int8_t *sgn;    /* int path without dense copy: the CSR couplings' signs */
  uint32_t *u;    /* 4 ceil(n/4) acceptance words, then as many site words */
  int64_t nblk;   /* Philox blocks per sweep and purpose */
  anneal_axpy_fn axpy;
  anneal_axpy8_fn axpy8;
  anneal_axpy16_fn axpy16;
  int random;     /* random site order */
  int sync;       /* NPU model: synchronous updates */
  int model;      /* field noise or sync: the NPU sweep */
  double noise_rel; /* field noise relative to the field scale (0: none) */
  float *nz;      /* n: the sweep's field noise, by update slot (noise only) */
  int64_t *flip;  /* n: sync's accepted sites */
  int64_t deg0;   /* the common degree of a regular graph, else -1 */
  int exact;      /* ±1 couplings without field: no drift, no refresh */
  int zero_half;  /* accept x = 0 with probability 1/2 (walkers) */
  /* the chain */
  ceas_rng_key32 key;
  ceas_anneal_noise noise; /* the chain's field-noise stream (noise_rel > 0) */
  uint64_t noise_site0;
  double E;       /* running energy */
  double E0;      /* energy at the last refresh */
  double e_u;     /* accepted changes since, in units */
  uint64_t since; /* sweeps since the last refresh */
  uint64_t flips;
  uint64_t deg_counted;
} anneal_machine;

/* The machine for pb with the given NPU model (field_noise relative to the field
 * scale, 0: none; sync 0/1) and site order (random 0/1). CEAS_ENOMEM possible. */
int ceas_anneal_machine_alloc(const ceas_anneal_problem *pb, double field_noise, int sync, int random,
                         anneal_machine *m);
void ceas_anneal_machine_free(anneal_machine *m);
/* Starts a chain from the spins in m->s: fields and energy from scratch, counters
 * zeroed, its sweeps drawn under `key`, its noise from the field-noise stream of
 * (seed, read) at sites noise_site0 + t (a multiple of 4: ceas_anneal_noise_fill). */
void ceas_anneal_machine_start(anneal_machine *m, ceas_rng_key32 key, uint64_t seed, uint64_t read,
                          uint64_t noise_site0);
/* Starts walker `id` of a chain family under `key` (pt's walkers, ceas's one):
 * initial spin i = -1 iff bit i % 64 of word (i % 256) / 64 of
 * ceas_rng_bits(key, 0, i / 256, id, init_tag); sweeps under a 32-bit key that is a
 * pure function of (key, id, sweep_tag); field noise at sites id n4 .. id n4 + n - 1
 * of (seed, read), n4 = 4 ceil(n / 4); x = 0 moves accepted with probability 1/2.
 * A walker is thus a pure function of
 * (problem, key, id, betas) wherever it runs. */
void ceas_anneal_machine_start_walker(anneal_machine *m, ceas_rng_key key, uint64_t id,
                                 uint64_t init_tag, uint64_t sweep_tag, uint64_t seed,
                                 uint64_t read);
/* Sweep k of the chain at beta; returns the number of accepted flips. */
uint64_t ceas_anneal_machine_sweep(anneal_machine *m, uint64_t k, double beta);
/* Row updates so far (see Cost above). */
uint64_t ceas_anneal_machine_deg_sum(const anneal_machine *m);
/* The local fields in the problem's units (f_i unit), for controllers that read them. */
void ceas_anneal_machine_fields(const anneal_machine *m, double *out);

#endif
