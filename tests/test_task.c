/* Checkpoints: a task stopped at any sweep, written, loaded into a fresh task and
 * continued, ends bitwise identical to the task that never stopped; for every
 * kernel, and stopping in thermalisation (Wolff still tuning) or while measuring.
 * A checkpoint of another task is refused. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_io.h"
#include "ceas_task.h"

typedef struct {
  uint64_t at;
  const ceas_task *t;
} stop_at;

static int poll_stop(void *ctx) {
  stop_at *s = ctx;
  return ceas_task_sweeps_done(s->t) >= s->at;
}

static ceas_task_params params(const char *algo) {
  ceas_task_params p;
  ceas_task_params_default(&p);
  p.L = strcmp(algo, "msc-single") ? 8 : 128;
  p.algo = algo;
  p.beta = 0.42;
  p.sweeps = 640;
  p.therm = 100;
  p.seed = 9;
  /* msc: 3 does not divide 1921, so the run ends with unmeasured sweeps. */
  if (!strncmp(algo, "msc-", 4)) p.measure_every = 3, p.sweeps = 3 * 640 + 1;
  return p;
}

static void resume_case(const char *algo, uint64_t at) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/ceasim-ckpt-%d-%s-%llu.h5", (int)getpid(), algo,
           (unsigned long long)at);
  ceas_task_params p = params(algo);
  ceas_task *ref = NULL, *a = NULL, *b = NULL;
  cr_assert_eq(ceas_task_create(&p, &ref), 0);
  cr_assert_eq(ceas_task_run(ref, NULL, NULL, NULL), 0);

  cr_assert_eq(ceas_task_create(&p, &a), 0);
  stop_at s = {at, a};
  ceas_task_hooks h = {0};
  h.poll = poll_stop;
  h.poll_ctx = &s;
  h.checkpoint = path;
  h.checkpoint_every = 1e9;
  cr_assert_eq(ceas_task_run_hooks(a, &h), CEAS_EINTERRUPT);
  /* The msc kernels stop at the end of a stretch of sweeps (ceas_task.h). */
  uint64_t stopped = ceas_task_sweeps_done(a);
  if (a->type->chunk == 1)
    cr_assert_eq(stopped, at);
  else
    cr_assert(stopped >= at && stopped < at + 64 && stopped < p.therm + p.sweeps);

  cr_assert_eq(ceas_task_create(&p, &b), 0);
  cr_assert_eq(ceas_task_checkpoint_load(b, path), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_sweeps_done(b), stopped);
  cr_assert_eq(ceas_task_run_hooks(b, NULL), 0, "%s", ceas_error_message());

  size_t bytes = ref->n_meas * (size_t)ref->replicas * sizeof(double);
  cr_expect_eq(memcmp(ref->e, b->e, bytes), 0, "%s stopped at %llu: energies differ", algo,
               (unsigned long long)stopped);
  cr_expect_eq(memcmp(ref->m, b->m, bytes), 0, "%s: magnetisations differ", algo);
  cr_expect_eq(memcmp(ref->f, b->f, bytes), 0, "%s: structure factors differ", algo);
  /* Replica 0's spins, whatever the kernel stores. */
  const size_t n = (size_t)ref->sys->n;
  int8_t *sr = malloc(n), *sb = malloc(n);
  cr_assert(sr && sb);
  ceas_kernel_get_spins(ref->kernel, sr);
  ceas_kernel_get_spins(b->kernel, sb);
  cr_expect_eq(memcmp(sr, sb, n), 0, "%s: spins differ", algo);
  free(sr);
  free(sb);
  cr_expect_eq(ceas_kernel_clusters(ref->kernel), ceas_kernel_clusters(b->kernel));
  cr_expect_eq(memcmp(&ref->result.obs, &b->result.obs, sizeof ref->result.obs), 0);
  ceas_task_free(ref);
  ceas_task_free(a);
  ceas_task_free(b);
  unlink(path);
}

Test(task, resume_is_bitwise) {
  const char *algos[] = {"metropolis", "heatbath", "wolff", "sw"};
  /* 30 and 60: thermalising (60 is past half, where Wolff tunes); 100: the first
   * measured sweep; 417: mid-measurement, not on a measurement boundary. */
  const uint64_t at[] = {30, 60, 100, 417};
  for (int a = 0; a < 4; a++)
    for (int k = 0; k < 4; k++) resume_case(algos[a], at[k]);
}

/* The multi-spin-coded kernels: packed state (replicas) or packed spins (single
 * lattice) go through the checkpoint, and the n x R series with them. Stops in
 * thermalisation, at the first measurement and between measurements (every 3). */
Test(task, resume_is_bitwise_msc) {
  const char *algos[] = {"msc-replica64", "msc-replica256-anti", "msc-single"};
  const uint64_t at[] = {30, 100, 417};
  for (int a = 0; a < 3; a++)
    for (int k = 0; k < 3; k++) resume_case(algos[a], at[k]);
}

Test(task, checkpoint_of_another_task_is_refused) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/ceasim-ckpt-other-%d.h5", (int)getpid());
  ceas_task_params p = params("metropolis");
  ceas_task *a = NULL, *b = NULL;
  cr_assert_eq(ceas_task_create(&p, &a), 0);
  cr_assert_eq(ceas_task_checkpoint_write(a, path), 0);
  p.seed = 10;
  cr_assert_eq(ceas_task_create(&p, &b), 0);
  cr_expect_eq(ceas_task_checkpoint_load(b, path), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "seed") != NULL, "%s", ceas_error_message());
  cr_expect_eq(ceas_task_sweeps_done(b), 0);
  ceas_task_free(a);
  ceas_task_free(b);
  unlink(path);
}

/* The task-file reader (ceas_task_file_*) gives back what ceas_task_write wrote:
 * attributes, series bitwise, observables; a required attribute that is missing is
 * named, a missing optional one is only left out of `have`. */
Test(task, task_file_reader_reads_what_the_writer_wrote) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/ceasim-taskfile-%d.h5", (int)getpid());
  ceas_task_params p = params("msc-replica64");
  p.stream = 5;
  ceas_task *t = NULL;
  cr_assert_eq(ceas_task_create(&p, &t), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_run(t, NULL, NULL, NULL), 0, "%s", ceas_error_message());
  ceas_io_file f;
  cr_assert_eq(ceas_io_file_create(path, 1, &f), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_write(t, f.file, "test"), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_io_file_commit(&f), 0, "%s", ceas_error_message());

  hid_t h;
  cr_assert_eq(ceas_io_open_read(path, &h), 0, "%s", ceas_error_message());
  ceas_task_file_attrs a;
  cr_assert_eq(ceas_task_file_read_attrs(h, path, 0, &a), 0);
  cr_expect_str_eq(a.model, "ising2d");
  cr_expect_str_eq(a.algo, "msc-replica64");
  cr_expect(a.beta == p.beta && a.h == p.h);
  cr_expect(a.L == 8 && a.dim == 2 && a.n_spins == 64);
  cr_expect(a.seed == p.seed && a.stream == 5 && a.measure_every == 3);
  cr_expect_eq(a.packed_replicas, t->replicas);
  /* No sweep wrote a replica index into this file. */
  cr_expect_eq(a.have, ((1u << CEAS_TASK_ATTR_COUNT) - 1) & ~CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_REPLICA));
  cr_expect_eq(ceas_task_file_read_attrs(h, path, CEAS_TASK_ATTR_BIT(CEAS_TASK_ATTR_REPLICA), &a),
               CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "missing attribute 'replica'") != NULL, "%s",
            ceas_error_message());
  ceas_error_clear();

  for (int s = 0; s < CEAS_TASK_SERIES_COUNT; s++) {
    long long cols;
    long long rows = ceas_task_file_series_shape(h, s, &cols);
    cr_expect(rows == (long long)t->n_meas && cols == t->replicas, "%s: %lld x %lld",
              ceas_task_file_series_path(s), rows, cols);
    double *x = NULL;
    size_t n = t->n_meas * (size_t)t->replicas;
    cr_assert_eq(ceas_task_file_read_series(h, s, n, &x), 0, "%s", ceas_error_message());
    const double *want = s == CEAS_TASK_SERIES_ENERGY          ? t->e
                         : s == CEAS_TASK_SERIES_MAGNETIZATION ? t->m
                                                               : t->f;
    cr_expect_eq(memcmp(x, want, n * sizeof *x), 0, "%s differs", ceas_task_file_series_path(s));
    free(x);
  }
  ceas_task_file_observables o;
  cr_assert_eq(ceas_task_file_read_observables(h, path, &o), 0, "%s", ceas_error_message());
  cr_expect_eq(o.converged, t->result.converged);
  for (int i = 0; i < CEAS_OBS_COUNT; i++) {
    const ceas_measure_value *v = &t->result.obs[i];
    cr_expect(memcmp(&o.mean[i], &v->mean, sizeof(double)) == 0 &&
                  memcmp(&o.error[i], &v->error, sizeof(double)) == 0,
              "%s", ceas_measure_obs_name(i));
    cr_expect(isnan(v->tau_int) ? isnan(o.tau_int[i]) : o.tau_int[i] == v->tau_int, "%s tau",
              ceas_measure_obs_name(i));
  }
  H5Fclose(h);
  ceas_task_free(t);
  unlink(path);
}
