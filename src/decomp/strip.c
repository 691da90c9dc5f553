/* The strip of one rank: allocation, halo exchange, sweep, measurement. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_decomp.h"

struct ceas_decomp {
  MPI_Comm comm;
  int rank, size;
  int lower, upper;        /* neighbour ranks (periodic) */
  ceas_decomp_strip s;
  double h;
  const ceas_decomp_kernel *kernel;
  void *kctx;
  int64_t *acc;            /* reduction buffer: B, M, projections on the other axes */
  int64_t *plane_sums;     /* this rank's projection on the decomposed axis */
  int64_t *proj;           /* root: all projections, dim * L */
  double *phases;          /* root: ceas_lattice_kmin_phases */
  int *counts, *displs;    /* root: Gatherv layout of plane_sums */
  double t_update, t_exchange, t_measure;
};

enum { TAG_TO_LOWER = 101, TAG_TO_UPPER = 102 };

int ceas_decomp_check(ceas_model_kind model, long L, const char *algo, int ranks) {
  if (model != CEAS_MODEL_ISING2D && model != CEAS_MODEL_ISING3D)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: needs a lattice (--model ising2d or ising3d), got "
                          "--model %s",
                          ceas_lattice_model_name(model));
  const ceas_decomp_kernel *k = ceas_decomp_kernel_find(algo ? algo : "metropolis");
  if (!k)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: --algo %s cannot be decomposed; expected metropolis "
                          "or heatbath (single-spin updates; cluster updates are not local) "
                          "or msc-single (the same, multi-spin coded)",
                          algo);
  if (L < 2)
    return ceas_error_set(CEAS_EINPUT, "--L: expected a linear size >= 2, got %ld", L);
  if (L % 2)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: L = %ld is odd; the checkerboard split needs an even L "
                          "(for odd L the two colours touch across the periodic boundary)",
                          L);
  const int dim = model == CEAS_MODEL_ISING3D ? 3 : 2;
  if (k->check) {
    int rc = k->check(dim, L);
    if (rc) return rc;
  }
  const char *what = dim == 2 ? "rows" : "slabs";
  if (L < ranks)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: L = %ld gives %ld %s for %d ranks; need at least one "
                          "row (2D) / slab (3D) per rank",
                          L, L, what, ranks);
  if (k->plane_bytes(dim, L) > INT_MAX)
    return ceas_error_set(CEAS_EINPUT,
                          "--decompose: L = %ld gives %s of %lld bytes (--algo %s); one %s "
                          "must stay below 2^31 bytes (one MPI message)%s",
                          L, what, (long long)k->plane_bytes(dim, L), k->name,
                          dim == 2 ? "row" : "slab",
                          dim == 3 && k->parts == 1 ? ", so L <= 46340 in 3D" : "");
  return CEAS_OK;
}

/* Every rank returns the same status; a failing rank's message reaches all. */
static int agree(MPI_Comm comm, int rank, int rc) {
  int in[2] = {rc != CEAS_OK, -rank}, out[2];
  /* MAXLOC on (failed, -rank): the lowest failing rank speaks. */
  MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MAXLOC, comm);
  if (!out[0]) return CEAS_OK;
  int who = -out[1];
  char msg[512];
  int code = rc;
  if (rank == who) snprintf(msg, sizeof msg, "%s", ceas_error_message());
  MPI_Bcast(msg, sizeof msg, MPI_CHAR, who, comm);
  MPI_Bcast(&code, 1, MPI_INT, who, comm);
  if (rank != who) ceas_error_set(code, "rank %d: %s", who, msg);
  return code;
}

const ceas_decomp_strip *ceas_decomp_get_strip(const ceas_decomp *d) { return &d->s; }

void ceas_decomp_get_spins(const ceas_decomp *d, int8_t *spins) {
  d->kernel->unpack(d->kctx, &d->s, spins);
}

void ceas_decomp_times(const ceas_decomp *d, double *update, double *exchange,
                       double *measure) {
  *update = d->t_update;
  *exchange = d->t_exchange;
  *measure = d->t_measure;
}

typedef struct {
  MPI_Request req[4];
  int n;
} exchange;

/* Sends part `part` of the first and last owned planes to the neighbours and
 * receives theirs into the halos. One rank: two copies. */
static void exchange_post(ceas_decomp *d, int part, exchange *x) {
  ceas_decomp_strip *s = &d->s;
  const int64_t n = s->n_planes;
  void *first = ceas_decomp_part_plane(s, part, 0), *last = ceas_decomp_part_plane(s, part, n - 1);
  void *halo_lo = ceas_decomp_part_plane(s, part, -1), *halo_hi = ceas_decomp_part_plane(s, part, n);
  x->n = 0;
  if (d->size == 1) {
    memcpy(halo_lo, last, (size_t)s->plane_bytes);
    memcpy(halo_hi, first, (size_t)s->plane_bytes);
    return;
  }
  const int count = (int)s->plane_bytes;
  MPI_Irecv(halo_lo, count, MPI_BYTE, d->lower, TAG_TO_UPPER, d->comm, &x->req[x->n++]);
  MPI_Irecv(halo_hi, count, MPI_BYTE, d->upper, TAG_TO_LOWER, d->comm, &x->req[x->n++]);
  MPI_Isend(first, count, MPI_BYTE, d->lower, TAG_TO_LOWER, d->comm, &x->req[x->n++]);
  MPI_Isend(last, count, MPI_BYTE, d->upper, TAG_TO_UPPER, d->comm, &x->req[x->n++]);
}

static int exchange_test(exchange *x) {
  if (!x->n) return 1;
  int done = 0;
  MPI_Testall(x->n, x->req, &done, MPI_STATUSES_IGNORE);
  if (done) x->n = 0;
  return done;
}

static void exchange_wait(exchange *x) {
  if (x->n) MPI_Waitall(x->n, x->req, MPI_STATUSES_IGNORE);
  x->n = 0;
}

void ceas_decomp_free(ceas_decomp *d) {
  if (!d) return;
  if (d->kernel && d->kctx) d->kernel->free(d->kctx);
  free(d->s.planes);
  free(d->acc);
  free(d->plane_sums);
  free(d->proj);
  free(d->phases);
  free(d->counts);
  free(d->displs);
  if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
  free(d);
}

int ceas_decomp_alloc(MPI_Comm comm, ceas_model_kind model, long L, double beta, double h,
                      ceas_rng_key key, ceas_lattice_init init,
                      const ceas_decomp_kernel *kernel, ceas_decomp **out) {
  *out = NULL;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (!kernel) kernel = &ceas_decomp_kernel_metropolis;
  int rc = ceas_decomp_check(model, L, kernel->name, size);
  if (rc) return agree(comm, rank, rc);
  ceas_decomp *d = ceas_calloc(1, sizeof *d);
  if (!d) return agree(comm, rank, CEAS_ENOMEM);
  d->comm = MPI_COMM_NULL;
  MPI_Comm_dup(comm, &d->comm);
  d->rank = rank;
  d->size = size;
  d->lower = (rank + size - 1) % size;
  d->upper = (rank + 1) % size;
  d->h = h;
  d->kernel = kernel;
  ceas_decomp_strip *s = &d->s;
  s->dim = model == CEAS_MODEL_ISING3D ? 3 : 2;
  s->L = L;
  s->plane_sites = s->dim == 3 ? (int64_t)L * L : L;
  s->n_sites = s->plane_sites * L;
  s->key = key;
  int64_t base = L / size, extra = L % size;
  s->n_planes = base + (rank < extra);
  s->first_plane = rank * base + (rank < extra ? rank : extra);
  s->parts = kernel->parts;
  s->plane_bytes = kernel->plane_bytes(s->dim, L);
  s->planes = ceas_malloc((size_t)(s->parts * (s->n_planes + 2) * s->plane_bytes));
  /* B, M, then the projections on the axes that are not decomposed. */
  d->acc = ceas_calloc((size_t)(2 + (s->dim - 1) * L), sizeof *d->acc);
  d->plane_sums = ceas_calloc((size_t)s->n_planes, sizeof *d->plane_sums);
  if (rank == 0) {
    d->proj = ceas_calloc((size_t)(s->dim * L), sizeof *d->proj);
    d->phases = ceas_malloc((size_t)(2 * L) * sizeof *d->phases);
    d->counts = ceas_calloc((size_t)size, sizeof *d->counts);
    d->displs = ceas_calloc((size_t)size, sizeof *d->displs);
  }
  if (!s->planes || !d->acc || !d->plane_sums ||
      (rank == 0 && (!d->proj || !d->phases || !d->counts || !d->displs)))
    rc = CEAS_ENOMEM;
  if (!rc) rc = kernel->init(s, beta, h, &d->kctx);
  rc = agree(d->comm, rank, rc);
  if (rc) {
    ceas_decomp_free(d);
    return rc;
  }
  if (rank == 0) {
    ceas_lattice_kmin_phases(L, d->phases);
    for (int r = 0; r < size; r++) {
      d->counts[r] = (int)(base + (r < extra));
      d->displs[r] = (int)(r * base + (r < extra ? r : extra));
    }
  }
  kernel->initial(d->kctx, s, init);
  for (int part = 0; part < s->parts; part++) {
    exchange x;
    exchange_post(d, part, &x);
    exchange_wait(&x);
  }
  *out = d;
  return CEAS_OK;
}

/* Planes between two MPI_Testall calls of the overlapped interior update: enough
 * sites (~64k) that the calls cost nothing, few enough that a large message
 * keeps moving. */
static int64_t poll_every(const ceas_decomp_strip *s) {
  int64_t k = ((int64_t)1 << 16) / s->plane_sites;
  return k < 1 ? 1 : k;
}

int ceas_decomp_sweep(ceas_decomp *d) {
  ceas_decomp_strip *s = &d->s;
  const int64_t n = s->n_planes;
  const int64_t step = poll_every(s);
  for (int colour = 0; colour < 2; colour++) {
    double t0 = MPI_Wtime();
    d->kernel->update(d->kctx, s, colour, 0, 1);
    if (n > 1) d->kernel->update(d->kctx, s, colour, n - 1, n);
    double t1 = MPI_Wtime();
    exchange x;
    exchange_post(d, colour % s->parts, &x);
    double t2 = MPI_Wtime(), tx = 0;
    int done = 0;
    for (int64_t p = 1; p < n - 1; p += step) {
      int64_t q = p + step < n - 1 ? p + step : n - 1;
      d->kernel->update(d->kctx, s, colour, p, q);
      if (!done && q < n - 1) {
        double a = MPI_Wtime();
        done = exchange_test(&x);
        tx += MPI_Wtime() - a;
      }
    }
    double t3 = MPI_Wtime();
    exchange_wait(&x);
    double t4 = MPI_Wtime();
    d->t_update += (t1 - t0) + (t3 - t2) - tx;
    d->t_exchange += (t2 - t1) + tx + (t4 - t3);
  }
  s->sweep++;
  return CEAS_OK;
}

int ceas_decomp_measure(ceas_decomp *d, int root, ceas_decomp_obs *out) {
  double t0 = MPI_Wtime();
  const ceas_decomp_strip *s = &d->s;
  const int64_t L = s->L, n = s->n_planes;
  int64_t *acc = d->acc;
  const size_t nacc = (size_t)(2 + (s->dim - 1) * L);
  memset(acc, 0, nacc * sizeof *acc);
  int64_t *px = acc + 2, *py = s->dim == 3 ? acc + 2 + L : NULL; /* py: y within a slab */
  int64_t bonds = 0, m = 0;
  d->kernel->measure(d->kctx, s, &bonds, px, py, d->plane_sums);
  for (int64_t p = 0; p < n; p++) m += d->plane_sums[p];
  acc[0] = bonds;
  acc[1] = m;
  int64_t *proj = d->proj; /* rank 0 */
  /* The reduction and gather land on rank 0, which then forwards if another
   * rank is the root (the collective layout stays fixed). */
  MPI_Reduce(d->rank == 0 ? MPI_IN_PLACE : acc, acc, (int)nacc, MPI_INT64_T, MPI_SUM, 0,
             d->comm);
  MPI_Gatherv(d->plane_sums, (int)n, MPI_INT64_T, d->rank == 0 ? proj + (s->dim - 1) * L : NULL,
              d->counts, d->displs, MPI_INT64_T, 0, d->comm);
  ceas_decomp_obs o = {0, 0, 0, 0};
  if (d->rank == 0) {
    memcpy(proj, px, (size_t)L * sizeof *proj);
    if (s->dim == 3) memcpy(proj + L, py, (size_t)L * sizeof *proj);
    o.bonds = acc[0];
    o.m = acc[1];
    o.energy = ceas_lattice_energy_from_counts(o.bonds, o.m, d->h);
    o.sf_kmin = ceas_lattice_structure_factor_from_projections(s->dim, L, proj, d->phases);
  }
  if (root != 0) {
    if (d->rank == 0) MPI_Send(&o, sizeof o, MPI_BYTE, root, 0, d->comm);
    if (d->rank == root) MPI_Recv(&o, sizeof o, MPI_BYTE, 0, 0, d->comm, MPI_STATUS_IGNORE);
  }
  if (d->rank == root) *out = o;
  d->t_measure += MPI_Wtime() - t0;
  return CEAS_OK;
}
