/* Which CUDA device a process uses (ceas_gpu_device.h). */
#include <cuda_runtime.h>
#include <stdio.h>

#include "ceas_gpu_device.h"
#include "gpu_private.h"

#define GPU_WHO "gpu"

extern "C" {

int ceas_gpu_device_count(int *n) {
  *n = 0;
  const cudaError_t e = cudaGetDeviceCount(n);
  /* No driver, or a driver without devices: a machine to run elsewhere, not a
   * failure of ours. */
  if (e != cudaSuccess || *n == 0) {
    *n = 0;
    return ceas_error_set(CEAS_EINPUT, "no CUDA device: %s",
                          e != cudaSuccess ? cudaGetErrorString(e) : "the driver lists none");
  }
  return CEAS_OK;
}

int ceas_gpu_device_use(int index) {
  CUDA_TRY(cudaSetDevice(index), "select the device");
  return CEAS_OK;
}

int ceas_gpu_device_current_name(char *buf, size_t n) {
  if (n) buf[0] = 0;
  int d;
  cudaDeviceProp prop;
  CUDA_TRY(cudaGetDevice(&d), "current device");
  CUDA_TRY(cudaGetDeviceProperties(&prop, d), "device properties");
  snprintf(buf, n, "%s", prop.name);
  return CEAS_OK;
}

} /* extern "C" */
