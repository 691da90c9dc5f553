/* The kernel table (ceas_kernel.h): each entry a type, its operations on a
 * private state, and the type's own data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_kernel.h"
#include "ceas_msc.h"
#include "kernel_private.h"

struct ceas_kernel {
  const ceas_kernel_type *type;
  const ceas_lattice_system *sys;
  void *state; /* type->size bytes */
};

/* ---- int8 spins: the kernels of ceas_lattice.h ---------------------------- */

typedef struct {
  const ceas_lattice_kernel *kernel;
  ceas_lattice_state *st;
} plain_state;

static int plain_alloc(void *s, const ceas_kernel_type *T, const ceas_lattice_system *sys,
                       ceas_rng_key key, ceas_lattice_init init) {
  plain_state *p = s;
  p->kernel = T->impl;
  int rc = ceas_lattice_kernel_check(p->kernel, sys);
  return rc ? rc : ceas_lattice_state_alloc(sys, key, init, &p->st);
}

static void plain_free(void *s) { ceas_lattice_state_free(((plain_state *)s)->st); }

static int plain_sweep(void *s, double beta, uint64_t n) {
  plain_state *p = s;
  for (uint64_t i = 0; i < n; i++) {
    int rc = p->kernel->sweep(p->st, beta);
    if (rc) return rc;
  }
  return CEAS_OK;
}

static uint64_t plain_sweeps_done(const void *s) { return ((const plain_state *)s)->st->sweep; }

static int plain_measure(void *s, double *e, double *m, double *f) {
  const ceas_lattice_state *st = ((plain_state *)s)->st;
  double n = (double)st->sys->n;
  *e = ceas_lattice_energy(st->sys, st->spins) / n;
  *m = ceas_lattice_magnetization(st->sys, st->spins) / n;
  if (f) *f = ceas_lattice_structure_factor_kmin(st->sys, st->spins);
  return CEAS_OK;
}

static int plain_abs_m(void *s, double *avg, double *m2, double *one, int singles) {
  (void)one;
  (void)singles;
  const ceas_lattice_state *st = ((plain_state *)s)->st;
  /* Summing the int8 spins directly is ~4x cheaper than the CSR-generic
   * ceas_lattice_magnetization, and a measurement per sweep must be cheap. */
  int64_t M = 0, n = st->sys->n;
  for (int64_t i = 0; i < n; i++) M += st->spins[i];
  double m = fabs((double)M) / (double)n;
  *avg = m;
  *m2 = m * m;
  return CEAS_OK;
}

int kernel_read_spins(int8_t *spins, int64_t n, hid_t f, const char *path) {
  int rc = ceas_io_read_int8(f, path, "spins", spins, (size_t)n);
  for (int64_t i = 0; !rc && i < n; i++)
    if (spins[i] != 1 && spins[i] != -1)
      rc = ceas_error_set(CEAS_EINPUT, "%s: spin %lld is %d, not +-1", path, (long long)i,
                          spins[i]);
  return rc;
}

static int plain_write_state(void *s, hid_t loc) {
  const ceas_lattice_state *st = ((plain_state *)s)->st;
  return ceas_io_write_int8(loc, "spins", st->spins, (size_t)st->sys->n);
}

static void plain_get_spins(void *s, int8_t *spins) {
  const ceas_lattice_state *st = ((plain_state *)s)->st;
  memcpy(spins, st->spins, (size_t)st->sys->n);
}

static int plain_read_state(void *s, hid_t f, const char *path, uint64_t sweep) {
  ceas_lattice_state *st = ((plain_state *)s)->st;
  int rc = kernel_read_spins(st->spins, st->sys->n, f, path);
  if (!rc) st->sweep = sweep;
  return rc;
}

static int plain_tune_sweep(void *s, double beta, int64_t *clusters) {
  return ceas_lattice_wolff_sweep_tune(((plain_state *)s)->st, beta, clusters);
}

static void plain_get_counters(const void *s, long *clusters, uint64_t *flipped) {
  const ceas_lattice_state *st = ((const plain_state *)s)->st;
  *clusters = st->wolff_clusters;
  *flipped = st->flipped;
}

static void plain_set_counters(void *s, long clusters, uint64_t flipped) {
  ceas_lattice_state *st = ((plain_state *)s)->st;
  st->wolff_clusters = clusters;
  st->flipped = flipped;
}

/* The single-spin kernels on lattices take their update uniforms from a bulk
 * Philox4x32-10 stream (the AVX2 and scalar paths give the same words); every
 * other kernel, and every initial configuration, draws from Philox4x64-10. */
#define RNG_BULK KERNEL_RNG_BULK
#define RNG_PLAIN KERNEL_RNG_PLAIN

#define PLAIN_OPS                                                                         \
  .chunk = 1, .size = sizeof(plain_state), .alloc = plain_alloc, .free = plain_free,      \
  .sweep = plain_sweep, .sweeps_done = plain_sweeps_done, .measure = plain_measure,       \
  .abs_m = plain_abs_m, .write_state = plain_write_state, .read_state = plain_read_state, \
  .get_spins = plain_get_spins,                                                           \
  .get_counters = plain_get_counters, .set_counters = plain_set_counters,                 \
  .isa_name = "int8", .replicas = 1

/* ---- replica-packed multi-spin coding (ceas_msc.h) ------------------------- */

typedef struct {
  int anti; /* antithetic uniforms */
} msc_variant;

typedef struct {
  ceas_msc_state *st;
  int64_t *E, *M; /* per-replica totals */
} msc_state;

int kernel_msc_check(const ceas_kernel_type *T, ceas_model_kind model, long L, double h) {
  if (model == CEAS_MODEL_GRAPH)
    return ceas_error_set(CEAS_EINPUT, "--algo %s: only for --model ising2d or ising3d (got %s)",
                          T->name, ceas_lattice_model_name(model));
  if (h != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--h: the multi-spin-coded kernels have no field (got %g with "
                          "--algo %s; use metropolis or heatbath)",
                          h, T->name);
  const long lmax = model == CEAS_MODEL_ISING3D ? 2048 : 65536;
  if (!(T->flags & CEAS_KERNEL_PACKED) && (L < 128 || L % 128 || L > lmax))
    return ceas_error_set(CEAS_EINPUT,
                          "--L: --algo %s packs a row of each colour into 64-bit words "
                          "and needs L a multiple of 128 up to %ld (got %ld)",
                          T->name, lmax, L);
  if ((T->flags & CEAS_KERNEL_PACKED) && (L < 2 || L % 2 || L > lmax))
    return ceas_error_set(CEAS_EINPUT,
                          "--L: --algo %s needs an even L from 2 to %d (checkerboard "
                          "colours; got %ld)",
                          T->name, (int)lmax, L);
  return CEAS_OK;
}

static int msc_alloc(void *s, const ceas_kernel_type *T, const ceas_lattice_system *sys,
                     ceas_rng_key key, ceas_lattice_init init) {
  msc_state *p = s;
  int rc = ceas_msc_alloc(sys->dim, sys->L, T->replicas, key, init, &p->st);
  if (rc) return rc;
  ceas_msc_set_antithetic(p->st, ((const msc_variant *)T->impl)->anti);
  p->E = ceas_malloc((size_t)T->replicas * sizeof *p->E);
  p->M = ceas_malloc((size_t)T->replicas * sizeof *p->M);
  return p->E && p->M ? CEAS_OK : CEAS_ENOMEM;
}

static void msc_free(void *s) {
  msc_state *p = s;
  ceas_msc_free(p->st);
  free(p->E);
  free(p->M);
}

static int msc_sweep(void *s, double beta, uint64_t n) {
  return ceas_msc_sweep(((msc_state *)s)->st, beta, n);
}

static uint64_t msc_sweeps_done(const void *s) {
  return ceas_msc_sweeps_done(((const msc_state *)s)->st);
}

static int msc_measure(void *s, double *e, double *m, double *f) {
  msc_state *p = s;
  int rc = ceas_msc_measure(p->st, p->E, p->M);
  if (!rc && f) rc = ceas_msc_measure_sf(p->st, f);
  if (rc) return rc;
  const double N = (double)ceas_msc_sites(p->st);
  for (int r = 0; r < ceas_msc_replicas(p->st); r++) {
    e[r] = (double)p->E[r] / N;
    m[r] = (double)p->M[r] / N;
  }
  return CEAS_OK;
}

static int msc_abs_m(void *s, double *avg, double *m2, double *one, int singles) {
  msc_state *p = s;
  int rc = ceas_msc_measure(p->st, p->E, p->M);
  if (rc) return rc;
  ceas_msc_sample smp;
  ceas_msc_replica_average(p->st, p->E, p->M, &smp);
  *avg = smp.abs_m;
  *m2 = smp.m2;
  const double N = (double)ceas_msc_sites(p->st);
  for (int k = 0; k < singles; k++)
    one[k] = fabs((double)p->M[k * (ceas_msc_replicas(p->st) / singles)]) / N;
  return CEAS_OK;
}

static int msc_write_state(void *s, hid_t loc) {
  const ceas_msc_state *st = ((msc_state *)s)->st;
  size_t nw = ceas_msc_state_words(st);
  uint64_t *w = ceas_malloc(nw * sizeof *w), done;
  if (!w) return CEAS_ENOMEM;
  ceas_msc_get_state(st, w, &done);
  int rc = ceas_io_write_uint64s(loc, "packed_state", w, nw);
  free(w);
  return rc;
}

static void msc_get_spins(void *s, int8_t *spins) {
  (void)ceas_msc_get_replica(((msc_state *)s)->st, 0, spins); /* r = 0 always exists */
}

static int msc_read_state(void *s, hid_t f, const char *path, uint64_t sweep) {
  ceas_msc_state *st = ((msc_state *)s)->st;
  size_t nw = ceas_msc_state_words(st);
  uint64_t *w = ceas_malloc(nw * sizeof *w);
  if (!w) return CEAS_ENOMEM;
  int rc = ceas_io_read_uint64s(f, path, "packed_state", w, nw);
  if (!rc) ceas_msc_set_state(st, w, sweep);
  free(w);
  return rc;
}

static int msc_configure(void *s, const char *isa, int depth) {
  ceas_msc_state *st = ((msc_state *)s)->st;
  int rc = ceas_msc_set_isa(st, isa);
  return rc ? rc : ceas_msc_set_depth(st, depth);
}

static void msc_describe(const void *s, const char **isa, int *depth) {
  const ceas_msc_state *st = ((const msc_state *)s)->st;
  *isa = ceas_msc_isa(st);
  *depth = ceas_msc_depth(st);
}

#define MSC_CHUNK KERNEL_MSC_CHUNK

#define MSC_OPS                                                                              \
  .flags = CEAS_KERNEL_MSC | CEAS_KERNEL_PACKED, .rng_lattice = RNG_PLAIN, .chunk = MSC_CHUNK, \
  .check = kernel_msc_check, .size = sizeof(msc_state), .alloc = msc_alloc,                  \
  .free = msc_free,                                                                          \
  .sweep = msc_sweep, .sweeps_done = msc_sweeps_done, .measure = msc_measure,                \
  .abs_m = msc_abs_m, .write_state = msc_write_state, .read_state = msc_read_state,          \
  .get_spins = msc_get_spins,                                                                \
  .configure = msc_configure, .describe = msc_describe

/* ---- one lattice, 64 sites per word (ceas_msc.h, "single-lattice") --------- */

typedef struct {
  ceas_msc_single *st;
  const ceas_lattice_system *sys;
  int8_t *spins; /* scratch: the spins, for F and checkpoints */
} single_state;

static int single_alloc(void *s, const ceas_kernel_type *T, const ceas_lattice_system *sys,
                        ceas_rng_key key, ceas_lattice_init init) {
  (void)T;
  single_state *p = s;
  p->sys = sys;
  int rc = ceas_msc_single_alloc_dim(sys->dim, sys->L, key, init, &p->st);
  if (!rc && !(p->spins = ceas_malloc((size_t)sys->n))) rc = CEAS_ENOMEM;
  return rc;
}

static void single_free(void *s) {
  single_state *p = s;
  ceas_msc_single_free(p->st);
  free(p->spins);
}

static int single_sweep(void *s, double beta, uint64_t n) {
  return ceas_msc_single_sweep(((single_state *)s)->st, beta, n);
}

static uint64_t single_sweeps_done(const void *s) {
  return ceas_msc_single_sweeps_done(((const single_state *)s)->st);
}

static int single_measure(void *s, double *e, double *m, double *f) {
  single_state *p = s;
  const double N = (double)p->sys->n;
  int64_t E, M;
  ceas_msc_single_measure(p->st, &E, &M);
  *e = (double)E / N;
  *m = (double)M / N;
  if (f) {
    ceas_msc_single_get_spins(p->st, p->spins);
    *f = ceas_lattice_structure_factor_kmin(p->sys, p->spins);
  }
  return CEAS_OK;
}

static int single_abs_m(void *s, double *avg, double *m2, double *one, int singles) {
  (void)one;
  (void)singles;
  single_state *p = s;
  int64_t E, M;
  ceas_msc_single_measure(p->st, &E, &M);
  double m = fabs((double)M) / (double)ceas_msc_single_sites(p->st);
  *avg = m;
  *m2 = m * m;
  return CEAS_OK;
}

static int single_write_state(void *s, hid_t loc) {
  single_state *p = s;
  ceas_msc_single_get_spins(p->st, p->spins);
  return ceas_io_write_int8(loc, "spins", p->spins, (size_t)p->sys->n);
}

static void single_get_spins(void *s, int8_t *spins) {
  ceas_msc_single_get_spins(((single_state *)s)->st, spins);
}

static int single_read_state(void *s, hid_t f, const char *path, uint64_t sweep) {
  single_state *p = s;
  int rc = kernel_read_spins(p->spins, p->sys->n, f, path);
  if (!rc) ceas_msc_single_set_spins(p->st, p->spins, sweep);
  return rc;
}

/* ---- the table -------------------------------------------------------------- */

static const ceas_kernel_type metropolis = {.name = "metropolis", .rng_lattice = RNG_BULK,
                                            .impl = &ceas_lattice_kernel_metropolis, PLAIN_OPS};
static const ceas_kernel_type heatbath = {.name = "heatbath", .rng_lattice = RNG_BULK,
                                          .impl = &ceas_lattice_kernel_heatbath, PLAIN_OPS};
static const ceas_kernel_type wolff = {.name = "wolff",
                                       .flags = CEAS_KERNEL_CLUSTER | CEAS_KERNEL_TUNED,
                                       .rng_lattice = RNG_PLAIN, .tune_sweep = plain_tune_sweep,
                                       .impl = &ceas_lattice_kernel_wolff, PLAIN_OPS};
static const ceas_kernel_type sw = {.name = "sw", .flags = CEAS_KERNEL_CLUSTER,
                                    .rng_lattice = RNG_PLAIN, .impl = &ceas_lattice_kernel_sw,
                                    PLAIN_OPS};
static const msc_variant plain_uniforms = {0}, antithetic = {1};
static const ceas_kernel_type msc64 = {.name = "msc-replica64", .replicas = 64,
                                       .impl = &plain_uniforms, MSC_OPS};
static const ceas_kernel_type msc256 = {.name = "msc-replica256", .replicas = 256,
                                        .impl = &plain_uniforms, MSC_OPS};
static const ceas_kernel_type msc64_anti = {.name = "msc-replica64-anti", .replicas = 64,
                                            .impl = &antithetic, MSC_OPS};
static const ceas_kernel_type msc256_anti = {.name = "msc-replica256-anti", .replicas = 256,
                                             .impl = &antithetic, MSC_OPS};
static const ceas_kernel_type msc_single = {
    .name = "msc-single", .replicas = 1, .flags = CEAS_KERNEL_MSC, .rng_lattice = RNG_BULK,
    .chunk = MSC_CHUNK, .check = kernel_msc_check, .size = sizeof(single_state),
    .alloc = single_alloc, .free = single_free, .sweep = single_sweep,
    .sweeps_done = single_sweeps_done, .measure = single_measure, .abs_m = single_abs_m,
    .write_state = single_write_state, .read_state = single_read_state,
    .get_spins = single_get_spins,
    .isa_name = "bitslice"};

const ceas_kernel_type *const ceas_kernel_types[] = {
    &metropolis, &heatbath,    &wolff,       &sw,         &msc64,
    &msc256,     &msc64_anti,  &msc256_anti, &msc_single,
#ifdef CEASIM_HAVE_CUDA
    &kernel_gpu_msc_single, &kernel_gpu_msc64, &kernel_gpu_msc256, &kernel_gpu_msc64_anti,
    &kernel_gpu_msc256_anti,
#endif
    NULL};

const ceas_kernel_type *ceas_kernel_find_on(const char *name, ceas_device device) {
  for (int i = 0; name && ceas_kernel_types[i]; i++)
    if (ceas_kernel_types[i]->device == device && !strcmp(name, ceas_kernel_types[i]->name))
      return ceas_kernel_types[i];
  return NULL;
}

const ceas_kernel_type *ceas_kernel_find(const char *name) {
  return ceas_kernel_find_on(name, CEAS_DEVICE_CPU);
}

int ceas_kernel_name_check(const char *name, const char *what) {
  if (ceas_kernel_find(name)) return CEAS_OK;
  char list[512] = "";
  for (int i = 0; ceas_kernel_types[i]; i++) {
    if (ceas_kernel_types[i]->device != CEAS_DEVICE_CPU) continue;
    if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
    strncat(list, ceas_kernel_types[i]->name, sizeof list - strlen(list) - 1);
  }
  return ceas_error_set(CEAS_EINPUT, "%s: unknown algorithm '%s' (expected %s)", what,
                        name ? name : "", list);
}

int ceas_kernel_params_check(const ceas_kernel_type *T, ceas_model_kind model, long L,
                             double h) {
  return T->check ? T->check(T, model, L, h) : CEAS_OK;
}

int ceas_kernel_alloc(const ceas_kernel_type *T, const ceas_lattice_system *sys,
                      ceas_rng_key key, ceas_lattice_init init, ceas_kernel **out) {
  *out = NULL;
  ceas_kernel *k = ceas_calloc(1, sizeof *k);
  if (k) k->state = ceas_calloc(1, T->size);
  if (!k || !k->state) {
    free(k);
    return CEAS_ENOMEM;
  }
  k->type = T;
  k->sys = sys;
  int rc = T->alloc(k->state, T, sys, key, init);
  if (rc) {
    ceas_kernel_free(k);
    return rc;
  }
  *out = k;
  return CEAS_OK;
}

void ceas_kernel_free(ceas_kernel *k) {
  if (!k) return;
  k->type->free(k->state);
  free(k->state);
  free(k);
}

const ceas_kernel_type *ceas_kernel_get_type(const ceas_kernel *k) { return k->type; }
const ceas_lattice_system *ceas_kernel_system(const ceas_kernel *k) { return k->sys; }
int64_t ceas_kernel_sites(const ceas_kernel *k) { return k->sys->n; }

int ceas_kernel_sweep(ceas_kernel *k, double beta, uint64_t n) {
  return k->type->sweep(k->state, beta, n);
}

uint64_t ceas_kernel_sweeps_done(const ceas_kernel *k) {
  return k->type->sweeps_done(k->state);
}

int ceas_kernel_measure(ceas_kernel *k, double *e, double *m, double *f) {
  return k->type->measure(k->state, e, m, f);
}

int ceas_kernel_abs_m(ceas_kernel *k, double *avg, double *m2, double *one, int singles) {
  return k->type->abs_m(k->state, avg, m2, one, singles);
}

long ceas_kernel_clusters(const ceas_kernel *k) {
  long c = 1;
  uint64_t f = 0;
  if (k->type->get_counters) k->type->get_counters(k->state, &c, &f);
  return c;
}

uint64_t ceas_kernel_flipped(const ceas_kernel *k) {
  long c = 1;
  uint64_t f = 0;
  if (k->type->get_counters) k->type->get_counters(k->state, &c, &f);
  return f;
}

void ceas_kernel_set_counters(ceas_kernel *k, long clusters, uint64_t flipped) {
  if (k->type->set_counters) k->type->set_counters(k->state, clusters, flipped);
}

int ceas_kernel_tune_sweep(ceas_kernel *k, double beta, int64_t *clusters) {
  if (!k->type->tune_sweep)
    return ceas_error_set(CEAS_EINTERNAL, "%s: not a tuned cluster kernel", k->type->name);
  return k->type->tune_sweep(k->state, beta, clusters);
}

int ceas_kernel_configure(ceas_kernel *k, const char *isa, int depth) {
  return k->type->configure ? k->type->configure(k->state, isa, depth) : CEAS_OK;
}

void ceas_kernel_describe(const ceas_kernel *k, const char **isa, int *depth) {
  *isa = k->type->isa_name;
  *depth = 0;
  if (k->type->describe) k->type->describe(k->state, isa, depth);
}

void ceas_kernel_get_spins(ceas_kernel *k, int8_t *spins) { k->type->get_spins(k->state, spins); }

int ceas_kernel_write_state(ceas_kernel *k, hid_t loc) {
  return k->type->write_state(k->state, loc);
}

int ceas_kernel_read_state(ceas_kernel *k, hid_t f, const char *path, uint64_t sweep) {
  return k->type->read_state(k->state, f, path, sweep);
}
