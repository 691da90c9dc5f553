/*
 * ceas_kernel — the one table of update kernels a run can be given by name, and
 * a uniform handle on a running chain of any of them (the gsl_rng_type split: a
 * `const ceas_kernel_type *` says which algorithm, a `ceas_kernel *` is one chain
 * of it).
 *
 * Every algorithm name that `ceasim run`, sweeps, `bench` and the decomposed run
 * accept is one entry of ceas_kernel_types, looked up only by ceas_kernel_find:
 *   metropolis, heatbath, wolff, sw   int8 spins, the kernels of ceas_lattice.h,
 *                                     on lattices and graphs
 *   msc-replica64, msc-replica256     R packed replicas sharing one uniform per
 *   msc-replica64-anti, -256-anti     site, plain or antithetic (ceas_msc.h);
 *                                     ising2d/ising3d, h = 0, L even
 *   msc-single                        one lattice, 64 sites per word (ceas_msc.h);
 *                                     L a multiple of 128, h = 0
 * In a CUDA build (ceas_device.h) the table also holds GPU entries of the same
 * names, device CEAS_DEVICE_GPU, bit for bit their CPU twins: msc-single and
 * the four msc-replica*, 2D and 3D, of src/gpu.
 * Adding a kernel is one more entry (a type and its operations) in kernel.c.
 *
 * A kernel holds `replicas` chains (R for a replica-packed one, else 1); every
 * per-chain quantity below is R values, replica r at index r. Sweep counters,
 * like the random numbers, belong to the kernel: its future is a pure function of
 * its state and counter (ceas_lattice.h, ceas_msc.h), so saving both resumes it
 * bitwise.
 *
 * Ownership: a ceas_kernel owns its state and refers to (does not own) its
 * system, which must outlive it. Errors: CEAS_EINPUT with a message naming the
 * input ("--L: ...", "--h: ..."); CEAS_ENOMEM.
 */
#ifndef CEAS_KERNEL_H
#define CEAS_KERNEL_H

#include "ceas_hid.h" /* hid_t only: no <hdf5.h> for users */
#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"
#include "ceas_device.h"
#include "ceas_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A cluster update (J_ij >= 0, h = 0): it has no flip attempts to count. */
#define CEAS_KERNEL_CLUSTER 1u
/* A sweep is a fixed number of clusters, tuned so that one sweep flips about N
 * spins (wolff: ceas_kernel_tune_sweep, ceas_kernel_clusters). */
#define CEAS_KERNEL_TUNED 2u
/* Replica-packed multi-spin coding with a choice of ISA and wavefront depth. */
#define CEAS_KERNEL_PACKED 4u
/* Lattices only, h = 0, L as the kernel's words need (ceas_kernel_type.check). */
#define CEAS_KERNEL_MSC 8u

typedef struct ceas_kernel ceas_kernel;

typedef struct ceas_kernel_type {
  const char *name;
  /* Where it runs: a GPU entry has the name of its CPU twin and gives its bits
   * (ceas_device.h); CEAS_DEVICE_CPU for every other. */
  ceas_device device;
  int replicas;    /* chains in one state */
  unsigned flags;  /* CEAS_KERNEL_* */
  /* The `rng` attribute of a run's files on a lattice (ceas_task_rng_name). */
  const char *rng_lattice;
  /* Sweeps per call at most: calls are where a run notices a stop request. */
  uint64_t chunk;
  /* CEAS_EINPUT naming the option if the kernel cannot run on (model, L, h), or
   * NULL: no constraint beyond the system's. */
  int (*check)(const struct ceas_kernel_type *T, ceas_model_kind model, long L, double h);
  size_t size; /* bytes of the private state */
  int (*alloc)(void *s, const struct ceas_kernel_type *T, const ceas_lattice_system *sys,
               ceas_rng_key key, ceas_lattice_init init);
  void (*free)(void *s);
  int (*sweep)(void *s, double beta, uint64_t n);
  uint64_t (*sweeps_done)(const void *s);
  /* Per-spin e = E/N, m = M/N and (f non-NULL, lattices) F(k_min), R values each. */
  int (*measure)(void *s, double *e, double *m, double *f);
  /* |m| of the natural estimator (replica average), the mean of m^2, and the
   * first `singles` replicas' |m| spread evenly over R (packed kernels only). */
  int (*abs_m)(void *s, double *avg, double *m2, double *one, int singles);
  /* The chain's state as a checkpoint dataset under loc, and back (checked). */
  int (*write_state)(void *s, hid_t loc);
  int (*read_state)(void *s, hid_t f, const char *path, uint64_t sweep);
  void (*get_spins)(void *s, int8_t *spins); /* replica 0's spins, N of them */
  /* One tuning sweep: CEAS_KERNEL_TUNED only, else NULL. */
  int (*tune_sweep)(void *s, double beta, int64_t *clusters);
  /* The cluster counters of ceas_lattice_state (the int8 kernels), else NULL. */
  void (*get_counters)(const void *s, long *clusters, uint64_t *flipped);
  void (*set_counters)(void *s, long clusters, uint64_t flipped);
  /* ISA and depth: CEAS_KERNEL_PACKED only, else NULL and isa_name is the one. */
  int (*configure)(void *s, const char *isa, int depth);
  void (*describe)(const void *s, const char **isa, int *depth);
  const char *isa_name;
  const void *impl; /* the type's own data: the ceas_lattice_kernel, the msc variant */
} ceas_kernel_type;

/* NULL-terminated, in the order of messages; lookup by name (NULL if unknown):
 * ceas_kernel_find gives the CPU entry, ceas_kernel_find_on the one on `device`
 * (NULL where the kernel has none there, or the build has no CUDA). */
extern const ceas_kernel_type *const ceas_kernel_types[];
const ceas_kernel_type *ceas_kernel_find(const char *name);
const ceas_kernel_type *ceas_kernel_find_on(const char *name, ceas_device device);

/* CEAS_OK if `name` is a kernel's, else CEAS_EINPUT listing them (`what` names the
 * input in the message, e.g. "--algo"). */
int ceas_kernel_name_check(const char *name, const char *what);

/* The constraints of T on (model, L, h) that need no system. */
int ceas_kernel_params_check(const ceas_kernel_type *T, ceas_model_kind model, long L,
                             double h);

/* A chain of T on sys, hot or cold start from key. Checks that T applies to sys. */
int ceas_kernel_alloc(const ceas_kernel_type *T, const ceas_lattice_system *sys,
                      ceas_rng_key key, ceas_lattice_init init, ceas_kernel **out);
void ceas_kernel_free(ceas_kernel *k);

const ceas_kernel_type *ceas_kernel_get_type(const ceas_kernel *k);
const ceas_lattice_system *ceas_kernel_system(const ceas_kernel *k);
/* Sites of one replica (N). */
int64_t ceas_kernel_sites(const ceas_kernel *k);

/* n sweeps at inverse temperature beta (1/J). */
int ceas_kernel_sweep(ceas_kernel *k, double beta, uint64_t n);
/* Sweeps done so far: the counter of the next sweep. */
uint64_t ceas_kernel_sweeps_done(const ceas_kernel *k);
/* R values each of e, m and (f non-NULL, lattices only) F(k_min), per spin. */
int ceas_kernel_measure(ceas_kernel *k, double *e, double *m, double *f);
/* See ceas_kernel_type.abs_m; singles <= R. */
int ceas_kernel_abs_m(ceas_kernel *k, double *avg, double *m2, double *one, int singles);

/* Cluster counters (the int8 kernels; the others read 1 and 0 and ignore the set):
 * clusters per Wolff sweep, spins flipped by cluster updates so far. */
long ceas_kernel_clusters(const ceas_kernel *k);
uint64_t ceas_kernel_flipped(const ceas_kernel *k);
void ceas_kernel_set_counters(ceas_kernel *k, long clusters, uint64_t flipped);
/* One tuning sweep of a CEAS_KERNEL_TUNED kernel: clusters until N spins have
 * flipped, *clusters = their count. CEAS_EINTERNAL for other kernels. */
int ceas_kernel_tune_sweep(ceas_kernel *k, double beta, int64_t *clusters);

/* Packed kernels: the ISA ("auto" or ceas_msc_set_isa's) and wavefront depth (0 =
 * automatic); others accept "auto" and 0. *isa: the one in use ("int8",
 * "bitslice", or the msc ISA), *depth: sweeps per wavefront pass (0 if none). */
int ceas_kernel_configure(ceas_kernel *k, const char *isa, int depth);
void ceas_kernel_describe(const ceas_kernel *k, const char **isa, int *depth);

/* Replica 0's spins (+1 / -1, N of them, site order of the system). */
void ceas_kernel_get_spins(ceas_kernel *k, int8_t *spins);

/* Checkpoint: the state under loc ("spins" or "packed_state"), and back from the
 * file f (`path` names it in messages), the counter set to `sweep`. */
int ceas_kernel_write_state(ceas_kernel *k, hid_t loc);
int ceas_kernel_read_state(ceas_kernel *k, hid_t f, const char *path, uint64_t sweep);

#ifdef __cplusplus
}
#endif

#endif
