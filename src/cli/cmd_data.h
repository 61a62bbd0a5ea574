/* Shared by the `nrdfer data` subcommands: the dataset options every one
 * of them takes. */
#ifndef ND_CLI_CMD_DATA_H
#define ND_CLI_CMD_DATA_H

#include <getopt.h>

#include "cli/data_args.h"
#include "data/dataset.h"

/* The dataset options of the data subcommands: those of train and eval,
 * without --loader-threads, plus --frames. */
#define ND_DATA_CMD_LONG_OPTIONS                                                       \
    ND_DATA_LONG_OPTIONS, {"frames", required_argument, NULL, ND_OPT_FRAMES}

/* Applies one dataset option to s (nd_data_args_parse, and a usage error
 * for --loader-threads). Returns 1 when opt was a dataset option, 0 when it
 * was not, -1 on an invalid value (message printed). */
int nd_data_cmd_option(nd_data_settings *s, int opt, const char *arg, const char *command);

/* Checks that s names a dataset and a root and fills the reader's options.
 * Returns 0, or -1 after printing what is missing. */
int nd_data_cmd_dataset_options(const nd_data_settings *s, const char *command,
                                nd_dataset_options *o);

/* Writes the help lines of the dataset options. */
void nd_data_cmd_help(FILE *out);

int nd_cmd_data_check(int argc, char **argv);
int nd_cmd_data_load(int argc, char **argv);

#endif
