/* Shared between glass.c and glass_kernels.c (the ±J replica-packed kernel);
 * not installed. */
#ifndef CEAS_MSC_GLASS_PRIVATE_H
#define CEAS_MSC_GLASS_PRIVATE_H

#include "msc_private.h"

/* The ferromagnetic kernel's lattice (layout, key, antithetic pattern; its thr
 * is unused: thresholds come per sweep) plus the couplings. A site sees its 2d
 * bonds in "slots" that follow the order in which the kernel reads its
 * neighbours: slot 0 = the other colour's word j of the same row, slot 1 = its
 * word js (j + 1 or j - 1, cyclically), 2 = row above (y - 1), 3 = row below
 * (y + 1), 4 = plane z - 1, 5 = plane z + 1. bond[c][(row * 2d + m) * n + j] is
 * 0 for J = +1 and -1 (all bits set) for J = -1 on slot m of site j of that row,
 * so a whole row's slot m is n contiguous bytes and four sites' masks load as
 * one 32-bit word. Every bond is stored at both of its ends: twice the
 * bytes of one bit per bond, but no shifts or wrap in the inner loop. */
typedef struct {
  msc_lattice lat;
  int nslot; /* 2 d */
  int8_t *bond[2];
} glass_lattice;

/* Updates colour `colour` of slab `slab` with the uniforms of sweep `sweep` and
 * the thresholds thr[k] = ceil(a_k 2^32), k = 0 .. d unsatisfied bonds. */
typedef void (*glass_slab_fn)(const glass_lattice *g, const msc_scratch *s, int colour,
                              long slab, uint64_t sweep, const uint64_t *thr);

/* unsat[r] = unsatisfied bonds of replica r (64 W entries), bit-sliced. */
typedef void (*glass_count_fn)(const glass_lattice *g, int64_t *unsat);

typedef struct {
  const char *name;
  glass_slab_fn slab[2]; /* [dim == 3] */
  glass_count_fn unsatisfied;
  /* cnt[r] = sites where replica r of a and b differ. */
  void (*differ)(const glass_lattice *a, const glass_lattice *b, int64_t *cnt);
} glass_isa;

/* One per instruction set (glass_kernels*.c); glass_isas lists the ones built,
 * best first, NULL-terminated; msc_isa_runs() says which this CPU runs. */
extern const glass_isa glass_isa_generic, glass_isa_avx2, glass_isa_avx512;
extern const glass_isa *const glass_isas[];

#define GLASS_MAX_DEPTH 64

struct ceas_msc_glass {
  glass_lattice g;
  msc_scratch scratch;
  const glass_isa *isa;
  long rows;
  int64_t sites;
  uint64_t sweep;
  int depth;
  uint64_t thr[GLASS_MAX_DEPTH][4]; /* per sweep of the current pass */
};

#endif
