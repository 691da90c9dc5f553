/* The vector kernels of the beta-grid scan and of beta*'s fixed point (gibbs.c):
 * scan_body.inc compiled for AVX-512, AVX2 and the baseline instruction set
 * (scan_kernels*.c), chosen at run time. All three are one C text over the same
 * 8 lanes (at each set's own vector width) built without FP contraction
 * (CMakeLists.txt), so every set gives the same bits: the choice changes the
 * speed and never a result (test_attention checks). Private to the attention
 * module and its tests. */
#ifndef CEAS_ATTENTION_SCAN_KERNELS_H
#define CEAS_ATTENTION_SCAN_KERNELS_H

#include <stddef.h>

/* A block of ATT_BLOCK doubles, the unit of every array length below, is one
 * lane each, every lane with its own sums (scan_body.inc's total() is written
 * for 8). */
#define ATT_BLOCK 8
/* Weights below this are set to 0: against S0 >= 1 they change nothing at double
 * precision, and products that leave them subnormal cost a microcode assist each. */
#define ATT_TINY 0x1p-960

typedef struct {
  const char *name;
  /* w_j = e^{beta d_j} (0 below ATT_TINY) for nblk blocks of d <= 0. */
  void (*exp_fill)(const double *d, double beta, double *w, size_t nblk);
  /* Optionally (step) w_j *= r_j (0 below ATT_TINY), then the compensated sums
   * S0 = sum_{d_j < 0} w_j, S1 = sum w_j d_j, S2 = sum w_j (d_j - c)^2 into out. */
  void (*pass)(double *w, const double *r, const double *d, size_t nblk, double c, int step,
               double out[3]);
  /* With w_j = e^{beta d_j} computed on the fly: S0 and S1 as in pass, and
   * sum w_j d_j^2 (about 0: for a derivative, not for Var itself). */
  void (*entropy)(const double *d, double beta, size_t nblk, double out[3]);
} ceas_att_kernels;

extern const ceas_att_kernels ceas_att_kernels_generic, ceas_att_kernels_avx2,
    ceas_att_kernels_avx512;

/* The set to use: the fastest this CPU runs, the baseline if CEASIM_NO_AVX2 is
 * set, or what ceas_att_kernels_force chose. */
const ceas_att_kernels *ceas_att_kernels_get(void);
/* Tests: use set k (it must be supported), or NULL for the automatic choice.
 * Returns 0, or -1 when this CPU cannot run k. */
int ceas_att_kernels_force(const ceas_att_kernels *k);
int ceas_att_kernels_supported(const ceas_att_kernels *k);

#endif
