/* The subcommands of the nrdfer program. Each takes the arguments after its
 * name (argv[0] is the command name, ready for getopt_long) and returns the
 * process exit status: 0 success, 1 bad input or failure, 2 usage error. */
#ifndef ND_CLI_COMMANDS_H
#define ND_CLI_COMMANDS_H

#define ND_EXIT_OK 0
#define ND_EXIT_FAILURE 1
#define ND_EXIT_USAGE 2

int nd_cmd_train(int argc, char **argv);
int nd_cmd_eval(int argc, char **argv);
int nd_cmd_predict(int argc, char **argv);
int nd_cmd_bench(int argc, char **argv);
int nd_cmd_synth(int argc, char **argv);
int nd_cmd_data(int argc, char **argv);

#endif
