/* sb-discrete on the GPU, many reads at once (ceas_gpu_sa.h has the contracts):
 * on dense ±1 couplings without field (exact integer fields), and, further down,
 * the CPU's float32 readout for real couplings, fields, targets and traces.
 *
 * ±1 couplings: a block runs `group` reads: each read's positions, momenta,
 * spins and readout fields (exact integers) live in shared memory. A step is one
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

/* sb_read's initial state of site i: x_i, y_i from words 2i, 2i + 1 of the
 * read's Philox4x32 blocks (b, 0, ~0, ~0) under the key (k0, k1). */
__device__ void sb_init_xy(uint32_t k0, uint32_t k1, int i, float xi, float *x, float *y) {
  uint32_t w[4];
  ceas_gpu_philox4x32_key((uint32_t)(i >> 1), 0, SB_INIT_C, SB_INIT_C, k0, k1, w);
  const int q = (2 * i) & 3;
  *x = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q] >> 8), 0x1p-23f), 1.0f), xi);
  *y = __fmul_rn(__fsub_rn(__fmul_rn(__uint2float_rn(w[q + 1] >> 8), 0x1p-23f), 1.0f), xi);
}

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
  /* Padding sites stay at x = y = 0, s = +1 and never change. */
  for (int idx = tid; idx < G * n32; idx += bd) {
    const int r = idx / n32, i = idx % n32;
    float xv = 0.0f, yv = 0.0f;
    if (r < nr && i < n)
      sb_init_xy(a.key[2 * (r0 + r)], a.key[2 * (r0 + r) + 1], i, a.xi, &xv, &yv);
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
  anneal_out<ceas_gpu_anneal_read> d = {};
  CUDA_GOTO(anneal_upload(&dZ, Z, nw), "device memory");
  CUDA_GOTO(anneal_upload(&dN, N, nw), "device memory");
  CUDA_GOTO(anneal_upload(&dka, ka, (size_t)steps), "device memory");
  CUDA_GOTO(anneal_upload(&dkey, key, (size_t)(2 * reads)), "device memory");
  CUDA_GOTO(anneal_out_alloc(&d, reads, n, NULL, 0), "device memory");
  a.J.Z = dZ;
  a.J.N = dN;
  a.ka = dka;
  a.key = dkey;
  a.best = d.best;
  a.final = d.final;
  a.res = d.res;
  rc = anneal_launch(GPU_WHO, "sb", sb_dense_kernel, (unsigned)((reads + group - 1) / group),
                     (unsigned)threads, smem, a, d, reads, n, best, final, res, NULL,
                     kernel_seconds);
done:
  cudaFree(dZ), cudaFree(dN), cudaFree(dka), cudaFree(dkey);
  anneal_out_free(&d);
  free(ka), free(key), free(Z), free(N);
  return rc;
}

/* ---- sb-discrete on real couplings or with fields: the CPU's float readout ----
 *
 * Where the fields are not exact integers (couplings of several magnitudes, or
 * any field h) the CPU's readout (src/anneal/npu.c) keeps float32 fields g =
 * (J s + h) / unit and a double running energy e, and their rounding depends on
 * the order of every operation; this kernel repeats that order. One block runs
 * one read (the flips of different reads touch different rows: nothing to
 * share). A step: sb_move over the sites and the sign test (warp w on a
 * contiguous range of 32-site words, so that the ballots list the changed sites
 * in increasing order, as readout_sync does); then, as readout_sync decides:
 * - no change: nothing;
 * - more than n/2 changes: the signs flip and the fields are recomputed
 *   (sbr_recompute);
 * - else the flips in list order: site j's energy term 2 s_j g_j unit with g_j
 *   as it stands after the earlier flips of the list, and every field g_k +=
 *   c_j J_jk in list order (thread k walks the list: the same float sums);
 *   the energy adds the terms in list order (one thread); every 256th such step
 *   a recompute (not when `exact`: ±1 couplings without field, whose CPU
 *   readout never refreshes).
 * Then the readout's best, target and trace rules. */

#define SBR_REFRESH 256 /* npu.c's REFRESH */

struct sbr_args {
  int n, nb, exact, has_target;
  const float *J;          /* n x n, (float)(J_ij / unit): the CPU's dense rows */
  const double *h, *hu;    /* h_i and h_i / unit (zeros without field) */
  const double *Jd;        /* n x n J_ij (the exact energy of the target check) */
  double *fs;              /* reads x n scratch: that energy's row sums */
  const float *ka;         /* a step's (float)(dt (a0 - a(t_k))) */
  float kc, kx, xi;
  const uint32_t *key;
  uint64_t steps, reads, trace_every, trace_len;
  double unit, noise, thr, thr_slack; /* 1e-12 abs_sum; target + tol; + 1e-6 abs_sum */
  double *trace;
  uint64_t *to_target;
  int8_t *best, *final;
  ceas_gpu_anneal_read *res;
};

/* The 16-lane float32 row sums of npu.c's mvm (lane l sums the products j = l
 * mod 16 in order, then the lanes combine 8+8, 4+4, 2+2, 1+1), of s as float:
 * g_i before the field. Then one thread: e2 += g_i s_i, eh += h_i s_i in site
 * order, g_i = (float)(g_i + h_i / unit) and e = -0.5 unit e2 - eh, as
 * readout_recompute (dense rows; int8 rows give the same exact integers). */
__device__ void sbr_recompute(const sbr_args &a, const int8_t *s, float *g, double *e) {
  const int n = a.n, tid = threadIdx.x, bd = blockDim.x;
  const int rounds = (16 * n + bd - 1) / bd;
  for (int q = 0; q < rounds; q++) {
    const int idx = q * bd + tid, i = idx >> 4, l = idx & 15;
    float acc = 0.0f;
    if (i < n) {
      const float *row = a.J + (size_t)i * (size_t)n;
      for (int j = l; j < n; j += 16) acc = __fadd_rn(acc, __fmul_rn(row[j], (float)s[j]));
    }
    for (int w = 8; w >= 1; w >>= 1)
      acc = __fadd_rn(acc, __shfl_down_sync(0xffffffffu, acc, w, 16));
    if (l == 0 && i < n) g[i] = acc;
  }
  __syncthreads();
  if (tid == 0) {
    double e2 = 0, eh = 0;
    for (int i = 0; i < n; i++) {
      const double gi = (double)g[i];
      e2 = __dadd_rn(e2, __dmul_rn(gi, (double)s[i]));
      eh = __dadd_rn(eh, __dmul_rn(a.h[i], (double)s[i]));
      g[i] = __double2float_rn(__dadd_rn(gi, a.hu[i]));
    }
    *e = __dsub_rn(__dmul_rn(__dmul_rn(-0.5, a.unit), e2), eh);
  }
  __syncthreads();
}

/* ceas_anneal_energy(pb, s) in its order: row sums f_i = sum_j J_ij s_j (j
 * ascending; the zeros of the dense copy add nothing), then -0.5 sum_i f_i s_i -
 * sum_i h_i s_i, site by site. The result is thread 0's. */
__device__ double sbr_energy(const sbr_args &a, const int8_t *s, double *f) {
  const int n = a.n;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const double *row = a.Jd + (size_t)i * (size_t)n;
    double x = 0;
    for (int j = 0; j < n; j++) x = __dadd_rn(x, __dmul_rn(row[j], (double)s[j]));
    f[i] = x;
  }
  __syncthreads();
  double e2 = 0, eh = 0;
  if (threadIdx.x == 0)
    for (int i = 0; i < n; i++) {
      e2 = __dadd_rn(e2, __dmul_rn(f[i], (double)s[i]));
      eh = __dadd_rn(eh, __dmul_rn(a.h[i], (double)s[i]));
    }
  return __dsub_rn(__dmul_rn(-0.5, e2), eh);
}

/* Flip t of the step's list (site j; v = J_jk / unit) seen by field k: the
 * flip's energy term 2 s_j g_j unit when j is k itself (g_k as the earlier flips
 * left it; the zero diagonal leaves it unchanged), then g_k += c_j v, c_j = -2
 * s_j, as readout_flip. Returns the new g_k. */
__device__ __forceinline__ float sbr_flip(const sbr_args &a, const int8_t *s, double *term,
                                          int t, int j, int k, float v, float gk) {
  if (j == k) term[t] = __dmul_rn(__dmul_rn(__dmul_rn(2.0, (double)s[j]), (double)gk), a.unit);
  return __fadd_rn(gk, __fmul_rn(s[j] > 0 ? -2.0f : 2.0f, v));
}

__global__ void sbr_kernel(sbr_args a) {
  extern __shared__ double smd[];
  const int n = a.n, nb = a.nb, tid = threadIdx.x, bd = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5, nwarps = bd >> 5;
  double *term = smd;                               /* n/2 + 1 */
  float *x = (float *)(term + n / 2 + 1), *y = x + n, *g = y + n;
  int *list = (int *)(g + n);                       /* n */
  uint32_t *chg = (uint32_t *)(list + n);           /* nb */
  int *wc = (int *)(chg + nb);                      /* 32 */
  int *flag = wc + 32;                              /* 2: improved, check target */
  int8_t *s = (int8_t *)(flag + 2);
  __shared__ double e_sh;
  const uint64_t r = blockIdx.x;
  const uint32_t k0 = a.key[2 * r], k1 = a.key[2 * r + 1];
  for (int i = tid; i < n; i += bd) {
    sb_init_xy(k0, k1, i, a.xi, &x[i], &y[i]);
    s[i] = x[i] < 0.0f ? -1 : 1;
  }
  __syncthreads();
  double e = 0; /* thread 0's running energy */
  sbr_recompute(a, s, g, &e_sh);
  e = e_sh;
  double best_e = e, last_checked = INFINITY;
  uint64_t best_step = 0, flips = 0, to_target = UINT64_MAX;
  int since = 0;
  int8_t *best = a.best + r * (uint64_t)n;
  for (int i = tid; i < n; i += bd) best[i] = s[i];
  double *fs = a.fs ? a.fs + r * (uint64_t)n : NULL;
  if (a.has_target) {
    const double ex = sbr_energy(a, s, fs);
    if (tid == 0 && ex <= a.thr) to_target = 0;
  }
  /* Warp w's words of 32 sites: [w0, w1). */
  const int wpw = (nb + nwarps - 1) / nwarps, w0 = min(nb, warp * wpw), w1 = min(nb, w0 + wpw);
  const float kc = a.kc, kx = a.kx;
  for (uint64_t k = 0; k < a.steps; k++) {
    const float ka = a.ka[k];
    int cnt = 0;
    for (int wd = w0; wd < w1; wd++) {
      const int i = 32 * wd + lane;
      int ch = 0;
      if (i < n) {
        const float xo = x[i];
        const float yi = __fadd_rn(y[i], __fsub_rn(__fmul_rn(kc, g[i]), __fmul_rn(ka, xo)));
        const float xn = __fadd_rn(xo, __fmul_rn(kx, yi));
        const int wall = xn > 1.0f || xn < -1.0f;
        const float xf = wall ? (xn > 0 ? 1.0f : -1.0f) : xn;
        x[i] = xf;
        y[i] = wall ? 0.0f : yi;
        ch = (xf < 0.0f) != (s[i] < 0);
      }
      const uint32_t m = __ballot_sync(0xffffffffu, ch);
      if (lane == 0) chg[wd] = m;
      cnt += __popc(m);
    }
    if (lane == 0) wc[warp] = cnt;
    __syncthreads();
    int off = 0, m = 0;
    for (int q = 0; q < nwarps; q++) {
      off += q < warp ? wc[q] : 0;
      m += wc[q];
    }
    for (int wd = w0; wd < w1; wd++) {
      const uint32_t msk = chg[wd];
      if ((msk >> lane) & 1) list[off + __popc(msk & ((1u << lane) - 1))] = 32 * wd + lane;
      off += __popc(msk);
    }
    __syncthreads();
    if (m > n / 2) {
      for (int t = tid; t < m; t += bd) s[list[t]] = (int8_t)-s[list[t]];
      __syncthreads();
      sbr_recompute(a, s, g, &e_sh);
      e = e_sh;
      since = 0;
    } else if (m > 0) {
      for (int kk = tid; kk < n; kk += bd) {
        const float *col = a.J + kk;
        float gk = g[kk];
        int t = 0;
        /* Eight flips' couplings loaded at once (the loads overlap; one at a time
         * each waited for its own), added in list order. */
        for (; t + 8 <= m; t += 8) {
          int j[8];
          float v[8];
#pragma unroll
          for (int u = 0; u < 8; u++) j[u] = list[t + u], v[u] = col[(size_t)j[u] * (size_t)n];
#pragma unroll
          for (int u = 0; u < 8; u++) gk = sbr_flip(a, s, term, t + u, j[u], kk, v[u], gk);
        }
        for (; t < m; t++)
          gk = sbr_flip(a, s, term, t, list[t], kk, col[(size_t)list[t] * (size_t)n], gk);
        g[kk] = gk;
      }
      __syncthreads();
      if (tid == 0)
        for (int t = 0; t < m; t++) e = __dadd_rn(e, term[t]);
      for (int t = tid; t < m; t += bd) s[list[t]] = (int8_t)-s[list[t]];
      if (!a.exact && ++since >= SBR_REFRESH) {
        __syncthreads();
        sbr_recompute(a, s, g, &e_sh);
        e = e_sh;
        since = 0;
      }
    }
    /* readout_step: best, target, trace (thread 0 decides). */
    if (tid == 0) {
      flips += (uint64_t)m;
      flag[0] = e < __dsub_rn(best_e, a.noise);
      if (flag[0]) best_e = e, best_step = k + 1;
      flag[1] = a.has_target && to_target == UINT64_MAX && e <= a.thr_slack &&
                e < __dsub_rn(last_checked, a.noise);
      if (flag[1]) last_checked = e;
      if (a.trace_every && (k + 1) % a.trace_every == 0)
        a.trace[r * a.trace_len + (k + 1) / a.trace_every - 1] = e;
    }
    __syncthreads();
    if (flag[0])
      for (int i = tid; i < n; i += bd) best[i] = s[i];
    if (flag[1]) {
      const double ex = sbr_energy(a, s, fs);
      if (tid == 0 && ex <= a.thr) to_target = k + 1;
    }
  }
  for (int i = tid; i < n; i += bd) a.final[r * (uint64_t)n + i] = s[i];
  if (tid == 0) {
    a.res[r].best_sweep = best_step;
    a.res[r].flips = flips;
    a.res[r].deg_sum = 0;
    a.res[r].best_e = best_e;
    a.res[r].final_e = e;
    if (a.to_target) a.to_target[r] = to_target;
  }
}

extern "C" int ceas_gpu_sb_dense_real_run(int64_t n, const double *J, double unit,
                                          double abs_sum, double dt, double a0, double c0,
                                          double x_init, uint64_t steps, uint64_t seed,
                                          uint64_t read0, uint64_t reads, int threads,
                                          const ceas_gpu_sa_opts *opt, int8_t *best,
                                          int8_t *final, ceas_gpu_anneal_read *res,
                                          double *kernel_seconds) {
  ceas_gpu_sa_opts none;
  memset(&none, 0, sizeof none);
  if (!opt) opt = &none;
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
      !isfinite(c0) || !(x_init > 0 && x_init <= 1) || !(unit > 0) || !isfinite(unit) ||
      !(abs_sum >= 0) || !isfinite(abs_sum))
    return ceas_error_set(CEAS_EINPUT, "gpu sb: expected finite dt, a0, c0, unit > 0, "
                          "abs_sum >= 0 and x_init in (0, 1]");
  if (opt->random || opt->sync)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: every oscillator moves each step: no "
                          "random order or synchronous update");
  if (opt->has_target && !opt->sweeps_to_target)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: a target needs sweeps_to_target");
  if (opt->trace_every && (!opt->trace || opt->trace_every > steps))
    return ceas_error_set(CEAS_EINPUT, "gpu sb: trace_every needs a trace and at most "
                          "steps steps");
  const int nb = (int)((n + 31) / 32);
  const size_t smem = 8 * (size_t)(n / 2 + 1) + 17 * (size_t)n + 4 * (size_t)nb + 4 * 34;
  if (smem > 227 * 1024)
    return ceas_error_set(CEAS_EINPUT, "gpu sb: n = %lld needs %zu bytes of shared memory "
                          "(at most 227 KiB)", (long long)n, smem);
  const size_t nn = (size_t)n * (size_t)n;
  /* The CPU's readout is exact (no refresh) for couplings of one magnitude
   * without field; unit and the rows as problem.c makes them. */
  int exact = !opt->h;
  double mag = 0;
  for (size_t q = 0; q < nn && exact; q++)
    if (J[q] != 0) {
      if (mag == 0) mag = fabs(J[q]);
      exact = fabs(J[q]) == mag;
    }
  exact = exact && mag > 0;
  float *Jf = (float *)malloc(nn * sizeof *Jf), *ka = (float *)malloc((size_t)steps * sizeof *ka);
  double *h = (double *)calloc((size_t)n, sizeof *h), *hu = (double *)calloc((size_t)n, sizeof *hu);
  uint32_t *key = anneal_read_keys(seed, read0, reads, SB_PURPOSE);
  float *dJ = NULL, *dka = NULL;
  double *dh = NULL, *dhu = NULL, *dJd = NULL, *dfs = NULL;
  uint32_t *dkey = NULL;
  anneal_out<ceas_gpu_anneal_read> d = {};
  sbr_args a;
  memset(&a, 0, sizeof a);
  int rc = CEAS_OK;
  if (!Jf || !ka || !h || !hu || !key) {
    rc = ceas_error_set(CEAS_ENOMEM, "gpu sb: host memory");
    goto done;
  }
  for (size_t q = 0; q < nn; q++) Jf[q] = (float)(J[q] / unit);
  for (int64_t i = 0; opt->h && i < n; i++) h[i] = opt->h[i], hu[i] = opt->h[i] / unit;
  for (uint64_t k = 0; k < steps; k++) {
    const double at = steps > 1 ? a0 * (double)k / (double)(steps - 1) : a0;
    ka[k] = (float)(dt * (a0 - at));
  }
  a.n = (int)n;
  a.nb = nb;
  a.exact = exact;
  a.has_target = opt->has_target;
  a.kc = (float)(dt * c0 * unit);
  a.kx = (float)(dt * a0);
  a.xi = (float)x_init;
  a.steps = steps;
  a.reads = reads;
  a.trace_every = opt->trace_every;
  a.unit = unit;
  /* readout_step's floors, in its arithmetic. */
  a.noise = 1e-12 * abs_sum;
  a.thr = opt->target + opt->target_tol;
  a.thr_slack = a.thr + 1e-6 * abs_sum;
  CUDA_GOTO(anneal_upload(&dJ, Jf, nn), "device memory");
  CUDA_GOTO(anneal_upload(&dh, h, (size_t)n), "device memory");
  CUDA_GOTO(anneal_upload(&dhu, hu, (size_t)n), "device memory");
  CUDA_GOTO(anneal_upload(&dka, ka, (size_t)steps), "device memory");
  CUDA_GOTO(anneal_upload(&dkey, key, (size_t)(2 * reads)), "device memory");
  if (opt->has_target) {
    CUDA_GOTO(anneal_upload(&dJd, J, nn), "device memory");
    CUDA_GOTO(cudaMalloc((void **)&dfs, (size_t)(reads * (uint64_t)n) * sizeof *dfs),
              "device memory");
  }
  CUDA_GOTO(anneal_out_alloc(&d, reads, n, opt, steps), "device memory");
  /* 80 registers a thread (sm_90): blocks of 1024 threads do not launch. */
  cudaFuncAttributes fa;
  CUDA_GOTO(cudaFuncGetAttributes(&fa, sbr_kernel), "kernel attributes");
  if (threads > fa.maxThreadsPerBlock) {
    rc = ceas_error_set(CEAS_EINPUT, "gpu sb: threads %d: the float readout's kernel runs "
                        "at most %d a block", threads, fa.maxThreadsPerBlock);
    goto done;
  }
  a.J = dJ, a.h = dh, a.hu = dhu, a.Jd = dJd, a.fs = dfs, a.ka = dka, a.key = dkey;
  a.trace = d.trace, a.trace_len = d.trace_len, a.to_target = d.to_target;
  a.best = d.best, a.final = d.final, a.res = d.res;
  rc = anneal_launch(GPU_WHO, "sb real", sbr_kernel, (unsigned)reads, (unsigned)threads, smem,
                     a, d, reads, n, best, final, res, opt, kernel_seconds);
done:
  cudaFree(dJ), cudaFree(dh), cudaFree(dhu), cudaFree(dka), cudaFree(dkey);
  cudaFree(dJd), cudaFree(dfs);
  anneal_out_free(&d);
  free(Jf), free(ka), free(h), free(hu), free(key);
  return rc;
}
