/* ceasim attention: an attention head as a Gibbs system (docs/attention.md,
 * docs/mapping.md): beta-grid scan, summary, optional Newton controller, HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "ceas_head_analysis.h"
#include "ceas_headsrc.h"
#include "ceas_io.h"
#include "cli.h"

static const char attention_head[] =
    "usage: ceasim attention (--synthetic --tokens N --d-k D --seed S [--kind K]\n"
    "                        | --weights FILE [tensor options]) [options]\n"
    "\n"
    "Softmax attention as a Gibbs system, raw scores s_ij = q_i.k_j, p ~ exp(beta s)\n"
    "(textbook softmax(q.k/sqrt(d_k)) is beta = 1/sqrt(d_k)): head-mean entropy,\n"
    "N_eff, Var, heat beta^2 Var, gate T, beta* on a beta grid, and the CEAS Newton\n"
    "controller.\n"
    "\n";

static const ceas_option att_cli_options[] = {
    {"out", "FILE", NULL, "write HDF5 (atomically; refuses to overwrite)", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct {
  ceas_head_analysis_options o;
  const char *out;
  int force, help;
  ceas_cli_group g[3]; /* head source, analysis, the CLI's (slots) */
  void *slots[2];
} att_args;

static int set_att(void *o, const char *key, const char *value) {
  return ceas_head_analysis_option_set(o, key, value);
}

static int parse_args(int argc, char **argv, att_args *a) {
  *a = (att_args){.slots = {&a->out, &a->force}};
  ceas_head_analysis_options_default(&a->o);
  a->g[0] = (ceas_cli_group){ceas_headsrc_option_table, set_att, &a->o};
  a->g[1] = (ceas_cli_group){ceas_head_analysis_option_table, set_att, &a->o};
  a->g[2] = (ceas_cli_group){att_cli_options, NULL, a->slots};
  int rc = ceas_cli_parse(argc, argv, "attention", a->g, 3, &a->help);
  if (!rc) rc = ceas_cli_no_arguments(argc, argv, "attention");
  if (!rc && !a->help) rc = ceas_head_analysis_options_finish(&a->o);
  return rc;
}

int ceas_cli_attention(int argc, char **argv) {
  att_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    ceas_cli_usage(stdout, attention_head, a.g, 3, NULL);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if (a.out && (rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_headsrc *hs = NULL;
  if ((rc = ceas_headsrc_load(&a.o.src, &hs))) return ceas_cli_fail(rc);
  ceas_head_analysis *res = NULL;
  if ((rc = ceas_head_analyse(hs, &a.o.p, &res))) goto done;
  const ceas_head_analysis r = *res;
  const ceas_attention_head *h = hs->head;
  const ceas_attention_scan *sc = r.sc;
  const ceas_attention_traj *tr = r.tr;
  const ceas_attention_ctrl_params cp = r.cp;
  size_t n = h->n;
  double beta0 = r.beta0;

  printf("ceasim %s  attention  %s head: n=%zu tokens, d_k=%zu", ceas_version(), hs->mode, n,
         h->d_k);
  if (a.o.src.synthetic)
    printf("  (%s, seed %llu)", ceas_headsrc_kind_name(a.o.src.spec.kind),
           (unsigned long long)a.o.src.spec.seed);
  else if (a.o.src.head >= 0)
    printf("  (%s, head %ld of %ld)", a.o.src.weights, a.o.src.head, a.o.src.n_heads);
  else
    printf("  (%s)", a.o.src.weights);
  printf("\nraw scores q.k, p ~ exp(beta s); textbook softmax is beta0 = 1/sqrt(d_k) = %.6g\n",
         beta0);
  printf("%-40s %14s %12s\n", "quantity (head mean over queries)", "mean", "error");
#define ROW(label, me) printf("%-40s %14.8g %12.3g\n", label, (me).mean, (me).err)
  ROW("sigma_qk", r.m_sigma);
  ROW("REM beta_c = sqrt(2 ln n)/sigma", r.m_rem);
  ROW("beta* at beta0 = sqrt(2 ln N_eff)/sigma", r.m_bstar0);
  ROW("beta* self-consistent", r.m_bfix);
  ceas_head_mean_err pk = {sc->peak_mean, sc->peak_err};
  ROW("per-query peak of beta^2 Var", pk);
  ROW("H at beta0 (nats)", r.m_H0);
  printf("%-40s %14.8g %12.3g\n", "N_eff = exp(H) at beta0", exp(r.m_H0.mean),
         exp(r.m_H0.mean) * r.m_H0.err);
  printf("%-40s %14.8g\n", "peak of head-mean beta^2 Var", sc->peak_of_mean);
  printf("beta grid: %ld points in [%.6g, %.6g]\n", r.nb, r.b0, r.b1);
  if (tr) {
    printf("controller (preset %s): %zu steps, beta %.6g -> %.8g, H_target %.6g, H_end %.6g\n",
           a.o.p.preset, tr->steps, tr->beta[0], tr->beta[tr->steps], tr->H_target,
           tr->H[tr->steps]);
    if (tr->corridor_step >= 0)
      printf("  corridor |H - H_target| <= %g entered for good at step %ld\n", cp.tol,
             tr->corridor_step);
    else
      printf("  corridor |H - H_target| <= %g not reached\n", cp.tol);
    printf("  clipping active on %zu steps (|dbeta| <= %g); ", r.n_clip, cp.dbeta_max);
    if (cp.beta_c > 0)
      printf("u_min margin (%g around beta_c = %.6g) active on %zu steps\n", cp.u_min,
             cp.beta_c, r.n_margin);
    else
      printf("no margin\n");
  }
  if (a.out) {
    ceas_io_file f;
    rc = ceas_io_file_create(a.out, a.force, &f);
    if (!rc) {
      rc = ceas_head_analysis_write(f.file, &a.o.src, hs, res, a.o.p.preset,
                                    ceas_cli_command_line());
      if (rc)
        ceas_io_file_abort(&f);
      else
        rc = ceas_io_file_commit(&f);
    }
    if (!rc) printf("wrote %s\n", a.out);
  }
done:
  ceas_head_analysis_free(res);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
