#include <stdio.h>

#include "cli/commands.h"

int nd_cmd_eval(int argc, char **argv) {
    /* TODO: placeholder until the command is implemented. */
    fprintf(stderr, "nrdfer eval: not implemented in this build\n");
    return ND_EXIT_FAILURE;
}
