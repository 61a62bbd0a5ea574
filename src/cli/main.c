/* nrdfer command line: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"train", nd_cmd_train, "train NR-DFERNet on a dataset fold"},
    {"eval", nd_cmd_eval, "evaluate a checkpoint on a dataset fold (UAR, WAR, confusion)"},
    {"predict", nd_cmd_predict, "predict expressions for videos or folders of face frames"},
    {"bench", nd_cmd_bench, "time inference and training steps of the paper-size model"},
    {"synth", nd_cmd_synth, "generate the synthetic benchmark in the DFEW layout"},
    {"data", nd_cmd_data, "data check: read every split as training would and report problems"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: nrdfer COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'nrdfer COMMAND --help' for the options of one command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return ND_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return ND_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("nrdfer %s\n", NRDFER_VERSION);
        return ND_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nrdfer: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return ND_EXIT_USAGE;
}
