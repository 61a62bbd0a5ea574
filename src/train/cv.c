#include "train/cv.h"

#include <math.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/fs.h"

int nd_mean_std(const double *values, int count, double *mean, double *std) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(values[i])) {
            sum += values[i];
            n++;
        }
    *mean = n > 0 ? sum / n : NAN;
    double sq = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(values[i]))
            sq += (values[i] - *mean) * (values[i] - *mean);
    *std = n > 1 ? sqrt(sq / (n - 1)) : (n == 1 ? 0 : NAN);
    return n;
}

/* Mean and standard deviation of test UAR (which = 0) or WAR (which = 1). */
static void summary(const nd_fold_result *folds, int count, int which, double *mean,
                    double *std) {
    double *values = nd_malloc(sizeof *values * ((size_t)count + 1));
    for (int i = 0; i < count; i++)
        values[i] = which == 0 ? folds[i].test_uar : folds[i].test_war;
    nd_mean_std(values, count, mean, std);
    free(values);
}

void nd_cv_write_text(FILE *out, const nd_fold_result *folds, int count) {
    double uar_mean, uar_std, war_mean, war_std;
    summary(folds, count, 0, &uar_mean, &uar_std);
    summary(folds, count, 1, &war_mean, &war_std);
    fprintf(out, "%-6s %10s %10s %10s %10s\n", "fold", "best epoch", "val UAR", "test UAR",
            "test WAR");
    for (int i = 0; i < count; i++)
        fprintf(out, "%-6d %10d %9.2f%% %9.2f%% %9.2f%%\n", folds[i].fold,
                folds[i].best_epoch, 100 * folds[i].val_uar, 100 * folds[i].test_uar,
                100 * folds[i].test_war);
    fprintf(out, "%-6s %10s %10s %5.2f+-%-4.2f %5.2f+-%-4.2f\n", "mean", "", "",
            100 * uar_mean, 100 * uar_std, 100 * war_mean, 100 * war_std);
}

int nd_cv_write_files(const char *dir, const nd_fold_result *folds, int count) {
    double uar_mean, uar_std, war_mean, war_std;
    summary(folds, count, 0, &uar_mean, &uar_std);
    summary(folds, count, 1, &war_mean, &war_std);

    /* Markdown, percentages. */
    char *path = nd_path_join(dir, "cv.md");
    nd_atomic_file f;
    int rc = nd_atomic_open(&f, path);
    free(path);
    if (rc != 0)
        return -1;
    fprintf(f.fp, "| fold | best epoch | val UAR (%%) | test UAR (%%) | test WAR (%%) |\n");
    fprintf(f.fp, "|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < count; i++)
        fprintf(f.fp, "| %d | %d | %.2f | %.2f | %.2f |\n", folds[i].fold,
                folds[i].best_epoch, 100 * folds[i].val_uar, 100 * folds[i].test_uar,
                100 * folds[i].test_war);
    fprintf(f.fp, "| mean +- std | | | %.2f +- %.2f | %.2f +- %.2f |\n", 100 * uar_mean,
            100 * uar_std, 100 * war_mean, 100 * war_std);
    if (nd_atomic_commit(&f) != 0)
        return -1;

    /* CSV, fractions. */
    path = nd_path_join(dir, "cv.csv");
    rc = nd_atomic_open(&f, path);
    free(path);
    if (rc != 0)
        return -1;
    fprintf(f.fp, "fold,best_epoch,val_uar,test_uar,test_war\n");
    for (int i = 0; i < count; i++)
        fprintf(f.fp, "%d,%d,%.6f,%.6f,%.6f\n", folds[i].fold, folds[i].best_epoch,
                folds[i].val_uar, folds[i].test_uar, folds[i].test_war);
    fprintf(f.fp, "mean,,,%.6f,%.6f\nstd,,,%.6f,%.6f\n", uar_mean, war_mean, uar_std,
            war_std);
    return nd_atomic_commit(&f);
}
