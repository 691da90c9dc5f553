/* Single-spin kernels: Metropolis and heat-bath. */
#include <math.h>

#include "lattice_private.h"

static double local_field(const ceas_lattice_system *sys, const int8_t *s,
                          int64_t i) {
  double f = sys->h[i];
  for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++)
    f += sys->J[k] * s[sys->indices[k]];
  return f;
}

/* Metropolis acceptance a(dE) = min(1, exp(-beta dE)) for dE != 0, and 1/2 for
 * dE = 0. Detailed balance only asks a(dE) / a(-dE) = exp(-beta dE), which
 * leaves a(0) free. The textbook a(0) = 1 makes zero-field flips certain, and in
 * any fixed visiting order (checkerboard) the configurations in which every
 * spin meets zero field then cycle deterministically among themselves forever:
 * the chain is reducible. That is 4 of the 16 states of the 2x2 torus, 8 of 512
 * at 3x3, 36 of 65536 at 4x4, 32 of 2^25 at 5x5 (counted by exhaustive search;
 * the enumeration and stationarity tests caught it). a(0) = 1/2 breaks every
 * such cycle at the cost of a few more rejections. */
static inline int metropolis_accept(double beta, double dE, double u) {
  if (dE < 0) return 1;
  if (dE == 0) return u < 0.5;
  return u < exp(-beta * dE);
}

int ceas_lattice_site_metropolis(const ceas_lattice_system *sys, int8_t *s,
                                 int64_t i, double beta, double u) {
  double dE = 2.0 * s[i] * local_field(sys, s, i);
  if (metropolis_accept(beta, dE, u)) {
    s[i] = (int8_t)-s[i];
    return 1;
  }
  return 0;
}

int ceas_lattice_site_heatbath(const ceas_lattice_system *sys, int8_t *s,
                               int64_t i, double beta, double u) {
  /* P(s_i = +1) = 1 / (1 + exp(-2 beta f)); written with the sign that keeps
   * exp() from overflowing at large beta |f|. */
  double f = local_field(sys, s, i);
  double x = exp(-2.0 * beta * fabs(f));
  double p_up = f >= 0 ? 1.0 / (1.0 + x) : x / (1.0 + x);
  int8_t old = s[i];
  s[i] = u < p_up ? 1 : -1;
  return s[i] != old;
}

/* For uniform ferromagnetic lattices the local field takes 4d+1 values per spin
 * sign; a table of exp() per sweep replaces one exp() per site. */
typedef struct {
  int active;
  int zmax; /* 2 dim */
  double p[2][13]; /* [spin>0][neighbour sum + zmax] */
} accept_table;

static void table_fill(accept_table *t, const ceas_lattice_system *sys,
                       double beta, int heatbath) {
  t->active = sys->kind != CEAS_MODEL_GRAPH && sys->uniform_ferro;
  if (!t->active) return;
  t->zmax = 2 * sys->dim;
  double h = sys->h[0];
  for (int sp = 0; sp < 2; sp++)
    for (int ns = -t->zmax; ns <= t->zmax; ns++) {
      double f = ns + h;
      double v;
      if (heatbath) {
        /* Probability that the new spin is +1. */
        double x = exp(-2.0 * beta * fabs(f));
        v = f >= 0 ? 1.0 / (1.0 + x) : x / (1.0 + x);
      } else {
        /* Acceptance probability, the same rule as metropolis_accept(). */
        double dE = 2.0 * (sp ? 1 : -1) * f;
        v = dE < 0 ? 1.0 : dE == 0 ? 0.5 : exp(-beta * dE);
      }
      t->p[sp][ns + t->zmax] = v;
    }
}

static inline int nbsum(const ceas_lattice_system *sys, const int8_t *s,
                        int64_t i) {
  int sum = 0;
  for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++)
    sum += s[sys->indices[k]];
  return sum;
}

static int single_sweep(ceas_lattice_state *st, double beta, int heatbath) {
  const ceas_lattice_system *sys = st->sys;
  int8_t *s = st->spins;
  unsigned tag = heatbath ? CEAS_TAG_HEATBATH : CEAS_TAG_METROPOLIS;
  accept_table t;
  table_fill(&t, sys, beta, heatbath);
  if (sys->kind != CEAS_MODEL_GRAPH) {
    const int64_t *order = st->work->order;
    for (int64_t k = 0; k < sys->n; k++) {
      int64_t i = order[k];
      double u = ceas_rng_u01(ceas_lattice_draw(st->key, st->sweep, (uint64_t)i, tag));
      if (t.active) {
        double p = t.p[s[i] > 0][nbsum(sys, s, i) + t.zmax];
        if (heatbath)
          s[i] = u < p ? 1 : -1;
        else if (u < p)
          s[i] = (int8_t)-s[i];
      } else if (heatbath) {
        ceas_lattice_site_heatbath(sys, s, i, beta, u);
      } else {
        ceas_lattice_site_metropolis(sys, s, i, beta, u);
      }
    }
  } else {
    /* Random-sequential: update k uses words 2k (site) and 2k+1 (acceptance)
     * of this sweep's stream. Each update is reversible, so the sweep is too. */
    for (int64_t k = 0; k < sys->n; k++) {
      uint64_t b[4];
      ceas_rng_bits(st->key, st->sweep, (uint64_t)k >> 1, tag, 0, b);
      int slot = (int)(k & 1) * 2;
      int64_t i = (int64_t)ceas_rng_below(b[slot], (uint64_t)sys->n);
      double u = ceas_rng_u01(b[slot + 1]);
      if (heatbath)
        ceas_lattice_site_heatbath(sys, s, i, beta, u);
      else
        ceas_lattice_site_metropolis(sys, s, i, beta, u);
    }
  }
  st->sweep++;
  return CEAS_OK;
}

static int metropolis_sweep(ceas_lattice_state *st, double beta) {
  return single_sweep(st, beta, 0);
}

static int heatbath_sweep(ceas_lattice_state *st, double beta) {
  return single_sweep(st, beta, 1);
}

const ceas_lattice_kernel ceas_lattice_kernel_metropolis = {
    "metropolis",
    "single-spin Metropolis (checkerboard order on lattices, random-sequential "
    "on graphs)",
    0, metropolis_sweep, NULL};

const ceas_lattice_kernel ceas_lattice_kernel_heatbath = {
    "heatbath",
    "single-spin heat bath (Glauber), same visiting order as metropolis", 0,
    heatbath_sweep, NULL};
