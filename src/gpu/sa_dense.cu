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
#include "gpu_philox.cuh"
#include "gpu_private.h"

/* As src/anneal/sa.c and machine.c: the read key's purpose ("SA"), the counter
 * words of the initial spins, and ln 2^32 (no 32-bit uniform accepts above). */
#define SA_PURPOSE UINT64_C(0x5341)
#define SA_INIT_C 0xFFFFFFFFu
#define SA_X_MAX 22.18f

#define GPU_WHO "gpu"
static int cuda_fail(cudaError_t e, const char *what) { return ceas_gpu_fail(GPU_WHO, e, what); }

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
    ceas_gpu_philox4x32_key((uint32_t)b, 0, SA_INIT_C, SA_INIT_C, k0, k1, w);
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
      ceas_gpu_philox4x32_key((uint32_t)b, 0, (uint32_t)k, (uint32_t)(k >> 32), k0, k1, w);
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

/* ---- real couplings: float32 fields, the CPU's float path ------------------
 * machine.c's float path (sweep_float_body, refresh_fields, accept) on a
 * problem without field and with unit 1, operation for operation: every float
 * and double operation is an explicitly rounded intrinsic (nvcc would otherwise
 * fuse multiply-adds, which the CPU's ISO C build never does), and e^-x is
 * glibc's expf, not CUDA's. */

/* glibc's expf (2.27 on; the algorithm of ARM's Optimized Routines, MIT
 * licensed: 2^(k/32) from a table times a cubic in the remainder, in double)
 * as its x86-64 build with FMA runs it: the CPU's accept() calls libm's expf,
 * which the ifunc resolves to that variant on every CPU with FMA and AVX2. The
 * fused operations below are the ones GCC forms there (kd and r from one
 * product, three of the polynomial's). Checked equal to libm's expf for every
 * float in [-22.2, 0] (1.1e9 inputs, Debian 12's glibc 2.36); only x > -22.2
 * reaches it (SA_X_MAX), so its overflow and underflow branches are left out. */
__constant__ uint64_t sa_exp2f_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540};

__device__ __forceinline__ float sa_glibc_expf(float x) {
  const double inv_ln2_n = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;
  const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32,
               c2 = 0x1.62e42ff0c52d6p-1 / 32;
  const double xd = (double)x;
  double kd = __fma_rn(inv_ln2_n, xd, shift);
  const uint64_t ki = (uint64_t)__double_as_longlong(kd);
  kd = __dsub_rn(kd, shift);
  const double r = __fma_rn(inv_ln2_n, xd, -kd);
  const uint64_t t = sa_exp2f_tab[ki % 32] + (ki << 47);
  const double s = __longlong_as_double((long long)t);
  const double z = __fma_rn(c0, r, c1);
  const double r2 = __dmul_rn(r, r);
  double y = __fma_rn(c2, r, 1.0);
  y = __fma_rn(z, r2, y);
  return __double2float_rn(__dmul_rn(y, s));
}

struct sa_real_args {
  int n, nblk;
  const float *J;      /* n x n, (float)J_ij: the CPU's dense float32 rows */
  const double *Jd;    /* n x n, J_ij: the refresh's double sums */
  const float *beta_u; /* a sweep's (float)(beta unit) */
  const uint32_t *key;
  uint64_t sweeps;
  double unit, noise;
  int8_t *best, *final;
  ceas_gpu_anneal_read *res;
};

/* refresh_fields: f_i = (float)(sum_j J_ij s_j), the sum in double in the CSR's
 * (ascending) column order, and the energy -0.5 sum_i x_i s_i summed in site
 * order by thread 0. */
__device__ double sa_real_refresh(const sa_real_args &a, const int8_t *s, float *f,
                                  double *xs) {
  const int n = a.n, tid = threadIdx.x, bd = blockDim.x;
  __syncthreads();
  for (int i = tid; i < n; i += bd) {
    double x = 0;
    for (int j = 0; j < n; j++)
      if (j != i) x = __dadd_rn(x, __dmul_rn(a.Jd[(size_t)j * n + i], (double)s[j]));
    xs[i] = x;
    f[i] = __double2float_rn(__ddiv_rn(x, a.unit));
  }
  __syncthreads();
  double e2 = 0;
  if (tid == 0)
    for (int i = 0; i < n; i++) e2 = __dadd_rn(e2, __dmul_rn(xs[i], (double)s[i]));
  /* The CPU subtracts the field term eh, +0 without field: x - 0 = x. */
  return __dmul_rn(-0.5, e2);
}

__global__ void sa_dense_real_kernel(sa_real_args a) {
  extern __shared__ double smd[];
  const int n = a.n, n4 = 4 * a.nblk, tid = threadIdx.x, bd = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5;
  double *xs = smd;                       /* n4 */
  uint32_t *u = (uint32_t *)(xs + n4);    /* n4 */
  float *f = (float *)(u + n4);           /* n4 */
  int8_t *s = (int8_t *)(f + n4);         /* n4 */
  __shared__ int flip_site[32];
  __shared__ int nflip;
  __shared__ int improved;
  const uint64_t r = blockIdx.x;
  const uint32_t k0 = a.key[2 * r], k1 = a.key[2 * r + 1];
  int8_t *best = a.best + r * (uint64_t)n;
  for (int b = tid; b < a.nblk; b += bd) {
    uint32_t w[4];
    ceas_gpu_philox4x32_key((uint32_t)b, 0, SA_INIT_C, SA_INIT_C, k0, k1, w);
    for (int q = 0; q < 4; q++)
      if (4 * b + q < n) s[4 * b + q] = (w[q] >> 31) ? 1 : -1;
  }
  /* Thread 0's bookkeeping, the CPU's doubles: E = E0 + unit e_u. */
  double E0 = sa_real_refresh(a, s, f, xs), e_u = 0, E = E0, best_e = E0;
  for (int i = tid; i < n; i += bd) best[i] = s[i];
  uint64_t flips = 0, best_sweep = 0, since = 0;
  for (uint64_t k = 0; k < a.sweeps; k++) {
    const float beta_u = a.beta_u[k];
    for (int b = tid; b < a.nblk; b += bd) {
      uint32_t w[4];
      ceas_gpu_philox4x32_key((uint32_t)b, 0, (uint32_t)k, (uint32_t)(k >> 32), k0, k1, w);
      for (int q = 0; q < 4; q++) u[4 * b + q] = w[q];
    }
    __syncthreads();
    double acc = 0; /* warp 0: sweep_float_body's acc */
    for (int c0 = 0; c0 < n; c0 += 32) {
      if (warp == 0) {
        const int site = c0 + lane;
        const int valid = site < n;
        float fl = valid ? f[site] : 0.0f;
        int sl = valid ? s[site] : 1;
        float jr[32];
#pragma unroll
        for (int j = 0; j < 32; j++)
          jr[j] = (valid && c0 + j < n) ? a.J[(size_t)(c0 + j) * n + site] : 0.0f;
        uint32_t mask = 0;
#pragma unroll
        for (int j = 0; j < 32; j++) {
          const float fj = __shfl_sync(0xffffffffu, fl, j);
          const int sj = __shfl_sync(0xffffffffu, sl, j);
          if (c0 + j >= n) break;
          const float de = sj > 0 ? __fmul_rn(2.0f, fj) : __fmul_rn(-2.0f, fj);
          int ok = de == 0.0f;
          if (!ok) {
            const float x = __fmul_rn(beta_u, de);
            ok = x <= 0.0f || (x < SA_X_MAX && __uint2float_rn(u[c0 + j]) <
                                                   __fmul_rn(sa_glibc_expf(-x), 0x1p32f));
          }
          if (ok) {
            fl = __fadd_rn(fl, __fmul_rn(sj > 0 ? -2.0f : 2.0f, jr[j]));
            if (lane == j) sl = -sl;
            mask |= 1u << j;
            acc = __dadd_rn(acc, (double)de);
          }
        }
        if (valid) s[site] = (int8_t)sl;
        if (lane == 0) nflip = __popc(mask);
        if ((mask >> lane) & 1u) flip_site[__popc(mask & ((1u << lane) - 1u))] = site;
      }
      __syncthreads();
      const int nf = nflip;
      /* Each field takes the chunk's row updates one by one in flip order, as
       * the CPU's axpy after each flip: c = -2 s_old = 2 s_new. */
      for (int x = tid; nf && x < n; x += bd) {
        float fx = f[x];
        for (int q = 0; q < nf; q++) {
          const int i = flip_site[q];
          fx = __fadd_rn(fx, __fmul_rn(s[i] > 0 ? 2.0f : -2.0f, a.J[(size_t)i * n + x]));
        }
        f[x] = fx;
      }
      if (tid == 0) flips += (uint64_t)nf;
      __syncthreads();
    }
    /* ceas_anneal_machine_sweep's energy and refresh, then sa_read's best. */
    if (tid == 0) {
      e_u = __dadd_rn(e_u, acc);
      E = __dadd_rn(E0, __dmul_rn(a.unit, e_u));
    }
    if (++since == 256) { /* ANNEAL_MACHINE_REFRESH */
      since = 0;
      const double er = sa_real_refresh(a, s, f, xs);
      if (tid == 0) {
        E0 = E = er;
        e_u = 0;
      }
    }
    if (tid == 0) {
      improved = E < __dsub_rn(best_e, a.noise);
      if (improved) {
        best_e = E;
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
    a.res[r].best_e = best_e;
    a.res[r].final_e = E;
  }
}

extern "C" int ceas_gpu_sa_dense_real_run(int64_t n, const double *J, double abs_sum,
                                          const double *betas, uint64_t sweeps, uint64_t seed,
                                          uint64_t read0, uint64_t reads, int threads,
                                          int8_t *best, int8_t *final, ceas_gpu_anneal_read *res,
                                          double *kernel_seconds) {
  if (n < 2 || n > 4096)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 2 <= n <= 4096 (real couplings), "
                          "got %lld", (long long)n);
  if (sweeps < 1 || sweeps >= (UINT64_C(1) << 32) - 1)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= sweeps < 2^32 - 1");
  if (threads < 32 || threads > 1024 || threads % 32)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: threads %d: expected a multiple of 32 "
                          "from 32 to 1024", threads);
  if (reads < 1 || reads > INT32_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= reads < 2^31");
  const size_t nn = (size_t)n * (size_t)n;
  for (size_t q = 0; q < nn; q++)
    if (!isfinite(J[q]) || J[q] != J[(q % (size_t)n) * (size_t)n + q / (size_t)n] ||
        (q % (size_t)(n + 1) == 0 && J[q] != 0))
      return ceas_error_set(CEAS_EINPUT, "gpu sa: couplings: expected a finite symmetric "
                            "matrix with zero diagonal");
  const int nblk = (int)((n + 3) / 4);
  float *Jf = (float *)malloc(nn * sizeof *Jf);
  float *bu = (float *)malloc((size_t)sweeps * sizeof *bu);
  uint32_t *key = (uint32_t *)malloc((size_t)(2 * reads) * sizeof *key);
  if (!Jf || !bu || !key) {
    free(Jf), free(bu), free(key);
    return ceas_error_set(CEAS_ENOMEM, "gpu sa: host memory");
  }
  for (size_t q = 0; q < nn; q++) Jf[q] = (float)J[q];
  for (uint64_t k = 0; k < sweeps; k++) {
    if (!(betas[k] >= 0) || !isfinite(betas[k])) {
      free(Jf), free(bu), free(key);
      return ceas_error_set(CEAS_EINPUT, "gpu sa: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, betas[k]);
    }
    bu[k] = (float)(betas[k] * 1.0);
  }
  for (uint64_t r = 0; r < reads; r++) {
    ceas_rng_key rk = {seed, read0 + r};
    ceas_rng_key32 k32 = ceas_rng_key32_derive(rk, SA_PURPOSE);
    key[2 * r] = k32.k[0];
    key[2 * r + 1] = k32.k[1];
  }
  sa_real_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.nblk = nblk;
  a.sweeps = sweeps;
  a.unit = 1.0;
  a.noise = 1e-12 * abs_sum;
  float *dJ = NULL, *dbu = NULL;
  double *dJd = NULL;
  uint32_t *dkey = NULL;
  int8_t *dbest = NULL, *dfinal = NULL;
  ceas_gpu_anneal_read *dres = NULL;
  int rc = CEAS_OK;
  cudaEvent_t e0 = NULL, e1 = NULL;
  const size_t smem = (size_t)(4 * nblk) * (8 + 4 + 4 + 1);
#define SA_STEP(call, what)                         \
  do {                                              \
    cudaError_t e_ = (call);                        \
    if (e_ != cudaSuccess) {                        \
      rc = cuda_fail(e_, what);                     \
      goto done;                                    \
    }                                               \
  } while (0)
  SA_STEP(cudaMalloc((void **)&dJ, nn * sizeof *dJ), "device memory");
  SA_STEP(cudaMalloc((void **)&dJd, nn * sizeof *dJd), "device memory");
  SA_STEP(cudaMalloc((void **)&dbu, (size_t)sweeps * sizeof *dbu), "device memory");
  SA_STEP(cudaMalloc((void **)&dkey, (size_t)(2 * reads) * sizeof *dkey), "device memory");
  SA_STEP(cudaMalloc((void **)&dbest, (size_t)(reads * (uint64_t)n)), "device memory");
  SA_STEP(cudaMalloc((void **)&dfinal, (size_t)(reads * (uint64_t)n)), "device memory");
  SA_STEP(cudaMalloc((void **)&dres, (size_t)reads * sizeof *dres), "device memory");
  SA_STEP(cudaMemcpy(dJ, Jf, nn * sizeof *dJ, cudaMemcpyHostToDevice), "copy");
  SA_STEP(cudaMemcpy(dJd, J, nn * sizeof *dJd, cudaMemcpyHostToDevice), "copy");
  SA_STEP(cudaMemcpy(dbu, bu, (size_t)sweeps * sizeof *dbu, cudaMemcpyHostToDevice), "copy");
  SA_STEP(cudaMemcpy(dkey, key, (size_t)(2 * reads) * sizeof *key, cudaMemcpyHostToDevice),
          "copy");
  SA_STEP(cudaFuncSetAttribute(sa_dense_real_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               (int)smem), "shared memory");
  a.J = dJ;
  a.Jd = dJd;
  a.beta_u = dbu;
  a.key = dkey;
  a.best = dbest;
  a.final = dfinal;
  a.res = dres;
  SA_STEP(cudaEventCreate(&e0), "event");
  SA_STEP(cudaEventCreate(&e1), "event");
  SA_STEP(cudaEventRecord(e0), "event");
  sa_dense_real_kernel<<<(unsigned)reads, (unsigned)threads, smem>>>(a);
  SA_STEP(cudaGetLastError(), "sa kernel launch");
  SA_STEP(cudaEventRecord(e1), "event");
  SA_STEP(cudaEventSynchronize(e1), "sa kernel");
  if (kernel_seconds) {
    float ms = 0;
    SA_STEP(cudaEventElapsedTime(&ms, e0, e1), "event");
    *kernel_seconds = ms * 1e-3;
  }
  if (res)
    SA_STEP(cudaMemcpy(res, dres, (size_t)reads * sizeof *res, cudaMemcpyDeviceToHost), "copy");
  if (best)
    SA_STEP(cudaMemcpy(best, dbest, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
            "copy");
  if (final)
    SA_STEP(cudaMemcpy(final, dfinal, (size_t)(reads * (uint64_t)n), cudaMemcpyDeviceToHost),
            "copy");
done:
#undef SA_STEP
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  cudaFree(dJ), cudaFree(dJd), cudaFree(dbu), cudaFree(dkey), cudaFree(dbest),
      cudaFree(dfinal), cudaFree(dres);
  free(Jf), free(bu), free(key);
  return rc;
}
