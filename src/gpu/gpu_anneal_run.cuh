/* Internal to src/gpu's annealers (sa_dense.cu, sa_dense_real.cu, sb_dense.cu):
 * the host side every annealer run shares: the reads' Philox keys, the per-read
 * outputs on the device, the inputs' upload, and the timed launch that brings
 * the outputs back. */
#ifndef CEAS_GPU_ANNEAL_RUN_CUH
#define CEAS_GPU_ANNEAL_RUN_CUH

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#include "ceas_core.h"
#include "ceas_gpu_sa.h"
#include "gpu_private.h"

/* Read r's two Philox4x32 key words at [2r, 2r + 1]: the CPU method's key of
 * (seed, read0 + r) for its purpose, so that read r is the CPU's read read0 + r.
 * NULL when out of memory (the caller frees the array). */
static inline uint32_t *anneal_read_keys(uint64_t seed, uint64_t read0, uint64_t reads,
                                         uint64_t purpose) {
  uint32_t *key = (uint32_t *)malloc((size_t)(2 * reads) * sizeof *key);
  for (uint64_t r = 0; key && r < reads; r++) {
    ceas_rng_key rk = {seed, read0 + r};
    ceas_rng_key32 k32 = ceas_rng_key32_derive(rk, purpose);
    key[2 * r] = k32.k[0];
    key[2 * r + 1] = k32.k[1];
  }
  return key;
}

/* What every read writes on the device: its record (Rec) and its best and final
 * configurations, n bytes each; and, where the run's options ask for them, its
 * sweep of reaching the target and its trace of trace_len energies (else NULL). */
template <typename Rec>
struct anneal_out {
  int8_t *best, *final;
  Rec *res;
  uint64_t *to_target;
  double *trace;
  uint64_t trace_len;
};

/* opt (NULL: neither) says whether the reads have a target and every how many of
 * the run's `sweeps` sweeps (sb: steps) they trace their energy. */
template <typename Rec>
static cudaError_t anneal_out_alloc(anneal_out<Rec> *o, uint64_t reads, int64_t n,
                                    const ceas_gpu_sa_opts *opt, uint64_t sweeps) {
  o->best = o->final = NULL;
  o->res = NULL;
  o->to_target = NULL;
  o->trace = NULL;
  o->trace_len = opt && opt->trace_every ? sweeps / opt->trace_every : 0;
  cudaError_t e = cudaMalloc((void **)&o->best, (size_t)(reads * (uint64_t)n));
  if (e == cudaSuccess) e = cudaMalloc((void **)&o->final, (size_t)(reads * (uint64_t)n));
  if (e == cudaSuccess) e = cudaMalloc((void **)&o->res, (size_t)reads * sizeof *o->res);
  if (e == cudaSuccess && opt && opt->has_target)
    e = cudaMalloc((void **)&o->to_target, (size_t)reads * sizeof *o->to_target);
  if (e == cudaSuccess && o->trace_len)
    e = cudaMalloc((void **)&o->trace, (size_t)(reads * o->trace_len) * sizeof *o->trace);
  return e;
}

template <typename Rec>
static void anneal_out_free(anneal_out<Rec> *o) {
  cudaFree(o->best), cudaFree(o->final), cudaFree(o->res);
  cudaFree(o->to_target), cudaFree(o->trace);
}

/* *d = a new device copy of the host array h[count] (cudaMalloc, then
 * cudaMemcpy). *d is NULL when the allocation fails and the allocation when the
 * copy does: the caller cudaFrees *d either way. */
template <typename T>
static cudaError_t anneal_upload(T **d, const T *h, size_t count) {
  *d = NULL;
  cudaError_t e = cudaMalloc((void **)d, count * sizeof **d);
  if (e == cudaSuccess) e = cudaMemcpy(*d, h, count * sizeof **d, cudaMemcpyHostToDevice);
  return e;
}

/* kernel<<<blocks, threads, smem>>>(a) with smem bytes of dynamic shared memory,
 * waited for and timed by CUDA events (*kernel_seconds, when not NULL); then the
 * outputs asked for are copied back: best, final, res (NULL for none) and, where
 * d has them, opt's sweeps_to_target and trace (opt: anneal_out_alloc's). Errors are
 * "<who>: <name> kernel...: <CUDA's message>" or "<who>: copy: ...". */
template <typename Args, typename Rec>
static int anneal_launch(const char *who, const char *name, void (*kernel)(Args),
                         unsigned blocks, unsigned threads, size_t smem, const Args &a,
                         const anneal_out<Rec> &d, uint64_t reads, int64_t n, int8_t *best,
                         int8_t *final, Rec *res, const ceas_gpu_sa_opts *opt,
                         double *kernel_seconds) {
  char launch[64], run[64];
  snprintf(launch, sizeof launch, "%s kernel launch", name);
  snprintf(run, sizeof run, "%s kernel", name);
  cudaEvent_t e0 = NULL, e1 = NULL;
  const char *what = "shared memory";
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       (int)smem);
  if (e == cudaSuccess) what = "event", e = cudaEventCreate(&e0);
  if (e == cudaSuccess) e = cudaEventCreate(&e1);
  if (e == cudaSuccess) e = cudaEventRecord(e0);
  if (e == cudaSuccess) {
    kernel<<<blocks, threads, smem>>>(a);
    what = launch, e = cudaGetLastError();
  }
  if (e == cudaSuccess) what = "event", e = cudaEventRecord(e1);
  if (e == cudaSuccess) what = run, e = cudaEventSynchronize(e1);
  if (e == cudaSuccess && kernel_seconds) {
    float ms = 0;
    what = "event", e = cudaEventElapsedTime(&ms, e0, e1);
    *kernel_seconds = ms * 1e-3;
  }
  const size_t conf = (size_t)(reads * (uint64_t)n);
  if (e == cudaSuccess) what = "copy";
  if (e == cudaSuccess && res)
    e = cudaMemcpy(res, d.res, (size_t)reads * sizeof *res, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess && best) e = cudaMemcpy(best, d.best, conf, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess && final) e = cudaMemcpy(final, d.final, conf, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess && d.to_target && opt->sweeps_to_target)
    e = cudaMemcpy(opt->sweeps_to_target, d.to_target, (size_t)reads * sizeof *d.to_target,
                   cudaMemcpyDeviceToHost);
  if (e == cudaSuccess && d.trace && opt->trace)
    e = cudaMemcpy(opt->trace, d.trace, (size_t)(reads * d.trace_len) * sizeof *d.trace,
                   cudaMemcpyDeviceToHost);
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  return e == cudaSuccess ? CEAS_OK : ceas_gpu_fail(who, e, what);
}

#endif
