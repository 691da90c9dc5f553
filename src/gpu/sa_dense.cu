/* sa on dense couplings, many reads at once (ceas_gpu_sa.h has the contract).
 *
 * ±1 couplings (exact integer fields): a block runs `group` reads, each with its
 * int16 fields, spins and the sweep's acceptance bounds in shared memory. The
 * couplings are two bit matrices (nonzero, negative) by blocks of 32 columns, so
 * that (a) warp r decides read r's chunk of 32 consecutive sites in order, lane j
 * holding site j's field and its 32 couplings to the chunk, one shuffle a
 * decision, and (b) the chunk's flips reach every field at once: with P, M the
 * chunk's sites flipped to +1 and to -1, f_x moves by
 * 2 (sum_{k in P} J_xk - sum_{k in M} J_xk), four popcounts of two words,
 * whatever the number of flips (the CPU adds one int8 row a flip). Each word
 * loaded serves the group's reads. A uniform u decides through q* = the first
 * |f| whose threshold it fails (a binary search in the sweep's non-increasing
 * table, done for all sites when the sweep starts): accept iff s f < q*, the
 * CPU's test (de <= 0 or (float)u < thr[|f|]) in one compare.
 *
 * Random order or sync (here and in sa_dense_real.cu): a chunk is 32 entries of the sweep's
 * list of updates (random: its sites, with repeats; sync: the accepted ones),
 * the couplings among them gathered, the flips applied one by one.
 *
 * Real couplings (float fields): sa_dense_real.cu.
 *
 * A target or a trace: the running energy in the CPU's doubles (sa.c), the
 * target's candidates confirmed on the exact energy summed in the CPU's order. */
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
#include "sa_dense.cuh"

#define GPU_WHO "gpu"

struct sa_args {
  int n, nb, group;
  anneal_bits J;
  const int *deg;        /* a site's nonzero couplings (the cost model's row updates) */
  const float *thr;      /* sweeps x n thresholds by |f| */
  const uint32_t *key;   /* 2 a read */
  uint64_t sweeps, reads;
  int8_t *best, *final;
  ceas_gpu_sa_read *res;
  /* ceas_gpu_sa_opts: lists (random or sync) take the general chunk loop; track:
   * the running energy in the CPU's doubles (a target or a trace). */
  int random, sync, lists, track, has_target;
  double unit, noise, cand, reach; /* reach = target + tol, cand = reach + slack */
  uint64_t trace_every, trace_len;
  double *trace;
  uint64_t *to_target;
  double *scratch; /* n a block: the energy's terms */
};

/* The first q in [1, n) with thr[q] <= uf (thr non-increasing there), else n. */
__device__ __forceinline__ int sa_qstar(const float *thr, int n, float uf) {
  int lo = 1, hi = n;
  while (lo < hi) {
    const int mid = (lo + hi) >> 1;
    if (thr[mid] <= uf)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* J(x, i) in units: -1, 0 or 1. */
__device__ __forceinline__ int sa_coupling(const anneal_bits &J, int x, int i) {
  uint32_t z, neg;
  anneal_bits_words(J, i >> 5, x, &z, &neg);
  const int b = i & 31;
  return (z >> b) & 1u ? ((neg >> b) & 1u ? -1 : 1) : 0;
}

/* ceas_anneal_energy of the spins s (J_ij = ±unit, no field), its sums in its
 * order: row x's field over its couplings in ascending column order (the CSR's),
 * each term ±unit exactly, then sum_x f_x s_x in site order by thread 0 (the
 * field term adds +0). The whole block calls it; the value is thread 0's. */
__device__ double sa_pm_energy(const sa_args &a, const int8_t *s) {
  const int n = a.n;
  double *xs = a.scratch + (size_t)blockIdx.x * n;
  __syncthreads();
  for (int x = threadIdx.x; x < n; x += blockDim.x) {
    double fx = 0;
    for (int c = 0; c < a.nb; c++) {
      uint32_t z, neg;
      anneal_bits_words(a.J, c, x, &z, &neg);
      while (z) {
        const int j = __ffs(z) - 1;
        z &= z - 1;
        const int v = (neg >> j) & 1u ? -s[32 * c + j] : s[32 * c + j];
        fx = __dadd_rn(fx, v > 0 ? a.unit : -a.unit);
      }
    }
    xs[x] = s[x] > 0 ? fx : -fx;
  }
  __syncthreads();
  double e2 = 0;
  if (threadIdx.x == 0)
    for (int i = 0; i < n; i++) e2 = __dadd_rn(e2, xs[i]);
  return __dmul_rn(-0.5, e2);
}

__global__ void sa_dense_kernel(sa_args a) {
  extern __shared__ uint32_t sm[];
  const int n = a.n, nb = a.nb, n32 = 32 * nb, G = a.group, nblk = (n + 3) / 4;
  const int tid = threadIdx.x, bd = blockDim.x, lane = tid & 31, warp = tid >> 5;
  float *thr = (float *)sm;                /* n32 */
  uint32_t *Pm = (uint32_t *)(thr + n32);  /* G: the chunk's flips to +1 (lists: all flips) */
  uint32_t *Mm = Pm + G;                   /* G: to -1 */
  uint32_t *Sm = Mm + G;                   /* 2 G nb: initial spin masks */
  int16_t *f = (int16_t *)(Sm + 2 * G * nb); /* G x n32 */
  int16_t *qs = f + G * n32;               /* G x n32, by update */
  int16_t *fsite = qs + G * n32;           /* G x 32: lists: the chunk's flipped sites */
  int16_t *st = fsite + G * 32;            /* lists: G x n32, the sweep's sites or flips */
  int8_t *s = (int8_t *)(st + (a.lists ? G * n32 : 0)); /* G x n32 */
  int8_t *fv = s + G * n32;                /* G x 32: lists: their old spins */
  __shared__ double E0s[8];
  __shared__ int chk[8], reached[8], nlist[8];
  const uint64_t r0 = (uint64_t)blockIdx.x * G;
  const int nr = (int)min((uint64_t)G, a.reads - r0);
  for (int i = tid; i < G * n32; i += bd) {
    s[i] = 1;
    f[i] = 0;
    qs[i] = 0; /* padding sites: s f = 0 < 0 never holds */
  }
  __syncthreads();
  for (int idx = tid; idx < nr * nblk; idx += bd) {
    const int r = idx / nblk, b = idx % nblk;
    uint32_t w[4];
    ceas_gpu_philox4x32_key((uint32_t)b, 0, SA_INIT_C, SA_INIT_C, a.key[2 * (r0 + r)],
                            a.key[2 * (r0 + r) + 1], w);
    for (int q = 0; q < 4; q++)
      if (4 * b + q < n) s[r * n32 + 4 * b + q] = (w[q] >> 31) ? 1 : -1;
  }
  __syncthreads();
  for (int p = warp; p < nr * nb; p += bd >> 5) {
    const int r = p / nb, c = p % nb, i = 32 * c + lane;
    const int8_t v = s[r * n32 + i];
    const uint32_t up = __ballot_sync(0xffffffffu, i < n && v > 0);
    const uint32_t dn = __ballot_sync(0xffffffffu, i < n && v < 0);
    if (lane == 0) Sm[2 * p] = up, Sm[2 * p + 1] = dn;
  }
  __syncthreads();
  /* Fields from scratch, exact: f_x = sum_{s_k = +1} J_xk - sum_{s_k = -1} J_xk. */
  for (int x = tid; x < n; x += bd) {
    int acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int c = 0; c < nb; c++) {
      uint32_t z, neg;
      anneal_bits_words(a.J, c, x, &z, &neg);
      for (int r = 0; r < nr; r++)
        acc[r] += anneal_bits_pm(z, neg, Sm[2 * (r * nb + c)], Sm[2 * (r * nb + c) + 1]);
    }
    for (int r = 0; r < nr; r++) f[r * n32 + x] = (int16_t)acc[r];
  }
  for (int idx = tid; idx < nr * n; idx += bd)
    a.best[(r0 + idx / n) * n + idx % n] = s[(idx / n) * n32 + idx % n];
  /* The CPU's initial energy E0 (sa.c's first target check is on it). */
  if (a.track) {
    for (int rr = 0; rr < nr; rr++) {
      const double e = sa_pm_energy(a, s + rr * n32);
      if (tid == 0) {
        E0s[rr] = e;
        reached[rr] = a.has_target && e <= a.reach;
        if (a.has_target) a.to_target[r0 + rr] = reached[rr] ? 0 : UINT64_MAX;
      }
    }
    __syncthreads();
  }
  /* Warp r's bookkeeping of read r (every lane the same). */
  int64_t de_run = 0, best_de = 0;
  uint64_t flips = 0, best_sweep = 0, dsum = 0; /* dsum: this lane's sites */
  const int r = warp;
  const int mine = r < nr;
  int16_t *fr = f + r * n32, *qr = qs + r * n32, *str = st + r * n32;
  int8_t *sr = s + r * n32;
  const double E0 = a.track && mine ? E0s[r] : 0;
  double last_checked = INFINITY;
  for (uint64_t k = 0; k < a.sweeps; k++) {
    const float *tk = a.thr + k * (uint64_t)n;
    for (int i = tid; i < n32; i += bd) thr[i] = i < n ? tk[i] : 0.0f;
    __syncthreads();
    for (int idx = tid; idx < nr * nblk; idx += bd) {
      const int rr = idx / nblk, b = idx % nblk;
      uint32_t w[4];
      ceas_gpu_philox4x32_key((uint32_t)b, 0, (uint32_t)k, (uint32_t)(k >> 32),
                              a.key[2 * (r0 + rr)], a.key[2 * (r0 + rr) + 1], w);
      for (int q = 0; q < 4; q++)
        if (4 * b + q < n)
          qs[rr * n32 + 4 * b + q] = (int16_t)sa_qstar(thr, n, __uint2float_rn(w[q]));
      if (a.random) {
        /* machine.c's site words: blocks from 2^32 on, site (v n) >> 32. */
        ceas_gpu_philox4x32_key((uint32_t)b, 1, (uint32_t)k, (uint32_t)(k >> 32),
                                a.key[2 * (r0 + rr)], a.key[2 * (r0 + rr) + 1], w);
        for (int q = 0; q < 4; q++)
          if (4 * b + q < n)
            st[rr * n32 + 4 * b + q] = (int16_t)(((uint64_t)w[q] * (uint64_t)n) >> 32);
      }
    }
    __syncthreads();
    int acc = 0; /* lane's share of the sweep's dE, in units */
    if (!a.lists) {
      for (int c = 0; c < nb; c++) {
        if (mine) {
          const int site = 32 * c + lane;
          const int valid = site < n;
          int fl = fr[site], sl = sr[site];
          const int q = qr[site];
          uint32_t z = 0, neg = 0;
          if (valid) anneal_bits_words(a.J, c, site, &z, &neg);
          int jr[32];
#pragma unroll
          for (int j = 0; j < 32; j++) jr[j] = (z >> j) & 1u ? ((neg >> j) & 1u ? -1 : 1) : 0;
          uint32_t P = 0, M = 0;
#pragma unroll
          for (int j = 0; j < 32; j++) {
            if (32 * c + j >= n) break;
            const int sf = sl * fl;
            /* Lane j's decision, broadcast as its old spin (0: rejected). */
            const int v = __shfl_sync(0xffffffffu, sf < q ? sl : 0, j);
            if (v) {
              fl -= 2 * v * jr[j];
              if (lane == j) {
                sl = -sl;
                acc += 2 * sf;
                dsum += (uint64_t)a.deg[site];
              }
              if (v < 0)
                P |= 1u << j;
              else
                M |= 1u << j;
            }
          }
          if (valid) sr[site] = (int8_t)sl;
          if (lane == 0) Pm[r] = P, Mm[r] = M;
          flips += (uint64_t)__popc(P | M);
        }
        __syncthreads();
        uint32_t any = 0;
        for (int rr = 0; rr < nr; rr++) any |= Pm[rr] | Mm[rr];
        if (any) {
          for (int x = tid; x < n; x += bd) {
            uint32_t z, neg;
            anneal_bits_words(a.J, c, x, &z, &neg);
            for (int rr = 0; rr < nr; rr++) {
              const uint32_t P = Pm[rr], M = Mm[rr];
              if (P | M) f[rr * n32 + x] = (int16_t)(f[rr * n32 + x] + 2 * anneal_bits_pm(z, neg, P, M));
            }
          }
        }
        __syncthreads();
      }
    } else {
      /* Random order or sync: the sweep's list of updates (the sites in update
       * order; sync: the accepted ones, decided on the starting state, which then
       * flip unconditionally, as sweep_npu applies them). A chunk of 32 entries
       * may name a site twice: every lane holding a flipped site flips its spin
       * (J_ii = 0 leaves its field). The chunk's couplings are gathered from the
       * bit matrices, its flips applied to the fields one by one. */
      if (mine) {
        int cnt = n;
        if (a.sync) {
          cnt = 0;
          for (int c = 0; c < nb; c++) {
            const int t = 32 * c + lane;
            int i = 0, ok = 0;
            if (t < n) {
              i = a.random ? str[t] : t;
              ok = sr[i] * fr[i] < qr[t];
            }
            const uint32_t m = __ballot_sync(0xffffffffu, ok);
            if (ok) str[cnt + __popc(m & ((1u << lane) - 1u))] = (int16_t)i;
            cnt += __popc(m);
          }
        }
        if (lane == 0) nlist[r] = cnt;
      }
      __syncthreads();
      int nch = 0;
      for (int rr = 0; rr < nr; rr++) nch = max(nch, (nlist[rr] + 31) / 32);
      for (int c = 0; c < nch; c++) {
        if (mine) {
          const int len = nlist[r], e = 32 * c + lane, valid = e < len;
          const int i = valid ? (a.random || a.sync ? str[e] : e) : 0;
          int fl = valid ? fr[i] : 0, sl = valid ? sr[i] : 1;
          const int q = valid && !a.sync ? qr[e] : 0;
          int jr[32];
#pragma unroll
          for (int l = 0; l < 32; l++) {
            const int il = __shfl_sync(0xffffffffu, i, l);
            jr[l] = valid && 32 * c + l < len ? sa_coupling(a.J, i, il) : 0;
          }
          uint32_t mask = 0;
#pragma unroll
          for (int j = 0; j < 32; j++) {
            if (32 * c + j >= len) break;
            const int sf = sl * fl;
            const int v = __shfl_sync(0xffffffffu, a.sync || sf < q ? sl : 0, j);
            const int ij = __shfl_sync(0xffffffffu, i, j);
            if (v) {
              fl -= 2 * v * jr[j];
              if (valid && i == ij) sl = -sl;
              if (lane == j) {
                acc += 2 * sf;
                dsum += (uint64_t)a.deg[i];
                fsite[r * 32 + j] = (int16_t)i;
                fv[r * 32 + j] = (int8_t)v;
              }
              mask |= 1u << j;
            }
          }
          if (valid) sr[i] = (int8_t)sl;
          if (lane == 0) Pm[r] = mask;
          flips += (uint64_t)__popc(mask);
        }
        __syncthreads();
        for (int x = tid; x < n; x += bd)
          for (int rr = 0; rr < nr; rr++) {
            uint32_t m = Pm[rr];
            if (!m) continue;
            int fx = f[rr * n32 + x];
            while (m) {
              const int j = __ffs(m) - 1;
              m &= m - 1;
              fx -= 2 * fv[rr * 32 + j] * sa_coupling(a.J, x, fsite[rr * 32 + j]);
            }
            f[rr * n32 + x] = (int16_t)fx;
          }
        __syncthreads();
      }
    }
    if (mine) {
      for (int o = 16; o; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
      de_run += acc;
      if (de_run < best_de) {
        best_de = de_run;
        best_sweep = k + 1;
        for (int i = lane; i < n; i += 32) a.best[(r0 + r) * n + i] = sr[i];
      }
    }
    if (a.track) {
      /* sa.c: e = E0 + unit e_u (exact fields: never refreshed); the trace; a
       * target candidate, confirmed on the exact energy by the whole block. */
      if (mine && lane == 0) {
        const double e = __dadd_rn(E0, __dmul_rn(a.unit, (double)de_run));
        if (a.trace_every && (k + 1) % a.trace_every == 0)
          a.trace[(r0 + r) * a.trace_len + (k + 1) / a.trace_every - 1] = e;
        chk[r] = a.has_target && !reached[r] && e <= a.cand &&
                 e < __dsub_rn(last_checked, a.noise);
        if (chk[r]) last_checked = e;
      }
      if (a.has_target) {
        __syncthreads();
        for (int rr = 0; rr < nr; rr++)
          if (chk[rr]) {
            const double e = sa_pm_energy(a, s + rr * n32);
            if (tid == 0 && e <= a.reach) {
              reached[rr] = 1;
              a.to_target[r0 + rr] = k + 1;
            }
          }
      }
    }
  }
  if (mine) {
    for (int i = lane; i < n; i += 32) a.final[(r0 + r) * n + i] = sr[i];
    for (int o = 16; o; o >>= 1) dsum += __shfl_xor_sync(0xffffffffu, dsum, o);
    if (lane == 0) {
      a.res[r0 + r].deg_sum = dsum;
      a.res[r0 + r].best_sweep = best_sweep;
      a.res[r0 + r].flips = flips;
      a.res[r0 + r].best_de = best_de;
      a.res[r0 + r].final_de = de_run;
    }
  }
}

extern "C" int ceas_gpu_sa_dense_run(int64_t n, const int8_t *dense8, double unit,
                                     const double *betas, uint64_t sweeps, uint64_t seed,
                                     uint64_t read0, uint64_t reads, int threads, int group,
                                     const ceas_gpu_sa_opts *opt, int8_t *best, int8_t *final,
                                     ceas_gpu_sa_read *res, double *kernel_seconds) {
  ceas_gpu_sa_opts none;
  memset(&none, 0, sizeof none);
  const ceas_gpu_sa_opts *o = opt ? opt : &none;
  if (n < 2 || n > 16384)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 2 <= n <= 16384, got %lld",
                          (long long)n);
  if (sweeps < 1 || sweeps >= (UINT64_C(1) << 32) - 1)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= sweeps < 2^32 - 1");
  if (group < 0 || group > 8)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: group %d: expected 1 .. 8 reads a block "
                          "(0: the most up to 4 that fit)", group);
  if (o->h)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: fields h run on ceas_gpu_sa_dense_real_run");
  if (o->trace_every > sweeps)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: trace_every above the sweeps");
  const int nb = (int)((n + 31) / 32);
  const int lists = o->random || o->sync;
  /* The kernel's shared memory, its layout's order; 8 + 64 bytes a block of
   * static shared arrays beside it. */
#define SA_SMEM(g) ((size_t)(32 * nb) * 4 + (size_t)(2 * (g) + 2 * (g) * nb) * 4 + \
                    (size_t)(g) * (size_t)(32 * nb) * (5 + 2 * lists) + (size_t)(g) * 96)
  if (group == 0)
    for (group = 4; group > 1 && SA_SMEM(group) > 226 * 1024;) group--;
  if (threads < 32 * group || threads > 1024 || threads % 32)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: threads %d: expected a multiple of 32 "
                          "from 32 x group to 1024", threads);
  if (reads < 1 || reads > INT32_MAX)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: expected 1 <= reads < 2^31");
  const size_t nw = (size_t)nb * (size_t)n;
  const size_t smem = SA_SMEM(group);
#undef SA_SMEM
  if (smem > 226 * 1024)
    return ceas_error_set(CEAS_EINPUT, "gpu sa: n = %lld with group %d needs %zu bytes of "
                          "shared memory (at most 226 KiB): use a smaller group",
                          (long long)n, group, smem);
  /* The CPU's tables (machine.c, sweep_int_body), with its expf: zero from kmax
   * on, where the CPU rejects outright, so one comparison decides both. */
  uint32_t *Z = NULL, *N = NULL;
  int complete = 0;
  int rc = anneal_bits_make("gpu sa", n, dense8, &Z, &N, &complete);
  if (rc) return rc;
  float *thr = (float *)calloc((size_t)(sweeps * (uint64_t)n), sizeof *thr);
  uint32_t *key = anneal_read_keys(seed, read0, reads, SA_PURPOSE);
  int *deg = (int *)calloc((size_t)n, sizeof *deg);
  if (!thr || !key || !deg) {
    free(thr), free(key), free(deg), free(Z), free(N);
    return ceas_error_set(CEAS_ENOMEM, "gpu sa: host memory");
  }
  for (int64_t x = 0; x < n; x++)
    for (int c = 0; c < nb; c++) deg[x] += __builtin_popcount(Z[(size_t)c * n + x]);
  for (uint64_t k = 0; k < sweeps && !rc; k++) {
    if (!(betas[k] >= 0) || !isfinite(betas[k])) {
      rc = ceas_error_set(CEAS_EINPUT, "gpu sa: beta of sweep %llu is %g (expected >= 0)",
                          (unsigned long long)k, betas[k]);
      break;
    }
    const float beta_u = (float)(betas[k] * unit);
    float *t = thr + k * (uint64_t)n;
    for (int64_t q = 1; q < n && beta_u * (float)(2 * q) < SA_X_MAX; q++)
      t[q] = expf(-(beta_u * (float)(2 * q))) * 0x1p32f;
    /* q* by bisection needs the table non-increasing (e^-x is; a float expf
     * could break it only between arguments within an ulp, never seen). */
    for (int64_t q = 1; q + 1 < n; q++)
      if (t[q + 1] > t[q]) {
        rc = ceas_error_set(CEAS_EINPUT, "gpu sa: the threshold table of sweep %llu is not "
                            "monotone at |f| = %lld", (unsigned long long)k, (long long)q);
        break;
      }
  }
  if (rc) {
    free(thr), free(key), free(deg), free(Z), free(N);
    return rc;
  }
  sa_args a;
  memset(&a, 0, sizeof a);
  a.n = (int)n;
  a.nb = nb;
  a.group = group;
  a.J.n = (int)n;
  a.J.nb = nb;
  a.J.complete = complete;
  a.sweeps = sweeps;
  a.reads = reads;
  a.random = o->random;
  a.sync = o->sync;
  a.lists = lists;
  a.has_target = o->has_target;
  a.track = o->has_target || o->trace_every;
  a.unit = unit;
  a.noise = 1e-12 * o->abs_sum;
  sa_target_bounds(o, o->abs_sum, &a.reach, &a.cand);
  a.trace_every = o->trace_every;
  const unsigned blocks = (unsigned)((reads + group - 1) / group);
  uint32_t *dZ = NULL, *dN = NULL, *dkey = NULL;
  int *ddeg = NULL;
  float *dthr = NULL;
  double *dscratch = NULL;
  anneal_out<ceas_gpu_sa_read> d = {};
  CUDA_GOTO(anneal_upload(&dZ, Z, nw), "device memory");
  CUDA_GOTO(anneal_upload(&dN, N, nw), "device memory");
  CUDA_GOTO(anneal_upload(&dthr, thr, (size_t)(sweeps * (uint64_t)n)), "device memory");
  CUDA_GOTO(anneal_upload(&dkey, key, (size_t)(2 * reads)), "device memory");
  CUDA_GOTO(anneal_upload(&ddeg, deg, (size_t)n), "device memory");
  CUDA_GOTO(anneal_out_alloc(&d, reads, n, o, sweeps), "device memory");
  if (a.track)
    CUDA_GOTO(cudaMalloc((void **)&dscratch, (size_t)blocks * (size_t)n * sizeof *dscratch),
              "device memory");
  a.J.Z = dZ;
  a.J.N = dN;
  a.deg = ddeg;
  a.thr = dthr;
  a.key = dkey;
  a.best = d.best;
  a.final = d.final;
  a.res = d.res;
  a.scratch = dscratch;
  a.to_target = d.to_target;
  a.trace = d.trace;
  a.trace_len = d.trace_len;
  rc = anneal_launch(GPU_WHO, "sa", sa_dense_kernel, blocks, (unsigned)threads, smem, a, d,
                     reads, n, best, final, res, o, kernel_seconds);
done:
  cudaFree(dZ), cudaFree(dN), cudaFree(ddeg), cudaFree(dthr), cudaFree(dkey);
  cudaFree(dscratch);
  anneal_out_free(&d);
  free(thr), free(key), free(deg), free(Z), free(N);
  return rc;
}
