/* The GPU entries of the kernel table (src/task/kernel_gpu.c) against their CPU
 * twins through the calls that run and sweep do not make, or not in this order:
 * a measurement without F (the replica meter then clears and copies back only
 * the y projections and the bonds), abs_m (the replica average from the sizes
 * alone), get_spins (the host mirror, made by the first call), then a
 * measurement with F (the x projections cleared again after calls that skipped
 * them). Every value bitwise the CPU's on the same Philox counters, twice: after
 * the first get_spins and after the second. Measurements with F in a run are
 * tests/gpu/run_cli.sh's run pairs.
 *
 * usage: gpu_kernel_twins [cpu]
 *   cpu: the CPU entries against themselves, the harness's own check on a
 *   machine without a GPU. Exit 77 (ctest's skip) when there is no CUDA device. */
#define _POSIX_C_SOURCE 200809L /* gpu_test.h's clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_device.h"
#include "ceas_kernel.h"
#include "gpu_test.h"

/* Single replicas of abs_m for packed kernels: as bench --tau records. */
#define TWINS_SINGLES 16

typedef struct {
  const char *label;
  int fails;
} twins_case;

static void twins_same(twins_case *c, const char *what, const void *a, const void *b,
                       size_t bytes) {
  if (memcmp(a, b, bytes)) {
    printf("FAIL %s: %s differ\n", c->label, what);
    c->fails++;
  }
}

/* One kernel on one lattice: 0 equal, 1 a mismatch, -1 an error. */
static int twins_run(const char *name, ceas_device dev, ceas_model_kind model, long L,
                     double beta) {
  char label[96];
  snprintf(label, sizeof label, "%s %dD L=%ld", name, model == CEAS_MODEL_ISING3D ? 3 : 2, L);
  twins_case c = {label, 0};
  const ceas_kernel_type *T[2] = {ceas_kernel_find_on(name, CEAS_DEVICE_CPU),
                                  ceas_kernel_find_on(name, dev)};
  ceas_lattice_system *sys = NULL;
  ceas_kernel *k[2] = {NULL, NULL};
  const ceas_rng_key key = {11, 2};
  int rc = T[0] && T[1] ? ceas_lattice_hypercubic_alloc(model, L, 0.0, &sys)
                        : ceas_error_set(CEAS_EINPUT, "no %s kernel on the %s", name,
                                         ceas_device_name(dev));
  for (int d = 0; d < 2 && !rc; d++) rc = ceas_kernel_alloc(T[d], sys, key, CEAS_INIT_HOT, &k[d]);
  const int R = T[0] ? T[0]->replicas : 1;
  const int singles = R > 1 ? TWINS_SINGLES : 0;
  const size_t n = sys ? (size_t)sys->n : 0, r8 = (size_t)R * sizeof(double);
  double *v[2][3];
  int8_t *s[2];
  for (int d = 0; d < 2; d++) {
    for (int q = 0; q < 3; q++) v[d][q] = malloc(r8);
    s[d] = malloc(n ? n : 1);
  }
  for (int d = 0; d < 2 && !rc; d++)
    if (!v[d][0] || !v[d][1] || !v[d][2] || !s[d]) rc = CEAS_ENOMEM;
  for (int round = 0; round < 2 && !rc; round++) {
    double avg[2], m2[2], one[2][TWINS_SINGLES];
    for (int d = 0; d < 2 && !rc; d++) {
      rc = ceas_kernel_sweep(k[d], beta, 37);
      if (!rc) rc = ceas_kernel_measure(k[d], v[d][0], v[d][1], NULL);
      if (!rc) rc = ceas_kernel_abs_m(k[d], &avg[d], &m2[d], one[d], singles);
      if (!rc) ceas_kernel_get_spins(k[d], s[d]);
    }
    if (rc) break;
    twins_same(&c, "e (measure without F)", v[0][0], v[1][0], r8);
    twins_same(&c, "m (measure without F)", v[0][1], v[1][1], r8);
    twins_same(&c, "abs_m's |m|", &avg[0], &avg[1], sizeof avg[0]);
    twins_same(&c, "abs_m's m^2", &m2[0], &m2[1], sizeof m2[0]);
    twins_same(&c, "abs_m's single replicas", one[0], one[1], (size_t)singles * sizeof one[0][0]);
    twins_same(&c, round ? "get_spins (second call)" : "get_spins (first call)", s[0], s[1], n);
    for (int d = 0; d < 2 && !rc; d++) rc = ceas_kernel_measure(k[d], v[d][0], v[d][1], v[d][2]);
    if (rc) break;
    twins_same(&c, "e (measure with F)", v[0][0], v[1][0], r8);
    twins_same(&c, "m (measure with F)", v[0][1], v[1][1], r8);
    twins_same(&c, "F", v[0][2], v[1][2], r8);
  }
  if (rc) printf("ERROR %s: %s\n", label, ceas_error_message());
  else if (!c.fails) printf("ok   %s: measure without and with F, abs_m, get_spins twice\n", label);
  for (int d = 0; d < 2; d++) {
    ceas_kernel_free(k[d]);
    for (int q = 0; q < 3; q++) free(v[d][q]);
    free(s[d]);
  }
  ceas_lattice_system_free(sys);
  return rc ? -1 : c.fails > 0;
}

int main(int argc, char **argv) {
  ceas_device dev = CEAS_DEVICE_GPU;
  if (argc > 2 || (argc == 2 && ceas_device_parse(argv[1], "gpu_kernel_twins", &dev))) {
    fprintf(stderr, "usage: gpu_kernel_twins [cpu]\n");
    return 2;
  }
  if (dev == CEAS_DEVICE_GPU && ceas_gpu_select(0, 0, NULL)) {
    printf("SKIP: %s\n", ceas_error_message());
    return 77;
  }
  static const char *const names[] = {"msc-replica64", "msc-replica256", "msc-replica64-anti",
                                      "msc-replica256-anti"};
  gpu_test_tally t = {0, 0, 0};
  for (int i = 0; i < 4; i++) {
    gpu_test_count(&t, twins_run(names[i], dev, CEAS_MODEL_ISING2D, 48, 0.44));
    gpu_test_count(&t, twins_run(names[i], dev, CEAS_MODEL_ISING3D, 12, 0.22));
  }
  gpu_test_count(&t, twins_run("msc-single", dev, CEAS_MODEL_ISING2D, 256, 0.44));
  gpu_test_count(&t, twins_run("msc-single", dev, CEAS_MODEL_ISING3D, 128, 0.22));
  return gpu_test_summary(&t);
}
