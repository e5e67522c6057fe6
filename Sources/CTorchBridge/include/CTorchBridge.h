#ifndef VIDEOSEG_CTORCHBRIDGE_H
#define VIDEOSEG_CTORCHBRIDGE_H

// A C interface over the parts of libtorch VideoSeg uses. Every call catches C++ exceptions:
// a failing call returns NULL or a non-zero status and stores a malloc'd one-line message in
// *error (free it with vs_torch_free_string). Handles are opaque and not thread-safe: one
// thread uses a model at a time.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct VSTorchModel VSTorchModel;

/// The libtorch version the bridge was built against (TORCH_VERSION, e.g. "1.13.0").
const char *vs_torch_version(void);
/// 1 when the libtorch in use was built with CUDA (at::hasCUDA), else 0.
int32_t vs_torch_has_cuda(void);

/// Sets libtorch's intra-op thread count (at::set_num_threads), and OpenBLAS's where libtorch
/// uses it (its own pool, which at::set_num_threads does not reach).
void vs_torch_set_num_threads(int32_t threads);
/// libtorch's current intra-op thread count.
int32_t vs_torch_get_num_threads(void);
/// OpenBLAS's thread count, or -1 where the process has no OpenBLAS.
int32_t vs_torch_blas_threads(void);

/// Receives libtorch's warnings, each distinct one once, as one line (valid during the call).
typedef void (*VSTorchWarningCallback)(const char *message);
/// Sets the function libtorch's warnings go to; NULL (the default) drops them.
void vs_torch_set_warning_callback(VSTorchWarningCallback callback);

/// Loads a TorchScript file. Reads the extra file "videoseg.json" if the file carries one.
VSTorchModel *vs_torch_model_load(const char *path, char **error);
/// The embedded "videoseg.json" text (owned by the model), or NULL when the file has none.
const char *vs_torch_model_metadata(const VSTorchModel *model);
/// Asked between long libtorch steps: non-zero stops the call (it then returns 2).
typedef int32_t (*VSTorchStopCheck)(void *context);

/// How vs_torch_model_prepare treats the graph.
enum {
    /// eval() only.
    VS_PREPARE_AS_LOADED = 0,
    /// Freeze, then time the frozen graph against the one optimised for inference at this size
    /// and keep the faster (each falling back cleanly when it does not apply).
    VS_PREPARE_CHOOSE = 1,
    /// Freeze only: a choice measured before.
    VS_PREPARE_FROZEN = 2,
    /// Freeze and optimise for inference: a choice measured before.
    VS_PREPARE_OPTIMIZED = 3,
};

/// eval(), then freezes and optimises as `mode` says, then warms up with the forwards libtorch's
/// profiling executor needs before a frame runs at full speed (it records shapes on the first
/// call and optimises on the second); the last gives the output's [N,C,H,W] shape. `stop` (may
/// be NULL) is asked between the steps, each of which can take seconds for a large model.
/// Returns 0 on success, 2 when `stop` asked to stop, -1 on error.
int32_t vs_torch_model_prepare(VSTorchModel *model, int32_t batch, int32_t height, int32_t width,
                               int32_t mode, VSTorchStopCheck stop, void *stop_context,
                               int64_t out_shape[4], char **error);
/// What prepare did to the graph: "as loaded", "frozen" or "frozen + optimized for inference"
/// (owned by the model).
const char *vs_torch_model_optimization(const VSTorchModel *model);
/// Why prepare ended with that graph, on one line (owned by the model): the CPU time of a forward
/// pass of each graph when it timed them, the graph asked for, or the pass that did not apply
/// and its error.
const char *vs_torch_model_preparation_note(const VSTorchModel *model);
/// The forward method's TorchScript graph as libtorch prints it, malloc'd (free with
/// vs_torch_free_string), or NULL. To compare with Python's `module.graph`.
char *vs_torch_model_graph(VSTorchModel *model);
/// Runs forward on a float32 NCHW RGB tensor (not copied) and writes the argmax over C as
/// uint8 class ids, N*H'*W' values, and, when `scores` is not NULL, the scores, N*C*H'*W'
/// float32 values, from the same pass. Non-finite scores are counted into *nonfinite (when not
/// NULL) and replaced as torch.nan_to_num does (NaN 0, +-inf the largest finite floats) before
/// the argmax. Returns 0 on success.
int32_t vs_torch_model_segment(VSTorchModel *model, const float *input, int32_t batch, int32_t height,
                               int32_t width, uint8_t *classes, size_t capacity, float *scores,
                               size_t score_capacity, int64_t out_shape[4], int64_t *nonfinite,
                               char **error);
/// Runs forward on `count` frames as one batch: frame i is a float32 [3,H,W] RGB tensor at
/// frames[i] (gathered into one [count,3,H,W] input; on CUDA through a pinned host buffer copied
/// without blocking). Writes frame i's argmax class ids, H'*W' uint8 values, to classes[i], and,
/// when `scores` is not NULL, its float32 scores, C*H'*W' values, to scores[i]. On CUDA the
/// non-finite check and the argmax run on the device and only these results come back.
/// nonfinite (may be NULL) receives `count` per-frame counts of NaN or infinite scores (made
/// finite as in vs_torch_model_segment). `class_capacity` and `score_capacity` are per frame.
/// `classes` may be NULL when `scores` is not: no argmax then (the caller decides the classes).
/// Returns 0 on success.
int32_t vs_torch_model_segment_frames(VSTorchModel *model, const float *const *frames, int32_t count, int32_t height,
                                      int32_t width, uint8_t *const *classes, size_t class_capacity, float *const *scores,
                                      size_t score_capacity, int64_t out_shape[4], int64_t *nonfinite, char **error);
/// Runs forward and copies the raw float32 scores, N*C*H'*W' values. Returns 0 on success.
int32_t vs_torch_model_scores(VSTorchModel *model, const float *input, int32_t batch, int32_t height,
                              int32_t width, float *scores, size_t capacity, int64_t out_shape[4],
                              char **error);
void vs_torch_model_free(VSTorchModel *model);

// Devices. CPU is always there; CUDA needs a libtorch built with it (VIDEOSEG_LIBTORCH, see
// README) and a machine with an NVIDIA device and driver.

/// 1 when the libtorch in use has its CUDA library loaded (CUDA hooks with a CUDA runtime), else
/// 0: a CPU-only build such as Debian's.
int32_t vs_torch_cuda_built(void);
/// The number of CUDA devices libtorch sees (0 without a CUDA build, driver or device).
int32_t vs_torch_cuda_device_count(void);
/// The name of CUDA device `index` as the driver reports it ("NVIDIA H100 80GB HBM3"), malloc'd
/// (free with vs_torch_free_string), or NULL when it cannot be told.
char *vs_torch_cuda_device_name(int32_t index);

/// Flags for vs_torch_model_set_device.
enum {
    /// float16 weights and inputs (CUDA only; scores come back as float32).
    VS_TORCH_HALF = 1,
    /// Tests only: on the CPU, take the path CUDA takes (gathered input tensor, non-finite count,
    /// nan_to_num and argmax as tensor operations) so that its code runs without a GPU.
    VS_TORCH_TENSOR_PATH = 2,
};
/// Places the model on `cuda_index` (-1: the CPU, N: cuda:N) with `flags`; call once, after
/// loading and before vs_torch_model_prepare. On CUDA it enables cuDNN's autotuner (the input
/// size is fixed) and prepare freezes without the CPU-timed optimisation. Returns 0 on success.
int32_t vs_torch_model_set_device(VSTorchModel *model, int32_t cuda_index, int32_t flags, char **error);
/// Where the model runs: "cpu" or "cuda:N" (owned by the model).
const char *vs_torch_model_device(const VSTorchModel *model);

/// Defines a TorchScript module from `source` (TorchScript method definitions, e.g. a `forward`)
/// and saves it to `path`, embedding `metadata_json` as "videoseg.json" when it is not NULL.
int32_t vs_torch_define_module(const char *source, const char *metadata_json, const char *path,
                               char **error);

void vs_torch_free_string(char *string);

#ifdef __cplusplus
}
#endif

#endif
