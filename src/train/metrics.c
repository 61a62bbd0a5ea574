#include "train/metrics.h"

#include <string.h>

#include "util/error.h"

void nd_confusion_init(nd_confusion *confusion, int num_classes) {
    ND_ASSERT(num_classes > 0 && num_classes <= NRDFER_MAX_CLASSES);
    memset(confusion, 0, sizeof *confusion);
    confusion->num_classes = num_classes;
}

int nd_confusion_add(nd_confusion *confusion, int truth, int predicted) {
    int k = confusion->num_classes;
    if (truth < 0 || truth >= k || predicted < 0 || predicted >= k)
        return nd_fail("label pair (true %d, predicted %d) is outside the %d classes",
                       truth, predicted, k);
    confusion->counts[truth][predicted]++;
    return 0;
}

int nd_metrics_compute(const nd_confusion *confusion, nd_metrics *metrics) {
    int k = confusion->num_classes;
    long predicted[NRDFER_MAX_CLASSES] = {0};
    long correct = 0;

    memset(metrics, 0, sizeof *metrics);
    metrics->num_classes = k;

    /* Row sums are the support, column sums the predictions. */
    for (int t = 0; t < k; t++) {
        for (int p = 0; p < k; p++) {
            metrics->support[t] += confusion->counts[t][p];
            predicted[p] += confusion->counts[t][p];
        }
        correct += confusion->counts[t][t];
        metrics->clips += metrics->support[t];
    }
    if (metrics->clips == 0)
        return nd_fail("no clips were evaluated, so UAR and WAR are undefined");

    /* Per-class recall, precision and F1 (F1 = 0 when precision + recall = 0). */
    double recall_sum = 0, f1_sum = 0;
    int f1_classes = 0;
    for (int c = 0; c < k; c++) {
        long tp = confusion->counts[c][c];
        metrics->present[c] = metrics->support[c] > 0;
        if (metrics->present[c]) {
            metrics->recall[c] = (double)tp / (double)metrics->support[c];
            recall_sum += metrics->recall[c];
            metrics->num_present++;
        }
        if (predicted[c] > 0)
            metrics->precision[c] = (double)tp / (double)predicted[c];
        double pr = metrics->precision[c] + metrics->recall[c];
        metrics->f1[c] = pr > 0 ? 2 * metrics->precision[c] * metrics->recall[c] / pr : 0;
        if (metrics->present[c] || predicted[c] > 0) {
            f1_sum += metrics->f1[c];
            f1_classes++;
        }
    }

    metrics->war = (double)correct / (double)metrics->clips;
    metrics->uar = recall_sum / metrics->num_present;
    metrics->macro_f1 = f1_sum / f1_classes;
    return 0;
}

cJSON *nd_metrics_to_json(const nd_metrics *metrics, const nd_confusion *confusion,
                          const char (*labels)[NRDFER_LABEL_LEN]) {
    int k = metrics->num_classes;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "uar", metrics->uar);
    cJSON_AddNumberToObject(root, "war", metrics->war);

    cJSON *recall = cJSON_AddObjectToObject(root, "per_class_recall");
    for (int c = 0; c < k; c++) {
        if (metrics->present[c])
            cJSON_AddNumberToObject(recall, labels[c], metrics->recall[c]);
        else
            cJSON_AddNullToObject(recall, labels[c]);
    }
    cJSON_AddNumberToObject(root, "macro_f1", metrics->macro_f1);

    cJSON *rows = cJSON_AddArrayToObject(root, "confusion");
    for (int t = 0; t < k; t++) {
        cJSON *row = cJSON_CreateArray();
        for (int p = 0; p < k; p++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)confusion->counts[t][p]));
        cJSON_AddItemToArray(rows, row);
    }
    cJSON_AddNumberToObject(root, "clips", (double)metrics->clips);
    return root;
}

void nd_metrics_write_text(FILE *out, const nd_metrics *metrics,
                           const nd_confusion *confusion,
                           const char (*labels)[NRDFER_LABEL_LEN]) {
    int k = metrics->num_classes;
    fprintf(out, "clips     %ld\n", metrics->clips);
    fprintf(out, "UAR       %.2f %%  (mean recall over %d classes present)\n",
            100 * metrics->uar, metrics->num_present);
    fprintf(out, "WAR       %.2f %%\n", 100 * metrics->war);
    fprintf(out, "macro-F1  %.2f %%\n", 100 * metrics->macro_f1);
    for (int c = 0; c < k; c++)
        if (!metrics->present[c])
            fprintf(out, "note: class '%s' has no clips in this set and is left out of UAR\n",
                    labels[c]);

    /* Per-class table. */
    fprintf(out, "\n%-12s %8s %9s %9s %9s\n", "class", "clips", "recall", "precision",
            "F1");
    for (int c = 0; c < k; c++) {
        if (metrics->present[c])
            fprintf(out, "%-12s %8ld %8.2f%% %8.2f%% %8.2f%%\n", labels[c],
                    metrics->support[c], 100 * metrics->recall[c],
                    100 * metrics->precision[c], 100 * metrics->f1[c]);
        else
            fprintf(out, "%-12s %8ld %9s %8.2f%% %8.2f%%\n", labels[c], metrics->support[c],
                    "absent", 100 * metrics->precision[c], 100 * metrics->f1[c]);
    }

    /* Confusion matrix: rows are true classes, columns predicted ones. */
    fprintf(out, "\nconfusion (rows: true, columns: predicted)\n%-12s", "");
    for (int p = 0; p < k; p++)
        fprintf(out, " %8.8s", labels[p]);
    fprintf(out, "\n");
    for (int t = 0; t < k; t++) {
        fprintf(out, "%-12s", labels[t]);
        for (int p = 0; p < k; p++)
            fprintf(out, " %8ld", confusion->counts[t][p]);
        fprintf(out, "\n");
    }
}
