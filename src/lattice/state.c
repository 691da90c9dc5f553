#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lattice_private.h"

static void work_free(ceas_lattice_work *w) {
  if (!w) return;
  free(w->order);
  free(w->stack);
  free(w->parent);
  free(w->size);
  free(w->padd);
  free(w);
}

static ceas_lattice_work *work_alloc(const ceas_lattice_system *sys) {
  ceas_lattice_work *w = ceas_calloc(1, sizeof *w);
  if (!w) return NULL;
  size_t n = (size_t)sys->n;
  w->order = ceas_malloc(n * sizeof *w->order);
  w->stack = ceas_malloc(n * sizeof *w->stack);
  w->parent = ceas_malloc(n * sizeof *w->parent);
  w->size = ceas_malloc(n * sizeof *w->size);
  w->padd = ceas_malloc((size_t)sys->indptr[sys->n] * sizeof *w->padd);
  w->cached_beta = NAN;
  if (!w->order || !w->stack || !w->parent || !w->size || !w->padd) {
    work_free(w);
    return NULL;
  }
  /* Checkerboard order: even sublattice first. For odd L the two colours touch
   * across the boundary; the sweep is then an ordinary sequential sweep in this
   * fixed order, still exact, just not parallel within a colour. */
  if (sys->kind != CEAS_MODEL_GRAPH) {
    int64_t k = 0, stride[3] = {1, sys->L, sys->L * sys->L};
    for (int colour = 0; colour < 2; colour++)
      for (int64_t i = 0; i < sys->n; i++) {
        int64_t par = 0;
        for (int d = 0; d < sys->dim; d++) par += (i / stride[d]) % sys->L;
        if ((par & 1) == colour) w->order[k++] = i;
      }
  }
  return w;
}

int ceas_lattice_state_alloc(const ceas_lattice_system *sys, ceas_rng_key key,
                             ceas_lattice_init init,
                             ceas_lattice_state **out) {
  *out = NULL;
  ceas_lattice_state *st = ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  st->sys = sys;
  st->key = key;
  st->wolff_clusters = 1;
  st->spins = ceas_malloc((size_t)sys->n);
  st->work = work_alloc(sys);
  if (!st->spins || !st->work) {
    ceas_lattice_state_free(st);
    return CEAS_ENOMEM;
  }
  for (int64_t i = 0; i < sys->n; i++)
    st->spins[i] = init == CEAS_INIT_COLD
                       ? 1
                       : ((ceas_lattice_draw(key, 0, (uint64_t)i, CEAS_TAG_INIT) >>
                           63)
                              ? 1
                              : -1);
  *out = st;
  return CEAS_OK;
}

void ceas_lattice_state_free(ceas_lattice_state *st) {
  if (!st) return;
  free(st->spins);
  work_free(st->work);
  free(st);
}

void ceas_lattice_bond_probabilities(const ceas_lattice_system *sys,
                                     ceas_lattice_work *w, double beta) {
  if (w->cached_beta == beta) return;
  int64_t nnz = sys->indptr[sys->n];
  for (int64_t k = 0; k < nnz; k++)
    w->padd[k] = sys->J[k] > 0 ? -expm1(-2.0 * beta * sys->J[k]) : 0.0;
  w->cached_beta = beta;
}

int ceas_lattice_kernel_check(const ceas_lattice_kernel *k,
                              const ceas_lattice_system *sys) {
  return k->check ? k->check(k, sys) : CEAS_OK;
}
