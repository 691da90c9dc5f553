/* A Metropolis walker on a general problem with exact (double) local fields:
 * what parallel tempering and the CEAS thermostat run (sa has its own float32 /
 * int16 fast paths). Shared between the files of src/anneal; not installed.
 *
 * Sweep `sweep` of walker `id` under key K visits sites 0 .. n-1 in order; site i
 * draws word i % 4 of ceas_rng_bits(K, sweep, i / 4, id, tag) and flips with
 * probability min(1, e^{-beta dE}) for dE != 0 and 1/2 for dE = 0 (the top bit),
 * dE = 2 s_i f_i, f_i = sum_j J_ij s_j + h_i. Initial spins: bit i % 64 of word
 * (i % 256) / 64 of ceas_rng_bits(K, 0, i / 256, id, init_tag). The energy is the
 * exact initial energy plus the accepted dE's, so a walker is a pure function of
 * (problem, K, id, betas) wherever it runs. init also zeroes deg_sum.
 *
 * The NPU hardware model (anneal_walker_model; off after alloc):
 *  - field noise: site i decides with f_i + nu_i, nu_i the field noise of
 *    (sweep, site id n4 + i) of the read's stream (ceas_anneal_noise_fill, sigma =
 *    sigma_rel x field scale, in the fields' absolute units); the energy and the
 *    fields stay exact (the noise only perturbs the decision);
 *  - sync: every site decides from the fields at the start of the sweep (same
 *    random words as above), then the accepted flips are applied in site order,
 *    each adding its exact dE at the moment it is applied (their sum is the exact
 *    energy change of flipping them all).
 * With neither, the sweep is the ideal one, bit for bit. Every sweep adds the
 * degrees of the sites it flips to deg_sum (the cost model's row updates). */
#ifndef CEAS_ANNEAL_WALK_H
#define CEAS_ANNEAL_WALK_H

#include "anneal_npu.h"
#include "ceas_anneal.h"

typedef struct {
  int8_t *s;
  double *f;
  double E;
  /* NPU model */
  int sync;
  ceas_anneal_noise noise; /* sigma 0: none */
  uint64_t noise_site0;    /* id n4 */
  float *nz;               /* n: the current sweep's noise (allocated on demand) */
  int64_t *flips;          /* n: sync's accepted sites (allocated on demand) */
  uint64_t deg_sum;        /* sum of the degrees of all accepted flips */
} anneal_walker;

int anneal_walker_alloc(int64_t n, anneal_walker *w);
void anneal_walker_free(anneal_walker *w);
void anneal_walker_init(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t id,
                        uint64_t init_tag, anneal_walker *w);
/* Sets the NPU model of walker id for read (seed, read): sync updates (0/1) and
 * field noise sigma_rel (0: none). CEAS_ENOMEM possible. */
int anneal_walker_model(anneal_walker *w, const ceas_anneal_problem *pb, int sync,
                        double sigma_rel, uint64_t seed, uint64_t read, uint64_t id);
/* Returns the number of accepted flips. */
uint64_t anneal_walker_sweep(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t sweep,
                             uint64_t id, uint64_t tag, double beta, anneal_walker *w);

#endif
