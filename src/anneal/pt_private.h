/* Pieces of pt.c that pt_msc.c and pt_method.c share (ceas_anneal_pt.h has the
 * rules). Only the pt files include it: it brings mpi.h. Not installed. */
#ifndef CEAS_ANNEAL_PT_PRIVATE_H
#define CEAS_ANNEAL_PT_PRIVATE_H

#include <mpi.h>

#include "anneal_private.h"
#include "ceas_anneal_pt.h"

int ceas_anneal_pt_check_params(const ceas_anneal_pt_params *p);
void ceas_anneal_pt_initial_ladder(const ceas_anneal_pt_params *p, double *betas);
void ceas_anneal_pt_retune(double *betas, int M, const uint64_t *acc, const uint64_t *att);
int ceas_anneal_pt_agree(MPI_Comm comm, int rc);
/* Allocates r's per-temperature arrays (M of them), its energy series (rounds_meas
 * rows of M) and best configuration (n spins); returns 0 if any failed (what did
 * get allocated ceas_anneal_pt_result_free releases), 1 otherwise. */
int ceas_anneal_pt_result_arrays(ceas_anneal_pt_result *r, int M, int64_t n,
                                 uint64_t rounds_meas);
void ceas_anneal_pt_binned(const double *x, size_t n, size_t stride, double *buf,
                           double *mean, double *err);
/* The sweeps of a run, tuning included, as the exchange rounds count them: what
 * trace_every is checked against. */
uint64_t ceas_anneal_pt_total_sweeps(const ceas_anneal_pt_params *p);

#endif
