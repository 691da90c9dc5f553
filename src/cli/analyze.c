/* Placeholder until the analysis module lands. */
#include "cli.h"

int ceas_cli_analyze(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return ceas_cli_fail(ceas_error_set(CEAS_EINPUT, "analyze: not implemented yet"));
}
