/* msc-replica64 / msc-replica256 on the GPU (contract in ceas_gpu.h): the
 * kernels of the four schedules and the host side; their device pieces are in
 * msc_replica.cuh. */
#include <cooperative_groups.h>
#include <cuda/atomic>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_lattice.h"
#include "gpu_private.h"

/* Threads a block of the shared schedules at most, and blocks an SM: together
 * they bound the registers a thread may use, hence how many warps an SM keeps
 * to hide the update's latency (at 512 x 1 the update is latency bound: 4
 * warps a scheduler, bench/README.md). A build may set them (-DREP_SHARED_
 * THREADS=768: 80 registers) to time wider blocks; tests/gpu/gpu_msc_replica's
 * check then takes CHECK_THREADS for its 512-thread cases. */
#ifndef REP_SHARED_THREADS
#define REP_SHARED_THREADS 512
#endif
#ifndef REP_SHARED_MINB
#define REP_SHARED_MINB 1
#endif
#include "msc_replica.cuh"

struct ceas_gpu_msc {
  int dim, W, anti, resident, threads; /* resident: 0 launch, 1 resident, 2 shared, 3 sweep */
  int chosen; /* the schedule was set (ceas_gpu_msc_set_schedule), not the default */
  long L;
  ceas_rng_key key;
  size_t words;   /* per colour */
  uint64_t *col[2];
  int *flags;     /* resident schedules: boundary halves (sweeps) done, one a block */
  uint64_t *xb;   /* sweep schedule: rep_params.xb */
  int resident_blocks;
  uint64_t sweep;
};

#define GPU_WHO "gpu msc"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }


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
    /* This warp's boundary items, counted into bdone (rep_signal). */
    uint32_t mine = 0;
    for (uint32_t it = warp; it < nb; it += wpb) mine++;
    update_range<W, D3, ANTI>(p, a, b, c, t, blo, bhi, 0, warp, wpb, ubuf[warp], pat[c]);
    if (nb1)
      update_range<W, D3, ANTI>(p, a, b, c, t, elo, ehi, nb0, warp, wpb, ubuf[warp], pat[c]);
    rep_signal(mine, &bdone, (h + 1) * nb, &flags[bi], (int)h + 1);
    if (s1 - s0 > 2)
      update_range<W, D3, ANTI>(p, a, b, c, t, (uint64_t)(s0 + 1) * P, (uint64_t)(s1 - 1) * P,
                                nb, warp, wpb, ubuf[warp], pat[c]);
    rep_wait(flags, left, rightb, (int)h + 1);
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
 * to device memory at the end of the call. Where the strips have 8 rows (2D, 64
 * replicas) a warp's item is a tile of them (update_tile), else a segment. */

template <int W, int D3, int ANTI>
__global__ void __launch_bounds__(REP_SHARED_THREADS, REP_SHARED_MINB)
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
  /* Tiles are taken with 64 replicas in 2D only: the other kernels hold no tile
   * code. */
  bool tiled = false;
  if constexpr (!D3 && W == 1) {
    tiled = p.tile;
    if (tiled) {
      /* Items are tiles (update_tile): columns 32 it .. 32 it + 31 on all the
       * strip's rows, every one holding boundary rows; a warp draws its first
       * tile of the next half before it waits, as below. */
      const uint32_t S = rhi - rlo, nt = (p.n + 31) / 32;
      if (halves && warp < nt) rep_draw_tile(p, t0, 0, rlo, warp * 32, ubuf);
      if (threadIdx.x == 0) bdone = 0;
      __syncthreads();
      for (uint32_t h = 0; h < halves; h++) {
        const int c = (int)(h & 1);
        const uint64_t t = t0 + (h >> 1);
        uint64_t *const as = c ? sh1 : sh0, *const ag = c ? c1 : c0;
        const uint64_t *const bs = c ? sh0 : sh1, *const bg = c ? c0 : c1;
        uint32_t mine = 0;
        for (uint32_t it = warp; it < nt; it += wpb, mine++) {
          if (it != warp) rep_draw_tile(p, t, c, rlo, it * 32, ubuf);
          __syncwarp();
          if (S == 8)
            update_tile<W, ANTI, true>(p, as, bs, ag, bg, rlo, S, c, it * 32, ubuf, pat[c]);
          else
            update_tile<W, ANTI, false>(p, as, bs, ag, bg, rlo, S, c, it * 32, ubuf, pat[c]);
          __syncwarp();
        }
        rep_signal(mine, &bdone, (h + 1) * nt, &flags[bi], (int)h + 1);
        if (h + 1 < halves && warp < nt)
          rep_draw_tile(p, t0 + ((h + 1) >> 1), 1 - c, rlo, warp * 32, ubuf);
        rep_wait(flags, left, rightb, (int)h + 1);
      }
    }
  }
  if (!tiled) {
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
      rep_signal(mine, &bdone, (h + 1) * nb, &flags[bi], (int)h + 1);
      if (s1 - s0 > 2)
        update_range_sh<W, D3, ANTI>(p, as, bs, ag, bg, rlo, rhi, c, t,
                                     ilo, ihi, nb, warp, wpb, ubuf, pat[c], false, drawn);
      if (drawn && h + 1 < halves) rep_draw(p, t0 + ((h + 1) >> 1), 1 - c, first_s0, ubuf);
      rep_wait(flags, left, rightb, (int)h + 1);
    }
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

/* ---- the sweep schedule (2D) -----------------------------------------------
 * As "shared", but the blocks exchange once a sweep instead of once a half. A
 * block of rows [rlo, rhi) (S >= 2 of them) keeps rows rlo - 2 .. rhi + 1 of
 * both colours in shared memory (extended rows e = 0 .. S + 3) and updates
 * colour 0 on rows e = 1 .. S + 2: its own and the neighbours' edge rows, which
 * it computes bitwise as they do (the same inputs, the same Philox counters).
 * Colour 1 on its own rows then reads nothing another block changes in this
 * sweep. What the neighbours need for the next sweep is colour 1 on rows rlo,
 * rlo + 1, rhi - 2 and rhi - 1: updated first in the half, stored to
 * p.xb[parity of the next sweep] as well, and signalled; before the next sweep
 * the block copies its four halo rows of colour 1 from there. Two buffers, as a
 * neighbour may still copy the rows of sweep t - 1 while the block stores those
 * of sweep t. The price: 2 rows of colour 0 a sweep more than the S of each
 * colour. Needs n a multiple of 8 (every row's draws start a Philox block). */
template <int W, int ANTI>
__global__ void __launch_bounds__(REP_SHARED_THREADS, REP_SHARED_MINB)
    rep_sweep(const rep_params p, uint64_t *__restrict__ c0, uint64_t *__restrict__ c1,
              uint64_t t0, uint32_t halves, int *flags) {
  extern __shared__ __align__(16) uint64_t smem[];
  __shared__ uint64_t pat[2][ANTI ? 64 * W : 1];
  __shared__ uint32_t bdone;
  const uint32_t B = gridDim.x, bi = blockIdx.x;
  const uint32_t wpb = blockDim.x >> 5, warp = threadIdx.x >> 5;
  const uint32_t L = p.L, n = p.n, nW = n * W;
  const uint32_t rlo = (uint32_t)((uint64_t)bi * L / B);
  const uint32_t S = (uint32_t)((uint64_t)(bi + 1) * L / B) - rlo;
  const uint32_t sw = p.strip_words; /* (the largest S + 4) n W */
  uint64_t *const sh0 = smem, *const sh1 = smem + sw;
  uint32_t *ubuf = (uint32_t *)(smem + 2 * (size_t)sw) + warp * SEG;
  const size_t words = (size_t)L * nW;
  const uint32_t left = bi == 0 ? B - 1 : bi - 1, rightb = bi + 1 == B ? 0 : bi + 1;
  auto grow = [&](uint32_t e) { return (rlo + L - 2 + e) % L; };
  if (ANTI)
    for (int i = threadIdx.x; i < 2 * 64 * W; i += blockDim.x)
      pat[i / (64 * W)][i % (64 * W)] = p.pat[i / (64 * W)][i % (64 * W)];
  for (uint32_t i = threadIdx.x; i < (S + 4) * nW; i += blockDim.x) {
    const uint32_t e = i / nW;
    const size_t gi = (size_t)grow(e) * nW + (i - e * nW);
    sh0[i] = c0[gi];
    sh1[i] = c1[gi];
  }
  /* Items: a row's SEG-site pieces. Colour 1 takes its edge rows first. */
  const uint32_t nc = (n + SEG - 1) / SEG, items0 = (S + 2) * nc, items1 = S * nc;
  const uint32_t npub = S < 4 ? S : 4, nb = npub * nc;
  const uint32_t mine = warp < nb ? (nb - 1 - warp) / wpb + 1 : 0;
  auto row1 = [&](uint32_t k) { return k >= npub ? k : k == 0 ? 2 : k == 1 ? S + 1 : k == 2 ? 3 : S; };
  auto site0 = [&](uint32_t it) { return grow(1 + it / nc) * n + (it % nc) * SEG; };
  auto site1 = [&](uint32_t it) { return grow(row1(it / nc)) * n + (it % nc) * SEG; };
  if (threadIdx.x == 0) bdone = 0;
  if (halves && warp < items0) rep_draw(p, t0, 0, site0(warp), ubuf);
  __syncthreads();
  for (uint32_t h = 0; h < halves; h += 2) {
    const uint64_t t = t0 + (h >> 1);
    const int v = (int)(h >> 1) + 1; /* sweeps done after this one */
    uint64_t *const x = p.xb + (size_t)(v & 1) * words;
    for (uint32_t it = warp; it < items0; it += wpb) {
      const uint32_t e = 1 + it / nc;
      if (it != warp) rep_draw(p, t, 0, site0(it), ubuf);
      __syncwarp();
      update_row<W, ANTI>(p, sh0, sh1, nullptr, e, grow(e), (it % nc) * SEG, 0, ubuf, pat[0]);
      __syncwarp();
    }
    /* the draws of the warp's first colour 1 item before the barrier's wait */
    if (warp < items1) rep_draw(p, t, 1, site1(warp), ubuf);
    __syncthreads();
    for (uint32_t it = warp; it < items1; it += wpb) {
      const uint32_t e = row1(it / nc), g = grow(e);
      if (it != warp) rep_draw(p, t, 1, site1(it), ubuf);
      __syncwarp();
      update_row<W, ANTI>(p, sh1, sh0, it < nb ? x + (size_t)g * nW : nullptr, e, g,
                          (it % nc) * SEG, 1, ubuf, pat[1]);
      __syncwarp();
      if (it < nb && it + wpb >= nb) rep_signal(mine, &bdone, (uint32_t)v * nb, &flags[bi], v);
    }
    if (h + 2 < halves && warp < items0) rep_draw(p, t + 1, 0, site0(warp), ubuf);
    rep_wait(flags, left, rightb, v);
    if (h + 2 < halves) {
      for (uint32_t i = threadIdx.x; i < 4 * nW; i += blockDim.x) {
        const uint32_t k = i / nW, e = k < 2 ? k : S + k;
        sh1[e * nW + (i - k * nW)] = x[(size_t)grow(e) * nW + (i - k * nW)];
      }
      __syncthreads();
    }
  }
  /* The block's own rows go back; the last wait made sure that the neighbours
   * have copied their first halo rows out of c1 long ago. */
  for (uint32_t i = threadIdx.x; i < S * nW; i += blockDim.x) {
    c0[(size_t)rlo * nW + i] = sh0[2 * nW + i];
    c1[(size_t)rlo * nW + i] = sh1[2 * nW + i];
  }
}

typedef void (*half_fn)(const rep_params, uint64_t *, const uint64_t *, int, uint64_t, uint64_t);
typedef void (*res_fn)(const rep_params, uint64_t *, uint64_t *, uint64_t, uint32_t, int *);

/* The kernels of one variant: a launch a half, resident, shared, sweep (2D
 * only: null in 3D). */
template <int W, int D3, int ANTI>
static void pick(half_fn *h, res_fn *r, res_fn *sh, res_fn *sw) {
  *h = rep_half<W, D3, ANTI>;
  *r = rep_resident<W, D3, ANTI>;
  *sh = rep_shared<W, D3, ANTI>;
  *sw = D3 ? nullptr : rep_sweep<W, ANTI>;
}

static void kernels(int W, int dim, int anti, half_fn *h, res_fn *r, res_fn *sh, res_fn *sw) {
  const int k = (W == 4) * 4 + (dim == 3) * 2 + (anti != 0);
  switch (k) {
    case 0: pick<1, 0, 0>(h, r, sh, sw); break;
    case 1: pick<1, 0, 1>(h, r, sh, sw); break;
    case 2: pick<1, 1, 0>(h, r, sh, sw); break;
    case 3: pick<1, 1, 1>(h, r, sh, sw); break;
    case 4: pick<4, 0, 0>(h, r, sh, sw); break;
    case 5: pick<4, 0, 1>(h, r, sh, sw); break;
    case 6: pick<4, 1, 0>(h, r, sh, sw); break;
    default: pick<4, 1, 1>(h, r, sh, sw); break;
  }
}

extern "C" {

void ceas_gpu_msc_free(ceas_gpu_msc *st) {
  if (!st) return;
  cudaFree(st->col[0]);
  cudaFree(st->col[1]);
  cudaFree(st->flags);
  cudaFree(st->xb);
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
   * replica-packed kernels"): sweep (2D, thin strips) or shared, 512 threads,
   * where the strips fit in shared memory, else resident 512 threads for 64
   * replicas (256 in 3D), one launch a half of 256 threads for 256
   * (ceas_gpu_msc_sweep chooses and falls back). */
  st->resident = dim == 2 ? 3 : 2;
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
  if (threads < 32 || threads > 1024 || threads % 32 || resident < 0 || resident > 3 ||
      (resident >= 2 && threads > REP_SHARED_THREADS))
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: schedule %d with %d threads, expected 0, 1, 2 or 3 and a "
                          "multiple of 32 from 32 to 1024 (%d for 2 and 3)",
                          resident, threads, REP_SHARED_THREADS);
  st->chosen = 1;
  st->resident = resident;
  st->threads = threads;
  st->resident_blocks = 0;
  return CEAS_OK;
}

uint64_t ceas_gpu_msc_sweeps_done(const ceas_gpu_msc *st) { return st->sweep; }

/* The grid of the shared and sweep schedules (st->resident 2, 3): one block an
 * SM (at most one a slab; two rows at least for sweep), each holding its
 * strip's two colours (sweep: and two halo rows a side) and its warps'
 * uniforms in shared memory. Sets st->resident_blocks, p->strip_words, p->xb
 * and *smem; CEAS_EINPUT if the strips do not fit or sweep does not apply. */
static int shared_plan(ceas_gpu_msc *st, res_fn sf, rep_params *p, size_t *smem) {
  const int sweep = st->resident == 3;
  if (sweep && (st->dim != 2 || st->L % 16))
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: schedule 3 needs 2D and L a multiple of 16, not %dD L = "
                          "%ld: take schedule 2",
                          st->dim, st->L);
  int dev = 0, sms = 0, optin = 0, per = 0;
  CUDA_TRY(cudaGetDevice(&dev), "device");
  CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "device");
  CUDA_TRY(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev),
           "device");
  const long L = st->L, th = st->threads;
  cudaFuncAttributes fa;
  CUDA_TRY(cudaFuncGetAttributes(&fa, (const void *)sf), "shared kernel");
  /* As many blocks as SMs (or slabs): the more blocks, the smaller a strip;
   * two an SM where two fit (threads, registers, shared memory): one updates
   * while the other waits for its neighbours. */
  const long most = sweep ? L / 2 : L;
  long B = 0;
  uint64_t sw = 0, bytes = 0;
  for (int k = 2; k >= 1 && !B; k--) {
    const long b = (long)k * sms < most ? (long)k * sms : most;
    const uint64_t rows = (uint64_t)((L + b - 1) / b + (sweep ? 4 : 0)) * p->slab_rows;
    sw = rows * p->n * (uint64_t)st->W;
    bytes = 2 * sw * 8 + (uint64_t)(th / 32) * SEG * 4;
    if (bytes + fa.sharedSizeBytes > (uint64_t)optin) continue;
    CUDA_TRY(cudaFuncSetAttribute((const void *)sf, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  (int)bytes),
             "shared kernel");
    CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per, (const void *)sf, (int)th,
                                                           (size_t)bytes),
             "occupancy");
    if (per >= k) B = b;
  }
  if (!B && bytes + fa.sharedSizeBytes > (uint64_t)optin)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: schedule %d needs %llu bytes of shared memory a block "
                          "here, more than the card's %d: take schedule 0 or 1",
                          st->resident, (unsigned long long)(bytes + fa.sharedSizeBytes), optin);
  if (!B)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc: a schedule %d block of %ld threads does not fit on an SM: "
                          "take fewer threads",
                          st->resident, th);
  st->resident_blocks = (int)B;
  p->strip_words = (uint32_t)sw;
  /* The shared schedule's tiles (update_tile: 64 replicas, 2D, a row's Philox
   * blocks in the row) where the strips have 8 rows (and 7): at 2D L = 1024 on
   * the H100 17 % faster than segments, but 30 % slower with strips of 4, whose
   * tiles leave half their steps idle (bench/README.md). */
  p->tile = !sweep && st->dim == 2 && st->W == 1 && L % 16 == 0 && (L + B - 1) / B == 8;
  *smem = (size_t)bytes;
  if (!st->flags) CUDA_TRY(cudaMalloc((void **)&st->flags, 65536 * sizeof(int)), "flags");
  if (sweep && !st->xb) CUDA_TRY(cudaMalloc((void **)&st->xb, 2 * st->words * 8), "edge rows");
  p->xb = st->xb;
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
  res_fn rf, sf, wf;
  kernels(st->W, d, st->anti, &hf, &rf, &sf, &wf);
  const uint64_t S = (uint64_t)st->words / (uint64_t)st->W;
  size_t smem = 0;
  if (st->resident == 3 && !st->chosen) {
    int dev = 0, sms = 0;
    CUDA_TRY(cudaGetDevice(&dev), "device");
    CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "device");
    /* Recomputing the halo pays where the strips are thin: on the H100 (132
     * SMs) sweep was the faster at L = 512 and 768 (4 and 6 rows a block),
     * shared at L = 1024 and 1536 (8 and 12). */
    if (L > 6L * sms) st->resident = 2;
  }
  if (st->resident == 3) {
    int rc = shared_plan(st, wf, &p, &smem);
    if (rc && st->chosen) return rc;
    if (rc) {
      ceas_error_clear();
      st->resident = 2;
      st->resident_blocks = 0;
    }
  }
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
  if (st->resident >= 2) rf = st->resident == 3 ? wf : sf;
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

const uint64_t *ceas_gpu_msc_words(const ceas_gpu_msc *st, int colour) {
  return st->col[colour != 0];
}

} /* extern "C" */
