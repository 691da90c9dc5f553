/* MPI around each test of a Criterion suite (each test runs in its own process):
 * TestSuite(name, .init = ceas_test_mpi_up, .fini = ceas_test_mpi_down). The
 * teardown goes through ceas_parallel_finalize, which in a sanitizer build runs the
 * leak check while Open MPI's components are still loaded. */
#ifndef CEAS_TEST_MPI_FIXTURE_H
#define CEAS_TEST_MPI_FIXTURE_H

#include <mpi.h>

#include "ceas_parallel.h"

static inline void ceas_test_mpi_up(void) {
  int up = 0;
  MPI_Initialized(&up);
  if (!up) MPI_Init(NULL, NULL);
}

static inline void ceas_test_mpi_down(void) {
  int down = 0;
  MPI_Finalized(&down);
  if (!down) ceas_parallel_finalize();
}

#endif
