/* Problems: construction from a validated graph system, the float32 and dense
 * copies, energies and cut values, writers. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anneal_private.h"
#include "ceas_io.h"
#include "ceas_mapping.h"

const char *ceas_anneal_source_name(ceas_anneal_source s) {
  switch (s) {
    case CEAS_ANNEAL_SRC_COUPLINGS: return "couplings";
    case CEAS_ANNEAL_SRC_GSET: return "gset";
    case CEAS_ANNEAL_SRC_SK: return "sk";
    case CEAS_ANNEAL_SRC_EA2D: return "ea2d";
    case CEAS_ANNEAL_SRC_EA3D: return "ea3d";
  }
  return "?";
}

int ceas_anneal_bonds_parse(const char *s, ceas_anneal_bonds *out) {
  if (!strcmp(s, "pm"))
    *out = CEAS_ANNEAL_BONDS_PM;
  else if (!strcmp(s, "gauss"))
    *out = CEAS_ANNEAL_BONDS_GAUSS;
  else
    return ceas_error_set(CEAS_EINPUT, "--bonds: expected pm or gauss, got '%s'", s);
  return CEAS_OK;
}

const char *ceas_anneal_bonds_name(ceas_anneal_bonds b) {
  return b == CEAS_ANNEAL_BONDS_GAUSS ? "gauss" : "pm";
}

int ceas_anneal_problem_from_system(ceas_lattice_system *sys, ceas_anneal_source source,
                                    const char *origin, ceas_anneal_problem **out) {
  *out = NULL;
  ceas_anneal_problem *pb = ceas_calloc(1, sizeof *pb);
  if (!pb) {
    ceas_lattice_system_free(sys);
    return CEAS_ENOMEM;
  }
  pb->sys = sys;
  pb->n = sys->n;
  pb->nnz = sys->indptr[sys->n];
  pb->indptr = sys->indptr;
  pb->indices = sys->indices;
  pb->J = sys->J;
  pb->h = sys->h;
  pb->has_field = sys->has_field;
  pb->source = source;
  snprintf(pb->origin, sizeof pb->origin, "%s", origin);
  pb->Jf = ceas_malloc((size_t)(pb->nnz ? pb->nnz : 1) * sizeof *pb->Jf);
  if (!pb->Jf) {
    ceas_anneal_problem_free(pb);
    return CEAS_ENOMEM;
  }
  double sq = 0, abs_sum = 0;
  pb->one_magnitude = pb->nnz > 0;
  for (int64_t k = 0; k < pb->nnz && pb->one_magnitude; k++)
    pb->one_magnitude = fabs(pb->J[k]) == fabs(pb->J[0]) && pb->J[0] != 0;
  pb->unit = pb->one_magnitude ? fabs(pb->J[0]) : 1.0;
  for (int64_t k = 0; k < pb->nnz; k++) {
    pb->Jf[k] = (float)(pb->J[k] / pb->unit);
    sq += pb->J[k] * pb->J[k];
    abs_sum += fabs(pb->J[k]);
  }
  abs_sum /= 2; /* each coupling is stored twice */
  for (int64_t i = 0; i < pb->n; i++) abs_sum += fabs(pb->h[i]);
  pb->abs_sum = abs_sum;
  /* An uncoupled problem (fields only) still needs a unit for beta. */
  pb->field_scale = sq > 0 ? sqrt(sq / (double)pb->n) : 1.0;
  if (sq == 0 && pb->has_field) {
    double hs = 0;
    for (int64_t i = 0; i < pb->n; i++) hs += pb->h[i] * pb->h[i];
    pb->field_scale = sqrt(hs / (double)pb->n);
  }
  *out = pb;
  return CEAS_OK;
}

void ceas_anneal_problem_free(ceas_anneal_problem *pb) {
  if (!pb) return;
  ceas_lattice_system_free(pb->sys);
  free(pb->Jf);
  free(pb->dense);
  free(pb->dense8);
  free(pb);
}

int ceas_anneal_problem_set_dense(ceas_anneal_problem *pb, int mode) {
  int64_t n = pb->n;
  /* Crossovers measured on random graphs (docs/anneal.md): int8 rows pay from ~4 %
   * density, float32 rows from ~10 %. */
  if (mode < 0)
    mode = n <= CEAS_ANNEAL_DENSE_MAX &&
           (double)pb->nnz * (pb->one_magnitude ? 25.0 : 8.0) >= (double)n * (double)n;
  if (!mode) {
    free(pb->dense);
    free(pb->dense8);
    pb->dense = NULL;
    pb->dense8 = NULL;
    return CEAS_OK;
  }
  if (pb->dense || pb->dense8) return CEAS_OK;
  if (n > CEAS_ANNEAL_DENSE_MAX)
    return ceas_error_set(CEAS_EINPUT,
                          "--dense yes: %lld spins need a %.1f GiB dense matrix; at most "
                          "%d spins are allowed",
                          (long long)n, (double)n * (double)n * 4.0 / 1073741824.0,
                          CEAS_ANNEAL_DENSE_MAX);
  if (pb->one_magnitude) {
    pb->dense8 = ceas_calloc((size_t)n * (size_t)n, 1);
    if (!pb->dense8) return CEAS_ENOMEM;
    for (int64_t i = 0; i < n; i++)
      for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
        pb->dense8[(size_t)i * (size_t)n + (size_t)pb->indices[k]] = pb->Jf[k] > 0 ? 1 : -1;
    return CEAS_OK;
  }
  pb->dense = ceas_calloc((size_t)n * (size_t)n, sizeof *pb->dense);
  if (!pb->dense) return CEAS_ENOMEM;
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      pb->dense[(size_t)i * (size_t)n + (size_t)pb->indices[k]] = pb->Jf[k];
  return CEAS_OK;
}

int ceas_anneal_problem_from_couplings(const char *path, ceas_anneal_problem **out) {
  *out = NULL;
  ceas_lattice_system *sys = NULL;
  int rc = ceas_mapping_read_couplings(path, 0.0, &sys);
  if (rc) return rc;
  return ceas_anneal_problem_from_system(sys, CEAS_ANNEAL_SRC_COUPLINGS, path, out);
}

double ceas_anneal_energy(const ceas_anneal_problem *pb, const int8_t *s) {
  double e2 = 0, eh = 0;
  for (int64_t i = 0; i < pb->n; i++) {
    double f = 0;
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      f += pb->J[k] * s[pb->indices[k]];
    e2 += f * s[i];
    eh += pb->h[i] * s[i];
  }
  return -0.5 * e2 - eh;
}

double ceas_anneal_cut(const ceas_anneal_problem *pb, double energy) {
  return pb->maxcut ? 0.5 * (pb->w_sum - energy) : NAN;
}

double ceas_anneal_energy_of_cut(const ceas_anneal_problem *pb, double cut) {
  return pb->maxcut ? pb->w_sum - 2.0 * cut : NAN;
}

/* ---- writers ------------------------------------------------------------- */

typedef int (*body_fn)(const ceas_anneal_problem *pb, FILE *fp);

/* The text is built in memory and written by ceas_io_write_text: the one atomic
 * writer (exclusive temporary, fsync, link or rename) for every output file. */
static int write_atomically(const ceas_anneal_problem *pb, const char *path, int force,
                            body_fn body) {
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  if (!fp) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  int rc = body(pb, fp);
  if (fclose(fp) != 0 && !rc) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (!rc) rc = ceas_io_write_text(path, force, text, len);
  free(text);
  return rc;
}

static int body_couplings(const ceas_anneal_problem *pb, FILE *fp) {
  fprintf(fp, "# ceasim %s couplings: E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i\n",
          ceas_version());
  fprintf(fp, "# from %s %s\n", ceas_anneal_source_name(pb->source), pb->origin);
  fprintf(fp, "n %lld\n", (long long)pb->n);
  for (int64_t i = 0; i < pb->n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      if (pb->indices[k] > i)
        fprintf(fp, "%lld %d %.17g\n", (long long)i, pb->indices[k], pb->J[k]);
  for (int64_t i = 0; i < pb->n; i++)
    if (pb->h[i] != 0) fprintf(fp, "h %lld %.17g\n", (long long)i, pb->h[i]);
  return ferror(fp) ? ceas_error_set(CEAS_EIO, "write error") : CEAS_OK;
}

static int body_gset(const ceas_anneal_problem *pb, FILE *fp) {
  fprintf(fp, "%lld %lld\n", (long long)pb->n, (long long)(pb->nnz / 2));
  for (int64_t i = 0; i < pb->n; i++)
    for (int64_t k = pb->indptr[i]; k < pb->indptr[i + 1]; k++)
      if (pb->indices[k] > i)
        fprintf(fp, "%lld %d %.17g\n", (long long)i + 1, pb->indices[k] + 1, -pb->J[k]);
  return ferror(fp) ? ceas_error_set(CEAS_EIO, "write error") : CEAS_OK;
}

int ceas_anneal_problem_write_couplings(const ceas_anneal_problem *pb, const char *path,
                                        int force) {
  return write_atomically(pb, path, force, body_couplings);
}

int ceas_anneal_problem_write_gset(const ceas_anneal_problem *pb, const char *path,
                                   int force) {
  if (pb->has_field)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: a G-set file cannot hold fields; write the couplings format",
                          path);
  return write_atomically(pb, path, force, body_gset);
}

int ceas_anneal_build(int64_t n, int64_t ne, const int32_t *ei, const int32_t *ej,
                      const double *w, const double *h, ceas_anneal_source source,
                      const char *origin, ceas_anneal_problem **out) {
  *out = NULL;
  /* n and ne come from the instance (a G-set header, --n, --L): the CSR build holds
   * three words a spin and 1.5 an edge end, under the one size rule. */
  char what[4200];
  snprintf(what, sizeof what, "%s: %lld spins and %lld couplings", origin, (long long)n,
           (long long)ne);
  size_t bytes;
  const size_t f[] = {(size_t)n + 1 + 2 * (size_t)ne + 1, 3 * sizeof(double)};
  if (ceas_size_check(what, &bytes, 2, f)) return CEAS_EINPUT;
  int64_t *indptr = ceas_calloc((size_t)n + 1, sizeof *indptr);
  int64_t *fill = ceas_malloc((size_t)n * sizeof *fill);
  int32_t *indices = ceas_malloc((size_t)(2 * ne + 1) * sizeof *indices);
  double *J = ceas_malloc((size_t)(2 * ne + 1) * sizeof *J);
  double *hz = h ? NULL : ceas_calloc((size_t)n, sizeof *hz);
  int rc = CEAS_OK;
  if (!indptr || !fill || !indices || !J || (!h && !hz)) {
    rc = CEAS_ENOMEM;
    goto done;
  }
  for (int64_t k = 0; k < ne; k++) {
    indptr[ei[k] + 1]++;
    indptr[ej[k] + 1]++;
  }
  for (int64_t i = 0; i < n; i++) indptr[i + 1] += indptr[i];
  memcpy(fill, indptr, (size_t)n * sizeof *fill);
  for (int64_t k = 0; k < ne; k++) {
    int64_t a = fill[ei[k]]++, b = fill[ej[k]]++;
    indices[a] = ej[k];
    J[a] = w[k];
    indices[b] = ei[k];
    J[b] = w[k];
  }
  ceas_lattice_system *sys = NULL;
  rc = ceas_lattice_graph_alloc(n, indptr, indices, J, h ? h : hz, origin, &sys);
  if (!rc) rc = ceas_anneal_problem_from_system(sys, source, origin, out);
done:
  free(indptr);
  free(fill);
  free(indices);
  free(J);
  free(hz);
  return rc;
}
