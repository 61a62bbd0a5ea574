#include <stdio.h>

#include "cli/commands.h"

int nd_cmd_train(int argc, char **argv) {
    /* TODO: placeholder until the command is implemented. */
    fprintf(stderr, "nrdfer train: not implemented in this build\n");
    return ND_EXIT_FAILURE;
}
