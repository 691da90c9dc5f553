/* The NPU hardware model and the analog-dynamics methods (sb, analog) of
 * src/anneal; internal to the module, not part of the installed contract.
 *
 * The machine: couplings of finite precision (ceas_anneal_quantize), Gaussian
 * analog noise on the local fields it computes (ceas_anneal_noise), one
 * matrix-vector product (MVM) of the couplings per time step of the analog methods
 * (ceas_anneal_mvm), a spin readout s = sign(x) whose energy is tracked
 * (ceas_anneal_readout), and a cost model counting spin updates, multiply-
 * accumulates and bytes moved, priced in picojoules (ceas_anneal_cost).
 *
 * Random numbers follow ceas_anneal.h: read r of a run with seed S draws only from
 * the key (S, r) (quantisation, a property of the instance, from (S, edge)), each
 * draw addressed by what it is for (purpose, step, site), so results are pure
 * functions of (problem, parameters, S, r). docs/anneal_dynamics.md has the model
 * equations, the defaults with their sources and measured speeds. */
#ifndef CEAS_ANNEAL_NPU_H
#define CEAS_ANNEAL_NPU_H

#include "ceas_anneal.h"
#include "ceas_anneal_npu.h"

/* The public part (coupling precision, cost prices, the analog methods'
 * parameters) is ceas_anneal_npu.h. */


/* ---- analog noise on local fields ------------------------------------------ */

/* Gaussian noise sigma * N(0, 1) per (step, site), from the Philox4x32 key derived
 * from (seed, read, purpose): block site/4 of counter (block, step) gives four
 * 32-bit words and, by Box-Muller on pairs of them, the normals of sites
 * 4b .. 4b+3. A 32-bit uniform truncates the tails at 6.66 sigma. */
typedef struct {
  ceas_rng_key32 key;
  float sigma;  /* absolute, in the units of the fields it is added to */
} ceas_anneal_noise;

/* Purposes of the noise streams (ASCII "FNOISE" and "DW"). */
#define CEAS_ANNEAL_PURPOSE_FIELD_NOISE UINT64_C(0x464e4f495345)
#define CEAS_ANNEAL_PURPOSE_DW UINT64_C(0x4457)

void ceas_anneal_noise_init(ceas_anneal_noise *nz, uint64_t seed, uint64_t read,
                            uint64_t purpose, double sigma);
/* The noise of one site at one step. */
float ceas_anneal_noise_site(const ceas_anneal_noise *nz, uint64_t step, int64_t site);
/* out[i] += noise of site i at `step`, i = 0 .. n-1 (equal to noise_site). */
void ceas_anneal_noise_add(const ceas_anneal_noise *nz, uint64_t step, int64_t n,
                           float *out);
/* out[i] = noise of site site0 + i at `step`, i = 0 .. n-1; site0 a multiple of 4
 * (equal to noise_site). Walker w of n spins uses sites w n4 .. w n4 + n - 1,
 * n4 = 4 ceil(n / 4), so walkers of one read draw disjoint blocks. */
void ceas_anneal_noise_fill(const ceas_anneal_noise *nz, uint64_t step, uint64_t site0,
                            int64_t n, float *out);
/* The field noise of the NPU: sigma_rel times the problem's field scale, expressed
 * in the units (pb->unit) in which the annealers hold their fields. */
void ceas_anneal_field_noise_init(ceas_anneal_noise *nz, const ceas_anneal_problem *pb,
                                  uint64_t seed, uint64_t read, double sigma_rel);

/* ---- cost model ------------------------------------------------------------ */

/* ceas_anneal_cost (ceas_anneal.h) counts the work of the machine (not of this
 * simulator, which may skip zeros or reuse results): a full field evaluation
 * multiplies every stored coupling entry once.
 *
 * ceas_anneal_cost_pj: picojoules per operation. Defaults from Horowitz,
 * "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm,
 * 0.9 V: MAC = multiply + add, float32 3.7 + 0.9 = 4.6 pJ for bits 0, 8-bit int
 * 0.2 + 0.03 = 0.23 pJ for bits 2..8, 32-bit int 3.1 + 0.1 = 3.2 pJ for 9..32; a
 * spin update is priced as one float32 multiply-add (4.6 pJ); a byte as an 8 KB
 * SRAM access, 10 pJ per 64 bits = 1.25 pJ (off-chip DRAM would be ~160 pJ/byte,
 * 640 pJ per 32-bit word in the same table). */

/* One full field evaluation: nnz MACs; bytes: every coupling read, the state
 * vector read (4 n) and the fields written (4 n). */
void ceas_anneal_cost_mvm(const ceas_anneal_problem *pb, int bits, ceas_anneal_cost *c);
/* The field update after site i flips (sa's bookkeeping): deg(i) MACs; bytes: deg(i)
 * couplings read and deg(i) float32 fields read and written. */
void ceas_anneal_cost_row(const ceas_anneal_problem *pb, int64_t i, int bits,
                          ceas_anneal_cost *c);
/* Row updates of flips whose degrees sum to deg_sum: deg_sum x ceas_anneal_cost_row's
 * per-neighbour MACs and bytes (the row cost is linear in the degree). */
void ceas_anneal_cost_rows(uint64_t deg_sum, int bits, ceas_anneal_cost *acc);
/* A single-spin (Metropolis) machine over `sweeps` sweeps of n updates whose accepted
 * flips have degrees summing to deg_sum (sa, ceas, pt per walker): the initial
 * fields (one MVM), sweeps x n spin updates, and the row update of every flip. */
void ceas_anneal_cost_metropolis(const ceas_anneal_problem *pb, int bits, uint64_t sweeps,
                                 uint64_t deg_sum, ceas_anneal_cost *c);
/* energy_pj of every read from its cost. */
void ceas_anneal_result_price(ceas_anneal_result *r, const ceas_anneal_cost_pj *pj);
/* The checks of the NPU fields of ceas_anneal_params (field_noise, update, j_bits,
 * cost_pj), CEAS_EINPUT naming the option. */
int ceas_anneal_npu_check(const ceas_anneal_params *p);

/* ---- the machine's matrix-vector product ------------------------------------ */

/* out_i = sum_j J_ij x_j / unit over the problem's dense float32 rows, dense int8
 * rows or CSR, whichever it has (in that order of preference: int8 when present).
 * Dense rows are summed in 16 fixed lanes combined by a fixed tree, so the
 * vectorised (AVX2) and baseline loops give bitwise the same sums. */
void ceas_anneal_mvm(const ceas_anneal_problem *pb, const float *x, float *out);

/* ---- spin readout ----------------------------------------------------------- */

/* s = sign(x) (x >= 0 reads +1) with its local fields g = (J s + h) / unit kept up
 * to date flip by flip (or recomputed when many spins changed), its energy, the best
 * configuration so far, the target and the trace: the bookkeeping that sb and
 * analog share. Energies in double; with couplings of one magnitude and no field
 * the fields are exact integers and the running energy is exact. */
typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_params *p;
  int8_t *s;
  float *g;          /* (J s + h) / unit */
  float *sf;         /* scratch: s as float32 (dense float32 recomputes) */
  int64_t *changed;  /* scratch: sites to flip */
  int exact;         /* integer fields: nothing drifts, nothing is refreshed */
  int avx2;          /* vectorised loops (unless CEASIM_NO_AVX2 is set) */
  double e;          /* running energy of s (total, not in units) */
  uint64_t since_refresh;
  /* per read */
  ceas_anneal_read *res;
  int8_t *best;
  double *trace;
  double best_e, last_checked, t0;
} ceas_anneal_readout;

int ceas_anneal_readout_init(ceas_anneal_readout *ro, const ceas_anneal_problem *pb,
                             const ceas_anneal_params *p);
void ceas_anneal_readout_free(ceas_anneal_readout *ro);
/* Starts a read: s = sign(x), fields from scratch, best = s. */
void ceas_anneal_readout_start(ceas_anneal_readout *ro, const float *x,
                               ceas_anneal_read *res, int8_t *best, double *trace);
/* After step k (from 0): s = sign(x); counts sign changes into res->flips, keeps
 * the best, checks the target (confirmed with the exact energy) and records the
 * trace. */
void ceas_anneal_readout_step(ceas_anneal_readout *ro, uint64_t k, const float *x);
/* After step k of S: the readout step when it is due (every `every` steps, the
 * last step and each trace point) and the hooks' progress every 256 steps. */
void ceas_anneal_readout_after(ceas_anneal_readout *ro, uint64_t k, uint64_t S, uint64_t every,
                               const ceas_anneal_hooks *hooks, const float *x);
/* Ends a read: exact best and final energies, updates (steps x n), seconds. */
void ceas_anneal_readout_finish(ceas_anneal_readout *ro, uint64_t steps);

/* ---- the analog methods ---------------------------------------------------- */


extern const ceas_anneal_method ceas_anneal_method_sb_ballistic, ceas_anneal_method_sb_discrete,
    ceas_anneal_method_analog;

/* The methods' work space with explicit parameters d (NULL: the defaults), as the
 * table entries' alloc() makes it from p->method_params: p's field_noise (when
 * > 0) and j_bits (when set) replace d's. The result is freed with the method's
 * free(). m must be a method whose params are CEAS_ANNEAL_PARAMS_DYN. */
int ceas_anneal_dyn_alloc(const ceas_anneal_method *m, const ceas_anneal_problem *pb,
                          const ceas_anneal_params *p, const ceas_anneal_dyn_params *d,
                          void **work);
/* The parameters of a dynamics read: *p->method_params (NULL: the defaults) with
 * p's field_noise (when > 0) and j_bits (when set) in place of their own. */
void ceas_anneal_dyn_params_of(const ceas_anneal_params *p, ceas_anneal_dyn_params *d);
/* The machine's cost of the last read made with this work space (sb, analog). */
const ceas_anneal_cost *ceas_anneal_dyn_cost(const void *work);

/* Internal to sb.c / analog.c: their work structs begin with this header. */
typedef struct {
  const ceas_anneal_method *method;
  ceas_anneal_cost cost;
  ceas_anneal_dyn_params used; /* the parameters after the instance's defaults */
} ceas_anneal_dyn_head;

/* The checks every dynamics method makes of dt, x_init, field_noise, check_every
 * and j_bits (CEAS_EINPUT naming `name` and the option). */
int ceas_anneal_dyn_check(const char *name, const ceas_anneal_dyn_params *d);
/* The checks every dynamics method makes of the problem and the run's parameters:
 * a spin, a time step, and no --order random (all `what`, e.g. "oscillators",
 * move together in each step); CEAS_EINPUT naming `name`. */
int ceas_anneal_dyn_check_run(const char *name, const char *what,
                              const ceas_anneal_problem *pb, const ceas_anneal_params *p);
int ceas_anneal_sb_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                         const ceas_anneal_dyn_params *d, int discrete, void **work);
/* sb's default time step for the problem, a0 and c0: min(1.25, 0.8 dt_stab) with
 * dt_stab = 2 / sqrt(a0 (a0 - c0 lambda_min)) the symplectic-Euler stability limit
 * of the stiffest mode, lambda_min the lowest eigenvalue of J (Lanczos, 40 steps);
 * sb.c says why. */
double ceas_anneal_sb_default_dt(const ceas_anneal_problem *pb, double a0, double c0);
/* The machine cost of one sb step: one matrix-vector product of the couplings
 * (stored with j_bits), n spin updates, x and y read and written. */
void ceas_anneal_sb_step_cost(const ceas_anneal_problem *pb, int j_bits, ceas_anneal_cost *c);
int ceas_anneal_analog_alloc(const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                             const ceas_anneal_dyn_params *d, void **work);

#endif
