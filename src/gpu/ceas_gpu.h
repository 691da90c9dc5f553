/* GPU kernels (CUDA), built only with -DCEASIM_CUDA=ON (src/gpu/CMakeLists.txt).
 *
 * msc-single on the GPU: the 2D and 3D single-lattice multi-spin-coded
 * checkerboard Metropolis of src/msc/single.c (layout, update rule and Philox draws as
 * ceas_msc.h describes them), bit for bit: on the same key, initial state and
 * betas the lattice after k sweeps equals the CPU kernel's (tests/gpu/).
 *
 * One thread block per 1, 2 or 4 rows of a colour; each thread updates one
 * 64-site word of each of its rows at a time (a row of nw = L / 128 words is
 * walked in chunks of the block's width). The bulk decision of a word needs only its own four Philox
 * blocks. Tied sites (U's top 8 bits equal T_q's, ~0.2 per word) take words of
 * their row's deep stream in the order of j over the whole row: the block
 * scans its words' tie counts to rank them, lists them in shared memory, and
 * each thread draws one deep Philox block for four consecutive ranks.
 *
 * The state lives on the device; get/set copy it in the host layout of
 * ceas_msc_single_unpack (c0, c1: L rows of nw words each, no halos).
 *
 * Errors: CEAS_EINPUT with a message for bad arguments, CEAS_ENOMEM, and
 * CEAS_EIO with the CUDA error string when the runtime fails (no device, launch
 * failure). */
#ifndef CEAS_GPU_H
#define CEAS_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"
#include "ceas_msc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Name of CUDA device 0 into buf (n bytes), "" if none. */
int ceas_gpu_device_name(char *buf, size_t n);

typedef struct ceas_gpu_msc_single ceas_gpu_msc_single;

/* 2D torus of L sites a side (L a multiple of 128, 128 <= L <= 65536) with the
 * initial state of ceas_msc_single_alloc (same key and init: same bits). */
int ceas_gpu_msc_single_alloc(long L, ceas_rng_key key, ceas_msc_init init,
                              ceas_gpu_msc_single **out);
/* The same in dimension dim, 2 or 3 (3D: 128 <= L <= 2048, the state of
 * ceas_msc_single_alloc_dim). In 3D a block takes threads / (L / 128) whole
 * rows, one word a thread, and the shape's rows are not used. */
int ceas_gpu_msc_single_alloc_dim(int dim, long L, ceas_rng_key key, ceas_msc_init init,
                                  ceas_gpu_msc_single **out);
void ceas_gpu_msc_single_free(ceas_gpu_msc_single *st);

/* Block shape: threads (a multiple of 32 from 32 to 1024) times rows (1, 2 or
 * 4), at most 2048 words; default 256 x 2 (3D: 128 threads). Speed only: the
 * result is the same bits for every shape. */
int ceas_gpu_msc_single_set_shape(ceas_gpu_msc_single *st, int threads, int rows);

/* n sweeps at beta (finite, >= 0), queued on the device; returns once launched
 * (ceas_gpu_msc_single_sync waits and reports a failure of the kernels). */
int ceas_gpu_msc_single_sweep(ceas_gpu_msc_single *st, double beta, uint64_t n);
int ceas_gpu_msc_single_sync(ceas_gpu_msc_single *st);
uint64_t ceas_gpu_msc_single_sweeps_done(const ceas_gpu_msc_single *st);

/* The state in host layout, L^dim / 128 words per colour (see above; 3D: L^2
 * rows z L + y of L / 128 words, as ceas_msc_single_unpack). */
int ceas_gpu_msc_single_get(ceas_gpu_msc_single *st, uint64_t *c0, uint64_t *c1);
int ceas_gpu_msc_single_set(ceas_gpu_msc_single *st, const uint64_t *c0, const uint64_t *c1,
                            uint64_t sweeps_done);
/* Colour 0's or 1's words on the device (the layout above), for reductions
 * that stay on the device (ceas_gpu_measure.h); valid until freed. */
const uint64_t *ceas_gpu_msc_single_words(const ceas_gpu_msc_single *st, int colour);

/* ---- msc-replica64 / msc-replica256 (and -anti) on the GPU ------------------
 *
 * The replica-packed kernel of ceas_msc.h (src/msc/kernel_body.inc) on the 2D
 * or 3D torus, 64 or 256 replicas a site, with or without the antithetic
 * option, bit for bit: on the same key, init, option and betas the state after
 * k sweeps equals ceas_msc_sweep's (tests/gpu/). Layout on the device as in
 * msc_private.h (colour arrays of rows of L / 2 sites, R / 64 lanes a site).
 *
 * One thread a site (all R replicas of it): a lane draws one Philox4x64 block
 * (8 sites' uniforms), the warp passes them through shared memory so that at
 * each of 8 steps its 32 lanes update 32 consecutive sites (coalesced).
 * Two schedules, the same bits: "launch" (one kernel a half-sweep, the grid
 * over all sites of the colour) and "resident" (one cooperative kernel for the
 * whole call: each block owns a strip of slabs, rows in 2D or planes in 3D,
 * and waits only for its two neighbours' boundary slabs of the previous half,
 * which it signals as soon as its own are done, so no grid-wide barrier and no
 * launch between halves). A third, "shared", is resident with each block's
 * strip (both colours) held in shared memory for the whole call, only the
 * boundary slabs mirrored to device memory; it needs the strips to fit (2D L =
 * 1024 and 3D L = 128 with 64 replicas do on an H100).
 *
 * Errors as above. */
typedef struct ceas_gpu_msc ceas_gpu_msc;

/* dim 2 or 3, L even (2 <= L <= 65536 in 2D, 2048 in 3D, and the state must
 * fit on the card), replicas 64 or 256, the initial state of ceas_msc_alloc. */
int ceas_gpu_msc_alloc(int dim, long L, int replicas, ceas_rng_key key, ceas_msc_init init,
                       ceas_gpu_msc **out);
void ceas_gpu_msc_free(ceas_gpu_msc *st);
/* As ceas_msc_set_antithetic: part of the chain, set it before sweeping. */
void ceas_gpu_msc_set_antithetic(ceas_gpu_msc *st, int on);
/* resident 1, 0 (one launch a half-sweep), 2 (shared) or 3 (sweep: shared with
 * one neighbour exchange a sweep, 2D with L a multiple of 16); threads a block,
 * a multiple of 32 from 32 to 1024, 512 at most for 2 and 3 (a resident block
 * of over 512 may not fit, nor a shared strip: CEAS_EINPUT at the sweep).
 * Default: x 512, sweep in 2D up to L = 6 x the card's SMs, else shared, where
 * the strips fit, else resident x 512 for 64 replicas (x 256 in 3D) and launch
 * x 256 for 256. Speed only, never the bits. */
int ceas_gpu_msc_set_schedule(ceas_gpu_msc *st, int resident, int threads);
/* n sweeps at beta (finite, >= 0), queued; ceas_gpu_msc_sync waits. */
int ceas_gpu_msc_sweep(ceas_gpu_msc *st, double beta, uint64_t n);
int ceas_gpu_msc_sync(ceas_gpu_msc *st);
uint64_t ceas_gpu_msc_sweeps_done(const ceas_gpu_msc *st);
/* The state in the layout of ceas_msc_get_state / set_state (sites * R / 64
 * words, site-major). */
size_t ceas_gpu_msc_state_words(const ceas_gpu_msc *st);
int ceas_gpu_msc_get_state(ceas_gpu_msc *st, uint64_t *words);
int ceas_gpu_msc_set_state(ceas_gpu_msc *st, const uint64_t *words, uint64_t sweeps_done);
/* Colour 0's or 1's words on the device in the layout of msc_private.h (row r,
 * site j, lane l at (r L / 2 + j) R / 64 + l), complete once ceas_gpu_msc_sync
 * returned, for reductions that stay on the device (ceas_gpu_measure.h). */
const uint64_t *ceas_gpu_msc_words(const ceas_gpu_msc *st, int colour);

#ifdef __cplusplus
}
#endif

#endif
