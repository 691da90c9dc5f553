/* The getopt mistakes every command reports the same way (the options
 * themselves are parsed by the library's setters, e.g. ceas_task_options.h). */
#include <getopt.h>

#include "cli.h"

int ceas_cli_option_error(int c, char *const argv[], const char *command) {
  const char *opt = optind > 0 ? argv[optind - 1] : "";
  if (c == ':')
    return ceas_error_set(CEAS_EINPUT, "%s: expected a value (see ceasim %s --help)", opt,
                          command);
  return ceas_error_set(CEAS_EINPUT, "unknown option '%s' (see ceasim %s --help)", opt,
                        command);
}
