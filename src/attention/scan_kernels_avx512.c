/* The scan kernels of scan_body.inc for AVX512 (see scan_kernels.c). */
#include "scan_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2,avx512f,avx512dq")
#define ATT_SFX _avx512
#define ATT_W 8
#define ATT_NAME "avx512"
#include "scan_body.inc"
#else
typedef int ceas_att_kernels_avx512_unused; /* not an empty translation unit */
#endif
