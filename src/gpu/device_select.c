/* ceas_device.h: the device choice, C compiled into every build (the rest of
 * src/gpu is CUDA, compiled only with -DCEASIM_CUDA), so task, anneal and sweep
 * ask one place whether and which GPU runs; the CUDA calls behind it are in
 * device.cu, linked only into a CUDA build (CEASIM_HAVE_CUDA). */
#include <stdio.h>
#include <string.h>

#include "ceas_core.h"
#include "ceas_device.h"
#ifdef CEASIM_HAVE_CUDA
#include "ceas_gpu_device.h"
#endif

int ceas_device_parse(const char *value, const char *what, ceas_device *out) {
  if (value && !strcmp(value, "cpu"))
    *out = CEAS_DEVICE_CPU;
  else if (value && !strcmp(value, "gpu"))
    *out = CEAS_DEVICE_GPU;
  else
    return ceas_error_set(CEAS_EINPUT, "%s: expected cpu or gpu, got '%s'", what,
                          value ? value : "");
  return CEAS_OK;
}

const char *ceas_device_name(ceas_device d) { return d == CEAS_DEVICE_GPU ? "gpu" : "cpu"; }

int ceas_gpu_require(const char *what) {
  if (!ceas_gpu_available()) return CEAS_OK;
  char msg[256];
  snprintf(msg, sizeof msg, "%s", ceas_error_message());
  return ceas_error_set(CEAS_EINPUT, "%s: %s", what, msg);
}

#ifdef CEASIM_HAVE_CUDA

int ceas_gpu_built(void) { return 1; }

int ceas_gpu_available(void) {
  int n;
  return ceas_gpu_device_count(&n);
}

int ceas_gpu_select(int index, int local_rank, int *chosen) {
  int n, rc = ceas_gpu_device_count(&n);
  if (rc) return rc;
  if (index >= n)
    return ceas_error_set(CEAS_EINPUT, "--gpu: no CUDA device %d (this machine has %d: 0 to %d)",
                          index, n, n - 1);
  const int d = index >= 0 ? index : (local_rank < 0 ? 0 : local_rank % n);
  if ((rc = ceas_gpu_device_use(d))) return rc;
  if (chosen) *chosen = d;
  return CEAS_OK;
}

int ceas_gpu_name(char *buf, size_t n) { return ceas_gpu_device_current_name(buf, n); }

#else

static int no_cuda(void) {
  return ceas_error_set(CEAS_EINPUT, "ceasim was built without CUDA (-DCEASIM_CUDA=ON)");
}

int ceas_gpu_built(void) { return 0; }
int ceas_gpu_available(void) { return no_cuda(); }

int ceas_gpu_select(int index, int local_rank, int *chosen) {
  (void)index, (void)local_rank, (void)chosen;
  return no_cuda();
}

int ceas_gpu_name(char *buf, size_t n) {
  if (n) buf[0] = 0;
  return no_cuda();
}

#endif
