/* Helpers shared by the Monte Carlo tests: run a task, compare with an exact
 * value in error bars, write temporary coupling files. */
#ifndef CEASIM_TESTS_MC_SUPPORT_H
#define CEASIM_TESTS_MC_SUPPORT_H

#include "ceas_task.h"

/* Creates and runs a task; a failure is a test failure (returns NULL). */
ceas_task *mc_run(const ceas_task_params *p);

/* cr_expect that |mc - exact| <= nsigma * err, with a message naming what. */
void mc_expect_close(const char *what, double mc, double err, double exact,
                     double nsigma);

/* Writes an edge list ("i j J" lines, "h i v" lines) to a fresh temporary file
 * and returns its path (static storage, valid until the next call). */
const char *mc_write_edge_list(int n, int nedges, const int *ei, const int *ej,
                               const double *J, const double *h);

#endif
