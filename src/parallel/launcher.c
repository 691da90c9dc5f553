/* A rank dies with its launcher (see ceas_parallel.h). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "ceas_parallel.h"

void ceas_parallel_watch_launcher(void) {
#if defined(__linux__)
  /* Set by the launchers for the processes they start: Open MPI, PMIx (Open MPI 5,
   * PRRTE, Slurm's srun --mpi=pmix), MPICH's Hydra and PMI-1/2 (srun too). */
  static const char *const launched[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                         NULL};
  for (int i = 0; launched[i]; i++)
    if (getenv(launched[i])) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      return;
    }
#endif
}
