/*
 * ceas_device — where a run's kernel runs: the CPU (every kernel) or a CUDA GPU
 * (the kernels of src/gpu, in a build configured with -DCEASIM_CUDA=ON or AUTO).
 * The GPU kernels are entries of the kernel table (ceas_kernel.h) under the same
 * names as their CPU twins, and give the same bits on the same Philox counters,
 * so a run, its files and its checkpoints do not depend on the device.
 *
 * A process uses one GPU, chosen by ceas_gpu_select before its first GPU kernel
 * is allocated; the CLI picks the node-local MPI rank modulo the node's GPU count
 * (one GPU per rank when a node has several), or the --gpu N it was given.
 *
 * Errors: CEAS_EINPUT with a one-line message when the build has no CUDA, the
 * machine has no CUDA device, or an index is out of range (a user can fix each
 * by a build option or another machine); CEAS_EIO when the CUDA runtime fails
 * otherwise.
 */
#ifndef CEAS_DEVICE_H
#define CEAS_DEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CEAS_DEVICE_CPU = 0, CEAS_DEVICE_GPU = 1 } ceas_device;

/* "cpu" or "gpu" into *out; CEAS_EINPUT naming `what` otherwise. */
int ceas_device_parse(const char *value, const char *what, ceas_device *out);
/* "cpu" or "gpu". */
const char *ceas_device_name(ceas_device d);

/* CEAS_OK if this build has the GPU kernels and the machine at least one CUDA
 * device; else CEAS_EINPUT "ceasim was built without CUDA (-DCEASIM_CUDA=ON)"
 * or "no CUDA device: <the runtime's reason>". */
int ceas_gpu_available(void);
/* ceas_gpu_available with the message prefixed by `what` ("--device gpu: no
 * CUDA device: ..."). */
int ceas_gpu_require(const char *what);
/* 1 if this build contains the GPU kernels (whether or not a device exists). */
int ceas_gpu_built(void);

/* The GPU this process uses from now on: `index` if >= 0 (CEAS_EINPUT if the
 * machine has no such device), else local_rank modulo the number of devices.
 * *chosen (if not NULL) receives the index. Checks ceas_gpu_available first. */
int ceas_gpu_select(int index, int local_rank, int *chosen);

/* The name of the GPU in use ("NVIDIA H100 80GB HBM3") into buf, n bytes. */
int ceas_gpu_name(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
