/*
 * fake_v4l2.c - an LD_PRELOAD fake V4L2 capture device (webcam) for tests.
 *
 * Serves one device path (default /dev/video-fake, env FAKE_V4L2_DEVICE) that
 * behaves like a simple UVC webcam doing YUYV 4:2:2 with MMAP streaming I/O,
 * showing colour bars or a picture (FAKE_V4L2_PICTURE, a binary PPM), and a
 * second path (default /dev/video-fake-out, env FAKE_V4L2_OUTPUT) that behaves
 * like a v4l2loopback output device: S_FMT on the output buffer type, then
 * write() of whole frames, which it counts and records.
 * Every other path and descriptor is passed straight to the real libc
 * functions (dlsym(RTLD_NEXT, ...)).  See README.md for the frame layout and
 * the environment variables.
 *
 * Build: cc -shared -fPIC -O2 -o libfakev4l2.so fake_v4l2.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#define EXPORT __attribute__((visibility("default")))

#define FAKE_MAX_FD      65536
#define FAKE_MAX_BUFFERS 32

/* ------------------------------------------------------------------ */
/* real libc entry points                                              */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*close_fn)(int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*fstat_fn)(int, struct stat *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*fxstat_fn)(int, int, struct stat *);
typedef int (*fxstatat_fn)(int, int, const char *, struct stat *, int);
typedef int (*access_fn)(const char *, int);
typedef int (*faccessat_fn)(int, const char *, int, int);
typedef int (*statx_fn)(int, const char *, int, unsigned int, struct statx *);

static struct {
    open_fn open, open64;
    open2_fn open_2, open64_2;
    openat_fn openat, openat64;
    openat2_fn openat_2, openat64_2;
    close_fn close;
    dup_fn dup;
    dup2_fn dup2;
    dup3_fn dup3;
    ioctl_fn ioctl;
    mmap_fn mmap, mmap64;
    poll_fn poll;
    read_fn read;
    write_fn write;
    stat_fn stat, stat64, lstat, lstat64;
    fstat_fn fstat, fstat64;
    fstatat_fn fstatat, fstatat64;
    xstat_fn xstat, xstat64, lxstat, lxstat64;
    fxstat_fn fxstat, fxstat64;
    fxstatat_fn fxstatat, fxstatat64;
    access_fn access;
    faccessat_fn faccessat;
    statx_fn statx;
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void resolve_real(void)
{
#define R(field, name) real.field = (__typeof__(real.field))dlsym(RTLD_NEXT, name)
    R(open, "open"); R(open64, "open64");
    R(open_2, "__open_2"); R(open64_2, "__open64_2");
    R(openat, "openat"); R(openat64, "openat64");
    R(openat_2, "__openat_2"); R(openat64_2, "__openat64_2");
    R(close, "close"); R(dup, "dup"); R(dup2, "dup2"); R(dup3, "dup3");
    R(ioctl, "ioctl"); R(mmap, "mmap"); R(mmap64, "mmap64");
    R(poll, "poll"); R(read, "read"); R(write, "write");
    R(stat, "stat"); R(stat64, "stat64"); R(lstat, "lstat"); R(lstat64, "lstat64");
    R(fstat, "fstat"); R(fstat64, "fstat64");
    R(fstatat, "fstatat"); R(fstatat64, "fstatat64");
    R(xstat, "__xstat"); R(xstat64, "__xstat64");
    R(lxstat, "__lxstat"); R(lxstat64, "__lxstat64");
    R(fxstat, "__fxstat"); R(fxstat64, "__fxstat64");
    R(fxstatat, "__fxstatat"); R(fxstatat64, "__fxstatat64");
    R(access, "access"); R(faccessat, "faccessat"); R(statx, "statx");
#undef R
}

#define REAL(name) (pthread_once(&real_once, resolve_real), real.name)

/* ------------------------------------------------------------------ */
/* configuration                                                       */

static int verbose_level(void)
{
    const char *v = getenv("FAKE_V4L2_VERBOSE");
    return v ? atoi(v) : 0;
}

#define LOG(dev, lvl, ...)                                              \
    do {                                                                \
        if ((dev)->verbose >= (lvl)) {                                  \
            fprintf(stderr, "[fakev4l2] " __VA_ARGS__);                 \
            fputc('\n', stderr);                                        \
        }                                                               \
    } while (0)

static const char *device_path(void)
{
    const char *p = getenv("FAKE_V4L2_DEVICE");
    return (p && *p) ? p : "/dev/video-fake";
}

static const char *output_path(void)
{
    const char *p = getenv("FAKE_V4L2_OUTPUT");
    return (p && *p) ? p : "/dev/video-fake-out";
}

static int is_output_path(const char *path)
{
    return path && strcmp(path, output_path()) == 0;
}

static int is_fake_path(const char *path)
{
    return path && (strcmp(path, device_path()) == 0 || is_output_path(path));
}

/* ------------------------------------------------------------------ */
/* device instance                                                     */

enum buf_state { BUF_DEQUEUED = 0, BUF_QUEUED, BUF_ACTIVE, BUF_DONE };

typedef struct fake_dev {
    int is_output;            /* the output device (see "output device" below) */
    int refs;                 /* user descriptors referring to this instance */
    int efd;                  /* private eventfd dup: signalling + draining */
    int verbose;
    /* configuration (fixed at open) */
    unsigned width, height, frame_size;
    unsigned tpf_num, tpf_den;     /* time per frame = tpf_num / tpf_den s */
    int64_t period_ns;
    uint64_t max_frames;           /* 0 = unlimited */
    unsigned max_buffers;
    char *stats_path;
    uint8_t *tmpl;                 /* one pre-rendered frame (bars + black code rows) */

    pthread_mutex_t mu;
    pthread_cond_t cv;             /* CLOCK_MONOTONIC; wakes the producer */

    /* buffers */
    unsigned nbuf;
    size_t buf_len;                /* page aligned length of each buffer */
    int memfd;
    uint8_t *prod_map;             /* producer's mapping of the whole memfd */
    enum buf_state state[FAKE_MAX_BUFFERS];
    uint32_t seq[FAKE_MAX_BUFFERS];
    struct timeval ts[FAKE_MAX_BUFFERS];
    int queued[FAKE_MAX_BUFFERS];  /* FIFO of buffer indices owned by the "driver" */
    unsigned q_head, q_count;
    int done[FAKE_MAX_BUFFERS];    /* FIFO of filled buffers ready for DQBUF */
    unsigned d_head, d_count;

    /* streaming */
    int streaming, stop, gone, signalled, thread_started, ever_streamed;
    pthread_t thread;

    /* counters */
    uint64_t produced, dropped, delivered, dequeued;
} fake_dev;

static void output_closed(void);   /* the output device's statistics, written at each last close */

static pthread_mutex_t g_tab_mu = PTHREAD_MUTEX_INITIALIZER;
static fake_dev *g_tab[FAKE_MAX_FD];
static atomic_int g_nfake;      /* number of fake descriptors open: fast path when 0 */

static fake_dev *lookup(int fd)
{
    if (atomic_load_explicit(&g_nfake, memory_order_acquire) == 0)
        return NULL;
    if (fd < 0 || fd >= FAKE_MAX_FD)
        return NULL;
    pthread_mutex_lock(&g_tab_mu);
    fake_dev *d = g_tab[fd];
    pthread_mutex_unlock(&g_tab_mu);
    return d;
}

static void fifo_push(int *q, unsigned *head, unsigned *count, int v)
{
    q[(*head + *count) % FAKE_MAX_BUFFERS] = v;
    (*count)++;
}

static int fifo_pop(int *q, unsigned *head, unsigned *count)
{
    int v = q[*head];
    *head = (*head + 1) % FAKE_MAX_BUFFERS;
    (*count)--;
    return v;
}

/* eventfd readable <=> a buffer can be dequeued, or DQBUF would fail at once
 * (device gone / not streaming).  Called with dev->mu held. */
static void sync_signal(fake_dev *d)
{
    int want = d->d_count > 0 || d->gone || !d->streaming;
    uint64_t one = 1;
    if (want && !d->signalled) {
        if (write(d->efd, &one, sizeof one) == sizeof one)
            d->signalled = 1;
    } else if (!want && d->signalled) {
        uint64_t v;
        if (REAL(read)(d->efd, &v, sizeof v) == sizeof v)
            d->signalled = 0;
    }
}

static void write_stats(fake_dev *d)
{
    if (!d->stats_path || !d->ever_streamed)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", d->stats_path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f,
            "{\"produced\":%llu,\"dropped_by_device\":%llu,\"delivered\":%llu,"
            "\"dequeued\":%llu,\"device_gone\":%s,\"streaming\":%s,"
            "\"width\":%u,\"height\":%u,\"timeperframe\":\"%u/%u\",\"buffers\":%u}\n",
            (unsigned long long)d->produced, (unsigned long long)d->dropped,
            (unsigned long long)d->delivered, (unsigned long long)d->dequeued,
            d->gone ? "true" : "false", d->streaming ? "true" : "false",
            d->width, d->height, d->tpf_num, d->tpf_den, d->nbuf);
    fclose(f);
    rename(tmp, d->stats_path);
}

/* ---- frame pattern ----------------------------------------------- */

/* BT.601 limited range YUV of the three bar colours (pure R, G, B). */
static const uint8_t BAR_YUV[3][3] = {
    { 81, 90, 240 },   /* red   (255,0,0) */
    { 145, 54, 34 },   /* green (0,255,0) */
    { 41, 240, 110 },  /* blue  (0,0,255) */
};
#define CODE_ROWS 16
#define CODE_BITS 32
#define Y_BLACK 16
#define Y_WHITE 235

static void bar_bounds(unsigned w, unsigned *b1, unsigned *b2)
{
    *b1 = (w / 3) & ~1u;
    *b2 = (2 * w / 3) & ~1u;
}

/* A binary PPM (P6, maxval 255): its size and RGB bytes, or NULL. */
static uint8_t *read_ppm(const char *path, unsigned *pw, unsigned *ph)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned fields[3];
    int c = 0, n = 0;
    if (fgetc(f) != 'P' || fgetc(f) != '6') { fclose(f); return NULL; }
    while (n < 3) {
        c = fgetc(f);
        if (c == EOF) { fclose(f); return NULL; }
        if (c == '#') { while (c != '\n' && c != EOF) c = fgetc(f); continue; }
        if (c >= '0' && c <= '9') {
            unsigned v = 0;
            while (c >= '0' && c <= '9') { v = v * 10 + (unsigned)(c - '0'); c = fgetc(f); }
            fields[n++] = v;
        }
    }
    /* exactly one whitespace character (already read as c) separates the header from the data */
    if (fields[0] == 0 || fields[1] == 0 || fields[0] > 16384 || fields[1] > 16384 || fields[2] != 255) { fclose(f); return NULL; }
    size_t size = (size_t)fields[0] * fields[1] * 3;
    uint8_t *rgb = malloc(size);
    if (!rgb || fread(rgb, 1, size, f) != size) { free(rgb); fclose(f); return NULL; }
    fclose(f);
    *pw = fields[0];
    *ph = fields[1];
    return rgb;
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
}

/* The picture scaled (bilinear, pixel centres aligned) to the device's size, as YUYV
 * BT.601 limited range, into the template's rows below the frame-number stripe. */
static int render_picture(fake_dev *d, const char *path)
{
    unsigned pw, ph, w = d->width, h = d->height;
    uint8_t *rgb = read_ppm(path, &pw, &ph);
    if (!rgb) {
        fprintf(stderr, "[fakev4l2] cannot read FAKE_V4L2_PICTURE=%s (need a binary PPM, P6, maxval 255)\n", path);
        return -1;
    }
    for (unsigned y = CODE_ROWS; y < h; y++) {
        double sy = ((double)y + 0.5) * ph / h - 0.5;
        if (sy < 0) sy = 0;
        unsigned y0 = (unsigned)sy, y1 = y0 + 1 < ph ? y0 + 1 : y0;
        double fy = sy - y0;
        uint8_t *row = d->tmpl + (size_t)y * w * 2;
        for (unsigned x = 0; x < w; x += 2) {
            double yuv[2][3];
            for (unsigned k = 0; k < 2; k++) {
                double sx = ((double)(x + k) + 0.5) * pw / w - 0.5;
                if (sx < 0) sx = 0;
                unsigned x0 = (unsigned)sx, x1 = x0 + 1 < pw ? x0 + 1 : x0;
                double fx = sx - x0, c[3];
                for (int ch = 0; ch < 3; ch++) {
                    double top = rgb[((size_t)y0 * pw + x0) * 3 + ch] * (1 - fx) + rgb[((size_t)y0 * pw + x1) * 3 + ch] * fx;
                    double bottom = rgb[((size_t)y1 * pw + x0) * 3 + ch] * (1 - fx) + rgb[((size_t)y1 * pw + x1) * 3 + ch] * fx;
                    c[ch] = top * (1 - fy) + bottom * fy;
                }
                yuv[k][0] = 16 + (65.481 * c[0] + 128.553 * c[1] + 24.966 * c[2]) / 255;
                yuv[k][1] = 128 + (-37.797 * c[0] - 74.203 * c[1] + 112.0 * c[2]) / 255;
                yuv[k][2] = 128 + (112.0 * c[0] - 93.786 * c[1] - 18.214 * c[2]) / 255;
            }
            row[x * 2 + 0] = clamp8(yuv[0][0]);
            row[x * 2 + 1] = clamp8((yuv[0][1] + yuv[1][1]) / 2);
            row[x * 2 + 2] = clamp8(yuv[1][0]);
            row[x * 2 + 3] = clamp8((yuv[0][2] + yuv[1][2]) / 2);
        }
    }
    free(rgb);
    return 0;
}

static void render_template(fake_dev *d)
{
    unsigned w = d->width, h = d->height, b1, b2;
    bar_bounds(w, &b1, &b2);
    uint8_t *p = d->tmpl;
    for (unsigned y = 0; y < h; y++) {
        uint8_t *row = p + (size_t)y * w * 2;
        for (unsigned x = 0; x < w; x += 2) {
            uint8_t Y, U, V;
            if (y < CODE_ROWS) {
                Y = Y_BLACK; U = V = 128;
            } else {
                const uint8_t *c = BAR_YUV[x < b1 ? 0 : x < b2 ? 1 : 2];
                Y = c[0]; U = c[1]; V = c[2];
            }
            row[x * 2 + 0] = Y;
            row[x * 2 + 1] = U;
            row[x * 2 + 2] = Y;
            row[x * 2 + 3] = V;
        }
    }
    const char *picture = getenv("FAKE_V4L2_PICTURE");
    if (picture && *picture)
        render_picture(d, picture);   /* the bars stay when the picture cannot be read */
}

static void render_frame(fake_dev *d, uint8_t *dst, uint32_t frame_no)
{
    unsigned w = d->width, bw = w / CODE_BITS;
    size_t stride = (size_t)w * 2;
    memcpy(dst + CODE_ROWS * stride, d->tmpl + CODE_ROWS * stride,
           (size_t)d->frame_size - CODE_ROWS * stride);
    uint8_t *row0 = dst;
    for (unsigned x = 0; x < w; x++) {
        unsigned blk = x / bw;
        uint8_t Y = Y_BLACK;
        if (blk < CODE_BITS && ((frame_no >> (CODE_BITS - 1 - blk)) & 1u))
            Y = Y_WHITE;
        row0[x * 2] = Y;
        row0[x * 2 + 1] = 128;   /* U or V: neutral chroma everywhere in the code rows */
    }
    for (unsigned y = 1; y < CODE_ROWS; y++)
        memcpy(dst + y * stride, row0, stride);
}

/* ---- producer ------------------------------------------------------ */

static void ts_add_ns(struct timespec *t, int64_t ns)
{
    int64_t v = (int64_t)t->tv_nsec + ns;
    t->tv_sec += v / 1000000000;
    t->tv_nsec = v % 1000000000;
    if (t->tv_nsec < 0) { t->tv_nsec += 1000000000; t->tv_sec--; }
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *producer(void *arg)
{
    fake_dev *d = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    struct timespec next, now;
    pthread_mutex_lock(&d->mu);
    clock_gettime(CLOCK_MONOTONIC, &next);
    ts_add_ns(&next, d->period_ns);
    while (!d->stop) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ts_before(&now, &next)) {
            pthread_cond_timedwait(&d->cv, &d->mu, &next);
            continue;   /* re-check stop and the time */
        }
        uint32_t frame_no = (uint32_t)d->produced++;
        if (d->q_count > 0) {
            int i = fifo_pop(d->queued, &d->q_head, &d->q_count);
            d->state[i] = BUF_ACTIVE;
            pthread_mutex_unlock(&d->mu);
            render_frame(d, d->prod_map + (size_t)i * d->buf_len, frame_no);
            pthread_mutex_lock(&d->mu);
            d->seq[i] = frame_no;
            /* The capture instant on the sensor's schedule, as a camera's own clock stamps it:
               not when this thread woke up, which a loaded machine delays. */
            d->ts[i].tv_sec = next.tv_sec;
            d->ts[i].tv_usec = next.tv_nsec / 1000;
            d->state[i] = BUF_DONE;
            fifo_push(d->done, &d->d_head, &d->d_count, i);
            d->delivered++;
            LOG(d, 3, "frame %u -> buffer %d", frame_no, i);
        } else {
            d->dropped++;
            LOG(d, 1, "frame %u dropped by device: no queued buffer (%llu dropped so far)",
                frame_no, (unsigned long long)d->dropped);
        }
        if (d->max_frames && d->produced >= d->max_frames) {
            d->gone = 1;
            LOG(d, 1, "produced %llu frames: device disappears (ENODEV)",
                (unsigned long long)d->produced);
            sync_signal(d);
            write_stats(d);
            break;
        }
        sync_signal(d);
        ts_add_ns(&next, d->period_ns);
        /* if we fell far behind (suspended, overloaded), do not burst */
        struct timespec late = now;
        ts_add_ns(&late, -d->period_ns);
        if (ts_before(&next, &late))
            next = now;
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* called with d->mu held; returns with it held */
static void stream_off_locked(fake_dev *d)
{
    if (d->thread_started) {
        d->stop = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
        pthread_mutex_lock(&d->mu);
        d->thread_started = 0;
        d->stop = 0;
    }
    int was = d->streaming;
    d->streaming = 0;
    /* STREAMOFF returns every buffer to the application */
    for (unsigned i = 0; i < d->nbuf; i++)
        d->state[i] = BUF_DEQUEUED;
    d->q_head = d->q_count = d->d_head = d->d_count = 0;
    sync_signal(d);
    if (was || d->ever_streamed)
        write_stats(d);
}

static void free_buffers_locked(fake_dev *d)
{
    if (d->prod_map)
        munmap(d->prod_map, d->buf_len * d->nbuf);
    if (d->memfd >= 0)
        REAL(close)(d->memfd);
    d->prod_map = NULL;
    d->memfd = -1;
    d->nbuf = 0;
}

static int alloc_buffers_locked(fake_dev *d, unsigned n)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t len = ((size_t)d->frame_size + page - 1) / page * page;
    int mfd = (int)syscall(SYS_memfd_create, "fakev4l2-buffers", 1u /* MFD_CLOEXEC */);
    if (mfd < 0)
        return -1;
    if (ftruncate(mfd, (off_t)(len * n)) < 0) {
        REAL(close)(mfd);
        return -1;
    }
    void *m = REAL(mmap)(NULL, len * n, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (m == MAP_FAILED) {
        REAL(close)(mfd);
        return -1;
    }
    d->memfd = mfd;
    d->prod_map = m;
    d->buf_len = len;
    d->nbuf = n;
    for (unsigned i = 0; i < n; i++) {
        d->state[i] = BUF_DEQUEUED;
        d->seq[i] = 0;
        memset(&d->ts[i], 0, sizeof d->ts[i]);
    }
    d->q_head = d->q_count = d->d_head = d->d_count = 0;
    return 0;
}

static void parse_config(fake_dev *d)
{
    d->verbose = verbose_level();
    d->width = 320;
    d->height = 240;
    const char *s = getenv("FAKE_V4L2_SIZE");
    if (s && *s) {
        unsigned w = 0, h = 0;
        if (sscanf(s, "%ux%u", &w, &h) == 2 && w >= 64 && w % 2 == 0 && h > CODE_ROWS &&
            w <= 8192 && h <= 8192) {
            d->width = w;
            d->height = h;
        } else {
            fprintf(stderr, "[fakev4l2] ignoring FAKE_V4L2_SIZE=%s (need WxH, W even >= 64, H > 16)\n", s);
        }
    }
    d->frame_size = d->width * d->height * 2;

    double fps = 30;
    s = getenv("FAKE_V4L2_FPS");
    if (s && *s) {
        char *end;
        double v = strtod(s, &end);
        if (v > 0 && v <= 1000)
            fps = v;
        else
            fprintf(stderr, "[fakev4l2] ignoring FAKE_V4L2_FPS=%s\n", s);
    }
    if (fps == (double)(unsigned)fps) {
        d->tpf_num = 1;
        d->tpf_den = (unsigned)fps;
    } else {
        unsigned num = 1000, den = (unsigned)(fps * 1000 + 0.5), a = num, b = den;
        while (b) { unsigned t = a % b; a = b; b = t; }
        d->tpf_num = num / a;
        d->tpf_den = den / a;
    }
    d->period_ns = (int64_t)1000000000 * d->tpf_num / d->tpf_den;

    s = getenv("FAKE_V4L2_FRAMES");
    d->max_frames = (s && *s) ? strtoull(s, NULL, 10) : 0;

    d->max_buffers = 4;
    s = getenv("FAKE_V4L2_BUFFERS");
    if (s && *s) {
        int n = atoi(s);
        d->max_buffers = n < 2 ? 2 : n > FAKE_MAX_BUFFERS ? FAKE_MAX_BUFFERS : (unsigned)n;
    }
    s = getenv("FAKE_V4L2_STATS");
    d->stats_path = (s && *s) ? strdup(s) : NULL;
}

static void dev_free(fake_dev *d)
{
    free_buffers_locked(d);
    if (d->efd >= 0)
        REAL(close)(d->efd);
    free(d->tmpl);
    free(d->stats_path);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

static int register_fd(int fd, fake_dev *d)
{
    if (fd < 0 || fd >= FAKE_MAX_FD)
        return -1;
    pthread_mutex_lock(&g_tab_mu);
    g_tab[fd] = d;
    pthread_mutex_unlock(&g_tab_mu);
    atomic_fetch_add(&g_nfake, 1);
    pthread_mutex_lock(&d->mu);
    d->refs++;
    pthread_mutex_unlock(&d->mu);
    return 0;
}

/* Forget descriptor fd (the caller closes it); destroys the instance on last ref. */
static void release_fd(int fd)
{
    if (fd < 0 || fd >= FAKE_MAX_FD)
        return;
    pthread_mutex_lock(&g_tab_mu);
    fake_dev *d = g_tab[fd];
    g_tab[fd] = NULL;
    pthread_mutex_unlock(&g_tab_mu);
    if (!d)
        return;
    atomic_fetch_sub(&g_nfake, 1);
    pthread_mutex_lock(&d->mu);
    int last = --d->refs == 0;
    if (last && d->is_output) {
        pthread_mutex_unlock(&d->mu);
        output_closed();
        dev_free(d);
        return;
    }
    if (last) {
        LOG(d, 1, "close: produced=%llu dropped_by_device=%llu dequeued=%llu",
            (unsigned long long)d->produced, (unsigned long long)d->dropped,
            (unsigned long long)d->dequeued);
        stream_off_locked(d);
    }
    pthread_mutex_unlock(&d->mu);
    if (last)
        dev_free(d);
}

static int fake_open(int flags)
{
    if ((flags & O_ACCMODE) == O_WRONLY) {
        /* a capture-only device still opens O_WRONLY on Linux; allow it */
    }
    if (flags & (O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY)) {
        errno = (flags & O_DIRECTORY) ? ENOTDIR : EINVAL;
        if (flags & O_EXCL) errno = EEXIST;
        return -1;
    }
    fake_dev *d = calloc(1, sizeof *d);
    if (!d) { errno = ENOMEM; return -1; }
    d->memfd = -1;
    d->efd = -1;
    parse_config(d);
    d->tmpl = malloc(d->frame_size);
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!d->tmpl) { dev_free(d); errno = ENOMEM; return -1; }
    render_template(d);

    int efl = EFD_CLOEXEC | ((flags & O_NONBLOCK) ? EFD_NONBLOCK : 0);
    int fd = eventfd(0, efl);
    if (fd < 0) { int e = errno; dev_free(d); errno = e; return -1; }
    /* private descriptor on the same open file description */
    d->efd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d->efd < 0 || fd >= FAKE_MAX_FD) {
        int e = d->efd < 0 ? errno : EMFILE;
        REAL(close)(fd);
        dev_free(d);
        errno = e;
        return -1;
    }
    if (!(flags & O_CLOEXEC))
        fcntl(fd, F_SETFD, 0);
    pthread_mutex_lock(&d->mu);
    sync_signal(d);      /* not streaming: poll reports POLLERR like vb2 */
    pthread_mutex_unlock(&d->mu);
    register_fd(fd, d);
    LOG(d, 1, "open %s -> fd %d (%ux%u YUYV, %u/%u s per frame, %s, max_frames=%llu, buffers<=%u)",
        device_path(), fd, d->width, d->height, d->tpf_num, d->tpf_den,
        (flags & O_NONBLOCK) ? "non-blocking" : "blocking",
        (unsigned long long)d->max_frames, d->max_buffers);
    return fd;
}

/* ------------------------------------------------------------------ */
/* ioctl emulation                                                     */

static const char *ioctl_name(unsigned long req)
{
    switch (req) {
#define N(x) case x: return #x;
    N(VIDIOC_QUERYCAP) N(VIDIOC_ENUM_FMT) N(VIDIOC_G_FMT) N(VIDIOC_S_FMT) N(VIDIOC_TRY_FMT)
    N(VIDIOC_REQBUFS) N(VIDIOC_QUERYBUF) N(VIDIOC_QBUF) N(VIDIOC_DQBUF) N(VIDIOC_STREAMON)
    N(VIDIOC_STREAMOFF) N(VIDIOC_G_PARM) N(VIDIOC_S_PARM) N(VIDIOC_G_STD) N(VIDIOC_S_STD)
    N(VIDIOC_ENUMSTD) N(VIDIOC_QUERYSTD) N(VIDIOC_ENUMINPUT) N(VIDIOC_G_INPUT) N(VIDIOC_S_INPUT)
    N(VIDIOC_G_CTRL) N(VIDIOC_S_CTRL) N(VIDIOC_QUERYCTRL) N(VIDIOC_QUERYMENU)
    N(VIDIOC_QUERY_EXT_CTRL) N(VIDIOC_G_EXT_CTRLS) N(VIDIOC_S_EXT_CTRLS) N(VIDIOC_TRY_EXT_CTRLS)
    N(VIDIOC_ENUM_FRAMESIZES) N(VIDIOC_ENUM_FRAMEINTERVALS) N(VIDIOC_CROPCAP) N(VIDIOC_G_CROP)
    N(VIDIOC_S_CROP) N(VIDIOC_G_SELECTION) N(VIDIOC_S_SELECTION) N(VIDIOC_EXPBUF)
    N(VIDIOC_CREATE_BUFS) N(VIDIOC_PREPARE_BUF) N(VIDIOC_G_PRIORITY) N(VIDIOC_S_PRIORITY)
    N(VIDIOC_ENUMAUDIO) N(VIDIOC_G_AUDIO) N(VIDIOC_LOG_STATUS) N(VIDIOC_SUBSCRIBE_EVENT)
    N(VIDIOC_UNSUBSCRIBE_EVENT) N(VIDIOC_DQEVENT) N(VIDIOC_G_TUNER) N(VIDIOC_ENUMOUTPUT)
    N(VIDIOC_G_OUTPUT) N(VIDIOC_G_JPEGCOMP) N(VIDIOC_G_ENC_INDEX)
#undef N
    default: return NULL;
    }
}

static void fill_pix(fake_dev *d, struct v4l2_pix_format *p)
{
    memset(p, 0, sizeof *p);
    p->width = d->width;
    p->height = d->height;
    p->pixelformat = V4L2_PIX_FMT_YUYV;
    p->field = V4L2_FIELD_NONE;
    p->bytesperline = d->width * 2;
    p->sizeimage = d->frame_size;
    p->colorspace = V4L2_COLORSPACE_SRGB;
    p->ycbcr_enc = V4L2_YCBCR_ENC_601;
    p->quantization = V4L2_QUANTIZATION_LIM_RANGE;
    p->xfer_func = V4L2_XFER_FUNC_SRGB;
}

static void fill_buffer(fake_dev *d, unsigned i, struct v4l2_buffer *b)
{
    memset(b, 0, sizeof *b);
    b->index = i;
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    b->m.offset = (uint32_t)(i * d->buf_len);
    b->length = (uint32_t)d->buf_len;
    b->field = V4L2_FIELD_NONE;
    b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
    if (d->state[i] == BUF_QUEUED || d->state[i] == BUF_ACTIVE)
        b->flags |= V4L2_BUF_FLAG_QUEUED;
    if (d->state[i] == BUF_DONE)
        b->flags |= V4L2_BUF_FLAG_DONE;
    if (d->state[i] == BUF_DONE || d->state[i] == BUF_DEQUEUED) {
        b->bytesused = d->frame_size;
        b->timestamp = d->ts[i];
        b->sequence = d->seq[i];
    }
}

static int check_buf_arg(fake_dev *d, const struct v4l2_buffer *b)
{
    if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP ||
        b->index >= d->nbuf)
        return EINVAL;
    return 0;
}

static int fake_dqbuf(fake_dev *d, int fd, struct v4l2_buffer *b)
{
    if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP)
        return EINVAL;
    for (;;) {
        if (d->d_count > 0)
            break;
        if (d->gone)
            return ENODEV;
        if (!d->streaming)
            return EINVAL;
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_NONBLOCK))
            return EAGAIN;
        /* blocking wait on the eventfd (interruptible by signals, like the kernel) */
        pthread_mutex_unlock(&d->mu);
        struct pollfd p = { .fd = d->efd, .events = POLLIN };
        int r = REAL(poll)(&p, 1, -1);
        int e = errno;
        pthread_mutex_lock(&d->mu);
        if (r < 0 && e == EINTR)
            return EINTR;
    }
    int i = fifo_pop(d->done, &d->d_head, &d->d_count);
    d->state[i] = BUF_DEQUEUED;
    d->dequeued++;
    fill_buffer(d, (unsigned)i, b);
    sync_signal(d);
    return 0;
}

/* returns 0 or an errno value; called with d->mu held */
static int fake_ioctl_locked(fake_dev *d, int fd, unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "fakev4l2");
        snprintf((char *)c->card, sizeof c->card, "VideoSeg fake camera");
        snprintf((char *)c->bus_info, sizeof c->bus_info, "platform:fakev4l2");
        c->version = (6u << 16) | (1u << 8);
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || f->index != 0)
            return EINVAL;
        uint32_t idx = f->index, type = f->type;
        memset(f, 0, sizeof *f);
        f->index = idx;
        f->type = type;
        f->pixelformat = V4L2_PIX_FMT_YUYV;
        snprintf((char *)f->description, sizeof f->description, "YUYV 4:2:2");
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (s->index != 0 || s->pixel_format != V4L2_PIX_FMT_YUYV)
            return EINVAL;
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = d->width;
        s->discrete.height = d->height;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *iv = arg;
        if (iv->index != 0 || iv->pixel_format != V4L2_PIX_FMT_YUYV ||
            iv->width != d->width || iv->height != d->height)
            return EINVAL;
        iv->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        iv->discrete.numerator = d->tpf_num;
        iv->discrete.denominator = d->tpf_den;
        return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return EINVAL;
        if (req == VIDIOC_S_FMT && d->nbuf > 0 && d->streaming)
            return EBUSY;
        if (req != VIDIOC_G_FMT && (f->fmt.pix.width != d->width ||
                                    f->fmt.pix.height != d->height ||
                                    f->fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV))
            LOG(d, 1, "%s %ux%u fourcc 0x%08x: only %ux%u YUYV is offered",
                ioctl_name(req), f->fmt.pix.width, f->fmt.pix.height,
                f->fmt.pix.pixelformat, d->width, d->height);
        fill_pix(d, &f->fmt.pix);   /* drivers report back what they really do */
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return EINVAL;
        if (req == VIDIOC_S_PARM) {
            struct v4l2_fract want = p->parm.capture.timeperframe;
            if (want.numerator && want.denominator &&
                (uint64_t)want.numerator * d->tpf_den != (uint64_t)want.denominator * d->tpf_num)
                LOG(d, 1, "S_PARM %u/%u: fixed at %u/%u", want.numerator, want.denominator,
                    d->tpf_num, d->tpf_den);
        }
        memset(&p->parm, 0, sizeof p->parm);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe.numerator = d->tpf_num;
        p->parm.capture.timeperframe.denominator = d->tpf_den;
        p->parm.capture.readbuffers = d->max_buffers;
        return 0;
    }
    case VIDIOC_G_STD:
    case VIDIOC_S_STD:
    case VIDIOC_ENUMSTD:
    case VIDIOC_QUERYSTD:
        return ENOTTY;   /* a webcam has no analogue TV standard */
    case VIDIOC_G_INPUT:
        *(int *)arg = 0;
        return 0;
    case VIDIOC_S_INPUT:
        return *(int *)arg == 0 ? 0 : EINVAL;
    case VIDIOC_ENUMINPUT: {
        struct v4l2_input *in = arg;
        if (in->index != 0)
            return EINVAL;
        memset(in, 0, sizeof *in);
        snprintf((char *)in->name, sizeof in->name, "Camera");
        in->type = V4L2_INPUT_TYPE_CAMERA;
        return 0;
    }
    case VIDIOC_G_CTRL:
    case VIDIOC_S_CTRL:
    case VIDIOC_QUERYCTRL:
    case VIDIOC_QUERY_EXT_CTRL:
    case VIDIOC_QUERYMENU:
    case VIDIOC_G_EXT_CTRLS:
    case VIDIOC_S_EXT_CTRLS:
    case VIDIOC_TRY_EXT_CTRLS:
        return EINVAL;   /* no controls */
    case VIDIOC_G_PRIORITY:
        *(uint32_t *)arg = V4L2_PRIORITY_DEFAULT;
        return 0;
    case VIDIOC_S_PRIORITY:
        return 0;
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return EINVAL;
        r->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
        if (r->memory != V4L2_MEMORY_MMAP)
            return EINVAL;
        if (d->streaming)
            return EBUSY;
        free_buffers_locked(d);
        if (r->count == 0)
            return 0;
        unsigned n = r->count > d->max_buffers ? d->max_buffers : r->count;
        if (n < 2)
            n = 2;
        if (alloc_buffers_locked(d, n) < 0)
            return ENOMEM;
        LOG(d, 1, "REQBUFS: asked for %u, got %u buffers of %zu bytes", r->count, n, d->buf_len);
        r->count = n;
        return 0;
    }
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        int e = check_buf_arg(d, b);
        if (e)
            return e;
        fill_buffer(d, b->index, b);
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        int e = check_buf_arg(d, b);
        if (e)
            return e;
        if (d->state[b->index] != BUF_DEQUEUED)
            return EINVAL;
        /* accepted even after the device is gone, so the consumer's bookkeeping
         * (e.g. FFmpeg re-queueing after a copy) does not lose dequeued frames */
        d->state[b->index] = BUF_QUEUED;
        fifo_push(d->queued, &d->q_head, &d->q_count, (int)b->index);
        fill_buffer(d, b->index, b);
        return 0;
    }
    case VIDIOC_DQBUF:
        return fake_dqbuf(d, fd, arg);
    case VIDIOC_STREAMON: {
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return EINVAL;
        if (d->gone)
            return ENODEV;
        if (d->nbuf == 0)
            return EINVAL;
        if (d->streaming)
            return 0;
        d->streaming = 1;
        d->ever_streamed = 1;
        d->stop = 0;
        sync_signal(d);
        if (pthread_create(&d->thread, NULL, producer, d) != 0) {
            d->streaming = 0;
            sync_signal(d);
            return ENOMEM;
        }
        d->thread_started = 1;
        LOG(d, 1, "STREAMON: %u buffers", d->nbuf);
        return 0;
    }
    case VIDIOC_STREAMOFF:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return EINVAL;
        LOG(d, 1, "STREAMOFF: produced=%llu dropped_by_device=%llu dequeued=%llu",
            (unsigned long long)d->produced, (unsigned long long)d->dropped,
            (unsigned long long)d->dequeued);
        stream_off_locked(d);
        return 0;
    default: {
        const char *n = ioctl_name(req);
        if (n)
            LOG(d, 1, "ioctl %s not supported -> ENOTTY", n);
        else
            LOG(d, 1, "unknown ioctl 0x%08lx (type '%c' nr %lu size %lu) -> ENOTTY", req,
                (int)_IOC_TYPE(req), (unsigned long)_IOC_NR(req), (unsigned long)_IOC_SIZE(req));
        return ENOTTY;
    }
    }
}

/* ------------------------------------------------------------------ */
/* output device (a v4l2loopback-like "virtual camera" that is written to) */

/* One output device per process, shared by every descriptor open on it (a program may check
 * it with one descriptor and write with another, as VideoSeg does). */
static struct {
    pthread_mutex_t mu;
    int configured;
    unsigned width, height;
    uint32_t fourcc;
    uint64_t frames, bad_writes, formats_set, bytes;
    FILE *record;
    int stats_dirty;
} g_out = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* FAKE_V4L2_OUTPUT_MODE: ok (default: YU12 or YUYV at any size), yuyv (YU12 is turned into YUYV,
 * as a driver adjusts a format it lacks), refuse (TRY/S_FMT fail with EINVAL), busy (TRY/S_FMT
 * fail with EBUSY: another program writes), capture (the path is a capture-only camera). */
static const char *output_mode(void)
{
    const char *m = getenv("FAKE_V4L2_OUTPUT_MODE");
    return (m && *m) ? m : "ok";
}

static size_t output_frame_size(unsigned w, unsigned h, uint32_t fourcc)
{
    return fourcc == V4L2_PIX_FMT_YUYV ? (size_t)w * h * 2 : (size_t)w * h * 3 / 2;
}

/* called with g_out.mu held */
static void write_output_stats(void)
{
    const char *path = getenv("FAKE_V4L2_OUTPUT_STATS");
    if (!path || !*path || !g_out.stats_dirty)
        return;
    char tmp[4096], fourcc[5] = {0};
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    memcpy(fourcc, &g_out.fourcc, 4);
    fprintf(f,
            "{\"frames\":%llu,\"bad_writes\":%llu,\"formats_set\":%llu,\"bytes\":%llu,"
            "\"width\":%u,\"height\":%u,\"fourcc\":\"%s\",\"frame_size\":%zu}\n",
            (unsigned long long)g_out.frames, (unsigned long long)g_out.bad_writes,
            (unsigned long long)g_out.formats_set, (unsigned long long)g_out.bytes,
            g_out.width, g_out.height, g_out.configured ? fourcc : "",
            g_out.configured ? output_frame_size(g_out.width, g_out.height, g_out.fourcc) : (size_t)0);
    fclose(f);
    rename(tmp, path);
    g_out.stats_dirty = 0;
}

static void output_closed(void)
{
    pthread_mutex_lock(&g_out.mu);
    write_output_stats();
    pthread_mutex_unlock(&g_out.mu);
}

static void fill_output_pix(struct v4l2_pix_format *p, unsigned w, unsigned h, uint32_t fourcc)
{
    memset(p, 0, sizeof *p);
    p->width = w;
    p->height = h;
    p->pixelformat = fourcc;
    p->field = V4L2_FIELD_NONE;
    p->bytesperline = fourcc == V4L2_PIX_FMT_YUYV ? w * 2 : w;
    p->sizeimage = (uint32_t)output_frame_size(w, h, fourcc);
    p->colorspace = V4L2_COLORSPACE_SRGB;
}

/* returns 0 or an errno value */
static int fake_output_ioctl(fake_dev *d, unsigned long req, void *arg)
{
    const char *mode = output_mode();
    int capture = strcmp(mode, "capture") == 0;
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, capture ? "fakev4l2" : "v4l2 loopback");
        snprintf((char *)c->card, sizeof c->card, capture ? "VideoSeg fake camera" : "VideoSeg");
        snprintf((char *)c->bus_info, sizeof c->bus_info, "platform:fakev4l2-out");
        c->version = (6u << 16) | (1u << 8);
        c->device_caps = capture ? (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING)
                                 : (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_READWRITE | V4L2_CAP_STREAMING);
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (capture || f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
            return EINVAL;
        pthread_mutex_lock(&g_out.mu);
        if (req == VIDIOC_G_FMT) {
            if (!g_out.configured)
                fill_output_pix(&f->fmt.pix, 320, 240, V4L2_PIX_FMT_YUV420);
            else
                fill_output_pix(&f->fmt.pix, g_out.width, g_out.height, g_out.fourcc);
            pthread_mutex_unlock(&g_out.mu);
            return 0;
        }
        int e = 0;
        if (strcmp(mode, "refuse") == 0)
            e = EINVAL;
        else if (strcmp(mode, "busy") == 0)
            e = EBUSY;
        unsigned w = f->fmt.pix.width, h = f->fmt.pix.height;
        uint32_t fourcc = f->fmt.pix.pixelformat;
        if (!e && (w < 16 || h < 16 || w > 8192 || h > 8192))
            e = EINVAL;
        if (!e) {
            if (fourcc != V4L2_PIX_FMT_YUYV && fourcc != V4L2_PIX_FMT_YUV420)
                fourcc = V4L2_PIX_FMT_YUV420;
            if (strcmp(mode, "yuyv") == 0)
                fourcc = V4L2_PIX_FMT_YUYV;
            if (fourcc == V4L2_PIX_FMT_YUV420) { w &= ~1u; h &= ~1u; }
            fill_output_pix(&f->fmt.pix, w, h, fourcc);
            if (req == VIDIOC_S_FMT) {
                g_out.configured = 1;
                g_out.width = w;
                g_out.height = h;
                g_out.fourcc = fourcc;
                g_out.formats_set++;
                g_out.stats_dirty = 1;
            }
        }
        LOG(d, 1, "output %s %ux%u -> %s", ioctl_name(req), w, h, e ? strerror(e) : "ok");
        pthread_mutex_unlock(&g_out.mu);
        return e;
    }
    case VIDIOC_G_PRIORITY:
        *(uint32_t *)arg = V4L2_PRIORITY_DEFAULT;
        return 0;
    case VIDIOC_S_PRIORITY:
        return 0;
    default:
        LOG(d, 1, "output ioctl %s not supported -> ENOTTY", ioctl_name(req) ? ioctl_name(req) : "?");
        return ENOTTY;
    }
}

/* write(): one whole frame of the set format, counted and appended to FAKE_V4L2_OUTPUT_RECORD. */
static ssize_t fake_output_write(fake_dev *d, const void *buf, size_t count)
{
    if (strcmp(output_mode(), "capture") == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&g_out.mu);
    g_out.stats_dirty = 1;
    if (!g_out.configured || count != output_frame_size(g_out.width, g_out.height, g_out.fourcc)) {
        g_out.bad_writes++;
        LOG(d, 1, "output write of %zu bytes: not one frame of the set format", count);
        pthread_mutex_unlock(&g_out.mu);
        errno = EINVAL;
        return -1;
    }
    const char *path = getenv("FAKE_V4L2_OUTPUT_RECORD");
    if (path && *path && !g_out.record)
        g_out.record = fopen(path, "wb");
    if (g_out.record) {
        fwrite(buf, 1, count, g_out.record);
        fflush(g_out.record);
    }
    g_out.frames++;
    g_out.bytes += count;
    pthread_mutex_unlock(&g_out.mu);
    return (ssize_t)count;
}

static int fake_open_output(int flags)
{
    if (flags & (O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY)) {
        errno = EINVAL;
        return -1;
    }
    fake_dev *d = calloc(1, sizeof *d);
    if (!d) { errno = ENOMEM; return -1; }
    d->is_output = 1;
    d->memfd = -1;
    d->efd = -1;
    d->verbose = verbose_level();
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    int fd = eventfd(0, EFD_CLOEXEC | ((flags & O_NONBLOCK) ? EFD_NONBLOCK : 0));
    if (fd < 0 || fd >= FAKE_MAX_FD) {
        int e = fd < 0 ? errno : EMFILE;
        if (fd >= 0) REAL(close)(fd);
        dev_free(d);
        errno = e;
        return -1;
    }
    if (!(flags & O_CLOEXEC))
        fcntl(fd, F_SETFD, 0);
    register_fd(fd, d);
    LOG(d, 1, "open %s -> fd %d (output device, mode %s)", output_path(), fd, output_mode());
    return fd;
}

/* ------------------------------------------------------------------ */
/* interposed symbols                                                  */

static int open_common(const char *path, int flags, mode_t mode, open_fn fn)
{
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return fn(path, flags, mode);
}

#define NEEDS_MODE(flags) (((flags) & O_CREAT) || ((flags) & __O_TMPFILE) == __O_TMPFILE)

EXPORT int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (NEEDS_MODE(flags)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    return open_common(path, flags, mode, REAL(open));
}

EXPORT int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (NEEDS_MODE(flags)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    return open_common(path, flags, mode, REAL(open64));
}

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

EXPORT int __open_2(const char *path, int flags)
{
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(open_2)(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(open64_2)(path, flags);
}

/* openat: only absolute paths can name the device */
EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (NEEDS_MODE(flags)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(openat)(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (NEEDS_MODE(flags)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(openat64)(dirfd, path, flags, mode);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(openat_2)(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    if (is_output_path(path))
        return fake_open_output(flags);
    if (is_fake_path(path))
        return fake_open(flags);
    return REAL(openat64_2)(dirfd, path, flags);
}

EXPORT int close(int fd)
{
    if (lookup(fd))
        release_fd(fd);
    return REAL(close)(fd);
}

EXPORT int dup(int fd)
{
    fake_dev *d = lookup(fd);
    int nfd = REAL(dup)(fd);
    if (d && nfd >= 0 && register_fd(nfd, d) < 0) {
        REAL(close)(nfd);
        errno = EMFILE;
        return -1;
    }
    return nfd;
}

EXPORT int dup2(int fd, int nfd)
{
    fake_dev *d = lookup(fd);
    if (fd != nfd && lookup(nfd))
        release_fd(nfd);
    int r = REAL(dup2)(fd, nfd);
    if (d && r >= 0 && r != fd)
        register_fd(r, d);
    return r;
}

EXPORT int dup3(int fd, int nfd, int flags)
{
    fake_dev *d = lookup(fd);
    if (fd != nfd && lookup(nfd))
        release_fd(nfd);
    int r = REAL(dup3)(fd, nfd, flags);
    if (d && r >= 0)
        register_fd(r, d);
    return r;
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    fake_dev *d = lookup(fd);
    if (!d)
        return REAL(ioctl)(fd, req, arg);
    if (!arg && _IOC_SIZE(req)) {
        errno = EFAULT;
        return -1;
    }
    if (d->is_output) {
        int e = fake_output_ioctl(d, req, arg);
        if (e) { errno = e; return -1; }
        return 0;
    }
    pthread_mutex_lock(&d->mu);
    int e = fake_ioctl_locked(d, fd, req, arg);
    if (d->verbose >= 2 && !(req == VIDIOC_DQBUF && e == EAGAIN && d->verbose < 3)) {
        const char *n = ioctl_name(req);
        if (n)
            fprintf(stderr, "[fakev4l2] fd %d ioctl %s -> %s\n", fd, n, e ? strerror(e) : "0");
        else
            fprintf(stderr, "[fakev4l2] fd %d ioctl 0x%08lx -> %s\n", fd, req, e ? strerror(e) : "0");
    }
    pthread_mutex_unlock(&d->mu);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

static void *mmap_common(void *addr, size_t len, int prot, int flags, int fd, off_t off, mmap_fn fn)
{
    fake_dev *d = (flags & MAP_ANONYMOUS) ? NULL : lookup(fd);
    if (!d)
        return fn(addr, len, prot, flags, fd, off);
    pthread_mutex_lock(&d->mu);
    int e = 0;
    void *r = MAP_FAILED;
    if (!(flags & MAP_SHARED))
        e = EINVAL;                     /* vb2: MAP_SHARED is required */
    else if (d->nbuf == 0 || off < 0 || (size_t)off % d->buf_len ||
             (size_t)off / d->buf_len >= d->nbuf || len == 0 || len > d->buf_len)
        e = EINVAL;
    else {
        r = REAL(mmap)(addr, len, prot, flags, d->memfd, off);
        if (r == MAP_FAILED)
            e = errno;
    }
    LOG(d, 2, "mmap fd %d offset %lld len %zu -> %p", fd, (long long)off, len, r);
    pthread_mutex_unlock(&d->mu);
    if (e)
        errno = e;
    return r;
}

/* The buffers are real shared mappings of a memfd, so munmap needs no
 * interposition: the application's munmap goes straight to the kernel. */
EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap_common(addr, len, prot, flags, fd, off, REAL(mmap));
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    return mmap_common(addr, len, prot, flags, fd, (off_t)off, REAL(mmap64));
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (atomic_load_explicit(&g_nfake, memory_order_acquire) == 0)
        return REAL(poll)(fds, n, timeout);
    short saved_stack[64];
    short *saved = n <= 64 ? saved_stack : malloc(n * sizeof *saved);
    if (!saved)
        return REAL(poll)(fds, n, timeout);
    for (nfds_t i = 0; i < n; i++) {
        saved[i] = fds[i].events;
        if (lookup(fds[i].fd))
            fds[i].events = POLLIN;   /* eventfd readable == "something to report" */
    }
    int r = REAL(poll)(fds, n, timeout);
    int e = errno;
    if (r > 0) {
        r = 0;
        for (nfds_t i = 0; i < n; i++) {
            fake_dev *d = lookup(fds[i].fd);
            if (d && fds[i].revents) {
                short rev = 0;
                pthread_mutex_lock(&d->mu);
                if (d->d_count > 0)
                    rev = (POLLIN | POLLRDNORM) & saved[i];
                else if (d->gone || !d->streaming)
                    rev = POLLERR;
                pthread_mutex_unlock(&d->mu);
                fds[i].revents = rev;
            }
            if (fds[i].revents)
                r++;
        }
    }
    for (nfds_t i = 0; i < n; i++)
        fds[i].events = saved[i];
    if (saved != saved_stack)
        free(saved);
    errno = e;
    return r;
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    fake_dev *d = lookup(fd);
    if (d && d->is_output)
        return fake_output_write(d, buf, count);
    if (d) {
        errno = EINVAL;   /* the camera has no write() I/O */
        return -1;
    }
    return REAL(write)(fd, buf, count);
}

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    if (lookup(fd)) {
        errno = EINVAL;   /* no V4L2_CAP_READWRITE: read() I/O is not supported */
        return -1;
    }
    return REAL(read)(fd, buf, count);
}

/* ---- stat family: make the device node exist as a character device ---- */

static void fake_stat(struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = makedev(0, 5);
    st->st_ino = 0xfa4e;
    st->st_mode = S_IFCHR | 0660;
    st->st_nlink = 1;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_rdev = makedev(81, 99);
    st->st_blksize = 4096;
    clock_gettime(CLOCK_REALTIME, &st->st_mtim);
    st->st_atim = st->st_ctim = st->st_mtim;
}

#define STAT_WRAP(name, field)                                  \
    EXPORT int name(const char *p, struct stat *st)             \
    {                                                           \
        if (is_fake_path(p)) { fake_stat(st); return 0; }       \
        return REAL(field)(p, st);                              \
    }
STAT_WRAP(stat, stat)
STAT_WRAP(lstat, lstat)
EXPORT int stat64(const char *p, struct stat64 *st)
{
    if (is_fake_path(p)) { fake_stat((struct stat *)st); return 0; }
    return REAL(stat64)(p, (struct stat *)st);
}
EXPORT int lstat64(const char *p, struct stat64 *st)
{
    if (is_fake_path(p)) { fake_stat((struct stat *)st); return 0; }
    return REAL(lstat64)(p, (struct stat *)st);
}

EXPORT int fstat(int fd, struct stat *st)
{
    if (lookup(fd)) { fake_stat(st); return 0; }
    return REAL(fstat)(fd, st);
}
EXPORT int fstat64(int fd, struct stat64 *st)
{
    if (lookup(fd)) { fake_stat((struct stat *)st); return 0; }
    return REAL(fstat64)(fd, (struct stat *)st);
}

EXPORT int fstatat(int dirfd, const char *p, struct stat *st, int flags)
{
    if (is_fake_path(p)) { fake_stat(st); return 0; }
    if ((flags & AT_EMPTY_PATH) && !*p && lookup(dirfd)) { fake_stat(st); return 0; }
    return REAL(fstatat)(dirfd, p, st, flags);
}
EXPORT int fstatat64(int dirfd, const char *p, struct stat64 *st, int flags)
{
    if (is_fake_path(p)) { fake_stat((struct stat *)st); return 0; }
    if ((flags & AT_EMPTY_PATH) && !*p && lookup(dirfd)) { fake_stat((struct stat *)st); return 0; }
    return REAL(fstatat64)(dirfd, p, (struct stat *)st, flags);
}

/* legacy glibc < 2.33 entry points (older binaries) */
#define XSTAT_WRAP(name, field)                                         \
    EXPORT int name(int ver, const char *p, struct stat *st)            \
    {                                                                   \
        if (is_fake_path(p)) { fake_stat(st); return 0; }               \
        if (!REAL(field)) { errno = ENOSYS; return -1; }                \
        return REAL(field)(ver, p, st);                                 \
    }
XSTAT_WRAP(__xstat, xstat)
XSTAT_WRAP(__xstat64, xstat64)
XSTAT_WRAP(__lxstat, lxstat)
XSTAT_WRAP(__lxstat64, lxstat64)

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
    if (lookup(fd)) { fake_stat(st); return 0; }
    if (!REAL(fxstat)) { errno = ENOSYS; return -1; }
    return real.fxstat(ver, fd, st);
}
EXPORT int __fxstat64(int ver, int fd, struct stat *st)
{
    if (lookup(fd)) { fake_stat(st); return 0; }
    if (!REAL(fxstat64)) { errno = ENOSYS; return -1; }
    return real.fxstat64(ver, fd, st);
}
EXPORT int __fxstatat(int ver, int dirfd, const char *p, struct stat *st, int flags)
{
    if (is_fake_path(p)) { fake_stat(st); return 0; }
    if (!REAL(fxstatat)) { errno = ENOSYS; return -1; }
    return real.fxstatat(ver, dirfd, p, st, flags);
}
EXPORT int __fxstatat64(int ver, int dirfd, const char *p, struct stat *st, int flags)
{
    if (is_fake_path(p)) { fake_stat(st); return 0; }
    if (!REAL(fxstatat64)) { errno = ENOSYS; return -1; }
    return real.fxstatat64(ver, dirfd, p, st, flags);
}

EXPORT int access(const char *p, int mode)
{
    if (is_fake_path(p))
        return (mode & X_OK) ? (errno = EACCES, -1) : 0;
    return REAL(access)(p, mode);
}

EXPORT int faccessat(int dirfd, const char *p, int mode, int flags)
{
    if (is_fake_path(p))
        return (mode & X_OK) ? (errno = EACCES, -1) : 0;
    return REAL(faccessat)(dirfd, p, mode, flags);
}

EXPORT int statx(int dirfd, const char *p, int flags, unsigned int mask, struct statx *sx)
{
    if (is_fake_path(p)) {
        struct stat st;
        fake_stat(&st);
        memset(sx, 0, sizeof *sx);
        sx->stx_mask = STATX_BASIC_STATS;
        sx->stx_blksize = (uint32_t)st.st_blksize;
        sx->stx_nlink = 1;
        sx->stx_uid = st.st_uid;
        sx->stx_gid = st.st_gid;
        sx->stx_mode = (uint16_t)st.st_mode;
        sx->stx_ino = st.st_ino;
        sx->stx_rdev_major = major(st.st_rdev);
        sx->stx_rdev_minor = minor(st.st_rdev);
        sx->stx_dev_major = major(st.st_dev);
        sx->stx_dev_minor = minor(st.st_dev);
        sx->stx_atime.tv_sec = sx->stx_mtime.tv_sec = sx->stx_ctime.tv_sec = st.st_mtim.tv_sec;
        return 0;
    }
    if (!REAL(statx)) { errno = ENOSYS; return -1; }
    return real.statx(dirfd, p, flags, mask, sx);
}

/* At process exit, record the stats of devices the application never closed. */
__attribute__((destructor)) static void fakev4l2_fini(void)
{
    if (pthread_mutex_trylock(&g_out.mu) == 0) {
        write_output_stats();
        if (g_out.record) {
            fclose(g_out.record);
            g_out.record = NULL;
        }
        pthread_mutex_unlock(&g_out.mu);
    }
    if (atomic_load(&g_nfake) == 0)
        return;
    for (int fd = 0; fd < FAKE_MAX_FD; fd++) {
        fake_dev *d = g_tab[fd];
        if (d && !d->is_output && pthread_mutex_trylock(&d->mu) == 0) {
            write_stats(d);
            pthread_mutex_unlock(&d->mu);
        }
    }
}
