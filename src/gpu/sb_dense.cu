/* sb-discrete on dense ±1 couplings, many reads at once (ceas_gpu_sa.h has the
 * contract). One block a read: positions, momenta, the readout's fields (exact
 * integers) and spins live in shared memory; a step is one element-wise pass
 * (every thread its sites: the CPU's sb_move and sign readout) and then the
 * changed signs' rows added to the fields, or the fields recomputed from
 * scratch when many signs changed (exact integers: both give the same fields,
 * so the choice is a matter of speed alone, as on the CPU). */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu_sa.h"
#include "gpu_philox.cuh"
#include "gpu_private.h"

/* As src/anneal/sb.c: the read key's purpose ("SB") and the counter words of
 * the initial state. */
#define SB_PURPOSE UINT64_C(0x5342)
#define SB_INIT_C 0xFFFFFFFFu

#define GPU_WHO "gpu sb"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }

struct sb_args {
  int n;
  const int8_t *J;   /* n x n */
  const float *ka;   /* a step's (float)(dt (a0 - a(t_k))) */
  float kc, kx, xi;  /* (float)(dt c0 unit), (float)(dt a0), (float)x_init */
  const uint32_t *key;
  uint64_t steps;
  double unit;
  int8_t *best, *final;
  ceas_gpu_anneal_read *res;
};

/* The block's sum of v (every thread's value; a result for all threads). */
__device__ long long sb_block_sum(long long v, long long *red) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  long long t = 0;
  for (int w = 0; w < nw; w++) t += red[w];
  return t;
}

/* g = J s from scratch: a warp a row, exact integers. */
__device__ void sb_fields(const sb_args &a, const int8_t *s, int *g) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  for (int i = warp; i < a.n; i += nw) {
    int x = 0;
    for (int j = lane; j < a.n; j += 32) x += a.J[(size_t)i * a.n + j] * s[j];
    for (int o = 16; o; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    if (lane == 0) g[i] = x;
  }
}

__global__ void sb_dense_kernel(sb_args a) {
  extern __shared__ float sm[];
  const int n = a.n, tid = threadIdx.x, bd = blockDim.x;
  float *x = sm, *y = x + n;
  int *g = (int *)(y + n), *chg = g + n;
  int8_t *s = (int8_t *)(chg + n);
  __shared__ long long red[32];
  __shared__ int nchg[2]; /* step k counts in nchg[k & 1] and clears the other */
  const uint64_t r = blockIdx.x;
  const uint32_t k0 = a.key[2 * r], k1 = a.key[2 * r + 1];
  int8_t *best = a.best + r * (uint64_t)n;
  /* sb_read: x_i, y_i from words 2i, 2i + 1 of blocks (b, 0, ~0, ~0). */
  for (int i = tid; i < n; i += bd) {
    uint32_t w[4];
    ceas_gpu_philox4x32_key((uint32_t)(i >> 1), 0, SB_INIT_C, SB_INIT_C, k0, k1, w);
    const int q = (2 * i) & 3;
    x[i] = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q] >> 8), 0x1p-23f), 1.0f), a.xi);
    y[i] = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q + 1] >> 8), 0x1p-23f), 1.0f),
                     a.xi);
    s[i] = x[i] < 0.0f ? -1 : 1;
  }
  if (tid == 0) nchg[0] = nchg[1] = 0;
  __syncthreads();
  sb_fields(a, s, g);
  __syncthreads();
  long long part = 0;
  for (int i = tid; i < n; i += bd) part += (long long)g[i] * s[i];
  /* e2 = s.J s: the energy is -unit e2 / 2, so lower energy is larger e2. */
  long long e2 = sb_block_sum(part, red), best_e2 = e2;
  for (int i = tid; i < n; i += bd) best[i] = s[i];
  uint64_t flips = 0, best_step = 0;
  const float kc = a.kc, kx = a.kx;
  for (uint64_t k = 0; k < a.steps; k++) {
    const float ka = a.ka[k];
    /* sb_move, then readout_sync's sign test (x >= 0 reads +1). */
    for (int i = tid; i < n; i += bd) {
      const float xo = x[i];
      const float yi = __fadd_rn(y[i], __fsub_rn(__fmul_rn(kc, (float)g[i]), __fmul_rn(ka, xo)));
      const float xn = __fadd_rn(xo, __fmul_rn(kx, yi));
      const int wall = xn > 1.0f || xn < -1.0f;
      const float xf = wall ? (xn > 0 ? 1.0f : -1.0f) : xn;
      x[i] = xf;
      y[i] = wall ? 0.0f : yi;
      if ((xf < 0.0f) != (s[i] < 0)) {
        s[i] = (int8_t)-s[i];
        chg[atomicAdd(&nchg[k & 1], 1)] = i;
      }
    }
    __syncthreads();
    const int m = nchg[k & 1];
    /* Everyone read step k - 1's counter before that step's last barrier. */
    if (tid == 0) nchg[(k + 1) & 1] = 0;
    flips += (uint64_t)m;
    if (m > 0) {
      if (m > n / 16) {
        sb_fields(a, s, g);
      } else {
        for (int j = tid; j < n; j += bd) {
          int d = 0;
          for (int q = 0; q < m; q++) {
            const int i = chg[q];
            d += 2 * s[i] * a.J[(size_t)i * n + j];
          }
          g[j] += d;
        }
      }
      __syncthreads();
      part = 0;
      for (int i = tid; i < n; i += bd) part += (long long)g[i] * s[i];
      e2 = sb_block_sum(part, red);
      if (e2 > best_e2) {
        best_e2 = e2;
        best_step = k + 1;
        for (int i = tid; i < n; i += bd) best[i] = s[i];
      }
    }
    __syncthreads();
  }
  for (int i = tid; i < n; i += bd) a.final[r * (uint64_t)n + i] = s[i];
  if (tid == 0) {
    a.res[r].best_sweep = best_step;
    a.res[r].flips = flips;
    a.res[r].best_e = -0.5 * a.unit * (double)best_e2;
    a.res[r].final_e = -0.5 * a.unit * (double)e2;
  }
}

extern "C" int ceas_gpu_sb_dense_run(int64_t n, const int8_t *dense8, double unit, double dt,
                                     double a0, double c0, double x_init, uint64_t steps,
                                     uint64_t seed, uint64_t read0, uint64_t reads, int threads,
                                     int8_t *best, int8_t *final, ceas_gpu_anneal_read *res,
                                     double *kernel_seconds) {
  if (n < 2 || n > 8192)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected 2 <= n <= 8192, got %lld",
                          (long long)n);
  if (steps < 1) return ceas_error_set(CEAS_EINPUT, "gpu sb: expected at least one step");
  if (threads < 32 || threads > 1024 || threads % 32)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: threads %d: expected a multiple of 32 "
                          "from 32 to 1024", threads);
  if (reads < 1 || reads > INT32_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected 1 <= reads < 2^31");
  if (!(dt > 0) || !isfinite(dt) || !(a0 > 0) || !isfinite(a0) || !(c0 > 0) ||
      !isfinite(c0) || !(x_init > 0 && x_init <= 1))
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected finite dt, a0, c0 > 0 and x_init "
                          "in (0, 1]");
  float *ka = (float *)malloc((size_t)steps * sizeof *ka);
  uint32_t *key = (uint32_t *)malloc((size_t)(2 * reads) * sizeof *key);
  if (!ka || !key) {
    free(ka), free(key);
    return ceas_error_set(CEAS_ENOMEM, "gpu sb: host memory");
  }
  /* sb_read's schedule, in its double arithmetic. */
  for (uint64_t k = 0; k < steps; k++) {
    const double at = steps > 1 ? a0 * (double)k / (double)(steps - 1) : a0;
    ka[k] = (float)(dt * (a0 - at));
  }
  for (uint64_t r = 0; r < reads; r++) {
    ceas_rng_key rk = {seed, read0 + r};
    ceas_rng_key32 k32 = ceas_rng_key32_derive(rk, SB_PURPOSE);
    key[2 * r] = k32.k[0];
    key[2 * r + 1] = k32.k[1];
  }
  sb_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.kc = (float)(dt * c0 * unit);
  a.kx = (float)(dt * a0);
  a.xi = (float)x_init;
  a.steps = steps;
  a.unit = unit;
  int8_t *dJ = NULL, *dbest = NULL, *dfinal = NULL;
  float *dka = NULL;
  uint32_t *dkey = NULL;
  ceas_gpu_anneal_read *dres = NULL;
  int rc = CEAS_OK;
  cudaEvent_t e0 = NULL, e1 = NULL;
  const size_t smem = (size_t)n * (4 + 4 + 4 + 4 + 1);
#define SB_STEP(call, what)                         \
  do {                                              \
    cudaError_t e_ = (call);                        \
    if (e_ != cudaSuccess) {                        \
      rc = cuda_fail(e_, what);                     \
      goto done;                                    \
    }                                               \
  } while (0)
  SB_STEP(cudaMalloc((void **)&dJ, (size_t)(n * n)), "device memory");
  SB_STEP(cudaMalloc((void **)&dka, (size_t)steps * sizeof *dka), "device memory");
  SB_STEP(cudaMalloc((void **)&dkey, (size_t)(2 * reads) * sizeof *dkey), "device memory");
  SB_STEP(cudaMalloc((void **)&dbest, (size_t)(reads * (uint64_t)n)), "device memory");
  SB_STEP(cudaMalloc((void **)&dfinal, (size_t)(reads * (uint64_t)n)), "device memory");
  SB_STEP(cudaMalloc((void **)&dres, (size_t)reads * sizeof *dres), "device memory");
  SB_STEP(cudaMemcpy(dJ, dense8, (size_t)(n * n), cudaMemcpyHostToDevice), "copy");
  SB_STEP(cudaMemcpy(dka, ka, (size_t)steps * sizeof *ka, cudaMemcpyHostToDevice), "copy");
  SB_STEP(cudaMemcpy(dkey, key, (size_t)(2 * reads) * sizeof *key, cudaMemcpyHostToDevice),
          "copy");
  SB_STEP(cudaFuncSetAttribute(sb_dense_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               (int)smem), "shared memory");
  a.J = dJ;
  a.ka = dka;
  a.key = dkey;
  a.best = dbest;
  a.final = dfinal;
  a.res = dres;
  SB_STEP(cudaEventCreate(&e0), "event");
  SB_STEP(cudaEventCreate(&e1), "event");
  SB_STEP(cudaEventRecord(e0), "event");
  sb_dense_kernel<<<(unsigned)reads, (unsigned)threads, smem>>>(a);
  SB_STEP(cudaGetLastError(), "sb kernel launch");
  SB_STEP(cudaEventRecord(e1), "event");
  SB_STEP(cudaEventSynchronize(e1), "sb kernel");
  if (kernel_seconds) {
    float ms = 0;
    SB_STEP(cudaEventElapsedTime(&ms, e0, e1), "event");
    *kernel_seconds = ms * 1e-3;
  }
  if (res)
    SB_STEP(cudaMemcpy(res, dres, (size_t)reads * sizeof *res, cudaMemcpyDeviceToHost), "copy");
  if (best)
    SB_STEP(cudaMemcpy(best, dbest, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
            "copy");
  if (final)
    SB_STEP(cudaMemcpy(final, dfinal, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
            "copy");
done:
#undef SB_STEP
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  cudaFree(dJ), cudaFree(dka), cudaFree(dkey), cudaFree(dbest), cudaFree(dfinal),
      cudaFree(dres);
  free(ka), free(key);
  return rc;
}
