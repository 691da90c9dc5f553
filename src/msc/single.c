/* Single-lattice multi-spin coding: one L x L torus, 64 sites of one colour and
 * row per word, Bernoulli acceptance masks bit-sliced from 32 planes of
 * uniforms (contract and layout in ceas_msc.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_msc.h"

/* Blocks of the bulk draw per word and row: slots 0..2K-1 (the 1/2 mask and
 * the top 2K - 1 planes) come from ceas_rng_fill32 (~0.8 ns per 32-bit word
 * here), deeper planes one block at a time with ceas_rng_bits32 (~12 ns a
 * block). A bit stays undecided after k planes with probability 2^-k, so with
 * ~40 bits that matter per word ~8% of the words need a deeper block at K = 5
 * and ~27% at K = 4; K = 5 measured 20-40% faster at L = 1024. */
#define SINGLE_K 5

struct ceas_msc_single {
  long L, nw; /* nw = L / 128 words per row and colour */
  uint64_t *col[2];
  ceas_rng_key key;
  ceas_rng_key32 k32;
  uint64_t sweep;
  long chunk;    /* rows per bulk draw: ~64 blocks per ceas_rng_fill32 call,
                    which runs eight at a time and is slow on a handful */
  uint32_t *buf; /* SINGLE_K blocks of every word of chunk rows */
  uint64_t *tmp; /* 3 nw words: update_row's scratch */
};

/* Threshold of a probability as the header defines it, with "always" as
 * 2^32 (which the planes never reach, so it is handled before the loop). */
static uint64_t threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return UINT64_C(1) << 32;
  return (uint64_t)ceil(ldexp(p, 32));
}

/* Draws of one row (sweep, colour, row y): the first SINGLE_K blocks of every
 * word from the bulk buffer of its chunk, deeper ones on demand. */
typedef struct {
  ceas_rng_key32 k32;
  uint32_t c2, c3;
  uint64_t L, nw, y;
  const uint32_t *buf; /* block 0 of word 0 of row y */
  size_t bstride;      /* uint32_t from block b to block b + 1 of a word */
} row_draws;

static void draws_counter(row_draws *d, const ceas_msc_single *st, uint64_t t, int c) {
  d->k32 = st->k32;
  d->c2 = (uint32_t)t;
  d->c3 = (uint32_t)(2 * (t >> 32) + (uint64_t)c);
  d->L = (uint64_t)st->L;
  d->nw = (uint64_t)st->nw;
  d->bstride = 4 * (size_t)st->chunk * (size_t)st->nw;
}

/* Blocks b < SINGLE_K of rows y0 .. y0 + rows - 1: for each b one contiguous
 * run of counters, ((b L + y) nw + w). */
static void fill_chunk(const row_draws *d, uint32_t *buf, long y0, long rows) {
  for (uint64_t b = 0; b < SINGLE_K; b++)
    ceas_rng_fill32(d->k32, (b * d->L + (uint64_t)y0) * d->nw, d->c2, d->c3,
                    buf + b * d->bstride, (size_t)rows * (size_t)d->nw);
}

static inline uint64_t join(const uint32_t *b, int s) {
  return (uint64_t)b[2 * (s & 1)] | (uint64_t)b[2 * (s & 1) + 1] << 32;
}

/* The comparison of bulk_pass and update_row's tail for one word on its own,
 * for ceas_msc_single_bernoulli: the 64 uniforms of word w against T1 and T2,
 * deciding the bits in need1 / need2 and stopping once those are decided (the
 * result is the full 32-bit comparison on those bits). test_msc_single ties the
 * kernel to U < T bit for bit, and this to the frequencies T / 2^32. */
static inline void compare2(const row_draws *d, long w, uint64_t T1, uint64_t T2,
                            uint64_t need1, uint64_t need2, uint64_t *lt1, uint64_t *lt2) {
  uint64_t l1 = 0, l2 = 0;
  if (T1 >> 32) {
    l1 = need1;
    need1 = 0;
  }
  if (T2 >> 32) {
    l2 = need2;
    need2 = 0;
  }
  /* The bulk planes unconditionally (a fixed count the compiler unrolls: an
   * early exit would mispredict on almost every word), then the rare rest. */
  const uint32_t *b0 = d->buf + 4 * (size_t)w;
  for (int k = 0; k < 2 * SINGLE_K - 1; k++) {
    const int s = 1 + k;
    const uint64_t P = join(b0 + (size_t)(s / 2) * d->bstride, s);
    const uint64_t m1 = -((T1 >> (31 - k)) & 1), m2 = -((T2 >> (31 - k)) & 1);
    /* Where T's bit is 1 and U's is 0, U < T is decided true; where they
     * differ either way the bit is decided. */
    l1 |= need1 & ~P & m1;
    need1 &= ~(P ^ m1);
    l2 |= need2 & ~P & m2;
    need2 &= ~(P ^ m2);
  }
  uint32_t blk[4];
  for (int k = 2 * SINGLE_K - 1; k < 32 && (need1 | need2); k++) {
    const int s = 1 + k;
    if (!(s & 1)) {
      uint64_t b = ((uint64_t)(s / 2) * d->L + d->y) * d->nw + (uint64_t)w;
      ceas_rng_bits32(d->k32, (uint32_t)b, (uint32_t)(b >> 32), d->c2, d->c3, blk);
    }
    const uint64_t P = join(blk, s);
    const uint64_t m1 = -((T1 >> (31 - k)) & 1), m2 = -((T2 >> (31 - k)) & 1);
    l1 |= need1 & ~P & m1;
    need1 &= ~(P ^ m1);
    l2 |= need2 & ~P & m2;
    need2 &= ~(P ^ m2);
  }
  *lt1 = l1;
  *lt2 = l2;
}

/* Per-plane threshold bits as masks, and "always" for p >= 1 (T = 2^32, which
 * no 32-bit comparison reaches). */
typedef struct {
  uint64_t m1[32], m2[32], always1, always2;
} thresholds;

static void thresholds_init(thresholds *th, uint64_t T1, uint64_t T2) {
  for (int k = 0; k < 32; k++) {
    th->m1[k] = -((T1 >> (31 - k)) & 1);
    th->m2[k] = -((T2 >> (31 - k)) & 1);
  }
  th->always1 = T1 >> 32 ? ~UINT64_C(0) : 0;
  th->always2 = T2 >> 32 ? ~UINT64_C(0) : 0;
}

/* The branch-free part of a row: every word against the bulk planes, its
 * provisional new value into a (bits still undecided do not flip yet) and the
 * undecided bits into rem1 / rem2. A straight loop over words, which the
 * compiler vectorises (the AVX2 clone where the CPU has it). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
static void bulk_pass(long nw, uint64_t *restrict a, const uint64_t *restrict up,
                      const uint64_t *restrict dn, const uint64_t *restrict mid,
                      const uint64_t *restrict sh, const uint32_t *restrict buf, size_t bstride,
                      const thresholds *restrict th, uint64_t *restrict rem1,
                      uint64_t *restrict rem2) {
  for (long w = 0; w < nw; w++) {
    const uint64_t s = a[w];
    const uint64_t a1 = s ^ up[w], a2 = s ^ dn[w], a3 = s ^ mid[w], a4 = s ^ sh[w];
    /* k = number of antiparallel neighbours, by two half adders and a sum. */
    const uint64_t x1 = a1 ^ a2, c1 = a1 & a2, x2 = a3 ^ a4, c2 = a3 & a4;
    const uint64_t k_odd = x1 ^ x2, ge2 = c1 | c2 | (x1 & x2), ge4 = c1 & c2;
    const uint32_t *b0 = buf + 4 * (size_t)w;
    uint64_t flip = (ge2 & k_odd) | ge4 | (ge2 & ~k_odd & join(b0, 0));
    uint64_t need1 = ~ge2 & k_odd, need2 = ~ge2 & ~k_odd;
    flip |= (need1 & th->always1) | (need2 & th->always2);
    need1 &= ~th->always1;
    need2 &= ~th->always2;
#pragma GCC unroll 16
    for (int k = 0; k < 2 * SINGLE_K - 1; k++) {
      const int q = 1 + k;
      const uint64_t P = join(b0 + (size_t)(q / 2) * bstride, q);
      /* Where T's bit is 1 and U's is 0, U < T is decided true; where they
       * differ either way the bit is decided. */
      flip |= need1 & ~P & th->m1[k];
      need1 &= ~(P ^ th->m1[k]);
      flip |= need2 & ~P & th->m2[k];
      need2 &= ~(P ^ th->m2[k]);
    }
    a[w] = s ^ flip;
    rem1[w] = need1;
    rem2[w] = need2;
  }
}

/* One row of colour c: a the row's words, up / dn / mid the other colour's rows
 * y - 1, y + 1, y; odd = (c + y) & 1 picks the shifted neighbour j + 1 (odd) or
 * j - 1 (even). tmp: 3 nw words of scratch. */
static void update_row(const ceas_msc_single *st, const row_draws *d, uint64_t *a,
                       const uint64_t *up, const uint64_t *dn, const uint64_t *mid, int odd,
                       const thresholds *th, uint64_t *tmp) {
  const long nw = st->nw;
  uint64_t *sh = tmp, *rem1 = tmp + nw, *rem2 = tmp + 2 * nw;
  for (long w = 0; w < nw; w++)
    sh[w] = odd ? (mid[w] >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                : (mid[w] << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
  bulk_pass(nw, a, up, dn, mid, sh, d->buf, d->bstride, th, rem1, rem2);
  /* The rare words with bits still undecided: deeper planes one block at a
   * time (the bits not yet flipped are exactly the undecided ones). */
  for (long w = 0; w < nw; w++) {
    uint64_t need1 = rem1[w], need2 = rem2[w], flip = 0;
    uint32_t blk[4];
    for (int k = 2 * SINGLE_K - 1; k < 32 && (need1 | need2); k++) {
      const int q = 1 + k;
      if (!(q & 1)) {
        uint64_t b = ((uint64_t)(q / 2) * d->L + d->y) * d->nw + (uint64_t)w;
        ceas_rng_bits32(d->k32, (uint32_t)b, (uint32_t)(b >> 32), d->c2, d->c3, blk);
      }
      const uint64_t P = join(blk, q);
      flip |= need1 & ~P & th->m1[k];
      need1 &= ~(P ^ th->m1[k]);
      flip |= need2 & ~P & th->m2[k];
      need2 &= ~(P ^ th->m2[k]);
    }
    a[w] ^= flip;
  }
}

int ceas_msc_single_alloc(long L, ceas_rng_key key, ceas_msc_init init,
                          ceas_msc_single **out) {
  *out = NULL;
  if (L < 128 || L > 65536 || L % 128)
    return ceas_error_set(CEAS_EINPUT,
                          "msc-single: L = %ld, expected a multiple of 128 from 128 to 65536 "
                          "(each row's L/2 sites of a colour must fill whole 64-bit words)",
                          L);
  ceas_msc_single *st = ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  st->L = L;
  st->nw = L / 128;
  st->key = key;
  st->k32 = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  size_t words = (size_t)L * (size_t)st->nw;
  for (int c = 0; c < 2; c++) st->col[c] = ceas_calloc(words, sizeof(uint64_t));
  st->chunk = st->nw >= 64 ? 1 : 64 / st->nw;
  st->buf = ceas_calloc((size_t)(4 * SINGLE_K) * (size_t)st->chunk * (size_t)st->nw,
                        sizeof(uint32_t));
  st->tmp = ceas_calloc(3 * (size_t)st->nw, sizeof(uint64_t));
  if (!st->col[0] || !st->col[1] || !st->buf || !st->tmp) {
    ceas_msc_single_free(st);
    return ceas_error_set(CEAS_ENOMEM, "msc-single: out of memory for %ld^2", L);
  }
  if (init == CEAS_MSC_HOT)
    for (int c = 0; c < 2; c++)
      for (long y = 0; y < L; y++)
        for (long w = 0; w < st->nw; w++) {
          uint64_t b[4];
          ceas_rng_bits(key, (uint64_t)y, (uint64_t)w, CEAS_MSC_TAG_SINGLE_INIT, (uint64_t)c, b);
          st->col[c][(size_t)y * (size_t)st->nw + (size_t)w] = b[0];
        }
  *out = st;
  return CEAS_OK;
}

void ceas_msc_single_free(ceas_msc_single *st) {
  if (!st) return;
  free(st->col[0]);
  free(st->col[1]);
  free(st->buf);
  free(st->tmp);
  free(st);
}

long ceas_msc_single_L(const ceas_msc_single *st) { return st->L; }
int64_t ceas_msc_single_sites(const ceas_msc_single *st) { return (int64_t)st->L * st->L; }
uint64_t ceas_msc_single_sweeps_done(const ceas_msc_single *st) { return st->sweep; }

int ceas_msc_single_sweep(ceas_msc_single *st, double beta, uint64_t n) {
  if (!isfinite(beta) || beta < 0)
    return ceas_error_set(CEAS_EINPUT, "msc-single: beta = %g, expected a finite value >= 0",
                          beta);
  thresholds th;
  thresholds_init(&th, threshold(exp(-4 * beta)), threshold(exp(-8 * beta)));
  const long L = st->L, nw = st->nw;
  for (uint64_t i = 0; i < n; i++) {
    for (int c = 0; c < 2; c++) {
      uint64_t *A = st->col[c];
      const uint64_t *B = st->col[1 - c];
      row_draws d;
      draws_counter(&d, st, st->sweep, c);
      for (long y = 0; y < L; y++) {
        long y0 = y - y % st->chunk;
        if (y == y0) fill_chunk(&d, st->buf, y0, st->chunk < L - y0 ? st->chunk : L - y0);
        d.y = (uint64_t)y;
        d.buf = st->buf + 4 * (size_t)(y - y0) * (size_t)nw;
        long yu = y == 0 ? L - 1 : y - 1, yd = y + 1 == L ? 0 : y + 1;
        update_row(st, &d, A + (size_t)y * (size_t)nw, B + (size_t)yu * (size_t)nw,
                   B + (size_t)yd * (size_t)nw, B + (size_t)y * (size_t)nw, (int)((c + y) & 1),
                   &th, st->tmp);
      }
    }
    st->sweep++;
  }
  return CEAS_OK;
}

void ceas_msc_single_measure(const ceas_msc_single *st, int64_t *E, int64_t *M) {
  const long L = st->L, nw = st->nw;
  int64_t anti = 0, down = 0;
  /* Every bond joins a colour-0 site to a colour-1 site: the four neighbours of
   * all colour-0 sites are the 2 N bonds, each once. */
  for (long y = 0; y < L; y++) {
    const uint64_t *a = st->col[0] + (size_t)y * (size_t)nw;
    const uint64_t *up = st->col[1] + (size_t)(y == 0 ? L - 1 : y - 1) * (size_t)nw;
    const uint64_t *dn = st->col[1] + (size_t)(y + 1 == L ? 0 : y + 1) * (size_t)nw;
    const uint64_t *mid = st->col[1] + (size_t)y * (size_t)nw;
    for (long w = 0; w < nw; w++) {
      uint64_t sh = (y & 1) ? (mid[w] >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                            : (mid[w] << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
      anti += __builtin_popcountll(a[w] ^ up[w]) + __builtin_popcountll(a[w] ^ dn[w]) +
              __builtin_popcountll(a[w] ^ mid[w]) + __builtin_popcountll(a[w] ^ sh);
      down += __builtin_popcountll(a[w]) + __builtin_popcountll(mid[w]);
    }
  }
  const int64_t N = (int64_t)L * L;
  *E = 2 * anti - 2 * N;
  *M = N - 2 * down;
}

void ceas_msc_single_get_spins(const ceas_msc_single *st, int8_t *spins) {
  const long L = st->L, nw = st->nw;
  for (long y = 0; y < L; y++)
    for (long x = 0; x < L; x++) {
      long j = x >> 1;
      uint64_t word = st->col[(x + y) & 1][(size_t)y * (size_t)nw + (size_t)(j >> 6)];
      spins[(size_t)y * (size_t)L + (size_t)x] = (word >> (j & 63)) & 1 ? -1 : 1;
    }
}

void ceas_msc_single_set_spins(ceas_msc_single *st, const int8_t *spins, uint64_t sweeps_done) {
  const long L = st->L, nw = st->nw;
  memset(st->col[0], 0, (size_t)L * (size_t)nw * sizeof(uint64_t));
  memset(st->col[1], 0, (size_t)L * (size_t)nw * sizeof(uint64_t));
  for (long y = 0; y < L; y++)
    for (long x = 0; x < L; x++)
      if (spins[(size_t)y * (size_t)L + (size_t)x] < 0) {
        long j = x >> 1;
        st->col[(x + y) & 1][(size_t)y * (size_t)nw + (size_t)(j >> 6)] |= UINT64_C(1)
                                                                          << (j & 63);
      }
  st->sweep = sweeps_done;
}

void ceas_msc_single_bernoulli(ceas_rng_key key, long L, uint64_t t, int c, long y, long w,
                               double p1, double p2, uint64_t *b1, uint64_t *b2,
                               uint64_t *half) {
  ceas_msc_single st = {0};
  st.L = L;
  st.nw = L / 128;
  st.k32 = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  st.chunk = 1;
  uint32_t *buf = malloc((size_t)(4 * SINGLE_K) * (size_t)st.nw * sizeof *buf);
  if (!buf) {
    *b1 = *b2 = *half = 0;
    return;
  }
  row_draws d;
  draws_counter(&d, &st, t, c);
  fill_chunk(&d, buf, y, 1);
  d.y = (uint64_t)y;
  d.buf = buf;
  compare2(&d, w, threshold(p1), threshold(p2), ~UINT64_C(0), ~UINT64_C(0), b1, b2);
  *half = join(buf + 4 * (size_t)w, 0);
  free(buf);
}
