/* Option tables: one lookup for every module's setter. */
#include "ceas_options.h"

static int same_name(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))) return 0;
  return *a == *b;
}

const ceas_option *ceas_option_find(const ceas_option *table, const char *name) {
  for (; table->name; table++)
    if (same_name(table->name, name)) return table;
  return 0;
}
