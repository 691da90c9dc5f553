/* Sweeps: acceptance thresholds and the wavefront that runs several sweeps in one
 * pass over the lattice (msc_wavefront in msc_private.h says why the pass is
 * bitwise H plain half-sweeps). */

#include "msc_private.h"

/* Bytes of one slab, both colours. */
static double slab_bytes(const ceas_msc_state *st) {
  return (double)st->sites / (double)st->lat.L * 8.0 * st->lat.W;
}

/* msc_depth_fit's rule for this state's slabs. */
int ceas_msc_depth(const ceas_msc_state *st) {
  if (st->depth > 0) return st->depth;
  return msc_depth_fit(slab_bytes(st), st->lat.L, 64);
}

int ceas_msc_set_depth(ceas_msc_state *st, int depth) {
  if (depth < 0 || depth > 64)
    return ceas_error_set(CEAS_EINPUT, "msc: depth %d, expected 0 (automatic) to 64",
                          depth);
  st->depth = depth;
  return CEAS_OK;
}

/* One pass's slab updates: the state's kernel at the pass's first sweep t0. */
typedef struct {
  const msc_lattice *lat;
  const msc_scratch *scratch;
  msc_slab_fn slab;
  uint64_t t0;
} pass_ctx;

static void pass_slab(void *ctx, int h, long y) {
  const pass_ctx *c = ctx;
  c->slab(c->lat, c->scratch, h & 1, y, c->t0 + (uint64_t)(h >> 1));
}

static void pass(ceas_msc_state *st, int H) {
  pass_ctx c = {&st->lat, &st->scratch, st->isa->slab[st->lat.dim == 3], st->sweep};
  msc_wavefront(st->lat.L, H, pass_slab, &c);
}

int ceas_msc_sweep(ceas_msc_state *st, double beta, uint64_t n) {
  if (!isfinite(beta) || beta < 0)
    return ceas_error_set(CEAS_EINPUT, "msc: beta = %g, expected a finite value >= 0",
                          beta);
  msc_set_thresholds(st->lat.thr, st->lat.dim, beta);
  const uint64_t D = (uint64_t)ceas_msc_depth(st);
  while (n > 0) {
    uint64_t d = n < D ? n : D;
    pass(st, (int)(2 * d));
    st->sweep += d;
    n -= d;
  }
  return CEAS_OK;
}
