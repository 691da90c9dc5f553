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

/* Pieces of pt.c that pt_msc.c shares (ceas_anneal_pt.h has the rules). */
#include <mpi.h>
#include "ceas_anneal_pt.h"
int anneal_pt_check_params(const ceas_anneal_pt_params *p);
void anneal_pt_initial_ladder(const ceas_anneal_pt_params *p, double *betas);
void anneal_pt_retune(double *betas, int M, const uint64_t *acc, const uint64_t *att);
int anneal_pt_agree(MPI_Comm comm, int rc);
void anneal_pt_binned(const double *x, size_t n, size_t stride, double *buf, double *mean,
                      double *err);

/* Builds a problem from an edge list (i < j, 0-based, no duplicates, sorted or not)
 * and fields (NULL: none); `source`/`origin` as in the problem. Takes no ownership. */
int ceas_anneal_build(int64_t n, int64_t ne, const int32_t *ei, const int32_t *ej,
                      const double *w, const double *h, ceas_anneal_source source,
                      const char *origin, ceas_anneal_problem **out);

#endif
