#include "CTorchBridge.h"
#include "ReusingAllocator.hpp"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cctype>
#include <vector>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

// Differences between libtorch versions, all here: the bridge builds against Debian's 1.13 (every
// CI run) and a current 2.x (a CUDA build, through scripts/gpu-check.sh).
namespace compat {
#if TORCH_VERSION_MAJOR >= 2
// 2.0 made c10::Warning a class handed whole to the handler, and moved the guard to WarningUtils.
using WarningHandlerGuard = c10::WarningUtils::WarningHandlerGuard;
class WarningHandler : public c10::WarningHandler {
   public:
    void process(const c10::Warning &warning) override { handle(warning.msg()); }
    virtual void handle(const std::string &message) = 0;
};
#else
using WarningHandlerGuard = c10::Warning::WarningHandlerGuard;
class WarningHandler : public c10::WarningHandler {
   public:
    void process(const c10::SourceLocation &, const std::string &message, const bool) override { handle(message); }
    virtual void handle(const std::string &message) = 0;
};
#endif
}  // namespace compat

struct VSTorchModel {
    torch::jit::Module module;
    std::string metadata;
    bool hasMetadata = false;
    /// What `prepare` did to the graph, for statistics, and why (a pass that did not apply, the
    /// timings that chose the graph).
    std::string optimization = "as loaded";
    std::string note;
    /// Where the module and its inputs live (vs_torch_model_set_device), and as what.
    c10::Device device = c10::Device(c10::kCPU);
    std::string deviceName = "cpu";
    bool half = false;
    /// The CUDA way (gathered input, results reduced as tensor operations) even on the CPU.
    bool tensorPath = false;
    /// The host tensor a batch is gathered into: pinned on CUDA, so the copy to the device runs
    /// without blocking. Grown as needed, reused for every batch.
    at::Tensor staging;
};

namespace {

char *copyString(const std::string &text) {
    char *result = static_cast<char *>(std::malloc(text.size() + 1));
    if (result) std::memcpy(result, text.c_str(), text.size() + 1);
    return result;
}

/// libtorch messages span many lines (source excerpts, backtraces); callers want one line.
std::string firstLine(const std::string &message) {
    std::string line;
    for (char c : message) {
        if (c == '\n') {
            if (!line.empty()) break;
            continue;
        }
        line.push_back(c);
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line.empty() ? std::string("unknown libtorch error") : line;
}

/// Whether `line` reads like a Python exception line, "RuntimeError: ..." or
/// "builtins.Exception: ...": a dotted identifier at the start, then ": ".
bool looksLikeCause(const std::string &line) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos || colon == 0 || !(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_')) return false;
    for (size_t i = 0; i < colon; i++) {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (!(std::isalnum(c) || c == '_' || c == '.')) return false;
    }
    return true;
}

/// What went wrong, on one line. An exception raised inside TorchScript reads "The following
/// operation failed in the TorchScript interpreter." then tracebacks whose source excerpts end
/// at a "<--- HERE" marker, and only then the cause ("RuntimeError: shape '[5]' is invalid ...",
/// "builtins.RuntimeError: boom from the model"): the first line after the last marker that
/// reads like an exception, else the last line. Other messages keep their first line.
std::string causeLine(const std::string &message) {
    const std::string first = firstLine(message);
    if (first != "The following operation failed in the TorchScript interpreter.") return first;
    std::vector<std::string> lines;
    size_t begin = 0;
    while (begin <= message.size()) {
        size_t end = message.find('\n', begin);
        if (end == std::string::npos) end = message.size();
        if (end > begin) lines.push_back(message.substr(begin, end - begin));
        begin = end + 1;
    }
    size_t from = 0;
    for (size_t i = 0; i < lines.size(); i++) {
        if (lines[i].find("<--- HERE") != std::string::npos) from = i + 1;
    }
    std::string cause = lines.empty() ? first : lines.back();
    for (size_t i = from; i < lines.size(); i++) {
        if (looksLikeCause(lines[i])) {
            cause = lines[i];
            break;
        }
    }
    const std::string builtins = "builtins.";
    if (cause.rfind(builtins, 0) == 0) cause.erase(0, builtins.size());
    return firstLine(cause) + " (raised in the TorchScript model)";
}

void setError(char **error, const std::string &message) {
    if (error) *error = copyString(causeLine(message));
}

std::atomic<VSTorchWarningCallback> warningCallback{nullptr};

/// libtorch warns through a thread-local handler that prints multi-line text to stderr on every
/// occurrence (for example, once per frame). This one hands each distinct warning, once and on
/// one line, to the callback the host set, and prints nothing itself.
class QuietWarningHandler : public compat::WarningHandler {
   public:
    void handle(const std::string &message) override {
        VSTorchWarningCallback callback = warningCallback.load();
        if (!callback) return;
        std::string line = firstLine(message);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!seen_.insert(line).second) return;
        }
        callback(line.c_str());
    }

   private:
    std::mutex mutex_;
    std::set<std::string> seen_;
};

// Never destroyed: exit() runs static destructors while another thread may still be inside
// libtorch (a stop during model preparation), and that thread must not find the handler freed.
QuietWarningHandler &quietWarnings = *new QuietWarningHandler();

template <typename Body>
int32_t guarded(char **error, Body body) {
    compat::WarningHandlerGuard warningGuard(&quietWarnings);
    try {
        body();
        return 0;
    } catch (const c10::Error &e) {
        setError(error, e.what_without_backtrace());
    } catch (const std::exception &e) {
        setError(error, e.what());
    } catch (...) {
        setError(error, "unknown C++ exception");
    }
    return -1;
}

/// Accepts the output forms of the model contract: a tensor, a dict with "out", or a tuple/list
/// whose first element is the tensor.
at::Tensor scoresFrom(const c10::IValue &output) {
    if (output.isTensor()) return output.toTensor();
    if (output.isGenericDict()) {
        auto dict = output.toGenericDict();
        for (const auto &entry : dict) {
            if (entry.key().isString() && entry.key().toStringRef() == "out") return scoresFrom(entry.value());
        }
        throw std::runtime_error("model returned a dict without an \"out\" entry");
    }
    if (output.isTuple()) {
        auto elements = output.toTupleRef().elements();
        if (elements.empty()) throw std::runtime_error("model returned an empty tuple");
        return scoresFrom(elements[0]);
    }
    if (output.isList()) {
        auto list = output.toList();
        if (list.size() == 0) throw std::runtime_error("model returned an empty list");
        return scoresFrom(list.get(0));
    }
    throw std::runtime_error("model returned " + output.tagKind() + ", expected a tensor, a dict with \"out\" or a tuple");
}

/// The input tensor [count,3,H,W] for `count` frames at `frames`, where the model runs. On the
/// CPU's own path one frame (or one contiguous batch) is wrapped, not copied. Otherwise the frames
/// are gathered into the staging tensor (pinned on CUDA), copied to the device without blocking,
/// and made float16 there when the model is. The staging tensor is refilled only by the next
/// call, after this one's results were copied back (which waits for the copy in).
at::Tensor placeInput(VSTorchModel *model, const float *const *frames, int32_t count, int32_t height, int32_t width,
                      bool contiguous) {
    const int64_t frameValues = int64_t(3) * height * width;
    const bool cuda = model->device.is_cuda();
    if (!cuda && !model->tensorPath && (count == 1 || contiguous)) {
        return torch::from_blob(const_cast<float *>(frames[0]), {count, 3, height, width}, torch::kFloat32);
    }
    if (!model->staging.defined() || model->staging.size(0) < count || model->staging.size(2) != height ||
        model->staging.size(3) != width) {
        auto options = torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(cuda);
        model->staging = torch::empty({count, 3, height, width}, options);
    }
    float *target = model->staging.data_ptr<float>();
    for (int32_t i = 0; i < count; i++) std::memcpy(target + i * frameValues, frames[i], size_t(frameValues) * sizeof(float));
    auto batch = model->staging.narrow(0, 0, count);
    if (cuda) batch = batch.to(model->device, /*non_blocking=*/true);
    if (model->half) batch = batch.to(torch::kHalf);
    return batch;
}

/// Runs the module on `input` and checks its scores against the contract.
at::Tensor forwardTensor(VSTorchModel *model, const at::Tensor &tensor, int64_t outShape[4]) {
    const int64_t batch = tensor.size(0);
    std::vector<c10::IValue> inputs{tensor};
    auto scores = scoresFrom(model->module.forward(inputs));
    if (scores.dim() != 4) {
        throw std::runtime_error("model output has shape " + c10::str(scores.sizes()) + ", expected [N,C,H,W]");
    }
    if (scores.size(0) != batch) {
        throw std::runtime_error("model output has batch " + std::to_string(scores.size(0)) + " for an input batch of " +
                                 std::to_string(batch));
    }
    for (int i = 0; i < 4; i++) outShape[i] = scores.size(i);
    return scores;
}

at::Tensor forward(VSTorchModel *model, const float *input, int32_t batch, int32_t height, int32_t width,
                   int64_t outShape[4]) {
    std::vector<const float *> frames(static_cast<size_t>(batch));
    for (int32_t i = 0; i < batch; i++) frames[i] = input + int64_t(i) * 3 * height * width;
    return forwardTensor(model, placeInput(model, frames.data(), batch, height, width, true), outShape);
}

/// The argmax over C of [N,C,H,W] scores, as uint8 class ids, the first maximum winning as in
/// torch.argmax. Channel by channel over contiguous planes with a running maximum: it streams
/// through memory once, where at::argmax(1) on one thread strides across channels for every
/// pixel (about 50 ms for 21 classes at 711x400, against a few here).
void argmaxOverChannels(const at::Tensor &output, uint8_t *classes) {
    auto scores = output.to(torch::kFloat32).contiguous();
    const int64_t batch = scores.size(0), channels = scores.size(1), plane = scores.size(2) * scores.size(3);
    const float *data = scores.data_ptr<float>();
    std::vector<float> best(static_cast<size_t>(plane));
    for (int64_t n = 0; n < batch; n++) {
        const float *image = data + n * channels * plane;
        uint8_t *target = classes + n * plane;
        std::copy(image, image + plane, best.begin());
        std::fill(target, target + plane, uint8_t(0));
        for (int64_t c = 1; c < channels; c++) {
            const float *channel = image + c * plane;
            const uint8_t id = static_cast<uint8_t>(c);
            for (int64_t i = 0; i < plane; i++) {
                const bool larger = channel[i] > best[i];
                best[i] = larger ? channel[i] : best[i];
                target[i] = larger ? id : target[i];
            }
        }
    }
}

/// NaN and infinite values among `values[0..<count]`: |x| <= FLT_MAX is false exactly for them.
/// Written so the compiler vectorises it (no branch, no library call).
int64_t countNonFinite(const float *values, int64_t count) {
    int64_t bad = 0;
    for (int64_t i = 0; i < count; i++) bad += !(std::fabs(values[i]) <= std::numeric_limits<float>::max());
    return bad;
}

/// Frame by frame results of a [N,C,H,W] score tensor, the CPU's way, in one pass over each
/// score plane: the non-finite count, the scores copied, the argmax (as argmaxOverChannels) all
/// while the plane is in cache. Three passes (isfinite().sum(), the argmax, the copy) cost about
/// 4 ms a frame for 21 classes at 256x256, a fifth of the forward pass of a small model. A frame
/// with non-finite values is rare (a broken model): it is made finite as torch.nan_to_num does
/// (NaN 0, +-inf the largest finite floats) and reduced again. `classes` NULL: no argmax (the
/// caller takes its classes from the scores).
void reduceOnHost(const at::Tensor &output, uint8_t *const *classes, float *const *scores, int64_t *nonfinite) {
    auto values = output.to(torch::kFloat32).contiguous();
    const int64_t count = values.size(0), channels = values.size(1), plane = values.size(2) * values.size(3);
    const int64_t frameValues = channels * plane;
    std::vector<float> best(static_cast<size_t>(plane));
    for (int64_t n = 0; n < count; n++) {
        const float *image = values.data_ptr<float>() + n * frameValues;
        uint8_t *target = classes ? classes[n] : nullptr;
        float *copy = scores ? scores[n] : nullptr;
        int64_t bad = 0;
        for (int64_t c = 0; c < channels; c++) {
            const float *channel = image + c * plane;
            bad += countNonFinite(channel, plane);
            if (copy) std::memcpy(copy + c * plane, channel, size_t(plane) * sizeof(float));
            if (!target) continue;
            if (c == 0) {
                std::copy(channel, channel + plane, best.begin());
                std::fill(target, target + plane, uint8_t(0));
                continue;
            }
            const uint8_t id = static_cast<uint8_t>(c);
            float *running = best.data();
            for (int64_t i = 0; i < plane; i++) {
                const bool larger = channel[i] > running[i];
                running[i] = larger ? channel[i] : running[i];
                target[i] = larger ? id : target[i];
            }
        }
        if (nonfinite) nonfinite[n] = bad;
        if (bad == 0) continue;
        auto finite = torch::nan_to_num(values[n], 0.0).contiguous();
        if (target) argmaxOverChannels(finite.unsqueeze(0), target);
        if (copy) std::memcpy(copy, finite.data_ptr<float>(), size_t(frameValues) * sizeof(float));
    }
}

/// The same results, the device's way (CUDA, or the CPU when asked for the tensor path): the
/// count, nan_to_num and argmax run where the scores are, as tensor operations, and only the
/// counts, the uint8 class maps and (when asked) the float32 scores are copied back.
void reduceOnDevice(const at::Tensor &output, uint8_t *const *classes, float *const *scores, int64_t *nonfinite) {
    auto values = output.to(torch::kFloat32);
    const int64_t count = values.size(0);
    auto bad = torch::logical_not(torch::isfinite(values)).flatten(1).sum(1).to(torch::kCPU);
    bool anyBad = false;
    for (int64_t n = 0; n < count; n++) {
        const int64_t frameBad = bad[n].item<int64_t>();
        if (nonfinite) nonfinite[n] = frameBad;
        anyBad = anyBad || frameBad > 0;
    }
    if (anyBad) values = torch::nan_to_num(values, 0.0);
    if (classes) {
        // torch.argmax returns the first maximum, as argmaxOverChannels does.
        auto ids = values.argmax(1).to(torch::kUInt8).to(torch::kCPU).contiguous();
        const int64_t plane = ids.size(1) * ids.size(2);
        for (int64_t n = 0; n < count; n++) std::memcpy(classes[n], ids.data_ptr<uint8_t>() + n * plane, size_t(plane));
    }
    if (scores) {
        for (int64_t n = 0; n < count; n++) {
            if (!scores[n]) continue;
            auto target = torch::from_blob(scores[n], values[n].sizes(), torch::kFloat32);
            target.copy_(values[n]);
        }
    }
}

/// Runs `count` frames and writes their results (see vs_torch_model_segment_frames).
void segmentFrames(VSTorchModel *model, const float *const *frames, int32_t count, int32_t height, int32_t width, bool contiguous,
                   uint8_t *const *classes, size_t capacity, float *const *scores, size_t scoreCapacity, int64_t outShape[4],
                   int64_t *nonfinite) {
    c10::InferenceMode guard;
    auto output = forwardTensor(model, placeInput(model, frames, count, height, width, contiguous), outShape);
    if (outShape[1] > 256) throw std::runtime_error("model has " + std::to_string(outShape[1]) + " classes; at most 256 fit a class map");
    if (classes && static_cast<size_t>(outShape[2] * outShape[3]) > capacity) {
        throw std::runtime_error("class map buffer too small for output " + c10::str(output.sizes()));
    }
    if (scores && static_cast<size_t>(outShape[1] * outShape[2] * outShape[3]) > scoreCapacity) {
        throw std::runtime_error("score buffer too small for output " + c10::str(output.sizes()));
    }
    if (model->device.is_cuda() || model->tensorPath) {
        reduceOnDevice(output, classes, scores, nonfinite);
    } else {
        reduceOnHost(output, classes, scores, nonfinite);
    }
}

/// The folder of the loaded libtorch_cpu (where a CUDA build keeps libtorch_cuda too), or "".
std::string libtorchFolder() {
    Dl_info info{};
    if (!dladdr(reinterpret_cast<void *>(&at::get_num_threads), &info) || !info.dli_fname) return "";
    std::string path(info.dli_fname);
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

/// Whether the CUDA half of libtorch is loaded; when not, loads libtorch_cuda.so from the folder
/// libtorch itself came from, if it is there. A linker that drops libraries no symbol is taken
/// from (--as-needed) leaves a CUDA build's libtorch_cuda out, and with it CUDA; loading it
/// registers its hooks. Never from anywhere else: a different build's library would not match.
bool ensureCUDALoaded() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (at::globalContext().hasCUDART()) return;
        const std::string folder = libtorchFolder();
        if (folder.empty()) return;
        const std::string candidate = folder + "libtorch_cuda.so";
        if (access(candidate.c_str(), R_OK) == 0) dlopen(candidate.c_str(), RTLD_NOW | RTLD_GLOBAL);
    });
    return at::globalContext().hasCUDART();
}

/// cuDeviceGetName from the driver (libcuda.so.1), whose C ABI has not changed since CUDA 2:
/// the bridge needs no CUDA headers to name the card.
std::string driverDeviceName(int32_t index) {
    void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!driver) return "";
    using Init = int (*)(unsigned int);
    using Get = int (*)(int *, int);
    using Name = int (*)(char *, int, int);
    auto init = reinterpret_cast<Init>(dlsym(driver, "cuInit"));
    auto get = reinterpret_cast<Get>(dlsym(driver, "cuDeviceGet"));
    auto name = reinterpret_cast<Name>(dlsym(driver, "cuDeviceGetName"));
    char text[256] = {0};
    int device = 0;
    std::string result;
    if (init && get && name && init(0) == 0 && get(&device, index) == 0 && name(text, sizeof(text) - 1, device) == 0) result = text;
    return result;
}

/// OpenBLAS (Debian's libtorch calls it for some matrix products) keeps its own pool of one
/// thread per core, which at::set_num_threads does not reach, and its idle workers spin on
/// sched_yield: on two cores that took a third of the machine from the other stages. Found by
/// name, so another BLAS, or none, needs nothing.
template <typename Function> Function openBLAS(const char *name) { return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name)); }

}  // namespace

extern "C" {

void vs_torch_set_num_threads(int32_t threads) {
    try {
        at::set_num_threads(threads > 0 ? threads : 1);
    } catch (...) {
    }
    if (auto set = openBLAS<void (*)(int)>("openblas_set_num_threads")) set(threads > 0 ? threads : 1);
}

int32_t vs_torch_get_num_threads(void) { return at::get_num_threads(); }

int32_t vs_torch_blas_threads(void) {
    auto get = openBLAS<int (*)(void)>("openblas_get_num_threads");
    return get ? get() : -1;
}

void vs_torch_set_warning_callback(VSTorchWarningCallback callback) { warningCallback.store(callback); }

const char *vs_torch_version(void) { return TORCH_VERSION; }

int32_t vs_torch_has_cuda(void) { return at::hasCUDA() ? 1 : 0; }

VSTorchModel *vs_torch_model_load(const char *path, char **error) {
    VSTorchModel *result = nullptr;
    reusing_allocator::install();
    guarded(error, [&] {
        torch::jit::ExtraFilesMap extra{{"videoseg.json", ""}};
        auto module = torch::jit::load(std::string(path), c10::kCPU, extra);
        auto model = std::make_unique<VSTorchModel>();
        model->module = std::move(module);
        auto found = extra.find("videoseg.json");
        if (found != extra.end() && !found->second.empty()) {
            model->metadata = found->second;
            model->hasMetadata = true;
        }
        result = model.release();
    });
    return result;
}

const char *vs_torch_model_metadata(const VSTorchModel *model) {
    return model && model->hasMetadata ? model->metadata.c_str() : nullptr;
}

/// Thrown between libtorch calls when the host asked to stop; reported as status 2.
struct Stopped {};

/// Asks the host's stop check, if it gave one.
void checkStop(VSTorchStopCheck stop, void *context) {
    if (stop && stop(context)) throw Stopped{};
}

/// Process CPU seconds of one forward pass. CPU rather than wall time: on a machine whose other
/// cores decode and encode, a graph that keeps extra threads busy costs the pipeline more than
/// its wall time says.
double timedForward(torch::jit::Module &module, std::vector<c10::IValue> &inputs) {
    timespec start{}, end{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    module.forward(inputs);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
    return double(end.tv_sec - start.tv_sec) + double(end.tv_nsec - start.tv_nsec) / 1e9;
}

/// The fastest forward pass of each graph, in CPU seconds, timed alternately so that a load
/// that comes and goes on a shared machine weighs on both alike. Each graph first runs twice
/// untimed: the profiling executor records shapes on the first call and builds its optimised
/// plan on the second, and that one-off cost (tens of milliseconds, more for the MKLDNN graph)
/// must not count as the graph's speed. Five timings each (a shared machine's load comes in
/// bursts that can double one), fewer for a heavy model: once past a quarter second a pass.
std::pair<double, double> timeBoth(torch::jit::Module &first, torch::jit::Module &second, const at::Tensor &input,
                                   VSTorchStopCheck stop, void *context) {
    std::vector<c10::IValue> inputs{input};
    for (auto *module : {&first, &second}) {
        for (int run = 0; run < 2; run++) {
            checkStop(stop, context);
            module->forward(inputs);
        }
    }
    double bestFirst = 1e30, bestSecond = 1e30;
    for (int run = 0; run < 5; run++) {
        checkStop(stop, context);
        bestFirst = std::min(bestFirst, timedForward(first, inputs));
        checkStop(stop, context);
        bestSecond = std::min(bestSecond, timedForward(second, inputs));
        if (std::max(bestFirst, bestSecond) * (run + 1) > 0.25) break;  // heavy enough: fewer timings say enough
    }
    return {bestFirst, bestSecond};
}

/// The optimised graph (frozen, then optimize_for_inference: MKLDNN layouts, fused ops).
torch::jit::Module optimizedClone(torch::jit::Module &frozen) {
    auto optimized = torch::jit::freeze(frozen.clone());
    torch::jit::optimize_for_inference(optimized);
    return optimized;
}

std::string milliseconds(double seconds) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f ms", seconds * 1000);
    return text;
}

const char *const optimizedName = "frozen + optimized for inference";

/// Freezes `model`'s module (the fallback: the module as loaded, with the reason noted).
/// Returns whether it was frozen.
bool freezeModule(VSTorchModel *model, VSTorchStopCheck stop, void *context) {
    // Freezing inlines weights and attributes; it does not apply to every module (for example
    // one that mutates its attributes), so the plain module remains the fallback.
    checkStop(stop, context);
    try {
        model->module = torch::jit::freeze(model->module);
        model->optimization = "frozen";
        return true;
    } catch (const std::exception &e) {
        model->note = "freezing failed: " + firstLine(e.what());
        return false;
    }
}

/// Optimises the frozen module for inference as `mode` says: always (VS_PREPARE_OPTIMIZED), or
/// only where it is faster at this input (VS_PREPARE_CHOOSE: both graphs timed), noting why.
/// optimize_for_inference makes large convolutions faster but can make small, depthwise-heavy
/// models slower (layout conversions around every op). Returns whether the warm-ups are done.
bool optimizeModule(VSTorchModel *model, int32_t mode, const at::Tensor &input, VSTorchStopCheck stop, void *context) {
    if (model->device.is_cuda() || model->half || model->tensorPath) {
        // Timed in CPU seconds on a CPU input, the choice says nothing on CUDA: the frozen graph
        // (with its conv-bn folding) is kept and cuDNN's autotuner picks the kernels.
        model->note = model->tensorPath ? "not optimized for inference: the tensor path keeps the frozen graph"
                                        : "not optimized for inference: on CUDA or in float16 the frozen graph is kept";
        return false;
    }
    if (mode == VS_PREPARE_FROZEN) {
        model->note = "the frozen graph, not timed here";
        return false;
    }
    torch::jit::Module optimized;
    try {
        checkStop(stop, context);
        optimized = optimizedClone(model->module);
    } catch (const std::exception &e) {
        model->note = "optimize_for_inference failed: " + firstLine(e.what());
        return false;
    }
    if (mode == VS_PREPARE_OPTIMIZED) {
        model->module = optimized;
        model->optimization = optimizedName;
        model->note = "the optimized graph, not timed here";
        return false;
    }
    std::pair<double, double> seconds;
    try {
        seconds = timeBoth(optimized, model->module, input, stop, context);
    } catch (const Stopped &) {
        throw;
    } catch (const std::exception &e) {
        model->note = "the optimized graph does not run: " + firstLine(e.what());
        return false;
    }
    const std::string timings = "optimized " + milliseconds(seconds.first) + ", frozen " + milliseconds(seconds.second) +
                                " CPU a forward pass at this input";
    // The optimised graph is PyTorch's own recipe for inference (what a user compares with):
    // the frozen one replaces it only when clearly faster, not on a difference within the
    // timing noise of a shared machine.
    if (seconds.first < seconds.second * 1.1) {
        model->module = optimized;
        model->optimization = optimizedName;
        model->note = "measured: " + timings;
    } else {
        model->note = "measured: " + timings + "; the frozen graph is more than 10% faster";
    }
    return true;
}

/// eval, freeze, optimise as `mode` says (timing both graphs for VS_PREPARE_CHOOSE), warm up;
/// the stop check is asked between the steps, each of which can take seconds for a large model.
static void prepareModel(VSTorchModel *model, int32_t batch, int32_t height, int32_t width, int32_t mode,
                         VSTorchStopCheck stop, void *context, int64_t out_shape[4]) {
    c10::InferenceMode guard;
    model->module.eval();
    model->optimization = "as loaded";
    model->note = mode == VS_PREPARE_AS_LOADED ? "not frozen: preparation off" : "";
    std::vector<float> zeros(static_cast<size_t>(batch) * 3 * height * width, 0.0f);
    auto input = torch::from_blob(zeros.data(), {batch, 3, height, width}, torch::kFloat32);
    // The profiling executor records shapes on a graph's first call and optimises it on the
    // second, so two warm-up forwards make the first frame run at full speed (one would only
    // move that cost into the first frame). Timing the two graphs warms the chosen one.
    bool warmed = false;
    if (mode != VS_PREPARE_AS_LOADED && freezeModule(model, stop, context)) warmed = optimizeModule(model, mode, input, stop, context);
    if (!warmed) {
        checkStop(stop, context);
        forward(model, zeros.data(), batch, height, width, out_shape);
    }
    checkStop(stop, context);
    forward(model, zeros.data(), batch, height, width, out_shape);
}

int32_t vs_torch_model_prepare(VSTorchModel *model, int32_t batch, int32_t height, int32_t width, int32_t mode,
                               VSTorchStopCheck stop, void *stop_context, int64_t out_shape[4], char **error) {
    bool stopped = false;
    int32_t status = guarded(error, [&] {
        try {
            prepareModel(model, batch, height, width, mode, stop, stop_context, out_shape);
        } catch (const Stopped &) {
            stopped = true;
        }
    });
    return stopped ? 2 : status;
}

const char *vs_torch_model_optimization(const VSTorchModel *model) { return model->optimization.c_str(); }

const char *vs_torch_model_preparation_note(const VSTorchModel *model) { return model->note.c_str(); }

char *vs_torch_model_graph(VSTorchModel *model) {
    try {
        std::ostringstream text;
        text << *model->module.get_method("forward").graph();
        return copyString(text.str());
    } catch (...) {
        return nullptr;
    }
}

int32_t vs_torch_model_segment(VSTorchModel *model, const float *input, int32_t batch, int32_t height, int32_t width,
                               uint8_t *classes, size_t capacity, float *scores, size_t score_capacity, int64_t out_shape[4],
                               int64_t *nonfinite, char **error) {
    if (nonfinite) *nonfinite = 0;
    return guarded(error, [&] {
        const int64_t frameValues = int64_t(3) * height * width;
        std::vector<const float *> frames;
        std::vector<uint8_t *> classMaps;
        std::vector<float *> scoreMaps;
        std::vector<int64_t> counts(static_cast<size_t>(std::max(batch, 0)), 0);
        // Per-frame pointers into the caller's contiguous buffers; sizes are checked per frame
        // once the output's shape is known, so split the capacities evenly.
        for (int32_t i = 0; i < batch; i++) frames.push_back(input + i * frameValues);
        const size_t classCapacity = batch > 0 ? capacity / size_t(batch) : 0;
        const size_t scoreCapacity = batch > 0 ? score_capacity / size_t(batch) : 0;
        int64_t probe[4] = {0, 0, 0, 0};
        c10::InferenceMode guard;
        auto output = forwardTensor(model, placeInput(model, frames.data(), batch, height, width, true), probe);
        for (int i = 0; i < 4; i++) out_shape[i] = probe[i];
        if (out_shape[1] > 256) throw std::runtime_error("model has " + std::to_string(out_shape[1]) + " classes; at most 256 fit a class map");
        const size_t plane = size_t(out_shape[2] * out_shape[3]), frameScores = size_t(out_shape[1]) * plane;
        if (plane > classCapacity) throw std::runtime_error("class map buffer too small for output " + c10::str(output.sizes()));
        if (scores && frameScores > scoreCapacity) throw std::runtime_error("score buffer too small for output " + c10::str(output.sizes()));
        for (int32_t i = 0; i < batch; i++) {
            classMaps.push_back(classes + i * plane);
            scoreMaps.push_back(scores ? scores + i * frameScores : nullptr);
        }
        if (model->device.is_cuda() || model->tensorPath) {
            reduceOnDevice(output, classMaps.data(), scores ? scoreMaps.data() : nullptr, counts.data());
        } else {
            reduceOnHost(output, classMaps.data(), scores ? scoreMaps.data() : nullptr, counts.data());
        }
        if (nonfinite) for (int64_t value : counts) *nonfinite += value;
    });
}

int32_t vs_torch_model_segment_frames(VSTorchModel *model, const float *const *frames, int32_t count, int32_t height,
                                      int32_t width, uint8_t *const *classes, size_t class_capacity, float *const *scores,
                                      size_t score_capacity, int64_t out_shape[4], int64_t *nonfinite, char **error) {
    if (nonfinite) std::fill(nonfinite, nonfinite + std::max(count, 0), int64_t(0));
    return guarded(error, [&] {
        if (count < 1) throw std::runtime_error("a batch needs at least one frame");
        segmentFrames(model, frames, count, height, width, false, classes, class_capacity, scores, score_capacity, out_shape,
                      nonfinite);
    });
}

int32_t vs_torch_model_scores(VSTorchModel *model, const float *input, int32_t batch, int32_t height, int32_t width,
                              float *scores, size_t capacity, int64_t out_shape[4], char **error) {
    return guarded(error, [&] {
        c10::InferenceMode guard;
        auto output = forward(model, input, batch, height, width, out_shape);
        size_t count = static_cast<size_t>(output.numel());
        if (count > capacity) throw std::runtime_error("score buffer too small for output " + c10::str(output.sizes()));
        auto target = torch::from_blob(scores, output.sizes(), torch::kFloat32);
        target.copy_(output.to(torch::kFloat32));
    });
}

void vs_torch_model_free(VSTorchModel *model) { delete model; }

int32_t vs_torch_cuda_built(void) {
    try {
        return ensureCUDALoaded() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

int32_t vs_torch_cuda_device_count(void) {
    try {
        if (!ensureCUDALoaded()) return 0;
        return static_cast<int32_t>(torch::cuda::device_count());
    } catch (...) {
        return 0;
    }
}

char *vs_torch_cuda_device_name(int32_t index) {
    try {
        const std::string name = driverDeviceName(index);
        return name.empty() ? nullptr : copyString(name);
    } catch (...) {
        return nullptr;
    }
}

int32_t vs_torch_model_set_device(VSTorchModel *model, int32_t cuda_index, int32_t flags, char **error) {
    return guarded(error, [&] {
        const bool half = flags & VS_TORCH_HALF;
        if (cuda_index < 0) {
            if (half) throw std::runtime_error("float16 runs on CUDA only: libtorch " TORCH_VERSION " has no float16 convolutions on the CPU");
            model->module.to(c10::Device(c10::kCPU));
            model->device = c10::Device(c10::kCPU);
            model->deviceName = "cpu";
        } else {
            if (!ensureCUDALoaded()) throw std::runtime_error("this build's libtorch (" TORCH_VERSION ") has no CUDA");
            const int32_t available = static_cast<int32_t>(torch::cuda::device_count());
            if (cuda_index >= available) {
                throw std::runtime_error("cuda:" + std::to_string(cuda_index) + " does not exist (" + std::to_string(available) +
                                         " CUDA device(s))");
            }
            const c10::Device device(c10::kCUDA, static_cast<c10::DeviceIndex>(cuda_index));
            // Input sizes are fixed for a run: let cuDNN time its algorithms once per shape.
            at::globalContext().setBenchmarkCuDNN(true);
            model->module.to(device);
            model->device = device;
            model->deviceName = "cuda:" + std::to_string(cuda_index);
        }
        if (half) model->module.to(torch::kHalf);
        model->half = half;
        model->tensorPath = flags & VS_TORCH_TENSOR_PATH;
        model->staging = at::Tensor();
        model->optimization = "as loaded";
        model->note.clear();
    });
}

const char *vs_torch_model_device(const VSTorchModel *model) { return model->deviceName.c_str(); }

int32_t vs_torch_define_module(const char *source, const char *metadata_json, const char *path, char **error) {
    return guarded(error, [&] {
        torch::jit::Module module("VideoSegDefined");
        module.define(std::string(source));
        torch::jit::ExtraFilesMap extra;
        if (metadata_json) extra["videoseg.json"] = std::string(metadata_json);
        module.save(std::string(path), extra);
    });
}

void vs_torch_free_string(char *string) { std::free(string); }

}  // extern "C"
