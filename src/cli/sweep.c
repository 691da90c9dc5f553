/* Placeholder until the sweep command lands. */
#include "cli.h"

int ceas_cli_sweep(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return ceas_cli_fail(ceas_error_set(CEAS_EINPUT, "sweep: not implemented yet"));
}

int ceas_cli_collect(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return ceas_cli_fail(ceas_error_set(CEAS_EINPUT, "collect: not implemented yet"));
}
