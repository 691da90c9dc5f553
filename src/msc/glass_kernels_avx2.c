/* The glass kernels of glass_body.inc for AVX2 (see glass_kernels.c). */
#include "glass_kernel_common.h"

#ifdef MSC_HAVE_X86
#pragma GCC target("avx2,bmi2")
#define GLASS_SFX _avx2
#define GLASS_ISA_NAME "avx2"
#include "glass_body.inc"
#else
typedef int glass_kernels_avx2_unused; /* not an empty translation unit */
#endif
