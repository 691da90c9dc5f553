/* Replica-packed state: allocation, start configurations, the layout-independent
 * get/set used for checkpoints, and the choice of kernel set. */
#include <stdlib.h>
#include <string.h>

#include "msc_private.h"

void *msc_alloc_aligned(size_t bytes) {
  size_t sz = (bytes + 63) & ~(size_t)63;
  if (sz < bytes) return NULL;
  void *p = aligned_alloc(64, sz ? sz : 64);
  if (p) memset(p, 0, sz ? sz : 64);
  return p;
}

int ceas_msc_alloc(int dim, long L, int replicas, ceas_rng_key key,
                   ceas_msc_init init, ceas_msc_state **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "msc: dimension %d, expected 2 or 3", dim);
  long Lmax = dim == 2 ? 65536 : 2048;
  if (L < 2 || L > Lmax || L % 2)
    return ceas_error_set(CEAS_EINPUT,
                          "msc: L = %ld, expected an even size from 2 to %ld (the "
                          "checkerboard colours must not touch across the boundary)",
                          L, Lmax);
  if (replicas != 64 && replicas != 256)
    return ceas_error_set(CEAS_EINPUT, "msc: %d replicas, expected 64 or 256",
                          replicas);
  ceas_msc_state *st = ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  msc_lattice *lat = &st->lat;
  lat->dim = dim;
  lat->L = L;
  lat->n = L / 2;
  lat->W = replicas / 64;
  lat->key = key;
  st->rows = dim == 2 ? L : L * L;
  st->sites = (int64_t)st->rows * L;
  size_t words = (size_t)st->sites / 2 * (size_t)lat->W;
  for (int c = 0; c < 2; c++) lat->col[c] = msc_alloc_aligned(words * sizeof(uint64_t));
  st->scratch.u = msc_alloc_aligned((size_t)(lat->n + 8) * sizeof(uint32_t));
  for (int k = 0; k < 4; k++) {
    st->scratch.mask[k] = msc_alloc_aligned((size_t)(lat->n + 4) * sizeof(uint32_t));
    st->scratch.amask[k] = msc_alloc_aligned((size_t)(lat->n + 4) * sizeof(uint32_t));
  }
  for (int c = 0; c < 2; c++)
    lat->pattern[c] = msc_alloc_aligned(67 * (size_t)lat->W * sizeof(uint64_t));
  int ok = lat->col[0] && lat->col[1] && st->scratch.u && lat->pattern[0] && lat->pattern[1];
  for (int k = 0; k < 4; k++) ok = ok && st->scratch.mask[k] && st->scratch.amask[k];
  if (!ok) {
    ceas_msc_free(st);
    return ceas_error_set(CEAS_ENOMEM, "msc: out of memory for %ld^%d x %d replicas",
                          L, dim, replicas);
  }
  ceas_msc_set_isa(st, "auto");
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 67; k++) {
      uint64_t b[4];
      ceas_rng_bits(key, 0, (uint64_t)(64 * c + k % 64), CEAS_MSC_TAG_PATTERN, 0, b);
      for (int l = 0; l < lat->W; l++) lat->pattern[c][k * lat->W + l] = b[l];
    }
  if (init == CEAS_MSC_HOT) {
    for (long row = 0; row < st->rows; row++)
      for (long x = 0; x < L; x++) {
        uint64_t b[4];
        uint64_t i = (uint64_t)row * (uint64_t)L + (uint64_t)x;
        ceas_rng_bits(key, 0, i, CEAS_MSC_TAG_INIT, 0, b);
        uint64_t *w = lat->col[msc_site_colour(lat, x, row)] + msc_site_word(lat, x, row);
        for (int l = 0; l < lat->W; l++) w[l] = b[l];
      }
  }
  *out = st;
  return CEAS_OK;
}

void ceas_msc_free(ceas_msc_state *st) {
  if (!st) return;
  free(st->lat.col[0]);
  free(st->lat.col[1]);
  free(st->scratch.u);
  free(st->lat.pattern[0]);
  free(st->lat.pattern[1]);
  for (int k = 0; k < 4; k++) {
    free(st->scratch.mask[k]);
    free(st->scratch.amask[k]);
  }
  free(st);
}

int ceas_msc_dim(const ceas_msc_state *st) { return st->lat.dim; }
long ceas_msc_L(const ceas_msc_state *st) { return st->lat.L; }
int ceas_msc_replicas(const ceas_msc_state *st) { return 64 * st->lat.W; }
int64_t ceas_msc_sites(const ceas_msc_state *st) { return st->sites; }
uint64_t ceas_msc_sweeps_done(const ceas_msc_state *st) { return st->sweep; }

static const char *isa_name(int k) { return msc_isas[k] ? msc_isas[k]->name : NULL; }

int ceas_msc_set_isa(ceas_msc_state *st, const char *isa) {
  int k;
  int rc = msc_isa_pick("msc", isa, isa_name, &k);
  if (!rc) st->isa = msc_isas[k];
  return rc;
}

const char *ceas_msc_isa(const ceas_msc_state *st) { return st->isa->name; }

void ceas_msc_set_antithetic(ceas_msc_state *st, int on) { st->lat.anti = on != 0; }
int ceas_msc_antithetic(const ceas_msc_state *st) { return st->lat.anti; }

size_t ceas_msc_state_words(const ceas_msc_state *st) {
  return (size_t)st->sites * (size_t)st->lat.W;
}

void msc_lattice_get_state(const msc_lattice *lat, long rows, uint64_t *words) {
  for (long row = 0; row < rows; row++)
    for (long x = 0; x < lat->L; x++) {
      const uint64_t *w = lat->col[msc_site_colour(lat, x, row)] + msc_site_word(lat, x, row);
      size_t i = (size_t)row * (size_t)lat->L + (size_t)x;
      memcpy(words + i * (size_t)lat->W, w, (size_t)lat->W * sizeof *w);
    }
}

void msc_lattice_set_state(msc_lattice *lat, long rows, const uint64_t *words) {
  for (long row = 0; row < rows; row++)
    for (long x = 0; x < lat->L; x++) {
      uint64_t *w = lat->col[msc_site_colour(lat, x, row)] + msc_site_word(lat, x, row);
      size_t i = (size_t)row * (size_t)lat->L + (size_t)x;
      memcpy(w, words + i * (size_t)lat->W, (size_t)lat->W * sizeof *w);
    }
}

int msc_lattice_get_replica(const msc_lattice *lat, long rows, const char *who, int r,
                            int8_t *spins) {
  if (r < 0 || r >= 64 * lat->W)
    return ceas_error_set(CEAS_EINPUT, "%s: replica %d, expected 0 to %d", who, r,
                          64 * lat->W - 1);
  int lane = r >> 6, bit = r & 63;
  for (long row = 0; row < rows; row++)
    for (long x = 0; x < lat->L; x++) {
      const uint64_t *w = lat->col[msc_site_colour(lat, x, row)] + msc_site_word(lat, x, row);
      spins[(size_t)row * (size_t)lat->L + (size_t)x] = (w[lane] >> bit) & 1 ? -1 : 1;
    }
  return CEAS_OK;
}

void ceas_msc_get_state(const ceas_msc_state *st, uint64_t *words,
                        uint64_t *sweeps_done) {
  msc_lattice_get_state(&st->lat, st->rows, words);
  if (sweeps_done) *sweeps_done = st->sweep;
}

void ceas_msc_set_state(ceas_msc_state *st, const uint64_t *words,
                        uint64_t sweeps_done) {
  msc_lattice_set_state(&st->lat, st->rows, words);
  st->sweep = sweeps_done;
}

int ceas_msc_get_replica(const ceas_msc_state *st, int r, int8_t *spins) {
  return msc_lattice_get_replica(&st->lat, st->rows, "msc", r, spins);
}
