/* One option parser and one usage printer for every command: getopt_long's table
 * and the --help listing are built from the modules' option tables
 * (ceas_options.h), so an option is named once, beside its setter. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int ceas_cli_option_error(int c, char *const argv[], const char *command) {
  const char *opt = optind > 0 ? argv[optind - 1] : "";
  if (c == ':')
    return ceas_error_set(CEAS_EINPUT, "%s: expected a value (see ceasim %s --help)", opt,
                          command);
  return ceas_error_set(CEAS_EINPUT, "unknown option '%s' (see ceasim %s --help)", opt,
                        command);
}

/* getopt_long's values: CODE + the option's position over all groups. */
#define CODE 256
#define MAX_OPTIONS 160

int ceas_cli_takes_value(const ceas_cli_group *g, int ng, const char *name) {
  for (int i = 0; i < ng; i++)
    for (const ceas_option *o = g[i].table; o->name; o++)
      if (!strcmp(o->name, name)) return o->metavar != NULL;
  return 0;
}

int ceas_cli_parse(int argc, char **argv, const char *command, const ceas_cli_group *g,
                   int ng, int *help) {
  struct option opts[MAX_OPTIONS + 2];
  const ceas_cli_group *owner[MAX_OPTIONS];
  int slot[MAX_OPTIONS], n = 0;
  for (int i = 0; i < ng; i++)
    for (int k = 0; g[i].table[k].name; k++, n++) {
      if (n == MAX_OPTIONS) return ceas_error_set(CEAS_EINTERNAL, "too many options");
      opts[n] = (struct option){g[i].table[k].name,
                                g[i].table[k].metavar ? required_argument : no_argument, 0,
                                CODE + n};
      owner[n] = &g[i];
      slot[n] = k;
    }
  opts[n] = (struct option){"help", no_argument, 0, CODE + n};
  opts[n + 1] = (struct option){0, 0, 0, 0};
  *help = 0;
  opterr = 0;
  optind = 1;
  int c, rc = CEAS_OK;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, opts, NULL)) != -1) {
    int i = c - CODE;
    if (i < 0 || i > n) {
      rc = ceas_cli_option_error(c, argv, command);
    } else if (i == n) {
      *help = 1;
    } else if (owner[i]->set) {
      rc = owner[i]->set(owner[i]->obj, opts[i].name, optarg);
    } else {
      void *target = ((void *const *)owner[i]->obj)[slot[i]];
      if (opts[i].has_arg)
        *(const char **)target = optarg;
      else
        *(int *)target = 1;
    }
  }
  return rc;
}

int ceas_cli_no_arguments(int argc, char **argv, const char *command) {
  if (optind < argc)
    return ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim %s --help)",
                          argv[optind], command);
  return CEAS_OK;
}

/* Words of `text` from column `col` up to column 80, continuation lines indented
 * to `indent`; a '\n' in the text starts a new line. */
static int wrap(FILE *out, const char *text, int col, int indent) {
  const int width = 80;
  for (const char *p = text; *p;) {
    if (*p == '\n') {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
      p++;
      continue;
    }
    if (*p == ' ') {
      p++;
      continue;
    }
    int len = (int)strcspn(p, " \n");
    if (col > indent && col + 1 + len > width) {
      fprintf(out, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', out);
      col++;
    }
    fprintf(out, "%.*s", len, p);
    col += len;
    p += len;
  }
  return col;
}

void ceas_cli_usage(FILE *out, const char *head, const ceas_cli_group *g, int ng,
                    const char *tail) {
  enum { LABEL = 20, INDENT = 2 + LABEL + 2 };
  fputs(head, out);
  const char *section = NULL;
  for (int i = 0; i < ng; i++)
    for (const ceas_option *o = g[i].table; o->name; o++) {
      if (!section || strcmp(section, o->section)) fprintf(out, "%s:\n", o->section);
      section = o->section;
      char label[128];
      int len = snprintf(label, sizeof label, "--%s%s%s", o->name, o->metavar ? " " : "",
                         o->metavar ? o->metavar : "");
      fprintf(out, "  %s", label);
      if (len > LABEL) fprintf(out, "\n%*s", INDENT, "");
      else fprintf(out, "%*s", INDENT - 2 - len, "");
      int col = wrap(out, o->help, INDENT, INDENT);
      if (o->deflt) {
        char d[256];
        snprintf(d, sizeof d, "[%s]", o->deflt);
        wrap(out, d, col, INDENT);
      }
      fputc('\n', out);
    }
  if (tail) fputs(tail, out);
}
