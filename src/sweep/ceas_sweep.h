/*
 * ceas_sweep — a grid of Monte Carlo tasks and the directory that holds it.
 *
 * A sweep is the product sizes x betas x replicas of one task template
 * (ceas_task_params). For graphs the sizes are the coupling files of a
 * comma-separated --couplings list (a sequence of systems of growing n, e.g. the
 * heads of n = 64 ... 1024 tokens that `ceasim map` wrote); a task's size is its
 * file's spin count n, and two files of one sweep must differ in n. Each task's random stream is a hash of its identity
 * (L or n, beta, replica), never of its position in the grid or of the rank that runs
 * it, so that a task's result is the same whether the grid is run on 1 or 2000
 * ranks, extended later with more betas, or resumed after a kill.
 *
 * Directory layout (DIR):
 *   sweep.h5                 the sweep's parameters (attributes; datasets L, beta)
 *   tasks/<name>.h5          one per finished task, in the `ceasim run` layout,
 *                            plus attributes `replica` and `task`
 *   checkpoints/<name>.h5    the state of an unfinished task (removed when done)
 *   summary.h5               one row per task file (ceas_sweep_collect)
 *   .lock                    who runs the sweep now (ceas_sweep_lock)
 * where <name> = L0032_beta0.44000000_r000 (graphs: graph_n000256_beta..._r000).
 * Every file is written to a temporary name and renamed when complete.
 *
 * Rerunning a sweep into an existing directory continues it: finished tasks are
 * skipped, unfinished ones resume from their checkpoints. A directory whose
 * parameters (model, couplings, algo, seed, sweeps, therm, measure_every, h, init,
 * wolff_clusters) differ is refused unless `force`, which starts it afresh.
 */
#ifndef CEAS_SWEEP_H
#define CEAS_SWEEP_H

#include <stddef.h>

#include "ceas_options.h"
#include "ceas_task.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  ceas_task_params base; /* everything but L, beta, stream */
  long *L;               /* sizes (lattices); a graph sweep has none */
  size_t nL;
  /* Graphs: filled by ceas_sweep_check from base.couplings (comma-separated). */
  char **graph;          /* the coupling files, in the order given */
  long *graph_n;         /* their spin counts */
  size_t ngraph;
  char *graph_buf;
  double *beta;
  size_t nbeta;
  long replicas;
  char *dir;
  double checkpoint_every; /* seconds */
  int force;
  /* ceas_sweep_option_set's copies behind base.algo and base.couplings (NULL when
   * the caller set those itself); freed by ceas_sweep_spec_free. */
  char *algo_buf, *couplings_buf;
} ceas_sweep_spec;

void ceas_sweep_spec_init(ceas_sweep_spec *s);
void ceas_sweep_spec_free(ceas_sweep_spec *s);

/* "16,32,64" -> sizes >= 2, distinct. `what` names the option in messages. */
int ceas_sweep_parse_sizes(const char *text, const char *what, long **L, size_t *n);
/* "0.42:0.46:21" (both ends included, 21 points) or "0.40,0.41,0.44". */
int ceas_sweep_parse_betas(const char *text, const char *what, double **beta, size_t *n);

/* The settings ceas_sweep_option_set takes (model, L, couplings, beta, replicas,
 * algo, sweeps, therm, measure-every, seed, h, init, wolff-clusters, out,
 * checkpoint-every) with their help and defaults, in `ceasim sweep --help`'s order. */
extern const ceas_option ceas_sweep_option_table[];

/* One setting of ceas_sweep_option_table by its name, as a `ceasim sweep` option
 * (without "--") or a sweep file's key ('-' and '_' alike). `what` names the setting in messages ("--L", or the file's
 * key). Lists (L, beta) and the algorithm's name are checked here, the rest of the
 * rules by ceas_sweep_check (the finish step). Strings are copied into the spec; a
 * later setting replaces an earlier one. CEAS_OK, or CEAS_EINPUT naming `what` (an
 * unknown key too, listing the known ones). */
int ceas_sweep_option_set(ceas_sweep_spec *s, const char *key, const char *value,
                          const char *what);

/* A sweep file into the spec: INI, one `key = value` per line (the keys of
 * ceas_sweep_option_table, through ceas_sweep_option_set), optionally under
 * [sweep]; ';' or '#' start a comment. A key given twice, an indented line (inih
 * would read it as a continuation), a NUL byte, a line too long for the reader,
 * another section or a line that is not `key = value` is refused. CEAS_OK, or
 * CEAS_EINPUT naming the file and line ("sweep.ini:3: L: ..."). */
int ceas_sweep_file_read(ceas_sweep_spec *s, const char *path);

/* Full validation of a spec (CEAS_EINPUT naming the option); for graphs it also
 * reads every coupling file once and records the files and their n in the spec,
 * which ceas_sweep_tasks needs. */
int ceas_sweep_check(ceas_sweep_spec *s);

typedef struct {
  long L;                /* lattice size, or a graph's n */
  const char *couplings; /* graphs: this task's file (points into the spec) */
  double beta;
  long replica;
  uint64_t stream;
  double cost; /* spin updates: N (therm + sweeps) */
  char name[64];
} ceas_sweep_task;

/* The task list, largest cost first (ties in grid order); needs ceas_sweep_check. */
int ceas_sweep_tasks(const ceas_sweep_spec *s, ceas_sweep_task **tasks, size_t *n);

/* One sweep per directory. Two sweeps started together on one directory mixed
 * their parameters (sweep.h5 of one, task files of the other), and a second run
 * with the same ones failed on the first's files; so a sweep holds an advisory
 * write lock (fcntl, whole file) on DIR/.lock from before it reads or writes
 * sweep.h5 to its end (summary and analysis included). The file says who holds
 * it: "pid P\nhost H\nsince YYYY-MM-DDTHH:MM:SSZ\n"; the holder removes it when
 * done, and a file left by a killed sweep holds no lock. Only rank 0 locks: the
 * other ranks die with their launcher (ceas_parallel_watch_launcher). */
typedef struct {
  int fd; /* -1: not held */
  char path[4096 + 8];
} ceas_sweep_lock;

/* CEAS_EINPUT naming the holder (pid@host, since when) if another process holds
 * the lock of DIR, which must exist; nothing is changed then. */
int ceas_sweep_lock_take(const char *dir, ceas_sweep_lock *lock);
/* Removes DIR/.lock and releases it; nothing if not held. */
void ceas_sweep_lock_release(ceas_sweep_lock *lock);
/* For commands that would write into DIR (collect, analyze): CEAS_EINPUT naming
 * the holder and ending with `advice` if a running sweep holds DIR, unless that
 * sweep is our parent (the analysis a sweep runs at its end). Read-only use of a
 * locked directory needs no check: every file in it appears complete, by rename. */
int ceas_sweep_lock_check(const char *dir, const char *advice);

/* Creates DIR (and parents), takes its lock, then creates tasks/ and checkpoints/,
 * compares or writes sweep.h5. Run by one process before any task starts; the
 * caller releases *lock when the sweep is over (on failure it is not held). */
int ceas_sweep_prepare(const ceas_sweep_spec *s, const char *command_line,
                       ceas_sweep_lock *lock);

/* 1 if the task's file exists, its checksum holds (files of earlier builds have
 * none) and HDF5 opens it: the task is finished. A damaged one is renamed to NAME.bad with a warning on stderr: 0, the task runs
 * again. Run by one process (rank 0). ceas_sweep_run_task sets a damaged or
 * truncated checkpoint aside the same way and starts the task afresh. */
int ceas_sweep_task_done(const ceas_sweep_spec *s, const ceas_sweep_task *t);

/* Runs one task: resumes from its checkpoint if there is one, writes the task
 * file, removes the checkpoint. `hooks` supplies stop/poll/progress; the
 * checkpoint path and interval are filled in here. *sweeps_done reports the
 * sweeps this call performed. A task file that appeared meanwhile (a rank of a
 * killed run that outlived its launcher) counts as this task's if it is bitwise
 * what this call would write, else it is CEAS_EIO naming the file. */
int ceas_sweep_run_task(const ceas_sweep_spec *s, const ceas_sweep_task *t,
                        const ceas_task_hooks *hooks, const char *command_line,
                        uint64_t *sweeps_done);

/* Rebuilds DIR/summary.h5 from the files in DIR/tasks. A file that cannot be read is
 * named in a warning on stderr and skipped; *n_ok and *n_bad count them. */
int ceas_sweep_collect(const char *dir, const char *command_line, size_t *n_ok,
                       size_t *n_bad);

#ifdef __cplusplus
}
#endif

#endif
