/* Metrics on hand-made confusion matrices, expected values worked out by
 * hand from the definitions (recall = diagonal / row sum, precision =
 * diagonal / column sum, F1 = 2PR / (P + R)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/metrics.h"
#include "util/error.h"

static int failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

#define CHECK_CLOSE(a, b)                                                                \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!(fabs(a_ - b_) <= 1e-12)) {                                                 \
            fprintf(stderr, "%s:%d: %s = %.15g, expected %.15g\n", __FILE__, __LINE__,   \
                    #a, a_, b_);                                                         \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

static const char labels[7][NRDFER_LABEL_LEN] = {"happy", "sad",     "neutral", "angry",
                                                 "surprise", "disgust", "fear"};

static void fill(nd_confusion *c, int k, const long *counts) {
    nd_confusion_init(c, k);
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++)
            for (long n = 0; n < counts[t * k + p]; n++)
                CHECK(nd_confusion_add(c, t, p) == 0);
}

/* Rows: true class; columns: predicted class. */
static void test_three_classes(void) {
    const long counts[9] = {5, 0, 0, 2, 3, 0, 1, 1, 1};
    nd_confusion c;
    nd_metrics m;
    fill(&c, 3, counts);
    CHECK(nd_metrics_compute(&c, &m) == 0);

    CHECK(m.clips == 13);
    CHECK(m.num_present == 3);
    CHECK_CLOSE(m.war, 9.0 / 13.0);
    CHECK_CLOSE(m.recall[0], 1.0);
    CHECK_CLOSE(m.recall[1], 3.0 / 5.0);
    CHECK_CLOSE(m.recall[2], 1.0 / 3.0);
    CHECK_CLOSE(m.uar, (1.0 + 0.6 + 1.0 / 3.0) / 3.0);
    CHECK_CLOSE(m.precision[0], 5.0 / 8.0);
    CHECK_CLOSE(m.precision[1], 3.0 / 4.0);
    CHECK_CLOSE(m.precision[2], 1.0);
    CHECK_CLOSE(m.f1[0], 10.0 / 13.0);
    CHECK_CLOSE(m.f1[1], 2.0 / 3.0);
    CHECK_CLOSE(m.f1[2], 0.5);
    CHECK_CLOSE(m.macro_f1, (10.0 / 13.0 + 2.0 / 3.0 + 0.5) / 3.0);
}

/* DFEW-like: disgust has no test clip, so UAR averages the other six;
 * fear is never predicted correctly, so its recall and F1 are 0. */
static void test_absent_class(void) {
    long counts[49] = {0};
    counts[0 * 7 + 0] = 4;             /* happy: 4 of 4 */
    counts[1 * 7 + 1] = 1;             /* sad: 1 of 2 */
    counts[1 * 7 + 2] = 1;
    counts[2 * 7 + 2] = 3;             /* neutral: 3 of 3 */
    counts[3 * 7 + 3] = 2;             /* angry: 2 of 2 */
    counts[4 * 7 + 4] = 1;             /* surprise: 1 of 1 */
    counts[6 * 7 + 0] = 2;             /* fear: 0 of 2 */
    nd_confusion c;
    nd_metrics m;
    fill(&c, 7, counts);
    CHECK(nd_metrics_compute(&c, &m) == 0);

    CHECK(m.present[5] == 0);
    CHECK(m.support[5] == 0);
    CHECK(m.num_present == 6);
    CHECK(!isnan(m.uar));
    CHECK_CLOSE(m.uar, (1 + 0.5 + 1 + 1 + 1 + 0) / 6.0);
    CHECK_CLOSE(m.war, 11.0 / 14.0);
    CHECK_CLOSE(m.recall[6], 0.0);
    CHECK_CLOSE(m.f1[6], 0.0);
    /* Disgust is neither present nor predicted: out of macro-F1 too. */
    CHECK_CLOSE(m.precision[0], 4.0 / 6.0);
    CHECK_CLOSE(m.precision[2], 3.0 / 4.0);
    double f1_happy = 2 * (4.0 / 6.0) / (4.0 / 6.0 + 1);
    double f1_sad = 2 * 1.0 * 0.5 / 1.5;
    double f1_neutral = 2 * 0.75 / 1.75;
    CHECK_CLOSE(m.macro_f1, (f1_happy + f1_sad + f1_neutral + 1 + 1 + 0) / 6.0);

    /* JSON: null recall for the absent class, the matrix, the clip count. */
    cJSON *json = nd_metrics_to_json(&m, &c, labels);
    const cJSON *recall = cJSON_GetObjectItemCaseSensitive(json, "per_class_recall");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(recall, "disgust")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(recall, "fear")));
    CHECK_CLOSE(cJSON_GetObjectItemCaseSensitive(json, "uar")->valuedouble, m.uar);
    CHECK_CLOSE(cJSON_GetObjectItemCaseSensitive(json, "clips")->valuedouble, 14);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "confusion");
    CHECK(cJSON_GetArraySize(rows) == 7);
    CHECK(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, 6), 0)->valueint == 2);
    char *text = cJSON_PrintUnformatted(json);
    CHECK(strstr(text, "nan") == NULL);
    free(text);
    cJSON_Delete(json);

    /* The text report names the class left out of UAR. */
    char *report = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&report, &size);
    nd_metrics_write_text(out, &m, &c, labels);
    fclose(out);
    CHECK(strstr(report, "'disgust' has no clips") != NULL);
    CHECK(strstr(report, "nan") == NULL);
    free(report);
}

/* A class absent from the ground truth but predicted: out of UAR, in
 * macro-F1 with F1 = 0. */
static void test_predicted_absent_class(void) {
    const long counts[9] = {2, 0, 1, 0, 2, 0, 0, 0, 0};
    nd_confusion c;
    nd_metrics m;
    fill(&c, 3, counts);
    CHECK(nd_metrics_compute(&c, &m) == 0);
    CHECK(m.num_present == 2);
    CHECK_CLOSE(m.uar, (2.0 / 3.0 + 1.0) / 2.0);
    CHECK_CLOSE(m.f1[2], 0.0);
    CHECK_CLOSE(m.macro_f1, (0.8 + 1.0 + 0.0) / 3.0);
}

static void test_invalid_input(void) {
    nd_confusion c;
    nd_metrics m;
    nd_confusion_init(&c, 7);
    CHECK(nd_metrics_compute(&c, &m) == -1);
    CHECK(strstr(nd_last_error(), "no clips") != NULL);
    CHECK(nd_confusion_add(&c, 7, 0) == -1);
    CHECK(nd_confusion_add(&c, 0, -1) == -1);
    CHECK(c.counts[0][0] == 0);
}

int main(void) {
    test_three_classes();
    test_absent_class();
    test_predicted_absent_class();
    test_invalid_input();
    if (failures)
        fprintf(stderr, "test_metrics: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
