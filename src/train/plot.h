/* PNG figures drawn with cairo: the confusion matrix of an evaluation and the
 * training curves of a run. Both files are written atomically. */
#ifndef ND_TRAIN_PLOT_H
#define ND_TRAIN_PLOT_H

#include "nrdfer.h"
#include "train/metrics.h"
#include "train/rundir.h"

/* Draws the confusion matrix with class names on both axes, the count of
 * each cell, cells shaded by row-normalised recall, and a title line (for
 * example the data set and its UAR/WAR). */
int nd_plot_confusion(const char *path, const nd_confusion *confusion,
                      const char (*labels)[NRDFER_LABEL_LEN], const char *title);

/* Draws two panels over epochs: mean training loss, and UAR and WAR of the
 * train, validation and test sets (series that hold only NAN are skipped). */
int nd_plot_curves(const char *path, const nd_epoch_record *records, int count,
                   const char *title);

#endif
