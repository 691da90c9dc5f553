/* The row kernels of kernel_body.inc for AVX2 (see kernels.c). */
#include <string.h>

#include "msc_private.h"
#include "msc_simd.h"

#ifdef MSC_HAVE_X86
#pragma GCC target("avx2,bmi2")
#define MSC_SFX _avx2
#define MSC_ISA_NAME "avx2"
#include "kernel_body.inc"
#else
typedef int msc_kernels_avx2_unused; /* not an empty translation unit */
#endif
