/*
 * ceas_options — the options a module takes as (name, value) strings, each
 * described once: the module's setter (ceas_task_option_set, ceas_sweep_option_set,
 * ceas_anneal_option_set, ...) accepts exactly the names of its table, and a front
 * end lists the same table: the CLI builds getopt_long's table and `--help` from
 * it, a binding can offer the options with their help and defaults.
 *
 *   for (const ceas_option *o = ceas_task_option_table; o->name; o++)
 *     printf("--%s %s  %s [%s]\n", o->name, o->metavar ? o->metavar : "", o->help,
 *            o->deflt ? o->deflt : "");
 *
 * Tables are static, end with an entry whose name is NULL, and list the options
 * in the order a listing shows them.
 */
#ifndef CEAS_OPTIONS_H
#define CEAS_OPTIONS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *name;    /* without "--"; setters take '-' and '_' alike */
  const char *metavar; /* what the value is ("N", "FILE", "A:B:N"); NULL: a flag */
  const char *deflt;   /* the default as text, NULL when there is none to state */
  const char *help;    /* one paragraph (a '\n' starts a new line in a listing) */
  const char *section; /* the heading it is listed under ("model", "output") */
} ceas_option;

/* The entry of `table` named `name` ('-' and '_' alike), or NULL. */
const ceas_option *ceas_option_find(const ceas_option *table, const char *name);

#ifdef __cplusplus
}
#endif

#endif
