/*
 * ceas_anneal_ceas — the CEAS entropy thermostat as an annealer (`--method ceas`).
 * Part of the anneal module (own header while the module's main header is being
 * written; same prefix and rules).
 *
 * Machine entropy. For a state s with local fields f_i = sum_j J_ij s_j + h_i, spin
 * i alone in its field is a two-level system with Gibbs probability
 * p_i = 1 / (1 + e^{-2 beta f_i}) of pointing along it. The machine entropy is the
 * mean binary entropy of these conditional distributions,
 *     H(beta; s) = (1/n) sum_i [ln(2 cosh(beta f_i)) - beta f_i tanh(beta f_i)]
 * in nats per spin: ln 2 when every spin is undecided (beta = 0 or zero fields),
 * 0 when every spin is frozen in its field. Exactly as for softmax attention,
 *     dH/dbeta = -beta V,  V = (1/n) sum_i f_i^2 sech^2(beta f_i),
 * V the mean variance of a spin's energy in its field (ceas_anneal_ceas_entropy).
 *
 * Rule (one read, S sweeps). beta starts at the schedule's beta0; after every sweep
 * k (counted from 0), with H, V of the state just reached at the current beta,
 *     beta <- beta + kappa(k) (H - H_target(k+1)) / (beta V + eps),
 *     kappa(k) = kappa_max e^{-k / tau_kappa} + kappa_inf,
 * the step clipped to |dbeta| <= dbeta_max / sigma (sigma = the problem's field
 * scale, so the presets' dbeta_max, made for attention scores of unit spread,
 * keep their meaning), a non-positive result replaced by beta / 2, and beta capped
 * at the schedule's beta1. The target falls linearly from the initial state's
 * entropy H0 = H(beta0; s_0) to h_end at the last sweep: the thermostat makes the
 * machine lose entropy at a constant rate, whatever beta that takes.
 *
 * Margin. An on-the-fly beta_c: the beta where the heat beta^2 V has been largest
 * so far, adopted once beta is 25 % past it and the heat has fallen below 70 % of
 * its maximum. From then on the band (beta_c (1 - u_min), beta_c (1 + u_min)) can be
 * crossed but not entered (as in ceas_attention: a beta inside goes to the nearer
 * edge within one step's reach), which bounds the time spent where relaxation is
 * slowest (CEAS.md: zeta_CE = 1 / max(u, u_min)^nu).
 *
 * Presets (CEAS.md): 9k (kappa_max 2.2, kappa_inf 1, tau_kappa 750, dbeta_max 0.75,
 * u_min 0.06), 14m (1.8, 1, 1500, 0.5, 0.05), gpt (1.5, 1, 3500, 0.3, 0.04); tau at
 * the middle of CEAS.md's ranges. Default 9k, h_end = 1e-3, eps = 1e-9.
 *
 * Spins are updated by the local-field Metropolis machine of anneal_machine.h (sa's
 * int16/float32 kernels; walker 0 of ceas_anneal_machine_start_walker under the key
 * (seed, read)), so a read is a pure function of (problem, parameters, seed, read).
 * The controller reads the machine's fields (in the problem's units) after every
 * sweep; the running energy is confirmed exactly before a target counts as reached.
 */
#ifndef CEAS_ANNEAL_CEAS_H
#define CEAS_ANNEAL_CEAS_H

#include "ceas_anneal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  double kappa_max, kappa_inf, tau_kappa, dbeta_max, u_min;
  double h_end; /* final target entropy, nats per spin, in [0, ln 2) */
  double eps;
  int margin;   /* 1: keep out of the band around the on-the-fly beta_c */
} ceas_anneal_ceas_params;

void ceas_anneal_ceas_params_default(ceas_anneal_ceas_params *p);
/* 9k, 14m or gpt; CEAS_EINPUT naming --preset otherwise. */
int ceas_anneal_ceas_preset(const char *name, ceas_anneal_ceas_params *p);
/* The method takes its parameters from ceas_anneal_params.method_params (a
 * ceas_anneal_ceas_params, or NULL for the defaults). */

/* H and V of the state with local fields f (n = pb->n entries) at beta. */
void ceas_anneal_ceas_entropy(const ceas_anneal_problem *pb, const double *f, double beta,
                              double *H, double *V);

/* The margin rule (exposed for tests): b is the proposed beta, prev the current. */
double ceas_anneal_ceas_margin(double b, double prev, int have_prev, double beta_c,
                               double u_min, double dbeta_max, int *moved);

extern const ceas_anneal_method ceas_anneal_method_ceas;

#ifdef __cplusplus
}
#endif

#endif
