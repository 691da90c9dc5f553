/* Kernel sets of the ±J glass: the row kernels of glass_body.inc compiled for
 * AVX-512VL, AVX2 and the baseline instruction set, chosen at run time. The
 * baseline set and the table are here; the others are glass_kernels_avx2.c and
 * glass_kernels_avx512.c, one translation unit each so that they compile in parallel.
 *
 * The counting of kernels.c is reused unchanged through one identity: bond (i, j)
 * is unsatisfied iff s_i ^ s_j ^ b_ij = 1 (b = 1 for J = -1, a set spin bit is
 * s = -1), so feeding the adders the neighbour word n ^ B (B = all ones where
 * J = -1) instead of n makes "antiparallel neighbours" read "unsatisfied bonds".
 * A flip turns the k unsatisfied bonds of a site into satisfied ones and the
 * 2d - k satisfied into unsatisfied: dE = 2 (2d - k) - 2 k = 4 (d - k), the
 * ferromagnet's formula with k counted this way. The adders and macros are shared
 * with kernels.c through msc_simd.h; with every B = 0 the kernel is the
 * ferromagnetic one word for word, which test_msc_glass checks bitwise. */
#include "glass_kernel_common.h"

#define GLASS_SFX _generic
#define GLASS_ISA_NAME "generic"
#include "glass_body.inc"

const glass_isa *const glass_isas[] = {
#ifdef MSC_HAVE_X86
    &glass_isa_avx512, &glass_isa_avx2,
#endif
    &glass_isa_generic, NULL};
