/* The sweep file (INI) into a spec, key by key through ceas_sweep_option_set. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ceas_sweep.h"

/* The file is read through read_line below, which numbers the lines, so that a key
 * given twice can name both lines. inih itself would let a repeated key or an
 * indented continuation line (INI_ALLOW_MULTILINE: the handler sees the key again)
 * silently replace the value, cut a line at a NUL byte, and split a line longer
 * than its buffer into two; each of these is refused instead. */
typedef struct {
  ceas_sweep_spec *spec;
  FILE *fp;
  int failed;
  char bad_msg[512];    /* why the handler refused a line */
  long line;            /* the line inih is parsing */
  int indented;         /* it starts with a blank: a continuation of the key above */
  long bad_line;        /* a line the reader refused (0: none) */
  int bad_nul;          /* why: a NUL byte, else longer than max_line */
  int max_line;
  struct {
    char key[64];
    long line;
  } seen[32];
  int nseen;
} ini_ctx;

static char *read_line(char *str, int num, void *stream) {
  ini_ctx *c = stream;
  int k = 0, ch = EOF;
  int bad = 0;
  c->max_line = num - 2; /* room for the newline and the terminator */
  while (!bad && (ch = getc(c->fp)) != EOF) {
    c->bad_nul = ch == '\0';
    bad = c->bad_nul || k + 1 >= num;
    if (!bad) str[k++] = (char)ch;
    if (ch == '\n') break;
  }
  if (k == 0 && !bad) return NULL;
  c->line++;
  if (bad) {
    c->bad_line = c->line;
    return NULL; /* stops the parse: every earlier line was fine */
  }
  str[k] = '\0';
  c->indented = str[0] == ' ' || str[0] == '\t';
  return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
  ini_ctx *c = user;
  if (c->failed) return 1; /* report only the first problem */
  char key[64];
  snprintf(key, sizeof key, "%s", name);
  for (char *k = key; *k; k++)
    if (*k == '-') *k = '_';
  for (int i = 0; i < c->nseen; i++)
    if (!strcmp(c->seen[i].key, key)) {
      if (c->indented && c->seen[i].line == c->line - 1)
        snprintf(c->bad_msg, sizeof c->bad_msg,
                 "an indented line continues '%s' (expected one 'key = value' per line, "
                 "not indented)",
                 name);
      else
        snprintf(c->bad_msg, sizeof c->bad_msg,
                 "'%s' given again (first at line %ld; expected each key once)", name,
                 c->seen[i].line);
      c->failed = 1;
      return 0;
    }
  if (c->nseen < (int)(sizeof c->seen / sizeof c->seen[0])) {
    snprintf(c->seen[c->nseen].key, sizeof c->seen[0].key, "%s", key);
    c->seen[c->nseen++].line = c->line;
  }
  if (*section && strcmp(section, "sweep")) {
    snprintf(c->bad_msg, sizeof c->bad_msg, "unknown section [%s] (expected [sweep] or none)",
             section);
    c->failed = 1;
    return 0;
  }
  if (ceas_sweep_option_set(c->spec, name, value, name)) {
    snprintf(c->bad_msg, sizeof c->bad_msg, "%s", ceas_error_message());
    c->failed = 1;
    return 0;
  }
  return 1;
}

int ceas_sweep_file_read(ceas_sweep_spec *s, const char *file) {
  ini_ctx c = {.spec = s};
  struct stat st;
  if (stat(file, &st) != 0)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot open sweep file: %s", file, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "%s: expected a sweep file (INI), got a %s", file,
                          S_ISDIR(st.st_mode) ? "directory" : "special file");
  FILE *fp = fopen(file, "r");
  if (!fp)
    return ceas_error_set(CEAS_EINPUT, "%s: cannot open sweep file: %s", file, strerror(errno));
  c.fp = fp;
  int line = ini_parse_stream(read_line, &c, on_key, &c);
  fclose(fp);
  if (line <= 0 && c.bad_line && c.bad_nul)
    return ceas_error_set(CEAS_EINPUT, "%s:%ld: expected text, got a NUL byte", file,
                          c.bad_line);
  if (line <= 0 && c.bad_line)
    return ceas_error_set(CEAS_EINPUT, "%s:%ld: expected a line of at most %d characters",
                          file, c.bad_line, c.max_line);
  if (line > 0) {
    if (c.failed) return ceas_error_set(CEAS_EINPUT, "%s:%d: %s", file, line, c.bad_msg);
    return ceas_error_set(CEAS_EINPUT, "%s:%d: expected 'key = value'", file, line);
  }
  if (line < 0) return ceas_error_set(CEAS_EINPUT, "%s: cannot read sweep file", file);
  return CEAS_OK;
}
