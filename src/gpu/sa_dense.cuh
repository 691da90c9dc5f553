/* Internal to src/gpu's sa (sa_dense.cu: ±1 couplings, sa_dense_real.cu: real
 * couplings): the CPU's constants and target rule that both kernels share. */
#ifndef CEAS_GPU_SA_DENSE_CUH
#define CEAS_GPU_SA_DENSE_CUH

#include "ceas_gpu_sa.h"

/* As src/anneal/sa.c and machine.c: the read key's purpose ("SA"), the counter
 * words of the initial spins, and ln 2^32 (no 32-bit uniform accepts above). */
#define SA_PURPOSE UINT64_C(0x5341)
#define SA_INIT_C 0xFFFFFFFFu
#define SA_X_MAX 22.18f

/* The CPU's target bounds (sa.c): reach = target + tol, cand = reach + slack. */
static inline void sa_target_bounds(const ceas_gpu_sa_opts *o, double abs_sum, double *reach,
                                    double *cand) {
  *reach = o->target + o->target_tol;
  *cand = *reach + 1e-6 * abs_sum;
}

#endif
