#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

void nd_progress_init(nd_progress_display *display) {
    display->terminal = isatty(fileno(stderr));
    display->bar_visible = 0;
    display->next_report = 0;
    display->epoch = 0;
}

static void format_duration(double seconds, char *text, size_t size) {
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(text, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(text, size, "%ld:%02ld", s / 60, s % 60);
}

void nd_progress_update(const nd_train_progress *p, void *data) {
    nd_progress_display *d = data;
    char left[32];
    double per_step = p->step > 0 ? p->seconds / (double)p->step : 0;
    format_duration(per_step * (double)(p->steps - p->step), left, sizeof left);

    if (d->terminal) {
        /* Bar of 24 cells, redrawn on the same line. */
        enum { cells = 24 };
        char bar[cells + 1];
        int filled = (int)(cells * p->step / (p->steps > 0 ? p->steps : 1));
        for (int i = 0; i < cells; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[cells] = '\0';
        fprintf(stderr, "\repoch %d/%d [%s] %ld/%ld  loss %.4f  lr %.3g  %.1f clips/s  "
                        "left %s ",
                p->epoch, p->epochs, bar, p->step, p->steps, p->loss, p->lr,
                p->clips_per_s, left);
        fflush(stderr);
        d->bar_visible = 1;
        if (p->step == p->steps)
            nd_progress_clear(d);
        return;
    }

    /* Plain lines at every tenth of the epoch and at its end. */
    if (d->epoch != p->epoch) {
        d->epoch = p->epoch;
        d->next_report = 0;
    }
    if (p->step < d->next_report && p->step != p->steps)
        return;
    long tenth = p->steps / 10 > 0 ? p->steps / 10 : 1;
    d->next_report = (p->step / tenth + 1) * tenth;
    fprintf(stderr, "epoch %d/%d step %ld/%ld  loss %.4f  lr %.3g  %.1f clips/s  left %s\n",
            p->epoch, p->epochs, p->step, p->steps, p->loss, p->lr, p->clips_per_s, left);
}

void nd_progress_clear(nd_progress_display *display) {
    if (display->bar_visible) {
        fputc('\n', stderr);
        display->bar_visible = 0;
    }
}
