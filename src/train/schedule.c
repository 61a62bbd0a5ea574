#include "train/schedule.h"

#include <math.h>
#include <string.h>

#include "util/error.h"

int nd_schedule_parse_kind(const char *name, nd_schedule_kind *kind) {
    if (!strcmp(name, "step"))
        *kind = ND_SCHEDULE_STEP;
    else if (!strcmp(name, "cosine"))
        *kind = ND_SCHEDULE_COSINE;
    else
        return nd_fail("unknown schedule '%s': use step or cosine", name);
    return 0;
}

const char *nd_schedule_kind_name(nd_schedule_kind kind) {
    return kind == ND_SCHEDULE_COSINE ? "cosine" : "step";
}

int nd_schedule_validate(const nd_schedule *s) {
    if (!(s->base_lr > 0) || !isfinite(s->base_lr))
        return nd_fail("learning rate %g is invalid: use a positive finite number", s->base_lr);
    if (s->kind == ND_SCHEDULE_STEP && s->step_epochs < 1)
        return nd_fail("--lr-step %d is invalid: use 1 or more epochs", s->step_epochs);
    if (s->kind == ND_SCHEDULE_STEP && !(s->gamma > 0 && s->gamma <= 1))
        return nd_fail("--lr-gamma %g is invalid: use a factor in (0, 1]", s->gamma);
    if (s->warmup_epochs < 0)
        return nd_fail("--warmup %d is invalid: use 0 or more epochs", s->warmup_epochs);
    if (s->epochs < 1)
        return nd_fail("epoch count %d is invalid: use 1 or more", s->epochs);
    if (s->kind == ND_SCHEDULE_COSINE && s->warmup_epochs >= s->epochs)
        return nd_fail("--warmup %d leaves no epoch for the cosine schedule of %d epochs",
                       s->warmup_epochs, s->epochs);
    if (s->steps_per_epoch < 1)
        return nd_fail("an epoch has no optimizer step: lower --batch or add clips");
    return 0;
}

double nd_schedule_lr(const nd_schedule *s, int epoch, long step_in_epoch) {
    double lr;

    /* Per-epoch rate. */
    if (s->kind == ND_SCHEDULE_STEP) {
        lr = s->base_lr * pow(s->gamma, epoch / s->step_epochs);
    } else {
        int span = s->epochs - s->warmup_epochs;
        int e = epoch - s->warmup_epochs;
        if (e < 0)
            e = 0;
        lr = s->base_lr * 0.5 * (1 + cos(M_PI * e / span));
    }

    /* Linear warmup over the first optimizer steps. */
    long warmup_steps = (long)s->warmup_epochs * s->steps_per_epoch;
    long step = (long)epoch * s->steps_per_epoch + step_in_epoch;
    if (step < warmup_steps)
        lr *= (double)(step + 1) / (double)warmup_steps;
    return lr;
}
