/* Internal to src/gpu/msc_replica.cu: the device pieces of the replica-packed
 * kernels' schedules (the rule, the draws and the layout are those of src/msc:
 * ceas_msc.h, msc_private.h, kernel_body.inc and msc_simd.h, whose comments
 * say why): parameters, flip masks, draws, the site updates of each schedule,
 * and the neighbour signalling every resident schedule shares. */
#ifndef CEAS_GPU_MSC_REPLICA_CUH
#define CEAS_GPU_MSC_REPLICA_CUH

#include <cuda/atomic>
#include <cuda_runtime.h>
#include <stdint.h>

#include "ceas_msc.h"
#include "gpu_philox.cuh"


/* A warp's unit of work: 256 consecutive sites of a colour, 8 Philox blocks of
 * 8 uniforms, one a lane. */
#define SEG 256

struct rep_params {
  uint64_t rk[10][2]; /* Philox4x64-10 round keys */
  uint64_t thr[4];    /* thr[k], k antiparallel neighbours (msc_private.h) */
  uint32_t tm1[4], tnz[4]; /* thr[k] - 1 mod 2^32, and ~0 unless thr[k] = 0 */
  uint64_t pat[2][64 * 4]; /* P_c[k] lane l at [c][k W + l] (antithetic) */
  uint32_t L, n;      /* side, sites of a row and colour (L / 2) */
  uint32_t slab_rows; /* rows of a slab: 1 (2D) or L (3D) */
  uint32_t slabs;     /* L */
  uint32_t strip_words; /* shared schedules: words of a colour in the largest strip */
  uint64_t *xb; /* sweep schedule: edge rows, [sweep parity][colour][words of a colour] */
  uint32_t tile; /* shared schedule, 2D: items are tiles (update_tile) */
};

#define SEL(p, x, y) (((p) & (x)) | (~(p) & (y)))

/* The flip masks of src/msc/msc_simd.h (MSC_FLIP2D, MSC_FLIP3D), whose comments
 * say how the adders count the antiparallel neighbours. */
__device__ __forceinline__ uint64_t rep_flip2(uint64_t s, uint64_t n1, uint64_t n2, uint64_t n3,
                                              uint64_t n4, uint64_t m0, uint64_t m1,
                                              uint64_t m2) {
  const uint64_t x1 = n1 ^ n2, x2 = n3 ^ n4;
  const uint64_t y1 = (s ^ n1) & (s ^ n2), y2 = (s ^ n3) & (s ^ n4);
  const uint64_t odd = x1 ^ x2, any = y1 | y2 | (x1 & x2), ge4 = y1 & y2;
  const uint64_t even = ge4 | (any & m2) | (~any & m0);
  return (odd & (any | m1)) | (~odd & even);
}

__device__ __forceinline__ uint64_t rep_flip3(uint64_t s, uint64_t n1, uint64_t n2, uint64_t n3,
                                              uint64_t n4, uint64_t n5, uint64_t n6,
                                              uint64_t m0, uint64_t m1, uint64_t m2,
                                              uint64_t m3) {
  const uint64_t a1 = s ^ n1, a2 = s ^ n2, a3 = s ^ n3, a4 = s ^ n4, a5 = s ^ n5, a6 = s ^ n6;
  const uint64_t s1 = a1 ^ a2 ^ a3, c1 = (a1 & a2) | (a3 & (a1 ^ a2));
  const uint64_t s2 = a4 ^ a5 ^ a6, c2 = (a4 & a5) | (a6 & (a4 ^ a5));
  const uint64_t b0 = s1 ^ s2, cc = s1 & s2;
  const uint64_t ge4 = (c1 & c2) | (cc & (c1 ^ c2)), any = c1 | c2 | cc;
  const uint64_t odds = (any & m3) | (~any & m1);
  const uint64_t evens = (any & m2) | (~any & m0);
  return ge4 | (b0 & odds) | (~b0 & evens);
}

/* Lane l's Philox block (block) of colour c in sweep t into its 8 uniforms'
 * place, ubuf[8 l .. 8 l + 7]: the one draw of every schedule. */
__device__ __forceinline__ void rep_draw_block(const rep_params &p, uint64_t t, int c,
                                               uint64_t block, uint32_t *ubuf) {
  const int lane = threadIdx.x & 31;
  uint64_t r[4];
  ceas_gpu_philox4x64(t, block, CEAS_MSC_TAG_METROPOLIS, (uint64_t)c, p.rk, r);
  uint4 *o = (uint4 *)(ubuf + 8 * lane);
  o[0] = make_uint4((uint32_t)r[0], (uint32_t)(r[0] >> 32), (uint32_t)r[1],
                    (uint32_t)(r[1] >> 32));
  o[1] = make_uint4((uint32_t)r[2], (uint32_t)(r[2] >> 32), (uint32_t)r[3],
                    (uint32_t)(r[3] >> 32));
}

/* Updates the sites q in [lo, hi) of colour c (a: colour c, b: 1 - c) with the
 * draws of sweep t: the warp's share of the segments that start at lo rounded
 * down to a Philox block, items first_item + warp, + nwarps, ... (numbered from
 * first_item so that several ranges share one round robin). ubuf: the warp's
 * 256 uniforms. Returns the number of items the range has. */
template <int W, int D3, int ANTI>
__device__ __forceinline__ uint32_t update_range(const rep_params &p, uint64_t *__restrict__ a,
                                                 const uint64_t *__restrict__ b, int c,
                                                 uint64_t t, uint64_t lo, uint64_t hi,
                                                 uint32_t first_item, uint32_t warp,
                                                 uint32_t nwarps, uint32_t *ubuf,
                                                 const uint64_t *pat) {
  if (hi <= lo) return 0;
  const uint64_t base = lo & ~(uint64_t)7;
  const uint32_t items = (uint32_t)((hi - base + SEG - 1) / SEG);
  const int lane = threadIdx.x & 31;
  const uint32_t n = p.n, L = p.L;
  /* the first item this warp takes in this range */
  uint32_t i0 = (warp + nwarps - first_item % nwarps) % nwarps;
  for (uint32_t it = i0; it < items; it += nwarps) {
    const uint64_t s0 = base + (uint64_t)it * SEG;
    rep_draw_block(p, t, c, (s0 >> 3) + (uint64_t)lane, ubuf);
    __syncwarp();
    /* Position of the segment's first site: row, and (y, z) of the row. */
    uint64_t row = s0 / n;
    uint32_t j0 = (uint32_t)(s0 - row * n);
    uint32_t y0 = (uint32_t)(row % L), z0 = D3 ? (uint32_t)(row / L) : 0;
#pragma unroll
    for (int k = 0; k < 8; k++) {
      const uint64_t q = s0 + (uint64_t)(32 * k + lane);
      if (q < lo || q >= hi) continue;
      uint32_t j = j0 + (uint32_t)(32 * k + lane);
      uint64_t r = row;
      uint32_t y = y0, z = z0;
      while (j >= n) {
        j -= n;
        r++;
        if (++y == L) {
          y = 0;
          z++;
        }
      }
      const uint32_t u = ubuf[32 * k + lane];
      const int right = (int)((c + y + z) & 1);
      const uint32_t js = right ? (j + 1 == n ? 0 : j + 1) : (j == 0 ? n - 1 : j - 1);
      const uint64_t rm = y == 0 ? r + (L - 1) : r - 1, rp = y == L - 1 ? r - (L - 1) : r + 1;
      const uint64_t plane = (uint64_t)L * L;
      const uint64_t rzm = D3 ? (z == 0 ? r + (L - 1) * (uint64_t)L : r - L) : 0;
      const uint64_t rzp = D3 ? (z == L - 1 ? r + L - plane : r + L) : 0;
      (void)plane;
      const size_t i_s = (size_t)(r * n + j) * W, i_js = (size_t)(r * n + js) * W;
      const size_t i_m = (size_t)(rm * n + j) * W, i_p = (size_t)(rp * n + j) * W;
      const size_t i_zm = (size_t)(rzm * n + j) * W, i_zp = (size_t)(rzp * n + j) * W;
      uint64_t mk[4], am[4];
#pragma unroll
      for (int kk = 0; kk < 4; kk++) {
        if (kk == 3 && !D3) continue;
        mk[kk] = (uint64_t)u < p.thr[kk] ? ~0ull : 0ull;
        am[kk] = ANTI ? ((uint64_t)(~u) < p.thr[kk] ? ~0ull : 0ull) : 0ull;
      }
#pragma unroll
      for (int l = 0; l < W; l++) {
        uint64_t m0 = mk[0], m1 = mk[1], m2 = mk[2], m3 = D3 ? mk[3] : 0;
        if (ANTI) {
          const uint64_t pp = pat[(q & 63) * W + l];
          m0 = SEL(pp, am[0], m0);
          m1 = SEL(pp, am[1], m1);
          m2 = SEL(pp, am[2], m2);
          if (D3) m3 = SEL(pp, am[3], m3);
        }
        const uint64_t s = a[i_s + l], n1 = b[i_s + l], n2 = b[i_js + l], n3 = b[i_m + l],
                       n4 = b[i_p + l];
        const uint64_t f = D3 ? rep_flip3(s, n1, n2, n3, n4, b[i_zm + l], b[i_zp + l], m0, m1, m2, m3)
                              : rep_flip2(s, n1, n2, n3, n4, m0, m1, m2);
        a[i_s + l] = s ^ f;
      }
    }
    __syncwarp();
  }
  return items;
}

/* The uniforms of sites s0 .. s0 + 255 of colour c in sweep t into ubuf: lane l
 * draws Philox block s0 / 8 + l, 8 sites' uniforms. */
__device__ __forceinline__ void rep_draw(const rep_params &p, uint64_t t, int c, uint32_t s0,
                                         uint32_t *ubuf) {
  rep_draw_block(p, t, c, (uint64_t)(s0 >> 3) + (uint64_t)(threadIdx.x & 31), ubuf);
}

/* The update of the segment of sites s0 .. s0 + 255 (row row0, from site j00
 * of it) that lie in [lo, hi), uniforms in ubuf; arguments as update_range_sh.
 * FAST: the whole segment is in [lo, hi) and in row row0. Steps go in batches
 * of B sites a lane: all loads of a batch are issued before its first update,
 * which the compiler cannot do across the stores of a plain loop (they may
 * alias). */
template <int W, int D3, int ANTI, bool FAST>
__device__ __forceinline__ void update_seg(const rep_params &p, uint64_t *as, const uint64_t *bs,
                                           uint64_t *ag, const uint64_t *__restrict__ bg,
                                           uint32_t rlo, uint32_t rhi, int c, uint32_t s0,
                                           uint32_t row0, uint32_t j00, uint32_t lo, uint32_t hi,
                                           const uint32_t *ubuf, const uint64_t *pat,
                                           bool mirror) {
  constexpr int B = W == 1 ? 4 : 1;
  constexpr int NB = D3 ? 6 : 4;
  const int lane = threadIdx.x & 31;
  const uint32_t n = p.n, L = p.L, nW = n * W;
  /* FAST: the row's neighbour rows, parity and bases, for every step. */
  const uint64_t *fpm = nullptr, *fpp = nullptr, *fzm = nullptr, *fzp = nullptr;
  int fright = 0;
  if constexpr (FAST) {
    const uint32_t r = row0, y = r % L, z = D3 ? r / L : 0;
    fright = (int)((c + y + z) & 1);
    const uint32_t rm = y == 0 ? r + (L - 1) : r - 1, rp = y == L - 1 ? r - (L - 1) : r + 1;
    fpm = rm - rlo < rhi - rlo ? bs + (rm - rlo) * nW : bg + (size_t)rm * nW;
    fpp = rp - rlo < rhi - rlo ? bs + (rp - rlo) * nW : bg + (size_t)rp * nW;
    if (D3) {
      const uint32_t plane = L * L;
      const uint32_t rzm = z == 0 ? r + (L - 1) * L : r - L;
      const uint32_t rzp = z == L - 1 ? r + L - plane : r + L;
      fzm = rzm - rlo < rhi - rlo ? bs + (rzm - rlo) * nW : bg + (size_t)rzm * nW;
      fzp = rzp - rlo < rhi - rlo ? bs + (rzp - rlo) * nW : bg + (size_t)rzp * nW;
    }
  }
#pragma unroll
  for (int k0 = 0; k0 < 8; k0 += B) {
    uint64_t S[B][W], N[B][NB][W];
    uint32_t ia[B], ig[B];
    bool on[B];
#pragma unroll
    for (int k = 0; k < B; k++) {
      uint32_t j, r, is;
      const uint64_t *pm, *pp, *pzm = nullptr, *pzp = nullptr;
      if constexpr (FAST) {
        j = j00 + (uint32_t)(32 * (k0 + k) + lane);
        r = row0;
        on[k] = true;
        const uint32_t js = fright ? (j + 1 == n ? 0 : j + 1) : (j == 0 ? n - 1 : j - 1);
        is = (r - rlo) * nW + js * W;
        pm = fpm;
        pp = fpp;
        pzm = fzm;
        pzp = fzp;
      } else {
        const uint32_t q = s0 + (uint32_t)(32 * (k0 + k) + lane);
        on[k] = q >= lo && q < hi;
        /* An inactive lane reads a site of the range instead (loads stay in
         * bounds) and stores nothing. */
        const uint32_t qq = on[k] ? q : lo;
        j = j00 + (qq - s0);
        r = row0;
        if (qq < s0) {
          j = qq % n;
          r = qq / n;
        }
        while (j >= n) {
          j -= n;
          r++;
        }
        const uint32_t y = r % L, z = D3 ? r / L : 0;
        const int right = (int)((c + y + z) & 1);
        const uint32_t js = right ? (j + 1 == n ? 0 : j + 1) : (j == 0 ? n - 1 : j - 1);
        const uint32_t rm = y == 0 ? r + (L - 1) : r - 1, rp = y == L - 1 ? r - (L - 1) : r + 1;
        is = (r - rlo) * nW + js * W;
        /* Rows of the strip from shared memory, others from device memory. */
        pm = rm - rlo < rhi - rlo ? bs + (rm - rlo) * nW : bg + (size_t)rm * nW;
        pp = rp - rlo < rhi - rlo ? bs + (rp - rlo) * nW : bg + (size_t)rp * nW;
        if (D3) {
          const uint32_t plane = L * L;
          const uint32_t rzm = z == 0 ? r + (L - 1) * L : r - L;
          const uint32_t rzp = z == L - 1 ? r + L - plane : r + L;
          pzm = rzm - rlo < rhi - rlo ? bs + (rzm - rlo) * nW : bg + (size_t)rzm * nW;
          pzp = rzp - rlo < rhi - rlo ? bs + (rzp - rlo) * nW : bg + (size_t)rzp * nW;
        }
      }
      ia[k] = (r - rlo) * nW + j * W;
      ig[k] = r * nW + j * W;
#pragma unroll
      for (int l = 0; l < W; l++) {
        S[k][l] = as[ia[k] + l];
        N[k][0][l] = bs[ia[k] + l];
        N[k][1][l] = bs[is + l];
        N[k][2][l] = pm[j * W + l];
        N[k][3][l] = pp[j * W + l];
        if (D3) {
          N[k][4 % NB][l] = pzm[j * W + l];
          N[k][5 % NB][l] = pzp[j * W + l];
        }
      }
    }
#pragma unroll
    for (int k = 0; k < B; k++) {
      const uint32_t u = ubuf[32 * (k0 + k) + lane];
      const uint32_t q = s0 + (uint32_t)(32 * (k0 + k) + lane);
      uint64_t mk[4], am[4];
#pragma unroll
      for (int kk = 0; kk < 4; kk++) {
        if (kk == 3 && !D3) continue;
        /* u < thr as a 32-bit compare (rep_params.tm1), the mask one register
         * wide for both halves of a word. */
        const uint32_t m = u <= p.tm1[kk] ? p.tnz[kk] : 0u;
        mk[kk] = (uint64_t)m << 32 | m;
        if (ANTI) {
          const uint32_t a = ~u <= p.tm1[kk] ? p.tnz[kk] : 0u;
          am[kk] = (uint64_t)a << 32 | a;
        } else {
          am[kk] = 0;
        }
      }
#pragma unroll
      for (int l = 0; l < W; l++) {
        uint64_t m0 = mk[0], m1 = mk[1], m2 = mk[2], m3 = D3 ? mk[3] : 0;
        if (ANTI) {
          const uint64_t pq = pat[(q & 63) * W + l];
          m0 = SEL(pq, am[0], m0);
          m1 = SEL(pq, am[1], m1);
          m2 = SEL(pq, am[2], m2);
          if (D3) m3 = SEL(pq, am[3], m3);
        }
        const uint64_t sv = S[k][l];
        const uint64_t f =
            D3 ? rep_flip3(sv, N[k][0][l], N[k][1][l], N[k][2][l], N[k][3][l],
                           N[k][4 % NB][l], N[k][5 % NB][l], m0, m1, m2, m3)
               : rep_flip2(sv, N[k][0][l], N[k][1][l], N[k][2][l], N[k][3][l], m0, m1, m2);
        if (on[k]) {
          as[ia[k] + l] = sv ^ f;
          if (mirror) ag[ig[k] + l] = sv ^ f;
        }
      }
    }
  }
}

/* Sites [lo, hi) of colour c (colour-global indices, all in rows [rlo, rhi) of
 * the strip) with the draws of sweep t, round robin over the warps as
 * update_range. as/bs: the strip's colour c and 1 - c in shared memory (row rlo
 * first), ag/bg: the same colours in device memory; mirror: store the new words
 * to ag too; drawn: the warp's first item of the half (number warp) has its
 * uniforms in ubuf already. */
template <int W, int D3, int ANTI>
__device__ __forceinline__ uint32_t update_range_sh(const rep_params &p, uint64_t *as,
                                                    const uint64_t *bs, uint64_t *ag,
                                                    const uint64_t *__restrict__ bg,
                                                    uint32_t rlo, uint32_t rhi, int c, uint64_t t,
                                                    uint32_t lo, uint32_t hi, uint32_t first_item,
                                                    uint32_t warp, uint32_t nwarps,
                                                    uint32_t *ubuf, const uint64_t *pat,
                                                    bool mirror, bool drawn) {
  if (hi <= lo) return 0;
  const uint32_t base = lo & ~7u;
  const uint32_t items = (hi - base + SEG - 1) / SEG;
  const uint32_t n = p.n;
  uint32_t i0 = (warp + nwarps - first_item % nwarps) % nwarps;
  for (uint32_t it = i0; it < items; it += nwarps) {
    const uint32_t s0 = base + it * SEG;
    if (!drawn || first_item + it != warp) rep_draw(p, t, c, s0, ubuf);
    __syncwarp();
    const uint32_t row0 = s0 / n, j00 = s0 - row0 * n;
    /* Most segments lie in one row and in the range: their addressing is the
     * row's, once, and every lane stores. */
    if (s0 >= lo && s0 + SEG <= hi && j00 + SEG <= n)
      update_seg<W, D3, ANTI, true>(p, as, bs, ag, bg, rlo, rhi, c, s0, row0, j00, lo, hi, ubuf,
                                    pat, mirror);
    else
      update_seg<W, D3, ANTI, false>(p, as, bs, ag, bg, rlo, rhi, c, s0, row0, j00, lo, hi, ubuf,
                                     pat, mirror);
    __syncwarp();
  }
  return items;
}

/* ---- the shared schedule's tiles (2D, strips of at most 8 rows) -----------
 * A warp's item is the strip's S <= 8 rows by 32 columns j0 .. j0 + 31 of a
 * colour: lane l takes column j0 + l down the rows, so a site's neighbours
 * above it and at its place come from the registers of the step before, and a
 * step loads three words (its own, the one below, the one beside) instead of
 * five; only the rows above and below the strip are in device memory. The
 * uniforms are those of the row-major Philox blocks: lane l draws the block of
 * row rlo + l / 4, columns j0 + 8 (l % 4) .. + 7 (rep_draw_tile), so step k's
 * lane l finds its site's uniform at ubuf[32 k + l], as in update_seg. Needs n
 * a multiple of 8 (a Philox block in one row). */
__device__ __forceinline__ void rep_draw_tile(const rep_params &p, uint64_t t, int c, uint32_t rlo,
                                              uint32_t j0, uint32_t *ubuf) {
  const int lane = threadIdx.x & 31;
  const uint32_t q = (rlo + (uint32_t)(lane >> 2)) * p.n + j0 + 8u * (uint32_t)(lane & 3);
  rep_draw_block(p, t, c, (uint64_t)(q >> 3), ubuf);
}

/* The tile of columns j0 .. j0 + 31 on the strip's rows rlo .. rlo + S - 1 of
 * colour c (as, bs: colours c and 1 - c of the strip in shared memory, ag, bg:
 * in device memory); its first and last rows, the strip's boundary, are
 * mirrored to ag. FULL: S = 8, every step's rows known at compile time. Steps
 * go in batches of B as update_seg's. */
template <int W, int ANTI, bool FULL>
__device__ __forceinline__ void update_tile(const rep_params &p, uint64_t *as, const uint64_t *bs,
                                            uint64_t *ag, const uint64_t *__restrict__ bg,
                                            uint32_t rlo, uint32_t S, int c, uint32_t j0,
                                            const uint32_t *ubuf, const uint64_t *pat) {
  constexpr int B = W == 1 ? 4 : 1;
  const int lane = threadIdx.x & 31;
  const uint32_t n = p.n, L = p.L, nW = n * W;
  const uint32_t j1 = j0 + (uint32_t)lane;
  /* a lane past the row reads a column of it and stores nothing */
  const bool col = j1 < n;
  const uint32_t j = col ? j1 : j0;
  const uint32_t jr = j + 1 == n ? 0 : j + 1, jl = j == 0 ? n - 1 : j - 1;
  /* the side neighbour alternates with the row: rows rlo + even take js0 */
  const bool right0 = ((c + rlo) & 1) != 0;
  const uint32_t js0 = right0 ? jr : jl, js1 = right0 ? jl : jr;
  const uint32_t rup = rlo == 0 ? L - 1 : rlo - 1, rdn = rlo + S == L ? 0 : rlo + S;
  const uint64_t *const gup = bg + (size_t)rup * nW, *const gdn = bg + (size_t)rdn * nW;
  uint64_t up[W], mid[W];
#pragma unroll
  for (int l = 0; l < W; l++) {
    up[l] = gup[j * W + l];
    mid[l] = bs[j * W + l];
  }
#pragma unroll
  for (int k0 = 0; k0 < 8; k0 += B) {
    uint64_t sv[B][W], dn[B][W], sd[B][W];
#pragma unroll
    for (int k = 0; k < B; k++) {
      const uint32_t kk = (uint32_t)(k0 + k);
      /* a step past the strip reads its last row and stores nothing */
      const uint32_t kr = FULL ? kk : (kk < S ? kk : S - 1);
      const uint32_t js = (kk & 1) ? js1 : js0;
      const uint64_t *const drow = (FULL ? kk + 1 < 8 : kr + 1 < S) ? bs + (kr + 1) * nW : gdn;
#pragma unroll
      for (int l = 0; l < W; l++) {
        sv[k][l] = as[kr * nW + j * W + l];
        dn[k][l] = drow[j * W + l];
        sd[k][l] = bs[kr * nW + js * W + l];
      }
    }
#pragma unroll
    for (int k = 0; k < B; k++) {
      const uint32_t kk = (uint32_t)(k0 + k);
      const bool on = col && (FULL || kk < S);
      const bool mirror = kk == 0 || (FULL ? kk == 7 : kk + 1 == S);
      const uint32_t u = ubuf[32 * kk + lane];
      const uint32_t q = (rlo + kk) * n + j;
      uint64_t mk[3], am[3];
#pragma unroll
      for (int m = 0; m < 3; m++) {
        const uint32_t v = u <= p.tm1[m] ? p.tnz[m] : 0u;
        mk[m] = (uint64_t)v << 32 | v;
        if (ANTI) {
          const uint32_t a = ~u <= p.tm1[m] ? p.tnz[m] : 0u;
          am[m] = (uint64_t)a << 32 | a;
        } else {
          am[m] = 0;
        }
      }
#pragma unroll
      for (int l = 0; l < W; l++) {
        uint64_t m0 = mk[0], m1 = mk[1], m2 = mk[2];
        if (ANTI) {
          const uint64_t pq = pat[(q & 63) * W + l];
          m0 = SEL(pq, am[0], m0);
          m1 = SEL(pq, am[1], m1);
          m2 = SEL(pq, am[2], m2);
        }
        const uint64_t v = sv[k][l];
        const uint64_t f = rep_flip2(v, mid[l], sd[k][l], up[l], dn[k][l], m0, m1, m2);
        if (on) {
          as[kk * nW + j * W + l] = v ^ f;
          if (mirror) ag[(size_t)(rlo + kk) * nW + j * W + l] = v ^ f;
        }
        up[l] = mid[l];
        mid[l] = dn[k][l];
      }
    }
  }
}

/* ---- the signals between neighbour blocks (the resident schedules) --------
 * A warp that has finished its share (mine items) of the items a block's
 * neighbours wait for counts them into *bdone, cumulative over the call (a
 * reset could land before a slow warp's count and lose the signal); the warp
 * whose count reaches target publishes value in the block's flag. The order is
 * that of a release chain: the lanes' stores precede lane 0's count (the warp
 * barrier), every count precedes the last one (acq_rel in the block), and that
 * one precedes the flag's release store, which a neighbour acquires (rep_wait)
 * before its reads. No fence at device scope but the release itself. */
__device__ __forceinline__ void rep_signal(uint32_t mine, uint32_t *bdone, uint32_t target,
                                           int *flag, int value) {
  if (!mine) return;
  __syncwarp();
  if ((threadIdx.x & 31) == 0) {
    cuda::atomic_ref<uint32_t, cuda::thread_scope_block> done(*bdone);
    if (done.fetch_add(mine, cuda::memory_order_acq_rel) + mine == target)
      cuda::atomic_ref<int, cuda::thread_scope_device>(*flag).store(value,
                                                                    cuda::memory_order_release);
  }
}

/* The block waits until both neighbours' flags reach value: thread 0 acquires
 * them, the barrier hands that on to the block's threads (the pattern of a
 * grid barrier: one thread's acquire, then the block's barrier). */
__device__ __forceinline__ void rep_wait(int *flags, uint32_t left, uint32_t right, int value) {
  if (threadIdx.x == 0 && gridDim.x > 1) {
    cuda::atomic_ref<int, cuda::thread_scope_device> fm(flags[left]), fp(flags[right]);
    while (fm.load(cuda::memory_order_acquire) < value ||
           fp.load(cuda::memory_order_acquire) < value) {
    }
  }
  __syncthreads();
}

/* ---- the sweep schedule's site update (2D) ---------------------------------
 * Sites j0 .. j0 + 255 (those below n) of row e of the block's extended strip
 * (rows of both colours in shared memory, as: colour c, bs: 1 - c, n W words a
 * row), global row g, colour c, uniforms in ubuf (rep_draw of site g n + j0);
 * x: where the row's new words go in device memory too, or null. Every
 * neighbour is in shared memory: rows e - 1 and e + 1 of bs. Batches of B
 * sites a lane as update_seg. */
template <int W, int ANTI>
__device__ __forceinline__ void update_row(const rep_params &p, uint64_t *as, const uint64_t *bs,
                                           uint64_t *x, uint32_t e, uint32_t g, uint32_t j0,
                                           int c, const uint32_t *ubuf, const uint64_t *pat) {
  constexpr int B = W == 1 ? 4 : 1;
  const int lane = threadIdx.x & 31;
  const uint32_t n = p.n, nW = n * W;
  const int right = (int)((c + g) & 1);
  uint64_t *const ar = as + e * nW;
  const uint64_t *const br = bs + e * nW, *const bm = br - nW, *const bp = br + nW;
#pragma unroll
  for (int k0 = 0; k0 < 8; k0 += B) {
    uint64_t S[B][W], N[B][4][W];
    uint32_t jj[B];
    bool on[B];
#pragma unroll
    for (int k = 0; k < B; k++) {
      const uint32_t j1 = j0 + (uint32_t)(32 * (k0 + k) + lane);
      on[k] = j1 < n;
      /* a lane past the row reads a site of it and stores nothing */
      const uint32_t j = on[k] ? j1 : j0;
      const uint32_t js = right ? (j + 1 == n ? 0 : j + 1) : (j == 0 ? n - 1 : j - 1);
      jj[k] = j * W;
#pragma unroll
      for (int l = 0; l < W; l++) {
        S[k][l] = ar[j * W + l];
        N[k][0][l] = br[j * W + l];
        N[k][1][l] = br[js * W + l];
        N[k][2][l] = bm[j * W + l];
        N[k][3][l] = bp[j * W + l];
      }
    }
#pragma unroll
    for (int k = 0; k < B; k++) {
      const uint32_t u = ubuf[32 * (k0 + k) + lane];
      const uint32_t q = g * n + j0 + (uint32_t)(32 * (k0 + k) + lane);
      uint64_t mk[3], am[3];
#pragma unroll
      for (int kk = 0; kk < 3; kk++) {
        const uint32_t m = u <= p.tm1[kk] ? p.tnz[kk] : 0u;
        mk[kk] = (uint64_t)m << 32 | m;
        if (ANTI) {
          const uint32_t a = ~u <= p.tm1[kk] ? p.tnz[kk] : 0u;
          am[kk] = (uint64_t)a << 32 | a;
        } else {
          am[kk] = 0;
        }
      }
#pragma unroll
      for (int l = 0; l < W; l++) {
        uint64_t m0 = mk[0], m1 = mk[1], m2 = mk[2];
        if (ANTI) {
          const uint64_t pq = pat[(q & 63) * W + l];
          m0 = SEL(pq, am[0], m0);
          m1 = SEL(pq, am[1], m1);
          m2 = SEL(pq, am[2], m2);
        }
        const uint64_t sv = S[k][l];
        const uint64_t f = rep_flip2(sv, N[k][0][l], N[k][1][l], N[k][2][l], N[k][3][l], m0, m1, m2);
        if (on[k]) {
          ar[jj[k] + l] = sv ^ f;
          if (x) x[jj[k] + l] = sv ^ f;
        }
      }
    }
  }
}

#endif
