/* Shared between the files of src/anneal; not part of the contract. */
#ifndef CEAS_ANNEAL_PRIVATE_H
#define CEAS_ANNEAL_PRIVATE_H

#include "ceas_anneal.h"

/* Philox4x64 stream of instance generation, apart from the read streams (the
 * read number) by being far above any read count. ASCII "instance". */
#define CEAS_ANNEAL_INSTANCE_STREAM UINT64_C(0x696e7374616e6365)

/* One entry per method file. */
extern const ceas_anneal_method ceas_anneal_method_sa;
/* sa-msc.c: sa on even ±J tori in the replica-packed kernel, 64 reads at once. */
extern const ceas_anneal_method ceas_anneal_method_sa_msc;
/* Whether sa-msc can run the problem (generated ea2d/ea3d, ±J, even L, no field). */
int ceas_anneal_sa_msc_applies(const ceas_anneal_problem *pb);

/* gpu.c: sa and sb-discrete on the GPU, the twins (ceas_anneal_method.gpu) of sa.c's
 * and sb.c's entries. */
extern const ceas_anneal_method ceas_anneal_method_sa_gpu, ceas_anneal_method_sb_discrete_gpu;
/* Whether a GPU twin runs the instance on its bit-matrix kernel (±J couplings, no
 * field; sb-discrete also without target or trace), else on its float kernel:
 * what the report's first line names. */
int ceas_anneal_gpu_bit_matrices(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                                 const ceas_anneal_params *p);

/* The non-pt methods' shape() and finish(): sweeps of the schedule, no bytes
 * beyond a read's configuration and trace, nothing more to hand over. */
void ceas_anneal_shape_schedule(const ceas_anneal_params *p, uint64_t *sweeps,
                                size_t *read_bytes);
int ceas_anneal_finish_none(void *work, struct ceas_anneal_result *r);

/* The `rng` attribute of the local-field methods (sa, ceas, pt's walkers). */
#define CEAS_ANNEAL_RNG_FIELDS                                                              \
  "Philox4x32-10 (Random123) for the spin updates: one bulk stream per read or walker, " \
  "AVX2 and scalar paths bitwise equal; Philox4x64-10 for the initial spins, pt's "      \
  "swaps and stochastic rounding of the couplings"
/* ... of sb and analog. */
#define CEAS_ANNEAL_RNG_DYN                                                                  \
  "Philox4x32-10 (Random123) for the initial state and field noise (bulk stream, AVX2 "  \
  "and scalar paths bitwise equal); the dynamics are deterministic; Philox4x64-10 for "  \
  "stochastic rounding of the couplings"
/* ... of the packed kernels (sa, pt). */
#define CEAS_ANNEAL_RNG_PACKED "Philox4x64-10 (Random123)"

/* Builds a problem from an edge list (i < j, 0-based, no duplicates, sorted or not)
 * and fields (NULL: none); `source`/`origin` as in the problem. Takes no ownership. */
int ceas_anneal_build(int64_t n, int64_t ne, const int32_t *ei, const int32_t *ej,
                      const double *w, const double *h, ceas_anneal_source source,
                      const char *origin, ceas_anneal_problem **out);

#endif
