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
 * Random order or sync (either kernel): a chunk is 32 entries of the sweep's
 * list of updates (random: its sites, with repeats; sync: the accepted ones),
 * the couplings among them gathered, the flips applied one by one.
 *
 * Real couplings (float fields): up to 4 reads a block, warp r deciding read r's
 * chunk as above with float fields, the rows of each read's flips added field by
 * field in its flip order (sa_dense_real_kernel below).
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

/* As src/anneal/sa.c and machine.c: the read key's purpose ("SA"), the counter
 * words of the initial spins, and ln 2^32 (no 32-bit uniform accepts above). */
#define SA_PURPOSE UINT64_C(0x5341)
#define SA_INIT_C 0xFFFFFFFFu
#define SA_X_MAX 22.18f

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

/* The CPU's target bounds (sa.c): reach = target + tol, cand = reach + slack. */
static void sa_target_bounds(const ceas_gpu_sa_opts *o, double abs_sum, double *reach,
                             double *cand) {
  *reach = o->target + o->target_tol;
  *cand = *reach + 1e-6 * abs_sum;
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

/* ---- real couplings: float32 fields, the CPU's float path ------------------
 * machine.c's float path (sweep_float_body or, sync, sweep_npu; refresh_fields,
 * accept) with its unit and fields, operation for operation: every float
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
