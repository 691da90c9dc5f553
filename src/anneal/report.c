/* The report `ceasim anneal` prints: the instance and schedule before the run
 * (ceas_anneal_setup_print), the reads and their totals after it
 * (ceas_anneal_result_print). */
#include <math.h>
#include <stdio.h>

#include "anneal_private.h"
#include "ceas_anneal_options.h"

/* Reads with their own table row; more are summarised (all are in the file). */
#define TABLE_ROWS 32

void ceas_anneal_setup_print(FILE *out, const ceas_anneal_options *o,
                             const ceas_anneal_setup *s, int ranks) {
  const ceas_anneal_problem *pb = s->pb;
  const ceas_anneal_method *method = s->method;
  const ceas_anneal_schedule *sched = &s->sched;
  const ceas_anneal_params *p = &s->p;
  int from_file = pb->source == CEAS_ANNEAL_SRC_COUPLINGS || pb->source == CEAS_ANNEAL_SRC_GSET;
  fprintf(out, "ceasim %s  anneal %s: %s%s%s, %lld spins, %lld couplings%s, %s\n",
          ceas_version(), method->name, from_file ? ceas_anneal_source_name(pb->source) : "",
          from_file ? " " : "", pb->origin, (long long)pb->n, (long long)(pb->nnz / 2),
          pb->has_field ? ", fields" : "",
          method->kernel ? "packed multi-spin-coded updates (64 replicas per word)"
          /* the GPU twins (src/anneal/gpu.c): the CPU's reads, another layout */
          : method->device ? (ceas_anneal_gpu_bit_matrices(method, pb, p)
                                  ? "on the GPU, couplings as bit matrices"
                                  : "on the GPU, float32 field updates")
          : pb->dense8   ? "dense int8 field updates"
          : pb->dense    ? "dense float32 field updates"
                         : "sparse field updates");
  const int dyn = method->synchronous;
  if (dyn)
    fprintf(out, "%llu steps of the equations of motion, the pump ramped over them",
            (unsigned long long)sched->sweeps);
  else if (sched->kind == CEAS_ANNEAL_SCHED_FILE)
    fprintf(out, "schedule from %s: %llu sweeps, beta %.6g ... %.6g", sched->file,
            (unsigned long long)sched->sweeps, sched->beta0, sched->beta1);
  else
    fprintf(out, "schedule %s: beta %.6g -> %.6g over %llu sweeps",
            ceas_anneal_sched_name(sched->kind), sched->beta0, sched->beta1,
            (unsigned long long)sched->sweeps);
  if (!dyn)
    fprintf(out, ", %s order", p->order == CEAS_ANNEAL_ORDER_RANDOM ? "random" : "sequential");
  fprintf(out, ", seed %llu, %llu reads", (unsigned long long)p->seed,
          (unsigned long long)o->reads);
  if (method->collective)
    fprintf(out, ", %ld temperatures (geometric ladder) over %d rank%s", o->temperatures, ranks,
            ranks == 1 ? "" : "s");
  fprintf(out, "\n");
  if (s->deg) {
    fprintf(out, "exact ground state (enumeration): E0 = %.12g (E0/n = %.10f), degeneracy %llu",
            s->e0, s->e0 / (double)pb->n, (unsigned long long)s->deg);
    if (pb->maxcut) fprintf(out, ", max cut %.12g", ceas_anneal_cut(pb, s->e0));
    fprintf(out, "\n");
  }
  const ceas_anneal_quant_report *q = &s->qrep;
  if (s->pq)
    fprintf(out, "couplings stored with %d bits (%s rounding): step %.6g, max error %.4g and "
                 "rms %.4g of max|J|, %lld of %lld couplings rounded to 0\n",
            q->bits, ceas_anneal_rounding_name(q->rounding), q->step, q->max_err, q->rms_err,
            (long long)q->zeroed, (long long)q->couplings);
  if (p->field_noise > 0 || p->update == CEAS_ANNEAL_UPDATE_SYNC)
    fprintf(out, "NPU model: %s updates, field noise sigma = %.4g x field scale (%.4g)\n",
            dyn || p->update == CEAS_ANNEAL_UPDATE_SYNC ? "synchronous" : "asynchronous",
            p->field_noise, p->field_noise * pb->field_scale);
}

static void number(FILE *out, double x) {
  if (isnan(x))
    fprintf(out, " %14s", "-");
  else
    fprintf(out, " %14.10g", x);
}

/* The reads' table: the first TABLE_ROWS reads, one row each. */
static void reads_table(FILE *out, const ceas_anneal_problem *pb, const ceas_anneal_params *p,
                        const ceas_anneal_result *r) {
  fprintf(out, "%5s %16s %12s", "read", "best E", "E/n");
  if (pb->maxcut) fprintf(out, " %14s", "cut");
  fprintf(out, " %8s", "at sweep");
  if (p->has_target) fprintf(out, " %7s %12s", "reached", "t_target/s");
  fprintf(out, " %9s\n", "time/s");
  uint64_t rows = r->reads <= TABLE_ROWS ? r->reads : TABLE_ROWS;
  for (uint64_t q = 0; q < rows; q++) {
    const ceas_anneal_read *rd = &r->per_read[q];
    fprintf(out, "%5llu %16.10g %12.8f", (unsigned long long)q, rd->best_energy,
            rd->best_energy / (double)pb->n);
    if (pb->maxcut) number(out, ceas_anneal_cut(pb, rd->best_energy));
    fprintf(out, " %8llu", (unsigned long long)rd->best_sweep);
    if (p->has_target) {
      if (rd->reached)
        fprintf(out, " %7s %12.4g", "yes", rd->seconds_to_target);
      else
        fprintf(out, " %7s %12s", "no", "-");
    }
    fprintf(out, " %9.4g\n", rd->seconds);
  }
  if (rows < r->reads)
    fprintf(out, "  ... %llu more reads (all in --out)\n",
            (unsigned long long)(r->reads - rows));
}

/* Parallel tempering's ladder in read 0. */
static void pt_ladder(FILE *out, const ceas_anneal_pt_stats *x) {
  const int M = x->temperatures;
  fprintf(out, "parallel tempering, %d temperatures; read 0: ladder, exchange acceptance to "
               "the next, <E>/n\n", M);
  for (int t = 0; t < M; t++) {
    fprintf(out, "  beta %10.6g", x->betas[t]);
    if (t + 1 < M)
      fprintf(out, "  acc %6.3f", x->acceptance[t]);
    else
      fprintf(out, "  %10s", "");
    fprintf(out, "  <E>/n %12.8f", x->e_mean[t]);
    if (isfinite(x->e_err[t])) fprintf(out, " +- %.2g", x->e_err[t]);
    fprintf(out, "\n");
  }
  fprintf(out, "  round trips %llu (%.4g sweeps per round trip and walker)\n",
          (unsigned long long)x->round_trips[0], x->sweeps_per_round_trip[0]);
}

void ceas_anneal_result_print(FILE *out, const ceas_anneal_setup *s,
                              const ceas_anneal_result *r) {
  const ceas_anneal_problem *pb = s->pb;
  const ceas_anneal_method *method = s->method;
  const ceas_anneal_params *p = &s->p;
  const double n = (double)pb->n;
  if (r->n_used) {
    fprintf(out, "%s parameters (derived from the instance unless given):", method->name);
    for (int i = 0; i < r->n_used; i++)
      fprintf(out, "%s %s = %.6g", i ? "," : "", r->used[i].name, r->used[i].value);
    fprintf(out, "\n");
  }
  reads_table(out, pb, p, r);
  fprintf(out, "best E = %.12g (E/n = %.10f)", r->best_energy, r->best_energy / n);
  if (pb->maxcut) fprintf(out, ", cut = %.12g", ceas_anneal_cut(pb, r->best_energy));
  fprintf(out, " in read %llu\n", (unsigned long long)r->best_read);
  ceas_anneal_cost tot;
  double e_pj;
  uint64_t updates;
  ceas_anneal_result_totals(r, &tot, &e_pj, &updates);
  fprintf(out, "%llu reads, %.4g spin updates in %.3f s: %.4g ns per spin update (CPU time "
               "%.3f s: %.4g ns)\n",
          (unsigned long long)r->reads, (double)updates, r->seconds,
          1e9 * r->seconds / (double)updates, r->cpu_seconds,
          1e9 * r->cpu_seconds / (double)updates);
  /* The cost model: the machine's work and energy, totals and per read. */
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_of(p, &pj);
  double R = (double)r->reads;
  fprintf(out, "machine cost: %.4g pJ (%.4g per read), %.4g MACs (%.4g per read), %.4g bytes "
               "(%.4g per read), %.4g spin updates; at %.3g pJ/MAC, %.3g pJ/byte, %.3g "
               "pJ/update\n",
          e_pj, e_pj / R, (double)tot.macs, (double)tot.macs / R, (double)tot.bytes,
          (double)tot.bytes / R, (double)tot.spin_updates, pj.mac, pj.byte, pj.spin_update);
  if (method->kernel)
    fprintf(out, "  (the %s kernel does not count flips: spin updates only, without the row "
                 "updates' MACs and bytes; --kernel fields counts them)\n",
            method->kernel);
  if (p->has_target) {
    fprintf(out, "target E <= %.12g", p->target);
    if (pb->maxcut) fprintf(out, " (cut >= %.12g)", ceas_anneal_cut(pb, p->target));
    fprintf(out, ": reached by %llu of %llu reads, p = %.4g; TTS99 = %.4g s = %.4g spin "
                 "updates\n",
            (unsigned long long)r->successes, (unsigned long long)r->reads, r->p_success,
            r->tts99_seconds, r->tts99_updates);
  }
  if (r->pt) pt_ladder(out, r->pt);
}
