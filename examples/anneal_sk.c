/* Anneal with the installed library: simulated annealing on a Sherrington-
 * Kirkpatrick instance of 20 spins (J_ij = +-1/sqrt(20), instance seed 7), 32
 * independent reads of 2000 sweeps on a geometric beta schedule, against the
 * exact ground-state energy found by enumerating all 2^19 states.
 *
 * Prints "E0 exact = A, best of 32 reads = B, p_success = P, TTS99 = T s". */
#include <math.h>
#include <stdio.h>

#include <ceasim/ceas_anneal.h>

int main(void) {
  ceas_anneal_problem *pb = NULL;
  ceas_anneal_schedule sched = {0};
  ceas_anneal_result *r = NULL;
  double e0 = NAN, b0, b1;
  uint64_t degeneracy = 0;
  int rc = ceas_anneal_problem_sk(20, CEAS_ANNEAL_BONDS_PM, 7, &pb);
  if (!rc) rc = ceas_anneal_exact_ground(pb, &e0, &degeneracy, NULL);
  const ceas_anneal_method *sa = ceas_anneal_method_find("sa");
  if (!rc && !sa) rc = ceas_error_set(CEAS_EINTERNAL, "no method \"sa\"");
  if (!rc) {
    ceas_anneal_sa_default_betas(pb, &b0, &b1);
    rc = ceas_anneal_schedule_make(CEAS_ANNEAL_SCHED_GEOMETRIC, b0, b1, 2000, &sched);
  }
  if (!rc) {
    ceas_anneal_params p;
    ceas_anneal_params_default(&p);
    p.schedule = &sched;
    p.seed = 1;
    p.has_target = 1; /* success: a read whose best energy reaches e0 */
    p.target = e0;
    /* No stop flag, no progress callback. sa is not collective: no MPI needed. */
    rc = ceas_anneal_run(pb, sa, &p, 32, NULL, NULL, NULL, &r);
  }
  if (rc) {
    fprintf(stderr, "anneal_sk: %s\n", ceas_error_message());
  } else {
    printf("SK n = %lld (%s), sa: beta %.3g -> %.3g over %llu sweeps, %llu reads\n",
           (long long)pb->n, pb->origin, b0, b1, (unsigned long long)sched.sweeps,
           (unsigned long long)r->reads);
    printf("E0 exact = %.9f (degeneracy %llu), best of %llu reads = %.9f, p_success = %.3f, "
           "TTS99 = %.3g s\n",
           e0, (unsigned long long)degeneracy, (unsigned long long)r->reads, r->best_energy,
           r->p_success, r->tts99_seconds);
  }
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&sched);
  ceas_anneal_problem_free(pb);
  return rc ? 1 : 0;
}
