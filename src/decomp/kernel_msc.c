/* The single-lattice multi-spin-coded plane kernel: src/msc's kernel on this
 * rank's planes, colour c in part c of the strip, so that a half-sweep's
 * exchange moves only the colour it changed (L / 64 bytes per plane in 2D). */
#include <stdlib.h>

#include "ceas_decomp.h"
#include "ceas_msc.h"

static uint64_t *words(const ceas_decomp_strip *s, int c, int64_t p) {
  return ceas_decomp_part_plane(s, c, p);
}

static int64_t msc_plane_bytes(int dim, long L) {
  return (int64_t)(ceas_msc_single_plane_words(dim, L) * sizeof(uint64_t));
}

static int msc_check(int dim, long L) {
  if (L % 128)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: --algo msc-single needs L a multiple of 128 (each "
                          "row's L/2 sites of a colour fill whole 64-bit words), got L = %ld",
                          L);
  return ceas_msc_single_check(dim, L);
}

static int msc_init(const ceas_decomp_strip *s, double beta, double h, void **out) {
  if (h != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--h: --algo msc-single has no field yet, expected 0, got %g", h);
  ceas_msc_single_kernel *k = NULL;
  int rc = ceas_msc_single_kernel_alloc(s->dim, s->L, s->key, &k);
  if (!rc) rc = ceas_msc_single_kernel_set_beta(k, beta);
  if (rc) {
    ceas_msc_single_kernel_free(k);
    return rc;
  }
  *out = k;
  return CEAS_OK;
}

static void msc_initial(void *ctx, const ceas_decomp_strip *s, ceas_lattice_init init) {
  (void)ctx;
  for (int c = 0; c < 2; c++)
    ceas_msc_single_initial(s->key, s->dim, s->L, init, c, s->first_plane, s->n_planes,
                            words(s, c, 0));
}

static void msc_update(void *ctx, const ceas_decomp_strip *s, int colour, int64_t p0,
                       int64_t p1) {
  ceas_msc_single_kernel_update(ctx, s->sweep, colour, s->first_plane + p0, p1 - p0,
                                words(s, colour, p0), words(s, 1 - colour, p0));
}

static void msc_measure(void *ctx, const ceas_decomp_strip *s, int64_t *bonds, int64_t *px,
                        int64_t *py, int64_t *plane_sums) {
  ceas_msc_single_kernel_measure(ctx, s->first_plane, s->n_planes, words(s, 0, 0),
                                 words(s, 1, 0), bonds, px, py, plane_sums);
}

static void msc_unpack(void *ctx, const ceas_decomp_strip *s, int8_t *spins) {
  (void)ctx;
  ceas_msc_single_unpack(s->dim, s->L, s->first_plane, s->n_planes, words(s, 0, 0),
                         words(s, 1, 0), spins);
}

static void msc_free(void *ctx) { ceas_msc_single_kernel_free(ctx); }

const ceas_decomp_kernel ceas_decomp_kernel_msc_single = {
    "msc-single", 2,          msc_plane_bytes, msc_check,  msc_init, msc_initial,
    msc_update,   msc_measure, msc_unpack,      msc_free};
