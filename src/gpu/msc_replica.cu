/* msc-replica64 / msc-replica256 on the GPU (contract in ceas_gpu.h; the rule,
 * the draws and the layout are those of src/msc: ceas_msc.h, msc_private.h,
 * kernel_body.inc and msc_simd.h, whose comments say why). */
#include <cooperative_groups.h>
#include <cuda/atomic>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_lattice.h"
#include "gpu_philox.cuh"
#include "gpu_private.h"

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
  uint32_t strip_words; /* shared schedule: words of a colour in the largest strip */
};

struct ceas_gpu_msc {
  int dim, W, anti, resident, threads; /* resident: 0 launch, 1 resident, 2 shared */
  int chosen; /* the schedule was set (ceas_gpu_msc_set_schedule), not the default */
  long L;
  ceas_rng_key key;
  size_t words;   /* per colour */
  uint64_t *col[2];
  int *flags;     /* resident schedule: boundary halves done, one a block */
  int resident_blocks;
  uint64_t sweep;
};

#define GPU_WHO "gpu msc"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }

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
    {
      const uint64_t g = (s0 >> 3) + (uint64_t)lane;
      uint64_t r[4];
      ceas_gpu_philox4x64(t, g, CEAS_MSC_TAG_METROPOLIS, (uint64_t)c, p.rk, r);
      uint4 *o = (uint4 *)(ubuf + 8 * lane);
      o[0] = make_uint4((uint32_t)r[0], (uint32_t)(r[0] >> 32), (uint32_t)r[1],
                        (uint32_t)(r[1] >> 32));
      o[1] = make_uint4((uint32_t)r[2], (uint32_t)(r[2] >> 32), (uint32_t)r[3],
                        (uint32_t)(r[3] >> 32));
    }
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

/* One half-sweep, the grid over all sites of colour c. */
template <int W, int D3, int ANTI>
__global__ void rep_half(const rep_params p, uint64_t *__restrict__ a,
                         const uint64_t *__restrict__ b, int c, uint64_t t, uint64_t S) {
  __shared__ __align__(16) uint32_t ubuf[32][SEG];
  __shared__ uint64_t pat[ANTI ? 64 * W : 1];
  if (ANTI)
    for (int i = threadIdx.x; i < 64 * W; i += blockDim.x) pat[i] = p.pat[c][i];
  if (ANTI) __syncthreads();
  const uint32_t wpb = blockDim.x >> 5, warp = threadIdx.x >> 5;
  update_range<W, D3, ANTI>(p, a, b, c, t, 0, S, 0, blockIdx.x * wpb + warp, gridDim.x * wpb,
                            ubuf[warp], pat);
}

/* The whole call (halves h = 0 .. 2 nsweeps - 1) with each block on its strip
 * of slabs: boundary slabs first, signalled in flags[block] = h + 1 by the warp
 * that finishes the last of them; before half h + 1 the block waits for its
 * neighbours' flags to reach h + 1 (their boundary slabs, which it reads and
 * they read, are done with half h). A block's strip is at least one slab. */
template <int W, int D3, int ANTI>
__global__ void rep_resident(const rep_params p, uint64_t *__restrict__ c0,
                             uint64_t *__restrict__ c1, uint64_t t0, uint32_t halves,
                             int *flags) {
  __shared__ __align__(16) uint32_t ubuf[32][SEG];
  __shared__ uint64_t pat[2][ANTI ? 64 * W : 1];
  __shared__ uint32_t bdone;
  const uint32_t B = gridDim.x, bi = blockIdx.x;
  const uint32_t wpb = blockDim.x >> 5, warp = threadIdx.x >> 5;
  if (ANTI)
    for (int i = threadIdx.x; i < 2 * 64 * W; i += blockDim.x)
      pat[i / (64 * W)][i % (64 * W)] = p.pat[i / (64 * W)][i % (64 * W)];
  const uint64_t P = (uint64_t)p.slab_rows * p.n; /* sites of a slab and colour */
  const uint32_t s0 = (uint32_t)((uint64_t)bi * p.slabs / B);
  const uint32_t s1 = (uint32_t)((uint64_t)(bi + 1) * p.slabs / B);
  const uint32_t left = bi == 0 ? B - 1 : bi - 1, rightb = bi + 1 == B ? 0 : bi + 1;
  cuda::atomic_ref<int, cuda::thread_scope_device> fl(flags[bi]);
  cuda::atomic_ref<int, cuda::thread_scope_device> fm(flags[left]), fp(flags[rightb]);
  if (threadIdx.x == 0) bdone = 0;
  __syncthreads();
  for (uint32_t h = 0; h < halves; h++) {
    const int c = (int)(h & 1);
    const uint64_t t = t0 + (h >> 1);
    uint64_t *a = c ? c1 : c0;
    const uint64_t *b = c ? c0 : c1;
    /* items of the boundary slabs, counted the same way by every warp */
    const uint64_t blo = (uint64_t)s0 * P, bhi = (uint64_t)(s0 + 1) * P;
    const uint64_t elo = (uint64_t)(s1 - 1) * P, ehi = (uint64_t)s1 * P;
    const uint32_t nb0 = (uint32_t)((bhi - (blo & ~7ull) + SEG - 1) / SEG);
    const uint32_t nb1 = s1 - 1 > s0 ? (uint32_t)((ehi - (elo & ~7ull) + SEG - 1) / SEG) : 0;
    const uint32_t nb = nb0 + nb1;
    /* This warp's boundary items, then one count each into bdone. */
    uint32_t mine = 0;
    for (uint32_t it = warp; it < nb; it += wpb) mine++;
    update_range<W, D3, ANTI>(p, a, b, c, t, blo, bhi, 0, warp, wpb, ubuf[warp], pat[c]);
    if (nb1)
      update_range<W, D3, ANTI>(p, a, b, c, t, elo, ehi, nb0, warp, wpb, ubuf[warp], pat[c]);
    if (mine) {
      __threadfence();
      __syncwarp();
      if ((threadIdx.x & 31) == 0) {
        /* cumulative over the halves: a reset could land before a slow warp's
         * count and lose the signal */
        const uint32_t before = atomicAdd(&bdone, mine);
        if (before + mine == (h + 1) * nb) {
          __threadfence();
          fl.store((int)h + 1, cuda::memory_order_release);
        }
      }
    }
    if (s1 - s0 > 2)
      update_range<W, D3, ANTI>(p, a, b, c, t, (uint64_t)(s0 + 1) * P, (uint64_t)(s1 - 1) * P,
                                nb, warp, wpb, ubuf[warp], pat[c]);
    if (threadIdx.x == 0) {
      if (B > 1)
        while (fm.load(cuda::memory_order_acquire) < (int)h + 1 ||
               fp.load(cuda::memory_order_acquire) < (int)h + 1) {
        }
    }
    __threadfence();
    __syncthreads();
  }
}

/* ---- the shared-memory schedule ------------------------------------------
 * As "resident" (each block a strip of slabs, boundary slabs first and
 * signalled, waits only for its two neighbours), but the block keeps both
 * colours of its strip in shared memory for the whole call: a site update reads
 * its own word and its in-slab neighbours there, and only the neighbour slabs
 * of other blocks from device memory, where each block mirrors its boundary
 * slabs as it updates them. At 2D L = 1024, R = 64 the state is 8 MB, 64 KB a
 * block: the update no longer waits on L2 for every word. Interior slabs go back
 * to device memory at the end of the call. */

/* The uniforms of sites s0 .. s0 + 255 of colour c in sweep t into ubuf: lane l
 * draws Philox block s0 / 8 + l, 8 sites' uniforms. */
__device__ __forceinline__ void rep_draw(const rep_params &p, uint64_t t, int c, uint32_t s0,
                                         uint32_t *ubuf) {
  const int lane = threadIdx.x & 31;
  uint64_t r[4];
  ceas_gpu_philox4x64(t, (uint64_t)(s0 >> 3) + (uint64_t)lane, CEAS_MSC_TAG_METROPOLIS,
                      (uint64_t)c, p.rk, r);
  uint4 *o = (uint4 *)(ubuf + 8 * lane);
  o[0] = make_uint4((uint32_t)r[0], (uint32_t)(r[0] >> 32), (uint32_t)r[1],
                    (uint32_t)(r[1] >> 32));
  o[1] = make_uint4((uint32_t)r[2], (uint32_t)(r[2] >> 32), (uint32_t)r[3],
                    (uint32_t)(r[3] >> 32));
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

template <int W, int D3, int ANTI>
__global__ void __launch_bounds__(512, 1)
    rep_shared(const rep_params p, uint64_t *__restrict__ c0, uint64_t *__restrict__ c1,
               uint64_t t0, uint32_t halves, int *flags) {
  extern __shared__ __align__(16) uint64_t smem[];
  __shared__ uint64_t pat[2][ANTI ? 64 * W : 1];
  __shared__ uint32_t bdone;
  const uint32_t B = gridDim.x, bi = blockIdx.x;
  const uint32_t wpb = blockDim.x >> 5, warp = threadIdx.x >> 5;
  const uint32_t P = p.slab_rows * p.n; /* sites of a slab and colour */
  const uint32_t s0 = (uint32_t)((uint64_t)bi * p.slabs / B);
  const uint32_t s1 = (uint32_t)((uint64_t)(bi + 1) * p.slabs / B);
  const uint32_t rlo = s0 * p.slab_rows, rhi = s1 * p.slab_rows;
  const uint32_t sw = p.strip_words; /* words of the largest strip, a colour */
  uint64_t *const sh0 = smem, *const sh1 = smem + sw;
  uint32_t *ubuf = (uint32_t *)(smem + 2 * (size_t)sw) + warp * SEG;
  const uint32_t words = (rhi - rlo) * p.n * W;
  if (ANTI)
    for (int i = threadIdx.x; i < 2 * 64 * W; i += blockDim.x)
      pat[i / (64 * W)][i % (64 * W)] = p.pat[i / (64 * W)][i % (64 * W)];
  for (uint32_t i = threadIdx.x; i < words; i += blockDim.x) {
    sh0[i] = c0[(size_t)rlo * p.n * W + i];
    sh1[i] = c1[(size_t)rlo * p.n * W + i];
  }
  const uint32_t left = bi == 0 ? B - 1 : bi - 1, rightb = bi + 1 == B ? 0 : bi + 1;
  cuda::atomic_ref<int, cuda::thread_scope_device> fl(flags[bi]);
  cuda::atomic_ref<int, cuda::thread_scope_device> fm(flags[left]), fp(flags[rightb]);
  /* The block's items, the same every half: boundary slab s0 (nb0), slab
   * s1 - 1 (nb1), then the interior (ni). */
  const uint32_t blo = s0 * P, bhi = (s0 + 1) * P, elo = (s1 - 1) * P, ehi = s1 * P;
  const uint32_t ilo = (s0 + 1) * P, ihi = (s1 - 1) * P;
  const uint32_t nb0 = (bhi - (blo & ~7u) + SEG - 1) / SEG;
  const uint32_t nb1 = s1 - 1 > s0 ? (ehi - (elo & ~7u) + SEG - 1) / SEG : 0;
  const uint32_t nb = nb0 + nb1;
  const uint32_t ni = s1 - s0 > 2 ? (ihi - (ilo & ~7u) + SEG - 1) / SEG : 0;
  /* A warp draws the uniforms of its first item of the next half before it
   * waits for the neighbours (they do not depend on the state): the wait hides
   * a Philox block's ten dependent rounds. */
  const bool drawn = warp < nb + ni;
  const uint32_t first_s0 = warp < nb0  ? (blo & ~7u) + warp * SEG
                            : warp < nb ? (elo & ~7u) + (warp - nb0) * SEG
                                        : (ilo & ~7u) + (warp - nb) * SEG;
  if (drawn && halves) rep_draw(p, t0, 0, first_s0, ubuf);
  if (threadIdx.x == 0) bdone = 0;
  __syncthreads();
  for (uint32_t h = 0; h < halves; h++) {
    const int c = (int)(h & 1);
    const uint64_t t = t0 + (h >> 1);
    uint32_t mine = 0;
    for (uint32_t it = warp; it < nb; it += wpb) mine++;
    uint64_t *const as = c ? sh1 : sh0, *const ag = c ? c1 : c0;
    const uint64_t *const bs = c ? sh0 : sh1, *const bg = c ? c0 : c1;
    update_range_sh<W, D3, ANTI>(p, as, bs, ag, bg, rlo, rhi, c, t, blo, bhi,
                                 0, warp, wpb, ubuf, pat[c], true, drawn);
    if (nb1)
      update_range_sh<W, D3, ANTI>(p, as, bs, ag, bg, rlo, rhi, c, t, elo,
                                   ehi, nb0, warp, wpb, ubuf, pat[c], true, drawn);
    if (mine) {
      __threadfence();
      __syncwarp();
      if ((threadIdx.x & 31) == 0) {
        const uint32_t before = atomicAdd(&bdone, mine);
        if (before + mine == (h + 1) * nb) {
          __threadfence();
          fl.store((int)h + 1, cuda::memory_order_release);
        }
      }
    }
    if (s1 - s0 > 2)
      update_range_sh<W, D3, ANTI>(p, as, bs, ag, bg, rlo, rhi, c, t,
                                   ilo, ihi, nb, warp, wpb, ubuf, pat[c], false, drawn);
    if (drawn && h + 1 < halves) rep_draw(p, t0 + ((h + 1) >> 1), 1 - c, first_s0, ubuf);
    if (threadIdx.x == 0) {
      if (B > 1)
        while (fm.load(cuda::memory_order_acquire) < (int)h + 1 ||
               fp.load(cuda::memory_order_acquire) < (int)h + 1) {
        }
    }
    __threadfence();
    __syncthreads();
  }
  /* The boundary slabs are in device memory already (mirrored); the interior
   * ones, which no other block reads, go back now. */
  if (s1 - s0 > 2) {
    const uint32_t i0 = p.slab_rows * p.n * W, i1 = words - i0;
    for (uint32_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
      c0[(size_t)rlo * p.n * W + i] = sh0[i];
      c1[(size_t)rlo * p.n * W + i] = sh1[i];
    }
  }
}

typedef void (*half_fn)(const rep_params, uint64_t *, const uint64_t *, int, uint64_t, uint64_t);
typedef void (*res_fn)(const rep_params, uint64_t *, uint64_t *, uint64_t, uint32_t, int *);

template <int W, int D3, int ANTI>
static void pick(half_fn *h, res_fn *r, res_fn *sh) {
  *h = rep_half<W, D3, ANTI>;
  *r = rep_resident<W, D3, ANTI>;
  *sh = rep_shared<W, D3, ANTI>;
}

static void kernels(int W, int dim, int anti, half_fn *h, res_fn *r, res_fn *sh) {
  const int k = (W == 4) * 4 + (dim == 3) * 2 + (anti != 0);
  switch (k) {
    case 0: pick<1, 0, 0>(h, r, sh); break;
    case 1: pick<1, 0, 1>(h, r, sh); break;
    case 2: pick<1, 1, 0>(h, r, sh); break;
    case 3: pick<1, 1, 1>(h, r, sh); break;
    case 4: pick<4, 0, 0>(h, r, sh); break;
    case 5: pick<4, 0, 1>(h, r, sh); break;
    case 6: pick<4, 1, 0>(h, r, sh); break;
    default: pick<4, 1, 1>(h, r, sh); break;
  }
}

extern "C" {

void ceas_gpu_msc_free(ceas_gpu_msc *st) {
  if (!st) return;
  cudaFree(st->col[0]);
  cudaFree(st->col[1]);
  cudaFree(st->flags);
  free(st);
}

size_t ceas_gpu_msc_state_words(const ceas_gpu_msc *st) { return 2 * st->words; }

/* Site (x, row) of the site-major layout <-> its colour array (state.c). */
static void layout(const ceas_gpu_msc *st, uint64_t *words, uint64_t *h0, uint64_t *h1,
                   int to_device) {
  const long L = st->L, rows = st->dim == 2 ? L : L * L, n = L / 2;
  const int W = st->W;
  for (long row = 0; row < rows; row++)
    for (long x = 0; x < L; x++) {
      const int c = (int)((x + row % L + row / L) & 1);
      uint64_t *w = (c ? h1 : h0) + ((size_t)row * (size_t)n + (size_t)(x >> 1)) * (size_t)W;
      uint64_t *s = words + ((size_t)row * (size_t)L + (size_t)x) * (size_t)W;
      if (to_device)
        memcpy(w, s, (size_t)W * 8);
      else
        memcpy(s, w, (size_t)W * 8);
    }
}

int ceas_gpu_msc_set_state(ceas_gpu_msc *st, const uint64_t *words, uint64_t sweeps_done) {
  uint64_t *h = (uint64_t *)ceas_malloc(2 * st->words * 8);
  if (!h) return CEAS_ENOMEM;
  layout(st, (uint64_t *)words, h, h + st->words, 1);
  cudaError_t e = cudaMemcpy(st->col[0], h, st->words * 8, cudaMemcpyHostToDevice);
  if (e == cudaSuccess)
    e = cudaMemcpy(st->col[1], h + st->words, st->words * 8, cudaMemcpyHostToDevice);
  free(h);
  if (e != cudaSuccess) return cuda_fail(e, "copy to device");
  st->sweep = sweeps_done;
  return CEAS_OK;
}

int ceas_gpu_msc_get_state(ceas_gpu_msc *st, uint64_t *words) {
  uint64_t *h = (uint64_t *)ceas_malloc(2 * st->words * 8);
  if (!h) return CEAS_ENOMEM;
  cudaError_t e = cudaMemcpy(h, st->col[0], st->words * 8, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess)
    e = cudaMemcpy(h + st->words, st->col[1], st->words * 8, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) layout(st, words, h, h + st->words, 0);
  free(h);
  if (e != cudaSuccess) return cuda_fail(e, "copy from device");
  return CEAS_OK;
}

int ceas_gpu_msc_alloc(int dim, long L, int replicas, ceas_rng_key key, ceas_msc_init init,
                       ceas_gpu_msc **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "gpu msc: dimension %d, expected 2 or 3", dim);
  const long Lmax = dim == 2 ? 65536 : 2048;
  if (L < 2 || L > Lmax || L % 2)
    return ceas_error_set(CEAS_EINPUT, "gpu msc: L = %ld, expected an even size from 2 to %ld",
                          L, Lmax);
  if (replicas != 64 && replicas != 256)
    return ceas_error_set(CEAS_EINPUT, "gpu msc: %d replicas, expected 64 or 256", replicas);
  ceas_gpu_msc *st = (ceas_gpu_msc *)ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  st->dim = dim;
  st->L = L;
  st->W = replicas / 64;
  st->key = key;
  /* The fastest measured schedule of each width (bench/README.md, "GPU:
   * replica-packed kernels"): shared 512 threads where the strips fit in
   * shared memory, else resident 512 threads for 64 replicas (256 in 3D), one
   * launch a half of 256 threads for 256 (ceas_gpu_msc_sweep falls back). */
  st->resident = 2;
  st->threads = 512;
  const size_t sites = (size_t)L * (size_t)L * (dim == 3 ? (size_t)L : 1);
  st->words = sites / 2 * (size_t)st->W;
  int rc = CEAS_OK;
  for (int c = 0; c < 2 && !rc; c++) {
    cudaError_t e = cudaMalloc((void **)&st->col[c], st->words * 8);
    if (e != cudaSuccess) rc = cuda_fail(e, "device memory for the lattice");
  }
  if (!rc) {
    /* state.c's start: site i's lanes are ceas_rng_bits(key, 0, i, INIT, 0). */
    uint64_t *w = (uint64_t *)ceas_calloc(2 * st->words, 8);
    if (!w) rc = CEAS_ENOMEM;
    if (!rc && init == CEAS_MSC_HOT)
      for (size_t i = 0; i < sites; i++) {
        uint64_t b[4];
        ceas_rng_bits(key, 0, (uint64_t)i, CEAS_MSC_TAG_INIT, 0, b);
        memcpy(w + i * (size_t)st->W, b, (size_t)st->W * 8);
      }
    if (!rc) rc = ceas_gpu_msc_set_state(st, w, 0);
    free(w);
  }
  if (rc) {
    ceas_gpu_msc_free(st);
    return rc;
  }
  *out = st;
  return CEAS_OK;
}

void ceas_gpu_msc_set_antithetic(ceas_gpu_msc *st, int on) { st->anti = on != 0; }

int ceas_gpu_msc_set_schedule(ceas_gpu_msc *st, int resident, int threads) {
  if (threads < 32 || threads > 1024 || threads % 32 || resident < 0 || resident > 2 ||
      (resident == 2 && threads > 512))
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: schedule %d with %d threads, expected 0, 1 or 2 and a "
                          "multiple of 32 from 32 to 1024 (512 for 2)",
                          resident, threads);
  st->chosen = 1;
  st->resident = resident;
  st->threads = threads;
  st->resident_blocks = 0;
  return CEAS_OK;
}

uint64_t ceas_gpu_msc_sweeps_done(const ceas_gpu_msc *st) { return st->sweep; }

/* The shared schedule's grid: one block an SM (at most one a slab), each holding its strip's two colours
 * and its warps' uniforms in shared memory. Sets st->resident_blocks,
 * p->strip_words and *smem; CEAS_EINPUT if the strips do not fit. */
static int shared_plan(ceas_gpu_msc *st, res_fn sf, rep_params *p, size_t *smem) {
  int dev = 0, sms = 0, optin = 0, per = 0;
  CUDA_TRY(cudaGetDevice(&dev), "device");
  CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "device");
  CUDA_TRY(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev),
           "device");
  const long L = st->L, th = st->threads;
  /* As many blocks as SMs (or slabs): the more blocks, the smaller a strip. */
  const long B = sms < L ? sms : L;
  const uint64_t rows = (uint64_t)((L + B - 1) / B) * p->slab_rows;
  const uint64_t sw = rows * p->n * (uint64_t)st->W;
  const uint64_t bytes = 2 * sw * 8 + (uint64_t)(th / 32) * SEG * 4;
  cudaFuncAttributes fa;
  CUDA_TRY(cudaFuncGetAttributes(&fa, (const void *)sf), "shared kernel");
  if (bytes + fa.sharedSizeBytes > (uint64_t)optin)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: the shared schedule needs %llu bytes of shared memory a "
                          "block here, more than the card's %d: take schedule 0 or 1",
                          (unsigned long long)(bytes + fa.sharedSizeBytes), optin);
  CUDA_TRY(cudaFuncSetAttribute((const void *)sf, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                (int)bytes),
           "shared kernel");
  CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per, (const void *)sf, (int)th,
                                                         (size_t)bytes),
           "occupancy");
  if (per < 1)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: a shared-schedule block of %ld threads does not fit on "
                          "an SM: take fewer threads",
                          th);
  st->resident_blocks = (int)B;
  p->strip_words = (uint32_t)sw;
  *smem = (size_t)bytes;
  if (!st->flags) CUDA_TRY(cudaMalloc((void **)&st->flags, 65536 * sizeof(int)), "flags");
  return CEAS_OK;
}

int ceas_gpu_msc_sweep(ceas_gpu_msc *st, double beta, uint64_t n) {
  if (!isfinite(beta) || beta < 0)
    return ceas_error_set(CEAS_EINPUT, "gpu msc: beta = %g, expected a finite value >= 0",
                          beta);
  if (n == 0) return CEAS_OK;
  rep_params p;
  memset(&p, 0, sizeof p);
  ceas_gpu_philox4x64_keys(st->key.seed, st->key.stream, p.rk);
  const int d = st->dim;
  for (int k = 0; k < d; k++) p.thr[k] = ceas_lattice_threshold(exp(-beta * 4.0 * (d - k)));
  p.thr[d] = 1ull << 31;
  for (int k = 0; k <= d; k++) {
    p.tm1[k] = (uint32_t)(p.thr[k] - 1);
    p.tnz[k] = p.thr[k] ? ~0u : 0u;
  }
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 64; k++) {
      uint64_t b[4];
      ceas_rng_bits(st->key, 0, (uint64_t)(64 * c + k), CEAS_MSC_TAG_PATTERN, 0, b);
      for (int l = 0; l < st->W; l++) p.pat[c][k * st->W + l] = b[l];
    }
  const long L = st->L;
  p.L = (uint32_t)L;
  p.n = (uint32_t)(L / 2);
  p.slab_rows = d == 3 ? (uint32_t)L : 1;
  p.slabs = (uint32_t)L;
  half_fn hf;
  res_fn rf, sf;
  kernels(st->W, d, st->anti, &hf, &rf, &sf);
  const uint64_t S = (uint64_t)st->words / (uint64_t)st->W;
  size_t smem = 0;
  if (st->resident == 2) {
    int rc = shared_plan(st, sf, &p, &smem);
    if (rc && st->chosen) return rc;
    if (rc) {
      /* the fastest measured where the strips do not fit (bench/README.md) */
      ceas_error_clear();
      st->resident = st->W == 1;
      st->threads = st->W == 1 && d == 2 ? 512 : 256;
      st->resident_blocks = 0;
    }
  }
  const unsigned th = (unsigned)st->threads;
  if (!st->resident) {
    const uint64_t segs = (S + SEG - 1) / SEG, wpb = th / 32;
    const unsigned blocks = (unsigned)((segs + wpb - 1) / wpb);
    for (uint64_t i = 0; i < n; i++, st->sweep++)
      for (int c = 0; c < 2; c++) {
        hf<<<blocks, th>>>(p, st->col[c], st->col[1 - c], c, st->sweep, S);
        CUDA_TRY(cudaGetLastError(), "msc launch");
      }
    return CEAS_OK;
  }
  if (st->resident == 2) rf = sf;
  if (!st->resident_blocks) {
    int dev = 0, sms = 0, per = 0;
    CUDA_TRY(cudaGetDevice(&dev), "device");
    CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "device");
    CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per, (const void *)rf, (int)th, 0),
             "occupancy");
    /* Every block resident (the waits need it), at most one a slab, and about
     * one segment a warp and half: more blocks only add waits. */
    if (per < 1)
      return ceas_error_set(CEAS_EINPUT,
                            "gpu msc: a resident block of %u threads does not fit on an SM "
                            "(registers); take 512 or fewer",
                            th);
    long B = (long)sms * per;
    const long want = (long)((S + SEG - 1) / SEG / (th / 32));
    if (B > want) B = want;
    if (B > L) B = L;
    if (B < 1) B = 1;
    st->resident_blocks = (int)B;
    if (!st->flags) CUDA_TRY(cudaMalloc((void **)&st->flags, 65536 * sizeof(int)), "flags");
  }
  /* halves per launch: a launch's flags count from 0 */
  while (n > 0) {
    const uint64_t m = n < (1u << 29) ? n : (1u << 29);
    CUDA_TRY(cudaMemsetAsync(st->flags, 0, (size_t)st->resident_blocks * sizeof(int)), "flags");
    uint64_t t0 = st->sweep;
    uint32_t halves = (uint32_t)(2 * m);
    void *args[] = {&p, &st->col[0], &st->col[1], &t0, &halves, &st->flags};
    const cudaError_t e = cudaLaunchCooperativeKernel(
        (const void *)rf, dim3((unsigned)st->resident_blocks), dim3(th), args, smem, 0);
    if (e != cudaSuccess) {
      (void)cudaGetLastError(); /* not sticky: later launches must not see it */
      return cuda_fail(e, "msc resident launch");
    }
    st->sweep += m;
    n -= m;
  }
  return CEAS_OK;
}

int ceas_gpu_msc_sync(ceas_gpu_msc *st) {
  (void)st;
  CUDA_TRY(cudaDeviceSynchronize(), "msc kernels");
  return CEAS_OK;
}

} /* extern "C" */
