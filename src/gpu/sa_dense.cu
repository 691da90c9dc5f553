/* sa on dense ±1 couplings, many reads at once (ceas_gpu_sa.h has the contract).
 * One block a read: the state (int16 fields, int8 spins), the sweep's acceptance
 * words and its threshold table live in shared memory; warp 0 decides a chunk of
 * 32 consecutive sites in order, each lane holding one site's field and its
 * couplings to the chunk's 32 sites in registers, so a decision costs two
 * shuffles and no memory access; then the whole block adds the chunk's flips to
 * all n fields (rows of the int8 couplings, read from L2, shared by all reads). */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu_sa.h"
#include "gpu_private.h"

/* As src/anneal/sa.c and machine.c: the read key's purpose ("SA"), the counter
 * words of the initial spins, and ln 2^32 (no 32-bit uniform accepts above). */
#define SA_PURPOSE UINT64_C(0x5341)
#define SA_INIT_C 0xFFFFFFFFu
#define SA_X_MAX 22.18f

#define GPU_WHO "gpu"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }

/* Philox4x32-10 (Random123's rounds and constants) under key (k0, k1). */
__device__ __forceinline__ void philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                       uint32_t k0, uint32_t k1, uint32_t out[4]) {
#pragma unroll
  for (int i = 0; i < 10; i++) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

struct sa_args {
  int n, nblk;
  const int8_t *J;     /* n x n */
  const float *thr;    /* sweeps x n thresholds by |f| */
  const uint32_t *key; /* 2 a read */
  uint64_t sweeps;
  int8_t *best, *final;
  ceas_gpu_sa_read *res;
};

__global__ void sa_dense_kernel(sa_args a) {
  extern __shared__ uint32_t sm[];
  const int n = a.n, n4 = 4 * a.nblk, tid = threadIdx.x, bd = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5;
  uint32_t *u = sm;                                  /* n4 words */
  float *thr = (float *)(u + n4);                    /* n */
  int16_t *f = (int16_t *)(thr + n);                 /* n4 */
  int8_t *s = (int8_t *)(f + n4);                    /* n4 */
  __shared__ int flip_site[32];
  __shared__ int nflip;
  __shared__ int improved;
  const uint64_t r = blockIdx.x;
  const uint32_t k0 = a.key[2 * r], k1 = a.key[2 * r + 1];
  int8_t *best = a.best + r * (uint64_t)n;
  for (int b = tid; b < a.nblk; b += bd) {
    uint32_t w[4];
    philox((uint32_t)b, 0, SA_INIT_C, SA_INIT_C, k0, k1, w);
    for (int q = 0; q < 4; q++)
      if (4 * b + q < n) s[4 * b + q] = (w[q] >> 31) ? 1 : -1;
  }
  __syncthreads();
  /* Fields from scratch: a warp a row, exact integers. */
  for (int i = warp; i < n; i += bd >> 5) {
    int x = 0;
    for (int j = lane; j < n; j += 32) x += a.J[(size_t)i * n + j] * s[j];
    for (int o = 16; o; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    if (lane == 0) f[i] = (int16_t)x;
  }
  for (int i = tid; i < n; i += bd) best[i] = s[i];
  int64_t de_run = 0, best_de = 0; /* thread 0's bookkeeping */
  uint64_t flips = 0, best_sweep = 0;
  __syncthreads();
  for (uint64_t k = 0; k < a.sweeps; k++) {
    const float *tk = a.thr + k * (uint64_t)n;
    for (int i = tid; i < n; i += bd) thr[i] = tk[i];
    for (int b = tid; b < a.nblk; b += bd) {
      uint32_t w[4];
      philox((uint32_t)b, 0, (uint32_t)k, (uint32_t)(k >> 32), k0, k1, w);
      for (int q = 0; q < 4; q++) u[4 * b + q] = w[q];
    }
    __syncthreads();
    int64_t acc = 0; /* warp 0: the sweep's dE in units */
    for (int c0 = 0; c0 < n; c0 += 32) {
      if (warp == 0) {
        const int site = c0 + lane;
        const int valid = site < n;
        int fl = valid ? f[site] : 0, sl = valid ? s[site] : 1;
        int jr[32];
#pragma unroll
        for (int j = 0; j < 32; j++)
          jr[j] = (valid && c0 + j < n) ? a.J[(size_t)(c0 + j) * n + site] : 0;
        uint32_t mask = 0;
#pragma unroll
        for (int j = 0; j < 32; j++) {
          const int fj = __shfl_sync(0xffffffffu, fl, j);
          const int sj = __shfl_sync(0xffffffffu, sl, j);
          if (c0 + j >= n) break;
          const int de = 2 * sj * fj;
          /* machine.c's int path: de == 0 accepted (sa), de < 0 accepted. */
          const int ok = de <= 0 || __uint2float_rn(u[c0 + j]) < thr[de >> 1];
          if (ok) {
            fl += -2 * sj * jr[j];
            if (lane == j) sl = -sl;
            mask |= 1u << j;
            acc += de;
          }
        }
        if (valid) s[site] = (int8_t)sl;
        if (lane == 0) nflip = __popc(mask);
        if ((mask >> lane) & 1u) flip_site[__popc(mask & ((1u << lane) - 1u))] = site;
      }
      __syncthreads();
      const int nf = nflip;
      if (nf) {
        for (int x = tid; x < n; x += bd) {
          int d = 0;
          for (int q = 0; q < nf; q++) {
            const int i = flip_site[q];
            d += 2 * s[i] * a.J[(size_t)i * n + x];
          }
          f[x] = (int16_t)(f[x] + d);
        }
      }
      if (tid == 0) flips += (uint64_t)nf;
      __syncthreads();
    }
    if (tid == 0) {
      de_run += acc;
      improved = de_run < best_de;
      if (improved) {
        best_de = de_run;
        best_sweep = k + 1;
      }
    }
    __syncthreads();
    if (improved)
      for (int i = tid; i < n; i += bd) best[i] = s[i];
  }
  for (int i = tid; i < n; i += bd) a.final[r * (uint64_t)n + i] = s[i];
  if (tid == 0) {
    a.res[r].best_sweep = best_sweep;
    a.res[r].flips = flips;
    a.res[r].best_de = best_de;
    a.res[r].final_de = de_run;
  }
}

extern "C" int ceas_gpu_sa_dense_run(int64_t n, const int8_t *dense8, double unit,
                                     const double *betas, uint64_t sweeps, uint64_t seed,
                                     uint64_t read0, uint64_t reads, int threads, int8_t *best,
                                     int8_t *final, ceas_gpu_sa_read *res,
                                     double *kernel_seconds) {
  if (n < 2 || n > 16384)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 2 <= n <= 16384, got %lld",
                          (long long)n);
  if (sweeps < 1 || sweeps >= (UINT64_C(1) << 32) - 1)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= sweeps < 2^32 - 1");
  if (threads < 32 || threads > 1024 || threads % 32)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: threads %d: expected a multiple of 32 "
                          "from 32 to 1024", threads);
  if (reads < 1 || reads > INT32_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= reads < 2^31");
  const int nblk = (int)((n + 3) / 4);
  /* The CPU's tables (machine.c, sweep_int_body), with its expf: zero from kmax
   * on, where the CPU rejects outright, so one comparison decides both. */
  float *thr = (float *)calloc((size_t)(sweeps * (uint64_t)n), sizeof *thr);
  uint32_t *key = (uint32_t *)malloc((size_t)(2 * reads) * sizeof *key);
  ceas_gpu_sa_read *hres = (ceas_gpu_sa_read *)malloc((size_t)reads * sizeof *hres);
  int8_t *hbest = (int8_t *)malloc((size_t)(reads * (uint64_t)n));
  int8_t *hfinal = (int8_t *)malloc((size_t)(reads * (uint64_t)n));
  if (!thr || !key || !hres || !hbest || !hfinal) {
    free(thr), free(key), free(hres), free(hbest), free(hfinal);
    return ceas_error_set(CEAS_ENOMEM, "gpu sa: host memory");
  }
  for (uint64_t k = 0; k < sweeps; k++) {
    if (!(betas[k] >= 0) || !isfinite(betas[k])) {
      free(thr), free(key), free(hres), free(hbest), free(hfinal);
      return ceas_error_set(CEAS_EINPUT, "gpu sa: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, betas[k]);
    }
    const float beta_u = (float)(betas[k] * unit);
    float *t = thr + k * (uint64_t)n;
    for (int64_t q = 1; q < n && beta_u * (float)(2 * q) < SA_X_MAX; q++)
      t[q] = expf(-(beta_u * (float)(2 * q))) * 0x1p32f;
  }
  for (uint64_t r = 0; r < reads; r++) {
    ceas_rng_key rk = {seed, read0 + r};
    ceas_rng_key32 k32 = ceas_rng_key32_derive(rk, SA_PURPOSE);
    key[2 * r] = k32.k[0];
    key[2 * r + 1] = k32.k[1];
  }
  sa_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.nblk = nblk;
  a.sweeps = sweeps;
  int8_t *dJ = NULL;
  float *dthr = NULL;
  uint32_t *dkey = NULL;
  int8_t *dbest = NULL, *dfinal = NULL;
  ceas_gpu_sa_read *dres = NULL;
  int rc = CEAS_OK;
  cudaEvent_t e0 = NULL, e1 = NULL;
  const size_t smem = (size_t)(4 * nblk) * 4 + (size_t)n * 4 + (size_t)(4 * nblk) * 3;
#define SA_STEP(call, what)                         \
  do {                                              \
    cudaError_t e_ = (call);                        \
    if (e_ != cudaSuccess) {                        \
      rc = cuda_fail(e_, what);                     \
      goto done;                                    \
    }                                               \
  } while (0)
  SA_STEP(cudaMalloc((void **)&dJ, (size_t)(n * n)), "device memory");
  SA_STEP(cudaMalloc((void **)&dthr, (size_t)(sweeps * (uint64_t)n) * sizeof *dthr),
          "device memory");
  SA_STEP(cudaMalloc((void **)&dkey, (size_t)(2 * reads) * sizeof *dkey), "device memory");
  SA_STEP(cudaMalloc((void **)&dbest, (size_t)(reads * (uint64_t)n)), "device memory");
  SA_STEP(cudaMalloc((void **)&dfinal, (size_t)(reads * (uint64_t)n)), "device memory");
  SA_STEP(cudaMalloc((void **)&dres, (size_t)reads * sizeof *dres), "device memory");
  SA_STEP(cudaMemcpy(dJ, dense8, (size_t)(n * n), cudaMemcpyHostToDevice), "copy");
  SA_STEP(cudaMemcpy(dthr, thr, (size_t)(sweeps * (uint64_t)n) * sizeof *thr,
                     cudaMemcpyHostToDevice), "copy");
  SA_STEP(cudaMemcpy(dkey, key, (size_t)(2 * reads) * sizeof *key, cudaMemcpyHostToDevice),
          "copy");
  SA_STEP(cudaFuncSetAttribute(sa_dense_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               (int)smem), "shared memory");
  a.J = dJ;
  a.thr = dthr;
  a.key = dkey;
  a.best = dbest;
  a.final = dfinal;
  a.res = dres;
  SA_STEP(cudaEventCreate(&e0), "event");
  SA_STEP(cudaEventCreate(&e1), "event");
  SA_STEP(cudaEventRecord(e0), "event");
  sa_dense_kernel<<<(unsigned)reads, (unsigned)threads, smem>>>(a);
  SA_STEP(cudaGetLastError(), "sa kernel launch");
  SA_STEP(cudaEventRecord(e1), "event");
  SA_STEP(cudaEventSynchronize(e1), "sa kernel");
  if (kernel_seconds) {
    float ms = 0;
    SA_STEP(cudaEventElapsedTime(&ms, e0, e1), "event");
    *kernel_seconds = ms * 1e-3;
  }
  SA_STEP(cudaMemcpy(hres, dres, (size_t)reads * sizeof *hres, cudaMemcpyDeviceToHost), "copy");
  SA_STEP(cudaMemcpy(hbest, dbest, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
          "copy");
  SA_STEP(cudaMemcpy(hfinal, dfinal, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
          "copy");
  if (res) memcpy(res, hres, (size_t)reads * sizeof *hres);
  if (best) memcpy(best, hbest, (size_t)(reads * (uint64_t)n));
  if (final) memcpy(final, hfinal, (size_t)(reads * (uint64_t)n));
done:
#undef SA_STEP
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  cudaFree(dJ), cudaFree(dthr), cudaFree(dkey), cudaFree(dbest), cudaFree(dfinal),
      cudaFree(dres);
  free(thr), free(key), free(hres), free(hbest), free(hfinal);
  return rc;
}
