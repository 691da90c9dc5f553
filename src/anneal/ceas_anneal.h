/*
 * ceas_anneal — Ising optimisation problems and the annealers that attack them.
 *
 * Problem. n spins s_i = ±1 and the energy
 *
 *     E(s) = - sum_{i<j} J_ij s_i s_j - sum_i h_i s_i ,
 *
 * the convention of ceas_lattice (a problem holds a validated graph system, CSR
 * with both directions stored, no diagonal). Next to it: the couplings in float32
 * (the field update of the annealers) and, when the graph is dense enough for a
 * contiguous row update to beat the gather/scatter (see ceas_anneal_problem_set_dense),
 * a dense n x n row-major copy with zero diagonal (float32, or int8 signs when all
 * couplings share one magnitude).
 *
 * Sources:
 *  - couplings files (`ceasim map`, the engine's text edge list or HDF5 CSR):
 *    read by ceas_mapping_read_couplings, whose format and checks apply unchanged;
 *  - G-set MaxCut files (Helmberg & Rendl 2000): first non-blank line "n m", then
 *    exactly m lines "i j w" with 1 <= i, j <= n, i != j, w a finite number; blank
 *    lines may appear anywhere, nothing else (no comments, no extra fields, no
 *    lines after the m-th edge). A pair given twice (in either order) is an error,
 *    as in the couplings reader: G-set files have none, and silently summing or
 *    overwriting would change the instance. An edge of weight w becomes the
 *    coupling J_ij = -w (antiferromagnetic for w > 0), so that
 *        cut(s) = sum_{(ij)} w_ij (1 - s_i s_j) / 2 = (W - E(s)) / 2,
 *    W = sum of all weights: minimising E maximises the cut;
 *  - generated instances, pure functions of (model, size, bonds, seed): every
 *    coupling is drawn from the Philox4x64 counter (bond coordinates, "instance"
 *    stream), never from a running generator.
 *      sk    complete graph, J_ij = ±1/sqrt(n) (pm) or N(0, 1/n) (gauss);
 *      ea2d  L x L periodic square lattice, ea3d L^3 periodic cubic lattice (L >= 3,
 *            so that every bond joins a distinct pair), J = ±1 (pm) or N(0, 1) (gauss).
 *
 * Every reader defect is CEAS_EINPUT with a one-line message "FILE:LINE: ..."
 * (or "FILE: ..." for whole-file defects) saying what was expected.
 *
 * Annealers ("methods") are a table of entries with one file each (sa.c, ceas.c,
 * sb.c, analog.c; sa, ceas and pt share the local-field Metropolis machine of
 * machine.c); ceas_anneal_run drives any of them over independent reads.
 * Read r of a run with seed S uses only the Philox key (S, r): its result is a pure
 * function of (problem, parameters, S, r), whatever other reads run or in which order.
 *
 * Ownership: a problem owns its arrays; a result owns its per-read arrays.
 * Nothing here calls exit() or prints.
 */
#ifndef CEAS_ANNEAL_H
#define CEAS_ANNEAL_H

#include "ceas_hid.h" /* hid_t only: no <hdf5.h> for users */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"
#include "ceas_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- problems ----------------------------------------------------------- */

typedef enum {
  CEAS_ANNEAL_SRC_COUPLINGS,
  CEAS_ANNEAL_SRC_GSET,
  CEAS_ANNEAL_SRC_SK,
  CEAS_ANNEAL_SRC_EA2D,
  CEAS_ANNEAL_SRC_EA3D
} ceas_anneal_source;

typedef enum { CEAS_ANNEAL_BONDS_PM, CEAS_ANNEAL_BONDS_GAUSS } ceas_anneal_bonds;

typedef struct {
  ceas_lattice_system *sys; /* owned; the graph, validated by ceas_lattice_graph_alloc */
  int64_t n;
  int64_t nnz;              /* stored entries = 2 x number of couplings */
  const int64_t *indptr;    /* aliases of sys's arrays */
  const int32_t *indices;
  const double *J;
  const double *h;
  /* Couplings of one magnitude (±J glasses, SK ±1/sqrt(n), unweighted G-set):
   * unit = that magnitude, and the annealers work in units of it, where couplings
   * are ±1 and float32 sums of them are exact integers. Otherwise unit = 1. */
  int one_magnitude;
  double unit;
  float *Jf;                /* nnz: J / unit in float32 */
  float *dense;             /* n x n float32 J / unit, zero diagonal, or NULL */
  int8_t *dense8;           /* the same as int8 signs (one magnitude), or NULL */
  int has_field;
  /* The typical size of a local field, sqrt(sum_ij J_ij^2 / n): the default
   * schedules measure beta in its units. */
  double field_scale;
  double abs_sum;           /* sum_{i<j} |J_ij| + sum_i |h_i|: a bound on |E| */
  /* Where it came from (for output attributes and messages). */
  ceas_anneal_source source;
  char origin[512];         /* path, or a description of the generated instance */
  int64_t n_param;          /* n (sk) or L (ea) of a generated instance, else 0 */
  ceas_anneal_bonds bonds;
  uint64_t seed;            /* instance seed of a generated instance */
  /* G-set: the problem is MaxCut and cut = (w_sum - E) / 2. */
  int maxcut;
  double w_sum;
} ceas_anneal_problem;

int ceas_anneal_problem_from_couplings(const char *path, ceas_anneal_problem **out);
int ceas_anneal_problem_read_gset(const char *path, ceas_anneal_problem **out);
int ceas_anneal_problem_sk(int64_t n, ceas_anneal_bonds bonds, uint64_t seed,
                           ceas_anneal_problem **out);
/* dim 2 or 3, L >= 3. */
int ceas_anneal_problem_ea(int dim, int64_t L, ceas_anneal_bonds bonds, uint64_t seed,
                           ceas_anneal_problem **out);
/* Takes a validated system (ownership passes to the problem, also on failure). */
int ceas_anneal_problem_from_system(ceas_lattice_system *sys, ceas_anneal_source source,
                                    const char *origin, ceas_anneal_problem **out);
void ceas_anneal_problem_free(ceas_anneal_problem *pb);

/* Dense copy: mode 1 builds it, 0 drops it, -1 (auto) builds it when n <=
 * CEAS_ANNEAL_DENSE_MAX and at least 1/25 (int8 rows, one magnitude) or 1/8 (float32
 * rows) of all pairs are coupled: from there a contiguous update of a row of n
 * entries beats the nnz/n indexed ones (docs/anneal.md has the timings). */
#define CEAS_ANNEAL_DENSE_MAX 16384
int ceas_anneal_problem_set_dense(ceas_anneal_problem *pb, int mode);

/* Writers for round trips and for handing an instance to other tools. Both write a
 * temporary file next to `path` and move it into place (refusing to replace an
 * existing file unless force). Couplings: the text edge list of ceas_mapping
 * (0-based "i j J" with 17 significant digits, "h i v", "n N"), which reads back
 * bit for bit. G-set: needs zero fields; weights w = -J, also with %.17g. */
int ceas_anneal_problem_write_couplings(const ceas_anneal_problem *pb, const char *path,
                                        int force);
int ceas_anneal_problem_write_gset(const ceas_anneal_problem *pb, const char *path,
                                   int force);

const char *ceas_anneal_source_name(ceas_anneal_source s);
int ceas_anneal_bonds_parse(const char *s, ceas_anneal_bonds *out);
const char *ceas_anneal_bonds_name(ceas_anneal_bonds b);

/* E(s) in double from the CSR couplings. */
double ceas_anneal_energy(const ceas_anneal_problem *pb, const int8_t *s);
/* Cut value of a configuration of energy E (MaxCut problems; NaN otherwise). */
double ceas_anneal_cut(const ceas_anneal_problem *pb, double energy);
/* The energy of cut value c: w_sum - 2 c (MaxCut problems; NaN otherwise). */
double ceas_anneal_energy_of_cut(const ceas_anneal_problem *pb, double cut);

/* ---- exact ground states ------------------------------------------------ */

/* Gray-code enumeration of all 2^n states (2^(n-1) with spin n-1 fixed to +1 when
 * there is no field, doubling the count: E is then even under s -> -s), updating the
 * energy and the local fields incrementally (O(deg) per state). States within
 * tol = 1e-9 abs_sum of the minimum count as degenerate. config (n entries, may be
 * NULL) receives one ground state. n <= CEAS_ANNEAL_EXACT_MAX, else CEAS_EINPUT. */
#define CEAS_ANNEAL_EXACT_MAX 24
int ceas_anneal_exact_ground(const ceas_anneal_problem *pb, double *e0,
                             uint64_t *degeneracy, int8_t *config);

/* ---- schedules ----------------------------------------------------------- */

typedef enum {
  CEAS_ANNEAL_SCHED_GEOMETRIC,
  CEAS_ANNEAL_SCHED_LINEAR,
  CEAS_ANNEAL_SCHED_FILE
} ceas_anneal_sched_kind;

/* One beta per sweep. Linear: beta_k = b0 + (b1 - b0) k/(S-1); geometric:
 * beta_k = b0 (b1/b0)^(k/(S-1)) (b0, b1 > 0); S = 1 gives b1. */
typedef struct {
  ceas_anneal_sched_kind kind;
  double beta0, beta1; /* first and last beta (for files: as read) */
  uint64_t sweeps;
  double *betas;       /* sweeps entries, owned */
  char file[512];      /* for FILE schedules */
} ceas_anneal_schedule;

int ceas_anneal_schedule_make(ceas_anneal_sched_kind kind, double beta0, double beta1,
                              uint64_t sweeps, ceas_anneal_schedule *out);
/* One beta per non-blank line ('#' starts a comment), each a finite number >= 0;
 * at least one. Messages name FILE:LINE. */
int ceas_anneal_schedule_read(const char *path, ceas_anneal_schedule *out);
void ceas_anneal_schedule_free(ceas_anneal_schedule *s);
const char *ceas_anneal_sched_name(ceas_anneal_sched_kind k);

/* Default beta range of the schedules, in units of the problem's field scale
 * sigma = sqrt(sum_ij J_ij^2 / n) (1 for SK, sqrt(2d) for ±J lattices):
 * beta0 = 0.1/sigma (a flip against a typical field of size sigma is accepted with
 * probability e^-0.2) and beta1 = 10/sigma, where such a flip has probability e^-20
 * and every instance we tried is frozen (docs/anneal.md). */
void ceas_anneal_default_betas(const ceas_anneal_problem *pb, double *beta0, double *beta1);
/* sa's default beta range: the same beta0, and beta1 the larger of 10/sigma and
 * ln(100 n) / dE_min, dE_min = 2 g with g the smallest nonzero local field the
 * couplings allow (unit or 2 unit for one-magnitude couplings without field, by
 * the parity of the degrees; never less than sigma / sqrt(n)). At ln(100 n) /
 * dE_min the last sweep excites the n spins of a local minimum with total
 * probability <= 1 %, so the final state is frozen (D-Wave's neal chooses its cold
 * end so). Dense
 * instances need it: on SK, g = sigma / sqrt(n) and at 10/sigma the smallest
 * flips of N = 1000 were still accepted with e^-0.63, final states 5e-4 per spin
 * above the best seen (182 there); on the +-J lattices 10/sigma is the colder
 * (2D: 5 against 2.9) and kept every final state of 64 reads at its best
 * (docs/anneal.md). */
void ceas_anneal_sa_default_betas(const ceas_anneal_problem *pb, double *beta0,
                                  double *beta1);

/* ---- methods ------------------------------------------------------------- */

typedef enum { CEAS_ANNEAL_ORDER_SEQUENTIAL, CEAS_ANNEAL_ORDER_RANDOM } ceas_anneal_order;

/* How the machine updates its spins (sa, ceas, pt; sb and analog move every
 * oscillator at once, synchronous by construction, and ignore this).
 *  async: single-spin updates one after the other (sequential or random order),
 *         each decision seeing every flip made before it: Metropolis, a valid
 *         sampler of the Boltzmann distribution;
 *  sync:  a clocked array: every spin decides from the fields of the state at the
 *         start of the sweep (site i with the random word of update i), then all
 *         accepted flips are applied and the fields updated. Not a valid sampler
 *         (on bipartite graphs it can cycle between two states, e.g. two coupled
 *         spins flipping together forever); a model of hardware. Needs the
 *         sequential order (the order of the decisions does not matter). */
typedef enum { CEAS_ANNEAL_UPDATE_ASYNC, CEAS_ANNEAL_UPDATE_SYNC } ceas_anneal_update;

/* The machine's work as the cost model counts it (not this simulator's, which may
 * skip zeros or reuse results; docs/anneal_dynamics.md has the table per method). */
typedef struct {
  uint64_t spin_updates; /* single-site state updates (Metropolis decision, oscillator step) */
  uint64_t macs;         /* coupling multiply-accumulates */
  uint64_t bytes;        /* bytes moved between memory and arithmetic */
} ceas_anneal_cost;

/* Picojoules per operation (defaults: ceas_anneal_cost_pj_default in the module's
 * NPU header, Horowitz ISSCC 2014 figures). */
typedef struct {
  double spin_update;
  double mac;
  double byte;
} ceas_anneal_cost_pj;

typedef struct {
  const ceas_anneal_schedule *schedule; /* one beta per sweep; not owned */
  uint64_t seed;                        /* read r uses the key (seed, r) */
  ceas_anneal_order order;
  int has_target;
  double target;        /* total energy; reached when E <= target + tol, */
  double target_tol;    /* tol = 1e-9 max(1, |target|) unless set otherwise */
  uint64_t trace_every; /* record the energy every that many sweeps; 0: none */
  /* The method's own parameters, of the type its table entry declares
   * (ceas_anneal_method.params): ceas_anneal_ceas_params for ceas,
   * ceas_anneal_dyn_params for sb and analog, ceas_anneal_pt_reads_params for pt;
   * NULL: the method's defaults. Not owned. */
  const void *method_params;
  /* The NPU hardware model, for every method (docs/anneal_dynamics.md): */
  ceas_anneal_update update; /* async (default) or sync spin updates */
  /* Gaussian noise on the local field each time a spin decision reads it, sigma =
   * field_noise x the problem's field scale; drawn from Philox by (seed, read,
   * sweep, update slot). Finite and >= 0; 0 (default): the ideal method, bitwise. */
  double field_noise;
  /* Precision of the stored couplings for the cost model only (bytes per coupling
   * and the default pJ per MAC); the caller quantises the problem. 0: float32. */
  int j_bits;
  const ceas_anneal_cost_pj *cost_pj; /* NULL: the defaults for j_bits */
  uint64_t reads; /* set by ceas_anneal_run: the run's reads (a GPU method batches them) */
} ceas_anneal_params;

void ceas_anneal_params_default(ceas_anneal_params *p);

/* What one read reports. Energies are exact (double, recomputed from the
 * configuration); "sweep k" counts from 1. */
typedef struct {
  double best_energy;
  uint64_t best_sweep;       /* sweep after which the best state was first held */
  double final_energy;
  int reached;               /* target given and reached */
  uint64_t sweeps_to_target; /* first sweep ending at E <= target + tol */
  uint64_t updates_to_target;
  double seconds_to_target;
  uint64_t updates;          /* attempted single-spin updates (work) */
  uint64_t flips;            /* accepted ones */
  double seconds;            /* wall time of the read */
  ceas_anneal_cost cost;     /* the machine's work in this read */
  double energy_pj;          /* cost priced with the run's pJ figures */
} ceas_anneal_read;

/* Called every few sweeps with the sweeps done in the current read. */
typedef struct {
  volatile sig_atomic_t *stop; /* non-zero: stop with CEAS_EINTERRUPT */
  void (*sweeps_done)(void *ctx, uint64_t sweeps);
  void *ctx;
} ceas_anneal_hooks;

/* The type of a method's own parameters (ceas_anneal_params.method_params). */
typedef enum {
  CEAS_ANNEAL_PARAMS_NONE, /* sa: none */
  CEAS_ANNEAL_PARAMS_CEAS, /* ceas_anneal_ceas_params (ceas_anneal_ceas.h) */
  CEAS_ANNEAL_PARAMS_DYN,  /* ceas_anneal_dyn_params (anneal_npu.h): sb, analog */
  CEAS_ANNEAL_PARAMS_PT    /* ceas_anneal_pt_reads_params (ceas_anneal_pt.h) */
} ceas_anneal_params_kind;

struct ceas_anneal_result;

/* A method, GSL-style: a table entry that ceas_anneal_run drives over reads. Every
 * function pointer is set.
 *  check()  whether it can run pb with p (CEAS_EINPUT with a message if not);
 *  alloc()  per-run work space (keeps pb and p: they must outlive it);
 *  read()   performs read r into *res, writing the best configuration into best
 *           (n entries) and, if trace_every > 0, the energy after sweeps trace_every,
 *           2 trace_every, ... into trace (sweeps / trace_every entries, sweeps as
 *           shape() says; the energy is the method's running value, exact up to
 *           float32 rounding). Reads are made in the order 0, 1, ...;
 *  finish() hands the result what the method measured beyond the per-read fields
 *           (sb, analog: the parameters they derived; pt: the ladder statistics);
 *  free()   releases the work space;
 *  shape()  the sweeps of one read (pt: tuning included) and the bytes a read
 *           keeps beyond its configuration and trace (for ceas_anneal_result_check);
 *  default_betas()  the method's default beta range for pb (ceas_anneal_default_betas
 *           or ceas_anneal_sa_default_betas). */
typedef struct ceas_anneal_method {
  const char *name;
  const char *summary;
  ceas_anneal_params_kind params; /* the type of p->method_params */
  /* The kernel under the method's name: NULL for local-field bookkeeping, "packed"
   * for the multi-spin-coded ±J kernel that sa and pt use on even tori (written as
   * the output's `kernel` attribute). */
  const char *kernel;
  const char *rng;       /* the generators that really draw (the output's `rng`) */
  int synchronous;       /* every oscillator moves at once (sb, analog): update "sync" */
  /* Reads are collective over the MPI communicator of the method's parameters
   * (pt): every rank of it calls ceas_anneal_run with the same arguments. */
  int collective;
  /* The same method in the packed kernel, for ceas_anneal_method_kernel (sa, pt),
   * else NULL. */
  const struct ceas_anneal_method *packed;
  /* Where the method runs: NULL the CPU, "gpu" a CUDA GPU (src/gpu: every read of
   * the run in one batch, bit for bit the CPU twin's reads; the output's `device`). */
  const char *device;
  /* The same method on the GPU, for ceas_anneal_method_device (sa, sb-discrete),
   * else NULL. */
  const struct ceas_anneal_method *gpu;
  int (*check)(const ceas_anneal_problem *pb, const ceas_anneal_params *p);
  int (*alloc)(const ceas_anneal_problem *pb, const ceas_anneal_params *p, void **work);
  int (*read)(void *work, uint64_t r, const ceas_anneal_hooks *hooks,
              ceas_anneal_read *res, int8_t *best, double *trace);
  int (*finish)(void *work, struct ceas_anneal_result *r);
  void (*free)(void *work);
  void (*shape)(const ceas_anneal_params *p, uint64_t *sweeps, size_t *read_bytes);
  void (*default_betas)(const ceas_anneal_problem *pb, double *beta0, double *beta1);
} ceas_anneal_method;

/* NULL-terminated table (sa, ceas, sb-ballistic, sb-discrete, analog, pt) and
 * lookup by name (NULL if unknown). */
extern const ceas_anneal_method *const ceas_anneal_methods[];
const ceas_anneal_method *ceas_anneal_method_find(const char *name);

/* The kernel that runs method m on pb with p: kernel -1 (auto) picks m->packed
 * where it applies (a generated ea2d/ea3d ±J instance with even L, no field noise,
 * asynchronous updates, sequential order: exact fields as asked), 0 keeps m (local
 * fields), 1 insists on the packed kernel. CEAS_EINPUT, naming --kernel, where 1 is
 * asked and does not apply or a kernel is asked of a method without a packed
 * variant. */
int ceas_anneal_method_kernel(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                              const ceas_anneal_params *p, int kernel,
                              const ceas_anneal_method **out);

/* The method that runs m on pb with p on the device asked (gpu 0: m itself; 1: its
 * GPU twin m->gpu, the same reads bit for bit). CEAS_EINPUT naming --device gpu
 * where m has no twin, the instance or parameters are not what the GPU kernels
 * take (sa: no fields, n <= 16384 with couplings of one magnitude, else n <= 4096;
 * sb-discrete: couplings of one magnitude, no fields, n <= 8192; neither with
 * --field-noise, --update sync, --order random, --trace-every or a target), the
 * build has no CUDA or the machine no CUDA device. */
int ceas_anneal_method_device(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                              const ceas_anneal_params *p, int gpu,
                              const ceas_anneal_method **out);

/* ---- runs: reads, success probability, time to solution ----------------- */

/* pt's ladder statistics, per read (ceas_anneal_pt.h has what they measure). */
typedef struct {
  int temperatures;            /* M */
  uint64_t exchange_every;
  int tune_rounds;
  uint64_t tune_sweeps;
  int ranks;                   /* size of the communicator the walkers ran on */
  double *betas;               /* reads x M: the ladder of the measured sweeps */
  double *acceptance;          /* reads x (M - 1): exchange acceptance per gap */
  double *e_mean, *e_err;      /* reads x M: <E>/n per temperature, binned error */
  uint64_t *round_trips;       /* reads */
  double *sweeps_per_round_trip; /* reads */
} ceas_anneal_pt_stats;

typedef struct ceas_anneal_result {
  uint64_t reads;
  ceas_anneal_read *per_read;  /* reads */
  int8_t *configs;             /* reads x n: best configuration of each read */
  double *traces;              /* reads x trace_len, or NULL */
  uint64_t trace_len;
  double seconds;              /* wall time of all reads */
  double cpu_seconds;          /* CPU time of the calling thread over all reads */
  uint64_t best_read;          /* read with the lowest best_energy (first if tied) */
  double best_energy;
  /* With a target: */
  uint64_t successes;
  double p_success;            /* successes / reads */
  double tts99_seconds;        /* ceas_anneal_tts99(mean read seconds, p) */
  double tts99_updates;        /* the same in spin updates */
  /* The parameters a method derived from the instance and really used (sb: dt, a0,
   * c0; analog: dt, eps, p0, p1, noise), written as attributes of that name. */
  int n_used;
  struct {
    const char *name;
    double value;
  } used[8];
  ceas_anneal_pt_stats *pt;    /* pt: owned; other methods: NULL */
} ceas_anneal_result;

/* The library's entry point for annealing: runs reads 0 .. reads-1 of any method
 * of the table, pt included (after checking the NPU fields of p, then the method's
 * check, then trace_every against the sweeps of a read; sb and analog receive p's
 * field_noise and j_bits through their own parameters; each read's cost is priced
 * with p->cost_pj, or the defaults for p->j_bits) and summarises them: best read,
 * successes and, with a target, p_success and TTS99 (NaN without one). A
 * collective method (pt) must be called by every rank of its communicator and
 * gives every rank the same result. A stop request returns CEAS_EINTERRUPT and no
 * result. progress (may be NULL) gets the fraction of all sweeps done and the
 * elapsed seconds, at most every half second. */
int ceas_anneal_run(const ceas_anneal_problem *pb, const ceas_anneal_method *method,
                    const ceas_anneal_params *p, uint64_t reads,
                    volatile sig_atomic_t *stop,
                    void (*progress)(double fraction, double elapsed, void *ctx),
                    void *progress_ctx, ceas_anneal_result **out);
void ceas_anneal_result_free(ceas_anneal_result *r);
/* The size rule (ceas_size_check) for a result of `reads` reads of n spins with
 * traces of trace_len energies and extra_per_read more bytes a read (pt's ladder
 * statistics): every factor comes from input (--reads, the instance, --sweeps /
 * --trace-every), so a result larger than memory is refused up front (exit 2). */
int ceas_anneal_result_check(uint64_t reads, int64_t n, uint64_t trace_len,
                             size_t extra_per_read);

/* Time to solution with 99 % confidence from the cost of one read t and the
 * success probability p of a read: the number of reads R with 1 - (1-p)^R = 0.99
 * times t, TTS99 = t ln(0.01) / ln(1 - p). Conventions: p >= 0.99 gives t (one read
 * already succeeds with probability >= 99 %; R < 1 reads cannot be run), p = 0 gives
 * +inf (no finite number of reads is known to succeed), p outside [0, 1] or NaN
 * gives NaN. */
double ceas_anneal_tts99(double t, double p);

/* Writes a run: attributes (parameters, seeds, problem, summary) on loc, the
 * per-read datasets, pt's group "pt" when r->pt is set, and the units and
 * description of every dataset (ceas_io_describe; see docs/anneal.md for the
 * layout). e0 / degeneracy: exact ground state if known (degeneracy 0: unknown). */
int ceas_anneal_write(hid_t loc, const ceas_anneal_problem *pb,
                      const ceas_anneal_method *method, const ceas_anneal_params *p,
                      const ceas_anneal_result *r, double e0, uint64_t degeneracy,
                      const char *command_line);

#ifdef __cplusplus
}
#endif

#endif
