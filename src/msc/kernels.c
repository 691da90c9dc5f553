/* Kernel sets: the row kernels of kernel_body.inc compiled for AVX-512VL, AVX2 and
 * the baseline instruction set, chosen at run time (the build needs no -mavx2). The
 * baseline set and the table are here; the others are kernels_avx2.c and
 * kernels_avx512.c, one translation unit each so that they compile in parallel. */
#include <string.h>

#include "msc_private.h"
#include "msc_simd.h"

#define MSC_SFX _generic
#define MSC_ISA_NAME "generic"
#include "kernel_body.inc"

const msc_isa *const msc_isas[] = {
#ifdef MSC_HAVE_X86
    &msc_isa_avx512, &msc_isa_avx2,
#endif
    &msc_isa_generic, NULL};

int msc_isa_runs(const char *name) {
#ifdef MSC_HAVE_X86
  if (!strcmp(name, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("bmi2");
  if (!strcmp(name, "avx2"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#endif
  return !strcmp(name, "generic");
}

int msc_isa_pick(const char *who, const char *isa, const char *(*name)(int k), int *index) {
  int any = !strcmp(isa, "auto");
  for (int k = 0; name(k); k++) {
    if (!any && strcmp(name(k), isa)) continue;
    if (!msc_isa_runs(name(k))) {
      if (any) continue;
      return ceas_error_set(CEAS_EINPUT, "%s: this CPU cannot run the %s kernels", who, isa);
    }
    *index = k;
    return CEAS_OK;
  }
  return ceas_error_set(CEAS_EINPUT,
                        "%s: unknown instruction set '%s' (expected auto, avx512, "
                        "avx2 or generic)",
                        who, isa);
}
