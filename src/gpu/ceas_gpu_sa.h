/* sa (simulated annealing, src/anneal/sa.c) on dense ±1 couplings on the GPU:
 * many reads at once, one thread block a read, each read bit for bit the CPU's
 * chain of the same (seed, read) (issue 18).
 *
 * The CPU chain on a one-magnitude instance without field (the int path of
 * src/anneal/machine.c): key = ceas_rng_key32_derive((seed, r), "SA"); initial
 * s_i = +1 iff the top bit of word i of Philox4x32 blocks (i/4, 0, ~0, ~0); sweep k
 * visits sites 0..n-1 in order, site i accepts iff dE = 2 s_i f_i <= 0 or
 * (float)u < thr_k[dE/2], u word i of blocks (i/4, 0, k low, k high) and thr_k the
 * sweep's table e^-(beta_k unit dE) 2^32 in float32 (0 where beta_k unit dE >=
 * 22.18), tabulated on the host with the CPU's expf. Integer fields make every
 * order of the field updates exact, so the GPU decides a chunk of 32 sites in one
 * warp (the chunk's own couplings in registers) and then applies the chunk's flips
 * to all n fields with the whole block: the sequence of decisions is the CPU's.
 * Best state: the end-of-sweep state of lowest running energy, first held (the
 * CPU's rule, in exact integers). */
#ifndef CEAS_GPU_SA_H
#define CEAS_GPU_SA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint64_t best_sweep; /* sweep after which the best state was first held */
  uint64_t flips;      /* accepted flips */
  int64_t best_de;     /* best energy - initial energy, in units of unit (exact) */
  int64_t final_de;    /* final energy - initial energy, likewise */
} ceas_gpu_sa_read;

/* Reads read0 .. read0 + reads - 1 of sa with seed on the n x n int8 couplings
 * dense8 (J_ij / unit in {-1, 0, 1}, symmetric, zero diagonal; 2 <= n <= 16384)
 * along betas[sweeps] (finite, >= 0; sweeps < 2^32 - 1). Outputs (host memory,
 * NULL to skip): best and final configurations reads x n, per-read results;
 * *kernel_seconds the GPU time of the annealing kernel. threads: a block's
 * threads (a multiple of 32, 32..1024). Returns CEAS_OK or an error code with a
 * message. */
int ceas_gpu_sa_dense_run(int64_t n, const int8_t *dense8, double unit, const double *betas,
                          uint64_t sweeps, uint64_t seed, uint64_t read0, uint64_t reads,
                          int threads, int8_t *best, int8_t *final, ceas_gpu_sa_read *res,
                          double *kernel_seconds);

#ifdef __cplusplus
}
#endif
#endif
