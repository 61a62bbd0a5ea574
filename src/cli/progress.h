/* Training progress on stderr: a bar redrawn in place with the rate and the
 * time left in the epoch when stderr is a terminal, plain lines at every
 * tenth of an epoch otherwise (logs, pipes, CI). */
#ifndef ND_CLI_PROGRESS_H
#define ND_CLI_PROGRESS_H

#include "train/trainer.h"

typedef struct nd_progress_display {
    int terminal;     /* 1 when stderr is a terminal */
    int bar_visible;  /* 1 while a bar is drawn on the current line */
    long next_report; /* plain mode: the step of the next line */
    int epoch;        /* plain mode: the epoch next_report belongs to */
} nd_progress_display;

void nd_progress_init(nd_progress_display *display);

/* nd_train_progress_fn: draws the bar or prints a line. */
void nd_progress_update(const nd_train_progress *progress, void *display);

/* Ends a visible bar with a newline, so log lines start on their own line. */
void nd_progress_clear(nd_progress_display *display);

#endif
