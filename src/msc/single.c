/* Single-lattice multi-spin coding: 64 sites of one colour and row per word,
 * Bernoulli acceptance masks bit-sliced from 32 planes of uniforms (contract
 * and layout in ceas_msc.h). The kernel works on a range of planes with
 * halos, so the whole torus (ceas_msc_single) and a strip of it (src/decomp)
 * run the very same code. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_lattice.h"
#include "ceas_msc.h"

/* Blocks of the bulk draw per word: planes 0 .. 2K-1 of U come from
 * ceas_rng_fill32 for every word (~0.75 ns per 32-bit word here: most of the
 * time). A site that matters ties with its threshold after 2K planes with
 * probability 2^-2K and then takes one word of its row's deep stream. Measured
 * at 2D L = 1024, beta_c (CPU time, loaded machine): K = 4 (~0.2 tied sites per
 * word) 3.0-3.3 flips/ns, K = 3 2.5 (the tie loop's cost and mispredictions
 * outgrow the saved plane block), K = 5 2.4. */
#define SINGLE_K 4
#define SINGLE_BULK (2 * SINGLE_K)
/* Words per bulk draw: ceas_rng_fill32 runs eight blocks at a time and is slow
 * on a handful; a chunk's blocks stay in L1. */
#define CHUNK_WORDS 128

/* Per-plane threshold bits as masks, classes q = 1 .. d (a site with d - q
 * antiparallel neighbours, p = exp(-4 beta q)), and "always" for p >= 1 (T =
 * 2^32, which no 32-bit comparison reaches). */
typedef struct {
  uint64_t m[4][SINGLE_BULK], always[4];
  uint32_t low[4]; /* T_q mod 2^(32 - 2K): a tied site's comparison */
} thresholds;

struct ceas_msc_single_kernel {
  int dim;
  long L, nw;       /* nw = L / 128 words per row and colour */
  long prow;        /* rows per plane: 1 (2D) or L (3D) */
  uint64_t R;       /* rows of the lattice: L^(d-1) */
  size_t pw;        /* words per plane and colour: prow nw */
  ceas_rng_key32 k32;
  thresholds th;
  long chunk_rows;  /* rows per bulk draw (within one plane in 3D) */
  size_t chunk_words;
  uint32_t *buf;    /* SINGLE_K blocks of every word of a chunk */
  uint64_t *sh;     /* the chunk's shifted in-row neighbours */
  uint64_t *rem;    /* 3 x chunk words: bits still tied per class */
  uint32_t *list, *start; /* words with tied sites, per row (tied_words) */
  uint32_t *deep;   /* the deep streams of a chunk's rows: block j of row i at
                       4 (j chunk_rows + i), 16 nw blocks per row at most */
  uint64_t *vc;     /* measurement: 2 parities x 8 levels x nw vertical counters */
  int64_t *down;    /* measurement: down spins per column x, L */
};

static inline uint64_t join(const uint32_t *b, int s) {
  return (uint64_t)b[2 * (s & 1)] | (uint64_t)b[2 * (s & 1) + 1] << 32;
}

/* Counter words of the draws of sweep t, colour c. */
static inline uint32_t ctr2(uint64_t t) { return (uint32_t)t; }
static inline uint32_t ctr3(uint64_t t, int c) { return (uint32_t)(2 * (t >> 32) + (uint64_t)c); }

/* The branch-free part of a run of words: neighbour counts by bitwise adders,
 * the 1/2 decision from U's top plane, the bulk planes for the other classes;
 * the provisional new value into a (tied bits do not flip yet) and the tied
 * bits into rem. A straight loop over words, which the compiler
 * vectorises (the AVX2 clone where the CPU has it). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SINGLE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SINGLE_CLONES
#endif

SINGLE_CLONES
static void bulk2(size_t n, uint64_t *restrict a, const uint64_t *restrict up,
                  const uint64_t *restrict dn, const uint64_t *restrict mid,
                  const uint64_t *restrict sh, const uint32_t *restrict buf, size_t bstride,
                  const thresholds *restrict th, uint64_t *restrict rem1,
                  uint64_t *restrict rem2) {
  for (size_t w = 0; w < n; w++) {
    const uint64_t s = a[w];
    const uint64_t a1 = s ^ up[w], a2 = s ^ dn[w], a3 = s ^ mid[w], a4 = s ^ sh[w];
    /* k = number of antiparallel neighbours, by two half adders and a sum. */
    const uint64_t x1 = a1 ^ a2, c1 = a1 & a2, x2 = a3 ^ a4, c2 = a3 & a4;
    const uint64_t k_odd = x1 ^ x2, ge2 = c1 | c2 | (x1 & x2), ge4 = c1 & c2;
    const uint32_t *b0 = buf + 4 * w;
    const uint64_t P0 = join(b0, 0);
    /* k >= 3 always; k = 2 (dE = 0) iff U < 2^31, i.e. U's top bit is 0. */
    uint64_t flip = (ge2 & k_odd) | ge4 | (ge2 & ~k_odd & ~P0);
    uint64_t n1 = ~ge2 & k_odd, n2 = ~ge2 & ~k_odd;
    flip |= (n1 & th->always[1]) | (n2 & th->always[2]);
    n1 &= ~th->always[1];
    n2 &= ~th->always[2];
#pragma GCC unroll 16
    for (int q = 0; q < SINGLE_BULK; q++) {
      const uint64_t P = join(b0 + (size_t)(q / 2) * bstride, q);
      flip |= n1 & ~P & th->m[1][q];
      n1 &= ~(P ^ th->m[1][q]);
      flip |= n2 & ~P & th->m[2][q];
      n2 &= ~(P ^ th->m[2][q]);
    }
    a[w] = s ^ flip;
    rem1[w] = n1;
    rem2[w] = n2;
  }
}

SINGLE_CLONES
static void bulk3(size_t n, uint64_t *restrict a, const uint64_t *restrict yp,
                  const uint64_t *restrict yn, const uint64_t *restrict zp,
                  const uint64_t *restrict zn, const uint64_t *restrict mid,
                  const uint64_t *restrict sh, const uint32_t *restrict buf, size_t bstride,
                  const thresholds *restrict th, uint64_t *restrict rem1,
                  uint64_t *restrict rem2, uint64_t *restrict rem3) {
  for (size_t w = 0; w < n; w++) {
    const uint64_t s = a[w];
    const uint64_t a1 = s ^ yp[w], a2 = s ^ yn[w], a3 = s ^ zp[w], a4 = s ^ zn[w],
                   a5 = s ^ mid[w], a6 = s ^ sh[w];
    /* k = b0 + 2 b1 + 4 b2 from two full adders and a sum of their outputs. */
    const uint64_t s1 = a1 ^ a2 ^ a3, c1 = (a1 & a2) | (a3 & (a1 ^ a2));
    const uint64_t s2 = a4 ^ a5 ^ a6, c2 = (a4 & a5) | (a6 & (a4 ^ a5));
    const uint64_t b0 = s1 ^ s2, cc = s1 & s2;
    const uint64_t b1 = c1 ^ c2 ^ cc, b2 = (c1 & c2) | (cc & (c1 ^ c2));
    const uint32_t *bb = buf + 4 * w;
    const uint64_t P0 = join(bb, 0);
    /* k >= 4 always; k = 3 (dE = 0) iff U's top bit is 0 (b1 & b0 is k = 3:
     * k = 7 does not exist). */
    uint64_t flip = b2 | (b1 & b0 & ~P0);
    uint64_t n1 = ~b2 & b1 & ~b0, n2 = ~b2 & ~b1 & b0, n3 = ~(b2 | b1 | b0);
    flip |= (n1 & th->always[1]) | (n2 & th->always[2]) | (n3 & th->always[3]);
    n1 &= ~th->always[1];
    n2 &= ~th->always[2];
    n3 &= ~th->always[3];
#pragma GCC unroll 16
    for (int q = 0; q < SINGLE_BULK; q++) {
      const uint64_t P = join(bb + (size_t)(q / 2) * bstride, q);
      flip |= n1 & ~P & th->m[1][q];
      n1 &= ~(P ^ th->m[1][q]);
      flip |= n2 & ~P & th->m[2][q];
      n2 &= ~(P ^ th->m[2][q]);
      flip |= n3 & ~P & th->m[3][q];
      n3 &= ~(P ^ th->m[3][q]);
    }
    a[w] = s ^ flip;
    rem1[w] = n1;
    rem2[w] = n2;
    rem3[w] = n3;
  }
}

/* The in-row neighbours of a row's sites as one word per word: parity o =
 * (c + y + z) & 1 of the row; bit j gets neighbour j + 1 (o odd) or j - 1. */
static void shifted(long nw, const uint64_t *mid, int o, uint64_t *sh) {
  /* The interior words as straight loops (vectorised), the wrap apart. */
  if (o) {
    for (long w = 0; w + 1 < nw; w++) sh[w] = (mid[w] >> 1) | (mid[w + 1] << 63);
    sh[nw - 1] = (mid[nw - 1] >> 1) | (mid[0] << 63);
  } else {
    for (long w = 1; w < nw; w++) sh[w] = (mid[w] << 1) | (mid[w - 1] >> 63);
    sh[0] = (mid[0] << 1) | (mid[nw - 1] >> 63);
  }
}

/* Block index of block j of row r's deep stream: above every plane block
 * (those are below 16 R nw whatever K), consecutive in r for each j. */
static inline uint64_t deep_block(const ceas_msc_single_kernel *k, uint64_t j, uint64_t r) {
  return 16 * k->R * (uint64_t)k->nw + j * k->R + r;
}

/* The words of m rows of nw words that hold tied sites, in order, gathered
 * without branches (whether a word has one is a coin flip the predictor
 * cannot learn), row i's at list[start[i] .. start[i + 1]); returns the largest
 * number of tied sites in one row. Cloned for popcnt: the build targets plain
 * x86-64, whose popcount is a library call. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("popcnt", "default")))
#endif
static long tied_words(long m, long nw, const uint64_t *rem1, const uint64_t *rem2,
                       const uint64_t *rem3, uint32_t *list, uint32_t *start) {
  long most = 0;
  uint32_t n = 0;
  for (long i = 0; i < m; i++) {
    long cnt = 0;
    start[i] = n;
    for (long w = 0; w < nw; w++) {
      const uint32_t o = (uint32_t)(i * nw + w);
      const uint64_t t = rem1[o] | rem2[o] | (rem3 ? rem3[o] : 0);
      list[n] = o;
      n += t != 0;
      cnt += __builtin_popcountll(t);
    }
    if (cnt > most) most = cnt;
  }
  start[m] = n;
  return most;
}

/* One chunk: rows r0 .. r0 + m - 1 (global), all in plane z (3D) or rows =
 * planes (2D); a and b point at the chunk's first row of colour c and 1 - c,
 * y0 is that row's y. */
static void chunk_update(ceas_msc_single_kernel *k, uint64_t t, int c, uint64_t r0, long m,
                         long y0, int64_t z, uint64_t *a, const uint64_t *b) {
  const long nw = k->nw, L = k->L;
  const size_t words = (size_t)m * (size_t)nw, bstride = 4 * k->chunk_words;
  for (uint64_t blk = 0; blk < SINGLE_K; blk++)
    ceas_rng_fill32(k->k32, (blk * k->R + r0) * (uint64_t)nw, ctr2(t), ctr3(t, c),
                    k->buf + blk * bstride, words);
  for (long i = 0; i < m; i++)
    shifted(nw, b + i * nw, (int)((c + y0 + i + z) & 1), k->sh + i * nw);
  uint64_t *rem1 = k->rem, *rem2 = rem1 + k->chunk_words, *rem3 = rem2 + k->chunk_words;
  if (k->dim == 2) {
    /* Rows are planes: the neighbours are the rows before and after, halos
     * included, so one run covers the chunk. */
    bulk2(words, a, b - nw, b + nw, b, k->sh, k->buf, bstride, &k->th, rem1, rem2);
  } else {
    /* y +- 1 wraps inside the plane: rows y = 0 and L - 1 are runs of their
     * own; z +- 1 are the planes before and after (halos included). */
    const size_t pw = k->pw;
    long i = 0;
    while (i < m) {
      long y = y0 + i, len;
      const uint64_t *mid = b + i * nw, *yp, *yn;
      if (y == 0 || y == L - 1) {
        len = 1;
        yp = y == 0 ? mid + (L - 1) * nw : mid - nw;
        yn = y == L - 1 ? mid - (L - 1) * nw : mid + nw;
      } else {
        len = (L - 1 - y < m - i) ? L - 1 - y : m - i;
        yp = mid - nw;
        yn = mid + nw;
      }
      size_t o = (size_t)i * (size_t)nw, n = (size_t)len * (size_t)nw;
      bulk3(n, a + o, yp, yn, mid - pw, mid + pw, mid, k->sh + o, k->buf + 4 * o, bstride,
            &k->th, rem1 + o, rem2 + o, rem3 + o);
      i += len;
    }
  }
  /* The tied sites, row by row in the order of j: each takes the next word
   * of its row's deep stream and compares its top 32 - 2K bits with T_q's low
   * bits. Block j of the streams of consecutive rows are consecutive, so the
   * chunk draws them in as many bulk calls as its neediest row has blocks. */
  const long blocks = (tied_words(m, nw, rem1, rem2, k->dim == 3 ? rem3 : NULL, k->list,
                                  k->start) + 3) / 4;
  for (long j = 0; j < blocks; j++)
    ceas_rng_fill32(k->k32, deep_block(k, (uint64_t)j, r0), ctr2(t), ctr3(t, c),
                    k->deep + 4 * (size_t)j * (size_t)k->chunk_rows, (size_t)m);
  for (long i = 0; i < m; i++) {
    size_t idx = 0;
    for (uint32_t e = k->start[i]; e < k->start[i + 1]; e++) {
      const uint32_t o = k->list[e];
      const uint64_t r1 = rem1[o], r2 = rem2[o];
      uint64_t tied = r1 | r2 | (k->dim == 3 ? rem3[o] : 0), flip = 0;
      do {
        const int bit = __builtin_ctzll(tied);
        const uint32_t low = (r1 >> bit) & 1 ? k->th.low[1]
                             : (r2 >> bit) & 1 ? k->th.low[2]
                                               : k->th.low[3];
        const uint32_t u = k->deep[4 * ((idx >> 2) * (size_t)k->chunk_rows + (size_t)i) +
                                   (idx & 3)];
        flip |= (uint64_t)((u >> SINGLE_BULK) < low) << bit;
        idx++;
        tied &= tied - 1;
      } while (tied);
      a[o] ^= flip;
    }
  }
}

/* ---- the kernel on planes ------------------------------------------------ */

int ceas_msc_single_check(int dim, long L) {
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "msc-single: dimension %d, expected 2 or 3", dim);
  if (L < 128 || L % 128)
    return ceas_error_set(CEAS_EINPUT,
                          "msc-single: L = %ld, expected a multiple of 128 (each row's L/2 "
                          "sites of a colour must fill whole 64-bit words)",
                          L);
  return CEAS_OK;
}

size_t ceas_msc_single_plane_words(int dim, long L) {
  return (size_t)(L / 128) * (dim == 3 ? (size_t)L : 1);
}

void ceas_msc_single_kernel_free(ceas_msc_single_kernel *k) {
  if (!k) return;
  free(k->buf);
  free(k->sh);
  free(k->rem);
  free(k->deep);
  free(k->list);
  free(k->start);
  free(k->vc);
  free(k->down);
  free(k);
}

int ceas_msc_single_kernel_alloc(int dim, long L, ceas_rng_key key,
                                 ceas_msc_single_kernel **out) {
  *out = NULL;
  int rc = ceas_msc_single_check(dim, L);
  if (rc) return rc;
  ceas_msc_single_kernel *k = ceas_calloc(1, sizeof *k);
  if (!k) return CEAS_ENOMEM;
  k->dim = dim;
  k->L = L;
  k->nw = L / 128;
  k->prow = dim == 3 ? L : 1;
  k->R = dim == 3 ? (uint64_t)L * (uint64_t)L : (uint64_t)L;
  k->pw = ceas_msc_single_plane_words(dim, L);
  k->k32 = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  k->chunk_rows = k->nw >= CHUNK_WORDS ? 1 : CHUNK_WORDS / k->nw;
  if (dim == 3 && k->chunk_rows > L) k->chunk_rows = L;
  k->chunk_words = (size_t)k->chunk_rows * (size_t)k->nw;
  k->buf = ceas_calloc(4 * SINGLE_K * k->chunk_words, sizeof *k->buf);
  k->sh = ceas_calloc(k->chunk_words, sizeof *k->sh);
  k->rem = ceas_calloc(3 * k->chunk_words, sizeof *k->rem);
  k->deep = ceas_calloc(64 * k->chunk_words, sizeof *k->deep);
  k->list = ceas_calloc(k->chunk_words, sizeof *k->list);
  k->start = ceas_calloc((size_t)k->chunk_rows + 1, sizeof *k->start);
  k->vc = ceas_calloc(16 * (size_t)k->nw, sizeof *k->vc);
  k->down = ceas_calloc((size_t)L, sizeof *k->down);
  if (!k->buf || !k->sh || !k->rem || !k->deep || !k->list || !k->start || !k->vc ||
      !k->down) {
    ceas_msc_single_kernel_free(k);
    return ceas_error_set(CEAS_ENOMEM, "msc-single: out of memory for the kernel's buffers");
  }
  ceas_msc_single_kernel_set_beta(k, 0);
  *out = k;
  return CEAS_OK;
}

static void thresholds_class(thresholds *th, int q, uint64_t T) {
  for (int s = 0; s < SINGLE_BULK; s++) th->m[q][s] = -((T >> (31 - s)) & 1);
  th->always[q] = T >> 32 ? ~UINT64_C(0) : 0;
  th->low[q] = (uint32_t)(T & ((UINT64_C(1) << (32 - SINGLE_BULK)) - 1));
}

int ceas_msc_single_kernel_set_beta(ceas_msc_single_kernel *k, double beta) {
  if (!isfinite(beta) || beta < 0)
    return ceas_error_set(CEAS_EINPUT, "msc-single: beta = %g, expected a finite value >= 0",
                          beta);
  memset(&k->th, 0, sizeof k->th);
  for (int q = 1; q <= k->dim; q++) {
    uint64_t T = ceas_lattice_threshold(exp(-4 * beta * q));
    thresholds_class(&k->th, q, T);
  }
  return CEAS_OK;
}

void ceas_msc_single_kernel_update(ceas_msc_single_kernel *k, uint64_t t, int c, int64_t g0,
                                   int64_t n, uint64_t *a, const uint64_t *b) {
  const long nw = k->nw;
  if (k->dim == 2) {
    for (int64_t i = 0; i < n; i += k->chunk_rows) {
      long m = (long)(n - i < k->chunk_rows ? n - i : k->chunk_rows);
      chunk_update(k, t, c, (uint64_t)(g0 + i), m, (long)(g0 + i), 0, a + i * nw, b + i * nw);
    }
    return;
  }
  for (int64_t p = 0; p < n; p++) {
    const int64_t z = g0 + p;
    for (long y = 0; y < k->L; y += k->chunk_rows) {
      long m = k->L - y < k->chunk_rows ? k->L - y : k->chunk_rows;
      size_t o = (size_t)p * k->pw + (size_t)y * (size_t)nw;
      chunk_update(k, t, c, (uint64_t)z * (uint64_t)k->L + (uint64_t)y, m, y, z, a + o,
                   b + o);
    }
  }
}

void ceas_msc_single_initial(ceas_rng_key key, int dim, long L, ceas_msc_init init, int c,
                             int64_t g0, int64_t n, uint64_t *a) {
  const size_t pw = ceas_msc_single_plane_words(dim, L), nw = (size_t)(L / 128);
  const size_t rows = pw / nw;
  if (init != CEAS_MSC_HOT) {
    memset(a, 0, (size_t)n * pw * sizeof *a);
    return;
  }
  for (int64_t p = 0; p < n; p++)
    for (size_t y = 0; y < rows; y++) {
      uint64_t r = (uint64_t)(g0 + p) * rows + y;
      for (size_t w = 0; w < nw; w++) {
        uint64_t bits[4];
        ceas_rng_bits(key, r, w, CEAS_MSC_TAG_SINGLE_INIT, (uint64_t)c, bits);
        a[(size_t)p * pw + y * nw + w] = bits[0];
      }
    }
}

/* Adds one row's words into the vertical counters of parity o: an 8-level
 * ripple adder per bit, so 255 rows fit before a flush. */
static void vc_add(uint64_t *vc, long nw, const uint64_t *row) {
  for (long w = 0; w < nw; w++) {
    uint64_t carry = row[w];
    for (int l = 0; l < 8; l++) {
      uint64_t *v = vc + (size_t)l * (size_t)nw + (size_t)w, t = *v & carry;
      *v ^= carry;
      carry = t;
    }
  }
}

static void vc_flush(ceas_msc_single_kernel *k) {
  const long nw = k->nw;
  for (int o = 0; o < 2; o++)
    for (int l = 0; l < 8; l++)
      for (long w = 0; w < nw; w++) {
        uint64_t *v = k->vc + ((size_t)(8 * o + l) * (size_t)nw + (size_t)w);
        for (uint64_t bits = *v; bits; bits &= bits - 1)
          k->down[2 * (64 * w + __builtin_ctzll(bits)) + o] += (int64_t)1 << l;
        *v = 0;
      }
}

/* Cloned for popcnt (the build's baseline x86-64 makes popcount a library
 * call, a third of a sweep's time when measuring every sweep). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("popcnt", "default")))
#endif
static void measure_planes(ceas_msc_single_kernel *k, int64_t g0, int64_t n,
                           const uint64_t *c0, const uint64_t *c1, int64_t *bonds,
                           int64_t *px, int64_t *py, int64_t *plane_sums) {
  const long nw = k->nw, L = k->L, prow = k->prow;
  const size_t pw = k->pw;
  int64_t anti = 0, rows = 0;
  if (px) memset(k->down, 0, (size_t)L * sizeof *k->down);
  /* Every bond joins a colour-0 site to a colour-1 site: the 2d neighbours of
   * the colour-0 sites are all bonds, each once, whichever rank holds its
   * colour-0 end. */
  for (int64_t p = 0; p < n; p++) {
    const int64_t z = g0 + p;
    int64_t plane_down = 0;
    for (long y = 0; y < prow; y++) {
      const size_t o = (size_t)p * pw + (size_t)y * (size_t)nw;
      const uint64_t *a = c0 + o, *mid = c1 + o, *yp, *yn, *zp = NULL, *zn = NULL;
      if (k->dim == 2) {
        yp = mid - nw;
        yn = mid + nw;
      } else {
        yp = y == 0 ? mid + (L - 1) * nw : mid - nw;
        yn = y == L - 1 ? mid - (L - 1) * nw : mid + nw;
        zp = mid - pw;
        zn = mid + pw;
      }
      /* Colour 0's row parity (y + z) & 1; in 2D the plane index is y. */
      const long yy = k->dim == 3 ? y : (long)z;
      const int par = (int)((yy + (k->dim == 3 ? z : 0)) & 1);
      int64_t row_down = 0;
      for (long w = 0; w < nw; w++) {
        uint64_t sh = par ? (mid[w] >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                          : (mid[w] << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
        anti += __builtin_popcountll(a[w] ^ yp[w]) + __builtin_popcountll(a[w] ^ yn[w]) +
                __builtin_popcountll(a[w] ^ mid[w]) + __builtin_popcountll(a[w] ^ sh);
        if (zp) anti += __builtin_popcountll(a[w] ^ zp[w]) + __builtin_popcountll(a[w] ^ zn[w]);
        row_down += __builtin_popcountll(a[w]) + __builtin_popcountll(mid[w]);
      }
      if (py) py[yy] += L - 2 * row_down;
      plane_down += row_down;
      if (px) {
        /* Site x = 2 j + o of a row is bit j of the colour whose parity is o. */
        vc_add(k->vc + (size_t)(8 * par) * (size_t)nw, nw, a);
        vc_add(k->vc + (size_t)(8 * (1 - par)) * (size_t)nw, nw, mid);
        if (++rows % 255 == 0) vc_flush(k);
      }
    }
    if (plane_sums) plane_sums[p] = (int64_t)prow * L - 2 * plane_down;
  }
  if (px) {
    vc_flush(k);
    const int64_t nrows = n * prow;
    for (long x = 0; x < L; x++) px[x] += nrows - 2 * k->down[x];
  }
  *bonds = (int64_t)k->dim * n * prow * L - 2 * anti;
}

void ceas_msc_single_kernel_measure(ceas_msc_single_kernel *k, int64_t g0, int64_t n,
                                    const uint64_t *c0, const uint64_t *c1, int64_t *bonds,
                                    int64_t *px, int64_t *py, int64_t *plane_sums) {
  measure_planes(k, g0, n, c0, c1, bonds, px, py, plane_sums);
}

void ceas_msc_single_unpack(int dim, long L, int64_t g0, int64_t n, const uint64_t *c0,
                            const uint64_t *c1, int8_t *spins) {
  const size_t pw = ceas_msc_single_plane_words(dim, L), nw = (size_t)(L / 128);
  const long prow = dim == 3 ? L : 1;
  for (int64_t p = 0; p < n; p++)
    for (long y = 0; y < prow; y++) {
      const int64_t z = g0 + p;
      const long yy = dim == 3 ? y : (long)z, zz = dim == 3 ? (long)z : 0;
      for (long x = 0; x < L; x++) {
        const uint64_t *col = ((x + yy + zz) & 1) ? c1 : c0;
        long j = x >> 1;
        uint64_t word = col[(size_t)p * pw + (size_t)y * nw + (size_t)(j >> 6)];
        spins[((size_t)p * (size_t)prow + (size_t)y) * (size_t)L + (size_t)x] =
            (word >> (j & 63)) & 1 ? -1 : 1;
      }
    }
}

/* ---- the whole torus ----------------------------------------------------- */

struct ceas_msc_single {
  int dim;
  long L;
  size_t pw;
  uint64_t *col[2]; /* L + 2 planes each: halo, planes 0 .. L-1, halo */
  ceas_msc_single_kernel *k;
  uint64_t sweep;
};

static uint64_t *plane0(const ceas_msc_single *st, int c) { return st->col[c] + st->pw; }

/* The halos of colour c: copies of planes L - 1 and 0 (the torus wrap). */
static void refresh_halos(ceas_msc_single *st, int c) {
  uint64_t *p = plane0(st, c);
  const size_t pw = st->pw, L = (size_t)st->L;
  memcpy(p - pw, p + (L - 1) * pw, pw * sizeof *p);
  memcpy(p + L * pw, p, pw * sizeof *p);
}

int ceas_msc_single_alloc_dim(int dim, long L, ceas_rng_key key, ceas_msc_init init,
                              ceas_msc_single **out) {
  *out = NULL;
  if ((dim == 2 && (L < 128 || L > 65536 || L % 128)) ||
      (dim == 3 && (L < 128 || L > 2048 || L % 128)))
    return ceas_error_set(CEAS_EINPUT,
                          "msc-single: L = %ld, expected a multiple of 128 from 128 to %d "
                          "(each row's L/2 sites of a colour must fill whole 64-bit words)",
                          L, dim == 3 ? 2048 : 65536);
  int rc = ceas_msc_single_check(dim, L);
  if (rc) return rc;
  ceas_msc_single *st = ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  st->dim = dim;
  st->L = L;
  st->pw = ceas_msc_single_plane_words(dim, L);
  for (int c = 0; c < 2; c++)
    st->col[c] = ceas_calloc((size_t)(L + 2) * st->pw, sizeof(uint64_t));
  rc = st->col[0] && st->col[1] ? ceas_msc_single_kernel_alloc(dim, L, key, &st->k)
                                : ceas_error_set(CEAS_ENOMEM, "msc-single: out of memory for "
                                                              "L = %ld",
                                                 L);
  if (rc) {
    ceas_msc_single_free(st);
    return rc;
  }
  for (int c = 0; c < 2; c++) {
    ceas_msc_single_initial(key, dim, L, init, c, 0, L, plane0(st, c));
    refresh_halos(st, c);
  }
  *out = st;
  return CEAS_OK;
}

int ceas_msc_single_alloc(long L, ceas_rng_key key, ceas_msc_init init, ceas_msc_single **out) {
  return ceas_msc_single_alloc_dim(2, L, key, init, out);
}

void ceas_msc_single_free(ceas_msc_single *st) {
  if (!st) return;
  free(st->col[0]);
  free(st->col[1]);
  ceas_msc_single_kernel_free(st->k);
  free(st);
}

int ceas_msc_single_dim(const ceas_msc_single *st) { return st->dim; }
long ceas_msc_single_L(const ceas_msc_single *st) { return st->L; }
int64_t ceas_msc_single_sites(const ceas_msc_single *st) {
  return (int64_t)st->L * st->L * (st->dim == 3 ? st->L : 1);
}
uint64_t ceas_msc_single_sweeps_done(const ceas_msc_single *st) { return st->sweep; }

int ceas_msc_single_sweep(ceas_msc_single *st, double beta, uint64_t n) {
  int rc = ceas_msc_single_kernel_set_beta(st->k, beta);
  if (rc) return rc;
  for (uint64_t i = 0; i < n; i++) {
    for (int c = 0; c < 2; c++) {
      ceas_msc_single_kernel_update(st->k, st->sweep, c, 0, st->L, plane0(st, c),
                                    plane0(st, 1 - c));
      refresh_halos(st, c);
    }
    st->sweep++;
  }
  return CEAS_OK;
}

void ceas_msc_single_measure(const ceas_msc_single *st, int64_t *E, int64_t *M) {
  int64_t bonds, m = 0;
  int64_t *sums = malloc((size_t)st->L * sizeof *sums);
  if (sums) {
    ceas_msc_single_kernel_measure(st->k, 0, st->L, plane0(st, 0), plane0(st, 1), &bonds, NULL,
                                   NULL, sums);
    for (long p = 0; p < st->L; p++) m += sums[p];
    free(sums);
  } else {
    /* No per-plane sums without memory: count M plane by plane. */
    bonds = 0;
    for (long p = 0; p < st->L; p++) {
      int64_t b, s;
      ceas_msc_single_kernel_measure(st->k, p, 1, plane0(st, 0) + (size_t)p * st->pw,
                                     plane0(st, 1) + (size_t)p * st->pw, &b, NULL, NULL, &s);
      bonds += b;
      m += s;
    }
  }
  *E = -bonds;
  *M = m;
}

void ceas_msc_single_get_spins(const ceas_msc_single *st, int8_t *spins) {
  ceas_msc_single_unpack(st->dim, st->L, 0, st->L, plane0(st, 0), plane0(st, 1), spins);
}

void ceas_msc_single_set_spins(ceas_msc_single *st, const int8_t *spins, uint64_t sweeps_done) {
  const long L = st->L, prow = st->dim == 3 ? L : 1;
  const size_t nw = (size_t)(L / 128);
  for (int c = 0; c < 2; c++) memset(plane0(st, c), 0, (size_t)L * st->pw * sizeof(uint64_t));
  for (long z = 0; z < L; z++)
    for (long y = 0; y < prow; y++) {
      const long yy = st->dim == 3 ? y : z, zz = st->dim == 3 ? z : 0;
      for (long x = 0; x < L; x++)
        if (spins[((size_t)z * (size_t)prow + (size_t)y) * (size_t)L + (size_t)x] < 0) {
          long j = x >> 1;
          plane0(st, (int)((x + yy + zz) & 1))[(size_t)z * st->pw + (size_t)y * nw +
                                              (size_t)(j >> 6)] |= UINT64_C(1) << (j & 63);
        }
    }
  for (int c = 0; c < 2; c++) refresh_halos(st, c);
  st->sweep = sweeps_done;
}

void ceas_msc_single_bernoulli(ceas_rng_key key, long L, uint64_t t, int c, long y, long w,
                               double p1, double p2, uint64_t *b1, uint64_t *b2,
                               uint64_t *half) {
  /* Row y as if all its sites were of class 1 (then of class 2): the bulk
   * planes from the same fill as the sweep's, the tied sites in order of j
   * taking the row's deep stream. */
  *b1 = *b2 = *half = 0;
  ceas_msc_single_kernel kk = {0}, *k = &kk;
  k->nw = L / 128;
  k->R = (uint64_t)L;
  k->k32 = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  const long nw = k->nw;
  uint32_t *buf = malloc((size_t)(4 * SINGLE_K) * (size_t)nw * sizeof *buf),
           *deep = malloc((size_t)(64 * nw) * sizeof *deep);
  uint64_t *tied = malloc((size_t)nw * sizeof *tied), *lt = malloc((size_t)nw * sizeof *lt);
  if (buf && deep && tied && lt) {
    const size_t bstride = 4 * (size_t)nw;
    for (uint64_t blk = 0; blk < SINGLE_K; blk++)
      ceas_rng_fill32(k->k32, (blk * k->R + (uint64_t)y) * (uint64_t)nw, ctr2(t), ctr3(t, c),
                      buf + blk * bstride, (size_t)nw);
    long filled = 0; /* deep blocks drawn so far: the row alone, one at a time */
    thresholds th;
    thresholds_class(&th, 1, ceas_lattice_threshold(p1));
    thresholds_class(&th, 2, ceas_lattice_threshold(p2));
    for (int q = 1; q <= 2; q++) {
      for (long v = 0; v < nw; v++) {
        const uint32_t *b0 = buf + 4 * (size_t)v;
        uint64_t need = ~th.always[q], l = th.always[q];
        for (int s = 0; s < SINGLE_BULK; s++) {
          const uint64_t P = join(b0 + (size_t)(s / 2) * bstride, s);
          l |= need & ~P & th.m[q][s];
          need &= ~(P ^ th.m[q][s]);
        }
        lt[v] = l;
        tied[v] = need;
      }
      size_t idx = 0;
      for (long v = 0; v < nw; v++)
        for (uint64_t x = tied[v]; x; x &= x - 1, idx++) {
          for (; filled <= (long)(idx >> 2); filled++)
            ceas_rng_fill32(k->k32, deep_block(k, (uint64_t)filled, (uint64_t)y), ctr2(t),
                            ctr3(t, c), deep + 4 * filled, 1);
          if ((deep[idx] >> SINGLE_BULK) < th.low[q]) lt[v] |= UINT64_C(1) << __builtin_ctzll(x);
        }
      *(q == 1 ? b1 : b2) = lt[w];
    }
    *half = ~join(buf + 4 * (size_t)w, 0);
  }
  free(buf);
  free(deep);
  free(tied);
  free(lt);
}
