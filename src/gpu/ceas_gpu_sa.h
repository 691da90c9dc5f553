/* The annealer on the GPU (issue 18): sa (src/anneal/sa.c) on dense ±1 or real
 * couplings and sb-discrete (src/anneal/sb.c) on dense ±1 couplings, many reads
 * at once, one thread block a read, each read bit for bit the CPU's chain of the
 * same (seed, read).
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
 * CPU's rule, in exact integers). sa_dense.cu, sa_dense_real.cu and sb_dense.cu
 * say how the kernels work. */
#ifndef CEAS_GPU_SA_H
#define CEAS_GPU_SA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint64_t best_sweep; /* sweep after which the best state was first held */
  uint64_t flips;      /* accepted flips */
  uint64_t deg_sum;    /* the flipped sites' nonzero couplings, summed (the cost model) */
  int64_t best_de;     /* best energy - initial energy, in units of unit (exact) */
  int64_t final_de;    /* final energy - initial energy, likewise */
} ceas_gpu_sa_read;

/* What a sa run does beyond plain sequential asynchronous sweeps, as the CPU's
 * options of the same name do it (src/anneal/sa.c, machine.c); zeroed: nothing.
 * random (--order random): update t of sweep k visits site (v_t n) >> 32, v_t
 * word t of the blocks (2^32 + t/4, k low, k high) under the read's key; sync
 * (--update sync): every update of the sweep decides on the sweep's starting
 * state, the accepted flips then apply in update order. h: fields (real-coupling
 * run only; NULL: none). has_target: the CPU's running target: a read reaches it
 * at the first end of sweep whose running energy e (the CPU's double
 * bookkeeping) is <= target + target_tol + 1e-6 abs_sum and 1e-12 abs_sum below
 * every e checked before, where the exact energy (ceas_anneal_energy's sums, in
 * its order) is <= target + target_tol; the initial state is checked likewise.
 * abs_sum: the problem's (sum of |J_ij|, i < j, and |h_i|). sweeps_to_target
 * (host, reads): that sweep, 0 for the initial state, UINT64_MAX if never.
 * trace_every > 0: trace (host, reads x sweeps / trace_every) gets the running
 * energy e after every trace_every-th sweep, as the CPU's --trace-every. */
typedef struct {
  int random, sync;
  const double *h;
  double abs_sum;
  int has_target;
  double target, target_tol;
  uint64_t *sweeps_to_target;
  uint64_t trace_every;
  double *trace;
} ceas_gpu_sa_opts;

/* Reads read0 .. read0 + reads - 1 of sa with seed on the n x n int8 couplings
 * dense8 (J_ij / unit in {-1, 0, 1}, symmetric, zero diagonal; 2 <= n <= 16384)
 * along betas[sweeps] (finite, >= 0; sweeps < 2^32 - 1), with opt (NULL: none;
 * no fields h here). Outputs (host memory,
 * NULL to skip): best and final configurations reads x n, per-read results;
 * *kernel_seconds the GPU time of the annealing kernel. group: reads a block
 * (1..8; shared memory 5 group n + 4 n bytes, at most 227 KiB; 0: the most up to
 * 4 that fit, 4 measured fastest at n = 2000 on the H100), threads: a
 * block's threads (a multiple of 32, 32 group .. 1024). Returns CEAS_OK or an
 * error code with a message. */
int ceas_gpu_sa_dense_run(int64_t n, const int8_t *dense8, double unit, const double *betas,
                          uint64_t sweeps, uint64_t seed, uint64_t read0, uint64_t reads,
                          int threads, int group, const ceas_gpu_sa_opts *opt, int8_t *best,
                          int8_t *final, ceas_gpu_sa_read *res, double *kernel_seconds);

/* A read of the real-coupling sa or of sb: best_e, final_e the kernel's running
 * energies (sa: the CPU's double bookkeeping, refreshed every 256 sweeps; sb:
 * exact, -unit s.J s / 2); best_sweep the sweep or step after which the best
 * state was first held (0: the initial state); flips accepted flips (sb: sign
 * changes); deg_sum as in ceas_gpu_sa_read (sa; 0 for sb). */
typedef struct {
  uint64_t best_sweep;
  uint64_t flips;
  uint64_t deg_sum;
  double best_e;
  double final_e;
} ceas_gpu_anneal_read;

/* sa on real couplings: J n x n doubles (finite, symmetric, zero diagonal; 2 <=
 * n <= 4096) and the fields opt->h (NULL or opt NULL: none) in the CPU's unit
 * (|J_ij| of a one-magnitude problem, else 1: the float fields and couplings are
 * in units); abs_sum the problem's sum of |J_ij| over i < j and |h_i| (the CPU's
 * noise floor 1e-12 abs_sum of an improvement). The CPU's float path operation
 * for operation: float32 fields updated row by row in flip order, each decision
 * (float)u < expf(-beta unit de) 2^32 with glibc's expf, the energy's double
 * bookkeeping and its refresh from the double couplings every 256 sweeps. Up to
 * 4 reads a block (as many as fit in shared memory, about 9 n bytes a read, 18 n
 * with random order or sync, beside 8 n; at most 32 x threads reads). Other
 * arguments and outputs as ceas_gpu_sa_dense_run (opt->abs_sum unused). */
int ceas_gpu_sa_dense_real_run(int64_t n, const double *J, double unit, double abs_sum,
                               const double *betas, uint64_t sweeps, uint64_t seed,
                               uint64_t read0, uint64_t reads, int threads,
                               const ceas_gpu_sa_opts *opt, int8_t *best, int8_t *final,
                               ceas_gpu_anneal_read *res, double *kernel_seconds);

/* sb-discrete on dense ±1 couplings (dense8 as ceas_gpu_sa_dense_run; 2 <= n <=
 * 8192), steps time steps with the CPU's dt, a0, c0 (in energy units) and x_init
 * (the values sb reports as used): x_i, y_i from the read's "SB" key as sb.c draws
 * them, each step sb_move in float32 with the CPU's rounding (no fused
 * operations) and the readout s = sign(x) with its exact integer fields. The best
 * state: the first of the lowest exact energy; the CPU decides on a double
 * running energy whose rounding drift stays below its noise floor of 1e-12
 * abs_sum, hence the same decisions (checked read by read). group: reads a
 * block (1..8; shared memory about 13 group n bytes, at most 227 KiB; 0 as in
 * ceas_gpu_sa_dense_run). */
int ceas_gpu_sb_dense_run(int64_t n, const int8_t *dense8, double unit, double dt, double a0,
                          double c0, double x_init, uint64_t steps, uint64_t seed,
                          uint64_t read0, uint64_t reads, int threads, int group, int8_t *best,
                          int8_t *final, ceas_gpu_anneal_read *res, double *kernel_seconds);

/* sb-discrete where the CPU's readout fields are float32 sums, not exact
 * integers: real couplings, fields, or a target or trace asked of ±1 couplings.
 * J n x n doubles (finite, symmetric, zero diagonal; 2 <= n <= 8192), in energy
 * units, the rows the CPU holds dense (the float rows (float)(J_ij / unit), or
 * its int8 signs: the same sums); unit the CPU's (|J_ij| of a one-magnitude
 * problem, else 1); abs_sum the problem's (sum of |J_ij|, i < j, and |h_i|);
 * dt, a0, c0, x_init and steps as ceas_gpu_sb_dense_run. opt (NULL: none): h
 * the fields (NULL: none), the target and trace as for sa; random and sync
 * must be 0. Each read is the CPU's read operation for operation
 * (src/anneal/npu.c's readout): sb_move in float32, the sign changes flipped in
 * site order, each adding 2 s_j g_j unit to the double energy and +-2 J_jk to
 * the float fields, a recompute from the rows when more than n/2 signs changed
 * and every 256 steps of flips (not for one magnitude without field: the CPU's
 * exact readout), the best state and the target on that running energy. One
 * block a read, shared memory about 21 n bytes. best_e and final_e: the running
 * energies. Other arguments and outputs as ceas_gpu_sb_dense_run. */
int ceas_gpu_sb_dense_real_run(int64_t n, const double *J, double unit, double abs_sum,
                               double dt, double a0, double c0, double x_init, uint64_t steps,
                               uint64_t seed, uint64_t read0, uint64_t reads, int threads,
                               const ceas_gpu_sa_opts *opt, int8_t *best, int8_t *final,
                               ceas_gpu_anneal_read *res, double *kernel_seconds);

#ifdef __cplusplus
}
#endif
#endif
