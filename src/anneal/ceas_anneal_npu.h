/* ceas_anneal_npu — the NPU machine model's public knobs: finite coupling
 * precision (ceas_anneal_quantize and its report), the cost model's prices in
 * picojoules, and the parameters of the analog-dynamics methods (sb, analog).
 * The machine's internals (noise streams, the matrix-vector product, the spin
 * readout) stay in the module. Random numbers and units as in ceas_anneal.h;
 * docs/anneal_dynamics.md has the model equations and the defaults' sources. */
#ifndef CEAS_ANNEAL_NPU_PUBLIC_H
#define CEAS_ANNEAL_NPU_PUBLIC_H

#include "ceas_anneal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- coupling precision -------------------------------------------------- */

typedef enum { CEAS_ANNEAL_ROUND_NEAREST, CEAS_ANNEAL_ROUND_STOCHASTIC } ceas_anneal_rounding;

int ceas_anneal_rounding_parse(const char *s, ceas_anneal_rounding *out);
const char *ceas_anneal_rounding_name(ceas_anneal_rounding r);

#define CEAS_ANNEAL_JBITS_MAX 32

/* What quantisation did to the couplings (each coupling i < j counted once; the
 * fields h are not quantised). Errors are relative to j_max. */
typedef struct {
  int bits;                      /* 0: infinite precision */
  ceas_anneal_rounding rounding;
  double j_max;                  /* max |J_ij| of the original */
  double step;                   /* grid step j_max / (2^(bits-1) - 1); 0 for bits 0 */
  int64_t couplings;
  int64_t zeroed;                /* nonzero couplings that became 0 */
  double max_err;                /* max |J_q - J| / j_max (0 when j_max = 0) */
  double rms_err;                /* sqrt(mean (J_q - J)^2) / j_max */
} ceas_anneal_quant_report;

/* A new problem with every coupling on the symmetric uniform grid
 * {k step : |k| <= 2^(bits-1) - 1}, step = max|J| / (2^(bits-1) - 1), which holds
 * 0 and ±max|J| exactly (so ±J instances are unchanged for every bits >= 2).
 * Nearest: round half away from zero, |J_q - J| <= step/2 for every coupling.
 * Stochastic: J_q = step (floor(J/step) + [u < frac(J/step)]), u uniform in [0, 1)
 * from Philox key (seed, "quantise") and counter (i, j) with i < j: unbiased,
 * E[J_q] = J, both directions of a coupling get the same value, and the result
 * does not depend on the order in which couplings are visited.
 * bits = 0 is the identity: a copy with every coupling and field bitwise equal and
 * the same CSR order, so any method gives bitwise the results of the original.
 * bits must be 0 or 2 .. CEAS_ANNEAL_JBITS_MAX (1 bit would leave only 0).
 * The copy keeps the original's source, origin and instance data, and gets a dense
 * copy when the original has one. rep may be NULL. */
int ceas_anneal_quantize(const ceas_anneal_problem *pb, int bits,
                         ceas_anneal_rounding rounding, uint64_t seed,
                         ceas_anneal_problem **out, ceas_anneal_quant_report *rep);

/* Recomputes each read's best energy (and the run's best) on `pb` from the stored
 * configurations: for runs made on a quantised copy, the energy on the true
 * couplings. final_energy and the target statistics are left as they are. */
void ceas_anneal_rescore(const ceas_anneal_problem *pb, ceas_anneal_result *r);

/* ---- cost prices ---------------------------------------------------------- */

/* Picojoules per operation (defaults: Horowitz, ISSCC 2014, 45 nm; anneal_npu.h
 * and docs/anneal_dynamics.md give the figures). */
void ceas_anneal_cost_pj_default(int coupling_bits, ceas_anneal_cost_pj *pj);
/* "mac=0.2,byte=160,update=1" (any subset, in pJ, each finite and >= 0), applied
 * on top of *pj. */
int ceas_anneal_cost_pj_parse(const char *spec, ceas_anneal_cost_pj *pj);
double ceas_anneal_cost_energy_pj(const ceas_anneal_cost *c, const ceas_anneal_cost_pj *pj);
/* Storage of one coupling: 4 bytes (float32) for bits 0, else ceil(bits / 8). */
int ceas_anneal_coupling_bytes(int bits);
void ceas_anneal_cost_add(ceas_anneal_cost *acc, const ceas_anneal_cost *c, uint64_t times);
/* The pJ figures of a run: *p->cost_pj, or the defaults for p->j_bits. */
void ceas_anneal_cost_pj_of(const ceas_anneal_params *p, ceas_anneal_cost_pj *pj);

/* ---- the analog methods' parameters -------------------------------------- */

/* Parameters of sb and analog (NaN: the method's default, see
 * ceas_anneal_dyn_params_default and docs/anneal_dynamics.md). Times are in the
 * units of the equations of motion; couplings enter through c0 / eps, which by
 * default scale with 1/field_scale so that the same numbers suit every instance. */
typedef struct {
  double dt;          /* time step: sb ceas_anneal_sb_default_dt, analog 0.1 */
  double a0;          /* sb: bifurcation parameter a0 [1] */
  double c0;          /* sb: coupling; NaN -> 0.5 / (sigma_J sqrt(n)) */
  double eps;         /* analog: coupling; NaN -> eps_rel / field_scale */
  double eps_rel;     /* analog [1] */
  double p0, p1;      /* analog: pump ramp p(t) linear from p0 to p1 [-1, 1.5] */
  double noise;       /* analog: sigma of the Wiener increment [0.3] */
  double x_init;      /* initial x (and sb's y) uniform in [-x_init, x_init] [0.1 sb, 0.01 analog] */
  double field_noise; /* NPU: Gaussian noise on every computed local field, relative
                         to the field scale [0]; ceas_anneal_run uses
                         ceas_anneal_params.field_noise instead when that is > 0 */
  int j_bits;         /* for the cost model only: precision of the stored couplings
                         (quantise the problem with ceas_anneal_quantize) [0];
                         likewise replaced by ceas_anneal_params.j_bits when > 0 */
  uint64_t check_every; /* bSB/analog: read out sign(x) every that many steps [1] */
} ceas_anneal_dyn_params;

void ceas_anneal_dyn_params_default(ceas_anneal_dyn_params *d);

#ifdef __cplusplus
}
#endif

#endif
