/* Timeline plot of predict: each class probability of every window against
 * the window's middle time, drawn with cairo into a PNG (axes in seconds,
 * one coloured line per class and a legend). Windows without a face leave
 * a gap in the lines. */
#ifndef ND_VIDEO_TIMELINE_H
#define ND_VIDEO_TIMELINE_H

#include "nrdfer.h"
#include "video/predict.h"

/* Writes the plot of result to path (atomically). Returns 0 or -1. */
int nd_timeline_write(const char *path, const nd_predict_result *result,
                      const nrdfer_config *config, const char *title);

/* RGB colour of class c, shared with the annotated video. */
void nd_class_colour(int c, double *r, double *g, double *b);

#endif
