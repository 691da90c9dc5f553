/*
 * ceas_decomp — one Ising lattice split over MPI ranks (domain decomposition).
 *
 * Geometry. The L x L (ising2d) or L^3 (ising3d) periodic lattice with J = 1 and a
 * uniform field h, site index i = x + L y + L^2 z as in ceas_lattice.h. A "plane"
 * is a row y (2D, L sites) or a slab z (3D, L^2 sites); the lattice has P = L
 * planes. Rank r of R owns the contiguous planes [first_r, first_r + n_r), balanced
 * (n_r = P / R or P / R + 1, the larger ones first), and stores them with one halo
 * plane on each side: (n_r + 2) planes, the lower halo holding the plane just below
 * its first (periodically: rank 0's lower halo is plane P - 1) and the upper halo
 * the plane just above its last. No rank ever holds more than its strip: memory per
 * rank is (n_r + 2) L^(d-1) bytes plus O(L) buffers, so L = 16384 on 2 ranks needs
 * 135 MB each.
 *
 * Constraints (ceas_decomp_check, CEAS_EINPUT naming the constraint): L even (for
 * odd L the two checkerboard colours touch across the periodic boundary, so a
 * colour cannot be updated in an order-independent way), the kernel's own (msc-
 * single: L a multiple of 128, h = 0), at least one plane per rank (P >= R), and
 * a plane of at most 2^31 - 1 bytes in the kernel's storage (one MPI message:
 * L^(d-1) int8 spins, or L^(d-1) / 8 bytes per colour packed).
 *
 * Sweep (collective). The single-rank sweep of the kernel, in checkerboard
 * order: colour 0 (x + y + z even), then colour 1. Sites of one colour only read
 * sites of the other, so a colour may be updated in any order and split over ranks.
 * Per half-sweep c every rank
 *   1. updates colour c in its first and last plane (these need the halos, which
 *      are current),
 *   2. posts MPI_Irecv / MPI_Isend of those two planes to its neighbours (the
 *      part of the storage holding colour c, for a kernel that stores the
 *      colours apart: what the half-sweep changed),
 *   3. updates colour c in its interior planes while the messages travel
 *      (MPI_Testall between planes drives the transfer of large messages),
 *   4. MPI_Waitall: the halos now hold the neighbours' planes after half-sweep c.
 * Boundary planes go first (rather than last after the wait) so that the halos are
 * current at every half-sweep end: a measurement after a sweep then needs no extra
 * exchange, and the overlap is the same. With one rank the "exchange" is two plane
 * copies, no MPI. Two ranks exchange with each other in both directions (distinct
 * tags).
 *
 * Random numbers: exactly those of the single-rank kernel. metropolis/heatbath
 * (ceas_lattice.h): site (x, y, z) of colour c in sweep t draws 32-bit uniform
 *     k = c N / 2 + (y + L z) L / 2 + x / 2
 * of the Philox4x32 stream of sweep t (key ceas_lattice_sweep_key32), which is its
 * position in the single-rank visiting order; initial spins from
 * ceas_lattice_initial_spins. msc-single (ceas_msc.h, single-lattice): the draws
 * are addressed by (sweep, colour, row, word or rank within the row, slot) and
 * the hot start by (row, word, colour); the rank's planes run through
 * ceas_msc_single_kernel_update, the very function the ceas_msc_single torus
 * runs. Hence a decomposed run is bitwise the single-rank run (`ceasim run`, the
 * torus) with the same parameters, for every number of ranks.
 *
 * Measurements (collective, result on the root): the bond sum B = sum over bonds of
 * s_i s_j (each rank counts a share, each bond in exactly one share: int8 kernels
 * from a bond's lower end, msc-single from its colour-0 end) and M = sum s_i as
 * int64, the axis projections of the spins as int64 (msc-single: popcounts and
 * bit-sliced column counters)
 * (MPI_Reduce / MPI_Gatherv; integer sums are exact in any order); the root then
 * evaluates E = -B - h M (ceas_lattice_energy_from_counts) and F(k_min)
 * (ceas_lattice_structure_factor_from_projections, with a phase table holding the
 * values cos/sin return there), the very expressions the single-rank code uses. So
 * the time series are bitwise equal too.
 *
 * Pluggable plane kernel. How a plane is stored, initialised, updated, measured
 * and unpacked is a ceas_decomp_kernel working on a ceas_decomp_strip view: the
 * strip logic (halos, exchange, overlap, reductions) does not know how a plane is
 * updated. Kernels: the plain int8 metropolis and heatbath kernels of src/lattice
 * (one byte per spin, both colours in one part), and msc-single, the single-
 * lattice multi-spin-coded Metropolis of src/msc (64 sites per word, colour c in
 * part c, so a half-sweep sends L / 64 (2D) or L^2 / 64 (3D) bytes per halo).
 *
 * No checkpoints yet: an interrupted decomposed run (SIGINT/SIGTERM on any rank;
 * the ranks agree on stopping every few sweeps) returns CEAS_EINTERRUPT on every
 * rank and writes nothing.
 *
 * Errors: every collective call returns the same status on every rank; a failure
 * on one rank (e.g. CEAS_ENOMEM) is reported on all, with that rank's message.
 * Ownership: a ceas_decomp owns its strip and buffers; a ceas_decomp_run owns its
 * series (root only).
 */
#ifndef CEAS_DECOMP_H
#define CEAS_DECOMP_H

#include "ceas_hid.h" /* hid_t only: no <hdf5.h> for users */
#include <mpi.h>
#include <signal.h>
#include <stdint.h>

#include "ceas_lattice.h"
#include "ceas_measure.h"
#include "ceas_task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CEAS_EINPUT with a message if (model, L, algo) cannot be decomposed over
 * `ranks` ranks (see the constraints above); algo may be NULL (= metropolis). */
int ceas_decomp_check(ceas_model_kind model, long L, const char *algo, int ranks);

/* ---- the strip ------------------------------------------------------------ */

/* What a plane kernel sees. The kernel decides how a plane is stored: `parts`
 * arrays (1: both colours together, the int8 kernels; 2: colour c in part c,
 * the packed kernel), each of (n_planes + 2) planes of plane_bytes bytes. Local
 * plane p (0 <= p < n_planes) of a part is global plane first_plane + p and lives
 * at planes + ((part (n_planes + 2)) + p + 1) plane_bytes; local planes -1 and
 * n_planes are the halos. After colour c's half-sweep the strip exchanges part
 * c % parts only: what that half-sweep changed. */
typedef struct {
  int dim;
  long L;
  int64_t n_sites;      /* L^dim, the whole lattice */
  int64_t plane_sites;  /* L^(dim-1) */
  int64_t first_plane;
  int64_t n_planes;
  int parts;
  int64_t plane_bytes;
  void *planes;         /* parts * (n_planes + 2) * plane_bytes bytes, 8-aligned */
  uint64_t sweep;       /* sweeps done: the counter of the next sweep */
  ceas_rng_key key;
} ceas_decomp_strip;

static inline void *ceas_decomp_part_plane(const ceas_decomp_strip *s, int part, int64_t p) {
  return (char *)s->planes + (part * (s->n_planes + 2) + p + 1) * s->plane_bytes;
}

/* The int8 kernels' plane (one part, plane_sites spins +-1). */
static inline int8_t *ceas_decomp_plane(const ceas_decomp_strip *s, int64_t p) {
  return (int8_t *)ceas_decomp_part_plane(s, 0, p);
}

typedef struct ceas_decomp_kernel {
  const char *name;
  int parts;
  /* Bytes of one plane of one part. */
  int64_t (*plane_bytes)(int dim, long L);
  /* CEAS_EINPUT naming the constraint if (dim, L) does not fit the kernel, or NULL. */
  int (*check)(int dim, long L);
  /* Per-run state (thresholds, buffers) for inverse temperature beta, field h. */
  int (*init)(const ceas_decomp_strip *s, double beta, double h, void **ctx);
  /* The owned planes' initial spins (the halos are filled by the strip). */
  void (*initial)(void *ctx, const ceas_decomp_strip *s, ceas_lattice_init init);
  /* Updates colour `colour` of local planes [p0, p1) in sweep s->sweep. Reads
   * planes p0 - 1 and p1, which may be halos. */
  void (*update)(void *ctx, const ceas_decomp_strip *s, int colour, int64_t p0, int64_t p1);
  /* Over the owned planes, with current halos: *bonds = this strip's share of
   * the sum over bonds of s_i s_j (the shares of all ranks add up to the
   * lattice's, each bond counted once), px[x] += the spins at x (L entries),
   * py[y] += the spins at y (3D only; NULL in 2D), plane_sums[p] = the sum of
   * owned plane p. */
  void (*measure)(void *ctx, const ceas_decomp_strip *s, int64_t *bonds, int64_t *px,
                  int64_t *py, int64_t *plane_sums);
  /* The owned planes as spins +-1, site order x + L y within a plane. */
  void (*unpack)(void *ctx, const ceas_decomp_strip *s, int8_t *spins);
  void (*free)(void *ctx);
} ceas_decomp_kernel;

extern const ceas_decomp_kernel ceas_decomp_kernel_metropolis;
extern const ceas_decomp_kernel ceas_decomp_kernel_heatbath;
/* The single-lattice multi-spin-coded Metropolis of src/msc (ceas_msc.h,
 * "single-lattice"): 64 sites per word, L a multiple of 128, h = 0. */
extern const ceas_decomp_kernel ceas_decomp_kernel_msc_single;
/* The plane kernel of the table's kernel `name` (ceas_kernel_find): metropolis,
 * heatbath, msc-single; NULL if it has none. */
const ceas_decomp_kernel *ceas_decomp_kernel_find(const char *name);

typedef struct ceas_decomp ceas_decomp;

/* Collective over comm (duplicated internally). Allocates this rank's strip with
 * the initial spins, fills the halos. */
int ceas_decomp_alloc(MPI_Comm comm, ceas_model_kind model, long L, double beta, double h,
                      ceas_rng_key key, ceas_lattice_init init,
                      const ceas_decomp_kernel *kernel, ceas_decomp **out);
void ceas_decomp_free(ceas_decomp *d);

const ceas_decomp_strip *ceas_decomp_get_strip(const ceas_decomp *d);

/* One sweep (collective). */
int ceas_decomp_sweep(ceas_decomp *d);

typedef struct {
  int64_t bonds;  /* sum over bonds of s_i s_j */
  int64_t m;      /* sum of the spins */
  double energy;  /* -bonds - h m, total */
  double sf_kmin; /* F(k_min) as ceas_lattice_structure_factor_kmin */
} ceas_decomp_obs;

/* Collective; *out is filled on `root` only. */
int ceas_decomp_measure(ceas_decomp *d, int root, ceas_decomp_obs *out);

/* This rank's owned planes as spins +-1 (n_planes plane_sites entries, site
 * order x + L y (+ L^2 z) from the strip's first plane on). Local, not
 * collective. */
void ceas_decomp_get_spins(const ceas_decomp *d, int8_t *spins);

/* Seconds this rank spent updating spins, in MPI exchange calls (posting,
 * testing, waiting: the part of communication not hidden behind updates), and
 * measuring, since allocation. */
void ceas_decomp_times(const ceas_decomp *d, double *update, double *exchange,
                       double *measure);

/* ---- a whole run (`ceasim run --decompose`) -------------------------------- */

typedef struct {
  volatile sig_atomic_t *stop;   /* any rank's flag stops all ranks */
  ceas_task_progress_fn progress; /* root only */
  void *progress_ctx;
} ceas_decomp_hooks;

typedef struct {
  ceas_task_params p;
  int ranks;
  int root;                /* this rank is the root (rank 0): holds the series */
  int64_t n_spins;
  int dim;
  size_t n_meas;
  double *e, *m, *f;       /* per-spin series, root only */
  ceas_measure_result result; /* root only */
  double seconds;          /* wall time of the sweeps and measurements */
  double t_update, t_exchange, t_measure; /* the root's share (ceas_decomp_times) */
  double t_exchange_max;   /* the largest exchange time over the ranks */
  double cpu_seconds;      /* CPU time of the sweeps and measurements, all ranks */
} ceas_decomp_run;

/* The checks of a decomposed run, CEAS_EINPUT naming the option: ceas_decomp_check
 * (model, L, algo, ranks), then ceas_task_params_check for everything but the
 * kernel (the task's kernels are a single-rank run's; the decomposed kernels'
 * constraints are checked here), and h = 0 for msc-single. Not collective. */
int ceas_decomp_params_check(const ceas_task_params *p, int ranks);

/* Collective over comm: thermalisation, sweeps and measurements exactly as
 * ceas_task_run (same parameters, same series), then the analysis on the root.
 * Checks the parameters first (ceas_decomp_params_check). */
int ceas_decomp_run_task(MPI_Comm comm, const ceas_task_params *p, const ceas_decomp_hooks *h,
                         ceas_decomp_run **out);
void ceas_decomp_run_free(ceas_decomp_run *r);

/* Root only: the summary for ceas_task_write_summary (pointers into r). */
void ceas_decomp_run_summary(const ceas_decomp_run *r, ceas_task_summary *s);

/* Root only: the `ceasim run` layout (ceas_task_write_summary) plus the attributes
 * decompose = 1 and ranks = R. */
int ceas_decomp_run_write(const ceas_decomp_run *r, hid_t loc, const char *command_line);
/* Root only: the same as the file `path`, atomically (ceas_io_write_hdf5). */
int ceas_decomp_run_write_file(const ceas_decomp_run *r, const char *path, int force,
                               const char *command_line);

/* Root only: the report of `ceasim run --decompose`: ceas_task_params_print's line,
 * the sweeps, measurements, seconds and ranks, ceas_measure_result_print, and where
 * the root's time went (updates, halo exchange, measurements) beside the largest
 * exchange time over the ranks and the CPU time of all ranks. */
void ceas_decomp_run_print(FILE *out, const ceas_decomp_run *r);

#ifdef __cplusplus
}
#endif

#endif
