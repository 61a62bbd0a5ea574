/* Learning-rate schedules, as a function of the position in training so
 * that a resumed run gets the same rates as an uninterrupted one.
 *
 * step:   base * gamma ^ floor(epoch / step_epochs), changed once per epoch
 *         (PyTorch StepLR stepped after each epoch).
 * cosine: base * (1 + cos(pi * epoch / epochs)) / 2, changed once per epoch
 *         (PyTorch CosineAnnealingLR with T_max = epochs and eta_min = 0).
 * Warmup, when warmup_epochs > 0, scales the rate of the first
 * warmup_epochs * steps_per_epoch optimizer steps by (step + 1) / warmup steps
 * and the cosine then runs over the remaining epochs. */
#ifndef ND_TRAIN_SCHEDULE_H
#define ND_TRAIN_SCHEDULE_H

typedef enum nd_schedule_kind { ND_SCHEDULE_STEP, ND_SCHEDULE_COSINE } nd_schedule_kind;

typedef struct nd_schedule {
    nd_schedule_kind kind;
    double base_lr;
    int step_epochs; /* step: epochs between decays (7) */
    double gamma;    /* step: decay factor (0.5) */
    int warmup_epochs;
    int epochs;          /* cosine: length of the run in epochs */
    long steps_per_epoch; /* optimizer steps in one epoch, for the warmup */
} nd_schedule;

/* Parses "step" or "cosine"; -1 on another name. */
int nd_schedule_parse_kind(const char *name, nd_schedule_kind *kind);
const char *nd_schedule_kind_name(nd_schedule_kind kind);

/* Checks the settings; -1 with a message naming the invalid one. */
int nd_schedule_validate(const nd_schedule *schedule);

/* Returns the learning rate of optimizer step step_in_epoch of epoch
 * (both counted from 0). */
double nd_schedule_lr(const nd_schedule *schedule, int epoch, long step_in_epoch);

#endif
