/* Helpers shared by the Monte Carlo tests: run a task, compare with an exact
 * value in error bars, write temporary coupling files, score an attention head. */
#ifndef CEASIM_TESTS_MC_SUPPORT_H
#define CEASIM_TESTS_MC_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

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

/* The n x n score matrix of a Gaussian attention head (n tokens, key width d_k,
 * `seed`), malloc'd, the caller frees it; an allocation failure is a test failure. */
double *mc_head_scores(size_t n, size_t d_k, uint64_t seed);

#endif
