#include "video/report.h"

#include <math.h>
#include <string.h>

static cJSON *probs_json(const float *probs, int label, int num_classes) {
    if (label < 0)
        return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    for (int c = 0; c < num_classes; c++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(probs[c]));
    return a;
}

static cJSON *label_json(int label, const nrdfer_config *config) {
    return label < 0 ? cJSON_CreateNull() : cJSON_CreateString(config->labels[label]);
}

cJSON *nd_report_json(const nd_report_item *items, int count, const nrdfer_config *config) {
    cJSON *root = cJSON_CreateObject();
    cJSON *labels = cJSON_AddArrayToObject(root, "labels");
    for (int c = 0; c < config->num_classes; c++)
        cJSON_AddItemToArray(labels, cJSON_CreateString(config->labels[c]));

    cJSON *results = cJSON_AddArrayToObject(root, "results");
    for (int i = 0; i < count; i++) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddItemToArray(results, item);
        cJSON_AddStringToObject(item, "input", items[i].input);
        if (items[i].error) {
            cJSON_AddStringToObject(item, "error", items[i].error);
            continue;
        }
        const nd_predict_result *r = items[i].result;
        cJSON_AddNumberToObject(item, "duration", r->duration);
        cJSON_AddNumberToObject(item, "fps", r->fps);
        cJSON_AddNumberToObject(item, "frames", r->frames);
        cJSON_AddItemToObject(item, "label", label_json(r->label, config));
        cJSON_AddItemToObject(item, "probs", probs_json(r->probs, r->label, config->num_classes));
        cJSON_AddBoolToObject(item, "neutral_suppressed", r->neutral_suppressed);

        cJSON *windows = cJSON_AddArrayToObject(item, "windows");
        for (int w = 0; w < r->num_windows; w++) {
            const nd_window_result *wr = &r->windows[w];
            cJSON *wj = cJSON_CreateObject();
            cJSON_AddItemToArray(windows, wj);
            cJSON_AddNumberToObject(wj, "start_time", wr->start);
            cJSON_AddNumberToObject(wj, "end_time", wr->end);
            cJSON_AddBoolToObject(wj, "face_found", wr->face_found);
            if (wr->face_found && wr->box.w > 0) {
                cJSON *box = cJSON_AddArrayToObject(wj, "box");
                cJSON_AddItemToArray(box, cJSON_CreateNumber(round(wr->box.x * 10) / 10));
                cJSON_AddItemToArray(box, cJSON_CreateNumber(round(wr->box.y * 10) / 10));
                cJSON_AddItemToArray(box, cJSON_CreateNumber(round(wr->box.w * 10) / 10));
                cJSON_AddItemToArray(box, cJSON_CreateNumber(round(wr->box.h * 10) / 10));
            } else {
                cJSON_AddNullToObject(wj, "box");
            }
            cJSON_AddItemToObject(wj, "label", label_json(wr->label, config));
            cJSON_AddItemToObject(wj, "probs",
                                  probs_json(wr->probs, wr->label, config->num_classes));
            cJSON_AddBoolToObject(wj, "neutral_suppressed", wr->neutral_suppressed);
        }
    }
    return root;
}

/* Quotes a CSV field when it contains a comma, quote or line break. */
static void csv_field(FILE *fp, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

void nd_report_csv(FILE *fp, const nd_report_item *items, int count,
                   const nrdfer_config *config) {
    fputs("input,start_time,end_time,face_found,box_x,box_y,box_w,box_h,label,"
          "neutral_suppressed",
          fp);
    for (int c = 0; c < config->num_classes; c++)
        fprintf(fp, ",p_%s", config->labels[c]);
    fputc('\n', fp);

    for (int i = 0; i < count; i++) {
        if (items[i].error)
            continue;
        const nd_predict_result *r = items[i].result;
        for (int w = 0; w < r->num_windows; w++) {
            const nd_window_result *wr = &r->windows[w];
            csv_field(fp, items[i].input);
            fprintf(fp, ",%.3f,%.3f,%d", wr->start, wr->end, wr->face_found);
            if (wr->face_found && wr->box.w > 0)
                fprintf(fp, ",%.1f,%.1f,%.1f,%.1f", wr->box.x, wr->box.y, wr->box.w,
                        wr->box.h);
            else
                fputs(",,,,", fp);
            if (wr->label >= 0) {
                fprintf(fp, ",%s,%d", config->labels[wr->label], wr->neutral_suppressed);
                for (int c = 0; c < config->num_classes; c++)
                    fprintf(fp, ",%.6f", wr->probs[c]);
            } else {
                fputs(",,0", fp);
                for (int c = 0; c < config->num_classes; c++)
                    fputc(',', fp);
            }
            fputc('\n', fp);
        }
    }
}

void nd_report_summary(FILE *fp, const nd_report_item *items, int count,
                       const nrdfer_config *config) {
    for (int i = 0; i < count; i++) {
        fprintf(fp, "%s\n", items[i].input);
        if (items[i].error) {
            fprintf(fp, "  error: %s\n", items[i].error);
            continue;
        }
        const nd_predict_result *r = items[i].result;
        fprintf(fp, "  %.2f s, %d frames at %.2f fps\n", r->duration, r->frames, r->fps);
        if (r->label >= 0)
            fprintf(fp, "  expression: %s (%.1f %%)%s\n", config->labels[r->label],
                    100.0 * r->probs[r->label],
                    r->neutral_suppressed ? ", neutral suppressed by the snippet filter" : "");
        else
            fprintf(fp, "  expression: none (no face found)\n");
        for (int w = 0; w < r->num_windows; w++) {
            const nd_window_result *wr = &r->windows[w];
            fprintf(fp, "  %7.2f - %7.2f s  ", wr->start, wr->end);
            if (wr->label < 0) {
                fprintf(fp, "no face\n");
                continue;
            }
            fprintf(fp, "%-9s %5.1f %%", config->labels[wr->label],
                    100.0 * wr->probs[wr->label]);
            if (wr->box.w > 0)
                fprintf(fp, "  face at %.0f,%.0f size %.0f x %.0f", wr->box.x, wr->box.y,
                        wr->box.w, wr->box.h);
            fputc('\n', fp);
        }
    }
}
