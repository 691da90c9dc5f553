/* The GPU entries of the kernel table (ceas_kernel.h, ceas_device.h), compiled
 * into a CUDA build only: the kernels of src/gpu under the names of their CPU
 * twins, whose bits they give on the same Philox counters (tests/gpu). What a
 * run sees is the CPU kernel's: the same measurements, exact integers reduced
 * the same way, the same checkpoint datasets ("spins", "packed_state"), so a
 * checkpoint of either device resumes on the other. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_gpu.h"
#include "ceas_gpu_measure.h"
#include "ceas_io.h"
#include "ceas_msc.h"
#include "kernel_private.h"

/* GPU kernels queue their sweeps; a call waits for them, so a failure is
 * reported by the call that caused it and a timing around it is the device's. */

/* The CPU twin's constraints are the GPU kernel's (ceas_gpu.h: the same sizes). */
static int gpu_check(const ceas_kernel_type *T, ceas_model_kind model, long L, double h) {
  return kernel_msc_check(T, model, L, h);
}

static int gpu_configure(void *s, const char *isa, int depth) {
  (void)s;
  if (strcmp(isa, "auto") || depth != 0)
    return ceas_error_set(CEAS_EINPUT,
                          "--device gpu: the GPU kernels take no --isa or --depth (got %s, %d)",
                          isa, depth);
  return CEAS_OK;
}

/* ---- msc-single (2D and 3D) ---------------------------------------------------- */

typedef struct {
  ceas_gpu_msc_single *st;
  ceas_gpu_meter *meter;
  const ceas_lattice_system *sys;
  uint64_t *c[2];  /* host copies of the words, for checkpoints and spins */
  int8_t *spins;   /* scratch: N spins */
  int64_t *proj;   /* dim L axis projections */
  double *cs;      /* the k_min phases (ceas_lattice_kmin_phases) */
} gsingle_state;

static int gsingle_alloc(void *s, const ceas_kernel_type *T, const ceas_lattice_system *sys,
                         ceas_rng_key key, ceas_lattice_init init) {
  gsingle_state *p = s;
  p->sys = sys;
  /* Rows of L / 128 words, L of them in 2D, L^2 in 3D (ceas_gpu.h). */
  const size_t words = (size_t)(sys->n / sys->L) * (size_t)(sys->L / 128);
  int rc = gpu_check(T, sys->kind, sys->L, 0.0);
  if (!rc) rc = ceas_gpu_msc_single_alloc_dim(sys->dim, sys->L, key, init, &p->st);
  if (!rc) rc = ceas_gpu_meter_alloc(sys->dim, sys->L, &p->meter);
  if (rc) return rc;
  p->c[0] = ceas_malloc(words * sizeof(uint64_t));
  p->c[1] = ceas_malloc(words * sizeof(uint64_t));
  p->spins = ceas_malloc((size_t)sys->n);
  p->proj = ceas_malloc((size_t)sys->dim * (size_t)sys->L * sizeof *p->proj);
  p->cs = ceas_malloc(2 * (size_t)sys->L * sizeof *p->cs);
  if (!p->c[0] || !p->c[1] || !p->spins || !p->proj || !p->cs) return CEAS_ENOMEM;
  ceas_lattice_kmin_phases(sys->L, p->cs);
  return CEAS_OK;
}

static void gsingle_free(void *s) {
  gsingle_state *p = s;
  ceas_gpu_msc_single_free(p->st);
  ceas_gpu_meter_free(p->meter);
  free(p->c[0]);
  free(p->c[1]);
  free(p->spins);
  free(p->proj);
  free(p->cs);
}

static int gsingle_sweep(void *s, double beta, uint64_t n) {
  gsingle_state *p = s;
  int rc = ceas_gpu_msc_single_sweep(p->st, beta, n);
  return rc ? rc : ceas_gpu_msc_single_sync(p->st);
}

static uint64_t gsingle_sweeps_done(const void *s) {
  return ceas_gpu_msc_single_sweeps_done(((const gsingle_state *)s)->st);
}

static int gsingle_measure(void *s, double *e, double *m, double *f) {
  gsingle_state *p = s;
  int64_t E, M;
  int rc = ceas_gpu_meter_single(p->meter, p->st, &E, &M, f ? p->proj : NULL);
  if (rc) return rc;
  const double N = (double)p->sys->n;
  *e = (double)E / N;
  *m = (double)M / N;
  /* The table holds the very values cos() and sin() give (system.c), so F is
   * ceas_lattice_structure_factor_kmin's to the bit. */
  if (f)
    *f = ceas_lattice_structure_factor_from_projections(p->sys->dim, p->sys->L, p->proj, p->cs);
  return CEAS_OK;
}

static int gsingle_abs_m(void *s, double *avg, double *m2, double *one, int singles) {
  (void)one;
  (void)singles;
  gsingle_state *p = s;
  int64_t E, M;
  int rc = ceas_gpu_meter_single(p->meter, p->st, &E, &M, NULL);
  if (rc) return rc;
  double a = fabs((double)M) / (double)p->sys->n;
  *avg = a;
  *m2 = a * a;
  return CEAS_OK;
}

/* The spins from the device (ceas_msc_single_unpack's order, as the CPU twin). */
static int gsingle_spins(gsingle_state *p) {
  int rc = ceas_gpu_msc_single_get(p->st, p->c[0], p->c[1]);
  if (!rc)
    ceas_msc_single_unpack(p->sys->dim, p->sys->L, 0, p->sys->L, p->c[0], p->c[1], p->spins);
  return rc;
}

static int gsingle_write_state(void *s, hid_t loc) {
  gsingle_state *p = s;
  int rc = gsingle_spins(p);
  return rc ? rc : ceas_io_write_int8(loc, "spins", p->spins, (size_t)p->sys->n);
}

static void gsingle_get_spins(void *s, int8_t *spins) {
  gsingle_state *p = s;
  /* The operation returns nothing: a device failure leaves the spins all up and
   * is reported by the next sweep or measurement. */
  if (gsingle_spins(p)) memset(p->spins, 1, (size_t)p->sys->n);
  memcpy(spins, p->spins, (size_t)p->sys->n);
}

static int gsingle_read_state(void *s, hid_t f, const char *path, uint64_t sweep) {
  gsingle_state *p = s;
  const long L = p->sys->L, rows = (long)(p->sys->n / L);
  const size_t nw = (size_t)(L / 128), words = (size_t)rows * nw;
  int rc = kernel_read_spins(p->spins, p->sys->n, f, path);
  if (rc) return rc;
  /* Site (x, y, z) is bit j & 63 of word j >> 6, j = x / 2, of row g = z L + y
   * in colour (x + y + z) & 1; a set bit is a down spin (ceas_gpu.h). */
  memset(p->c[0], 0, words * sizeof(uint64_t));
  memset(p->c[1], 0, words * sizeof(uint64_t));
  for (long g = 0; g < rows; g++)
    for (long x = 0; x < L; x++)
      if (p->spins[(size_t)g * (size_t)L + (size_t)x] < 0)
        p->c[(x + g % L + g / L) & 1][(size_t)g * nw + (size_t)(x >> 7)] |=
            UINT64_C(1) << ((x >> 1) & 63);
  return ceas_gpu_msc_single_set(p->st, p->c[0], p->c[1], sweep);
}

/* ---- msc-replica64 / 256 (-anti), 2D and 3D ---------------------------------- */

typedef struct {
  ceas_gpu_msc *st;
  ceas_gpu_meter *meter;
  /* A CPU state given the device's words for the spins a caller asks for
   * (get_spins: only tests do), made by the first such call: it is a second host
   * copy of the whole state, which measurements on the device no longer need. */
  ceas_msc_state *host;
  const ceas_lattice_system *sys;
  int R;          /* replicas */
  uint64_t *words;
  int64_t *E, *M;
  int64_t *proj;  /* dim L R projections from the meter */
  int64_t *one;   /* scratch: one replica's dim L projections */
  double *cs;     /* the k_min phases (ceas_lattice_kmin_phases) */
} grep_state;

static int grep_alloc(void *s, const ceas_kernel_type *T, const ceas_lattice_system *sys,
                      ceas_rng_key key, ceas_lattice_init init) {
  grep_state *p = s;
  const int anti = *(const int *)T->impl;
  int rc = gpu_check(T, sys->kind, sys->L, 0.0);
  if (!rc) rc = ceas_gpu_msc_alloc(sys->dim, sys->L, T->replicas, key, init, &p->st);
  if (!rc) rc = ceas_gpu_meter_alloc_replicas(sys->dim, sys->L, T->replicas, &p->meter);
  if (rc) return rc;
  p->sys = sys;
  p->R = T->replicas;
  ceas_gpu_msc_set_antithetic(p->st, anti);
  const size_t dl = (size_t)sys->dim * (size_t)sys->L;
  p->words = ceas_malloc(ceas_gpu_msc_state_words(p->st) * sizeof *p->words);
  p->E = ceas_malloc((size_t)T->replicas * sizeof *p->E);
  p->M = ceas_malloc((size_t)T->replicas * sizeof *p->M);
  p->proj = ceas_malloc(dl * (size_t)T->replicas * sizeof *p->proj);
  p->one = ceas_malloc(dl * sizeof *p->one);
  p->cs = ceas_malloc(2 * (size_t)sys->L * sizeof *p->cs);
  if (!p->words || !p->E || !p->M || !p->proj || !p->one || !p->cs) return CEAS_ENOMEM;
  ceas_lattice_kmin_phases(sys->L, p->cs);
  return CEAS_OK;
}

static void grep_free(void *s) {
  grep_state *p = s;
  ceas_gpu_msc_free(p->st);
  ceas_gpu_meter_free(p->meter);
  ceas_msc_free(p->host);
  free(p->words);
  free(p->E);
  free(p->M);
  free(p->proj);
  free(p->one);
  free(p->cs);
}

static int grep_sweep(void *s, double beta, uint64_t n) {
  grep_state *p = s;
  int rc = ceas_gpu_msc_sweep(p->st, beta, n);
  return rc ? rc : ceas_gpu_msc_sync(p->st);
}

static uint64_t grep_sweeps_done(const void *s) {
  return ceas_gpu_msc_sweeps_done(((const grep_state *)s)->st);
}

/* ceas_msc_measure's E and M and ceas_msc_measure_sf's F, from the counts the
 * device makes: the same integers and, F, the same expression on them. */
static int grep_measure(void *s, double *e, double *m, double *f) {
  grep_state *p = s;
  int rc = ceas_gpu_meter_replica(p->meter, p->st, p->E, p->M, f ? p->proj : NULL);
  if (rc) return rc;
  const int R = p->R, dim = p->sys->dim;
  const long L = p->sys->L;
  const double N = (double)p->sys->n;
  for (int r = 0; r < R; r++) {
    e[r] = (double)p->E[r] / N;
    m[r] = (double)p->M[r] / N;
    if (!f) continue;
    for (long i = 0; i < dim * L; i++) p->one[i] = p->proj[(size_t)i * (size_t)R + (size_t)r];
    f[r] = ceas_lattice_structure_factor_from_projections(dim, L, p->one, p->cs);
  }
  return CEAS_OK;
}

static int grep_abs_m(void *s, double *avg, double *m2, double *one, int singles) {
  grep_state *p = s;
  int rc = ceas_gpu_meter_replica(p->meter, p->st, p->E, p->M, NULL);
  if (rc) return rc;
  ceas_msc_sample smp;
  ceas_msc_average(p->R, p->sys->n, p->E, p->M, &smp);
  *avg = smp.abs_m;
  *m2 = smp.m2;
  const double N = (double)p->sys->n;
  for (int k = 0; k < singles; k++) one[k] = fabs((double)p->M[k * (p->R / singles)]) / N;
  return CEAS_OK;
}

static int grep_write_state(void *s, hid_t loc) {
  grep_state *p = s;
  int rc = ceas_gpu_msc_get_state(p->st, p->words);
  return rc ? rc
            : ceas_io_write_uint64s(loc, "packed_state", p->words,
                                    ceas_gpu_msc_state_words(p->st));
}

/* Replica 0's spins from the device through the host mirror, made cold and
 * unkeyed on the first call: ceas_msc_set_state overwrites every word of it,
 * and ceas_msc_get_replica reads nothing else. */
static int grep_spins(grep_state *p, int8_t *spins) {
  int rc = p->host ? CEAS_OK
                   : ceas_msc_alloc(p->sys->dim, p->sys->L, p->R, (ceas_rng_key){0, 0},
                                    CEAS_INIT_COLD, &p->host);
  if (!rc) rc = ceas_gpu_msc_get_state(p->st, p->words);
  if (rc) return rc;
  ceas_msc_set_state(p->host, p->words, ceas_gpu_msc_sweeps_done(p->st));
  return ceas_msc_get_replica(p->host, 0, spins);
}

static void grep_get_spins(void *s, int8_t *spins) {
  grep_state *p = s;
  /* As gsingle_get_spins: a failure (the device's, or host memory for the
   * mirror) leaves the spins all up; a device failure shows at the next call. */
  if (grep_spins(p, spins)) memset(spins, 1, (size_t)p->sys->n);
}

static int grep_read_state(void *s, hid_t f, const char *path, uint64_t sweep) {
  grep_state *p = s;
  int rc = ceas_io_read_uint64s(f, path, "packed_state", p->words,
                                ceas_gpu_msc_state_words(p->st));
  return rc ? rc : ceas_gpu_msc_set_state(p->st, p->words, sweep);
}

static void grep_describe(const void *s, const char **isa, int *depth) {
  (void)s;
  *isa = "cuda";
  *depth = 0;
}

/* ---- the entries -------------------------------------------------------------- */

#define GPU_COMMON                                                                  \
  .device = CEAS_DEVICE_GPU, .chunk = KERNEL_MSC_CHUNK, .check = gpu_check,         \
  .configure = gpu_configure, .isa_name = "cuda"

const ceas_kernel_type kernel_gpu_msc_single = {
    .name = "msc-single", .replicas = 1, .flags = CEAS_KERNEL_MSC,
    .rng_lattice = KERNEL_RNG_BULK, .size = sizeof(gsingle_state), .alloc = gsingle_alloc,
    .free = gsingle_free, .sweep = gsingle_sweep, .sweeps_done = gsingle_sweeps_done,
    .measure = gsingle_measure, .abs_m = gsingle_abs_m, .write_state = gsingle_write_state,
    .read_state = gsingle_read_state, .get_spins = gsingle_get_spins, GPU_COMMON};

static const int plain_uniforms = 0, antithetic = 1;

#define GPU_REPLICA_OPS                                                             \
  .flags = CEAS_KERNEL_MSC | CEAS_KERNEL_PACKED, .rng_lattice = KERNEL_RNG_PLAIN,   \
  .size = sizeof(grep_state), .alloc = grep_alloc, .free = grep_free,               \
  .sweep = grep_sweep, .sweeps_done = grep_sweeps_done, .measure = grep_measure,    \
  .abs_m = grep_abs_m, .write_state = grep_write_state, .read_state = grep_read_state, \
  .get_spins = grep_get_spins, .describe = grep_describe, GPU_COMMON

const ceas_kernel_type kernel_gpu_msc64 = {.name = "msc-replica64", .replicas = 64,
                                           .impl = &plain_uniforms, GPU_REPLICA_OPS};
const ceas_kernel_type kernel_gpu_msc256 = {.name = "msc-replica256", .replicas = 256,
                                            .impl = &plain_uniforms, GPU_REPLICA_OPS};
const ceas_kernel_type kernel_gpu_msc64_anti = {.name = "msc-replica64-anti", .replicas = 64,
                                                .impl = &antithetic, GPU_REPLICA_OPS};
const ceas_kernel_type kernel_gpu_msc256_anti = {.name = "msc-replica256-anti",
                                                 .replicas = 256, .impl = &antithetic,
                                                 GPU_REPLICA_OPS};
