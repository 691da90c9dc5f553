/*
 * ceas_sweep_run — a whole sweep in one collective call: what `ceasim sweep` does
 * between parsing its options and printing its result.
 *
 * Kept apart from ceas_sweep.h because it takes an MPI_Comm and so pulls in
 * <mpi.h> (through ceas_parallel.h); a program that only reads a sweep's
 * directory needs ceas_sweep.h alone.
 */
#ifndef CEAS_SWEEP_RUN_H
#define CEAS_SWEEP_RUN_H

#include <signal.h>
#include <stddef.h>

#include "ceas_parallel.h"
#include "ceas_sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  /* Recorded in sweep.h5, every task file and summary.h5 (may be NULL). */
  const char *command_line;
  /* Set (e.g. by a signal handler) on any rank to stop the sweep at the running
   * tasks' next sweep boundary, checkpointed; NULL: never asked to stop. */
  volatile sig_atomic_t *stop;
  /* Rank 0 reports the farm's progress on stderr. */
  int progress;
  /* Called on every rank once the finished tasks are known, just before the
   * farm starts (may be NULL): ntasks in the grid, already_done of them
   * finished before (rank 0's count, the same on every rank), `ranks` of comm,
   * this rank. The CLI prints its start line and installs its signal handlers. */
  void (*on_start)(size_t ntasks, size_t already_done, int ranks, int rank, void *ctx);
  void *ctx;
} ceas_sweep_hooks;

/* How far a call got: the stage it failed in, or CEAS_SWEEP_DONE. */
typedef enum {
  CEAS_SWEEP_PREPARE, /* the directory, its lock, the task list */
  CEAS_SWEEP_FARM,    /* running the tasks (CEAS_EINTERRUPT: asked to stop) */
  CEAS_SWEEP_COLLECT, /* writing summary.h5 */
  CEAS_SWEEP_DONE
} ceas_sweep_stage;

typedef struct {
  ceas_sweep_stage stage;
  size_t ntasks;   /* tasks of the grid */
  size_t done;     /* tasks finished by this call (rank 0's count) */
  size_t skipped;  /* tasks finished before this call */
  double seconds;  /* the farm's wall time */
  int ranks;       /* size of comm */
  size_t n_ok;     /* rank 0: task files in summary.h5 */
  size_t n_bad;    /* rank 0: damaged task files named in a warning and skipped */
  /* Rank 0 after a successful call: the directory's lock, still held so that the
   * caller can run follow-up work (the CLI's analysis) under it; the caller
   * releases it with ceas_sweep_lock_release. Otherwise {-1, ""}. */
  ceas_sweep_lock lock;
} ceas_sweep_result;

/* Runs the sweep `s` (checked by ceas_sweep_check on every rank) over comm: rank 0
 * prepares the directory and takes its lock (ceas_sweep_prepare) and finds the
 * finished tasks (ceas_sweep_task_done); the dynamic farm (ceas_parallel_farm)
 * runs the others through ceas_sweep_run_task, checkpointed and resumable; rank 0
 * then writes DIR/summary.h5 (ceas_sweep_collect). Collective over comm; every
 * rank returns rank 0's status. CEAS_EINTERRUPT: asked to stop (res->done tasks
 * finished, the running ones checkpointed; the same call again resumes). The
 * message of a failure is in ceas_error_message() on rank 0 and res->stage says
 * where it happened. On any failure the lock is released. res is filled as far
 * as the call got (counts zero before the farm ran). */
int ceas_sweep_run(MPI_Comm comm, const ceas_sweep_spec *s, const ceas_sweep_hooks *hooks,
                   ceas_sweep_result *res);

#ifdef __cplusplus
}
#endif

#endif
