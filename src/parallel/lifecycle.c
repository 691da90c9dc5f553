/* The MPI lifecycle (see ceas_parallel.h): the one place MPI starts and ends. */
#include <mpi.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "ceas_parallel.h"

void ceas_parallel_init(int *argc, char ***argv, int *rank, int *size) {
  int started = 0;
  MPI_Initialized(&started);
  if (!started) {
    ceas_parallel_watch_launcher();
    MPI_Init(argc, argv);
  }
  if (rank) MPI_Comm_rank(MPI_COMM_WORLD, rank);
  if (size) MPI_Comm_size(MPI_COMM_WORLD, size);
}

void ceas_parallel_finalize(void) {
  int started = 0, finished = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&finished);
  if (!started || finished) return;
#if defined(__SANITIZE_ADDRESS__)
  /* MPI_Finalize unloads Open MPI's components; a leak check at exit then matched
   * every frame of their (suppressed) allocations against a module list that it
   * re-read from /proc/self/maps for each unknown address: about a second per
   * process, most of the sanitizer test pass. Before MPI_Finalize those blocks are
   * still reachable from the loaded components, and ours that are unreachable are
   * reported as before. What is allocated after this call goes unchecked (the check
   * runs once per process). */
  __lsan_do_leak_check();
#endif
  MPI_Finalize();
}

int ceas_parallel_root_status(MPI_Comm comm, int rc, const char *what) {
  int started = 0, rank = 0;
  MPI_Initialized(&started);
  if (!started) return rc;
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  MPI_Comm_rank(comm, &rank);
  if (rc && rank != 0) ceas_error_set(rc, "%s on rank 0", what);
  return rc;
}
