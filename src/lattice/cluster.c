/* Cluster kernels: Wolff (1989) single-cluster and Swendsen–Wang (1987).
 * Both are exact only for J_ij >= 0 and h = 0 (ceas_lattice_kernel_check). */

#include "lattice_private.h"

/* A bond of probability p is drawn by comparing a uniform 64-bit word with
 * p 2^64: one integer compare, no conversion. p = 1 - exp(-2 beta J) < 1 for
 * finite beta, so the threshold fits (and p = 1 at beta = inf is excluded). */
static inline uint64_t bond_threshold(double p) {
  return p >= 1.0 ? UINT64_MAX : (uint64_t)(p * 0x1.0p64);
}

int64_t ceas_lattice_wolff_step(ceas_lattice_state *st, double beta,
                                ceas_rng_seq *rng) {
  const ceas_lattice_system *sys = st->sys;
  ceas_lattice_work *w = st->work;
  int8_t *s = st->spins;
  ceas_lattice_bond_probabilities(sys, w, beta);
  const int64_t *indptr = sys->indptr;
  const int32_t *indices = sys->indices;
  int64_t seed = (int64_t)ceas_rng_below(ceas_rng_seq_next(rng), (uint64_t)sys->n);
  int8_t old = s[seed];
  /* Spins are flipped when they join, so "s_j == old" means "not yet in the
   * cluster": no separate visited array, and a repeated neighbour (L = 2)
   * gets its second, independent chance exactly as a doubled bond should. */
  s[seed] = (int8_t)-old;
  int64_t top = 0, size = 1;
  w->stack[top++] = seed;
  if (sys->uniform_ferro) {
    /* Lattices: one bond probability, no per-bond table to stream through. */
    uint64_t thr = bond_threshold(w->padd[0]);
    while (top > 0) {
      int64_t i = w->stack[--top];
      for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
        int32_t j = indices[k];
        if (s[j] == old && ceas_rng_seq_next(rng) < thr) {
          s[j] = (int8_t)-old;
          w->stack[top++] = j;
          size++;
        }
      }
    }
    return size;
  }
  while (top > 0) {
    int64_t i = w->stack[--top];
    for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
      int32_t j = indices[k];
      if (s[j] != old || w->padd[k] == 0.0) continue;
      if (ceas_rng_seq_u01(rng) < w->padd[k]) {
        s[j] = (int8_t)-old;
        w->stack[top++] = j;
        size++;
      }
    }
  }
  return size;
}

static int wolff_sweep(ceas_lattice_state *st, double beta) {
  for (long c = 0; c < st->wolff_clusters; c++) {
    ceas_rng_seq rng;
    ceas_rng_seq_init(&rng, st->key, st->sweep, (uint64_t)c, CEAS_TAG_WOLFF);
    st->flipped += (uint64_t)ceas_lattice_wolff_step(st, beta, &rng);
  }
  st->sweep++;
  return CEAS_OK;
}

int ceas_lattice_wolff_sweep_tune(ceas_lattice_state *st, double beta,
                                  int64_t *clusters) {
  int64_t flipped = 0;
  for (uint64_t c = 0; flipped < st->sys->n; c++) {
    ceas_rng_seq rng;
    ceas_rng_seq_init(&rng, st->key, st->sweep, c, CEAS_TAG_WOLFF);
    flipped += ceas_lattice_wolff_step(st, beta, &rng);
    (*clusters)++;
  }
  st->flipped += (uint64_t)flipped;
  st->sweep++;
  return CEAS_OK;
}

static int64_t find_root(int64_t *parent, int64_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]]; /* path halving */
    i = parent[i];
  }
  return i;
}

static int sw_sweep(ceas_lattice_state *st, double beta) {
  const ceas_lattice_system *sys = st->sys;
  ceas_lattice_work *w = st->work;
  int8_t *s = st->spins;
  ceas_lattice_bond_probabilities(sys, w, beta);
  for (int64_t i = 0; i < sys->n; i++) {
    w->parent[i] = i;
    w->size[i] = 1;
  }
  /* Each bond is decided once, from its upper-triangle CSR entry k, with the
   * random word of index k: independent of visiting order. */
  for (int64_t i = 0; i < sys->n; i++)
    for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++) {
      int64_t j = sys->indices[k];
      if (j <= i || s[i] != s[j] || w->padd[k] == 0.0) continue;
      double u = ceas_rng_u01(
          ceas_lattice_draw(st->key, st->sweep, (uint64_t)k, CEAS_TAG_SW_BOND));
      if (u >= w->padd[k]) continue;
      int64_t a = find_root(w->parent, i), b = find_root(w->parent, j);
      if (a == b) continue;
      if (w->size[a] < w->size[b]) {
        int64_t t = a;
        a = b;
        b = t;
      }
      w->parent[b] = a;
      w->size[a] += w->size[b];
    }
  /* A cluster's flip coin is the top bit of its root's word; the root depends
   * only on the bonds drawn above, so the update is still order independent. */
  for (int64_t i = 0; i < sys->n; i++) {
    int64_t r = find_root(w->parent, i);
    if (ceas_lattice_draw(st->key, st->sweep, (uint64_t)r, CEAS_TAG_SW_FLIP) >> 63) {
      s[i] = (int8_t)-s[i];
      st->flipped++;
    }
  }
  st->sweep++;
  return CEAS_OK;
}

/* The Fortuin–Kasteleyn construction behind both kernels needs every bond to
 * favour alignment and no field to break the up/down symmetry. */
static int cluster_check(const ceas_lattice_kernel *k,
                         const ceas_lattice_system *sys) {
  if (!sys->all_ferro)
    return ceas_error_set(CEAS_EINPUT,
                          "--algo %s: cluster updates need ferromagnetic couplings "
                          "(all J_ij >= 0), but the couplings have negative "
                          "entries; use metropolis or heatbath",
                          k->name);
  if (sys->has_field)
    return ceas_error_set(CEAS_EINPUT,
                          "--algo %s: cluster updates need zero field, but h is "
                          "nonzero; use metropolis or heatbath",
                          k->name);
  return CEAS_OK;
}

const ceas_lattice_kernel ceas_lattice_kernel_wolff = {
    "wolff", "Wolff single-cluster updates, about N spins flipped per sweep", 1,
    wolff_sweep, cluster_check};

const ceas_lattice_kernel ceas_lattice_kernel_sw = {
    "sw", "Swendsen-Wang: all Fortuin-Kasteleyn clusters, one update per sweep",
    1, sw_sweep, cluster_check};
