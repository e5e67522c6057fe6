#ifndef VIDEOSEG_CFFMPEG_SHIM_H
#define VIDEOSEG_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/audio_fifo.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <dlfcn.h>
#include <malloc.h>

/// Registers libavdevice's inputs and outputs (v4l2, ...), loading the library on first use.
/// It is not linked: it brings in over a hundred more shared libraries, and with libtorch's
/// symbol lookups at start-up that costs every run about 0.2 s, while only device runs need it.
/// Loaded with RTLD_LOCAL so its dependencies stay out of the global lookup scope. Returns 0, or
/// -1 when the library cannot be loaded.
static inline int vs_register_devices(void) {
    static int status = 1;
    if (status != 1) return status;
    void *library = dlopen("libavdevice.so." AV_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    void (*register_all)(void) = library ? (void (*)(void))dlsym(library, "avdevice_register_all") : NULL;
    if (register_all) register_all();
    status = register_all ? 0 : -1;
    return status;
}

/// Has glibc's malloc hand out zeroed memory from now on, for the whole process (M_PERTURB with
/// 0xff fills new blocks with 0x00; fresh mmapped blocks are zero anyway). libx264 (r3095, as
/// Debian ships it) reads memory it never wrote in its macroblock-tree rate control with
/// B-frames, so its output depended on what earlier allocations left in the heap: the second
/// and later videos of one process differed from run to run. Returns mallopt's result (1: done).
static inline int vs_zero_new_allocations(void) { return mallopt(M_PERTURB, 0xff); }

// Swift cannot import function-like macros; these wrap the ones VideoSeg needs.

static inline int vs_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int vs_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vs_averror_eof(void) { return AVERROR_EOF; }
static inline int vs_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int vs_averror_exit(void) { return AVERROR_EXIT; }
static inline int vs_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int vs_averror_encoder_not_found(void) { return AVERROR_ENCODER_NOT_FOUND; }
static inline int64_t vs_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int vs_time_base_den(void) { return AV_TIME_BASE; }

// The versions VideoSeg was compiled against ("Lavf59.27.100", ...): string macros built with
// AV_STRINGIFY, which Swift cannot import.
static inline const char *vs_avformat_ident(void) { return LIBAVFORMAT_IDENT; }
static inline const char *vs_avcodec_ident(void) { return LIBAVCODEC_IDENT; }
static inline const char *vs_swscale_ident(void) { return LIBSWSCALE_IDENT; }
static inline const char *vs_avutil_ident(void) { return LIBAVUTIL_IDENT; }

/// Writes FFmpeg's message for `code` into `buffer` (av_err2str is a macro over a compound literal).
static inline const char *vs_error_string(int code, char *buffer, size_t size) {
    av_strerror(code, buffer, size);
    return buffer;
}

/// The rotation, in degrees counter-clockwise, that the stream's display matrix asks for, or 0.
static inline double vs_stream_rotation(const AVStream *stream) {
    const int32_t *matrix = (const int32_t *)av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return 0;
    return av_display_rotation_get(matrix);
}

/// The stream's display matrix side data (9 int32 values), or NULL.
static inline const uint8_t *vs_stream_display_matrix(const AVStream *stream, size_t *size) {
    return av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, size);
}

/// Attaches a copy of `matrix` as the stream's display matrix. Returns 0 or an AVERROR.
static inline int vs_stream_set_display_matrix(AVStream *stream, const uint8_t *matrix, size_t size) {
    uint8_t *data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, size);
    if (!data) return AVERROR(ENOMEM);
    memcpy(data, matrix, size);
    return 0;
}

/// Receives one formatted FFmpeg log line (no prefix, may end in a newline) with the logging
/// context (an AVClass-carrying struct or NULL) and FFmpeg's level.
typedef void (*vs_log_sink)(void *context, int level, const char *line);

// Swift cannot write a C function that takes a va_list, so the callback FFmpeg calls lives here
// and formats the line before handing it to Swift. Only FFmpegLog.swift uses these, so the one
// copy of the slot is the one both functions see.
static inline vs_log_sink *vs_log_sink_slot(void) {
    static vs_log_sink sink;
    return &sink;
}

static inline void vs_log_forward(void *context, int level, const char *format, va_list arguments) {
    vs_log_sink sink = *vs_log_sink_slot();
    if (!sink || level > av_log_get_level()) return;
    char line[1024];
    int print_prefix = 0;
    av_log_format_line2(context, level, format, arguments, line, (int)sizeof line, &print_prefix);
    sink(context, level, line);
}

/// Sends FFmpeg's log lines to `sink` instead of stderr.
static inline void vs_log_route(vs_log_sink sink) {
    *vs_log_sink_slot() = sink;
    av_log_set_callback(vs_log_forward);
}

/// The name of the component a log context belongs to ("h264", "libx264", ...), or NULL.
static inline const char *vs_log_context_name(void *context) {
    if (!context) return NULL;
    const AVClass *avclass = *(const AVClass **)context;
    return avclass && avclass->item_name ? avclass->item_name(context) : NULL;
}

// V4L2 output devices (a v4l2loopback virtual camera), checked before libavdevice's v4l2 output
// opens one, so that "not an output", "busy" and "format refused" can each be told apart. The
// ioctl request numbers are macros and ioctl(2) is variadic: Swift can call neither.

/// The capabilities of the device open on `fd` (its device_caps where it reports them), the
/// card name into `card`; 0 or the errno of VIDIOC_QUERYCAP.
static inline int vs_v4l2_capabilities(int fd, uint32_t *caps, char *card, size_t card_size) {
    struct v4l2_capability capability;
    memset(&capability, 0, sizeof capability);
    if (ioctl(fd, VIDIOC_QUERYCAP, &capability) < 0) return errno;
    *caps = (capability.capabilities & V4L2_CAP_DEVICE_CAPS) ? capability.device_caps : capability.capabilities;
    if (card && card_size > 0) {
        size_t length = strnlen((const char *)capability.card, sizeof capability.card);
        if (length >= card_size) length = card_size - 1;
        memcpy(card, capability.card, length);
        card[length] = 0;
    }
    return 0;
}

static inline uint32_t vs_v4l2_cap_video_output(void) { return V4L2_CAP_VIDEO_OUTPUT; }
static inline uint32_t vs_v4l2_cap_video_capture(void) { return V4L2_CAP_VIDEO_CAPTURE; }

/// VIDIOC_TRY_FMT (`set` 0), VIDIOC_S_FMT (`set` 1) or VIDIOC_G_FMT (`set` -1) on the output buffer
/// type: the size and fourcc in, what the driver makes of them out; 0 or the errno.
static inline int vs_v4l2_output_format(int fd, int set, uint32_t *width, uint32_t *height, uint32_t *fourcc) {
    struct v4l2_format format;
    memset(&format, 0, sizeof format);
    format.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    if (set >= 0) {
        format.fmt.pix.width = *width;
        format.fmt.pix.height = *height;
        format.fmt.pix.pixelformat = *fourcc;
        format.fmt.pix.field = V4L2_FIELD_NONE;
    }
    unsigned long request = set < 0 ? VIDIOC_G_FMT : set == 0 ? VIDIOC_TRY_FMT : VIDIOC_S_FMT;
    if (ioctl(fd, request, &format) < 0) return errno;
    *width = format.fmt.pix.width;
    *height = format.fmt.pix.height;
    *fourcc = format.fmt.pix.pixelformat;
    return 0;
}

#endif
