/* Sweeps: acceptance thresholds and the wavefront that runs several sweeps in one
 * pass over the lattice.
 *
 * A half-sweep h (colour h & 1 of sweep h / 2) updates slab y (a row in 2D, a
 * plane in 3D) from the other colour's slabs y - 1, y, y + 1 as half h - 1 left
 * them, and half h + 1 may only overwrite those slabs after half h has read them.
 * Sites of one colour never neighbour each other, so within a half the slabs can
 * be done in any order and the result is that of the plain checkerboard sweep.
 *
 * The wavefront does H halves at once: at step tau, half h (h = 0 .. H - 1, in
 * that order) updates slab tau - h. Lagging one slab per half satisfies both
 * rules away from the boundary, and the band of slabs the H halves touch at one
 * step stays in cache, so each slab travels from memory once per pass instead of
 * once per half. The torus closes the ring: half 1's slab 0 would need half 0's
 * slab L - 1, which comes last. Half h >= 1 therefore does only slabs h .. L - 1 - h
 * in the wavefront (their neighbours never wrap and were done by half h - 1 in it)
 * and the others after it, halves in order. Those deferred slabs and their
 * neighbours lie outside every later half's wavefront range, so no later half has
 * read or overwritten them early: the pass is bitwise H plain half-sweeps. */

#include "msc_private.h"

/* Bytes of one slab, both colours. */
static double slab_bytes(const ceas_msc_state *st) {
  return (double)st->sites / (double)st->lat.L * 8.0 * st->lat.W;
}

/* Enough sweeps per pass that the H + 3 slabs in flight (H = 2 depth half-sweeps)
 * fill about 6 MB, a fifth of this machine's 32 MB L3 (measured: 3D L = 128, R = 256
 * is fastest at depth 4 to 6 and slower from 8 on; 2D L = 1024 is flat from 4 to
 * 64; see bench/README.md), and at most L / 8 so that the deferred slabs, H (H - 1)
 * of the H L slab updates, stay a small share of the work. */
int ceas_msc_depth(const ceas_msc_state *st) {
  if (st->depth > 0) return st->depth;
  double fit = (6.0 * 1048576.0 / slab_bytes(st) - 3.0) / 2.0;
  long d = fit < 1 ? 1 : (long)fit;
  if (d > st->lat.L / 8) d = st->lat.L / 8;
  if (d > 64) d = 64;
  return d < 1 ? 1 : (int)d;
}

int ceas_msc_set_depth(ceas_msc_state *st, int depth) {
  if (depth < 0 || depth > 64)
    return ceas_error_set(CEAS_EINPUT, "msc: depth %d, expected 0 (automatic) to 64",
                          depth);
  st->depth = depth;
  return CEAS_OK;
}

static void pass(ceas_msc_state *st, int H) {
  const msc_lattice *lat = &st->lat;
  const long L = lat->L;
  const msc_slab_fn slab = st->isa->slab[lat->dim == 3];
  const uint64_t t0 = st->sweep;
  for (long tau = 0; tau < L + H - 1; tau++)
    for (int h = 0; h < H; h++) {
      long y = tau - h;
      if (y < 0 || y >= L) continue;
      if (h > 0 && (y < h || y > L - 1 - h)) continue;
      slab(lat, &st->scratch, h & 1, y, t0 + (uint64_t)(h >> 1));
    }
  for (int h = 1; h < H; h++)
    for (long y = 0; y < L; y++)
      if (y < h || y > L - 1 - h)
        slab(lat, &st->scratch, h & 1, y, t0 + (uint64_t)(h >> 1));
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
