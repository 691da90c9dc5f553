/* ceas_sweep_run: the sweep's stages over MPI (see ceas_sweep_run.h). */
#include <stdlib.h>
#include <string.h>

#include "ceas_device.h"
#include "ceas_sweep_run.h"

typedef struct {
  const ceas_sweep_spec *spec;
  const ceas_sweep_task *tasks;
  const char *command_line;
} farm_ctx;

static int run_task(size_t index, const ceas_task_hooks *hooks, uint64_t *sweeps, void *ctx) {
  farm_ctx *c = ctx;
  return ceas_sweep_run_task(c->spec, &c->tasks[index], hooks, c->command_line, sweeps);
}

int ceas_sweep_run(MPI_Comm comm, const ceas_sweep_spec *s, const ceas_sweep_hooks *hooks,
                   ceas_sweep_result *res) {
  static const ceas_sweep_hooks none = {0};
  if (!hooks) hooks = &none;
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  memset(res, 0, sizeof *res);
  res->lock.fd = -1;
  res->ranks = size;
  res->stage = CEAS_SWEEP_PREPARE;
  /* Rank 0 prepares the directory and holds its lock to the end (the caller's
   * follow-up included); the others learn the verdict. */
  int rc = CEAS_OK;
  if (rank == 0) rc = ceas_sweep_prepare(s, hooks->command_line, &res->lock);
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "sweep directory preparation failed on rank 0");
    return rc;
  }
  /* One GPU per rank where a node has several: the node-local rank modulo the
   * node's devices, unless the sweep names one (ceas_device.h). */
  if (s->base.device == CEAS_DEVICE_GPU && s->base.gpu < 0) {
    MPI_Comm node;
    int local = 0;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local);
    MPI_Comm_free(&node);
    rc = ceas_gpu_select(-1, local, NULL);
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, comm);
    if (worst) {
      if (!rc) ceas_error_set(worst, "--device gpu: no GPU for another rank");
      ceas_sweep_lock_release(&res->lock);
      return worst;
    }
  }
  ceas_sweep_task *tasks = NULL;
  size_t ntasks = 0;
  rc = ceas_sweep_tasks(s, &tasks, &ntasks);
  char *skip = calloc(ntasks ? ntasks : 1, 1);
  double *cost = calloc(ntasks ? ntasks : 1, sizeof *cost);
  if (!rc && (!skip || !cost)) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (rc) {
    free(skip);
    free(cost);
    free(tasks);
    ceas_sweep_lock_release(&res->lock);
    return rc;
  }
  res->ntasks = ntasks;
  for (size_t i = 0; i < ntasks; i++) {
    cost[i] = tasks[i].cost;
    if (rank == 0) skip[i] = (char)ceas_sweep_task_done(s, &tasks[i]);
  }
  MPI_Bcast(skip, (int)ntasks, MPI_CHAR, 0, comm);
  if (hooks->on_start) {
    size_t left = 0;
    for (size_t i = 0; i < ntasks; i++) left += !skip[i];
    hooks->on_start(ntasks, ntasks - left, size, rank, hooks->ctx);
  }
  res->stage = CEAS_SWEEP_FARM;
  farm_ctx ctx = {s, tasks, hooks->command_line};
  ceas_parallel_farm_spec fs = {ntasks, cost, skip, run_task, &ctx, hooks->stop,
                                hooks->progress};
  ceas_parallel_farm_result fr;
  rc = ceas_parallel_farm(comm, &fs, &fr);
  res->done = fr.done;
  res->skipped = fr.skipped;
  res->seconds = fr.seconds;
  /* The farm returns the same status on every rank; the summary is rank 0's. */
  if (!rc) {
    res->stage = CEAS_SWEEP_COLLECT;
    if (rank == 0) rc = ceas_sweep_collect(s->dir, hooks->command_line, &res->n_ok, &res->n_bad);
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    if (!rc) res->stage = CEAS_SWEEP_DONE;
  }
  free(skip);
  free(cost);
  free(tasks);
  if (rc) ceas_sweep_lock_release(&res->lock);
  return rc;
}
