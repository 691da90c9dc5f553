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
#include "ceas_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Third counter word of the draws (ceasim-wide purpose tags are distinct). */
#define CEAS_MSC_TAG_INIT UINT64_C(0x6d73630001)
#define CEAS_MSC_TAG_METROPOLIS UINT64_C(0x6d73630002)
#define CEAS_MSC_TAG_PATTERN UINT64_C(0x6d73630003)

typedef struct ceas_msc_state ceas_msc_state;

/* Hot or cold start: the lattice's one enum (ceas_lattice.h), under the names
 * the msc callers have always used. */
typedef ceas_lattice_init ceas_msc_init;
#define CEAS_MSC_HOT CEAS_INIT_HOT
#define CEAS_MSC_COLD CEAS_INIT_COLD

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

/* Per-replica structure factor at the smallest wave vector, F[r] exactly as
 * ceas_lattice_structure_factor_kmin gives it for replica r's spins (the same
 * expression, from the axis projections, counted bit-sliced). CEAS_ENOMEM. */
int ceas_msc_measure_sf(const ceas_msc_state *st, double *F);

/* One point of the replica-averaged time series: means over the R replicas of
 * e = E/N, e^2, |m|, m^2, m^4 with m = M/N. Analyse a run's series with the
 * binning / jackknife of ceas_measure.h; <e^2> - <e>^2 of these averages is the
 * canonical energy variance (specific heat C = beta^2 N var). */
typedef struct {
  double e, e2, abs_m, m2, m4;
} ceas_msc_sample;

void ceas_msc_replica_average(const ceas_msc_state *st, const int64_t *E,
                              const int64_t *M, ceas_msc_sample *out);
/* The same of R replicas of `sites` sites, for totals whose state is not a
 * ceas_msc_state (the GPU's). */
void ceas_msc_average(int R, int64_t sites, const int64_t *E, const int64_t *M,
                      ceas_msc_sample *out);

/* ---- state ---------------------------------------------------------------- */

/* Number of uint64_t words of the state: sites * replicas / 64. */
size_t ceas_msc_state_words(const ceas_msc_state *st);
void ceas_msc_get_state(const ceas_msc_state *st, uint64_t *words,
                        uint64_t *sweeps_done);
void ceas_msc_set_state(ceas_msc_state *st, const uint64_t *words,
                        uint64_t sweeps_done);

/* Replica r's spins (+1 / -1) in site order i = x0 + L x1 + L^2 x2. */
int ceas_msc_get_replica(const ceas_msc_state *st, int r, int8_t *spins);

/* ==== single-lattice multi-spin coding (single.c) ============================
 *
 * One L x L (dim 2) or L^3 (dim 3) torus, J = 1, h = 0, 64 sites per uint64_t:
 * for the biggest systems, where replicas do not fit, and for the
 * decomposition (src/decomp). L must be a multiple of 128: a row holds L / 2
 * sites of each colour, and with L / 2 a multiple of 64 every row is a whole
 * number of words, so the periodic wrap is a word wrap plus a one-bit carry
 * and no word mixes two rows.
 *
 * Layout. Site (x, y, z) (z = 0 in 2D) has colour c = (x + y + z) & 1 and lies
 * in row r = y (2D) or y + L z (3D), the lattice's R = L^(d-1) rows. Row r of
 * colour c is nw = L / 128 words; site x = 2 j + ((c + y + z) & 1) is bit j & 63
 * of word j >> 6. A set bit is spin -1. A plane is a row (2D) or the L rows of
 * one z (3D), pw = ceas_msc_single_plane_words() words per colour; the planes
 * of a colour are stored one after the other. A site's neighbours, all of
 * colour 1 - c, are the same bit j in rows y +- 1 (and z +- 1), and in its own
 * row the bits j and j - 1 ((c + y + z) even) or j and j + 1 (odd): one shift
 * with the carry from the next or previous word.
 *
 * Update: synchronous checkerboard (colour 0 then colour 1; a colour's sites do
 * not interact, so updating them at once is the sequential chain), the rule of
 * the engine's metropolis kernel: with k of the 2d neighbours antiparallel a
 * site flips always for k > d, with probability 1/2 for k = d (dE = 0, see
 * src/lattice/single.c) and with p_q = exp(-4 beta q), q = d - k, for k < d.
 *
 * Random numbers: Philox4x32-10 (ceas_rng_fill32 / ceas_rng_bits32) under key
 * ceas_rng_key32_derive(key, CEAS_MSC_TAG_SINGLE), counter words c2 = t mod
 * 2^32, c3 = 2 (t >> 32) + c in sweep t, colour c. Each site has one 32-bit
 * uniform U and makes exactly one decision: flip iff U < 2^31 for k = d (U's top
 * bit is 0), iff U < T_q = ceil(p_q 2^32) for q = d - k >= 1 (p >= 1: always,
 * no draw), always for k > d.
 *  - The top 8 bits of U, as bit planes: word w of row r owns 8 64-bit slots,
 *    slot s = 32-bit words 2 (s & 1) (low half) and 2 (s & 1) + 1 (high half)
 *    of block ((s / 2) R + r) nw + w; bit i of slot s is bit 31 - s of the U of
 *    the site at bit i. These are drawn for every word (bulk fills).
 *  - The low 24 bits only where they matter: a site of class q >= 1 whose top 8
 *    bits equal those of T_q ("tied", probability 2^-8) takes the next word of
 *    its row's deep stream, in the order of j over the row; U's low 24 bits are
 *    that word's top 24 bits (the site flips iff word >> 8 < T_q mod 2^24).
 *    Word k of the deep stream of row r is 32-bit word k & 3 of block
 *    16 R nw + (k / 4) R + r (above every plane block; block k / 4 of
 *    consecutive rows is consecutive, so a chunk of rows draws it in one fill).
 * U's bits come from distinct counters, so U is uniform on 32 bits and the
 * sites' U are independent; which deep word a tied site gets depends on the
 * other sites' top bits, never on its own. Truncating U to 32 bits moves each
 * probability up by less than 2^-32, as in the plain kernel. Every draw is fixed
 * by (seed, stream, sweep, colour, row, word or rank in the row, slot), so the
 * result does not depend on the order of the updates, on how rows are chunked,
 * or on how the planes are split over ranks. Not bitwise the plain kernel's
 * chain (different random numbers), the same Markov chain in law.
 * The hot start: word w of row r, colour c = ceas_rng_bits(key, r, w,
 * CEAS_MSC_TAG_SINGLE_INIT, c)[0]; cold = all up.
 * Speed (bench/README.md): ~3 flips/ns at 2D L = 1024 on one core here (8-9x
 * the plain kernel), about 64% of it Philox for the 8 planes; the bitwise pass
 * has an AVX2 clone chosen at run time.
 */
#define CEAS_MSC_TAG_SINGLE UINT64_C(0x6d73630004)
#define CEAS_MSC_TAG_SINGLE_INIT UINT64_C(0x6d73630005)

typedef struct ceas_msc_single ceas_msc_single;

/* The torus: dim 2 with L a multiple of 128, 128 <= L <= 65536, or dim 3 with
 * 128 <= L <= 2048. ceas_msc_single_alloc is dim 2. */
int ceas_msc_single_alloc_dim(int dim, long L, ceas_rng_key key, ceas_msc_init init,
                              ceas_msc_single **out);
int ceas_msc_single_alloc(long L, ceas_rng_key key, ceas_msc_init init,
                          ceas_msc_single **out);
void ceas_msc_single_free(ceas_msc_single *st);
int ceas_msc_single_dim(const ceas_msc_single *st);
long ceas_msc_single_L(const ceas_msc_single *st);
int64_t ceas_msc_single_sites(const ceas_msc_single *st);
uint64_t ceas_msc_single_sweeps_done(const ceas_msc_single *st);

/* n sweeps at inverse temperature beta (finite, >= 0). */
int ceas_msc_single_sweep(ceas_msc_single *st, double beta, uint64_t n);

/* E = -sum over the d N bonds of s_i s_j, M = sum_i s_i, from popcounts. */
void ceas_msc_single_measure(const ceas_msc_single *st, int64_t *E, int64_t *M);

/* Spins (+1 / -1) in site order i = x + L y + L^2 z; set_spins also sets
 * sweeps done. */
void ceas_msc_single_get_spins(const ceas_msc_single *st, int8_t *spins);
void ceas_msc_single_set_spins(ceas_msc_single *st, const int8_t *spins,
                               uint64_t sweeps_done);

/* The Bernoulli masks of word w of row y, colour c in sweep t of a 2D L-torus as
 * the kernel's comparison gives them: bit i of *b1 is U_i < ceil(p1 2^32) if
 * every site of the row were of class 1 (ties taking the deep stream in order),
 * *b2 the same for ceil(p2 2^32) and class 2, *half U_i < 2^31. For tests (all
 * three zero if out of memory). */
void ceas_msc_single_bernoulli(ceas_rng_key key, long L, uint64_t t, int c, long y,
                               long w, double p1, double p2, uint64_t *b1,
                               uint64_t *b2, uint64_t *half);

/* ---- the kernel on a range of planes (what the torus above and src/decomp's
 * strips run) --------------------------------------------------------------- */

/* CEAS_EINPUT with a message naming the constraint unless dim is 2 or 3 and L a
 * multiple of 128 (no upper bound: that is the caller's memory). */
int ceas_msc_single_check(int dim, long L);
/* Words of one plane of one colour: L / 128 (2D), L^2 / 128 (3D). */
size_t ceas_msc_single_plane_words(int dim, long L);

typedef struct ceas_msc_single_kernel ceas_msc_single_kernel;

/* Scratch and thresholds for one (dim, L, key); beta 0 until set. */
int ceas_msc_single_kernel_alloc(int dim, long L, ceas_rng_key key,
                                 ceas_msc_single_kernel **out);
void ceas_msc_single_kernel_free(ceas_msc_single_kernel *k);
int ceas_msc_single_kernel_set_beta(ceas_msc_single_kernel *k, double beta);

/* Updates colour c of planes g0 .. g0 + n - 1 (global indices) with the draws of
 * sweep t. a: colour c of plane g0; b: colour 1 - c of plane g0, with the planes
 * of each colour pw words apart and b - pw, b + n pw holding colour 1 - c of
 * planes g0 - 1 and g0 + n (mod L): the halos. Reads only b, writes only a.
 * Not reentrant (the kernel's scratch). */
void ceas_msc_single_kernel_update(ceas_msc_single_kernel *k, uint64_t t, int c,
                                   int64_t g0, int64_t n, uint64_t *a, const uint64_t *b);

/* Measurement of planes g0 .. g0 + n - 1: c0, c1 colour 0 and 1 of plane g0
 * (colour 1's halos as above). *bonds = sum of s_i s_j over the bonds whose
 * colour-0 end is in these planes (every bond has one colour-0 end, so the
 * sums over disjoint plane ranges add up to the lattice's). Optional (NULL =
 * skip): px[x] += sum over these planes' sites at x (L entries); py[y] += the
 * same at y (3D only, L entries); plane_sums[p] = sum of plane g0 + p. */
void ceas_msc_single_kernel_measure(ceas_msc_single_kernel *k, int64_t g0, int64_t n,
                                    const uint64_t *c0, const uint64_t *c1,
                                    int64_t *bonds, int64_t *px, int64_t *py,
                                    int64_t *plane_sums);

/* Initial words of colour c of planes g0 .. g0 + n - 1 into a (hot as above,
 * cold all up). */
void ceas_msc_single_initial(ceas_rng_key key, int dim, long L, ceas_msc_init init,
                             int c, int64_t g0, int64_t n, uint64_t *a);

/* Spins (+1 / -1) of planes g0 .. g0 + n - 1, site order x + L y within a plane,
 * planes one after the other. */
void ceas_msc_single_unpack(int dim, long L, int64_t g0, int64_t n, const uint64_t *c0,
                            const uint64_t *c1, int8_t *spins);

/* ==== ±J spin glasses (glass.c, glass_kernels.c, glass_body.inc) ============
 *
 * The replica-packed kernel above for the Edwards–Anderson ±J model on the same
 * tori: E = -sum over the d N bonds (i, i + e_a) of J_{i,a} s_i s_{i+e_a},
 * J = ±1, h = 0, all R replicas on one instance. Everything not said here is as
 * for ceas_msc_state: 64 or 256 replicas (bit r % 64 of lane r / 64, set bit =
 * spin -1), L even (2 <= L <= 65536 in 2D, 2048 in 3D), checkerboard sweeps, the
 * same draws for the hot start, the uniforms and the antithetic pattern (tags
 * CEAS_MSC_TAG_*, key = (seed, stream) fixed at allocation), the wavefront with
 * the same bitwise guarantee, "auto"/"avx512"/"avx2"/"generic" kernels that agree
 * bitwise, the same state layout for get/set_state.
 *
 * Couplings: J[i * d + a] = +1 or -1 for the bond from site i = x0 + L x1 +
 * L^2 x2 to its neighbour in the positive direction a (0 = x, 1 = y, 2 = z):
 * d N entries, the order of ceas_anneal_problem_ea's bonds. NULL = all +1. At
 * L = 2 the bonds (i, +a) and (i + e_a, +a) join the same pair and stay two
 * bonds with their own signs (a multigraph; ceas_anneal refuses L < 3, the kernel
 * does not need to). Inside, every bond is a byte mask at both of its ends,
 * shared by all replicas: 2d bytes per site next to R / 8 bytes of spins.
 *
 * Update: bond (i, j) is unsatisfied iff s_i ^ s_j ^ b_ij = 1 (b = 1 for J = -1),
 * so the ferromagnet's adders count unsatisfied bonds when fed n ^ B instead of
 * the neighbour word n. With k of the 2d bonds of a site unsatisfied a flip
 * changes E by 2 (2d - k) - 2 k = 4 (d - k): acceptance exactly as above,
 * a_k = exp(-4 beta (d - k)) for k < d, 1/2 for k = d (a(0) = 1/2), 1 for k > d,
 * u < ceil(a_k 2^32) with the site's shared 32-bit uniform (or its complement
 * under the antithetic option). With all J = +1 the chain is, draw for draw and
 * bit for bit, the ceas_msc_state chain of the same key.
 *
 * Temperatures. One beta per state and sweep: ceas_msc_glass_sweep (constant)
 * or ceas_msc_glass_anneal (betas[t] for the t-th sweep of the call, an annealing
 * schedule at full wavefront speed). Parallel tempering runs one state per
 * temperature, each with its own key (different streams), and exchanges replica
 * r of neighbouring temperatures with ceas_msc_glass_swap: column r of the
 * states is one exact PT chain, and the R columns are R PT chains. Per-lane
 * betas inside one 256-replica word (four temperatures per state) were
 * considered and rejected: the lanes would share each site's uniform, so a
 * sweep would preserve each lane's Boltzmann marginal but not the product of
 * the marginals (the shared uniform correlates the lanes), while the exchange
 * move's acceptance min(1, e^{(beta_a - beta_b)(E_a - E_b)}) is detailed balance
 * with respect to that product: the exchanged chain would in general be biased.
 * Giving each lane its own uniforms costs four times the Philox draws, i.e.
 * what four 64-replica states cost anyway. The replicas of one state share
 * uniforms and are correlated (see above): error bars from time series of
 * replica averages, and overlaps only between states with different keys. As
 * annealing reads (bench/README.md, "±J glass kernel": 2D L = 32, geometric
 * beta 0.1 -> 3) no two replicas locked, but 64 shared-uniform replicas of a
 * 10^4-sweep anneal were worth ~30 independent reads, antithetic ones all 64
 * (±25 %): count replicas as independent reads only with the antithetic option.
 *
 * Errors: CEAS_EINPUT with a message for bad arguments, CEAS_ENOMEM. */
typedef struct ceas_msc_glass ceas_msc_glass;

int ceas_msc_glass_alloc(int dim, long L, int replicas, ceas_rng_key key,
                         ceas_msc_init init, const int8_t *J, ceas_msc_glass **out);
void ceas_msc_glass_free(ceas_msc_glass *st);

/* The signs J[i * d + a] of a ±J torus given as a symmetric CSR graph (both
 * directions stored, as ceas_lattice validates it; e.g. a ceas_anneal_problem's
 * indptr/indices/J): CEAS_EINPUT unless n = L^d, L >= 3, every spin has exactly
 * its 2d torus neighbours and all couplings share one magnitude, returned in
 * *unit (may be NULL); the kernel's energies are then in units of it. Odd L
 * passes here but not ceas_msc_glass_alloc (no checkerboard): such instances
 * need the general local-field path. */
int ceas_msc_glass_signs_from_csr(int dim, long L, int64_t n, const int64_t *indptr,
                                  const int32_t *indices, const double *J, int8_t *signs,
                                  double *unit);

int ceas_msc_glass_dim(const ceas_msc_glass *st);
long ceas_msc_glass_L(const ceas_msc_glass *st);
int ceas_msc_glass_replicas(const ceas_msc_glass *st);
int64_t ceas_msc_glass_sites(const ceas_msc_glass *st);
uint64_t ceas_msc_glass_sweeps_done(const ceas_msc_glass *st);

/* n sweeps at beta (finite, >= 0); or n sweeps, sweep t at betas[t]. */
int ceas_msc_glass_sweep(ceas_msc_glass *st, double beta, uint64_t n);
int ceas_msc_glass_anneal(ceas_msc_glass *st, const double *betas, uint64_t n);

int ceas_msc_glass_set_isa(ceas_msc_glass *st, const char *isa);
const char *ceas_msc_glass_isa(const ceas_msc_glass *st);
void ceas_msc_glass_set_antithetic(ceas_msc_glass *st, int on);
int ceas_msc_glass_antithetic(const ceas_msc_glass *st);
/* 0 = automatic, else 1..64 sweeps per pass; speed only. */
int ceas_msc_glass_set_depth(ceas_msc_glass *st, int depth);
int ceas_msc_glass_depth(const ceas_msc_glass *st);

/* E[r] = -sum over the d N bonds of J s_i s_j for each replica (replicas
 * entries), exact, from bit-sliced counts of unsatisfied bonds (Harley–Seal
 * carry-save counters on 256-bit words, per instruction set): 0.3 to 0.85 of
 * a sweep's time, cheap enough for an exchange step after every sweep. */
int ceas_msc_glass_energy(const ceas_msc_glass *st, int64_t *E);
/* Q[r] = sum_i s_i s'_i between replica r of a and replica r of b (same
 * lattice and replicas; give them different keys, see above). */
int ceas_msc_glass_overlap(const ceas_msc_glass *a, const ceas_msc_glass *b,
                           int64_t *Q);

size_t ceas_msc_glass_state_words(const ceas_msc_glass *st);
void ceas_msc_glass_get_state(const ceas_msc_glass *st, uint64_t *words,
                              uint64_t *sweeps_done);
void ceas_msc_glass_set_state(ceas_msc_glass *st, const uint64_t *words,
                              uint64_t sweeps_done);
/* Replica r's spins (+1 / -1) in site order i = x0 + L x1 + L^2 x2. */
int ceas_msc_glass_get_replica(const ceas_msc_glass *st, int r, int8_t *spins);
int ceas_msc_glass_set_replica(ceas_msc_glass *st, int r, const int8_t *spins);

/* Exchanges the configurations of replica r of a and of b wherever bit r % 64 of
 * mask[r / 64] is set (replicas / 64 words); keys and sweep counters stay. One
 * masked XOR per word: a full exchange step costs less than a sweep. */
int ceas_msc_glass_swap(ceas_msc_glass *a, ceas_msc_glass *b, const uint64_t *mask);

#ifdef __cplusplus
}
#endif

#endif
