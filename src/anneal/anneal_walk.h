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
 * (problem, K, id, betas) wherever it runs. */
#ifndef CEAS_ANNEAL_WALK_H
#define CEAS_ANNEAL_WALK_H

#include "ceas_anneal.h"

typedef struct {
  int8_t *s;
  double *f;
  double E;
} anneal_walker;

int anneal_walker_alloc(int64_t n, anneal_walker *w);
void anneal_walker_free(anneal_walker *w);
void anneal_walker_init(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t id,
                        uint64_t init_tag, anneal_walker *w);
/* Returns the number of accepted flips. */
uint64_t anneal_walker_sweep(const ceas_anneal_problem *pb, ceas_rng_key key, uint64_t sweep,
                             uint64_t id, uint64_t tag, double beta, anneal_walker *w);

#endif
