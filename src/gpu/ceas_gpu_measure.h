/* Measurements of a GPU msc-single or replica-packed state on the device
 * (src/gpu/measure.cu), so that a run's measurement copies at most (dim L + 1) R
 * counts to the host, not the lattice.
 * Built only with -DCEASIM_CUDA=ON; errors as ceas_gpu.h. */
#ifndef CEAS_GPU_MEASURE_H
#define CEAS_GPU_MEASURE_H

#include <stdint.h>

#include "ceas_gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ceas_gpu_meter ceas_gpu_meter;

/* Device counters for an msc-single torus of dimension dim (2 or 3), L a side. */
int ceas_gpu_meter_alloc(int dim, long L, ceas_gpu_meter **out);
void ceas_gpu_meter_free(ceas_gpu_meter *m);

/* The totals of ceas_msc_single_measure, exact integers: *E = -(sum of s_i s_j
 * over the dim N bonds), *M = sum of s_i; and, proj not NULL, the dim L axis
 * projections proj[d L + i] (the sum of the spins with coordinate i along axis
 * d: x, y, z), the input of ceas_lattice_structure_factor_from_projections.
 * Waits for the state's queued sweeps. */
int ceas_gpu_meter_single(ceas_gpu_meter *m, const ceas_gpu_msc_single *st, int64_t *E,
                          int64_t *M, int64_t *proj);

/* A meter for a replica state of `replicas` (64 or 256; 1: as
 * ceas_gpu_meter_alloc). */
int ceas_gpu_meter_alloc_replicas(int dim, long L, int replicas, ceas_gpu_meter **out);

/* The totals of ceas_msc_measure, exact integers, E[r] and M[r] for each of the
 * R replicas; and, proj not NULL, the dim L R axis projections proj[(d L + i) R
 * + r] (replica r's ceas_gpu_meter_single projections), from which
 * ceas_lattice_structure_factor_from_projections gives ceas_msc_measure_sf's
 * F[r] to the bit. Waits for the state's queued sweeps. */
int ceas_gpu_meter_replica(ceas_gpu_meter *m, const ceas_gpu_msc *st, int64_t *E, int64_t *M,
                           int64_t *proj);

#ifdef __cplusplus
}
#endif

#endif
