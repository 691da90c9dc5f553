/* sb-discrete on dense ±1 couplings, many reads at once (ceas_gpu_sa.h has the
 * contract). A block runs `group` reads: each read's positions, momenta, spins and
 * readout fields (exact integers) live in shared memory. A step is one
 * element-wise pass over the group's sites (the CPU's sb_move and sign readout),
 * each warp on 32 consecutive sites, whose ballots give every block of 32 sites
 * its sign changes to +1 and to -1; then the fields follow all of them at once in
 * popcounts (gpu_anneal_bits.cuh), each coupling word loaded serving the group's
 * reads. Integer fields make this equal to the CPU's flip-by-flip updates and
 * recomputes. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_gpu_sa.h"
#include "gpu_anneal_bits.cuh"
#include "gpu_anneal_run.cuh"
#include "gpu_philox.cuh"
#include "gpu_private.h"

/* As src/anneal/sb.c: the read key's purpose ("SB") and the counter words of
 * the initial state. */
#define SB_PURPOSE UINT64_C(0x5342)
#define SB_INIT_C 0xFFFFFFFFu

#define GPU_WHO "gpu sb"

struct sb_args {
  int n, nb, group;
  anneal_bits J;
  const float *ka;   /* a step's (float)(dt (a0 - a(t_k))) */
  float kc, kx, xi;  /* (float)(dt c0 unit), (float)(dt a0), (float)x_init */
  const uint32_t *key;
  uint64_t steps, reads;
  double unit;
  int8_t *best, *final;
  ceas_gpu_anneal_read *res;
};

#define SB_GROUP_MAX 8

/* g += factor x (the blocks' P, M sums) for every read of the group that has a
 * nonzero mask in a block: Pm, Mm are group x nb. */
__device__ void sb_fields_add(const sb_args &a, int nr, int n32, const uint32_t *Pm,
                              const uint32_t *Mm, int factor, int *g) {
  for (int x = threadIdx.x; x < a.n; x += blockDim.x) {
    int acc[SB_GROUP_MAX] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int c = 0; c < a.nb; c++) {
      uint32_t any = 0;
#pragma unroll
      for (int r = 0; r < SB_GROUP_MAX; r++)
        if (r < nr) any |= Pm[r * a.nb + c] | Mm[r * a.nb + c];
      if (!any) continue;
      uint32_t z, neg;
      anneal_bits_words(a.J, c, x, &z, &neg);
#pragma unroll
      for (int r = 0; r < SB_GROUP_MAX; r++)
        if (r < nr) acc[r] += anneal_bits_pm(z, neg, Pm[r * a.nb + c], Mm[r * a.nb + c]);
    }
#pragma unroll
    for (int r = 0; r < SB_GROUP_MAX; r++)
      if (r < nr) g[r * n32 + x] += factor * acc[r];
  }
}

__global__ void sb_dense_kernel(sb_args a) {
  extern __shared__ float sm[];
  const int n = a.n, nb = a.nb, n32 = 32 * nb, G = a.group;
  const int tid = threadIdx.x, bd = blockDim.x, lane = tid & 31;
  float *x = sm, *y = x + G * n32;
  int *g = (int *)(y + G * n32);
  uint32_t *Pm = (uint32_t *)(g + G * n32), *Mm = Pm + G * nb;
  unsigned long long *e2s = (unsigned long long *)(Mm + G * nb); /* 2 x G, two's complement */
  unsigned long long *fl = e2s + 2 * G;                           /* G flips */
  int8_t *s = (int8_t *)(fl + G);
  const uint64_t r0 = (uint64_t)blockIdx.x * G;
  const int nr = (int)min((uint64_t)G, a.reads - r0);
  /* sb_read: x_i, y_i from words 2i, 2i + 1 of blocks (b, 0, ~0, ~0); padding
   * sites stay at x = y = 0, s = +1 and never change. */
  for (int idx = tid; idx < G * n32; idx += bd) {
    const int r = idx / n32, i = idx % n32;
    float xv = 0.0f, yv = 0.0f;
    if (r < nr && i < n) {
      uint32_t w[4];
      ceas_gpu_philox4x32_key((uint32_t)(i >> 1), 0, SB_INIT_C, SB_INIT_C,
                              a.key[2 * (r0 + r)], a.key[2 * (r0 + r) + 1], w);
      const int q = (2 * i) & 3;
      xv = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q] >> 8), 0x1p-23f), 1.0f), a.xi);
      yv = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q + 1] >> 8), 0x1p-23f), 1.0f),
                     a.xi);
    }
    x[idx] = xv;
    y[idx] = yv;
    g[idx] = 0;
    const int8_t sv = xv < 0.0f ? -1 : 1;
    s[idx] = sv;
    /* The initial spins as P (+1) and M (-1) masks: g = J s from zero. */
    const int valid = r < nr && i < n;
    const uint32_t up = __ballot_sync(0xffffffffu, valid && sv > 0);
    const uint32_t dn = __ballot_sync(0xffffffffu, valid && sv < 0);
    if (lane == 0) Pm[r * nb + i / 32] = up, Mm[r * nb + i / 32] = dn;
  }
  if (tid < 2 * G) e2s[tid] = 0;
  if (tid < G) fl[tid] = 0;
  __syncthreads();
  sb_fields_add(a, nr, n32, Pm, Mm, 1, g);
  __syncthreads();
  /* e2 = s.J s per read: the energy is -unit e2 / 2, lower energy larger e2. */
  for (int idx = tid; idx < G * n32; idx += bd) {
    long long v = (long long)g[idx] * s[idx];
    for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) atomicAdd(&e2s[idx / n32], (unsigned long long)v);
  }
  __syncthreads();
  long long best_e2[SB_GROUP_MAX];
  uint64_t best_step[SB_GROUP_MAX];
#pragma unroll
  for (int r = 0; r < SB_GROUP_MAX; r++) {
    best_e2[r] = r < nr ? (long long)e2s[r] : 0;
    best_step[r] = 0;
  }
  for (int idx = tid; idx < nr * n; idx += bd)
    a.best[(r0 + idx / n) * n + idx % n] = s[(idx / n) * n32 + idx % n];
  if (tid < G) e2s[G + tid] = 0;
  const float kc = a.kc, kx = a.kx;
  for (uint64_t k = 0; k < a.steps; k++) {
    const float ka = a.ka[k];
    unsigned long long *e2k = e2s + G * (int)((k + 1) & 1);
    /* sb_move, then readout_sync's sign test (x >= 0 reads +1). */
    for (int idx = tid; idx < G * n32; idx += bd) {
      const int r = idx / n32, i = idx % n32;
      int up = 0, dn = 0;
      if (r < nr && i < n) {
        const float xo = x[idx];
        const float yi =
            __fadd_rn(y[idx], __fsub_rn(__fmul_rn(kc, (float)g[idx]), __fmul_rn(ka, xo)));
        const float xn = __fadd_rn(xo, __fmul_rn(kx, yi));
        const int wall = xn > 1.0f || xn < -1.0f;
        const float xf = wall ? (xn > 0 ? 1.0f : -1.0f) : xn;
        x[idx] = xf;
        y[idx] = wall ? 0.0f : yi;
        if ((xf < 0.0f) != (s[idx] < 0)) {
          s[idx] = (int8_t)-s[idx];
          up = s[idx] > 0;
          dn = !up;
        }
      }
      const uint32_t P = __ballot_sync(0xffffffffu, up), M = __ballot_sync(0xffffffffu, dn);
      if (lane == 0) {
        Pm[r * nb + i / 32] = P;
        Mm[r * nb + i / 32] = M;
        if (P | M) atomicAdd(&fl[r], (unsigned long long)__popc(P | M));
      }
    }
    __syncthreads();
    sb_fields_add(a, nr, n32, Pm, Mm, 2, g);
    __syncthreads();
    for (int idx = tid; idx < G * n32; idx += bd) {
      long long v = (long long)g[idx] * s[idx];
      for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
      if (lane == 0 && v) atomicAdd(&e2k[idx / n32], (unsigned long long)v);
    }
    __syncthreads();
    int improved = 0;
#pragma unroll
    for (int r = 0; r < SB_GROUP_MAX; r++)
      if (r < nr && (long long)e2k[r] > best_e2[r]) {
        best_e2[r] = (long long)e2k[r];
        best_step[r] = k + 1;
        improved = 1;
        for (int i = tid; i < n; i += bd) a.best[(r0 + r) * n + i] = s[r * n32 + i];
      }
    /* The other buffer is next step's sum; this one was read by all above. */
    if (tid < G) e2s[G * (int)(k & 1) + tid] = 0;
    if (improved) __syncthreads(); /* the copies read s before the next step moves it */
  }
  for (int idx = tid; idx < nr * n; idx += bd)
    a.final[(r0 + idx / n) * n + idx % n] = s[(idx / n) * n32 + idx % n];
  if (tid < nr) {
    const unsigned long long *e2f = e2s + G * (int)(a.steps & 1);
    a.res[r0 + tid].flips = fl[tid];
    a.res[r0 + tid].deg_sum = 0;
#pragma unroll
    for (int r = 0; r < SB_GROUP_MAX; r++)
      if (r == tid) {
        a.res[r0 + r].best_sweep = best_step[r];
        a.res[r0 + r].best_e = -0.5 * a.unit * (double)best_e2[r];
      }
    a.res[r0 + tid].final_e = -0.5 * a.unit * (double)(long long)e2f[tid];
  }
}

extern "C" int ceas_gpu_sb_dense_run(int64_t n, const int8_t *dense8, double unit, double dt,
                                     double a0, double c0, double x_init, uint64_t steps,
                                     uint64_t seed, uint64_t read0, uint64_t reads, int threads,
                                     int group, int8_t *best, int8_t *final,
                                     ceas_gpu_anneal_read *res, double *kernel_seconds) {
  if (n < 2 || n > 8192)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected 2 <= n <= 8192, got %lld",
                          (long long)n);
  if (steps < 1) return ceas_error_set(CEAS_EINPUT, "gpu sb: expected at least one step");
  if (group < 0 || group > SB_GROUP_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: group %d: expected 1 .. %d reads a block "
                          "(0: the most up to 4 that fit)", group, SB_GROUP_MAX);
  if (threads < 32 || threads > 1024 || threads % 32)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: threads %d: expected a multiple of 32 "
                          "from 32 to 1024", threads);
  const int nb = (int)((n + 31) / 32);
  const size_t nw = (size_t)nb * (size_t)n;
#define SB_SMEM(g) ((size_t)(g) * (size_t)(32 * nb) * 13 + (size_t)(2 * (g) * nb) * 4 + \
                    (size_t)(3 * (g)) * 8)
  if (group == 0)
    for (group = 4; group > 1 && SB_SMEM(group) > 227 * 1024;) group--;
  const size_t smem = SB_SMEM(group);
#undef SB_SMEM
  if (smem > 227 * 1024)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: n = %lld with group %d needs %zu bytes of "
                          "shared memory (at most 227 KiB): use a smaller group",
                          (long long)n, group, smem);
  if (reads < 1 || reads > INT32_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected 1 <= reads < 2^31");
  if (!(dt > 0) || !isfinite(dt) || !(a0 > 0) || !isfinite(a0) || !(c0 > 0) ||
      !isfinite(c0) || !(x_init > 0 && x_init <= 1))
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected finite dt, a0, c0 > 0 and x_init "
                          "in (0, 1]");
  uint32_t *Z = NULL, *N = NULL;
  int complete = 0;
  int rc = anneal_bits_make("gpu sb", n, dense8, &Z, &N, &complete);
  if (rc) return rc;
  float *ka = (float *)malloc((size_t)steps * sizeof *ka);
  uint32_t *key = anneal_read_keys(seed, read0, reads, SB_PURPOSE);
  if (!ka || !key) {
    free(ka), free(key), free(Z), free(N);
    return ceas_error_set(CEAS_ENOMEM, "gpu sb: host memory");
  }
  /* sb_read's schedule, in its double arithmetic. */
  for (uint64_t k = 0; k < steps; k++) {
    const double at = steps > 1 ? a0 * (double)k / (double)(steps - 1) : a0;
    ka[k] = (float)(dt * (a0 - at));
  }
  sb_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.nb = nb;
  a.group = group;
  a.J.n = (int)n;
  a.J.nb = nb;
  a.J.complete = complete;
  a.reads = reads;
  a.kc = (float)(dt * c0 * unit);
  a.kx = (float)(dt * a0);
  a.xi = (float)x_init;
  a.steps = steps;
  a.unit = unit;
  float *dka = NULL;
  uint32_t *dZ = NULL, *dN = NULL, *dkey = NULL;
  anneal_out<ceas_gpu_anneal_read> d = {NULL, NULL, NULL};
  CUDA_GOTO(cudaMalloc((void **)&dZ, nw * sizeof *dZ), "device memory");
  CUDA_GOTO(cudaMalloc((void **)&dN, nw * sizeof *dN), "device memory");
  CUDA_GOTO(cudaMalloc((void **)&dka, (size_t)steps * sizeof *dka), "device memory");
  CUDA_GOTO(cudaMalloc((void **)&dkey, (size_t)(2 * reads) * sizeof *dkey), "device memory");
  CUDA_GOTO(anneal_out_alloc(&d, reads, n), "device memory");
  CUDA_GOTO(cudaMemcpy(dZ, Z, nw * sizeof *Z, cudaMemcpyHostToDevice), "copy");
  CUDA_GOTO(cudaMemcpy(dN, N, nw * sizeof *N, cudaMemcpyHostToDevice), "copy");
  CUDA_GOTO(cudaMemcpy(dka, ka, (size_t)steps * sizeof *ka, cudaMemcpyHostToDevice), "copy");
  CUDA_GOTO(cudaMemcpy(dkey, key, (size_t)(2 * reads) * sizeof *key, cudaMemcpyHostToDevice),
            "copy");
  a.J.Z = dZ;
  a.J.N = dN;
  a.ka = dka;
  a.key = dkey;
  a.best = d.best;
  a.final = d.final;
  a.res = d.res;
  rc = anneal_launch(GPU_WHO, "sb", sb_dense_kernel, (unsigned)((reads + group - 1) / group),
                     (unsigned)threads, smem, a, d, reads, n, best, final, res, kernel_seconds);
done:
  cudaFree(dZ), cudaFree(dN), cudaFree(dka), cudaFree(dkey);
  anneal_out_free(&d);
  free(ka), free(key), free(Z), free(N);
  return rc;
}
