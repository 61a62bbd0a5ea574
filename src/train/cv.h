/* Cross-validation summary: per-fold UAR/WAR of the selected epochs and
 * their mean and sample standard deviation, as text, Markdown and CSV. */
#ifndef ND_TRAIN_CV_H
#define ND_TRAIN_CV_H

#include <stdio.h>

typedef struct nd_fold_result {
    int fold;
    int best_epoch;  /* epoch selected by validation UAR */
    double val_uar;  /* NAN without a validation split */
    double test_uar, test_war;
} nd_fold_result;

/* Writes the table as aligned text. */
void nd_cv_write_text(FILE *out, const nd_fold_result *folds, int count);

/* Writes dir/cv.md (Markdown table) and dir/cv.csv, atomically. */
int nd_cv_write_files(const char *dir, const nd_fold_result *folds, int count);

/* Mean and sample standard deviation (n - 1; 0 for one value) of the finite
 * values among count. Returns the number of finite values. */
int nd_mean_std(const double *values, int count, double *mean, double *std);

#endif
