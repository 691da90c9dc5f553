/* Shared between the lattice module's sources; not installed. */
#ifndef CEAS_LATTICE_PRIVATE_H
#define CEAS_LATTICE_PRIVATE_H

#include "ceas_lattice.h"

/* Third counter word: what a draw is for, so that no two purposes ever share a
 * random number. */
enum {
  CEAS_TAG_INIT = 1,
  CEAS_TAG_METROPOLIS = 2,
  CEAS_TAG_HEATBATH = 3,
  CEAS_TAG_WOLFF = 4,
  CEAS_TAG_SW_BOND = 5,
  CEAS_TAG_SW_FLIP = 6
};

struct ceas_lattice_work {
  int64_t *order;     /* site visiting order of single-spin sweeps (lattices) */
  int64_t *stack;     /* Wolff cluster stack */
  int64_t *parent;    /* Swendsen–Wang union-find */
  int64_t *size;
  double *padd;       /* per CSR entry: 1 - exp(-2 beta J), for cached_beta */
  double cached_beta; /* NaN until padd is filled */
};

/* Fills w->padd for beta unless it is already cached. */
void ceas_lattice_bond_probabilities(const ceas_lattice_system *sys,
                                     ceas_lattice_work *w, double beta);

/* Word `slot` (0..3) of the Philox block (sweep, block, tag). */
static inline uint64_t ceas_lattice_draw(ceas_rng_key key, uint64_t sweep,
                                         uint64_t index, unsigned tag) {
  uint64_t b[4];
  ceas_rng_bits(key, sweep, index >> 2, tag, 0, b);
  return b[index & 3u];
}

#endif
