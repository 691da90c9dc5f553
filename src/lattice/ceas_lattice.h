/*
 * ceas_lattice — Ising systems and their Monte Carlo update kernels.
 *
 * A system is N spins s_i = ±1 with symmetric couplings J_ij (CSR, both
 * directions stored, no diagonal) and fields h_i:
 *
 *     H(s) = - sum_{i<j} J_ij s_i s_j - sum_i h_i s_i .
 *
 * Hypercubic lattices (ising2d: L x L, ising3d: L^3, periodic, J = 1 on each
 * nearest-neighbour bond) are systems with geometry attached: site index
 * i = x0 + L x1 + L^2 x2. At L = 2 the +x and -x neighbours coincide and each
 * site's row lists that neighbour twice: the torus convention, where every site has
 * 2d bonds. General graphs come from ceas_lattice_graph_alloc().
 *
 * Kernels are objects (ceas_lattice_kernel_metropolis, ...), chosen by name
 * through the kernel table of ceas_kernel.h. One call to a kernel's sweep()
 * advances the chain by one sweep:
 *   metropolis, heatbath   N single-spin updates. Lattices: checkerboard order
 *                          (all sites with even x0+x1+x2, then odd), update k
 *                          of the sweep using 32-bit uniform k of the
 *                          Philox4x32 stream (sweep, k/4) under a key derived
 *                          from (seed, stream, kernel); graphs: N
 *                          random-sequential updates, update k drawing from
 *                          counter (sweep, k).
 *   wolff                  a fixed number of single-cluster flips per sweep
 *                          (ceas_lattice_state.wolff_clusters), which a run sets
 *                          during thermalisation so that one sweep flips about N
 *                          spins on average. Keeping it fixed while measuring
 *                          keeps the kernel an exact power of the Wolff kernel.
 *   sw                     one Swendsen–Wang update (all clusters).
 * Metropolis accepts zero-energy flips with probability 1/2 (not 1): with 1,
 * checkerboard sweeps are reducible on small tori (see single.c).
 * Cluster kernels need J_ij >= 0 and h = 0; ceas_lattice_kernel_check() says so
 * with a message instead of running a wrong algorithm.
 *
 * Random numbers come from the state's key and the sweep counter only, so a
 * state and its sweep counter determine the future exactly (checkpointable).
 *
 * Ownership: a system owns its arrays; a state owns its spins and work buffers
 * and refers to (does not own) its system.
 */
#ifndef CEAS_LATTICE_H
#define CEAS_LATTICE_H

#include <stdint.h>

#include "ceas_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  CEAS_MODEL_ISING2D,
  CEAS_MODEL_ISING3D,
  CEAS_MODEL_GRAPH
} ceas_model_kind;

typedef struct {
  ceas_model_kind kind;
  int dim;     /* 2 or 3 for lattices, 0 for graphs */
  long L;      /* linear size for lattices, 0 for graphs */
  int64_t n;   /* number of spins */
  int64_t *indptr;  /* n + 1 */
  int32_t *indices; /* nnz */
  double *J;        /* nnz */
  double *h;        /* n */
  int uniform_ferro; /* all J_ij = 1 (lattices): kernels may use tables */
  int has_field;     /* any h_i != 0 */
  int all_ferro;     /* all J_ij >= 0 */
} ceas_lattice_system;

/* Lattice of the given kind and size (L >= 2) with uniform field h. */
int ceas_lattice_hypercubic_alloc(ceas_model_kind kind, long L, double h,
                                  ceas_lattice_system **out);

/* General graph from CSR arrays (copied). Validates: indptr monotone from 0 to
 * nnz, indices in range, no self-coupling, finite values, J symmetric (each
 * (i,j) present with the same value as (j,i)). `source` names the input in
 * messages. */
int ceas_lattice_graph_alloc(int64_t n, const int64_t *indptr,
                             const int32_t *indices, const double *J,
                             const double *h, const char *source,
                             ceas_lattice_system **out);

void ceas_lattice_system_free(ceas_lattice_system *sys);

const char *ceas_lattice_model_name(ceas_model_kind kind);
int ceas_lattice_model_parse(const char *name, ceas_model_kind *kind);

/* Energy (total, not per spin) and magnetisation sum of a configuration. */
double ceas_lattice_energy(const ceas_lattice_system *sys, const int8_t *s);
double ceas_lattice_magnetization(const ceas_lattice_system *sys,
                                  const int8_t *s);

/* F = |sum_x s_x e^{i k.x}|^2 / N averaged over the dim directions at
 * |k| = 2 pi / L (the second-moment correlation length input). Lattices only;
 * returns NaN for graphs. */
double ceas_lattice_structure_factor_kmin(const ceas_lattice_system *sys,
                                          const int8_t *s);

/* ---- state and kernels -------------------------------------------------- */

typedef struct ceas_lattice_work ceas_lattice_work; /* private buffers */

typedef struct {
  const ceas_lattice_system *sys;
  int8_t *spins;
  ceas_rng_key key;
  uint64_t sweep;       /* sweeps done so far; the counter of the next sweep */
  long wolff_clusters;  /* clusters per Wolff sweep (>= 1) */
  uint64_t flipped;     /* spins flipped by cluster kernels (for tuning) */
  ceas_lattice_work *work;
} ceas_lattice_state;

typedef enum { CEAS_INIT_HOT, CEAS_INIT_COLD } ceas_lattice_init;

/* Random (hot, drawn from counter stream "init") or all-up (cold) start. */
int ceas_lattice_state_alloc(const ceas_lattice_system *sys, ceas_rng_key key,
                             ceas_lattice_init init,
                             ceas_lattice_state **out);
void ceas_lattice_state_free(ceas_lattice_state *st);

typedef struct ceas_lattice_kernel {
  const char *name;
  const char *summary;
  int cluster; /* needs ferromagnetic couplings and zero field */
  int (*sweep)(ceas_lattice_state *st, double beta);
  /* NULL, or CEAS_EINPUT with a message when the kernel would be wrong here. */
  int (*check)(const struct ceas_lattice_kernel *k, const ceas_lattice_system *sys);
} ceas_lattice_kernel;

/* The kernels. Runs choose them by name through the one kernel table
 * (ceas_kernel.h, src/task), which refers to these. */
extern const ceas_lattice_kernel ceas_lattice_kernel_metropolis;
extern const ceas_lattice_kernel ceas_lattice_kernel_heatbath;
extern const ceas_lattice_kernel ceas_lattice_kernel_wolff;
extern const ceas_lattice_kernel ceas_lattice_kernel_sw;

/* CEAS_EINPUT with a message if the kernel cannot run on this system. */
int ceas_lattice_kernel_check(const ceas_lattice_kernel *k,
                              const ceas_lattice_system *sys);

/* One single-spin update of site i with uniform u in [0,1): the acceptance rule
 * of metropolis/heatbath, exposed so tests can check detailed balance of the rule
 * itself. Returns 1 if the spin flipped. */
int ceas_lattice_site_metropolis(const ceas_lattice_system *sys, int8_t *s,
                                 int64_t i, double beta, double u);
int ceas_lattice_site_heatbath(const ceas_lattice_system *sys, int8_t *s,
                               int64_t i, double beta, double u);

/* A thermalisation-only Wolff sweep: clusters until at least N spins have
 * flipped (the data-dependent stopping rule would bias measurements, so it is
 * used only to learn the cluster count). Adds the clusters it used to *clusters. */
int ceas_lattice_wolff_sweep_tune(ceas_lattice_state *st, double beta,
                                  int64_t *clusters);

/* One Wolff cluster flip seeded from the cursor; returns the cluster size. */
int64_t ceas_lattice_wolff_step(ceas_lattice_state *st, double beta,
                                ceas_rng_seq *rng);

/* ---- pieces of the plain lattice kernel, for domain decomposition ---------
 * src/decomp runs one torus over MPI ranks and must reproduce the single-rank
 * metropolis/heatbath chain bitwise; these are the very pieces the single-rank
 * sweep is built from, so the two cannot drift apart. */

/* The threshold t of acceptance probability p for a 32-bit uniform u: P(u < t) =
 * t / 2^32 with t = ceil(p 2^32) (exact up to an upward rounding of less than
 * 2^-32; 0 for p <= 0 or NaN, 2^32 for p >= 1). Every kernel that draws 32-bit
 * uniforms (these, the msc kernels) uses this one rule, so that they agree
 * bitwise. */
uint64_t ceas_lattice_threshold(double p);

/* Acceptance thresholds of the uniform-torus kernel at (beta, h): a site with spin
 * s and neighbour sum ns flips (metropolis) or becomes +1 (heatbath) iff its 32-bit
 * uniform is < thr[s > 0][ns + zmax]. */
typedef struct {
  uint64_t thr[2][13];
  int zmax;     /* 2 dim */
  int heatbath; /* 0: metropolis */
  int dim;      /* 2 or 3 */
} ceas_lattice_rowkernel;

void ceas_lattice_rowkernel_init(ceas_lattice_rowkernel *rk, int dim, double h, double beta,
                                 int heatbath);

/* Updates sites x0, x0 + 2, ... < L of row w in that order, the j-th with uniform
 * u[j]; up/dn are the rows at y +- 1 and fw/bw those at z +- 1 (3D; ignored in 2D).
 * Reads of w itself are the x +- 1 neighbours (periodic in x). */
void ceas_lattice_rowkernel_row(const ceas_lattice_rowkernel *rk, int8_t *w, const int8_t *up,
                                const int8_t *dn, const int8_t *fw, const int8_t *bw, int64_t L,
                                int64_t x0, const uint32_t *u);

/* The Philox4x32 key of the lattice metropolis (heatbath = 0) or heatbath sweeps. */
ceas_rng_key32 ceas_lattice_sweep_key32(ceas_rng_key key, int heatbath);

/* Uniforms k .. k + m - 1 of sweep `sweep` (update k of a sweep uses uniform k). */
void ceas_lattice_uniforms32(ceas_rng_key32 key, uint64_t sweep, uint64_t k, uint32_t *buf,
                             int64_t m);

/* Initial spins of sites first .. first + n - 1, exactly as ceas_lattice_state_alloc
 * sets them. */
void ceas_lattice_initial_spins(ceas_rng_key key, ceas_lattice_init init, int64_t first,
                                int64_t n, int8_t *out);

/* Energy of a lattice configuration from its bond sum B = sum over bonds of
 * s_i s_j and magnetisation M: -B - h M. ceas_lattice_energy uses it on lattices. */
double ceas_lattice_energy_from_counts(int64_t bonds, int64_t m, double h);

/* ceas_lattice_structure_factor_kmin from the axis projections:
 * proj[d L + x] = sum of the spins with coordinate x along axis d. cs is NULL or
 * the table of ceas_lattice_kmin_phases (same result, no cos/sin calls). */
double ceas_lattice_structure_factor_from_projections(int dim, long L, const int64_t *proj,
                                                      const double *cs);
/* cs[x] = cos(2 pi x / L), cs[L + x] = sin(2 pi x / L), x < L (2 L entries). */
void ceas_lattice_kmin_phases(long L, double *cs);

#ifdef __cplusplus
}
#endif

#endif
