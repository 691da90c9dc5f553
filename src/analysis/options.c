/* `ceasim analyze`'s options as a library (ceas_analysis.h). */
#include <stdio.h>

#include "ceas_analysis.h"
#include "ceas_core.h"

/* In the order of the table. */
enum { O_OUT, O_FORCE, O_QUIET, O_GRID, O_BLOCKS, O_BETA_C, O_NU, O_OMEGA, O_WINDOW,
       O_ZETA, O_UMIN, O_XIFRAC };

const ceas_option ceas_analysis_option_table[] = {
    {"out", "FILE", NULL,
     "write FILE instead of DIR/analysis.h5 (which analyze replaces; another existing FILE "
     "needs --force)", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {"quiet", NULL, NULL,
     "no report and no notes (the notes stay in the file); warnings and errors still on "
     "stderr", "output"},
    {"grid", "N", "201", "points of each reweighted curve", "reweighting"},
    {"blocks", "B", "20", "jackknife blocks per run, 2..64", "reweighting"},
    {"beta-c", "X", NULL,
     "fix beta_c where it is an input (slopes, collapse, zeta_CE) and report it as the "
     "result", "finite-size scaling"},
    {"nu", "X", NULL, "fix nu in the shift fits and the collapse", "finite-size scaling"},
    {"omega", "W", "1.75 ising2d, 0.83 ising3d", "correction-to-scaling exponent",
     "finite-size scaling"},
    {"collapse-window", "X", "all",
     "use points with |(beta - beta_c) L^(1/nu)| <= X in the collapse measure",
     "finite-size scaling"},
    {"zeta-ce", NULL, NULL,
     "fit xi_2nd(beta) = A / max(u, u_min)^nu, u = |beta - beta_c|/beta_c, on tasks with "
     "beta < beta_c, and z from tau_int(|m|) ~ xi^z per algorithm", "zeta_CE"},
    {"u-min", "U", "0", "cutoff of u, >= 0; 0 fits the pure power law", "zeta_CE"},
    {"xi-max-frac", "F", "0.1667 = 1/6", "use tasks with xi_2nd <= F L only", "zeta_CE"},
    {NULL, NULL, NULL, NULL, NULL}};

int ceas_analysis_option_set(ceas_analysis_options *o, const char *key, const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  const ceas_option *opt = ceas_option_find(ceas_analysis_option_table, key);
  if (!opt) return ceas_error_set(CEAS_EINPUT, "%s: unknown option of an analysis", what);
  long v = 0;
  int rc = CEAS_OK;
  switch (opt - ceas_analysis_option_table) {
    case O_OUT: o->out = value; break;
    case O_FORCE: o->force = 1; break;
    case O_QUIET:
      o->report = NULL;
      o->notes = NULL;
      break;
    case O_GRID:
      rc = ceas_parse_long(value, what, 11, 100001, &v);
      o->grid = (size_t)v;
      break;
    case O_BLOCKS:
      rc = ceas_parse_long(value, what, 2, 64, &v);
      o->blocks = (size_t)v;
      break;
    case O_BETA_C: rc = ceas_parse_double(value, what, &o->beta_c); break;
    case O_NU: rc = ceas_parse_double(value, what, &o->nu); break;
    case O_OMEGA: rc = ceas_parse_double(value, what, &o->omega); break;
    case O_WINDOW: rc = ceas_parse_double(value, what, &o->collapse_window); break;
    case O_ZETA: o->zeta_ce = 1; break;
    case O_UMIN: rc = ceas_parse_double(value, what, &o->u_min); break;
    case O_XIFRAC: rc = ceas_parse_double(value, what, &o->xi_max_frac); break;
  }
  return rc;
}
