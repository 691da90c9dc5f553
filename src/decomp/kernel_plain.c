/* The plain int8 plane kernels: the single-rank metropolis/heatbath row update of
 * src/lattice, fed with the uniforms the single-rank sweep would give each site. */
#include <stdlib.h>
#include <string.h>

#include "ceas_decomp.h"

typedef struct {
  ceas_lattice_rowkernel rk;
  ceas_rng_key32 key;
  uint32_t *u; /* L / 2 uniforms: one row of one colour */
} plain_ctx;

static int plain_init(const ceas_decomp_strip *s, double beta, double h, int heatbath,
                      void **out) {
  plain_ctx *c = ceas_calloc(1, sizeof *c);
  if (!c) return CEAS_ENOMEM;
  c->u = ceas_malloc(((size_t)s->L / 2 + 1) * sizeof *c->u);
  if (!c->u) {
    free(c);
    return CEAS_ENOMEM;
  }
  ceas_lattice_rowkernel_init(&c->rk, s->dim, h, beta, heatbath);
  c->key = ceas_lattice_sweep_key32(s->key, heatbath);
  *out = c;
  return CEAS_OK;
}

static int metropolis_init(const ceas_decomp_strip *s, double beta, double h, void **out) {
  return plain_init(s, beta, h, 0, out);
}

static int heatbath_init(const ceas_decomp_strip *s, double beta, double h, void **out) {
  return plain_init(s, beta, h, 1, out);
}

static void plain_free(void *ctx) {
  plain_ctx *c = ctx;
  if (!c) return;
  free(c->u);
  free(c);
}

/* Row r of the lattice (r = y + L z) in colour c: L / 2 sites (L even), starting at
 * x0 = (c + y + z) & 1, whose uniforms are c N / 2 + r L / 2 onwards. */
static void plain_update(void *ctx, const ceas_decomp_strip *s, int colour, int64_t p0,
                         int64_t p1) {
  plain_ctx *c = ctx;
  const int64_t L = s->L, half = L / 2;
  const uint64_t colour_base = (uint64_t)colour * (uint64_t)(s->n_sites / 2);
  for (int64_t p = p0; p < p1; p++) {
    const int64_t g = s->first_plane + p;
    int8_t *w = ceas_decomp_plane(s, p);
    const int8_t *above = ceas_decomp_plane(s, p + 1), *below = ceas_decomp_plane(s, p - 1);
    if (s->dim == 2) {
      ceas_lattice_uniforms32(c->key, s->sweep, colour_base + (uint64_t)(g * half), c->u, half);
      ceas_lattice_rowkernel_row(&c->rk, w, above, below, NULL, NULL, L, (colour + g) & 1, c->u);
    } else {
      for (int64_t y = 0; y < L; y++) {
        const int64_t r = y + L * g;
        ceas_lattice_uniforms32(c->key, s->sweep, colour_base + (uint64_t)(r * half), c->u,
                                half);
        const int8_t *up = w + (y + 1 == L ? 0 : y + 1) * L, *dn = w + (y == 0 ? L - 1 : y - 1) * L;
        ceas_lattice_rowkernel_row(&c->rk, w + y * L, up, dn, above + y * L, below + y * L, L,
                                   (colour + y + g) & 1, c->u);
      }
    }
  }
}

static int64_t plain_plane_bytes(int dim, long L) {
  return dim == 3 ? (int64_t)L * L : (int64_t)L;
}

static void plain_initial(void *ctx, const ceas_decomp_strip *s, ceas_lattice_init init) {
  (void)ctx;
  ceas_lattice_initial_spins(s->key, init, s->first_plane * s->plane_sites,
                             s->n_planes * s->plane_sites, ceas_decomp_plane(s, 0));
}

/* Each bond counted once, from its lower end: +x, +y (+z). The halo above the
 * last plane is current (see the sweep), which closes the bonds across ranks. */
static void plain_measure(void *ctx, const ceas_decomp_strip *s, int64_t *bonds_out,
                          int64_t *px, int64_t *py, int64_t *plane_sums) {
  (void)ctx;
  const int64_t L = s->L, n = s->n_planes;
  int64_t bonds = 0;
  for (int64_t p = 0; p < n; p++) {
    const int8_t *w = ceas_decomp_plane(s, p), *next = ceas_decomp_plane(s, p + 1);
    int64_t plane_m = 0;
    if (s->dim == 2) {
      /* The periodic x bond of the last site is peeled off: a branch-free loop. */
      int64_t b = w[L - 1] * (w[0] + next[L - 1]);
      px[L - 1] += w[L - 1];
      plane_m += w[L - 1];
      for (int64_t x = 0; x < L - 1; x++) {
        b += w[x] * (w[x + 1] + next[x]);
        px[x] += w[x];
        plane_m += w[x];
      }
      bonds += b;
    } else {
      for (int64_t y = 0; y < L; y++) {
        const int8_t *row = w + y * L, *row_up = w + (y + 1 == L ? 0 : y + 1) * L;
        const int8_t *row_fw = next + y * L;
        int64_t row_m = row[L - 1];
        int64_t b = row[L - 1] * (row[0] + row_up[L - 1] + row_fw[L - 1]);
        px[L - 1] += row[L - 1];
        for (int64_t x = 0; x < L - 1; x++) {
          b += row[x] * (row[x + 1] + row_up[x] + row_fw[x]);
          px[x] += row[x];
          row_m += row[x];
        }
        bonds += b;
        py[y] += row_m;
        plane_m += row_m;
      }
    }
    plane_sums[p] = plane_m;
  }
  *bonds_out = bonds;
}

static void plain_unpack(void *ctx, const ceas_decomp_strip *s, int8_t *spins) {
  (void)ctx;
  memcpy(spins, ceas_decomp_plane(s, 0), (size_t)(s->n_planes * s->plane_sites));
}

const ceas_decomp_kernel ceas_decomp_kernel_metropolis = {
    "metropolis",  1,             plain_plane_bytes, NULL,      metropolis_init, plain_initial,
    plain_update,  plain_measure, plain_unpack,      plain_free};
const ceas_decomp_kernel ceas_decomp_kernel_heatbath = {
    "heatbath",    1,             plain_plane_bytes, NULL,    heatbath_init, plain_initial,
    plain_update,  plain_measure, plain_unpack,      plain_free};

/* The kernels of the table (ceas_kernel.h) that have a plane kernel. */
const ceas_decomp_kernel *ceas_decomp_kernel_find(const char *name) {
  static const ceas_decomp_kernel *const planes[] = {
      &ceas_decomp_kernel_metropolis, &ceas_decomp_kernel_heatbath,
      &ceas_decomp_kernel_msc_single};
  const ceas_kernel_type *T = ceas_kernel_find(name);
  for (size_t i = 0; T && i < sizeof planes / sizeof planes[0]; i++)
    if (!strcmp(planes[i]->name, T->name)) return planes[i];
  return NULL;
}
