#include "video/decode.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/log.h"

struct nd_decoder {
    char *path;
    AVFormatContext *format;
    AVCodecContext *codec;
    AVPacket *packet;
    AVFrame *frame;
    struct SwsContext *sws;
    int stream;
    nd_video_info info;

    uint8_t *coded_rgb; /* coded-size RGB before rotation */
    int coded_w, coded_h, sws_w, sws_h, sws_format;
    uint8_t *display_rgb;

    int64_t first_pts;
    double last_time;
    int frames_out;
    int skipped;
    int draining;
    int finished;
};

static const char *av_message(int code, char *buf, size_t size) {
    av_strerror(code, buf, size);
    return buf;
}

/* Returns the clockwise rotation that the display matrix specifies, as ffmpeg's own
 * command line does: 0, 90, 180 or 270 degrees. */
static int read_rotation(const AVStream *st) {
    size_t size = 0;
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!matrix || size < 9 * sizeof(int32_t))
        return 0;

    double theta = -round(av_display_rotation_get((const int32_t *)matrix));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    int rotation = (int)(round(theta / 90.0)) * 90 % 360;
    if (fabs(theta - rotation) > 1.0)
        nd_log_warn("video rotation of %.0f degrees is not a multiple of 90; "
                    "using %d degrees",
                    theta, rotation);
    return rotation;
}

nd_decoder *nd_decoder_open(const char *path, int threads) {
    char msg[256];
    nd_decoder *d = nd_calloc(1, sizeof(*d));
    d->path = nd_strdup(path);
    d->first_pts = AV_NOPTS_VALUE;

    /* FFmpeg's own notices (such as advice on packed B-frames) would clutter
     * stderr; its errors still show, and ours go through nd_log. */
    if (av_log_get_level() > AV_LOG_ERROR)
        av_log_set_level(AV_LOG_ERROR);
    d->last_time = -1;

    /* Container and stream. */
    int rc = avformat_open_input(&d->format, path, NULL, NULL);
    if (rc < 0) {
        nd_fail("%s: cannot open video: %s", path, av_message(rc, msg, sizeof(msg)));
        goto fail;
    }
    rc = avformat_find_stream_info(d->format, NULL);
    if (rc < 0) {
        nd_fail("%s: cannot read stream information: %s", path,
                av_message(rc, msg, sizeof(msg)));
        goto fail;
    }
    const AVCodec *codec = NULL;
    d->stream = av_find_best_stream(d->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (d->stream < 0 || !codec) {
        nd_fail("%s: no decodable video stream (is it an audio file or an image?)", path);
        goto fail;
    }
    AVStream *st = d->format->streams[d->stream];

    /* Decoder. */
    d->codec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(d->codec, st->codecpar);
    d->codec->thread_count = threads;
    d->codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    rc = avcodec_open2(d->codec, codec, NULL);
    if (rc < 0) {
        nd_fail("%s: cannot open the %s decoder: %s", path, codec->name,
                av_message(rc, msg, sizeof(msg)));
        goto fail;
    }
    d->packet = av_packet_alloc();
    d->frame = av_frame_alloc();

    /* Stream properties. */
    d->info.rotation = read_rotation(st);
    d->info.codec = codec->name;
    d->info.format = d->format->iformat->name;
    AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    d->info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        d->info.duration = st->duration * av_q2d(st->time_base);
    else if (d->format->duration > 0)
        d->info.duration = d->format->duration / (double)AV_TIME_BASE;
    int swap = d->info.rotation == 90 || d->info.rotation == 270;
    d->info.width = swap ? st->codecpar->height : st->codecpar->width;
    d->info.height = swap ? st->codecpar->width : st->codecpar->height;
    return d;

fail:
    nd_decoder_close(d);
    return NULL;
}

const nd_video_info *nd_decoder_info(const nd_decoder *decoder) {
    return &decoder->info;
}

int nd_decoder_skipped(const nd_decoder *decoder) {
    return decoder->skipped;
}

/* Copies src (w x h RGB) into dst turned clockwise by rotation degrees. */
static void rotate_rgb(uint8_t *dst, const uint8_t *src, int w, int h, int rotation) {
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int dx, dy, dw;
            if (rotation == 90) {
                dx = h - 1 - y, dy = x, dw = h;
            } else if (rotation == 180) {
                dx = w - 1 - x, dy = h - 1 - y, dw = w;
            } else {
                dx = y, dy = w - 1 - x, dw = h;
            }
            memcpy(dst + ((size_t)dy * dw + dx) * 3, src + ((size_t)y * w + x) * 3, 3);
        }
    }
}

/* Converts the decoded frame to RGB in display orientation. */
static int convert_frame(nd_decoder *d, nd_video_frame *out) {
    AVFrame *f = d->frame;
    if (!d->sws || f->width != d->sws_w || f->height != d->sws_h ||
        f->format != d->sws_format) {
        sws_freeContext(d->sws);
        d->sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                                AV_PIX_FMT_RGB24, SWS_BILINEAR | SWS_ACCURATE_RND, NULL,
                                NULL, NULL);
        if (!d->sws)
            return nd_fail("%s: cannot convert frames of pixel format %s to RGB", d->path,
                           av_get_pix_fmt_name(f->format));
        d->sws_w = f->width, d->sws_h = f->height, d->sws_format = f->format;
        av_free(d->coded_rgb);
        av_free(d->display_rgb);
        d->coded_rgb = av_malloc((size_t)f->width * f->height * 3);
        d->display_rgb = av_malloc((size_t)f->width * f->height * 3);
    }

    uint8_t *planes[4] = {d->coded_rgb, NULL, NULL, NULL};
    int strides[4] = {f->width * 3, 0, 0, 0};
    sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes,
              strides);

    int rot = d->info.rotation;
    out->rgb = d->coded_rgb;
    out->width = f->width;
    out->height = f->height;
    if (rot != 0) {
        rotate_rgb(d->display_rgb, d->coded_rgb, f->width, f->height, rot);
        out->rgb = d->display_rgb;
        if (rot != 180) {
            out->width = f->height;
            out->height = f->width;
        }
    }
    return 0;
}

/* Gives the frame its time in seconds from the first frame. Frames without
 * a timestamp, or with one that goes backwards, get the previous time plus
 * one frame period. */
static double frame_time(nd_decoder *d) {
    AVStream *st = d->format->streams[d->stream];
    int64_t pts = d->frame->best_effort_timestamp;
    double period = d->info.fps > 0 ? 1.0 / d->info.fps : 0.04;
    double t;
    if (pts == AV_NOPTS_VALUE) {
        t = d->last_time < 0 ? 0 : d->last_time + period;
    } else {
        if (d->first_pts == AV_NOPTS_VALUE)
            d->first_pts = pts;
        t = (pts - d->first_pts) * av_q2d(st->time_base);
        if (d->last_time >= 0 && t <= d->last_time) {
            nd_log_debug("%s: timestamp %.3f s does not increase; using %.3f s", d->path,
                         t, d->last_time + period);
            t = d->last_time + period;
        }
    }
    d->last_time = t;
    return t;
}

/* Sends the next packet of the video stream to the decoder; at the end of
 * the file it starts draining. */
static int feed_packet(nd_decoder *d) {
    char msg[256];
    for (;;) {
        int rc = av_read_frame(d->format, d->packet);
        if (rc < 0) {
            if (rc != AVERROR_EOF)
                nd_log_warn("%s: reading stopped early: %s; using the frames read so far",
                            d->path, av_message(rc, msg, sizeof(msg)));
            d->draining = 1;
            avcodec_send_packet(d->codec, NULL);
            return 0;
        }
        if (d->packet->stream_index != d->stream) {
            av_packet_unref(d->packet);
            continue;
        }
        rc = avcodec_send_packet(d->codec, d->packet);
        av_packet_unref(d->packet);
        if (rc < 0 && rc != AVERROR(EAGAIN)) {
            d->skipped++;
            nd_log_warn("%s: skipping a corrupt packet: %s", d->path,
                        av_message(rc, msg, sizeof(msg)));
            continue;
        }
        return 0;
    }
}

int nd_decoder_convert(nd_decoder *d, nd_video_frame *out) {
    ND_ASSERT(d->frame->data[0] != NULL);
    return convert_frame(d, out);
}

int nd_decoder_next(nd_decoder *d, nd_video_frame *out, int want_rgb) {
    char msg[256];

    /* The previous frame stays referenced until now for nd_decoder_convert(). */
    av_frame_unref(d->frame);
    while (!d->finished) {
        int rc = avcodec_receive_frame(d->codec, d->frame);
        if (rc == AVERROR(EAGAIN)) {
            if (d->draining) {
                d->finished = 1;
                break;
            }
            feed_packet(d);
            continue;
        }
        if (rc == AVERROR_EOF) {
            d->finished = 1;
            break;
        }
        if (rc < 0) {
            d->skipped++;
            nd_log_warn("%s: skipping a frame that failed to decode: %s", d->path,
                        av_message(rc, msg, sizeof(msg)));
            continue;
        }

        /* A frame: drop it when the decoder marks it corrupt. */
        if ((d->frame->flags & AV_FRAME_FLAG_CORRUPT) || d->frame->decode_error_flags) {
            d->skipped++;
            nd_log_warn("%s: skipping a corrupt frame after %d good frames", d->path,
                        d->frames_out);
            av_frame_unref(d->frame);
            continue;
        }
        int swap = d->info.rotation == 90 || d->info.rotation == 270;
        out->rgb = NULL;
        out->width = swap ? d->frame->height : d->frame->width;
        out->height = swap ? d->frame->width : d->frame->height;
        if (want_rgb && convert_frame(d, out) != 0) {
            av_frame_unref(d->frame);
            return -1;
        }
        out->time = frame_time(d);
        d->frames_out++;
        return 1;
    }
    return 0;
}

void nd_decoder_close(nd_decoder *d) {
    if (!d)
        return;
    sws_freeContext(d->sws);
    av_free(d->coded_rgb);
    av_free(d->display_rgb);
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    avcodec_free_context(&d->codec);
    avformat_close_input(&d->format);
    free(d->path);
    free(d);
}
