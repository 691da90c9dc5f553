/* CEAS gating: the threshold and top-q schedules, the reference keep rule, and
 * the heat peak of a head whose queries see different numbers of keys. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"

double ceas_attention_gate_threshold(const ceas_attention_preset *p, double t) {
  return p->T_max - (p->T_max - p->T_inf) * (1 - exp(-t / p->tau_T));
}

double ceas_attention_gate_topq(const ceas_attention_preset *p, double t) {
  if (p->q_steps == 0 || t >= p->q_steps) return p->q1;
  return p->q0 + (p->q1 - p->q0) * (t / p->q_steps);
}

typedef struct {
  double T;
  size_t i;
} ranked;

/* Larger T first; equal T: lower index first, so the order is total and a
 * torch sort with the same key gives the same set. */
static int by_T_desc(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->T != y->T) return x->T > y->T ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

int ceas_attention_gate_keep(const double *T, size_t n, double T_gate, double q, size_t m_min,
                             unsigned char *keep) {
  if (n == 0) return CEAS_OK;
  if (!(q >= 0 && q <= 1))
    return ceas_error_set(CEAS_EINPUT, "gate: q = %g, expected in [0, 1]", q);
  if (isnan(T_gate)) return ceas_error_set(CEAS_EINPUT, "gate: T_gate is NaN");
  for (size_t i = 0; i < n; i++)
    if (!isfinite(T[i]))
      return ceas_error_set(CEAS_EINPUT, "gate: T[%zu] = %g is not finite", i, T[i]);
  ranked *r = ceas_malloc(n * sizeof *r);
  if (!r) return CEAS_ENOMEM;
  for (size_t i = 0; i < n; i++) r[i] = (ranked){T[i], i};
  qsort(r, n, sizeof *r, by_T_desc);
  size_t top = (size_t)ceil(q * (double)n), kept = 0;
  if (top > n) top = n;
  for (size_t k = 0; k < n; k++) {
    unsigned char on = k < top || r[k].T >= T_gate;
    keep[r[k].i] = on;
    kept += on;
  }
  size_t floor_n = m_min < n ? m_min : n;
  /* The kept set is a prefix of the ranking (top-q is a prefix, and T >= T_gate
   * adds only entries ranked above any it does not add), so the floor extends it. */
  for (size_t k = kept; k < floor_n; k++) keep[r[k].i] = 1;
  free(r);
  return CEAS_OK;
}

int ceas_attention_heat_peak_rows(const double *scores, const size_t *len, size_t n_rows,
                                  size_t stride, const double *beta, size_t n_beta,
                                  double *heat_mean, double *peak) {
  if (n_rows < 1) return ceas_error_set(CEAS_EINPUT, "heat peak: no rows");
  if (n_beta < 3)
    return ceas_error_set(CEAS_EINPUT, "heat peak: %zu grid points, need >= 3", n_beta);
  for (size_t b = 0; b < n_beta; b++)
    if (!isfinite(beta[b]) || (b > 0 && !(beta[b] > beta[b - 1])))
      return ceas_error_set(CEAS_EINPUT, "heat peak: beta grid not finite and strictly increasing at %zu", b);
  for (size_t r = 0; r < n_rows; r++)
    if (len[r] < 1 || len[r] > stride)
      return ceas_error_set(CEAS_EINPUT, "heat peak: row %zu has %zu scores, expected 1..%zu", r,
                            len[r], stride);
  double *h = ceas_malloc(n_beta * sizeof *h);
  if (!h) return CEAS_ENOMEM;
  int rc = CEAS_OK;
  for (size_t b = 0; b < n_beta && !rc; b++) {
    long double acc = 0;
    for (size_t r = 0; r < n_rows && !rc; r++) {
      ceas_attention_gibbs g;
      rc = ceas_attention_gibbs_eval(scores + r * stride, len[r], beta[b], &g, NULL);
      if (!rc) acc += g.heat;
    }
    h[b] = (double)(acc / (long double)n_rows);
  }
  if (!rc) {
    *peak = ceas_attention_grid_peak(beta, h, n_beta);
    if (heat_mean) memcpy(heat_mean, h, n_beta * sizeof *h);
  }
  free(h);
  return rc;
}
