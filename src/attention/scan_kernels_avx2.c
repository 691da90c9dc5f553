/* The scan kernels of scan_body.inc for AVX2 (see scan_kernels.c). */
#include "scan_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2")
#define ATT_SFX _avx2
#define ATT_W 4
#define ATT_NAME "avx2"
#include "scan_body.inc"
#else
typedef int ceas_att_kernels_avx2_unused; /* not an empty translation unit */
#endif
