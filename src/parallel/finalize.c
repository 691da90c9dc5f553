#include <mpi.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "ceas_parallel.h"

void ceas_parallel_finalize(void) {
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
