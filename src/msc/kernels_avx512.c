/* The row kernels of kernel_body.inc for AVX512 (see kernels.c). */
#include <string.h>

#include "msc_private.h"
#include "msc_simd.h"

#ifdef MSC_HAVE_X86
#pragma GCC target("avx2,bmi2,avx512f,avx512vl")
#define MSC_SFX _avx512
#define MSC_ISA_NAME "avx512"
#include "kernel_body.inc"
#else
typedef int msc_kernels_avx512_unused; /* not an empty translation unit */
#endif
