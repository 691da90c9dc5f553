/*
 * ceas_kernel_bench — how fast a kernel of the table (ceas_kernel.h) runs on one
 * core, on an ising2d/ising3d torus with J = 1, h = 0, hot start from (seed, 0):
 *
 *   flips  spin-flip attempts per nanosecond (every replica's attempt counts):
 *          a warm-up of seconds / 10, then whole sweeps (in chunks that double
 *          while a chunk takes < 50 ms) until `seconds` have passed, timed with
 *          CLOCK_MONOTONIC (wall) and CLOCK_THREAD_CPUTIME_ID (cpu);
 *   tau    statistical efficiency: |m| recorded every `every` sweeps (0: the
 *          wavefront depth for packed kernels, else 1) until `seconds` or
 *          CEAS_KERNEL_BENCH_TAU_TARGET tau_int of production have passed (at
 *          least 4 CEAS_MEASURE_MIN_BINS measurements); the first 20 tau_int are
 *          discarded; tau_int(|m|) is Sokal's (packed kernels: the mean over 16
 *          single replicas), n_eff = var(|m|) / err^2(<|m|>) with err from bins of
 *          >= 16 tau (ceas_measure_neff_compute), indep/s = n_eff / production
 *          seconds. A CEAS_KERNEL_TUNED kernel first tunes its clusters per sweep
 *          on 20 to 1000 sweeps (at most 5 % of the budget beyond 20).
 *
 * The timings are of this process's one thread; the statistics are a pure
 * function of (kernel, size, beta, seed) up to where the time budget stops the
 * record. Errors: CEAS_EINPUT (the kernel's or the ISA's message),
 * CEAS_EINTERRUPT once *stop is set, CEAS_ENOMEM.
 */
#ifndef CEAS_KERNEL_BENCH_H
#define CEAS_KERNEL_BENCH_H

#include <signal.h>
#include <stdint.h>

#include "ceas_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEAS_KERNEL_BENCH_TAU_TARGET 2000

typedef struct {
  double seconds;  /* timed seconds per kernel (flips) or budget (tau), > 0 */
  const char *isa; /* packed kernels: "auto" or an ISA of ceas_msc_set_isa */
  int depth;       /* packed kernels: sweeps per wavefront pass, 0 = automatic */
  uint64_t seed;
  int tau;         /* which record ceas_kernel_bench_fields gives */
  long every;      /* tau: sweeps between measurements, 0 = automatic */
  volatile sig_atomic_t *stop; /* NULL, or stop when it becomes nonzero */
} ceas_kernel_bench_params;

typedef struct {
  int dim;
  long L;
  const ceas_kernel_type *type;
  const char *isa; /* "int8", "bitslice" or the msc ISA in use */
  int replicas, depth;
  double beta;
  uint64_t sweeps;
  double flips, seconds, cpu_seconds, rate; /* rate: flips per ns (wall) */
  double ratio; /* to the plain metropolis of the same size: the caller's to fill */
  /* tau (seconds and cpu_seconds are then the production's) */
  uint64_t every, measurements, discarded, therm_sweeps, prod_sweeps;
  double tau, tau_err, tau_est, tau_est_err, run_taus, therm_taus;
  double mean_abs_m, err_abs_m, var_abs_m;
  double n_eff, n_eff_binned, n_eff_tau, n_eff_rel_err, replicas_worth;
  uint64_t bin;
  int bins_ok, converged;
  double indep_per_s, indep_per_cpu_s, ratio_cpu, total_seconds;
  long wolff_clusters;
  double flipped_per_sweep; /* cluster kernels: spins flipped per sweep / N */
} ceas_kernel_bench_result;

/* One kernel at one size (dim 2 or 3, L as the kernel allows): *res filled. */
int ceas_kernel_bench_flips(const ceas_kernel_bench_params *p, const ceas_kernel_type *T,
                            int dim, long L, double beta, ceas_kernel_bench_result *res);
int ceas_kernel_bench_tau(const ceas_kernel_bench_params *p, const ceas_kernel_type *T,
                          int dim, long L, double beta, ceas_kernel_bench_result *res);

/* Called after each kernel of ceas_kernel_bench_size, its result complete. */
typedef void (*ceas_kernel_bench_done_fn)(const ceas_kernel_bench_params *p,
                                          const ceas_kernel_bench_result *r, void *ctx);

/* Kernels T[0 .. n) one after the other at one size (flips or tau as p->tau says),
 * into res[0 .. n), each with its ratio (and for tau ratio_cpu) to T[0], the
 * yardstick (the plain metropolis for `ceasim bench`); done (if not NULL) after
 * each. Stops at the first error. */
int ceas_kernel_bench_size(const ceas_kernel_bench_params *p, const ceas_kernel_type *const *T,
                           int n, int dim, long L, double beta, ceas_kernel_bench_result *res,
                           ceas_kernel_bench_done_fn done, void *ctx);

/* CEAS_EINPUT ("--L: ising2d L=... needs ~X GB, more than half of this machine's Y
 * GB") if the system, a packed state and (tau) the cluster work arrays of the
 * kernels T[0 .. n) at (dim, L) would take over half the physical memory: such a
 * size would page the machine to death before malloc said no (overcommit). */
int ceas_kernel_bench_memory_check(int tau, const ceas_kernel_type *const *T, int n, int dim,
                                   long L);

/* CEAS_EINPUT ("--isa: ...", the msc module's message) unless the packed kernels
 * can run on `isa` here. */
int ceas_kernel_bench_isa_check(const char *isa);

/* A result as named fields, the one list the JSON and HDF5 records share. */
typedef struct {
  const char *name;
  enum { CEAS_KERNEL_BENCH_DOUBLE, CEAS_KERNEL_BENCH_INT, CEAS_KERNEL_BENCH_STRING } kind;
  double d;
  int64_t i;
  const char *s;
} ceas_kernel_bench_field;
#define CEAS_KERNEL_BENCH_MAX_FIELDS 48

/* Fills f (CEAS_KERNEL_BENCH_MAX_FIELDS at most) and returns the count. */
int ceas_kernel_bench_fields(const ceas_kernel_bench_params *p, const ceas_kernel_bench_result *r,
                             ceas_kernel_bench_field *f);
/* How the times were taken, and (tau) what the fields mean: the records' header. */
const char *ceas_kernel_bench_timing_note(const ceas_kernel_bench_params *p);
extern const char *const ceas_kernel_bench_definitions;
/* "model name" of /proc/cpuinfo, or "unknown". */
void ceas_kernel_bench_cpu_model(char *buf, size_t cap);

/* The results as an HDF5 file, written atomically (ceas_io_file_create: `force`
 * allows replacing one): root attributes ceasim_version, command_line, cpu, mode,
 * timing, (tau) definitions, seconds_per_kernel, seed; group results/NNN per
 * result with its fields as attributes. */
int ceas_kernel_bench_write_h5(const ceas_kernel_bench_params *p, const char *path, int force,
                               const char *command_line, const ceas_kernel_bench_result *res,
                               int n);

#ifdef __cplusplus
}
#endif

#endif
