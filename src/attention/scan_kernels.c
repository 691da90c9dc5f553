/* The scan kernels for the baseline instruction set, and the run-time choice;
 * the AVX2 and AVX-512 builds are scan_kernels_avx2.c and scan_kernels_avx512.c. */
#include <stdlib.h>

#include "scan_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATT_HAVE_X86 1
#endif

#define ATT_SFX _generic
#define ATT_W 2
#define ATT_NAME "generic"
#include "scan_body.inc"

#ifndef ATT_HAVE_X86
const ceas_att_kernels ceas_att_kernels_avx2 = {0}, ceas_att_kernels_avx512 = {0};
#endif

static const ceas_att_kernels *forced;

int ceas_att_kernels_supported(const ceas_att_kernels *k) {
#ifdef ATT_HAVE_X86
  if (k == &ceas_att_kernels_avx512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  if (k == &ceas_att_kernels_avx2) return __builtin_cpu_supports("avx2");
#endif
  return k == &ceas_att_kernels_generic;
}

const ceas_att_kernels *ceas_att_kernels_get(void) {
  if (forced) return forced;
  /* As for ceasim's other vector code: the baseline, to time or check it by hand. */
  if (getenv("CEASIM_NO_AVX2")) return &ceas_att_kernels_generic;
  if (ceas_att_kernels_supported(&ceas_att_kernels_avx512)) return &ceas_att_kernels_avx512;
  if (ceas_att_kernels_supported(&ceas_att_kernels_avx2)) return &ceas_att_kernels_avx2;
  return &ceas_att_kernels_generic;
}

int ceas_att_kernels_force(const ceas_att_kernels *k) {
  if (k && !ceas_att_kernels_supported(k)) return -1;
  forced = k;
  return 0;
}
