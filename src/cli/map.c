/* ceasim map: attention head or FFN block -> Ising couplings file (CSR HDF5 that
 * `ceasim run --model graph --couplings FILE` reads). See docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "ceas_io.h"
#include "ceas_mapping.h"
#include "cli.h"

static const char map_head[] =
    "usage: ceasim map (head source) [options] --out FILE\n"
    "       ceasim map --ffn --weights FILE [--w1 NAME] [--w2 NAME] [options] --out FILE\n"
    "\n"
    "Attention -> Ising couplings on the tokens: J = (S + S^T)/2 of the raw scores\n"
    "S = Q K^T (beta multiplies J as it multiplies the scores in `ceasim attention`),\n"
    "zero diagonal (s_i^2 = 1 makes the diagonal a constant energy). FFN -> bipartite\n"
    "couplings J[v][d_model + h] = W1[h][v] (averaged with W2[v][h] if --w2) between\n"
    "d_model visible and d_ff hidden spins. Energy E = -sum_{i<j} J_ij s_i s_j - sum h_i s_i.\n"
    "\n";

static const ceas_option map_cli_options[] = {
    {"out", "FILE", NULL,
     "couplings HDF5 (indptr, indices, data, h, gauge; with --gauge top also "
     "top_eigenvector), written atomically", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

#define MAP_GROUPS 4
typedef struct {
  ceas_mapping_request r;
  const char *out;
  int force, help;
  ceas_cli_group g[MAP_GROUPS]; /* head source, mapping, value vectors, the CLI's */
  void *slots[2];
} map_args;

static int set_map(void *r, const char *key, const char *value) {
  return ceas_mapping_option_set(r, key, value);
}

static int parse_args(int argc, char **argv, map_args *a) {
  *a = (map_args){.slots = {&a->out, &a->force}};
  ceas_mapping_request_default(&a->r);
  a->g[0] = (ceas_cli_group){ceas_headsrc_option_table, set_map, &a->r};
  a->g[1] = (ceas_cli_group){ceas_mapping_option_table, set_map, &a->r};
  a->g[2] = (ceas_cli_group){ceas_headsrc_value_option_table, set_map, &a->r};
  a->g[3] = (ceas_cli_group){map_cli_options, NULL, a->slots};
  int rc = ceas_cli_parse(argc, argv, "map", a->g, MAP_GROUPS, &a->help);
  if (!rc) rc = ceas_cli_no_arguments(argc, argv, "map");
  if (rc || a->help) return rc;
  if ((rc = ceas_mapping_request_check(&a->r))) return rc;
  if (!a->out) return ceas_error_set(CEAS_EINPUT, "--out: expected an output file");
  return CEAS_OK;
}

int ceas_cli_map(int argc, char **argv) {
  map_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    ceas_cli_usage(stdout, map_head, a.g, MAP_GROUPS, NULL);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if ((rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_mapping_couplings *c = NULL;
  rc = ceas_mapping_request_run(&a.r, &c);
  if (!rc) {
    ceas_mapping_couplings_print(stdout, &a.r, c);
    rc = ceas_mapping_couplings_write(c, a.out, a.force, ceas_cli_command_line());
    if (!rc) printf("wrote %s\n", a.out);
  }
  ceas_mapping_couplings_free(c);
  return rc ? ceas_cli_fail(rc) : 0;
}
