/* msc-single on the GPU (contract in ceas_gpu.h; the rule and the draws are
 * those of src/msc/single.c, whose comments say why they are as they are). */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_lattice.h"
#include "gpu_philox.cuh"
#include "gpu_private.h"

/* U's top 2K = 8 bits come from the bulk planes (SINGLE_BULK in single.c); a
 * tied site compares the top 24 bits of its deep word with T_q's low 24 bits. */
#define MSC_BULK 8

/* The kernel's parameters: Philox4x32-10's ten round keys (the key schedule of
 * Random123's philox4x32, computed once on the host), and the thresholds as
 * single.c's thresholds_class spells them for classes q = 1, 2. */
typedef struct {
  uint32_t rk[10][2];
  uint64_t m[3][MSC_BULK];
  uint64_t always[3];
  uint32_t low[3];
} msc_params;

struct ceas_gpu_msc_single {
  int dim;
  long L;
  int nw;
  long rows; /* L^(dim - 1) rows of nw words a colour */
  int threads, rows_per_block; /* block shape (2D; 3D: threads / nw rows) */
  uint32_t k32[2];
  uint64_t *col[2]; /* device: L rows of nw words per colour */
  uint64_t sweep;
};

#define GPU_WHO "gpu"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }

/* The bulk decision of word w of row r (colour c, other colour b): the new
 * value with only the untied flips done, and the sites still tied to T_1 (n1)
 * and T_2 (n2). single.c's bulk2, term for term. */
__device__ __forceinline__ void bulk_word(const uint64_t *__restrict__ a,
                                          const uint64_t *__restrict__ b, int L, int nw, int r,
                                          int w, int c, uint32_t c2, uint32_t c3,
                                          const msc_params &p, uint64_t *out, uint64_t *n1o,
                                          uint64_t *n2o) {
  const uint64_t *mid = b + (size_t)r * nw;
  const uint64_t *up = b + (size_t)(r == 0 ? L - 1 : r - 1) * nw;
  const uint64_t *dn = b + (size_t)(r == L - 1 ? 0 : r + 1) * nw;
  const uint64_t s = a[(size_t)r * nw + w], m = mid[w];
  const uint64_t sh = (c + r) & 1 ? (m >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                                  : (m << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
  const uint64_t a1 = s ^ up[w], a2 = s ^ dn[w], a3 = s ^ m, a4 = s ^ sh;
  const uint64_t x1 = a1 ^ a2, k1 = a1 & a2, x2 = a3 ^ a4, k2 = a3 & a4;
  const uint64_t k_odd = x1 ^ x2, ge2 = k1 | k2 | (x1 & x2), ge4 = k1 & k2;
  uint64_t P[MSC_BULK];
#pragma unroll
  for (int blk = 0; blk < MSC_BULK / 2; blk++) {
    const uint64_t bn = ((uint64_t)blk * (uint64_t)L + (uint64_t)r) * (uint64_t)nw + (uint64_t)w;
    uint32_t o[4];
    ceas_gpu_philox4x32((uint32_t)bn, (uint32_t)(bn >> 32), c2, c3, p.rk, o);
    P[2 * blk] = (uint64_t)o[0] | (uint64_t)o[1] << 32;
    P[2 * blk + 1] = (uint64_t)o[2] | (uint64_t)o[3] << 32;
  }
  uint64_t flip = (ge2 & k_odd) | ge4 | (ge2 & ~k_odd & ~P[0]);
  uint64_t n1 = ~ge2 & k_odd, n2 = ~ge2 & ~k_odd;
  flip |= (n1 & p.always[0]) | (n2 & p.always[1]);
  n1 &= ~p.always[0];
  n2 &= ~p.always[1];
#pragma unroll
  for (int q = 0; q < MSC_BULK; q++) {
    flip |= n1 & ~P[q] & p.m[0][q];
    n1 &= ~(P[q] ^ p.m[0][q]);
    flip |= n2 & ~P[q] & p.m[1][q];
    n2 &= ~(P[q] ^ p.m[1][q]);
  }
  *out = s ^ flip;
  *n1o = n1;
  *n2o = n2;
}

/* One colour c of the 2D torus in sweep t (c2, c3: the sweep's counter words):
 * block = ROWS consecutive rows, a = colour c, b = colour 1 - c, both L rows of
 * nw words. Each thread takes word w of each of the rows, so that one scan and
 * one pass over the tied sites serve ROWS rows (fewer barriers per word, more
 * independent work per thread). Dynamic shared memory: ROWS blockDim.x flip
 * words, then 2 ROWS blockDim.x list entries. */
template <int ROWS>
__global__ void msc_single_update2(uint64_t *__restrict__ a, const uint64_t *__restrict__ b,
                                   int L, int nw, int c, uint32_t c2, uint32_t c3,
                                   const msc_params p) {
  extern __shared__ uint64_t smem[];
  __shared__ uint32_t wt[ROWS][32];
  const int T = blockDim.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5,
            nwarps = T >> 5;
  uint64_t *flipw = smem;
  uint32_t *list = (uint32_t *)(smem + ROWS * T);
  const uint32_t cap = 2u * ROWS * (uint32_t)T;
  const int r0 = blockIdx.x * ROWS;
  const uint64_t R = (uint64_t)L;
  uint64_t carry[ROWS]; /* tied sites of each row's earlier chunks */
#pragma unroll
  for (int i = 0; i < ROWS; i++) carry[i] = 0;
  for (int w0 = 0; w0 < nw; w0 += T) {
    const int w = w0 + tid;
    uint64_t v[ROWS], n1[ROWS], n2[ROWS];
    uint32_t cnt[ROWS], incl[ROWS];
#pragma unroll
    for (int i = 0; i < ROWS; i++) {
      v[i] = n1[i] = n2[i] = 0;
      if (w < nw) bulk_word(a, b, L, nw, r0 + i, w, c, c2, c3, p, &v[i], &n1[i], &n2[i]);
      flipw[i * T + tid] = 0;
      cnt[i] = (uint32_t)__popcll(n1[i] | n2[i]);
      incl[i] = cnt[i];
    }
    /* Rank each row's tied sites of the chunk in the order of j: exclusive
     * scans of the words' counts over the block. */
#pragma unroll
    for (int d = 1; d < 32; d <<= 1)
#pragma unroll
      for (int i = 0; i < ROWS; i++) {
        const uint32_t u = __shfl_up_sync(0xffffffffu, incl[i], d);
        if (lane >= d) incl[i] += u;
      }
    if (lane == 31)
#pragma unroll
      for (int i = 0; i < ROWS; i++) wt[i][warp] = incl[i];
    __syncthreads();
    if (warp == 0) {
#pragma unroll
      for (int i = 0; i < ROWS; i++) {
        uint32_t x = lane < nwarps ? wt[i][lane] : 0;
#pragma unroll
        for (int d = 1; d < 32; d <<= 1) {
          const uint32_t u = __shfl_up_sync(0xffffffffu, x, d);
          if (lane >= d) x += u;
        }
        if (lane < nwarps) wt[i][lane] = x;
      }
    }
    __syncthreads();
    /* The rows' tied sites one after the other in one list: row i's chunk ranks
     * at off[i] .. off[i] + total[i]. */
    uint32_t excl[ROWS], total[ROWS], off[ROWS], all = 0;
#pragma unroll
    for (int i = 0; i < ROWS; i++) {
      excl[i] = incl[i] - cnt[i] + (warp ? wt[i][warp - 1] : 0);
      total[i] = wt[i][nwarps - 1];
      off[i] = all;
      all += total[i];
    }
    /* In windows of cap list entries (one window unless the chunk has over 2
     * per word): list them, then draw deep block j of row i for the four row
     * ranks 4j .. 4j + 3 it serves. */
    for (uint32_t win = 0; win < all; win += cap) {
#pragma unroll
      for (int i = 0; i < ROWS; i++) {
        const uint32_t first = off[i] + excl[i];
        if (first + cnt[i] > win && first < win + cap) {
          uint32_t pos = first;
          for (uint64_t tt = n1[i] | n2[i]; tt; tt &= tt - 1, pos++) {
            const int bit = __ffsll((long long)tt) - 1;
            if (pos >= win && pos < win + cap)
              list[pos - win] =
                  (uint32_t)tid << 8 | (uint32_t)bit << 2 | ((n1[i] >> bit) & 1 ? 1u : 2u);
          }
        }
      }
      __syncthreads();
      const uint32_t wend = all - win < cap ? all : win + cap;
      /* Row i's ranks in this window, as row-global ranks [g0, g1), and the
       * deep blocks that serve them. */
      uint64_t g0[ROWS], g1[ROWS], jlo[ROWS];
      uint32_t jobs[ROWS], njobs = 0;
#pragma unroll
      for (int i = 0; i < ROWS; i++) {
        const uint32_t lo = win > off[i] ? win : off[i];
        const uint32_t hi = wend < off[i] + total[i] ? wend : off[i] + total[i];
        g0[i] = carry[i] + (lo - off[i]);
        g1[i] = carry[i] + (hi - off[i]);
        jlo[i] = g0[i] >> 2;
        jobs[i] = hi > lo ? (uint32_t)(((g1[i] - 1) >> 2) - jlo[i] + 1) : 0;
        njobs += jobs[i];
      }
      for (uint32_t k = (uint32_t)tid; k < njobs; k += (uint32_t)T) {
        int i = 0;
        uint32_t kk = k;
#pragma unroll
        for (int x = 0; x + 1 < ROWS; x++)
          if (i == x && kk >= jobs[x]) {
            kk -= jobs[x];
            i = x + 1;
          }
        uint64_t j = 0, lo = 0, hi = 0, base = 0;
#pragma unroll
        for (int x = 0; x < ROWS; x++)
          if (i == x) {
            j = jlo[x] + kk;
            lo = g0[x];
            hi = g1[x];
            base = off[x] - carry[x] - win; /* list index = rank + base, mod 2^64 */
          }
        const uint64_t bn = 16 * R * (uint64_t)nw + j * R + (uint64_t)(r0 + i);
        uint32_t u[4];
        ceas_gpu_philox4x32((uint32_t)bn, (uint32_t)(bn >> 32), c2, c3, p.rk, u);
#pragma unroll
        for (int g = 0; g < 4; g++) {
          const uint64_t gi = 4 * j + (uint64_t)g;
          if (gi < lo || gi >= hi) continue;
          const uint32_t e = list[gi + base];
          if ((u[g] >> MSC_BULK) < p.low[(e & 3) - 1])
            atomicOr((unsigned long long *)&flipw[i * T + (int)(e >> 8)], 1ull << ((e >> 2) & 63));
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < ROWS; i++) {
      if (w < nw) a[(size_t)(r0 + i) * nw + w] = v[i] ^ (all ? flipw[i * T + tid] : 0);
      carry[i] += total[i];
    }
    /* wt and flipw are rewritten by the next chunk. */
    __syncthreads();
  }
}

/* ---- 3D ----------------------------------------------------------------
 * Rows are short (nw = L / 128 <= 16 words), so a block takes whole rows, one
 * word a thread: m = blockDim.x / nw rows from row r0 = blockIdx.x m (row r =
 * z L + y). The bulk decision is single.c's bulk3; the tied sites of all m
 * rows are ranked by one block scan and listed in shared memory, and the tie of
 * rank g of its row that is the first of its deep block (g % 4 == 0) draws that
 * block and decides the (up to) four ties it serves. */
__device__ __forceinline__ void bulk_word3(const uint64_t *__restrict__ a,
                                           const uint64_t *__restrict__ b, int L, int nw,
                                           uint32_t r, int w, int c, uint64_t R, uint32_t c2,
                                           uint32_t c3, const msc_params &p, uint64_t *out,
                                           uint64_t *n1o, uint64_t *n2o, uint64_t *n3o) {
  const uint32_t y = r % (uint32_t)L, z = r / (uint32_t)L, Lu = (uint32_t)L;
  const uint32_t ryp = y == 0 ? r + Lu - 1 : r - 1, ryn = y == Lu - 1 ? r - (Lu - 1) : r + 1;
  const uint32_t rzp = z == 0 ? r + (Lu - 1) * Lu : r - Lu;
  const uint32_t rzn = z == Lu - 1 ? r - (Lu - 1) * Lu : r + Lu;
  const uint64_t *mid = b + (size_t)r * nw;
  const uint64_t s = a[(size_t)r * nw + w], m = mid[w];
  const uint64_t sh = (c + y + z) & 1 ? (m >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                                      : (m << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
  const uint64_t a1 = s ^ b[(size_t)ryp * nw + w], a2 = s ^ b[(size_t)ryn * nw + w],
                 a3 = s ^ b[(size_t)rzp * nw + w], a4 = s ^ b[(size_t)rzn * nw + w],
                 a5 = s ^ m, a6 = s ^ sh;
  const uint64_t s1 = a1 ^ a2 ^ a3, k1 = (a1 & a2) | (a3 & (a1 ^ a2));
  const uint64_t s2 = a4 ^ a5 ^ a6, k2 = (a4 & a5) | (a6 & (a4 ^ a5));
  const uint64_t b0 = s1 ^ s2, cc = s1 & s2;
  const uint64_t b1 = k1 ^ k2 ^ cc, b2 = (k1 & k2) | (cc & (k1 ^ k2));
  uint64_t P[MSC_BULK];
#pragma unroll
  for (int blk = 0; blk < MSC_BULK / 2; blk++) {
    const uint64_t bn = ((uint64_t)blk * R + (uint64_t)r) * (uint64_t)nw + (uint64_t)w;
    uint32_t o[4];
    ceas_gpu_philox4x32((uint32_t)bn, (uint32_t)(bn >> 32), c2, c3, p.rk, o);
    P[2 * blk] = (uint64_t)o[0] | (uint64_t)o[1] << 32;
    P[2 * blk + 1] = (uint64_t)o[2] | (uint64_t)o[3] << 32;
  }
  uint64_t flip = b2 | (b1 & b0 & ~P[0]);
  uint64_t n1 = ~b2 & b1 & ~b0, n2 = ~b2 & ~b1 & b0, n3 = ~(b2 | b1 | b0);
  flip |= (n1 & p.always[0]) | (n2 & p.always[1]) | (n3 & p.always[2]);
  n1 &= ~p.always[0];
  n2 &= ~p.always[1];
  n3 &= ~p.always[2];
#pragma unroll
  for (int q = 0; q < MSC_BULK; q++) {
    flip |= n1 & ~P[q] & p.m[0][q];
    n1 &= ~(P[q] ^ p.m[0][q]);
    flip |= n2 & ~P[q] & p.m[1][q];
    n2 &= ~(P[q] ^ p.m[1][q]);
    flip |= n3 & ~P[q] & p.m[2][q];
    n3 &= ~(P[q] ^ p.m[2][q]);
  }
  *out = s ^ flip;
  *n1o = n1;
  *n2o = n2;
  *n3o = n3;
}

/* Dynamic shared memory: blockDim.x flip words, 2 blockDim.x list entries
 * (row << 18 | thread << 8 | bit << 2 | class), m + 1 row starts. */
__global__ void msc_single_update3(uint64_t *__restrict__ a, const uint64_t *__restrict__ b,
                                   int L, int nw, int c, uint32_t c2, uint32_t c3,
                                   const msc_params p) {
  extern __shared__ uint64_t smem[];
  __shared__ uint32_t wt[32];
  const int T = blockDim.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5,
            nwarps = T >> 5;
  const int m = T / nw;
  const uint64_t R = (uint64_t)L * (uint64_t)L;
  uint64_t *flipw = smem;
  uint32_t *list = (uint32_t *)(smem + T);
  const uint32_t cap = 2u * (uint32_t)T;
  uint32_t *rowstart = list + cap;
  const int lr = tid / nw, w = tid - lr * nw;
  const uint64_t rg = (uint64_t)blockIdx.x * (uint64_t)m + (uint64_t)lr;
  const bool on = lr < m && rg < R;
  uint64_t v = 0, n1 = 0, n2 = 0, n3 = 0;
  if (on) bulk_word3(a, b, L, nw, (uint32_t)rg, w, c, R, c2, c3, p, &v, &n1, &n2, &n3);
  flipw[tid] = 0;
  const uint64_t tied = n1 | n2 | n3;
  const uint32_t cnt = (uint32_t)__popcll(tied);
  uint32_t incl = cnt;
#pragma unroll
  for (int d = 1; d < 32; d <<= 1) {
    const uint32_t u = __shfl_up_sync(0xffffffffu, incl, d);
    if (lane >= d) incl += u;
  }
  if (lane == 31) wt[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    uint32_t x = lane < nwarps ? wt[lane] : 0;
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) {
      const uint32_t u = __shfl_up_sync(0xffffffffu, x, d);
      if (lane >= d) x += u;
    }
    if (lane < nwarps) wt[lane] = x;
  }
  __syncthreads();
  const uint32_t excl = incl - cnt + (warp ? wt[warp - 1] : 0), all = wt[nwarps - 1];
  if (lr < m && w == 0) rowstart[lr] = excl;
  if (tid == 0) rowstart[m] = all;
  /* Windows of cap entries, each (but the last) handing its last three
   * positions to the next, so that a deciding tie finds its block's other
   * three ties listed with it. */
  for (uint32_t win = 0; win < all; win += cap - 3) {
    const uint32_t lend = win + cap >= all ? all : win + cap - 3;
    if (cnt && excl + cnt > win && excl < win + cap) {
      uint32_t pos = excl;
      for (uint64_t tt = tied; tt; tt &= tt - 1, pos++) {
        const int bit = __ffsll((long long)tt) - 1;
        const uint32_t cls = (n1 >> bit) & 1 ? 1u : (n2 >> bit) & 1 ? 2u : 3u;
        if (pos >= win && pos < win + cap)
          list[pos - win] = (uint32_t)lr << 18 | (uint32_t)tid << 8 | (uint32_t)bit << 2 | cls;
      }
    }
    __syncthreads();
    for (uint32_t k = win + (uint32_t)tid; k < lend; k += (uint32_t)T) {
      const uint32_t row = list[k - win] >> 18, g = k - rowstart[row];
      if (g & 3) continue;
      const uint64_t bn = 16 * R * (uint64_t)nw + (uint64_t)(g >> 2) * R +
                          (uint64_t)blockIdx.x * (uint64_t)m + row;
      uint32_t u[4];
      ceas_gpu_philox4x32((uint32_t)bn, (uint32_t)(bn >> 32), c2, c3, p.rk, u);
#pragma unroll
      for (int e = 0; e < 4; e++) {
        if (k + e >= rowstart[row + 1]) break;
        const uint32_t x = list[k + e - win];
        if ((u[e] >> MSC_BULK) < p.low[(x & 3) - 1])
          atomicOr((unsigned long long *)&flipw[(x >> 8) & 1023], 1ull << ((x >> 2) & 63));
      }
    }
    __syncthreads();
  }
  if (on) a[rg * (uint64_t)nw + (uint64_t)w] = v ^ flipw[tid];
}

extern "C" {

int ceas_gpu_device_name(char *buf, size_t n) {
  if (n) buf[0] = 0;
  cudaDeviceProp prop;
  CUDA_TRY(cudaGetDeviceProperties(&prop, 0), "device 0");
  snprintf(buf, n, "%s", prop.name);
  return CEAS_OK;
}

void ceas_gpu_msc_single_free(ceas_gpu_msc_single *st) {
  if (!st) return;
  cudaFree(st->col[0]);
  cudaFree(st->col[1]);
  free(st);
}

int ceas_gpu_msc_single_set(ceas_gpu_msc_single *st, const uint64_t *c0, const uint64_t *c1,
                            uint64_t sweeps_done) {
  const size_t bytes = (size_t)st->rows * (size_t)st->nw * sizeof(uint64_t);
  CUDA_TRY(cudaMemcpy(st->col[0], c0, bytes, cudaMemcpyHostToDevice), "copy to device");
  CUDA_TRY(cudaMemcpy(st->col[1], c1, bytes, cudaMemcpyHostToDevice), "copy to device");
  st->sweep = sweeps_done;
  return CEAS_OK;
}

int ceas_gpu_msc_single_get(ceas_gpu_msc_single *st, uint64_t *c0, uint64_t *c1) {
  const size_t bytes = (size_t)st->rows * (size_t)st->nw * sizeof(uint64_t);
  CUDA_TRY(cudaMemcpy(c0, st->col[0], bytes, cudaMemcpyDeviceToHost), "copy from device");
  CUDA_TRY(cudaMemcpy(c1, st->col[1], bytes, cudaMemcpyDeviceToHost), "copy from device");
  return CEAS_OK;
}

int ceas_gpu_msc_single_alloc_dim(int dim, long L, ceas_rng_key key, ceas_msc_init init,
                                  ceas_gpu_msc_single **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "gpu msc-single: dimension %d, expected 2 or 3", dim);
  const long Lmax = dim == 2 ? 65536 : 2048;
  if (L < 128 || L > Lmax || L % 128)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc-single: L = %ld, expected a multiple of 128 from 128 to %ld",
                          L, Lmax);
  ceas_gpu_msc_single *st = (ceas_gpu_msc_single *)ceas_calloc(1, sizeof *st);
  if (!st) return CEAS_ENOMEM;
  st->dim = dim;
  st->L = L;
  st->nw = (int)(L / 128);
  st->rows = dim == 3 ? L * L : L;
  /* the fastest measured shapes (bench/README.md): 256 x 2 in 2D, 128 in 3D */
  st->threads = dim == 3 ? 128 : 256;
  st->rows_per_block = 2;
  const ceas_rng_key32 k = ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE);
  st->k32[0] = k.k[0];
  st->k32[1] = k.k[1];
  const size_t words = (size_t)st->rows * (size_t)st->nw;
  uint64_t *h = (uint64_t *)ceas_calloc(2 * words, sizeof *h);
  int rc = h ? CEAS_OK : CEAS_ENOMEM;
  for (int c = 0; c < 2 && !rc; c++) {
    cudaError_t e = cudaMalloc((void **)&st->col[c], words * sizeof(uint64_t));
    if (e != cudaSuccess) rc = cuda_fail(e, "device memory for the lattice");
  }
  if (!rc) {
    for (int c = 0; c < 2; c++) ceas_msc_single_initial(key, dim, L, init, c, 0, L, h + c * words);
    rc = ceas_gpu_msc_single_set(st, h, h + words, 0);
  }
  free(h);
  if (rc) {
    ceas_gpu_msc_single_free(st);
    return rc;
  }
  *out = st;
  return CEAS_OK;
}

int ceas_gpu_msc_single_alloc(long L, ceas_rng_key key, ceas_msc_init init,
                              ceas_gpu_msc_single **out) {
  return ceas_gpu_msc_single_alloc_dim(2, L, key, init, out);
}

int ceas_gpu_msc_single_set_shape(ceas_gpu_msc_single *st, int threads, int rows) {
  if (threads < 32 || threads > 1024 || threads % 32 || (rows != 1 && rows != 2 && rows != 4) ||
      threads * rows > 2048)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc-single: block of %d threads x %d rows, expected a multiple "
                          "of 32 from 32 to 1024 threads, 1, 2 or 4 rows, at most 2048 words",
                          threads, rows);
  st->threads = threads;
  st->rows_per_block = rows;
  return CEAS_OK;
}

uint64_t ceas_gpu_msc_single_sweeps_done(const ceas_gpu_msc_single *st) { return st->sweep; }

int ceas_gpu_msc_single_sweep(ceas_gpu_msc_single *st, double beta, uint64_t n) {
  if (!isfinite(beta) || beta < 0)
    return ceas_error_set(CEAS_EINPUT,
                          "gpu msc-single: beta = %g, expected a finite value >= 0", beta);
  msc_params p;
  memset(&p, 0, sizeof p);
  ceas_gpu_philox4x32_keys(st->k32[0], st->k32[1], p.rk);
  for (int q = 1; q <= st->dim; q++) {
    const uint64_t T = ceas_lattice_threshold(exp(-4 * beta * q));
    for (int s = 0; s < MSC_BULK; s++) p.m[q - 1][s] = -((T >> (31 - s)) & 1);
    p.always[q - 1] = T >> 32 ? ~UINT64_C(0) : 0;
    p.low[q - 1] = (uint32_t)(T & ((UINT64_C(1) << (32 - MSC_BULK)) - 1));
  }
  const unsigned th = (unsigned)st->threads;
  if (st->dim == 3) {
    /* whole rows a block: threads / nw of them */
    const long m = st->threads / st->nw;
    const size_t shmem = (size_t)th * 16 + (size_t)(m + 1) * 4;
    const unsigned blocks = (unsigned)((st->rows + m - 1) / m);
    for (uint64_t i = 0; i < n; i++, st->sweep++)
      for (int c = 0; c < 2; c++) {
        const uint64_t t = st->sweep;
        const uint32_t c2 = (uint32_t)t, c3 = (uint32_t)(2 * (t >> 32) + (uint64_t)c);
        msc_single_update3<<<blocks, th, shmem>>>(st->col[c], st->col[1 - c], (int)st->L,
                                                  st->nw, c, c2, c3, p);
        CUDA_TRY(cudaGetLastError(), "msc-single launch");
      }
    return CEAS_OK;
  }
  const size_t shmem = (size_t)st->threads * (size_t)st->rows_per_block * 16;
  const unsigned blocks = (unsigned)(st->L / st->rows_per_block);
  for (uint64_t i = 0; i < n; i++, st->sweep++)
    for (int c = 0; c < 2; c++) {
      const uint64_t t = st->sweep;
      const uint32_t c2 = (uint32_t)t, c3 = (uint32_t)(2 * (t >> 32) + (uint64_t)c);
      uint64_t *a = st->col[c], *b = st->col[1 - c];
      const int L = (int)st->L;
      if (st->rows_per_block == 1)
        msc_single_update2<1><<<blocks, th, shmem>>>(a, b, L, st->nw, c, c2, c3, p);
      else if (st->rows_per_block == 2)
        msc_single_update2<2><<<blocks, th, shmem>>>(a, b, L, st->nw, c, c2, c3, p);
      else
        msc_single_update2<4><<<blocks, th, shmem>>>(a, b, L, st->nw, c, c2, c3, p);
      CUDA_TRY(cudaGetLastError(), "msc-single launch");
    }
  return CEAS_OK;
}

const uint64_t *ceas_gpu_msc_single_words(const ceas_gpu_msc_single *st, int colour) {
  return st->col[colour != 0];
}

int ceas_gpu_msc_single_sync(ceas_gpu_msc_single *st) {
  (void)st;
  CUDA_TRY(cudaDeviceSynchronize(), "msc-single kernels");
  return CEAS_OK;
}

} /* extern "C" */
