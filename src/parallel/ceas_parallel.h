/*
 * ceas_parallel — MPI: the lifecycle (init, finalize) and a dynamic task farm.
 *
 * Tasks are handed out one at a time in the given order (callers sort largest
 * first, so the long tasks start early and the short ones fill the gaps). Rank 0
 * both works and deals: between its own sweeps it answers other ranks' requests
 * (the task run's poll hook), so no core is spent on a dedicated master. With one
 * rank the farm is a plain loop.
 *
 * Stopping. When any rank is told to stop (SIGINT/SIGTERM sets *stop) or a task
 * fails, rank 0 tells every working rank to stop at its next sweep boundary; each
 * rank checkpoints its task (the run function's business) and reports back; all
 * ranks then return the same status: CEAS_EINTERRUPT, or the error.
 *
 * Protocol (tags on `comm`): a worker sends REQUEST {finished task or -1, status,
 * sweeps done}; rank 0 replies ASSIGN {task index, or -1 = no more work, or -2 =
 * stopping, and a STOP message was sent to you before this reply}. STOP goes to a
 * worker at most once, so nothing is left unmatched at MPI_Finalize.
 */
#ifndef CEAS_PARALLEL_H
#define CEAS_PARALLEL_H

#include <mpi.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ceas_task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Call first, before MPI_Init. A rank started by a launcher (mpirun, mpiexec: the
 * environment says so) dies with SIGKILL when its parent (the launcher or its
 * node daemon) dies. Open MPI 4.1 ranks outlived a kill -9 of mpirun by about a
 * second (measured), long enough to finish a task and write its file into the
 * directory that an immediate rerun had started on. Dying at once leaves what a
 * kill of the rank would leave: complete checkpoints and task files, temporaries
 * the rerun removes. Linux (prctl PR_SET_PDEATHSIG); elsewhere it does nothing. A
 * process started without a launcher (a singleton, `nohup ceasim sweep &`) is
 * left alone: its parent may come and go. */
void ceas_parallel_watch_launcher(void);

/* The MPI lifecycle, one rule for every program (the CLI's sweep, run --decompose
 * and anneal --method pt, and a library user's): a program that runs collectively
 * over ranks calls ceas_parallel_init before it parses its options (so a bad
 * option is reported once, by rank 0, and every rank reaches the same verdict),
 * and ceas_parallel_finalize once before it returns, after its last collective
 * call. Whether a program is collective at all is its own decision, made from its
 * arguments before they are parsed: `ceasim sweep` always is, `ceasim run` with
 * --decompose, `ceasim anneal` with --method pt.
 *
 * ceas_parallel_init: ceas_parallel_watch_launcher, then MPI_Init(argc, argv)
 * unless MPI is already initialised (by the caller, or by an earlier call: a
 * second call only fills in rank and size). argc and argv may be NULL (MPI_Init's
 * own rule); rank and size, if not NULL, receive the caller's place in
 * MPI_COMM_WORLD. MPI's default error handler aborts on failure, so there is no
 * status to return. */
void ceas_parallel_init(int *argc, char ***argv, int *rank, int *size);

/* MPI_Finalize, if MPI was initialised and is not yet finalised (so a program may
 * call it on every path out). In a sanitizer build (ASan) it first runs the leak
 * check that would otherwise run at exit: see lifecycle.c for why. */
void ceas_parallel_finalize(void);

/* The verdict of a step only rank 0 takes (checking an output path, writing a
 * file), on every rank of comm (collective): rank 0's status rc. A rank other than
 * 0 that receives a nonzero status gets the message "<what> on rank 0" (only rank
 * 0 reports the real one). Without MPI (not initialised): rc as given. */
int ceas_parallel_root_status(MPI_Comm comm, int rc, const char *what);

typedef struct {
  size_t ntasks;
  const double *cost;  /* per task, for progress and ETA (spin updates) */
  const char *skip;    /* per task: 1 = already finished (may be NULL) */
  /* Runs task `index` with the farm's stop/poll hooks; reports sweeps performed. */
  int (*run)(size_t index, const ceas_task_hooks *hooks, uint64_t *sweeps, void *ctx);
  void *ctx;
  volatile sig_atomic_t *stop;
  int progress; /* rank 0 reports progress on stderr */
} ceas_parallel_farm_spec;

typedef struct {
  size_t done;      /* tasks finished in this call (all ranks; rank 0's count) */
  size_t skipped;   /* already finished before */
  uint64_t sweeps;  /* sweeps performed in this call (all ranks; rank 0's count) */
  double seconds;
} ceas_parallel_farm_result;

/* Collective over comm. Returns the same status on every rank. */
int ceas_parallel_farm(MPI_Comm comm, const ceas_parallel_farm_spec *spec,
                       ceas_parallel_farm_result *res);

#ifdef __cplusplus
}
#endif

#endif
