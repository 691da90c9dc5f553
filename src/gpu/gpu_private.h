/* Internal to src/gpu: how a CUDA runtime error becomes a ceasim error. Every
 * .cu file of the module includes this instead of keeping its own copy. */
#ifndef CEAS_GPU_PRIVATE_H
#define CEAS_GPU_PRIVATE_H

#include <cuda_runtime.h>

#include "ceas_core.h"

/* CEAS_EIO with "<who>: <what>: <CUDA's message>". */
static inline int ceas_gpu_fail(const char *who, cudaError_t e, const char *what) {
  return ceas_error_set(CEAS_EIO, "%s: %s: %s", who, what, cudaGetErrorString(e));
}

/* Returns ceas_gpu_fail(GPU_WHO, ...) from the enclosing function when `call`
 * fails; each file defines GPU_WHO (its message prefix) before using it. */
#define CUDA_TRY(call, what)                                   \
  do {                                                         \
    cudaError_t e_ = (call);                                   \
    if (e_ != cudaSuccess) return ceas_gpu_fail(GPU_WHO, e_, what); \
  } while (0)

/* The same inside a function that frees what it holds at a `done:` label: rc
 * takes the error and control goes there. */
#define CUDA_GOTO(call, what)                    \
  do {                                           \
    cudaError_t e_ = (call);                     \
    if (e_ != cudaSuccess) {                     \
      rc = ceas_gpu_fail(GPU_WHO, e_, what);     \
      goto done;                                 \
    }                                            \
  } while (0)

#endif
