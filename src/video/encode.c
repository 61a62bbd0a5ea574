#include "video/encode.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

struct nd_video_encoder {
    char *path, *tmp_path;
    int width, height;
    int64_t next_pts;
    AVFormatContext *format;
    AVCodecContext *codec;
    AVStream *stream;
    AVFrame *frame;
    AVPacket *packet;
    struct SwsContext *sws;
};

static const char *av_error_text(int code, char *buf, size_t size) {
    av_strerror(code, buf, size);
    return buf;
}

/* Frees everything, removing the temporary file when remove_tmp is set. */
static void encoder_free(nd_video_encoder *enc, int remove_tmp) {
    if (!enc)
        return;
    if (enc->format && !(enc->format->oformat->flags & AVFMT_NOFILE))
        avio_closep(&enc->format->pb);
    avformat_free_context(enc->format);
    avcodec_free_context(&enc->codec);
    av_frame_free(&enc->frame);
    av_packet_free(&enc->packet);
    sws_freeContext(enc->sws);
    if (remove_tmp && enc->tmp_path)
        unlink(enc->tmp_path);
    free(enc->path);
    free(enc->tmp_path);
    free(enc);
}

/* Picks libx264 when present, else FFmpeg's own MPEG-4 part 2 encoder. */
static const AVCodec *find_video_encoder(void) {
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (codec)
        return codec;
    return avcodec_find_encoder(AV_CODEC_ID_MPEG4);
}

static int configure_codec(nd_video_encoder *enc, const AVCodec *codec, int fps) {
    AVCodecContext *c = enc->codec;
    c->width = enc->width;
    c->height = enc->height;
    c->time_base = (AVRational){1, fps};
    c->framerate = (AVRational){fps, 1};
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = 2 * fps;
    c->thread_count = 1;
    c->flags |= AV_CODEC_FLAG_BITEXACT;
    if (enc->format->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    /* Quality settings: constant quality for x264, a fixed quantiser for MPEG-4. */
    if (!strcmp(codec->name, "libx264")) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        av_opt_set(c->priv_data, "crf", "20", 0);
        /* NOTE: with macroblock-tree rate control on, libx264 0.164 (Debian 12)
         * wrote different bytes for the same frames when 2 worker threads ran,
         * even with one encoder at a time. With mbtree=0 the output was
         * identical in every trial, but the cause inside x264 is unknown. */
        av_opt_set(c->priv_data, "x264-params", "mbtree=0", 0);
    } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 3;
        c->max_b_frames = 0;
    }

    char err[128];
    int rc = avcodec_open2(c, codec, NULL);
    if (rc < 0)
        return nd_fail("cannot open the %s encoder for %s: %s", codec->name, enc->path,
                       av_error_text(rc, err, sizeof err));
    return 0;
}

nd_video_encoder *nd_video_encoder_open(const char *path, int width, int height, int fps) {
    if (width <= 0 || height <= 0 || width % 2 || height % 2) {
        nd_fail("cannot encode %s at %d x %d: width and height must be positive and even",
                path, width, height);
        return NULL;
    }
    if (fps <= 0 || fps > 1000) {
        nd_fail("cannot encode %s at %d frames per second: use 1..1000", path, fps);
        return NULL;
    }
    const AVOutputFormat *oformat = av_guess_format(NULL, path, NULL);
    if (!oformat) {
        nd_fail("cannot tell the container format of %s from its extension: use .mp4, "
                ".mkv or .avi",
                path);
        return NULL;
    }
    const AVCodec *codec = find_video_encoder();
    if (!codec) {
        nd_fail("cannot encode %s: this FFmpeg build has neither libx264 nor an MPEG-4 "
                "encoder",
                path);
        return NULL;
    }

    /* libx264 logs several lines per file at FFmpeg's default level (info);
     * lower it to warnings unless the program chose a level itself. */
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_WARNING);

    nd_video_encoder *enc = nd_calloc(1, sizeof *enc);
    enc->path = nd_strdup(path);
    enc->tmp_path = nd_malloc(strlen(path) + 5);
    sprintf(enc->tmp_path, "%s.tmp", path);
    enc->width = width;
    enc->height = height;

    /* Container, codec and stream. */
    char err[128];
    int rc = avformat_alloc_output_context2(&enc->format, oformat, NULL, enc->tmp_path);
    if (rc < 0) {
        nd_fail("cannot set up the container for %s: %s", path,
                av_error_text(rc, err, sizeof err));
        encoder_free(enc, 0);
        return NULL;
    }
    enc->format->flags |= AVFMT_FLAG_BITEXACT;
    enc->codec = avcodec_alloc_context3(codec);
    enc->stream = avformat_new_stream(enc->format, NULL);
    if (!enc->codec || !enc->stream) {
        nd_fail("cannot set up the encoder for %s: out of memory", path);
        encoder_free(enc, 0);
        return NULL;
    }
    if (configure_codec(enc, codec, fps) != 0) {
        encoder_free(enc, 0);
        return NULL;
    }
    enc->stream->time_base = enc->codec->time_base;
    avcodec_parameters_from_context(enc->stream->codecpar, enc->codec);

    /* Frame buffer and RGB -> YUV 4:2:0 conversion. */
    enc->frame = av_frame_alloc();
    enc->packet = av_packet_alloc();
    enc->frame->format = AV_PIX_FMT_YUV420P;
    enc->frame->width = width;
    enc->frame->height = height;
    if (av_frame_get_buffer(enc->frame, 0) < 0) {
        nd_fail("cannot allocate a video frame of %d x %d for %s", width, height, path);
        encoder_free(enc, 0);
        return NULL;
    }
    enc->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height,
                              AV_PIX_FMT_YUV420P, SWS_BILINEAR | SWS_ACCURATE_RND, NULL, NULL,
                              NULL);
    if (!enc->sws) {
        nd_fail("cannot set up the RGB to YUV conversion for %s", path);
        encoder_free(enc, 0);
        return NULL;
    }

    /* Open the temporary file and write the header. */
    if (!(oformat->flags & AVFMT_NOFILE)) {
        rc = avio_open(&enc->format->pb, enc->tmp_path, AVIO_FLAG_WRITE);
        if (rc < 0) {
            nd_fail("cannot create %s: %s", enc->tmp_path, av_error_text(rc, err, sizeof err));
            encoder_free(enc, 0);
            return NULL;
        }
    }
    rc = avformat_write_header(enc->format, NULL);
    if (rc < 0) {
        nd_fail("cannot write the header of %s: %s", path, av_error_text(rc, err, sizeof err));
        encoder_free(enc, 1);
        return NULL;
    }
    return enc;
}

/* Sends frame (NULL: flush) and writes every packet the encoder returns. */
static int encode_and_write(nd_video_encoder *enc, AVFrame *frame) {
    char err[128];
    int rc = avcodec_send_frame(enc->codec, frame);
    if (rc < 0)
        return nd_fail("encoding a frame of %s failed: %s", enc->path,
                       av_error_text(rc, err, sizeof err));
    for (;;) {
        rc = avcodec_receive_packet(enc->codec, enc->packet);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0)
            return nd_fail("encoding a frame of %s failed: %s", enc->path,
                           av_error_text(rc, err, sizeof err));
        /* Each frame lasts one tick; without a duration the MP4 edit list
         * would leave out the last frame. */
        if (enc->packet->duration == 0)
            enc->packet->duration = 1;
        av_packet_rescale_ts(enc->packet, enc->codec->time_base, enc->stream->time_base);
        enc->packet->stream_index = enc->stream->index;
        rc = av_interleaved_write_frame(enc->format, enc->packet);
        if (rc < 0)
            return nd_fail("writing a packet to %s failed: %s", enc->tmp_path,
                           av_error_text(rc, err, sizeof err));
    }
}

int nd_video_encoder_add_frame(nd_video_encoder *enc, const uint8_t *rgb) {
    if (av_frame_make_writable(enc->frame) < 0)
        return nd_fail("cannot reuse the video frame buffer of %s", enc->path);
    const uint8_t *src[1] = {rgb};
    const int src_stride[1] = {enc->width * 3};
    sws_scale(enc->sws, src, src_stride, 0, enc->height, enc->frame->data,
              enc->frame->linesize);
    enc->frame->pts = enc->next_pts++;
    return encode_and_write(enc, enc->frame);
}

int nd_video_encoder_close(nd_video_encoder *enc) {
    char err[128];
    if (encode_and_write(enc, NULL) != 0) {
        encoder_free(enc, 1);
        return -1;
    }
    int rc = av_write_trailer(enc->format);
    if (rc < 0) {
        nd_fail("cannot finish %s: %s", enc->path, av_error_text(rc, err, sizeof err));
        encoder_free(enc, 1);
        return -1;
    }
    if (!(enc->format->oformat->flags & AVFMT_NOFILE)) {
        rc = avio_closep(&enc->format->pb);
        if (rc < 0) {
            nd_fail("cannot write %s: %s", enc->tmp_path, av_error_text(rc, err, sizeof err));
            encoder_free(enc, 1);
            return -1;
        }
    }
    if (rename(enc->tmp_path, enc->path) != 0) {
        nd_fail("cannot rename %s onto %s", enc->tmp_path, enc->path);
        encoder_free(enc, 1);
        return -1;
    }
    encoder_free(enc, 0);
    return 0;
}

void nd_video_encoder_abort(nd_video_encoder *enc) {
    encoder_free(enc, 1);
}

const char *nd_video_encoder_codec(const nd_video_encoder *enc) {
    return enc->codec->codec->name;
}
