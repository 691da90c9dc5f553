/* Shared between the msc module's sources; not installed. */
#ifndef CEAS_MSC_PRIVATE_H
#define CEAS_MSC_PRIVATE_H

#include <math.h>
#include <stdint.h>

#include "ceas_lattice.h"
#include "ceas_msc.h"

/* thr[k] for k = 0 .. d antiparallel neighbours of a site on a d-dimensional
 * lattice at beta (msc_lattice.thr says what they are), by the one threshold rule
 * of every 32-bit-uniform kernel (ceas_lattice_threshold): unit couplings of the
 * glass kernel reproduce the ferromagnet bitwise. */
static inline void msc_set_thresholds(uint64_t *thr, int d, double beta) {
  for (int k = 0; k < d; k++) thr[k] = ceas_lattice_threshold(exp(-beta * 4.0 * (d - k)));
  thr[d] = UINT64_C(1) << 31;
}

/* The lattice as the kernels see it. Each colour c has its own array col[c] of
 * rows (row = x1 in 2D, x1 + L x2 in 3D), each row n = L/2 sites of W = R/64
 * uint64_t lanes: site (x0, row) of colour c is word col[c][(row n + x0/2) W +
 * lane]. A site's four in-plane neighbours are then the other colour's words j
 * and j +- 1 of the same row and word j of the rows above and below, so a row
 * update streams through five (3D: seven) contiguous rows. */
typedef struct {
  int dim;
  long L;
  long n;         /* sites per row and colour: L / 2 */
  int W;          /* uint64_t lanes per site: R / 64 */
  uint64_t *col[2];
  ceas_rng_key key;
  /* thr[k] = ceil(a_k 2^32) for k = 0 .. d antiparallel neighbours:
   * exp(-4 beta (d - k)) for k < d, 2^31 (a = 1/2) for k = d (dE = 0); k > d
   * always flips. */
  uint64_t thr[4];
  /* Antithetic option (ceas_msc.h): pattern[c][k * W + lane], k = 0 .. 66, is
   * P_c[k mod 64]; the three repeated entries let four consecutive classes load
   * as one vector. */
  int anti;
  uint64_t *pattern[2];
} msc_lattice;

/* Per-row scratch of a kernel: n uniforms and d + 1 masks of n words (mask[k][j]
 * all ones iff site j's uniform is below thr[k]; 32 bits wide, which halves the
 * traffic, and broadcast or sign-extended to the spin words' width). */
typedef struct {
  uint32_t *u;
  uint32_t *mask[4];
  uint32_t *amask[4]; /* the same for ~u (antithetic option only) */
} msc_scratch;

/* One row update's operands (kernel_body.inc). */
typedef struct {
  uint64_t *a;
  const uint64_t *b0, *bm, *bp, *bzm, *bzp;
  int right;
  const uint64_t *pat;
  uint64_t q0; /* in-colour index of the row's first site */
} msc_row;

/* Updates every site of colour `colour` in slab `slab` (row x1 = slab in 2D,
 * plane x2 = slab in 3D) with the uniforms of sweep `sweep`. */
typedef void (*msc_slab_fn)(const msc_lattice *lat, const msc_scratch *s,
                            int colour, long slab, uint64_t sweep);

typedef struct {
  const char *name;
  msc_slab_fn slab[2]; /* [dim == 3] */
} msc_isa;

/* One kernel set per instruction set (kernels*.c). msc_isas lists the ones built,
 * best first, NULL-terminated; entries the CPU cannot run are skipped by
 * msc_isa_runs(). */
extern const msc_isa msc_isa_generic, msc_isa_avx2, msc_isa_avx512;
extern const msc_isa *const msc_isas[];

/* 64-byte aligned, zeroed; size rounded up as aligned_alloc requires (state.c;
 * NULL when out of memory). */
void *msc_alloc_aligned(size_t bytes);

/* Word offset of site (x, row) of colour (x + row parity) in its colour array. */
static inline size_t msc_site_word(const msc_lattice *lat, long x, long row) {
  return ((size_t)row * (size_t)lat->n + (size_t)(x >> 1)) * (size_t)lat->W;
}

static inline int msc_site_colour(const msc_lattice *lat, long x, long row) {
  long y = row % lat->L, z = row / lat->L;
  return (int)((x + y + z) & 1);
}

/* A replica-packed lattice of `rows` rows of L sites (the ferromagnet's and the
 * glass's state), site-major: words[i W .. i W + W) is site i = row L + x. The
 * get/set of every replica at once, and replica r as int8 spins (CEAS_EINPUT,
 * with a message that starts "who: ", for r out of range). state.c. */
void msc_lattice_get_state(const msc_lattice *lat, long rows, uint64_t *words);
void msc_lattice_set_state(msc_lattice *lat, long rows, const uint64_t *words);
int msc_lattice_get_replica(const msc_lattice *lat, long rows, const char *who, int r,
                            int8_t *spins);

/* Sweeps per wavefront pass (the depth rule of ceas_msc_depth and
 * ceas_msc_glass_depth), for slabs of `slab_bytes` bytes each on a lattice of L
 * slabs: enough sweeps per pass that the H + 3 slabs in flight (H = 2 depth
 * half-sweeps) fill about 6 MB, a fifth of this machine's 32 MB L3 (measured: 3D
 * L = 128, R = 256 is fastest at depth 4 to 6 and slower from 8 on; 2D L = 1024 is
 * flat from 4 to 64; see bench/README.md), and at most L / 8 so that the deferred
 * slabs, H (H - 1) of the H L slab updates, stay a small share of the work; at
 * most max_depth, at least 1. */
static inline int msc_depth_fit(double slab_bytes, long L, int max_depth) {
  double fit = (6.0 * 1048576.0 / slab_bytes - 3.0) / 2.0;
  long d = fit < 1 ? 1 : (long)fit;
  if (d > L / 8) d = L / 8;
  if (d > max_depth) d = max_depth;
  return d < 1 ? 1 : (int)d;
}

/* Updates slab y of half-sweep h (colour h & 1 of the pass's sweep h / 2). */
typedef void (*msc_half_slab_fn)(void *ctx, int h, long y);

/* The wavefront pass of H half-sweeps over a torus of L slabs, the one schedule
 * of the ferromagnet (sweep.c) and the glass (glass.c).
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
 * read or overwritten them early: the pass is bitwise H plain half-sweeps.
 *
 * Static inline so that each caller's constant `slab` is inlined into the loop. */
static inline void msc_wavefront(long L, int H, msc_half_slab_fn slab, void *ctx) {
  for (long tau = 0; tau < L + H - 1; tau++)
    for (int h = 0; h < H; h++) {
      long y = tau - h;
      if (y < 0 || y >= L) continue;
      if (h > 0 && (y < h || y > L - 1 - h)) continue;
      slab(ctx, h, y);
    }
  for (int h = 1; h < H; h++)
    for (long y = 0; y < L; y++)
      if (y < h || y > L - 1 - h) slab(ctx, h, y);
}

/* Whether this CPU runs the kernels built for the instruction set `name`:
 * "avx512" needs AVX-512F, VL and BMI2, "avx2" AVX2 and BMI2, "generic" nothing.
 * The one rule for every kernel family of the module (msc_isas, glass_isas). */
int msc_isa_runs(const char *name);

/* The set `isa` names in a family whose k-th set is called name(k) (best first,
 * NULL past the last), or with "auto" the best one this CPU runs: its k in
 * *index. CEAS_EINPUT, with a message that starts "who: ", for a name the family
 * lacks or a set this CPU cannot run. */
int msc_isa_pick(const char *who, const char *isa, const char *(*name)(int k), int *index);

struct ceas_msc_state {
  msc_lattice lat;
  msc_scratch scratch;
  const msc_isa *isa;
  long rows;      /* L (2D) or L^2 (3D) rows of L sites */
  int64_t sites;
  uint64_t sweep; /* sweeps done: the counter of the next sweep's draws */
  int depth;      /* sweeps per wavefront pass, 0 = automatic */
};

#endif
