/* Task options shared by `run`, `sweep` and sweep files, parsed in one place so that
 * the commands cannot drift apart in what they accept or how they say no. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

int ceas_cli_task_option(ceas_task_params *p, const char *key, const char *value,
                         const char *what) {
  char k[64];
  size_t n = strlen(key);
  if (n >= sizeof k) return CEAS_CLI_NOT_A_TASK_OPTION;
  for (size_t i = 0; i <= n; i++) k[i] = key[i] == '-' ? '_' : key[i];
  long v;
  int rc;
  if (!strcmp(k, "model")) return ceas_lattice_model_parse(value, &p->model);
  if (!strcmp(k, "h")) return ceas_parse_double(value, what, &p->h);
  if (!strcmp(k, "sweeps")) return ceas_parse_count(value, what, &p->sweeps);
  if (!strcmp(k, "therm")) return ceas_parse_count(value, what, &p->therm);
  if (!strcmp(k, "measure_every")) {
    rc = ceas_parse_count(value, what, &p->measure_every);
    if (!rc && p->measure_every < 1)
      rc = ceas_error_set(CEAS_EINPUT, "%s: expected >= 1, got %s", what, value);
    return rc;
  }
  if (!strcmp(k, "seed")) return ceas_parse_u64(value, what, &p->seed);
  if (!strcmp(k, "init")) {
    if (!strcmp(value, "hot"))
      p->init = CEAS_INIT_HOT;
    else if (!strcmp(value, "cold"))
      p->init = CEAS_INIT_COLD;
    else
      return ceas_error_set(CEAS_EINPUT, "%s: expected hot or cold, got '%s'", what, value);
    return CEAS_OK;
  }
  if (!strcmp(k, "wolff_clusters")) {
    rc = ceas_parse_long(value, what, 0, 1L << 40, &v);
    if (!rc) p->wolff_clusters = v;
    return rc;
  }
  return CEAS_CLI_NOT_A_TASK_OPTION;
}

int ceas_cli_option_error(int c, char *const argv[], const char *command) {
  const char *opt = optind > 0 ? argv[optind - 1] : "";
  if (c == ':')
    return ceas_error_set(CEAS_EINPUT, "%s: expected a value (see ceasim %s --help)", opt,
                          command);
  return ceas_error_set(CEAS_EINPUT, "unknown option '%s' (see ceasim %s --help)", opt,
                        command);
}
