/* Reductions of a GPU msc-single or replica state (ceas_gpu_measure.h). msc-single's layout is
 * ceas_gpu.h's: rows g = z L + y (2D: z = 0) of nw = L / 128 words per colour
 * c; bit j & 63 of word j >> 6 of row g is the site x = 2 j + ((c + y + z) & 1);
 * a set bit is a down spin. */
#include <cuda_runtime.h>
#include <stdlib.h>

#include "ceas_gpu_measure.h"
#include "gpu_private.h"

#define GPU_WHO "gpu measure"

struct ceas_gpu_meter {
  int dim;
  long L;
  int R; /* replicas: 1 (msc-single), 64 or 256 */
  /* msc-single: down[d L + i] the down spins with coordinate i along axis d (x,
   * y, z), down[dim L] the antiparallel bonds; replicas: the same counts per
   * replica, down[(d L + i) R + r] and down[dim L R + r]. */
  unsigned long long *dev;
  unsigned long long *host;
};

/* Row g (one block): its down spins in both colours and, from colour 0, the
 * antiparallel bonds to its 2 dim colour-1 neighbours (each bond once). */
__global__ void meter_rows(const uint64_t *__restrict__ c0, const uint64_t *__restrict__ c1,
                           int dim, int L, int nw, unsigned long long *down) {
  const int g = blockIdx.x, y = g % L, z = g / L;
  const size_t plane = (size_t)z * L;
  const uint64_t *a = c0 + (size_t)g * nw, *mid = c1 + (size_t)g * nw;
  const uint64_t *up = c1 + (plane + (y == 0 ? L - 1 : y - 1)) * nw;
  const uint64_t *dn = c1 + (plane + (y == L - 1 ? 0 : y + 1)) * nw;
  /* 3D: the same row y of the planes z - 1 and z + 1 (2D: not read). */
  const uint64_t *zb = dim == 3 ? c1 + ((size_t)(z == 0 ? L - 1 : z - 1) * L + y) * nw : mid;
  const uint64_t *zf = dim == 3 ? c1 + ((size_t)(z == L - 1 ? 0 : z + 1) * L + y) * nw : mid;
  unsigned long long n_down = 0, n_anti = 0;
  for (int w = threadIdx.x; w < nw; w += blockDim.x) {
    const uint64_t s = a[w], m = mid[w];
    /* The horizontal neighbours x - 1 and x + 1 of colour 0 in this row
     * (single.c's shift, as in the kernel's bulk_word). */
    const uint64_t sh = (y + z) & 1 ? (m >> 1) | (mid[w + 1 == nw ? 0 : w + 1] << 63)
                                    : (m << 1) | (mid[w == 0 ? nw - 1 : w - 1] >> 63);
    n_down += __popcll(s) + __popcll(m);
    n_anti += __popcll(s ^ up[w]) + __popcll(s ^ dn[w]) + __popcll(s ^ m) + __popcll(s ^ sh);
    if (dim == 3) n_anti += __popcll(s ^ zb[w]) + __popcll(s ^ zf[w]);
  }
  __shared__ unsigned long long part[2][32];
  for (int o = 16; o; o >>= 1) {
    n_down += __shfl_down_sync(0xffffffffu, n_down, o);
    n_anti += __shfl_down_sync(0xffffffffu, n_anti, o);
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    part[0][warp] = n_down;
    part[1][warp] = n_anti;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int i = 1; i < (int)(blockDim.x >> 5); i++) {
      n_down += part[0][i];
      n_anti += part[1][i];
    }
    atomicAdd(&down[L + y], n_down);
    if (dim == 3) atomicAdd(&down[2 * L + z], n_down);
    atomicAdd(&down[dim * L], n_anti);
  }
}

/* Column counts (axis x): block (word w, colour c, a stretch of rows); warp k
 * of the block takes word w + k of 32 rows at a time, one row a lane, and turns
 * the 64 bit columns into counts with one ballot each, split by row parity
 * (which decides the site's x). 32 rows never straddle two planes (L is a
 * multiple of 128), so the parity alternates lane by lane. Lane i keeps the
 * counts of bits i and i + 32. */
#define METER_WARPS 4
__global__ void meter_cols(const uint64_t *__restrict__ c0, const uint64_t *__restrict__ c1,
                           int L, int nw, long rows, long rows_per_block,
                           unsigned long long *down) {
  const int lane = threadIdx.x & 31, w = blockIdx.x * METER_WARPS + (threadIdx.x >> 5);
  const int c = blockIdx.y;
  if (w >= nw) return;
  const uint64_t *col = c ? c1 : c0;
  const long g_begin = (long)blockIdx.z * rows_per_block;
  const long g_end = min(rows, g_begin + rows_per_block);
  /* acc[h][q]: bit lane + 32 h, rows of parity (c + y + z) & 1 == q. */
  unsigned acc[2][2] = {{0, 0}, {0, 0}};
  const unsigned even = 0x55555555u;
  for (long g0 = g_begin; g0 < g_end; g0 += 32) {
    const long g = g0 + lane;
    const uint64_t v = g < g_end ? col[(size_t)g * nw + w] : 0;
    /* Lanes of even i hold rows of the parity of g0's (y0 + z). */
    const int q0 = (int)((c + g0 % L + g0 / L) & 1);
#pragma unroll
    for (int b = 0; b < 64; b++) {
      const unsigned m = __ballot_sync(0xffffffffu, (v >> b) & 1);
      const unsigned ne = __popc(m & even), no = __popc(m & ~even);
      if ((b & 31) == lane) {
        acc[b >> 5][q0] += ne;
        acc[b >> 5][q0 ^ 1] += no;
      }
    }
  }
#pragma unroll
  for (int h = 0; h < 2; h++)
#pragma unroll
    for (int q = 0; q < 2; q++) {
      const long j = 64L * w + lane + 32 * h;
      if (acc[h][q]) atomicAdd(&down[2 * j + q], (unsigned long long)acc[h][q]);
    }
}

/* Replica-packed state (msc_private.h's layout: row g = z L + y of n = L / 2
 * sites a colour, W = R / 64 words a site; site j of colour c in row g is x =
 * 2 j + ((c + y + z) & 1)). The counts of src/msc/measure.c, which the CPU keeps
 * in bit-sliced vertical counters; here a warp holds 32 sites' words of one
 * lane and turns each of the 64 bit columns into a count with one ballot, lane
 * b & 31 keeping bit b's. */

/* rmeter_rows's warps a block: its launch and its shared partial sums take their
 * size from this one number. Its loops count warps by blockDim, as before: with
 * the constant there, nvcc unrolls the final sum into 104 registers, not 96. */
static constexpr int RMETER_WARPS = 4;

/* Block (row g, lane l): the row's down spins per replica (into its y and, 3D,
 * z projection) and its bonds to +x, +y, +z that are antiparallel (each bond of
 * the torus once, as measure.c), as a 2-bit sum a site so that two ballots
 * count any number of bonds. */
__global__ void rmeter_rows(const uint64_t *__restrict__ c0, const uint64_t *__restrict__ c1,
                           int dim, int L, int W, unsigned long long *cnt) {
  const int g = blockIdx.x, l = blockIdx.y, y = g % L, z = g / L;
  const int n = L / 2, R = 64 * W, lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  const size_t rw = (size_t)n * (size_t)W;
  unsigned down[2] = {0, 0}, anti[2] = {0, 0};
  for (int c = 0; c < 2; c++) {
    const uint64_t *a = (c ? c1 : c0) + (size_t)g * rw, *B = c ? c0 : c1;
    const uint64_t *bx = B + (size_t)g * rw;
    const uint64_t *by = B + (size_t)(z * L + (y + 1) % L) * rw;
    const uint64_t *bz = dim == 3 ? B + (size_t)(((z + 1) % L) * L + y) * rw : by;
    const int p = (c + y + z) & 1;
    for (int j0 = 32 * warp; j0 < n; j0 += 32 * nwarps) {
      const int j = j0 + lane;
      uint64_t w = 0, ax = 0, ay = 0, az = 0;
      if (j < n) {
        w = a[(size_t)j * W + l];
        ax = w ^ bx[(size_t)(j + p == n ? 0 : j + p) * W + l];
        ay = w ^ by[(size_t)j * W + l];
        if (dim == 3) az = w ^ bz[(size_t)j * W + l];
      }
      const uint64_t ones = ax ^ ay ^ az, twos = (ax & ay) | (az & (ax ^ ay));
#pragma unroll
      for (int b = 0; b < 64; b++) {
        const unsigned nd = __popc(__ballot_sync(0xffffffffu, (unsigned)(w >> b) & 1));
        const unsigned na = __popc(__ballot_sync(0xffffffffu, (unsigned)(ones >> b) & 1)) +
                            2 * __popc(__ballot_sync(0xffffffffu, (unsigned)(twos >> b) & 1));
        if ((b & 31) == lane) {
          down[b >> 5] += nd;
          anti[b >> 5] += na;
        }
      }
    }
  }
  __shared__ unsigned part[2][2][RMETER_WARPS][32];
#pragma unroll
  for (int h = 0; h < 2; h++) {
    part[0][h][warp][lane] = down[h];
    part[1][h][warp][lane] = anti[h];
  }
  __syncthreads();
  if (warp) return;
#pragma unroll
  for (int h = 0; h < 2; h++) {
    unsigned d = 0, e = 0;
    for (int k = 0; k < nwarps; k++) {
      d += part[0][h][k][lane];
      e += part[1][h][k][lane];
    }
    const int r = 64 * l + lane + 32 * h;
    if (d) {
      atomicAdd(&cnt[((size_t)L + (size_t)y) * R + r], (unsigned long long)d);
      if (dim == 3) atomicAdd(&cnt[((size_t)2 * L + (size_t)z) * R + r], (unsigned long long)d);
    }
    if (e) atomicAdd(&cnt[(size_t)dim * L * R + r], (unsigned long long)e);
  }
}

/* The x projections: warp k of block (site column j, colour c and lane l, a
 * stretch of rows) takes site j + k of 32 rows at a time, one row a lane, each
 * ballot split by the rows' parity (which decides the sites' x). */
__global__ void rmeter_cols(const uint64_t *__restrict__ c0, const uint64_t *__restrict__ c1,
                           int L, int W, long rows, long per, unsigned long long *cnt) {
  const int lane = threadIdx.x & 31, j = blockIdx.x * METER_WARPS + (threadIdx.x >> 5);
  const int c = blockIdx.y & 1, l = blockIdx.y >> 1, n = L / 2, R = 64 * W;
  if (j >= n) return;
  const uint64_t *col = c ? c1 : c0;
  const long g_begin = (long)blockIdx.z * per, g_end = min(rows, g_begin + per);
  unsigned acc[2][2] = {{0, 0}, {0, 0}}; /* acc[h][q]: bit lane + 32 h at x = 2 j + q */
  for (long g0 = g_begin; g0 < g_end; g0 += 32) {
    const long g = g0 + lane;
    const bool in = g < g_end;
    const uint64_t v = in ? col[((size_t)g * (size_t)n + (size_t)j) * W + l] : 0;
    const unsigned odd = __ballot_sync(0xffffffffu, in && ((c + g % L + g / L) & 1));
#pragma unroll
    for (int b = 0; b < 64; b++) {
      const unsigned m = __ballot_sync(0xffffffffu, (unsigned)(v >> b) & 1);
      const unsigned n1 = __popc(m & odd), n0 = __popc(m & ~odd);
      if ((b & 31) == lane) {
        acc[b >> 5][0] += n0;
        acc[b >> 5][1] += n1;
      }
    }
  }
#pragma unroll
  for (int h = 0; h < 2; h++)
#pragma unroll
    for (int q = 0; q < 2; q++)
      if (acc[h][q])
        atomicAdd(&cnt[(size_t)(2 * j + q) * R + 64 * l + lane + 32 * h],
                  (unsigned long long)acc[h][q]);
}

extern "C" {

int ceas_gpu_meter_alloc(int dim, long L, ceas_gpu_meter **out) {
  return ceas_gpu_meter_alloc_replicas(dim, L, 1, out);
}

int ceas_gpu_meter_alloc_replicas(int dim, long L, int replicas, ceas_gpu_meter **out) {
  *out = NULL;
  if (dim != 2 && dim != 3)
    return ceas_error_set(CEAS_EINPUT, "gpu measure: dim = %d, expected 2 or 3", dim);
  if (replicas != 1 && replicas != 64 && replicas != 256)
    return ceas_error_set(CEAS_EINPUT, "gpu measure: %d replicas, expected 1, 64 or 256",
                          replicas);
  ceas_gpu_meter *m = (ceas_gpu_meter *)ceas_calloc(1, sizeof *m);
  if (!m) return CEAS_ENOMEM;
  m->dim = dim;
  m->L = L;
  m->R = replicas;
  const size_t bytes =
      ((size_t)dim * (size_t)L + 1) * (size_t)replicas * sizeof(unsigned long long);
  if (!(m->host = (unsigned long long *)ceas_malloc(bytes))) {
    free(m);
    return CEAS_ENOMEM;
  }
  cudaError_t e = cudaMalloc((void **)&m->dev, bytes);
  if (e != cudaSuccess) {
    ceas_gpu_meter_free(m);
    return ceas_gpu_fail(GPU_WHO, e, "device counters");
  }
  *out = m;
  return CEAS_OK;
}

void ceas_gpu_meter_free(ceas_gpu_meter *m) {
  if (!m) return;
  cudaFree(m->dev);
  free(m->host);
  free(m);
}

int ceas_gpu_meter_single(ceas_gpu_meter *m, const ceas_gpu_msc_single *st, int64_t *E,
                          int64_t *M, int64_t *proj) {
  const int dim = m->dim;
  const long L = m->L, rows = dim == 3 ? L * L : L;
  const int nw = (int)(L / 128);
  const uint64_t *c0 = ceas_gpu_msc_single_words(st, 0), *c1 = ceas_gpu_msc_single_words(st, 1);
  const size_t n = (size_t)dim * (size_t)L + 1;
  CUDA_TRY(cudaMemset(m->dev, 0, n * sizeof *m->dev), "clear counters");
  meter_rows<<<(unsigned)rows, 256>>>(c0, c1, dim, (int)L, nw, m->dev);
  CUDA_TRY(cudaGetLastError(), "row counts");
  if (proj) {
    /* Stretches of rows (multiples of 32) long enough that the blocks'
     * atomics stay few, short enough that the card is filled. */
    long per = 32;
    while (per < rows && ((long)nw + METER_WARPS - 1) / METER_WARPS * 2 * (rows / (2 * per)) > 4096)
      per *= 2;
    const dim3 grid((unsigned)((nw + METER_WARPS - 1) / METER_WARPS), 2,
                    (unsigned)((rows + per - 1) / per));
    meter_cols<<<grid, 32 * METER_WARPS>>>(c0, c1, (int)L, nw, rows, per, m->dev);
    CUDA_TRY(cudaGetLastError(), "column counts");
  }
  CUDA_TRY(cudaMemcpy(m->host, m->dev, n * sizeof *m->host, cudaMemcpyDeviceToHost),
           "copy counts");
  const int64_t N = (int64_t)rows * L, per_plane = N / L;
  int64_t down = 0;
  for (long y = 0; y < L; y++) down += (int64_t)m->host[L + y];
  *M = N - 2 * down;
  *E = -(dim * N - 2 * (int64_t)m->host[dim * L]);
  if (proj)
    for (long i = 0; i < dim * L; i++) proj[i] = per_plane - 2 * (int64_t)m->host[i];
  return CEAS_OK;
}

int ceas_gpu_meter_replica(ceas_gpu_meter *m, const ceas_gpu_msc *st, int64_t *E, int64_t *M,
                           int64_t *proj) {
  const int dim = m->dim, R = m->R, W = R / 64;
  const long L = m->L, rows = dim == 3 ? L * L : L;
  if (R < 64)
    return ceas_error_set(CEAS_EINPUT, "gpu measure: a meter of one lattice for a replica state");
  const uint64_t *c0 = ceas_gpu_msc_words(st, 0), *c1 = ceas_gpu_msc_words(st, 1);
  /* Counts from lo on: without proj, E and M need only the y projections and
   * the bonds (3D's z projections lie between them and rmeter_rows counts them
   * too); the x projections, counted by rmeter_cols alone, are neither cleared
   * nor copied back. */
  const size_t n = ((size_t)dim * (size_t)L + 1) * (size_t)R, lo = proj ? 0 : (size_t)L * R;
  CUDA_TRY(cudaMemset(m->dev + lo, 0, (n - lo) * sizeof *m->dev), "clear counters");
  rmeter_rows<<<dim3((unsigned)rows, (unsigned)W), 32 * RMETER_WARPS>>>(c0, c1, dim, (int)L, W,
                                                                         m->dev);
  CUDA_TRY(cudaGetLastError(), "replica row counts");
  if (proj) {
    /* As in ceas_gpu_meter_single: few atomics, a full card. */
    const long cols = (L / 2 + METER_WARPS - 1) / METER_WARPS;
    long per = 32;
    while (per < rows && cols * 2 * W * (rows / (2 * per)) > 4096) per *= 2;
    const dim3 grid((unsigned)cols, (unsigned)(2 * W), (unsigned)((rows + per - 1) / per));
    rmeter_cols<<<grid, 32 * METER_WARPS>>>(c0, c1, (int)L, W, rows, per, m->dev);
    CUDA_TRY(cudaGetLastError(), "replica column counts");
  }
  CUDA_TRY(cudaMemcpy(m->host + lo, m->dev + lo, (n - lo) * sizeof *m->host,
                      cudaMemcpyDeviceToHost),
           "copy counts");
  const int64_t N = (int64_t)rows * L, per_plane = N / L;
  const unsigned long long *anti = m->host + (size_t)dim * L * R;
  for (int r = 0; r < R; r++) {
    int64_t down = 0;
    for (long y = 0; y < L; y++) down += (int64_t)m->host[((size_t)L + (size_t)y) * R + r];
    M[r] = N - 2 * down;
    E[r] = -(dim * N - 2 * (int64_t)anti[r]);
  }
  if (proj)
    for (size_t i = 0; i < (size_t)dim * L * R; i++) proj[i] = per_plane - 2 * (int64_t)m->host[i];
  return CEAS_OK;
}

} /* extern "C" */
