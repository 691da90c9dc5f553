#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lattice_private.h"

static const char *const model_names[] = {"ising2d", "ising3d", "graph"};

const char *ceas_lattice_model_name(ceas_model_kind kind) {
  return model_names[kind];
}

int ceas_lattice_model_parse(const char *name, ceas_model_kind *kind) {
  for (int k = 0; k < 3; k++)
    if (strcmp(name, model_names[k]) == 0) {
      *kind = (ceas_model_kind)k;
      return CEAS_OK;
    }
  return ceas_error_set(CEAS_EINPUT,
                        "--model: unknown model '%s' (expected ising2d, ising3d "
                        "or graph)",
                        name);
}

/* n spins and nnz stored couplings: (n + 1) offsets, nnz (index, J) pairs and n
 * fields. The size comes from input (--L, a file's n and indptr), so it passes
 * the one size rule first: a lattice larger than memory is bad input (exit 2). */
static ceas_lattice_system *system_new(int64_t n, int64_t nnz, const char *what,
                                       int *rc) {
  size_t bytes;
  const size_t quads[] = {4 * ((size_t)n + 1) + 3 * (size_t)nnz, 4}; /* 16 n + 12 nnz */
  *rc = ceas_size_check(what, &bytes, 2, quads);
  if (*rc) return NULL;
  *rc = CEAS_ENOMEM;
  ceas_lattice_system *s = ceas_calloc(1, sizeof *s);
  if (!s) return NULL;
  s->n = n;
  s->indptr = ceas_calloc((size_t)n + 1, sizeof *s->indptr);
  s->indices = ceas_calloc((size_t)nnz, sizeof *s->indices);
  s->J = ceas_calloc((size_t)nnz, sizeof *s->J);
  s->h = ceas_calloc((size_t)n, sizeof *s->h);
  if (!s->indptr || !s->indices || !s->J || !s->h) {
    ceas_lattice_system_free(s);
    return NULL;
  }
  *rc = CEAS_OK;
  return s;
}

/* The largest |E| a configuration can have is sum_{i<j} |J_ij| + sum_i |h_i|.
 * Refused above 1e100: the measurements square E and sum the squares over up to
 * 2^64 measurements, the analysis multiplies it by beta, and 1e100 leaves all of
 * that finite (1e200 x 2^64 < 1e308), where couplings of 1e308 gave an infinite
 * energy only after the whole run. */
#define CEAS_MAX_ENERGY 1e100

static int energy_scale_check(const ceas_lattice_system *s, const char *what) {
  double sum = 0;
  for (int64_t k = 0; k < s->indptr[s->n]; k++) sum += 0.5 * fabs(s->J[k]);
  for (int64_t i = 0; i < s->n; i++) sum += fabs(s->h[i]);
  if (!(sum <= CEAS_MAX_ENERGY))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: the couplings and fields allow energies up to %.3g (sum of "
                          "|J_ij| and |h_i|); expected at most %g, so that E^2 and beta E "
                          "stay finite",
                          what, sum, CEAS_MAX_ENERGY);
  return CEAS_OK;
}

void ceas_lattice_system_free(ceas_lattice_system *s) {
  if (!s) return;
  free(s->indptr);
  free(s->indices);
  free(s->J);
  free(s->h);
  free(s);
}

static void classify(ceas_lattice_system *s) {
  int64_t nnz = s->indptr[s->n];
  s->all_ferro = 1;
  s->uniform_ferro = 1;
  for (int64_t k = 0; k < nnz; k++) {
    if (s->J[k] < 0) s->all_ferro = 0;
    if (s->J[k] != 1.0) s->uniform_ferro = 0;
  }
  s->has_field = 0;
  for (int64_t i = 0; i < s->n; i++)
    if (s->h[i] != 0) s->has_field = 1;
}

/* Sites beyond 2^31 would overflow int32 column indices; a lattice that big
 * does not fit one rank anyway (the decomposed path handles those). */
#define CEAS_MAX_SITES ((int64_t)1 << 31)

int ceas_lattice_hypercubic_alloc(ceas_model_kind kind, long L, double h,
                                  ceas_lattice_system **out) {
  *out = NULL;
  if (kind != CEAS_MODEL_ISING2D && kind != CEAS_MODEL_ISING3D)
    return ceas_error_set(CEAS_EINTERNAL, "hypercubic lattice of a graph model");
  int dim = kind == CEAS_MODEL_ISING2D ? 2 : 3;
  if (L < 2)
    return ceas_error_set(CEAS_EINPUT,
                          "--L: expected a linear size >= 2, got %ld", L);
  int64_t n = 1;
  for (int d = 0; d < dim; d++) {
    if (n > CEAS_MAX_SITES / L)
      return ceas_error_set(CEAS_EINPUT,
                            "--L: %ld^%d spins exceed the 2^31 a single lattice "
                            "may hold",
                            L, dim);
    n *= L;
  }
  if (!isfinite(h))
    return ceas_error_set(CEAS_EINPUT, "--h: expected a finite field");
  int rc;
  ceas_lattice_system *s = system_new(n, n * 2 * dim, "--L: the lattice", &rc);
  if (!s) return rc;
  s->kind = kind;
  s->dim = dim;
  s->L = L;
  int64_t stride[3] = {1, L, L * L};
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    s->indptr[i] = k;
    for (int d = 0; d < dim; d++) {
      int64_t x = (i / stride[d]) % L;
      int64_t up = i + ((x + 1) % L - x) * stride[d];
      int64_t dn = i + ((x + L - 1) % L - x) * stride[d];
      s->indices[k] = (int32_t)up;
      s->J[k++] = 1.0;
      s->indices[k] = (int32_t)dn;
      s->J[k++] = 1.0;
    }
    s->h[i] = h;
  }
  s->indptr[n] = k;
  if ((rc = energy_scale_check(s, "--h"))) {
    ceas_lattice_system_free(s);
    return rc;
  }
  classify(s);
  *out = s;
  return CEAS_OK;
}

typedef struct {
  int32_t col;
  double v;
} entry;

static int cmp_entry(const void *a, const void *b) {
  int32_t x = ((const entry *)a)->col, y = ((const entry *)b)->col;
  return (x > y) - (x < y);
}

/* Index of column j in sorted row i, or -1. */
static int64_t find_in_row(const ceas_lattice_system *s, int64_t i, int32_t j) {
  int64_t lo = s->indptr[i], hi = s->indptr[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (s->indices[mid] < j)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < s->indptr[i + 1] && s->indices[lo] == j ? lo : -1;
}

int ceas_lattice_graph_alloc(int64_t n, const int64_t *indptr,
                             const int32_t *indices, const double *J,
                             const double *h, const char *source,
                             ceas_lattice_system **out) {
  *out = NULL;
  if (n < 1 || n >= CEAS_MAX_SITES)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: expected between 1 and 2^31-1 spins, got %lld",
                          source, (long long)n);
  if (indptr[0] != 0)
    return ceas_error_set(CEAS_EINPUT, "%s: indptr[0] must be 0, got %lld",
                          source, (long long)indptr[0]);
  for (int64_t i = 0; i < n; i++)
    if (indptr[i + 1] < indptr[i])
      return ceas_error_set(CEAS_EINPUT,
                            "%s: indptr must be non-decreasing (indptr[%lld] = "
                            "%lld > indptr[%lld] = %lld)",
                            source, (long long)i, (long long)indptr[i],
                            (long long)(i + 1), (long long)indptr[i + 1]);
  int64_t nnz = indptr[n];
  int rc;
  ceas_lattice_system *s = system_new(n, nnz, source, &rc);
  if (!s) return rc;
  s->kind = CEAS_MODEL_GRAPH;
  entry *row = NULL;
  int64_t maxdeg = 0;
  for (int64_t i = 0; i < n; i++)
    if (indptr[i + 1] - indptr[i] > maxdeg) maxdeg = indptr[i + 1] - indptr[i];
  row = ceas_malloc((size_t)(maxdeg ? maxdeg : 1) * sizeof *row);
  if (!row) {
    rc = CEAS_ENOMEM;
    goto fail;
  }
  memcpy(s->indptr, indptr, ((size_t)n + 1) * sizeof *indptr);
  for (int64_t i = 0; i < n; i++) {
    int64_t a = indptr[i], deg = indptr[i + 1] - a;
    for (int64_t k = 0; k < deg; k++) {
      int32_t j = indices[a + k];
      if (j < 0 || j >= n) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s: column index %d in row %lld is out of range "
                            "[0, %lld)",
                            source, j, (long long)i, (long long)n);
        goto fail;
      }
      if (j == i) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s: self-coupling J[%lld][%lld] (a diagonal entry "
                            "is a constant, not a coupling)",
                            source, (long long)i, (long long)i);
        goto fail;
      }
      if (!isfinite(J[a + k])) {
        rc = ceas_error_set(CEAS_EINPUT, "%s: J[%lld][%d] is not finite", source,
                            (long long)i, j);
        goto fail;
      }
      row[k].col = j;
      row[k].v = J[a + k];
    }
    qsort(row, (size_t)deg, sizeof *row, cmp_entry);
    for (int64_t k = 0; k < deg; k++) {
      if (k > 0 && row[k].col == row[k - 1].col) {
        rc = ceas_error_set(CEAS_EINPUT, "%s: coupling (%lld, %d) is listed twice",
                            source, (long long)i, row[k].col);
        goto fail;
      }
      s->indices[a + k] = row[k].col;
      s->J[a + k] = row[k].v;
    }
  }
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = s->indptr[i]; k < s->indptr[i + 1]; k++) {
      int64_t t = find_in_row(s, s->indices[k], (int32_t)i);
      if (t < 0 || s->J[t] != s->J[k]) {
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s: couplings must be symmetric, but J[%lld][%d] = "
                            "%g and J[%d][%lld] %s",
                            source, (long long)i, s->indices[k], s->J[k],
                            s->indices[k], (long long)i,
                            t < 0 ? "is missing" : "differs");
        goto fail;
      }
    }
  for (int64_t i = 0; i < n; i++) {
    double v = h ? h[i] : 0.0;
    if (!isfinite(v)) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: field h[%lld] is not finite", source,
                          (long long)i);
      goto fail;
    }
    s->h[i] = v;
  }
  if ((rc = energy_scale_check(s, source))) goto fail;
  free(row);
  classify(s);
  *out = s;
  return CEAS_OK;
fail:
  free(row);
  ceas_lattice_system_free(s);
  return rc;
}

/* Lattices (J = 1, uniform h): the bond sum is an integer and the energy is
 * -B - h M, one rounding in all. A decomposed run reduces B and M over its ranks
 * exactly (integers) and ends with the same expression, so the two agree bitwise
 * however the sum was split. */
double ceas_lattice_energy_from_counts(int64_t bonds, int64_t m, double h) {
  return -(double)bonds - h * (double)m;
}

double ceas_lattice_energy(const ceas_lattice_system *sys, const int8_t *s) {
  if (sys->kind != CEAS_MODEL_GRAPH && sys->uniform_ferro) {
    int64_t twice = 0, m = 0;
    for (int64_t i = 0; i < sys->n; i++) {
      int loc = 0;
      for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++) loc += s[sys->indices[k]];
      twice += s[i] * loc;
      m += s[i];
    }
    /* Each bond appears in both rows. */
    return ceas_lattice_energy_from_counts(twice / 2, m, sys->h[0]);
  }
  double bonds = 0, field = 0;
  for (int64_t i = 0; i < sys->n; i++) {
    double loc = 0;
    for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++)
      loc += sys->J[k] * s[sys->indices[k]];
    bonds += s[i] * loc;
    field += sys->h[i] * s[i];
  }
  /* Each bond appears in both rows. */
  return -0.5 * bonds - field;
}

double ceas_lattice_magnetization(const ceas_lattice_system *sys,
                                  const int8_t *s) {
  int64_t m = 0;
  for (int64_t i = 0; i < sys->n; i++) m += s[i];
  return (double)m;
}

static double kmin_phase(long x, long L) {
  const double two_pi = 6.283185307179586476925286766559;
  return two_pi * (double)x / (double)L;
}

void ceas_lattice_kmin_phases(long L, double *cs) {
  for (long x = 0; x < L; x++) {
    cs[x] = cos(kmin_phase(x, L));
    cs[L + x] = sin(kmin_phase(x, L));
  }
}

double ceas_lattice_structure_factor_from_projections(int dim, long L, const int64_t *proj,
                                                      const double *cs) {
  double n = 1;
  for (int d = 0; d < dim; d++) n *= (double)L;
  double f = 0;
  for (int d = 0; d < dim; d++) {
    double re = 0, im = 0;
    for (long x = 0; x < L; x++) {
      /* A table holds the very values cos() and sin() return here. */
      double c = cs ? cs[x] : cos(kmin_phase(x, L));
      double sn = cs ? cs[L + x] : sin(kmin_phase(x, L));
      re += (double)proj[d * L + x] * c;
      im += (double)proj[d * L + x] * sn;
    }
    f += re * re + im * im;
  }
  return f / (dim * n);
}

double ceas_lattice_structure_factor_kmin(const ceas_lattice_system *sys,
                                          const int8_t *s) {
  if (sys->kind == CEAS_MODEL_GRAPH) return NAN;
  /* Project the spins onto each axis first: the Fourier sum then needs only L
   * phases per direction instead of one per site. */
  long L = sys->L;
  int dim = sys->dim;
  int64_t *proj = calloc((size_t)(dim * L), sizeof *proj);
  if (!proj) return NAN;
  int64_t stride[3] = {1, L, L * L};
  for (int64_t i = 0; i < sys->n; i++)
    for (int d = 0; d < dim; d++) proj[d * L + (i / stride[d]) % L] += s[i];
  double f = ceas_lattice_structure_factor_from_projections(dim, L, proj, NULL);
  free(proj);
  return f;
}

void ceas_lattice_initial_spins(ceas_rng_key key, ceas_lattice_init init, int64_t first,
                                int64_t n, int8_t *out) {
  if (init == CEAS_INIT_COLD) {
    for (int64_t j = 0; j < n; j++) out[j] = 1;
    return;
  }
  /* Site i takes the top bit of word i & 3 of block i >> 2 (ceas_lattice_draw, as
   * in ceas_lattice_state_alloc); one block serves four sites. */
  uint64_t b[4];
  uint64_t have = UINT64_MAX;
  for (int64_t j = 0; j < n; j++) {
    uint64_t i = (uint64_t)(first + j);
    if (i >> 2 != have) {
      have = i >> 2;
      ceas_rng_bits(key, 0, have, CEAS_TAG_INIT, 0, b);
    }
    out[j] = (b[i & 3u] >> 63) ? 1 : -1;
  }
}
