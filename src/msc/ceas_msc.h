/*
 * ceas_msc — replica-packed multi-spin-coded Metropolis for the Ising model on
 * the L x L (ising2d) and L^3 (ising3d) torus, J = 1, h = 0 (no field yet).
 *
 * Packing (Isakov, Zintchenko, Rønnow & Troyer, Comput. Phys. Commun. 192, 265
 * (2015)): bit r of the word at a site is the spin of replica r there, so one
 * word holds R independent Markov chains, R = 64 (one uint64_t) or 256 (four
 * uint64_t lanes; replica r is bit r % 64 of lane r / 64). A set bit is spin -1,
 * so an all-zero state is all-up. Neighbour counts come from bitwise adders and
 * one uniform per site and half-sweep is shared by all R replicas of the word.
 *
 * Update rule, identical to the engine's metropolis kernel (ceas_lattice.h):
 * checkerboard sweeps (colour (x0 + x1 + x2) & 1; all colour-0 sites, then all
 * colour-1 sites), acceptance a(dE) = min(1, exp(-beta dE)) for dE != 0 and 1/2
 * for dE = 0 (a(0) = 1 makes checkerboard sweeps reducible on small tori). With
 * k of the 2d neighbours antiparallel, dE = 4 (d - k), so a site flips iff
 * u < a_k with a_k = exp(-4 beta (d - k)) for k < d, 1/2 for k = d, 1 for k > d.
 * L must be even (the two colours must not touch across the boundary); at L = 2
 * the +x and -x neighbours coincide and count twice, the engine's convention.
 *
 * Random numbers (Philox4x64-10, ceas_rng_bits, key = (seed, stream)): a site of
 * colour c has the in-colour index q = row * (L/2) + (x0 >> 1), row = x1 (2D) or
 * x1 + L x2 (3D). In sweep t its uniform is the 32-bit half (q & 1: 0 low, 1
 * high) of word (q & 7) >> 1 of ceas_rng_bits(key, t, q >> 3,
 * CEAS_MSC_TAG_METROPOLIS, c): 8 uniforms per Philox call. The comparison is
 * u < ceil(a_k 2^32) in integers, so each acceptance probability is realised
 * exactly up to an upward rounding below 2^-32 — far below any statistical error
 * a run can reach. The hot start gives site i = x0 + L x1 + L^2 x2 the lane words
 * ceas_rng_bits(key, 0, i, CEAS_MSC_TAG_INIT, 0)[lane]. Every draw is fixed by
 * (seed, stream, sweep, site) alone, so the state after t sweeps is a pure
 * function of the key, independent of R except through which lanes exist:
 * replica r < 64 of an R = 256 state is bitwise the R = 64 state's replica r.
 * The replicas of one word are not independent of each other (they share
 * uniforms); error bars must come from binning the replica-averaged time
 * series, never from treating the R replicas as R samples. How dependent they
 * are was measured (bench/README.md): with one shared uniform the replicas of a
 * 2D torus at beta_c lock together, each equal to one of two mirror-image
 * configurations after about L^2 / 2 sweeps, so the R replicas then carry the
 * statistics of a single chain; above T_c they stay distinct but their energies
 * are strongly correlated (about 3 independent replicas' worth of 256).
 *
 * Antithetic option (off by default, ceas_msc_set_antithetic): replica r uses
 * the complement ~u = 2^32 - 1 - u of its site's uniform instead of u where bit r
 * of a fixed pattern word is set: bit r % 64 of lane r / 64 of P_c[q % 64], P_c[k]
 * lane l = ceas_rng_bits(key, 0, 64 c + k, CEAS_MSC_TAG_PATTERN, 0)[l]. ~u is as
 * uniform as u, so every replica is still exactly the Metropolis chain above,
 * with one random number per site and word; but two replicas now disagree about
 * the uniform at half the sites, which stops the locking (measured, R = 256:
 * the energy's error bar is that of ~150 independent replicas instead of 1 on
 * the 2D L = 64 torus at beta_c, ~40 instead of 9 on 3D L = 16 at beta_c, ~10
 * instead of 3 on 2D L = 64 at beta = 0.35). Cost: d + 1 more masks per site
 * and one select per mask.
 *
 * Speed: a call for n sweeps runs them in wavefront passes over the lattice
 * (temporal blocking, several sweeps per pass, see sweep.c); the result is
 * bitwise that of n single sweeps. Kernels exist for AVX-512VL, AVX2 and portable C, chosen at run time;
 * all give bitwise the same states.
 *
 * State and checkpoints: the state is (spin words, sweeps done); the key is fixed
 * at allocation. ceas_msc_get_state/set_state use a layout independent of the
 * internal one: word w[i * (R/64) + lane] for site i = x0 + L x1 + L^2 x2.
 *
 * Errors: CEAS_EINPUT with a message for bad arguments, CEAS_ENOMEM.
 * Ownership: a state owns its memory; callers own every array they pass.
 */
#ifndef CEAS_MSC_H
#define CEAS_MSC_H

#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Third counter word of the draws (ceasim-wide purpose tags are distinct). */
#define CEAS_MSC_TAG_INIT UINT64_C(0x6d73630001)
#define CEAS_MSC_TAG_METROPOLIS UINT64_C(0x6d73630002)
#define CEAS_MSC_TAG_PATTERN UINT64_C(0x6d73630003)

typedef struct ceas_msc_state ceas_msc_state;

typedef enum { CEAS_MSC_HOT, CEAS_MSC_COLD } ceas_msc_init;

/* dim 2 or 3, L even with 2 <= L <= 65536 (2D) or 2048 (3D), replicas 64 or
 * 256. Hot start as above, cold = all up. */
int ceas_msc_alloc(int dim, long L, int replicas, ceas_rng_key key,
                   ceas_msc_init init, ceas_msc_state **out);
void ceas_msc_free(ceas_msc_state *st);

int ceas_msc_dim(const ceas_msc_state *st);
long ceas_msc_L(const ceas_msc_state *st);
int ceas_msc_replicas(const ceas_msc_state *st);
int64_t ceas_msc_sites(const ceas_msc_state *st);
uint64_t ceas_msc_sweeps_done(const ceas_msc_state *st);

/* Advances every replica by n sweeps at inverse temperature beta (finite, >= 0). */
int ceas_msc_sweep(ceas_msc_state *st, double beta, uint64_t n);

/* Kernel implementation: "auto" (the best the CPU runs), "avx512", "avx2",
 * "generic". CEAS_EINPUT if unknown or not supported by this CPU. */
int ceas_msc_set_isa(ceas_msc_state *st, const char *isa);
const char *ceas_msc_isa(const ceas_msc_state *st);
/* Part of the chain's definition, like the key: set it before sweeping. */
void ceas_msc_set_antithetic(ceas_msc_state *st, int on);
int ceas_msc_antithetic(const ceas_msc_state *st);
/* Sweeps per wavefront pass: 0 = automatic (from the slab size against a cache
 * budget, sweep.c), else 1..64. Changes speed only, never results. */
int ceas_msc_set_depth(ceas_msc_state *st, int depth);
/* The depth a call of ceas_msc_sweep with n >= depth would use. */
int ceas_msc_depth(const ceas_msc_state *st);

/* ---- measurements --------------------------------------------------------- */

/* Per-replica totals: E[r] = -sum over the d N bonds of s_i s_j, M[r] = sum_i
 * s_i (arrays of ceas_msc_replicas() entries). Counted bit-sliced with
 * carry-save vertical counters, exact integers. */
int ceas_msc_measure(const ceas_msc_state *st, int64_t *E, int64_t *M);

/* One point of the replica-averaged time series: means over the R replicas of
 * e = E/N, e^2, |m|, m^2, m^4 with m = M/N. Analyse a run's series with the
 * binning / jackknife of ceas_measure.h; <e^2> - <e>^2 of these averages is the
 * canonical energy variance (specific heat C = beta^2 N var). */
typedef struct {
  double e, e2, abs_m, m2, m4;
} ceas_msc_sample;

void ceas_msc_replica_average(const ceas_msc_state *st, const int64_t *E,
                              const int64_t *M, ceas_msc_sample *out);

/* ---- state ---------------------------------------------------------------- */

/* Number of uint64_t words of the state: sites * replicas / 64. */
size_t ceas_msc_state_words(const ceas_msc_state *st);
void ceas_msc_get_state(const ceas_msc_state *st, uint64_t *words,
                        uint64_t *sweeps_done);
void ceas_msc_set_state(ceas_msc_state *st, const uint64_t *words,
                        uint64_t sweeps_done);

/* Replica r's spins (+1 / -1) in site order i = x0 + L x1 + L^2 x2. */
int ceas_msc_get_replica(const ceas_msc_state *st, int r, int8_t *spins);

#ifdef __cplusplus
}
#endif

#endif
