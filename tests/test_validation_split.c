/* nd_dataset_validation_split: stratified hold-out per class, deterministic
 * by seed, every clip in exactly one part. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

static int failures = 0;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                  \
            printf(__VA_ARGS__);                                                         \
            printf("\n");                                                                \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

/* DFEW's happy, sad, neutral and angry totals divided by 10, then classes
 * of 1, 15 and 0 clips. */
static const int class_sizes[] = {245, 189, 267, 217, 1, 15, 0};
#define NUM_CLASSES 7

static nd_split make_split(void) {
    nd_split s = {0};
    for (int c = 0; c < NUM_CLASSES; c++)
        s.count += class_sizes[c];
    s.clips = calloc((size_t)s.count, sizeof *s.clips);
    /* Interleave the classes so that held-out indices are not contiguous. */
    int left[NUM_CLASSES], i = 0;
    memcpy(left, class_sizes, sizeof left);
    while (i < s.count)
        for (int c = 0; c < NUM_CLASSES; c++)
            if (left[c]-- > 0)
                s.clips[i++].label = c;
    return s;
}

static void check_split(const nd_split *s, double fraction, unsigned seed) {
    int *train, *val, nt, nv;
    int rc = nd_dataset_validation_split(s, NUM_CLASSES, fraction, seed, &train, &nt,
                                         &val, &nv);
    CHECK(rc == 0, "fraction %g failed", fraction);
    if (rc != 0)
        return;
    CHECK(nt + nv == s->count, "train %d + val %d != %d clips", nt, nv, s->count);

    /* Every clip exactly once, both lists sorted. */
    int *seen = calloc((size_t)s->count, sizeof *seen);
    for (int i = 0; i < nt; i++) {
        seen[train[i]]++;
        CHECK(i == 0 || train[i] > train[i - 1], "train list not sorted at %d", i);
    }
    for (int i = 0; i < nv; i++) {
        seen[val[i]]++;
        CHECK(i == 0 || val[i] > val[i - 1], "validation list not sorted at %d", i);
    }
    for (int i = 0; i < s->count; i++)
        CHECK(seen[i] == 1, "clip %d appears %d times", i, seen[i]);
    free(seen);

    /* Per class: round(fraction * n), at least 1 when n >= 2, never all. */
    for (int c = 0; c < NUM_CLASSES; c++) {
        int held = 0, n = class_sizes[c];
        for (int i = 0; i < nv; i++)
            held += s->clips[val[i]].label == c;
        int want = (int)lround(fraction * n);
        if (fraction > 0 && want == 0 && n >= 2)
            want = 1;
        if (want >= n && n >= 1)
            want = n - 1;
        if (fraction == 0)
            want = 0;
        CHECK(held == want, "fraction %g class %d of %d clips: %d held out, expected %d",
              fraction, c, n, held, want);
    }
    free(train);
    free(val);
}

int main(void) {
    nd_split s = make_split();
    check_split(&s, 0.1, 1);
    check_split(&s, 0.25, 7);
    check_split(&s, 0.0, 1);
    check_split(&s, 0.6, 3);

    /* Same seed, same split; another seed, another split. */
    int *t1, *v1, *t2, *v2, *t3, *v3, n1, m1, n2, m2, n3, m3;
    nd_dataset_validation_split(&s, NUM_CLASSES, 0.1, 42, &t1, &n1, &v1, &m1);
    nd_dataset_validation_split(&s, NUM_CLASSES, 0.1, 42, &t2, &n2, &v2, &m2);
    nd_dataset_validation_split(&s, NUM_CLASSES, 0.1, 43, &t3, &n3, &v3, &m3);
    CHECK(m1 == m2, "seed 42 twice: %d and %d held out", m1, m2);
    CHECK(m1 == m3, "seeds 42 and 43: %d and %d held out", m1, m3);
    if (m1 == m2 && m1 == m3) {
        CHECK(!memcmp(v1, v2, sizeof *v1 * (size_t)m1),
              "seed 42 twice holds out other clips");
        CHECK(memcmp(v1, v3, sizeof *v1 * (size_t)m1) != 0,
              "seeds 42 and 43 hold out the same clips");
    }
    free(t1), free(v1), free(t2), free(v2), free(t3), free(v3);

    /* Invalid fractions fail. */
    int *t, *v, nt, nv;
    CHECK(nd_dataset_validation_split(&s, NUM_CLASSES, 1.0, 1, &t, &nt, &v, &nv) == -1,
          "fraction 1 accepted");
    CHECK(nd_dataset_validation_split(&s, NUM_CLASSES, -0.1, 1, &t, &nt, &v, &nv) == -1,
          "fraction -0.1 accepted");
    free(s.clips);
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
