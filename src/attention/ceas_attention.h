/*
 * ceas_attention — an attention head as a Gibbs system (CEAS.md, "Attention as a
 * Gibbs distribution"): synthetic heads, the softmax of one query's scores at
 * inverse temperature beta with its thermodynamics, a beta-grid scan of a whole
 * head, and the CEAS Newton beta-controller.
 *
 * Score convention: RAW scores s_ij = q_i . k_j, and beta multiplies them,
 * p_ij = exp(beta s_ij) / Z_i. The textbook softmax(q.k / sqrt(d_k)) is therefore
 * beta = 1/sqrt(d_k), which is where CEAS.md starts its controller. We keep the
 * raw scale (rather than scaled scores with textbook beta = 1) because every CEAS
 * formula is written in it: sigma_qk is the spread of q.k, beta* and the REM
 * beta_c = sqrt(2 ln n)/sigma are in units of 1/score, and "beta starts at
 * 1/sqrt(d_k)" is only true in this scale. To use scaled scores, divide them by
 * sqrt(d_k) and multiply every beta here by sqrt(d_k).
 *
 * sigma_qk is the population standard deviation of the n scores of one query
 * (divide by n): it is a property of the score vector, not of beta.
 *
 * Memory: callers own every array passed in; *_alloc results are freed with the
 * matching *_free (NULL is accepted). Errors: CEAS_EINPUT for bad sizes or
 * parameters (nothing is written to the outputs), CEAS_ENOMEM.
 */
#ifndef CEAS_ATTENTION_H
#define CEAS_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- synthetic heads ----------------------------------------------------- */

/* Counter-based standard normals (Box–Muller on ceas_rng_bits words): out[i] is
 * a pure function of (key, c0, c1, i), so any slice can be regenerated alone.
 * Counter (c0, c1, i / 4, 0) gives four words = two Box–Muller pairs. */
void ceas_attention_normal_fill(ceas_rng_key key, uint64_t c0, uint64_t c1,
                                double *out, size_t len);

typedef enum {
  CEAS_ATTENTION_GAUSSIAN = 0, /* q, k entries i.i.d. N(0,1) */
  CEAS_ATTENTION_CLUSTERED,    /* k_j = mu_{j mod c} + spread xi_j, mu, xi ~ N(0,I);
                                  q i.i.d. N(0,1) */
  CEAS_ATTENTION_LOWRANK       /* Q = A_q B_q / sqrt(r), K = A_k B_k / sqrt(r) with
                                  N(0,1) factors (n x r)(r x d_k): entries have
                                  variance 1, scores have rank <= r */
} ceas_attention_kind;

typedef struct {
  ceas_attention_kind kind;
  size_t n;        /* tokens (= queries = keys) */
  size_t d_k;      /* head dimension */
  uint64_t seed;
  size_t clusters; /* CLUSTERED: 1..n */
  double spread;   /* CLUSTERED: >= 0 */
  size_t rank;     /* LOWRANK: 1..d_k */
} ceas_attention_spec;

typedef struct {
  size_t n, d_k;
  double *q; /* n x d_k, row-major: q[i * d_k + a] */
  double *k; /* n x d_k, row-major */
} ceas_attention_head;

int ceas_attention_head_alloc(const ceas_attention_spec *spec,
                              ceas_attention_head **out);
/* Value vectors of the synthetic head `spec` describes (any kind): v (n x d_v,
 * caller-owned, row-major) i.i.d. N(0,1), row j a pure function of (seed, j) on
 * a counter range disjoint from the one Q and K are drawn from. */
void ceas_attention_head_values(const ceas_attention_spec *spec, size_t d_v, double *v);
void ceas_attention_head_free(ceas_attention_head *h);

/* Raw scores of query i: s[j] = q_i . k_j, j < n. */
void ceas_attention_head_scores(const ceas_attention_head *h, size_t i,
                                double *s);
/* All n x n raw scores, row i = query i (scores: caller-owned, n*n doubles). */
void ceas_attention_head_score_matrix(const ceas_attention_head *h,
                                      double *scores);

/* ---- softmax as a Gibbs distribution (one query) ------------------------- */

typedef struct {
  double beta;
  double H;         /* entropy -sum p ln p (nats) */
  double n_eff;     /* e^H */
  double mean;      /* <s>_p */
  double var;       /* Var_p[s]; dH/dbeta = -beta var, d<s>/dbeta = var */
  double heat;      /* beta^2 Var_p[s] */
  double sigma;     /* sigma_qk, population std of the scores (beta-free) */
  double gate;      /* T = beta sigma sqrt(2 ln N_eff) */
  double beta_star; /* sqrt(2 ln N_eff(beta)) / sigma, N_eff at THIS beta;
                       +inf if sigma == 0 */
  double beta_rem;  /* sqrt(2 ln n) / sigma; +inf if sigma == 0 */
} ceas_attention_gibbs;

/* Evaluates everything above at beta (any finite beta, also <= 0). p (length n)
 * receives the weights if not NULL. Log-sum-exp with the maximum of beta s_j
 * subtracted, long double sums: finite for any |beta s| that is finite. */
int ceas_attention_gibbs_eval(const double *s, size_t n, double beta,
                              ceas_attention_gibbs *out, double *p);

/* Self-consistent final address: the unique beta > 0 with
 * beta = sqrt(2 H(beta)) / sigma (f(beta) = beta sigma - sqrt(2 H(beta)) is
 * strictly increasing from -sqrt(2 ln n) at 0), found by safeguarded Newton
 * (bisection where a step would leave the bracket) to relative precision 1e-13
 * or better; H from double sums, compensated, as in the beta-grid scan (not
 * ceas_attention_gibbs_eval's long double ones: they agree to ~1e-15). For REM
 * scores it is beta_c/sqrt(2), not beta_c, because there H = ln n - beta^2
 * sigma^2 / 2. CEAS_EINPUT if sigma == 0, n < 2 or a score is not finite. */
int ceas_attention_beta_star_fixed(const double *s, size_t n, double *beta);

/* ---- beta-grid scan of a head --------------------------------------------- */

/* Every query of a head evaluated on a beta grid. Head averages are the means
 * over the n queries, and *_err their standard error sd / sqrt(n) (sd with n - 1):
 * the spread across queries, which share their keys and so are not independent
 * samples of a larger population. */
typedef struct {
  size_t n_beta, n_query;
  double *beta;                           /* n_beta, the grid given */
  double *H_mean, *H_err;                 /* n_beta each */
  double *var_mean, *var_err;
  double *heat_mean, *heat_err;
  double *gate_mean, *gate_err;
  double *beta_star_mean, *beta_star_err; /* sigma == 0 queries excluded */
  double *peak_beta;      /* n_query: per-query argmax of beta^2 Var */
  double peak_mean, peak_err; /* mean and standard error of peak_beta */
  double peak_of_mean;    /* argmax of heat_mean (the head's pseudo-critical beta) */
  double sigma_mean, beta_rem_mean;
} ceas_attention_scan;

/* beta: strictly increasing, n_beta >= 3. The argmax on the grid is refined by the
 * vertex of the parabola through it and its two neighbours (only at interior
 * points; at an end point the end point is reported). */
int ceas_attention_scan_alloc(const ceas_attention_head *h, const double *beta,
                              size_t n_beta, ceas_attention_scan **out);
void ceas_attention_scan_free(ceas_attention_scan *s);

/* Argmax of y over a strictly increasing grid x (n >= 3) with the parabolic
 * refinement above; exposed so that tests and tools use the same rule. */
double ceas_attention_grid_peak(const double *x, const double *y, size_t n);

/* ---- Newton beta-controller ------------------------------------------------ */

typedef struct {
  const char *name;       /* "9k", "14m", "gpt" */
  double kappa_max, kappa_inf, tau_kappa, dbeta_max;
  double u_min;
  unsigned ema_H, ema_sigma; /* CEAS.md EMA windows (steps); see ceas_attention_ctrl */
  /* Gating (CEAS.md "Gating score" and "Guardrails"): threshold schedule
   * T_gate(t) = T_max - (T_max - T_inf)(1 - e^{-t/tau_T}); top-q share rising
   * linearly q0 -> q1 over q_steps; a head freezes after freeze_w consecutive
   * steps with H <= ln N_eff - freeze_offset; floors m_min tokens per sequence
   * and h_min heads per layer; the validation back-off lowers T_gate by
   * backoff_dT and halves kappa for backoff_steps steps when the short-EMA
   * validation loss rises by more than backoff_sigma of its spread. */
  double T_max, T_inf, tau_T;
  double q0, q1;
  unsigned q_steps, freeze_w;
  double freeze_offset;
  unsigned m_min, h_min;
  double backoff_dT;
  unsigned backoff_steps;
  double backoff_sigma;
} ceas_attention_preset;

/* The presets of CEAS.md; where it quotes a range (tau_kappa, tau_T at GPT
 * scale, m_min 16-32, h_min 2-4) the middle or the permissive end is taken, as
 * listed in docs/attention.md. NULL if unknown. */
const ceas_attention_preset *ceas_attention_preset_find(const char *name);

typedef struct {
  double kappa_max, kappa_inf, tau_kappa; /* kappa(t) = kappa_max e^{-t/tau} + kappa_inf */
  double dbeta_max;     /* |beta(t+1) - beta(t)| <= dbeta_max, always */
  double eps;           /* denominator regulariser in beta Var + eps */
  double target_offset; /* H_target = H(beta0) - target_offset (1.1; 1.3 tighter) */
  double tol;           /* corridor |H - H_target| <= tol */
  double beta0;         /* starting beta; <= 0 means 1/sqrt(d_k) */
  double beta_c;        /* margin centre; <= 0 disables the margin */
  double u_min;         /* margin half-width (relative to beta_c) */
  unsigned ema_H;       /* 0: controller sees the exact H; w > 0: EMA with
                           alpha = 2/(w+1) (for noisy H; a static head needs none) */
  unsigned ema_var;     /* the same for Var_p[s] (0: the latest measurement) */
  size_t steps;         /* number of updates */
} ceas_attention_ctrl_params;

/* Fills p from a preset with the defaults documented in docs/attention.md:
 * eps = 1e-9, target_offset = 1.1, tol = 0.05, beta0 = 0 (1/sqrt(d_k)),
 * beta_c = 0 (no margin), u_min from the preset, ema_H = 0, steps = 4000. */
int ceas_attention_ctrl_defaults(const char *preset, ceas_attention_ctrl_params *p);

typedef struct {
  size_t steps;
  double H_target;
  double *beta;        /* steps + 1: beta(0) .. beta(steps) */
  double *H;           /* steps + 1: head-average H at beta(t) */
  unsigned char *clipped; /* steps: step t was clipped to dbeta_max */
  unsigned char *margin;  /* steps + 1: the margin moved beta(t) */
  unsigned char *guard;   /* steps: the positivity guard acted at step t */
  long corridor_step;  /* first t with |H(t') - H_target| <= tol for all t' >= t;
                          -1 if H(steps) is outside the corridor */
} ceas_attention_traj;

/* Runs the controller on n_query score vectors of length n (scores row-major,
 * raw convention), whose head-average entropy H(beta) = mean_i H_i(beta) has
 * dH/dbeta = -beta mean_i Var_i, so the controller uses the head-average Var.
 * d_k only sets the default beta0. */
int ceas_attention_ctrl_run(const double *scores, size_t n_query, size_t n,
                            size_t d_k, const ceas_attention_ctrl_params *p,
                            ceas_attention_traj **out);
void ceas_attention_traj_free(ceas_attention_traj *t);

/* The head averages the controller steers by: H = mean_i H_i(beta) and
 * var = mean_i Var_i(beta) over n_query score rows of length n (long double
 * sums). CEAS_EINPUT for non-finite scores or beta. */
int ceas_attention_head_HV(const double *scores, size_t n_query, size_t n, double beta,
                           double *H, double *var);

/* The same controller one update at a time, for a loop that measures H and Var
 * itself (a training loop: a minibatch's head-average entropy and score
 * variance at the current beta). ceas_attention_ctrl_run is exactly
 * init, then (observe, update) per step, so both give the same trajectory
 * bit for bit on the same measurements.
 *
 *   init:    validates p (as ctrl_run), beta = beta0 moved out of the margin
 *            band; H_target is the caller's (ctrl_run uses H(beta0) -
 *            target_offset).
 *   observe: H and Var measured at the current beta enter the EMAs (the first
 *            observation sets them).
 *   update:  one Newton step from the EMA'd H and Var: kappa(t) gain_scale
 *            (H - H_target)/(beta Var + eps), clipped to dbeta_max, halved
 *            instead if it would make beta <= 0, then moved out of the margin
 *            band around p.beta_c; t advances. Needs an observation first.
 * Between updates the caller may change p.beta_c (a re-measured heat peak; 0
 * disables the margin) and gain_scale (> 0; 1 by default). */
typedef struct {
  ceas_attention_ctrl_params p;
  double beta, H_target;
  double H_seen, var_seen; /* what the controller sees (EMAs) */
  double gain_scale;
  size_t t;                /* updates done */
  int observed;
} ceas_attention_ctrl;

enum {
  CEAS_ATTENTION_CTRL_CLIPPED = 1u, /* the step was clipped to dbeta_max */
  CEAS_ATTENTION_CTRL_GUARD = 2u,   /* the positivity guard halved beta */
  CEAS_ATTENTION_CTRL_MARGIN = 4u   /* the margin moved beta */
};

int ceas_attention_ctrl_init(ceas_attention_ctrl *c, const ceas_attention_ctrl_params *p,
                             double beta0, double H_target, unsigned *flags);
int ceas_attention_ctrl_observe(ceas_attention_ctrl *c, double H, double var);
int ceas_attention_ctrl_update(ceas_attention_ctrl *c, unsigned *flags);

/* sizeof of the public structs by name ("preset", "ctrl_params", "ctrl",
 * "traj", "gibbs"; 0 if unknown): a binding that declares them itself (ctypes) checks
 * its layout against this before calling anything. */
size_t ceas_attention_struct_size(const char *name);

/* ---- gating (CEAS.md "Gating score") ------------------------------------- */

/* T_gate(t) and q(t) of a preset at step t >= 0. */
double ceas_attention_gate_threshold(const ceas_attention_preset *p, double t);
double ceas_attention_gate_topq(const ceas_attention_preset *p, double t);

/* The keep rule for one head on one sequence of n gate scores T (finite):
 * keep[i] = 1 if T[i] >= T_gate or i is among the ceil(q n) largest T (ties:
 * lower index first); then, while fewer than min(m_min, n) are kept, the
 * largest remaining T (same tie rule) is added. q in [0, 1]. This is the
 * reference that faster implementations (the training loop's torch code) are
 * tested against. */
int ceas_attention_gate_keep(const double *T, size_t n, double T_gate, double q, size_t m_min,
                             unsigned char *keep);

/* The head-mean heat beta^2 Var_p[s] on a beta grid (strictly increasing,
 * n_beta >= 3) over rows of different lengths (causal attention: query i sees
 * i + 1 keys): row r is scores[r * stride .. r * stride + len[r] - 1], len[r]
 * >= 1. heat_mean (n_beta, may be NULL) receives the curve, *peak its argmax
 * with the parabolic refinement of ceas_attention_grid_peak. */
int ceas_attention_heat_peak_rows(const double *scores, const size_t *len, size_t n_rows,
                                  size_t stride, const double *beta, size_t n_beta,
                                  double *heat_mean, double *peak);

#ifdef __cplusplus
}
#endif

#endif
