/* ceasim attention: an attention head as a Gibbs system (docs/attention.md,
 * docs/mapping.md): beta-grid scan, summary, optional Newton controller, HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "ceas_head_analysis.h"
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
  ceas_head_analysis_print(stdout, &a.o, hs, res);
  if (a.out && !(rc = ceas_head_analysis_write_file(&a.o.src, hs, res, a.o.p.preset, a.out,
                                                    a.force, ceas_cli_command_line())))
    printf("wrote %s\n", a.out);
done:
  ceas_head_analysis_free(res);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
