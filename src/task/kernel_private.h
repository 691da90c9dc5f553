/* Internal to the kernel table (src/task/kernel.c): what its CPU and GPU halves
 * share. The GPU entries exist only in a CUDA build (CEASIM_HAVE_CUDA,
 * kernel_gpu.c). */
#ifndef CEAS_KERNEL_PRIVATE_H
#define CEAS_KERNEL_PRIVATE_H

#include "ceas_kernel.h"

/* The `rng` attributes of a run's files (ceas_kernel_type.rng_lattice). */
#define KERNEL_RNG_BULK                                                                   \
  "Philox4x32-10 (Random123) for the updates: one bulk stream keyed by (seed, "           \
  "stream, kernel), AVX2 and scalar paths bitwise equal; Philox4x64-10 for the "          \
  "initial spins"
#define KERNEL_RNG_PLAIN "Philox4x64-10 (Random123)"

/* Sweeps per call of an msc kernel at most: the calls are where a stop request is
 * noticed, and a few dozen sweeps already give the kernel its temporal blocking. */
#define KERNEL_MSC_CHUNK 64

/* The n spins of dataset "spins" under f as +-1, checked: a checkpoint is input
 * like any other file (`path` names it in messages). */
int kernel_read_spins(int8_t *spins, int64_t n, hid_t f, const char *path);

/* The constraints of the msc kernels on (model, L, h), CPU and GPU alike. */
int kernel_msc_check(const ceas_kernel_type *T, ceas_model_kind model, long L, double h);

#ifdef CEASIM_HAVE_CUDA
extern const ceas_kernel_type kernel_gpu_msc_single, kernel_gpu_msc64, kernel_gpu_msc256,
    kernel_gpu_msc64_anti, kernel_gpu_msc256_anti;
#endif

#endif
