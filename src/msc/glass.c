/* The ±J replica-packed state: allocation and bond layout, sweeps (the
 * wavefront of sweep.c with a beta per sweep), energies and overlaps through
 * bit-sliced counters, state access and the masked replica exchange. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glass_private.h"

/* ---- allocation ------------------------------------------------------------ */

/* Slot m of site (x, row) (glass_private.h) as (bond owner site, direction): the
 * owner is the end from which the bond points in the positive direction. */
static void slot_bond(const msc_lattice *lat, long x, long row, int m, int64_t *owner,
                      int *dir) {
  const long L = lat->L, y = row % L, z = row / L;
  /* x = 2 j + (x & 1). With x even, word j of the other colour is x + 1 (slot 0 =
   * the site's own +x bond) and word j - 1 is x - 1; with x odd the reverse. */
  long ox = x, oy = y, oz = z;
  switch (m) {
  case 0: /* other colour's word j */
    if (x & 1) ox = (x + L - 1) % L;
    *dir = 0;
    break;
  case 1:
    if (!(x & 1)) ox = (x + L - 1) % L;
    *dir = 0;
    break;
  case 2:
    oy = (y + L - 1) % L;
    *dir = 1;
    break;
  case 3:
    *dir = 1;
    break;
  case 4:
    oz = (z + L - 1) % L;
    *dir = 2;
    break;
  default:
    *dir = 2;
    break;
  }
  *owner = ox + L * (oy + L * oz);
}

int ceas_msc_glass_alloc(int dim, long L, int replicas, ceas_rng_key key,
                         ceas_msc_init init, const int8_t *J, ceas_msc_glass **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "msc glass: dimension %d, expected 2 or 3", dim);
  long Lmax = dim == 2 ? 65536 : 2048;
  if (L < 2 || L > Lmax || L % 2)
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: L = %ld, expected an even size from 2 to %ld (the "
                          "checkerboard colours must not touch across the boundary)",
                          L, Lmax);
  if (replicas != 64 && replicas != 256)
    return ceas_error_set(CEAS_EINPUT, "msc glass: %d replicas, expected 64 or 256",
                          replicas);
  const int64_t N = dim == 2 ? (int64_t)L * L : (int64_t)L * L * L;
  if (J)
    for (int64_t b = 0; b < dim * N; b++)
      if (J[b] != 1 && J[b] != -1)
        return ceas_error_set(CEAS_EINPUT,
                              "msc glass: coupling %lld (site %lld, direction %d) is %d, "
                              "expected +1 or -1",
                              (long long)b, (long long)(b / dim), (int)(b % dim), J[b]);
  ceas_msc_glass *st = ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  glass_lattice *g = &st->g;
  msc_lattice *lat = &g->lat;
  lat->dim = dim;
  lat->L = L;
  lat->n = L / 2;
  lat->W = replicas / 64;
  lat->key = key;
  g->nslot = 2 * dim;
  st->rows = dim == 2 ? L : L * L;
  st->sites = N;
  const size_t words = (size_t)N / 2 * (size_t)lat->W;
  for (int c = 0; c < 2; c++) {
    lat->col[c] = msc_alloc_aligned(words * sizeof(uint64_t));
    /* + 8: a four-site vector load never reads past the end. */
    g->bond[c] = msc_alloc_aligned((size_t)N / 2 * (size_t)g->nslot + 8);
    lat->pattern[c] = msc_alloc_aligned(67 * (size_t)lat->W * sizeof(uint64_t));
  }
  st->scratch.u = msc_alloc_aligned((size_t)(lat->n + 8) * sizeof(uint32_t));
  int ok = st->scratch.u != NULL;
  for (int k = 0; k < 4; k++) {
    st->scratch.mask[k] = msc_alloc_aligned((size_t)(lat->n + 4) * sizeof(uint32_t));
    st->scratch.amask[k] = msc_alloc_aligned((size_t)(lat->n + 4) * sizeof(uint32_t));
    ok = ok && st->scratch.mask[k] && st->scratch.amask[k];
  }
  for (int c = 0; c < 2; c++) ok = ok && lat->col[c] && g->bond[c] && lat->pattern[c];
  if (!ok) {
    ceas_msc_glass_free(st);
    return ceas_error_set(CEAS_ENOMEM,
                          "msc glass: out of memory for %ld^%d x %d replicas", L, dim,
                          replicas);
  }
  ceas_msc_glass_set_isa(st, "auto");
  /* The ferromagnetic kernel's pattern and hot start, draw for draw. */
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 67; k++) {
      uint64_t b[4];
      ceas_rng_bits(key, 0, (uint64_t)(64 * c + k % 64), CEAS_MSC_TAG_PATTERN, 0, b);
      for (int l = 0; l < lat->W; l++) lat->pattern[c][k * lat->W + l] = b[l];
    }
  const size_t n = (size_t)lat->n;
  for (long row = 0; row < st->rows; row++)
    for (long x = 0; x < L; x++) {
      const int c = msc_site_colour(lat, x, row);
      if (init == CEAS_MSC_HOT) {
        uint64_t b[4];
        uint64_t i = (uint64_t)row * (uint64_t)L + (uint64_t)x;
        ceas_rng_bits(key, 0, i, CEAS_MSC_TAG_INIT, 0, b);
        uint64_t *w = lat->col[c] + msc_site_word(lat, x, row);
        for (int l = 0; l < lat->W; l++) w[l] = b[l];
      }
      if (!J) continue;
      for (int m = 0; m < g->nslot; m++) {
        int64_t owner;
        int dir;
        slot_bond(lat, x, row, m, &owner, &dir);
        g->bond[c][((size_t)row * (size_t)g->nslot + (size_t)m) * n + (size_t)(x >> 1)] =
            (int8_t)(J[owner * dim + dir] < 0 ? -1 : 0);
      }
    }
  *out = st;
  return CEAS_OK;
}

void ceas_msc_glass_free(ceas_msc_glass *st) {
  if (!st) return;
  for (int c = 0; c < 2; c++) {
    free(st->g.lat.col[c]);
    free(st->g.bond[c]);
    free(st->g.lat.pattern[c]);
  }
  free(st->scratch.u);
  for (int k = 0; k < 4; k++) {
    free(st->scratch.mask[k]);
    free(st->scratch.amask[k]);
  }
  free(st);
}

int ceas_msc_glass_signs_from_csr(int dim, long L, int64_t n, const int64_t *indptr,
                                  const int32_t *indices, const double *J, int8_t *signs,
                                  double *unit) {
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "msc glass: dimension %d, expected 2 or 3", dim);
  if (L < 3)
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: L = %ld, expected L >= 3 (at L = 2 two bonds join "
                          "the same pair and a CSR graph holds only their sum)",
                          L);
  const int64_t N = dim == 2 ? (int64_t)L * L : (int64_t)L * L * L;
  if (n != N)
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: %lld spins, expected %lld for the %ld^%d torus",
                          (long long)n, (long long)N, L, dim);
  double u = 0;
  for (int64_t i = 0; i < N; i++) {
    if (indptr[i + 1] - indptr[i] != 2 * dim)
      return ceas_error_set(CEAS_EINPUT,
                            "msc glass: spin %lld has %lld couplings, expected the %d "
                            "bonds of the %ld^%d torus",
                            (long long)i, (long long)(indptr[i + 1] - indptr[i]), 2 * dim,
                            L, dim);
    int64_t c[3] = {i % L, (i / L) % L, i / ((int64_t)L * L)}, stride = 1;
    for (int d = 0; d < dim; d++, stride *= L) {
      const int64_t j = c[d] == L - 1 ? i - (L - 1) * stride : i + stride;
      int64_t e = indptr[i];
      while (e < indptr[i + 1] && indices[e] != j) e++;
      if (e == indptr[i + 1])
        return ceas_error_set(
            CEAS_EINPUT,
            "msc glass: spins %lld and %lld (a bond of the %ld^%d torus) "
            "are not coupled",
            (long long)i, (long long)j, L, dim);
      const double a = fabs(J[e]);
      if (u == 0) u = a;
      if (!(a > 0) || a != u)
        return ceas_error_set(
            CEAS_EINPUT,
            "msc glass: coupling of spins %lld and %lld is %g, expected "
            "+-%g (one magnitude for all bonds)",
            (long long)i, (long long)j, J[e], u);
      signs[i * dim + d] = (int8_t)(J[e] > 0 ? 1 : -1);
    }
  }
  if (unit) *unit = u;
  return CEAS_OK;
}

int ceas_msc_glass_dim(const ceas_msc_glass *st) { return st->g.lat.dim; }
long ceas_msc_glass_L(const ceas_msc_glass *st) { return st->g.lat.L; }
int ceas_msc_glass_replicas(const ceas_msc_glass *st) { return 64 * st->g.lat.W; }
int64_t ceas_msc_glass_sites(const ceas_msc_glass *st) { return st->sites; }
uint64_t ceas_msc_glass_sweeps_done(const ceas_msc_glass *st) { return st->sweep; }

static const char *isa_name(int k) { return glass_isas[k] ? glass_isas[k]->name : NULL; }

int ceas_msc_glass_set_isa(ceas_msc_glass *st, const char *isa) {
  int k;
  int rc = msc_isa_pick("msc glass", isa, isa_name, &k);
  if (!rc) st->isa = glass_isas[k];
  return rc;
}

const char *ceas_msc_glass_isa(const ceas_msc_glass *st) { return st->isa->name; }
void ceas_msc_glass_set_antithetic(ceas_msc_glass *st, int on) {
  st->g.lat.anti = on != 0;
}
int ceas_msc_glass_antithetic(const ceas_msc_glass *st) { return st->g.lat.anti; }

/* ---- sweeps ---------------------------------------------------------------- */

/* msc_depth_fit's rule (2 depth + 3 slabs in flight fill ~6 MB, at most L / 8),
 * with the slab's bond bytes counted. */
int ceas_msc_glass_depth(const ceas_msc_glass *st) {
  if (st->depth > 0) return st->depth;
  const msc_lattice *lat = &st->g.lat;
  const double slab = (double)st->sites / (double)lat->L * (8.0 * lat->W + lat->dim);
  return msc_depth_fit(slab, lat->L, GLASS_MAX_DEPTH);
}

int ceas_msc_glass_set_depth(ceas_msc_glass *st, int depth) {
  if (depth < 0 || depth > GLASS_MAX_DEPTH)
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: depth %d, expected 0 (automatic) to %d", depth,
                          GLASS_MAX_DEPTH);
  st->depth = depth;
  return CEAS_OK;
}

/* One pass's slab updates: half h uses the thresholds of sweep h / 2 of the pass. */
typedef struct {
  const glass_lattice *g;
  const msc_scratch *scratch;
  glass_slab_fn slab;
  uint64_t t0;
  uint64_t (*thr)[4];
} pass_ctx;

static void pass_slab(void *ctx, int h, long y) {
  const pass_ctx *c = ctx;
  c->slab(c->g, c->scratch, h & 1, y, c->t0 + (uint64_t)(h >> 1), c->thr[h >> 1]);
}

/* H half-sweeps in one wavefront pass (msc_wavefront). */
static void pass(ceas_msc_glass *st, int H) {
  pass_ctx c = {&st->g, &st->scratch, st->isa->slab[st->g.lat.dim == 3], st->sweep,
                st->thr};
  msc_wavefront(st->g.lat.L, H, pass_slab, &c);
}

static int run(ceas_msc_glass *st, const double *betas, double beta, uint64_t n) {
  for (uint64_t t = 0; betas && t < n; t++)
    if (!isfinite(betas[t]) || betas[t] < 0)
      return ceas_error_set(CEAS_EINPUT,
                            "msc glass: beta[%llu] = %g, expected a finite value >= 0",
                            (unsigned long long)t, betas[t]);
  if (!betas && (!isfinite(beta) || beta < 0))
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: beta = %g, expected a finite value >= 0", beta);
  const int dim = st->g.lat.dim;
  const uint64_t D = (uint64_t)ceas_msc_glass_depth(st);
  uint64_t done = 0;
  if (!betas)
    for (uint64_t k = 0; k < D && k < n; k++) msc_set_thresholds(st->thr[k], dim, beta);
  while (done < n) {
    const uint64_t d = n - done < D ? n - done : D;
    if (betas)
      for (uint64_t k = 0; k < d; k++) msc_set_thresholds(st->thr[k], dim, betas[done + k]);
    pass(st, (int)(2 * d));
    st->sweep += d;
    done += d;
  }
  return CEAS_OK;
}

int ceas_msc_glass_sweep(ceas_msc_glass *st, double beta, uint64_t n) {
  return run(st, NULL, beta, n);
}

int ceas_msc_glass_anneal(ceas_msc_glass *st, const double *betas, uint64_t n) {
  if (!betas && n)
    return ceas_error_set(CEAS_EINPUT, "msc glass: no schedule for %llu sweeps",
                          (unsigned long long)n);
  return run(st, betas, 0, n);
}

/* ---- measurements (the counting kernels are in glass_body.inc) ---------- */

int ceas_msc_glass_energy(const ceas_msc_glass *st, int64_t *E) {
  st->isa->unsatisfied(&st->g, E);
  const int64_t bonds = (int64_t)st->g.lat.dim * st->sites;
  for (int r = 0; r < 64 * st->g.lat.W; r++) E[r] = 2 * E[r] - bonds;
  return CEAS_OK;
}

static int same_shape(const ceas_msc_glass *a, const ceas_msc_glass *b,
                      const char *what) {
  const msc_lattice *x = &a->g.lat, *y = &b->g.lat;
  if (x->dim != y->dim || x->L != y->L || x->W != y->W)
    return ceas_error_set(CEAS_EINPUT,
                          "msc glass: %s of a %ld^%d x %d and a %ld^%d x %d state, "
                          "expected the same lattice and replicas",
                          what, x->L, x->dim, 64 * x->W, y->L, y->dim, 64 * y->W);
  return CEAS_OK;
}

int ceas_msc_glass_overlap(const ceas_msc_glass *a, const ceas_msc_glass *b, int64_t *Q) {
  int rc = same_shape(a, b, "overlap");
  if (rc) return rc;
  a->isa->differ(&a->g, &b->g, Q);
  for (int r = 0; r < 64 * a->g.lat.W; r++) Q[r] = a->sites - 2 * Q[r];
  return CEAS_OK;
}

/* ---- state ----------------------------------------------------------------- */

size_t ceas_msc_glass_state_words(const ceas_msc_glass *st) {
  return (size_t)st->sites * (size_t)st->g.lat.W;
}

void ceas_msc_glass_get_state(const ceas_msc_glass *st, uint64_t *words,
                              uint64_t *sweeps_done) {
  msc_lattice_get_state(&st->g.lat, st->rows, words);
  if (sweeps_done) *sweeps_done = st->sweep;
}

void ceas_msc_glass_set_state(ceas_msc_glass *st, const uint64_t *words,
                              uint64_t sweeps_done) {
  msc_lattice_set_state(&st->g.lat, st->rows, words);
  st->sweep = sweeps_done;
}

int ceas_msc_glass_get_replica(const ceas_msc_glass *st, int r, int8_t *spins) {
  return msc_lattice_get_replica(&st->g.lat, st->rows, "msc glass", r, spins);
}

int ceas_msc_glass_set_replica(ceas_msc_glass *st, int r, const int8_t *spins) {
  msc_lattice *lat = &st->g.lat;
  if (r < 0 || r >= 64 * lat->W)
    return ceas_error_set(CEAS_EINPUT, "msc glass: replica %d, expected 0 to %d", r,
                          64 * lat->W - 1);
  for (int64_t i = 0; i < st->sites; i++)
    if (spins[i] != 1 && spins[i] != -1)
      return ceas_error_set(CEAS_EINPUT, "msc glass: spin %lld is %d, expected +1 or -1",
                            (long long)i, spins[i]);
  const int lane = r >> 6, bit = r & 63;
  for (long row = 0; row < st->rows; row++)
    for (long x = 0; x < lat->L; x++) {
      uint64_t *w = lat->col[msc_site_colour(lat, x, row)] + msc_site_word(lat, x, row);
      const uint64_t down = spins[(size_t)row * (size_t)lat->L + (size_t)x] < 0;
      w[lane] = (w[lane] & ~(UINT64_C(1) << bit)) | (down << bit);
    }
  return CEAS_OK;
}

int ceas_msc_glass_swap(ceas_msc_glass *a, ceas_msc_glass *b, const uint64_t *mask) {
  int rc = same_shape(a, b, "swap");
  if (rc) return rc;
  const int W = a->g.lat.W;
  const size_t words = (size_t)a->sites / 2 * (size_t)W;
  for (int c = 0; c < 2; c++) {
    uint64_t *restrict x = a->g.lat.col[c], *restrict y = b->g.lat.col[c];
    for (size_t i = 0; i < words; i++) {
      const uint64_t t = (x[i] ^ y[i]) & mask[i % (size_t)W];
      x[i] ^= t;
      y[i] ^= t;
    }
  }
  return CEAS_OK;
}
