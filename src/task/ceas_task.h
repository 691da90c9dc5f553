/*
 * ceas_task — one Monte Carlo run: a system, a kernel, a beta, a seed; its
 * thermalisation, measurements, analysis and HDF5 record.
 *
 * This is the unit that `ceasim run` executes once and that sweeps farm out
 * (the ALPS split: the task knows how to sweep, measure and write itself; the
 * caller owns scheduling and files). A task's results are a pure function of its
 * parameters: the random stream is (seed, stream), and every draw is addressed by
 * (sweep, site, purpose).
 *
 * Run layout: `therm` sweeps, then `sweeps` sweeps with a measurement after every
 * `measure_every`-th, so sweeps / measure_every measurements (at least
 * 2 * CEAS_MEASURE_MIN_BINS of them, so that error bars mean something).
 * For `wolff` with wolff_clusters = 0 the thermalisation sweeps flip clusters until
 * N spins have flipped and the count of clusters per sweep is then fixed at
 * N / <cluster size> for the measured part (see ceas_lattice.h).
 *
 * Algorithms: every entry of the kernel table (ceas_kernel.h): the kernels of
 * ceas_lattice.h (metropolis, heatbath, wolff, sw) and the multi-spin-coded ones
 * of ceas_msc.h, for ising2d/ising3d with h = 0:
 *   msc-replica64, msc-replica256     R = 64 / 256 replicas in one packed word
 *                                     sharing one uniform per site (Isakov et al.)
 *   msc-replica64-anti, -256-anti     the same with antithetic uniforms: replicas
 *                                     stay far less correlated (ceas_msc.h); the
 *                                     choice for measurements
 *   msc-single                        one lattice, 64 sites per word (2D or 3D, L a
 *                                     multiple of 128)
 * The task drives them all the same way: stretches of at most the kernel's chunk
 * of sweeps (1 for the int8 kernels, 64 for the msc ones), ending at the end of
 * thermalisation or at a measurement, where a stop request is noticed.
 * A replica-packed task measures all R replicas: its series hold n_meas x R values
 * (time-major, e[i * R + r]), analysed as ceas_measure_series with replicas = R
 * (error bars from time bins of all replicas, so right however correlated the
 * replicas are), and written as n_meas x R datasets with the attribute
 * packed_replicas = R. A sweep is one sweep of every replica; sweeps between two
 * measurements run as one call so the kernel can block them in time.
 */
#ifndef CEAS_TASK_H
#define CEAS_TASK_H

#include "ceas_hid.h" /* hid_t only: no <hdf5.h> for users */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "ceas_kernel.h"
#include "ceas_lattice.h"
#include "ceas_measure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  ceas_model_kind model;
  long L;                 /* lattices */
  const char *couplings;  /* graph: coupling file path */
  double h;               /* uniform field (added to a graph's own fields) */
  const char *algo;
  double beta;
  uint64_t seed;
  uint64_t stream;
  uint64_t sweeps;
  uint64_t therm;
  uint64_t measure_every;
  ceas_lattice_init init;
  long wolff_clusters;    /* 0: tune during thermalisation */
  /* Where the kernel runs (ceas_device.h): the GPU entry of algo, same results. */
  ceas_device device;
  int gpu;                /* the CUDA device to use, -1: the process's current one */
} ceas_task_params;

/* Defaults: ising2d, L 16, algo metropolis, beta 0.44, seed 1, 10000 sweeps,
 * 1000 thermalisation sweeps, measuring every sweep, hot start, on the CPU. */
void ceas_task_params_default(ceas_task_params *p);

typedef struct {
  ceas_task_params p;
  const char *algo;         /* the kernel's name */
  ceas_lattice_system *sys;
  const ceas_kernel_type *type;
  ceas_kernel *kernel;      /* the chain(s) on sys */
  int replicas;             /* chains per measurement (type->replicas) */
  size_t n_meas;
  double *e, *m, *f; /* per-spin series, n_meas x replicas; f NULL for graphs */
  ceas_measure_result result;
  double mean_cluster_size; /* wolff: spins per cluster while measuring */
  double seconds;           /* wall time of the sweeps (this process only) */
  /* Wolff tuning accumulators (second half of thermalisation); part of the
   * checkpointed state so that a resumed run tunes exactly as an unbroken one. */
  int64_t tune_clusters;
  uint64_t tune_flipped;
  int analysed; /* result is valid */
  char device_name[128]; /* GPU runs: the card's name, for the `device` attribute */
} ceas_task;

/* Validates parameters (CEAS_EINPUT naming the option), builds the system (reading
 * the coupling file for graphs) and checks the kernel applies. */
int ceas_task_create(const ceas_task_params *p, ceas_task **out);
void ceas_task_free(ceas_task *t);

/* Progress callback: fraction done in [0,1], called at most a few times a second. */
typedef void (*ceas_task_progress_fn)(double fraction, double elapsed, void *ctx);

/* Runs all sweeps and analyses the series. Returns CEAS_EINTERRUPT if *stop
 * becomes nonzero (checked between sweeps). */
int ceas_task_run(ceas_task *t, volatile sig_atomic_t *stop,
                  ceas_task_progress_fn progress, void *ctx);

/* What a scheduler can hook into a run. Every member may be zero/NULL. */
typedef struct {
  volatile sig_atomic_t *stop;   /* stop at the next sweep boundary when set */
  int (*poll)(void *ctx);        /* called between sweeps; nonzero = stop */
  void *poll_ctx;
  ceas_task_progress_fn progress;
  void *progress_ctx;
  const char *checkpoint;        /* checkpoint file, written atomically */
  double checkpoint_every;       /* seconds between checkpoints (> 0) */
} ceas_task_hooks;

/* Continues from wherever the task is (fresh, or loaded from a checkpoint) to the
 * end, then analyses. When stopped it writes the checkpoint (if one is named)
 * before returning CEAS_EINTERRUPT. */
int ceas_task_run_hooks(ceas_task *t, const ceas_task_hooks *h);

/* Sweeps done so far (thermalisation included). */
uint64_t ceas_task_sweeps_done(const ceas_task *t);

/* Checkpoint: spins, counters, tuning state and the measurements so far, with the
 * parameters as attributes. Written to a temporary name and renamed, so a
 * checkpoint file that exists is complete. Loading checks that the file belongs
 * to this task (CEAS_EINPUT naming the file and the first differing parameter);
 * a load that fails after that check leaves the task half-loaded: free it. */
int ceas_task_checkpoint_write(const ceas_task *t, const char *path);
int ceas_task_checkpoint_load(ceas_task *t, const char *path);

/* Writes attributes, /timeseries and /observables under loc (a file or group). */
int ceas_task_write(const ceas_task *t, hid_t loc, const char *command_line);
/* The same as the file `path` (`ceasim run --out`), written atomically
 * (ceas_io_write_hdf5: `force` allows replacing a file). */
int ceas_task_write_file(const ceas_task *t, const char *path, int force,
                         const char *command_line);

/* ---- the report `ceasim run` prints ------------------------------------------ */

/* One line: the version, the system (model and L, or the couplings file of a
 * graph) with its n_spins, beta, h, the kernel's name `algo` and the seed. */
void ceas_task_params_print(FILE *out, const ceas_task_params *p, int64_t n_spins,
                            const char *algo);
/* A finished task (ceas_task_run): ceas_task_params_print's line, the GPU's name
 * on a GPU, the sweeps, measurements, seconds and sweeps per second (Wolff: its
 * clusters per sweep and their mean size), then ceas_measure_result_print. */
void ceas_task_print(FILE *out, const ceas_task *t);

/* ---- a run's record without the run -----------------------------------------
 * What ceas_task_write and the analysis need, and nothing of the chain itself: a
 * run that never holds the whole system in one place (src/decomp: one lattice over
 * MPI ranks) fills this from its parameters and series and gets the same analysis
 * and the same file layout as a task. */
typedef struct {
  const ceas_task_params *p;
  const char *algo;          /* kernel name, as written in the "algo" attribute */
  long L;                    /* 0 for graphs */
  int dim;                   /* 0 for graphs */
  int64_t n_spins;
  const double *e, *m, *f;   /* per-spin series (f NULL for graphs) */
  size_t n_meas;
  int replicas;              /* values per measurement, time-major; 0 or 1: one */
  const ceas_measure_result *result;
  int wolff;                 /* write wolff_clusters_per_sweep, mean_cluster_size */
  long wolff_clusters;
  double mean_cluster_size;
  const char *device;        /* NULL on the CPU; a GPU run: the card's name */
} ceas_task_summary;

/* The summary of a task (pointers into t). */
void ceas_task_summary_of(const ceas_task *t, ceas_task_summary *s);

/* ceas_measure_analyze on the summary's series (s->result is not read). */
int ceas_task_analyze(const ceas_task_summary *s, ceas_measure_result *r);

/* ceas_task_write from a summary: the same attributes, /timeseries, /observables. */
int ceas_task_write_summary(const ceas_task_summary *s, hid_t loc, const char *command_line);

/* ---- reading a task file ----------------------------------------------------
 * The layout ceas_task_write_summary writes, for its readers (analyze, collect):
 * the names of its attributes and datasets are spelled only in src/task. A task
 * file of a sweep also carries `replica` (ceas_task_file_write_replica). */

/* Root attributes, in the order ceas_task_file_read_attrs checks them. */
enum {
  CEAS_TASK_ATTR_L,
  CEAS_TASK_ATTR_REPLICA,
  CEAS_TASK_ATTR_N_SPINS,
  CEAS_TASK_ATTR_SEED,
  CEAS_TASK_ATTR_STREAM,
  CEAS_TASK_ATTR_BETA,
  CEAS_TASK_ATTR_MODEL,
  CEAS_TASK_ATTR_ALGO,
  CEAS_TASK_ATTR_H,
  CEAS_TASK_ATTR_DIM,
  CEAS_TASK_ATTR_MEASURE_EVERY,
  CEAS_TASK_ATTR_PACKED_REPLICAS,
  CEAS_TASK_ATTR_COUNT
};
#define CEAS_TASK_ATTR_BIT(a) (1u << (a))

typedef struct {
  char model[32], algo[32];
  double beta, h;                /* 1/J, J */
  int64_t L, dim, n_spins, replica, packed_replicas;
  uint64_t seed, stream, measure_every;
  unsigned have;                 /* CEAS_TASK_ATTR_BIT(a) of every attribute a read */
} ceas_task_file_attrs;

/* The attribute's name in the file, e.g. "n_spins" (NULL if out of range). */
const char *ceas_task_file_attr_name(int attr);

/* Reads the root attributes of the open task file f (`path` names it in messages)
 * into *a; those missing or not of their type are left 0 (strings "") and out of
 * a->have. An attribute whose bit is in `required` must be there: the first one
 * (enum order) that is not is CEAS_EINPUT ("PATH: missing attribute 'L'"), with
 * *a partly filled. */
int ceas_task_file_read_attrs(hid_t f, const char *path, unsigned required,
                              ceas_task_file_attrs *a);

/* Adds the sweep's `replica` index to a task file being written. */
int ceas_task_file_write_replica(hid_t loc, int64_t replica);

/* The measurement series of /timeseries. */
enum {
  CEAS_TASK_SERIES_ENERGY,
  CEAS_TASK_SERIES_MAGNETIZATION,
  CEAS_TASK_SERIES_STRUCTURE_FACTOR,
  CEAS_TASK_SERIES_COUNT
};

/* The series' path in the file, e.g. "timeseries/energy" (NULL if out of range). */
const char *ceas_task_file_series_path(int series);

/* Rows of the series in f (measurements), -1 if it is missing, not a 1-D or 2-D
 * float dataset, or claims more than the file stores (ceas_io_dataset_check; the
 * error is cleared: the caller says why it skips the file). *cols is its columns
 * (1 for 1-D, packed_replicas for a replica-packed task), -1 with the -1. */
long long ceas_task_file_series_shape(hid_t f, int series, long long *cols);

/* The n values of the series (rows x cols, row-major) into *out (malloc'd, the
 * caller frees it; NULL on error). CEAS_EINPUT "cannot read /timeseries/x". */
int ceas_task_file_read_series(hid_t f, int series, size_t n, double **out);

/* /observables: the scalars ceas_task_write_summary wrote from the measure result. */
typedef struct {
  int64_t converged;
  double mean[CEAS_OBS_COUNT], error[CEAS_OBS_COUNT];
  double tau_int[CEAS_OBS_COUNT]; /* NaN where the file has none (nonlinear ones) */
} ceas_task_file_observables;

/* Every observable's mean, error and tau_int, and `converged`; CEAS_EINPUT naming
 * PATH and the missing item. */
int ceas_task_file_read_observables(hid_t f, const char *path,
                                    ceas_task_file_observables *o);

/* The parameter checks of ceas_task_create that need no system (CEAS_EINPUT
 * naming the option), including whether the algorithm exists and applies to the
 * model, size and field. */
int ceas_task_params_check(const ceas_task_params *p);

/* The `rng` attribute of a task's files: the generator that really draws the
 * updates of `algo` on `model` (README "Random numbers and reproducibility"). */
const char *ceas_task_rng_name(ceas_model_kind model, const char *algo);

/* CEAS_OK if `name` is an algorithm a task can run, else CEAS_EINPUT listing them
 * (`what` names the input in the message, e.g. "--algo"): ceas_kernel_name_check. */
int ceas_task_algo_check(const char *name, const char *what);

#ifdef __cplusplus
}
#endif

#endif
