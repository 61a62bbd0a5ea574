/* Annotated copy of a video: every frame with the tracked face box, the
 * label of the window nearest in time and one bar per class probability,
 * drawn with cairo and encoded by the video encoder. */
#ifndef ND_VIDEO_ANNOTATE_H
#define ND_VIDEO_ANNOTATE_H

#include "nrdfer.h"
#include "video/predict.h"

/* Decodes input again and writes the annotated video to out. Odd frame
 * sizes lose their last column or row (the encoders need even sizes), and
 * the frame rate is rounded to whole frames per second. Returns 0 or -1. */
int nd_annotate_video(const char *input, const char *out, const nd_predict_result *result,
                      const nrdfer_config *config, int threads);

#endif
