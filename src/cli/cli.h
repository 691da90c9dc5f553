/* The ceasim command line: subcommands share option parsing and reporting. */
#ifndef CEAS_CLI_H
#define CEAS_CLI_H

#include <signal.h>
#include <stdio.h>

#include "ceas_options.h"
#include "ceas_task.h"

extern volatile sig_atomic_t ceas_cli_stop;

/* The command line as one string, for the command_line attribute. */
const char *ceas_cli_command_line(void);

/* Exit status for a ceasim status code: input errors 2, interrupts 130, else 1. */
int ceas_cli_exit_code(int rc);
/* Prints "ceasim: <message>" on stderr and returns the exit status. */
int ceas_cli_fail(int rc);
/* The same on MPI ranks: only rank 0 prints; every rank returns the exit status. */
int ceas_cli_fail_rank(int rank, int rc);
/* ceas_cli_fail_rank, then MPI ends. */
int ceas_cli_fail_all(int rank, int rc);
/* A collective command: run(argc, argv, rank, size) between ceas_parallel_init
 * (before its options are parsed: a bad option is reported once, by rank 0) and
 * ceas_parallel_finalize. */
int ceas_cli_collective(int argc, char **argv, int (*run)(int argc, char **argv, int rank,
                                                          int size));


/* Every command parses with getopt_long(argc, argv, CEAS_CLI_OPTSTRING, ...): the
 * leading ':' makes a missing value come back as ':' instead of '?', so the two
 * mistakes get their own messages here (CEAS_EINPUT naming the option). */
#define CEAS_CLI_OPTSTRING ":"
int ceas_cli_option_error(int c, char *const argv[], const char *command);

/* Options of one table go to one place: set(obj, name, value) (a module's setter,
 * value NULL for a flag), or, set NULL, obj is an array of slots, one per entry:
 * a flag's int set to 1, a value's const char * pointed at the argument. */
typedef struct {
  const ceas_option *table;
  int (*set)(void *obj, const char *name, const char *value);
  void *obj;
} ceas_cli_group;

/* getopt_long over the groups' options and --help (*help = 1): each option to its
 * group, in order, until the first error (ceas_cli_option_error's messages for an
 * unknown option or a missing value). optind is then at the first argument left. */
int ceas_cli_parse(int argc, char **argv, const char *command, const ceas_cli_group *g,
                   int ng, int *help);
/* Whether --name is an option of the groups that takes a value. */
int ceas_cli_takes_value(const ceas_cli_group *g, int ng, const char *name);
/* CEAS_EINPUT naming the first argument left after ceas_cli_parse, if any. */
int ceas_cli_no_arguments(int argc, char **argv, const char *command);
/* `head` (the synopsis and description, ending in a blank line), the groups'
 * options under their sections with their defaults, then `tail` (NULL: none). */
void ceas_cli_usage(FILE *out, const char *head, const ceas_cli_group *g, int ng,
                    const char *tail);

void ceas_cli_install_signals(void);
void ceas_cli_progress(double fraction, double elapsed, void *ctx);

int ceas_cli_run(int argc, char **argv);
int ceas_cli_demo(int argc, char **argv);
int ceas_cli_sweep(int argc, char **argv);
int ceas_cli_collect(int argc, char **argv);
int ceas_cli_analyze(int argc, char **argv);
int ceas_cli_attention(int argc, char **argv);
int ceas_cli_map(int argc, char **argv);
int ceas_cli_bench(int argc, char **argv);
int ceas_cli_anneal(int argc, char **argv);

#endif
