/* The CUDA device calls behind ceas_device.h (device_select.c), built only
 * with -DCEASIM_CUDA=ON: a C program uses ceas_device.h, which also exists in a
 * build without CUDA. Errors as ceas_device.h says. */
#ifndef CEAS_GPU_DEVICE_H
#define CEAS_GPU_DEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CUDA devices of this machine into *n; CEAS_EINPUT "no CUDA device: ..." if
 * there are none (no driver counts as none). */
int ceas_gpu_device_count(int *n);
/* cudaSetDevice(index) for this host thread and the ones that follow it. */
int ceas_gpu_device_use(int index);
/* The current device's name into buf (n bytes). */
int ceas_gpu_device_current_name(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
