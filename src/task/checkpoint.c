/* Checkpoints: everything that determines a task's future, so that a resumed run
 * is bitwise the run that was never interrupted. The random numbers need no state
 * of their own: they are addressed by the sweep counter. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_task.h"
#include "task_private.h"

static size_t measurements_done(const ceas_task *t) {
  uint64_t k = ceas_task_sweeps_done(t);
  return k > t->p.therm ? (size_t)((k - t->p.therm) / t->p.measure_every) : 0;
}

/* Fault injection for the kill-and-resume tests, read from the environment:
 * CEASIM_TEST_KILL_AFTER_CHECKPOINTS=k  SIGKILL this process right after its k-th
 *                                       completed checkpoint;
 * CEASIM_TEST_KILL_IN_CHECKPOINT=k      SIGKILL it in the middle of writing its
 *                                       k-th checkpoint (temporary file half done).
 * A real kill can land anywhere; these two places are the ones that matter. */
static void maybe_die(const char *var, long count) {
  const char *v = getenv(var);
  if (v && atol(v) == count) raise(SIGKILL);
}

static const ceas_io_doc checkpoint_docs[] = {
    {"spins", "dimensionless (+1 or -1)",
     "the chain's spins at sweep checkpoint_sweep, site order of the model"},
    {"packed_state", "bits",
     "the replica-packed kernel's state words at sweep checkpoint_sweep (ceas_msc_get_state)"},
    {"energy", "J per spin",
     "energy per spin e = E/N of each measurement so far, one every {measure_every} sweep(s) "
     "of {algo} (packed replicas: measurements x replicas, time-major, flat)"},
    {"magnetization", "dimensionless (per spin)",
     "magnetization per spin m = M/N of each measurement so far, as energy"},
    {"structure_factor_kmin", "dimensionless",
     "structure factor at the smallest nonzero wave vector of each measurement so far, as "
     "energy"},
    {NULL, NULL, NULL}};

int ceas_task_checkpoint_write(const ceas_task *t, const char *path) {
  static long written = 0;
  ceas_io_file f;
  int rc = ceas_io_file_create(path, 1, &f);
  if (rc) return rc;
  hid_t loc = f.file;
  const size_t nm = measurements_done(t) * (size_t)t->replicas;
  rc = ceas_task_write_params(t, loc, "checkpoint");
  if (!rc) rc = ceas_io_attr_int64(loc, "wolff_clusters_requested", t->p.wolff_clusters);
  if (!rc) rc = ceas_io_attr_uint64(loc, "checkpoint_sweep", ceas_task_sweeps_done(t));
  if (!rc) rc = ceas_io_attr_int64(loc, "checkpoint_wolff_clusters",
                                      ceas_kernel_clusters(t->kernel));
  if (!rc) rc = ceas_io_attr_uint64(loc, "checkpoint_flipped", ceas_kernel_flipped(t->kernel));
  if (!rc) rc = ceas_io_attr_int64(loc, "checkpoint_tune_clusters", t->tune_clusters);
  if (!rc) rc = ceas_io_attr_uint64(loc, "checkpoint_tune_flipped", t->tune_flipped);
  if (!rc) rc = ceas_io_attr_double(loc, "checkpoint_seconds", t->seconds);
  /* The chain's state: int8 spins, or the packed words of a replica-packed kernel. */
  if (!rc) rc = ceas_kernel_write_state(t->kernel, loc);
  if (!rc) {
    H5Fflush(loc, H5F_SCOPE_GLOBAL);
    maybe_die("CEASIM_TEST_KILL_IN_CHECKPOINT", written + 1);
  }
  /* Replica-packed tasks: measurements x replicas values, flat (time-major). */
  if (!rc) rc = ceas_io_write_doubles(loc, "energy", t->e, nm);
  if (!rc) rc = ceas_io_write_doubles(loc, "magnetization", t->m, nm);
  if (!rc && t->f) rc = ceas_io_write_doubles(loc, "structure_factor_kmin", t->f, nm);
  if (!rc) rc = ceas_io_describe(loc, checkpoint_docs);
  if (rc) {
    ceas_io_file_abort(&f);
    return rc;
  }
  rc = ceas_io_file_commit(&f);
  if (!rc) maybe_die("CEASIM_TEST_KILL_AFTER_CHECKPOINTS", ++written);
  return rc;
}

/* The checkpoint must describe this very task: compare what fixes the chain. */
static int same_task(const ceas_task *t, hid_t f, const char *path) {
  const ceas_task_params *p = &t->p;
  char s[4096];
  int64_t i64;
  uint64_t u64;
  double d;
  int rc;
#define DIFFER(what) \
  ceas_error_set(CEAS_EINPUT, "%s: checkpoint belongs to another task (%s differs)", path, what)
  if ((rc = ceas_io_read_attr_string(f, path, "model", s, sizeof s))) return rc;
  if (strcmp(s, ceas_lattice_model_name(p->model))) return DIFFER("model");
  if ((rc = ceas_io_read_attr_int64(f, path, "n_spins", &i64))) return rc;
  if (i64 != t->sys->n) return DIFFER("n_spins");
  if ((rc = ceas_io_read_attr_int64(f, path, "L", &i64))) return rc;
  if (i64 != t->sys->L) return DIFFER("L");
  if ((rc = ceas_io_read_attr_double(f, path, "beta", &d))) return rc;
  if (d != p->beta) return DIFFER("beta");
  if ((rc = ceas_io_read_attr_double(f, path, "h", &d))) return rc;
  if (d != p->h) return DIFFER("h");
  if ((rc = ceas_io_read_attr_string(f, path, "algo", s, sizeof s))) return rc;
  if (strcmp(s, t->algo)) return DIFFER("algo");
  if ((rc = ceas_io_read_attr_uint64(f, path, "seed", &u64))) return rc;
  if (u64 != p->seed) return DIFFER("seed");
  if ((rc = ceas_io_read_attr_uint64(f, path, "stream", &u64))) return rc;
  if (u64 != p->stream) return DIFFER("stream");
  if ((rc = ceas_io_read_attr_uint64(f, path, "sweeps", &u64))) return rc;
  if (u64 != p->sweeps) return DIFFER("sweeps");
  if ((rc = ceas_io_read_attr_uint64(f, path, "therm", &u64))) return rc;
  if (u64 != p->therm) return DIFFER("therm");
  if ((rc = ceas_io_read_attr_uint64(f, path, "measure_every", &u64))) return rc;
  if (u64 != p->measure_every) return DIFFER("measure_every");
  if ((rc = ceas_io_read_attr_string(f, path, "init", s, sizeof s))) return rc;
  if (strcmp(s, p->init == CEAS_INIT_COLD ? "cold" : "hot")) return DIFFER("init");
  if ((rc = ceas_io_read_attr_int64(f, path, "wolff_clusters_requested", &i64))) return rc;
  if (i64 != p->wolff_clusters) return DIFFER("wolff_clusters");
#undef DIFFER
  return CEAS_OK;
}

int ceas_task_checkpoint_load(ceas_task *t, const char *path) {
  hid_t f;
  int rc = ceas_io_open_read(path, &f);
  if (rc) return rc;
  uint64_t sweep = 0, flipped = 0, tune_flipped = 0;
  int64_t clusters = 0, tune_clusters = 0;
  double seconds = 0;
  rc = same_task(t, f, path);
  if (!rc) rc = ceas_io_read_attr_uint64(f, path, "checkpoint_sweep", &sweep);
  if (!rc) rc = ceas_io_read_attr_int64(f, path, "checkpoint_wolff_clusters", &clusters);
  if (!rc) rc = ceas_io_read_attr_uint64(f, path, "checkpoint_flipped", &flipped);
  if (!rc) rc = ceas_io_read_attr_int64(f, path, "checkpoint_tune_clusters", &tune_clusters);
  if (!rc) rc = ceas_io_read_attr_uint64(f, path, "checkpoint_tune_flipped", &tune_flipped);
  if (!rc) rc = ceas_io_read_attr_double(f, path, "checkpoint_seconds", &seconds);
  if (!rc && (sweep > t->p.therm + t->p.sweeps || clusters < 1))
    rc = ceas_error_set(CEAS_EINPUT, "%s: checkpoint counters out of range", path);
  if (!rc) rc = ceas_kernel_read_state(t->kernel, f, path, sweep);
  if (!rc) {
    size_t nm = measurements_done(t) * (size_t)t->replicas;
    rc = ceas_io_read_doubles(f, path, "energy", t->e, nm);
    if (!rc) rc = ceas_io_read_doubles(f, path, "magnetization", t->m, nm);
    if (!rc && t->f) rc = ceas_io_read_doubles(f, path, "structure_factor_kmin", t->f, nm);
  }
  H5Fclose(f);
  /* Half-loaded on an error: the caller gives the task up. */
  if (rc) return rc;
  ceas_kernel_set_counters(t->kernel, clusters, flipped);
  t->tune_clusters = tune_clusters;
  t->tune_flipped = tune_flipped;
  t->seconds = seconds;
  return CEAS_OK;
}
