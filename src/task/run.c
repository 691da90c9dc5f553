/* Running a task to its end: the scheduler's hooks, checkpoints on the way.
 * Above task.c (the chain's steps) and checkpoint.c (its saved state). */
#include <math.h>

#include "ceas_kernel.h"
#include "ceas_task.h"
#include "task_private.h"

int ceas_task_run_hooks(ceas_task *t, const ceas_task_hooks *h) {
  static const ceas_task_hooks none = {0};
  if (!h) h = &none;
  const ceas_task_params *p = &t->p;
  uint64_t total = p->therm + p->sweeps;
  double t0 = ceas_wtime(), last = t0, last_ckpt = t0;
  while (ceas_task_sweeps_done(t) < total) {
    int stop = (h->stop && *h->stop) || (h->poll && h->poll(h->poll_ctx));
    if (stop) {
      uint64_t k = ceas_task_sweeps_done(t);
      if (h->checkpoint) {
        int rc = ceas_task_checkpoint_write(t, h->checkpoint);
        if (rc) return rc;
      }
      return ceas_error_set(CEAS_EINTERRUPT, "interrupted after %llu of %llu sweeps%s",
                            (unsigned long long)k, (unsigned long long)total,
                            h->checkpoint ? " (checkpoint written)" : "");
    }
    int rc = ceas_task_step(t);
    if (rc) return rc;
    if (h->progress || h->checkpoint) {
      double now = ceas_wtime();
      if (h->progress && now - last > 0.5) {
        h->progress((double)ceas_task_sweeps_done(t) / (double)total, now - t0,
                    h->progress_ctx);
        last = now;
      }
      if (h->checkpoint && h->checkpoint_every > 0 && now - last_ckpt >= h->checkpoint_every &&
          ceas_task_sweeps_done(t) < total) {
        if ((rc = ceas_task_checkpoint_write(t, h->checkpoint))) return rc;
        last_ckpt = ceas_wtime();
      }
    }
  }
  t->seconds += ceas_wtime() - t0;
  t->mean_cluster_size =
      t->type->flags & CEAS_KERNEL_TUNED
          ? (double)ceas_kernel_flipped(t->kernel) /
                ((double)ceas_kernel_clusters(t->kernel) * (double)p->sweeps)
          : NAN;
  ceas_task_summary s;
  ceas_task_summary_of(t, &s);
  int rc = ceas_task_analyze(&s, &t->result);
  t->analysed = rc == CEAS_OK;
  return rc;
}

int ceas_task_run(ceas_task *t, volatile sig_atomic_t *stop,
                  ceas_task_progress_fn progress, void *ctx) {
  ceas_task_hooks h = {0};
  h.stop = stop;
  h.progress = progress;
  h.progress_ctx = ctx;
  return ceas_task_run_hooks(t, &h);
}
