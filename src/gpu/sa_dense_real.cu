/* sa on dense real couplings, many reads at once (ceas_gpu_sa.h has the
 * contract): machine.c's float path (sweep_float_body or, sync, sweep_npu;
 * refresh_fields, accept) with its unit and fields, operation for operation:
 * every float and double operation is an explicitly rounded intrinsic (nvcc
 * would otherwise fuse multiply-adds, which the CPU's ISO C build never does),
 * and e^-x is glibc's expf, not CUDA's.
 *
 * Up to 4 reads a block, warp r deciding read r's chunk of 32 sites as the ±1
 * kernel does (sa_dense.cu) with float fields, the rows of each read's flips
 * added field by field in its flip order; random order and sync through the
 * sweep's list of updates, as there.
 *
 * A target or a trace: the running energy in the CPU's doubles (sa.c), the
 * target's candidates confirmed on the exact energy summed in the CPU's order. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu_sa.h"
#include "gpu_anneal_run.cuh"
#include "gpu_philox.cuh"
#include "gpu_private.h"
#include "sa_dense.cuh"

#define GPU_WHO "gpu"

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
  int n, nblk, group; /* group: reads a block */
  uint64_t reads;
  const float *J;      /* n x n, (float)(J_ij / unit): the CPU's float32 rows */
  const double *Jd;    /* n x n, J_ij: the refresh's double sums */
  const double *h;     /* n, the fields (zeros without) */
  const float *beta_u; /* a sweep's (float)(beta unit) */
  const int *deg;      /* a site's nonzero couplings */
  const uint32_t *key;
  uint64_t sweeps;
  double unit, noise;
  int random, sync, has_target;
  double cand, reach;
  uint64_t trace_every, trace_len;
  double *trace;
  uint64_t *to_target;
  int8_t *best, *final;
  ceas_gpu_anneal_read *res;
};

/* refresh_fields (f non-NULL) or ceas_anneal_energy (the same sums): x_i =
 * sum_j J_ij s_j in double in the CSR's (ascending) column order, f_i =
 * (float)((x_i + h_i) / unit), and the energy -0.5 sum_i x_i s_i - sum_i h_i s_i,
 * both sums in site order by thread 0 (its value). */
__device__ double sa_real_refresh(const sa_real_args &a, const int8_t *s, float *f,
                                  double *xs) {
  const int n = a.n, tid = threadIdx.x, bd = blockDim.x;
  __syncthreads();
  for (int i = tid; i < n; i += bd) {
    double x = 0;
    for (int j = 0; j < n; j++)
      if (j != i) x = __dadd_rn(x, __dmul_rn(a.Jd[(size_t)j * n + i], (double)s[j]));
    xs[i] = x;
    if (f) f[i] = __double2float_rn(__ddiv_rn(__dadd_rn(x, a.h[i]), a.unit));
  }
  __syncthreads();
  double e2 = 0, eh = 0;
  if (tid == 0)
    for (int i = 0; i < n; i++) {
      e2 = __dadd_rn(e2, __dmul_rn(xs[i], (double)s[i]));
      eh = __dadd_rn(eh, __dmul_rn(a.h[i], (double)s[i]));
    }
  return __dsub_rn(__dmul_rn(-0.5, e2), eh);
}

/* accept() of machine.c (zero_half 0): de = 0 accepts. */
__device__ __forceinline__ int sa_real_accept(float de, float beta_u, uint32_t u) {
  if (de == 0.0f) return 1;
  const float x = __fmul_rn(beta_u, de);
  return x <= 0.0f ||
         (x < SA_X_MAX && __uint2float_rn(u) < __fmul_rn(sa_glibc_expf(-x), 0x1p32f));
}

__global__ void sa_dense_real_kernel(sa_real_args a) {
  extern __shared__ double smd[];
  const int n = a.n, n4 = 4 * a.nblk, G = a.group, tid = threadIdx.x, bd = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5, lists = a.random || a.sync;
  double *xs = smd;                          /* n4: one read's refresh at a time */
  uint32_t *u = (uint32_t *)(xs + n4);       /* G x n4 */
  float *f = (float *)(u + G * n4);          /* G x n4 */
  int8_t *s = (int8_t *)(f + G * n4);        /* G x n4 */
  int *st = (int *)(s + G * n4);             /* lists: G x n4, random: the sweep's sites */
  int *lst = st + (lists ? G * n4 : 0);      /* lists: G x n4, sync: the accepted updates */
  int8_t *dec = (int8_t *)(lst + (lists ? G * n4 : 0)); /* lists: G x n4, sync: accepted */
  __shared__ int flip_site[8][32];
  __shared__ float flip_c[8][32];
  __shared__ int nflip[8], nlist[8], improved[8], chk[8], reached[8];
  __shared__ double Es[8];
  const uint64_t r0 = (uint64_t)blockIdx.x * G;
  const int nr = (int)min((uint64_t)G, a.reads - r0);
  for (int idx = tid; idx < nr * a.nblk; idx += bd) {
    const int rr = idx / a.nblk, b = idx % a.nblk;
    uint32_t w[4];
    ceas_gpu_philox4x32_key((uint32_t)b, 0, SA_INIT_C, SA_INIT_C, a.key[2 * (r0 + rr)],
                            a.key[2 * (r0 + rr) + 1], w);
    for (int q = 0; q < 4; q++)
      if (4 * b + q < n) s[rr * n4 + 4 * b + q] = (w[q] >> 31) ? 1 : -1;
  }
  /* Read rr's refresh by the block, its energy to Es[rr] (thread 0's sums). */
  for (int rr = 0; rr < nr; rr++) {
    const double e = sa_real_refresh(a, s + rr * n4, f + rr * n4, xs);
    if (tid == 0) {
      Es[rr] = e;
      reached[rr] = a.has_target && e <= a.reach;
      if (a.has_target) a.to_target[r0 + rr] = reached[rr] ? 0 : UINT64_MAX;
    }
  }
  __syncthreads();
  for (int idx = tid; idx < nr * n; idx += bd)
    a.best[(r0 + idx / n) * n + idx % n] = s[(idx / n) * n4 + idx % n];
  /* Warp r's bookkeeping of read r, the CPU's doubles: E = E0 + unit e_u (every
   * lane the same; lane 0 writes). */
  const int r = warp, mine = r < nr;
  float *fr = f + r * n4;
  int8_t *sr = s + r * n4;
  const uint32_t *ur = u + r * n4;
  double E0 = mine ? Es[r] : 0, e_u = 0, E = E0, best_e = E0, last_checked = INFINITY;
  uint64_t flips = 0, best_sweep = 0, dsum = 0;
  for (uint64_t k = 0; k < a.sweeps; k++) {
    const float beta_u = a.beta_u[k];
    for (int idx = tid; idx < nr * a.nblk; idx += bd) {
      const int rr = idx / a.nblk, b = idx % a.nblk;
      const uint32_t k0 = a.key[2 * (r0 + rr)], k1 = a.key[2 * (r0 + rr) + 1];
      uint32_t w[4];
      ceas_gpu_philox4x32_key((uint32_t)b, 0, (uint32_t)k, (uint32_t)(k >> 32), k0, k1, w);
      for (int q = 0; q < 4; q++) u[rr * n4 + 4 * b + q] = w[q];
      if (a.random) {
        /* machine.c's site words: blocks from 2^32 on, site (v n) >> 32. */
        ceas_gpu_philox4x32_key((uint32_t)b, 1, (uint32_t)k, (uint32_t)(k >> 32), k0, k1, w);
        for (int q = 0; q < 4; q++)
          st[rr * n4 + 4 * b + q] = (int)(((uint64_t)w[q] * (uint64_t)n) >> 32);
      }
    }
    __syncthreads();
    /* The sweep's list of updates, as the one-read kernel builds it. */
    if (a.sync) {
      for (int idx = tid; idx < nr * n; idx += bd) {
        const int rr = idx / n, t = idx % n;
        const int i = a.random ? st[rr * n4 + t] : t;
        const float fi = f[rr * n4 + i];
        const float de = s[rr * n4 + i] > 0 ? __fmul_rn(2.0f, fi) : __fmul_rn(-2.0f, fi);
        dec[rr * n4 + t] = (int8_t)sa_real_accept(de, beta_u, u[rr * n4 + t]);
      }
      __syncthreads();
      if (mine) {
        int cnt = 0;
        for (int c0 = 0; c0 < n; c0 += 32) {
          const int t = c0 + lane, ok = t < n && dec[r * n4 + t];
          const uint32_t m = __ballot_sync(0xffffffffu, ok);
          if (ok)
            lst[r * n4 + cnt + __popc(m & ((1u << lane) - 1u))] = a.random ? st[r * n4 + t] : t;
          cnt += __popc(m);
        }
        if (lane == 0) nlist[r] = cnt;
      }
      __syncthreads();
    }
    const int *list = a.sync ? lst + r * n4 : a.random ? st + r * n4 : NULL;
    const int len = a.sync && mine ? nlist[r] : n;
    int nch = (n + 31) / 32;
    if (a.sync) {
      nch = 0;
      for (int rr = 0; rr < nr; rr++) nch = max(nch, (nlist[rr] + 31) / 32);
    }
    double acc = 0; /* warp r: the sweep's acc of read r */
    for (int c = 0; c < nch; c++) {
      const int c0 = 32 * c;
      if (mine) {
        const int e = c0 + lane, valid = e < len;
        const int site = valid ? (list ? list[e] : e) : 0;
        float fl = valid ? fr[site] : 0.0f;
        int sl = valid ? sr[site] : 1;
        float jr[32];
#pragma unroll
        for (int j = 0; j < 32; j++) {
          const int sj = __shfl_sync(0xffffffffu, site, j);
          jr[j] = (valid && c0 + j < len) ? a.J[(size_t)sj * n + site] : 0.0f;
        }
        uint32_t mask = 0;
#pragma unroll
        for (int j = 0; j < 32; j++) {
          const float fj = __shfl_sync(0xffffffffu, fl, j);
          const int sj = __shfl_sync(0xffffffffu, sl, j);
          const int ij = __shfl_sync(0xffffffffu, site, j);
          if (c0 + j >= len) break;
          const float de = sj > 0 ? __fmul_rn(2.0f, fj) : __fmul_rn(-2.0f, fj);
          if (a.sync || sa_real_accept(de, beta_u, ur[c0 + j])) {
            const float cf = sj > 0 ? -2.0f : 2.0f;
            fl = __fadd_rn(fl, __fmul_rn(cf, jr[j]));
            if (valid && site == ij) sl = -sl;
            if (lane == j) {
              dsum += (uint64_t)a.deg[site];
              flip_site[r][__popc(mask)] = site;
              flip_c[r][__popc(mask)] = cf;
            }
            mask |= 1u << j;
            acc = __dadd_rn(acc, (double)de);
          }
        }
        if (valid) sr[site] = (int8_t)sl;
        if (lane == 0) nflip[r] = __popc(mask);
        flips += (uint64_t)__popc(mask);
      }
      __syncthreads();
      /* Each read's fields take its chunk's rows one by one in its flip order
       * (the CPU's axpy after each flip); without lists the rows are the chunk's
       * 32, the same for every read (L1 serves the block's other reads). */
      for (int x = tid; x < n; x += bd)
        for (int rr = 0; rr < nr; rr++) {
          const int nf = nflip[rr];
          if (!nf) continue;
          float fx = f[rr * n4 + x];
          for (int q = 0; q < nf; q++)
            fx = __fadd_rn(fx, __fmul_rn(flip_c[rr][q], a.J[(size_t)flip_site[rr][q] * n + x]));
          f[rr * n4 + x] = fx;
        }
      __syncthreads();
    }
    /* ceas_anneal_machine_sweep's energy and refresh, then sa_read's best,
     * target and trace. */
    if (mine) {
      e_u = __dadd_rn(e_u, acc);
      E = __dadd_rn(E0, __dmul_rn(a.unit, e_u));
    }
    if ((k + 1) % 256 == 0) { /* ANNEAL_MACHINE_REFRESH */
      for (int rr = 0; rr < nr; rr++) {
        const double er = sa_real_refresh(a, s + rr * n4, f + rr * n4, xs);
        if (tid == 0) Es[rr] = er;
      }
      __syncthreads();
      if (mine) {
        E0 = E = Es[r];
        e_u = 0;
      }
    }
    if (mine) {
      const int imp = E < __dsub_rn(best_e, a.noise);
      if (imp) {
        best_e = E;
        best_sweep = k + 1;
      }
      const int ck = a.has_target && !reached[r] && E <= a.cand &&
                     E < __dsub_rn(last_checked, a.noise);
      if (ck) last_checked = E;
      if (lane == 0) {
        improved[r] = imp;
        chk[r] = ck;
        if (a.trace_every && (k + 1) % a.trace_every == 0)
          a.trace[(r0 + r) * a.trace_len + (k + 1) / a.trace_every - 1] = E;
      }
    }
    __syncthreads();
    for (int rr = 0; rr < nr; rr++)
      if (improved[rr])
        for (int i = tid; i < n; i += bd) a.best[(r0 + rr) * n + i] = s[rr * n4 + i];
    for (int rr = 0; rr < nr; rr++)
      if (chk[rr]) {
        const double ex = sa_real_refresh(a, s + rr * n4, NULL, xs);
        if (tid == 0 && ex <= a.reach) {
          reached[rr] = 1;
          a.to_target[r0 + rr] = k + 1;
        }
      }
    __syncthreads();
  }
  if (mine) {
    for (int i = lane; i < n; i += 32) a.final[(r0 + r) * n + i] = sr[i];
    for (int o = 16; o; o >>= 1) dsum += __shfl_xor_sync(0xffffffffu, dsum, o);
    if (lane == 0) {
      a.res[r0 + r].best_sweep = best_sweep;
      a.res[r0 + r].flips = flips;
      a.res[r0 + r].deg_sum = dsum;
      a.res[r0 + r].best_e = best_e;
      a.res[r0 + r].final_e = E;
    }
  }
}

extern "C" int ceas_gpu_sa_dense_real_run(int64_t n, const double *J, double unit,
                                          double abs_sum, const double *betas, uint64_t sweeps,
                                          uint64_t seed, uint64_t read0, uint64_t reads,
                                          int threads, const ceas_gpu_sa_opts *opt,
                                          int8_t *best, int8_t *final,
                                          ceas_gpu_anneal_read *res, double *kernel_seconds) {
  ceas_gpu_sa_opts none;
  memset(&none, 0, sizeof none);
  const ceas_gpu_sa_opts *o = opt ? opt : &none;
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
  if (!(unit > 0) || !isfinite(unit))
    return ceas_error_set(CEAS_EINPUT, "gpu sa: unit %g: expected > 0", unit);
  if (o->trace_every > sweeps)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: trace_every above the sweeps");
  const size_t nn = (size_t)n * (size_t)n;
  for (size_t q = 0; q < nn; q++)
    if (!isfinite(J[q]) || J[q] != J[(q % (size_t)n) * (size_t)n + q / (size_t)n] ||
        (q % (size_t)(n + 1) == 0 && J[q] != 0))
      return ceas_error_set(CEAS_EINPUT, "gpu sa: couplings: expected a finite symmetric "
                            "matrix with zero diagonal");
  const int nblk = (int)((n + 3) / 4);
  /* Reads a block: the most up to 4 whose arrays fit (a block's deciding warps
   * work side by side; the chunk's rows serve its reads from L1). */
  const int lists = o->random || o->sync;
#define SA_REAL_SMEM(g) ((size_t)(4 * nblk) * (8 + (size_t)(g) * (9 + 9 * lists)))
  int group = 4;
  while (group > 1 && (SA_REAL_SMEM(group) > 224 * 1024 || 32 * group > threads)) group--;
  const size_t smem = SA_REAL_SMEM(group);
#undef SA_REAL_SMEM
  float *Jf = (float *)malloc(nn * sizeof *Jf);
  float *bu = (float *)malloc((size_t)sweeps * sizeof *bu);
  uint32_t *key = anneal_read_keys(seed, read0, reads, SA_PURPOSE);
  int *deg = (int *)calloc((size_t)n, sizeof *deg);
  double *h = (double *)calloc((size_t)n, sizeof *h);
  if (!Jf || !bu || !key || !deg || !h) {
    free(Jf), free(bu), free(key), free(deg), free(h);
    return ceas_error_set(CEAS_ENOMEM, "gpu sa: host memory");
  }
  if (o->h) memcpy(h, o->h, (size_t)n * sizeof *h);
  for (size_t q = 0; q < nn; q++) {
    Jf[q] = (float)(J[q] / unit);
    deg[q / (size_t)n] += J[q] != 0;
  }
  for (uint64_t k = 0; k < sweeps; k++) {
    if (!(betas[k] >= 0) || !isfinite(betas[k])) {
      free(Jf), free(bu), free(key), free(deg), free(h);
      return ceas_error_set(CEAS_EINPUT, "gpu sa: beta of sweep %llu is %g (expected >= 0)",
                            (unsigned long long)k, betas[k]);
    }
    bu[k] = (float)(betas[k] * unit);
  }
  sa_real_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.nblk = nblk;
  a.group = group;
  a.reads = reads;
  a.sweeps = sweeps;
  a.unit = unit;
  a.noise = 1e-12 * abs_sum;
  a.random = o->random;
  a.sync = o->sync;
  a.has_target = o->has_target;
  sa_target_bounds(o, abs_sum, &a.reach, &a.cand);
  a.trace_every = o->trace_every;
  float *dJ = NULL, *dbu = NULL;
  double *dJd = NULL, *dh = NULL;
  uint32_t *dkey = NULL;
  int *ddeg = NULL;
  anneal_out<ceas_gpu_anneal_read> d = {};
  int rc = CEAS_OK;
  CUDA_GOTO(anneal_upload(&dJ, Jf, nn), "device memory");
  CUDA_GOTO(anneal_upload(&dJd, J, nn), "device memory");
  CUDA_GOTO(anneal_upload(&dh, (const double *)h, (size_t)n), "device memory");
  CUDA_GOTO(anneal_upload(&dbu, (const float *)bu, (size_t)sweeps), "device memory");
  CUDA_GOTO(anneal_upload(&dkey, (const uint32_t *)key, (size_t)(2 * reads)), "device memory");
  CUDA_GOTO(anneal_upload(&ddeg, (const int *)deg, (size_t)n), "device memory");
  CUDA_GOTO(anneal_out_alloc(&d, reads, n, o, sweeps), "device memory");
  a.J = dJ;
  a.Jd = dJd;
  a.h = dh;
  a.deg = ddeg;
  a.beta_u = dbu;
  a.key = dkey;
  a.best = d.best;
  a.final = d.final;
  a.res = d.res;
  a.to_target = d.to_target;
  a.trace = d.trace;
  a.trace_len = d.trace_len;
  rc = anneal_launch(GPU_WHO, "sa", sa_dense_real_kernel,
                     (unsigned)((reads + group - 1) / group), (unsigned)threads, smem, a, d,
                     reads, n, best, final, res, o, kernel_seconds);
done:
  cudaFree(dJ), cudaFree(dJd), cudaFree(dh), cudaFree(ddeg), cudaFree(dbu), cudaFree(dkey);
  anneal_out_free(&d);
  free(Jf), free(bu), free(key), free(deg), free(h);
  return rc;
}
