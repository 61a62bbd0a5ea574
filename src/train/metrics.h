/* Classification metrics of dynamic FER: confusion matrix, WAR (accuracy
 * over clips), UAR (mean recall over the classes present in the ground
 * truth), per-class recall, precision and F1, and macro-F1. */
#ifndef ND_TRAIN_METRICS_H
#define ND_TRAIN_METRICS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "nrdfer.h"

/* Counts of clips by true class (row) and predicted class (column). */
typedef struct nd_confusion {
    int num_classes;
    long counts[NRDFER_MAX_CLASSES][NRDFER_MAX_CLASSES];
} nd_confusion;

typedef struct nd_metrics {
    int num_classes;
    long clips;
    double war;      /* correct clips / clips */
    double uar;      /* mean recall over present classes */
    double macro_f1; /* mean F1 over classes in the ground truth or the predictions */
    int present[NRDFER_MAX_CLASSES]; /* 1 when the class has ground-truth clips */
    int num_present;
    long support[NRDFER_MAX_CLASSES]; /* ground-truth clips per class */
    double recall[NRDFER_MAX_CLASSES];    /* 0 for an absent class */
    double precision[NRDFER_MAX_CLASSES]; /* 0 when the class is never predicted */
    double f1[NRDFER_MAX_CLASSES];
} nd_metrics;

void nd_confusion_init(nd_confusion *confusion, int num_classes);

/* Counts one clip. Returns -1 when a label is outside [0, num_classes). */
int nd_confusion_add(nd_confusion *confusion, int truth, int predicted);

/* Computes the metrics of a confusion matrix. A class without ground-truth
 * clips is left out of UAR (present[c] = 0) instead of counting as a recall
 * of 0 or NaN. Returns -1 when the matrix contains no clips. */
int nd_metrics_compute(const nd_confusion *confusion, nd_metrics *metrics);

/* Builds {"uar", "war", "per_class_recall": {label: recall or null when
 * absent}, "macro_f1", "confusion": [[...]], "clips"}. */
cJSON *nd_metrics_to_json(const nd_metrics *metrics, const nd_confusion *confusion,
                          const char (*labels)[NRDFER_LABEL_LEN]);

/* Writes a readable report: UAR, WAR, macro-F1, a per-class table and the
 * confusion matrix, naming the classes left out of UAR. */
void nd_metrics_write_text(FILE *out, const nd_metrics *metrics,
                           const nd_confusion *confusion,
                           const char (*labels)[NRDFER_LABEL_LEN]);

#endif
