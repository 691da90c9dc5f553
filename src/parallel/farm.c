#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceas_parallel.h"

enum { TAG_REQUEST = 101, TAG_ASSIGN = 102, TAG_STOP = 103 };
enum { ST_OK = 0, ST_INTERRUPTED = 1, ST_FAILED = 2 };

typedef struct {
  MPI_Comm comm;
  int rank, size;
  const ceas_parallel_farm_spec *spec;
  /* rank 0 */
  size_t next;         /* next task index to consider */
  int stopping;        /* no new work; stop everyone */
  char *stop_sent;     /* per rank */
  char *released;      /* per rank: got its final reply */
  int active;          /* workers not yet released */
  size_t done, total_todo;
  double cost_todo, cost_done;
  uint64_t sweeps;
  double t0, last_report;
  int tty;
  int worst;           /* worst status reported: ST_* */
  /* workers */
  int got_stop;
} farm;

static int next_task(farm *f) {
  const ceas_parallel_farm_spec *s = f->spec;
  while (f->next < s->ntasks && s->skip && s->skip[f->next]) f->next++;
  if (f->stopping || f->next >= s->ntasks) return -1;
  return (int)f->next++;
}

static void fmt_time(double s, char *buf, size_t cap) {
  if (!isfinite(s) || s < 0)
    snprintf(buf, cap, "?");
  else if (s < 90)
    snprintf(buf, cap, "%.0fs", s);
  else if (s < 5400)
    snprintf(buf, cap, "%.0fm%02.0fs", floor(s / 60), fmod(s, 60));
  else
    snprintf(buf, cap, "%.0fh%02.0fm", floor(s / 3600), fmod(floor(s / 60), 60));
}

static void report(farm *f, int final) {
  if (!f->spec->progress || f->rank != 0) return;
  double now = MPI_Wtime(), el = now - f->t0;
  if (!final && now - f->last_report < (f->tty ? 0.5 : 5.0)) return;
  f->last_report = now;
  double rate = el > 0 ? (double)f->sweeps / el : 0;
  double cost_rate = el > 0 ? f->cost_done / el : 0;
  double eta = cost_rate > 0 ? (f->cost_todo - f->cost_done) / cost_rate : NAN;
  char e[32];
  fmt_time(eta, e, sizeof e);
  if (f->tty) {
    int width = 30, fill = f->total_todo ? (int)(width * f->done / f->total_todo) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu tasks  %.3g sweeps/s  %s %s   ", bar, f->done,
            f->total_todo, rate, f->stopping ? "stopped" : "ETA", f->stopping ? "" : e);
    if (final) fprintf(stderr, "\n");
  } else {
    fprintf(stderr, "ceasim sweep: %zu/%zu tasks done, %.3g sweeps/s, %s%s\n", f->done,
            f->total_todo, rate, f->stopping ? "stopped" : "ETA ", f->stopping ? "" : e);
  }
  fflush(stderr);
}

static void send_stop(farm *f, int r) {
  static const int64_t zero = 0; /* outlives the nonblocking send */
  if (f->stop_sent[r] || f->released[r]) return;
  /* Nonblocking: rank 0 must not wait for a worker that is mid-sweep. */
  MPI_Request req;
  MPI_Isend(&zero, 1, MPI_INT64_T, r, TAG_STOP, f->comm, &req);
  MPI_Request_free(&req);
  f->stop_sent[r] = 1;
}

static void begin_stopping(farm *f) {
  if (f->stopping) return;
  f->stopping = 1;
  for (int r = 1; r < f->size; r++) send_stop(f, r);
}

static void account(farm *f, int64_t idx, int64_t status, int64_t sweeps) {
  f->sweeps += (uint64_t)sweeps;
  if (status == ST_OK && idx >= 0) {
    f->done++;
    f->cost_done += f->spec->cost ? f->spec->cost[idx] : 1;
  }
  if (status > f->worst) f->worst = (int)status;
  if (status != ST_OK) begin_stopping(f);
}

/* Rank 0: answer one request (blocking receive of it). */
static void serve_one(farm *f, MPI_Status *probe) {
  int64_t msg[3];
  MPI_Recv(msg, 3, MPI_INT64_T, probe->MPI_SOURCE, TAG_REQUEST, f->comm, MPI_STATUS_IGNORE);
  account(f, msg[0], msg[1], msg[2]);
  int r = probe->MPI_SOURCE;
  int64_t reply = next_task(f);
  if (reply < 0) {
    reply = f->stop_sent[r] ? -2 : -1;
    f->released[r] = 1;
    f->active--;
  }
  MPI_Send(&reply, 1, MPI_INT64_T, r, TAG_ASSIGN, f->comm);
  report(f, 0);
}

static void serve_pending(farm *f) {
  for (;;) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, f->comm, &flag, &st);
    if (!flag) break;
    serve_one(f, &st);
  }
}

/* Poll hook for rank 0's own tasks. */
static int poll_master(void *ctx) {
  farm *f = ctx;
  if (f->spec->stop && *f->spec->stop) begin_stopping(f);
  serve_pending(f);
  report(f, 0);
  return f->stopping;
}

/* Poll hook for workers: a STOP from rank 0 ends the task at this sweep. */
static int poll_worker(void *ctx) {
  farm *f = ctx;
  if (!f->got_stop) {
    int flag = 0;
    MPI_Iprobe(0, TAG_STOP, f->comm, &flag, MPI_STATUS_IGNORE);
    if (flag) {
      int64_t z;
      MPI_Recv(&z, 1, MPI_INT64_T, 0, TAG_STOP, f->comm, MPI_STATUS_IGNORE);
      f->got_stop = 1;
    }
  }
  return f->got_stop || (f->spec->stop && *f->spec->stop);
}

static int status_of(int rc) {
  return rc == CEAS_OK ? ST_OK : rc == CEAS_EINTERRUPT ? ST_INTERRUPTED : ST_FAILED;
}

static int run_one(farm *f, size_t idx, int (*poll)(void *), int *local_rc,
                   uint64_t *sweeps) {
  ceas_task_hooks h = {0};
  h.stop = f->spec->stop;
  h.poll = poll;
  h.poll_ctx = f;
  int rc = f->spec->run(idx, &h, sweeps, f->spec->ctx);
  /* Rank 0's caller reports its own failure; only the others must speak here. */
  if (rc && rc != CEAS_EINTERRUPT && f->rank != 0)
    fprintf(stderr, "ceasim: rank %d: %s\n", f->rank, ceas_error_message());
  if (rc && (!*local_rc || *local_rc == CEAS_EINTERRUPT)) *local_rc = rc;
  return status_of(rc);
}

int ceas_parallel_farm(MPI_Comm comm, const ceas_parallel_farm_spec *spec,
                       ceas_parallel_farm_result *res) {
  farm f;
  memset(&f, 0, sizeof f);
  f.comm = comm;
  f.spec = spec;
  MPI_Comm_rank(comm, &f.rank);
  MPI_Comm_size(comm, &f.size);
  f.t0 = MPI_Wtime();
  f.tty = isatty(STDERR_FILENO);
  memset(res, 0, sizeof *res);
  for (size_t i = 0; i < spec->ntasks; i++) {
    if (spec->skip && spec->skip[i]) {
      res->skipped++;
      continue;
    }
    f.total_todo++;
    f.cost_todo += spec->cost ? spec->cost[i] : 1;
  }
  int local_rc = CEAS_OK;
  if (f.rank == 0) {
    f.stop_sent = calloc((size_t)f.size, 1);
    f.released = calloc((size_t)f.size, 1);
    f.active = f.size - 1;
    for (;;) {
      if (poll_master(&f)) break;
      int idx = next_task(&f);
      if (idx < 0) break;
      uint64_t sw = 0;
      int st = run_one(&f, (size_t)idx, poll_master, &local_rc, &sw);
      account(&f, idx, st, (int64_t)sw);
      report(&f, 0);
    }
    if (spec->stop && *spec->stop) begin_stopping(&f);
    /* Wait for the workers, still listening for our own signal (a blocking
     * probe would not notice it, and the workers would run on to the end). */
    while (f.active > 0) {
      if (spec->stop && *spec->stop) begin_stopping(&f);
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, comm, &flag, &st);
      if (flag) {
        serve_one(&f, &st);
      } else {
        report(&f, 0);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
      }
    }
    report(&f, 1);
    res->done = f.done;
    res->sweeps = f.sweeps;
    free(f.stop_sent);
    free(f.released);
  } else {
    int64_t msg[3] = {-1, ST_OK, 0};
    for (;;) {
      MPI_Send(msg, 3, MPI_INT64_T, 0, TAG_REQUEST, comm);
      int64_t idx;
      MPI_Recv(&idx, 1, MPI_INT64_T, 0, TAG_ASSIGN, comm, MPI_STATUS_IGNORE);
      if (idx == -2 && !f.got_stop) {
        int64_t z;
        MPI_Recv(&z, 1, MPI_INT64_T, 0, TAG_STOP, comm, MPI_STATUS_IGNORE);
        f.got_stop = 1;
      }
      if (idx < 0) break;
      uint64_t sw = 0;
      int st = run_one(&f, (size_t)idx, poll_worker, &local_rc, &sw);
      msg[0] = idx;
      msg[1] = st;
      msg[2] = (int64_t)sw;
    }
  }
  res->seconds = MPI_Wtime() - f.t0;
  /* One status for all: a failure outranks an interrupt outranks success. */
  int mine = status_of(local_rc), all = 0;
  if (f.rank == 0 && f.worst > mine) mine = f.worst;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm);
  if (all == ST_OK) return CEAS_OK;
  if (all == ST_INTERRUPTED)
    return local_rc == CEAS_EINTERRUPT
               ? local_rc
               : ceas_error_set(CEAS_EINTERRUPT, "sweep interrupted; checkpoints written");
  return local_rc && local_rc != CEAS_EINTERRUPT
             ? local_rc
             : ceas_error_set(CEAS_EIO, "a task failed on another rank (see its message)");
}
