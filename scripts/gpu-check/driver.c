// gpu-check's driver: runs a TorchScript segmentation model through the bridge's C API (the same
// TorchBridge.cpp the Swift package builds) on a device at several batch sizes and precisions,
// prints frames per second, and compares the class maps with the bridge's own CPU path.
//
// usage: gpu-check-driver --model PATH --name NAME --device cpu|cuda:N --size HxW
//          [--batches 1,4,8] [--precisions float32,float16] [--reference-frames K] [--seconds S]
//          [--tie-tolerance T] [--min-equal P] [--threads N] [--tensor-path]
//
// The CPU reference runs K frames one at a time (frozen and optimised, as videoseg prepares a
// model). A device run at batch B runs the same frames in batches of B. float32 passes when every
// pixel whose class differs from the CPU's is a near-tie there: its two best CPU scores within
// T x max(1, |best|). float16 passes when at least P percent of the pixels are equal.
// --tensor-path makes a CPU run take the path CUDA takes (gathered input, tensor-op argmax),
// so `gpu-check.sh --cpu` runs that code without a GPU. Exit 0 when every run passes, 1 when a
// comparison fails, 2 on an error.

#include "CTorchBridge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME_COUNT 8

static void fail(const char *what, char *error) {
    fprintf(stderr, "gpu-check-driver: %s: %s\n", what, error ? error : "unknown error");
    vs_torch_free_string(error);
    exit(2);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/// Parses "1,4,8" into values; returns the count.
static int parseList(const char *text, int *values, int capacity) {
    int count = 0;
    const char *p = text;
    while (*p && count < capacity) {
        values[count++] = atoi(p);
        const char *comma = strchr(p, ',');
        if (!comma) break;
        p = comma + 1;
    }
    return count;
}

/// Frame f: smooth waves and blocks per channel, spread to about +-10 (a normalised picture spans
/// about +-2.5; a random-weight MobileNet backbone needs the wider spread to give several classes).
static float *makeFrame(int f, int height, int width) {
    float *frame = malloc(sizeof(float) * 3 * (size_t)height * (size_t)width);
    if (!frame) exit(2);
    for (int c = 0; c < 3; c++) {
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float wave = 8.0f * sinf(0.031f * (float)(x + 7 * f) + 1.3f * (float)c) * cosf(0.023f * (float)(y - 5 * f) + 0.7f * (float)c);
                float block = 2.0f * (float)((x / 64 + y / 48 + c + f) % 3) - 2.0f;
                frame[((size_t)c * height + y) * width + x] = wave + block;
            }
        }
    }
    return frame;
}

typedef struct {
    VSTorchModel *model;
    int64_t shape[4];
} Prepared;

static Prepared prepare(const char *path, int cudaIndex, int flags, int batch, int height, int width) {
    char *error = NULL;
    Prepared result = {0};
    result.model = vs_torch_model_load(path, &error);
    if (!result.model) fail("load", error);
    if (vs_torch_model_set_device(result.model, cudaIndex, flags, &error) != 0) fail("set device", error);
    if (vs_torch_model_prepare(result.model, batch, height, width, VS_PREPARE_CHOOSE, NULL, NULL, result.shape, &error) != 0) fail("prepare", error);
    return result;
}

/// Runs frames [first, first+count) (cycling through `frames`) as one batch.
static void runBatch(Prepared *p, float **frames, int first, int count, int height, int width, uint8_t **classes, float **scores) {
    const float *inputs[64];
    int64_t shape[4], nonfinite[64];
    char *error = NULL;
    for (int i = 0; i < count; i++) inputs[i] = frames[(first + i) % FRAME_COUNT];
    const size_t plane = (size_t)(p->shape[2] * p->shape[3]);
    if (vs_torch_model_segment_frames(p->model, inputs, count, height, width, classes, plane, scores,
                                      scores ? plane * (size_t)p->shape[1] : 0, shape, nonfinite, &error) != 0) {
        fail("forward", error);
    }
}

int main(int argc, char **argv) {
    const char *modelPath = NULL, *name = "model", *device = "cpu", *size = "520x924", *batchList = "1,4,8", *precisionList = "float32";
    int referenceFrames = 2, threads = 0, tensorPath = 0;
    double seconds = 2.0, tieTolerance = 1e-3, minEqual = 99.5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tensor-path")) { tensorPath = 1; continue; }
        if (!v) { fprintf(stderr, "gpu-check-driver: %s needs a value\n", a); return 2; }
        if (!strcmp(a, "--model")) modelPath = v;
        else if (!strcmp(a, "--name")) name = v;
        else if (!strcmp(a, "--device")) device = v;
        else if (!strcmp(a, "--size")) size = v;
        else if (!strcmp(a, "--batches")) batchList = v;
        else if (!strcmp(a, "--precisions")) precisionList = v;
        else if (!strcmp(a, "--reference-frames")) referenceFrames = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--tie-tolerance")) tieTolerance = atof(v);
        else if (!strcmp(a, "--min-equal")) minEqual = atof(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else { fprintf(stderr, "gpu-check-driver: unknown option %s\n", a); return 2; }
        i++;
    }
    int height = 0, width = 0;
    if (!modelPath || sscanf(size, "%dx%d", &height, &width) != 2 || height < 1 || width < 1 || referenceFrames < 1 ||
        referenceFrames > FRAME_COUNT) {
        fprintf(stderr, "gpu-check-driver: usage: --model PATH --device cpu|cuda:N --size HxW (reference frames 1-%d)\n", FRAME_COUNT);
        return 2;
    }
    int cudaIndex = -1;
    if (!strncmp(device, "cuda", 4)) {
        cudaIndex = device[4] == ':' ? atoi(device + 5) : 0;
        if (!vs_torch_cuda_built()) { fprintf(stderr, "gpu-check-driver: libtorch %s has no CUDA\n", vs_torch_version()); return 2; }
        if (cudaIndex >= vs_torch_cuda_device_count()) { fprintf(stderr, "gpu-check-driver: no CUDA device %s\n", device); return 2; }
    } else if (strcmp(device, "cpu") != 0) {
        fprintf(stderr, "gpu-check-driver: --device %s: expected cpu or cuda:N\n", device);
        return 2;
    }
    if (threads > 0) vs_torch_set_num_threads(threads);
    char *cardName = cudaIndex >= 0 ? vs_torch_cuda_device_name(cudaIndex) : NULL;
    printf("libtorch %s, %s%s%s%s, %d CPU thread(s)\n", vs_torch_version(), device, cardName ? " (" : "", cardName ? cardName : "",
           cardName ? ")" : "", vs_torch_get_num_threads());
    vs_torch_free_string(cardName);
    int batches[16], batchCount = parseList(batchList, batches, 16);
    for (int i = 0; i < batchCount; i++) {
        if (batches[i] < 1 || batches[i] > 64) { fprintf(stderr, "gpu-check-driver: batch %d out of 1-64\n", batches[i]); return 2; }
    }

    float *frames[FRAME_COUNT];
    for (int f = 0; f < FRAME_COUNT; f++) frames[f] = makeFrame(f, height, width);

    // The CPU reference: frame by frame, scores kept to tell near-ties.
    double began = now();
    Prepared reference = prepare(modelPath, -1, 0, 1, height, width);
    const int64_t classesCount = reference.shape[1], plane = reference.shape[2] * reference.shape[3];
    uint8_t *referenceClasses[FRAME_COUNT];
    float *referenceGaps[FRAME_COUNT];
    float *scoreBuffer = malloc(sizeof(float) * (size_t)(classesCount * plane));
    int classesSeen[256] = {0};
    for (int k = 0; k < referenceFrames; k++) {
        referenceClasses[k] = malloc((size_t)plane);
        referenceGaps[k] = malloc(sizeof(float) * (size_t)plane);
        runBatch(&reference, frames, k, 1, height, width, &referenceClasses[k], &scoreBuffer);
        for (int64_t p = 0; p < plane; p++) {
            float best = -INFINITY, second = -INFINITY;
            for (int64_t c = 0; c < classesCount; c++) {
                float s = scoreBuffer[c * plane + p];
                if (s > best) { second = best; best = s; } else if (s > second) { second = s; }
            }
            referenceGaps[k][p] = (best - second) / fmaxf(1.0f, fabsf(best));
            classesSeen[referenceClasses[k][p]] = 1;
        }
    }
    int distinct = 0;
    for (int c = 0; c < 256; c++) distinct += classesSeen[c];
    printf("%s: %dx%d in, %lldx%lld out, %lld classes (%d in the reference maps); CPU reference (%s): %d frame(s) in %.1f s\n", name,
           width, height, (long long)reference.shape[3], (long long)reference.shape[2], (long long)classesCount, distinct,
           vs_torch_model_optimization(reference.model), referenceFrames, now() - began);
    vs_torch_model_free(reference.model);
    fflush(stdout);

    int failures = 0;
    char precisions[64];
    snprintf(precisions, sizeof precisions, "%s", precisionList);
    for (char *precision = strtok(precisions, ","); precision; precision = strtok(NULL, ",")) {
        const int half = !strcmp(precision, "float16");
        if (!half && strcmp(precision, "float32") != 0) { fprintf(stderr, "gpu-check-driver: precision %s?\n", precision); return 2; }
        for (int b = 0; b < batchCount; b++) {
            const int batch = batches[b];
            Prepared run = prepare(modelPath, cudaIndex, (half ? VS_TORCH_HALF : 0) | (tensorPath ? VS_TORCH_TENSOR_PATH : 0), batch,
                                   height, width);
            uint8_t *classes[64];
            for (int i = 0; i < batch; i++) classes[i] = malloc((size_t)plane);
            // Correctness: the reference frames, in batches of `batch` (the last one partial).
            int64_t equal = 0, compared = 0, beyondTies = 0;
            float largestGap = 0;
            for (int first = 0; first < referenceFrames; first += batch) {
                const int count = referenceFrames - first < batch ? referenceFrames - first : batch;
                runBatch(&run, frames, first, count, height, width, classes, NULL);
                for (int i = 0; i < count; i++) {
                    for (int64_t p = 0; p < plane; p++) {
                        compared++;
                        if (classes[i][p] == referenceClasses[first + i][p]) { equal++; continue; }
                        const float gap = referenceGaps[first + i][p];
                        if (gap > largestGap) largestGap = gap;
                        if (gap > tieTolerance) beyondTies++;
                    }
                }
            }
            // Speed: full batches until `seconds` have passed (at least three), after two untimed.
            for (int i = 0; i < 2; i++) runBatch(&run, frames, i * batch, batch, height, width, classes, NULL);
            int frameCount = 0, calls = 0;
            const double start = now();
            double elapsed = 0;
            while (calls < 3 || elapsed < seconds) {
                runBatch(&run, frames, frameCount, batch, height, width, classes, NULL);
                frameCount += batch;
                calls++;
                elapsed = now() - start;
            }
            const double percent = 100.0 * (double)equal / (double)compared;
            const int pass = half ? percent >= minEqual : beyondTies == 0;
            failures += !pass;
            printf("%-28s %-8s %-8s batch %2d  %9.1f frames/s  class maps vs CPU: %8.4f%% equal, %lld differing beyond near-ties "
                   "(largest top-2 gap of a differing pixel %.2g)  %s\n",
                   name, vs_torch_model_device(run.model), precision, batch, (double)frameCount / elapsed, percent, (long long)beyondTies,
                   largestGap, pass ? "ok" : "FAIL");
            fflush(stdout);
            for (int i = 0; i < batch; i++) free(classes[i]);
            vs_torch_model_free(run.model);
        }
    }
    return failures ? 1 : 0;
}
