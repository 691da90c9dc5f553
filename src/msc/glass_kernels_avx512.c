/* The glass kernels of glass_body.inc for AVX512 (see glass_kernels.c). */
#include "glass_kernel_common.h"

#ifdef MSC_HAVE_X86
#pragma GCC target("avx2,bmi2,avx512f,avx512vl")
#define GLASS_SFX _avx512
#define GLASS_ISA_NAME "avx512"
#include "glass_body.inc"
#else
typedef int glass_kernels_avx512_unused; /* not an empty translation unit */
#endif
