#include <stdio.h>

#include "cli/commands.h"

int nd_cmd_data(int argc, char **argv) {
    /* TODO: placeholder until the command is implemented. */
    fprintf(stderr, "nrdfer data: not implemented in this build\n");
    return ND_EXIT_FAILURE;
}
