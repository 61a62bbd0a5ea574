/* Output of predict: JSON for all inputs, CSV with one row per window, and
 * a readable summary. Probabilities are in label order, after the snippet
 * filter; a window without a face has null label and probabilities. */
#ifndef ND_VIDEO_REPORT_H
#define ND_VIDEO_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "nrdfer.h"
#include "video/predict.h"

/* One input's outcome: its result, or the error that stopped it. */
typedef struct nd_report_item {
    const char *input;
    const char *error;            /* NULL on success */
    const nd_predict_result *result;
} nd_report_item;

/* Builds {"labels": [...], "results": [{"input", "duration", "fps", "frames",
 * "label", "probs", "neutral_suppressed", "windows": [...]}]}; an input that
 * failed has "error" and no other fields but "input". */
cJSON *nd_report_json(const nd_report_item *items, int count, const nrdfer_config *config);

/* Writes the CSV header and one row per window of every successful input:
 * input,start_time,end_time,face_found,box_x,box_y,box_w,box_h,label,
 * neutral_suppressed,p_<label>... (empty cells where there is no face). */
void nd_report_csv(FILE *fp, const nd_report_item *items, int count,
                   const nrdfer_config *config);

/* Prints one paragraph per input: the video label, then one line per window. */
void nd_report_summary(FILE *fp, const nd_report_item *items, int count,
                       const nrdfer_config *config);

#endif
