import CTorchBridge
import Foundation
import VideoSegCore

/// A TorchScript segmentation model, loaded through CTorchBridge, with its resolved metadata.
///
/// Not thread-safe: one thread prepares and runs it at a time (the pipeline's inference stage).
public final class SegmentationModel: @unchecked Sendable {
    // @unchecked: a libtorch module handle, used by one thread at a time, as documented above.
    private let handle: OpaquePointer

    /// The file the model was loaded from.
    public let path: String
    /// The metadata in force: defaults, then embedded, then sidecar, then caller overrides.
    public let metadata: ModelMetadata
    /// Where the metadata came from, weakest first (e.g. `["defaults", "embedded videoseg.json"]`).
    public let metadataSources: [String]
    /// libtorch intra-op threads used for this model's forward passes (OpenBLAS's too).
    public var threads: Int = 1

    /// The process's libtorch intra-op thread count now: the last forward pass's `threads`.
    public static var libtorchThreads: Int { Int(vs_torch_get_num_threads()) }

    /// OpenBLAS's thread count now (libtorch's BLAS on Debian, which keeps its own pool and
    /// follows `threads`), or nil where the process has no OpenBLAS.
    public static var blasThreads: Int? {
        let count = vs_torch_blas_threads()
        return count < 0 ? nil : Int(count)
    }
    /// Which graph `prepare` keeps when it optimises (measured by default).
    public var graphPreparation = GraphPreparation.measure
    /// Which `ModelCache` entry this model belongs to, when it came from one.
    var cacheKey: String?
    /// Whether `prepare` finished, and with which graph options.
    private var preparedOptimized: Bool?
    private var preparedGraph: GraphPreparation?
    /// Where the model runs, and whether in float16 (see `place`). The CPU until placed.
    public private(set) var device: ComputeDevice = .cpu
    public private(set) var half = false
    /// Tests only: the CPU takes the path CUDA takes (see `place`).
    package private(set) var tensorPath = false

    /// The prepared input size and the output shape `[N, C, H, W]`, known after `prepare`.
    public private(set) var inputWidth = 0
    public private(set) var inputHeight = 0
    public private(set) var batch = 1
    public private(set) var outputShape: [Int] = []

    /// Frames run through `segment` since `prepare`, and those whose scores had NaN or infinite
    /// values (made finite before the argmax, see `segment`).
    public private(set) var framesSegmented = 0
    public private(set) var nonFiniteFrames = 0
    /// The first frames with non-finite scores, as ranges of frame numbers (0-based, in the
    /// order `segment` saw them), for the warning.
    private var nonFiniteRanges: [ClosedRange<Int>] = []

    /// The class labels (index = class id).
    public var labels: [String] { metadata.labels ?? ModelMetadata.vocLabels }

    /// Loads `path` and resolves its metadata: a sidecar `MODEL.json` beats the embedded
    /// `videoseg.json`, and `overrides` (from the CLI) beat both. See `resolveMetadata`.
    public init(path: String, overrides: ModelMetadata = ModelMetadata()) throws {
        TorchLog.routeOnce()
        guard FileManager.default.fileExists(atPath: path) else {
            throw VideoSegError.model(path: path, message: "no such model file")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard let handle = vs_torch_model_load(path, &error) else {
            throw VideoSegError.model(path: path, message: SegmentationModel.explainLoadFailure(consume(error)))
        }
        self.handle = handle
        self.path = path
        let embedded: ModelMetadata?
        if let text = vs_torch_model_metadata(handle) {
            do {
                embedded = try ModelMetadata(json: Data(String(cString: text).utf8), source: "\(path) (embedded videoseg.json)")
            } catch {
                vs_torch_model_free(handle)
                throw error
            }
        } else {
            embedded = nil
        }
        let sidecarPath = SegmentationModel.sidecarPath(for: path)
        var sidecar: ModelMetadata?
        if let data = FileManager.default.contents(atPath: sidecarPath) {
            do {
                sidecar = try ModelMetadata(json: data, source: sidecarPath)
            } catch {
                vs_torch_model_free(handle)
                throw error
            }
        }
        (metadata, metadataSources) = SegmentationModel.resolveMetadata(
            embedded: embedded, sidecar: sidecar, overrides: overrides)
    }

    deinit {
        vs_torch_model_free(handle)
    }

    /// Moves the model to `device`, with float16 weights and inputs when `half` (CUDA only), once
    /// and before `prepare`. `tensorPath` (tests only) makes the CPU take the path CUDA takes: the
    /// frames gathered into one tensor, the non-finite count and the argmax as tensor operations.
    public func place(on device: ComputeDevice, half: Bool = false) throws {
        try place(on: device, half: half, tensorPath: false)
    }

    package func place(on device: ComputeDevice, half: Bool, tensorPath: Bool) throws {
        if device == self.device && half == self.half && tensorPath == self.tensorPath { return }
        var index: Int32 = -1
        if case .cuda(let number) = device { index = Int32(number) }
        var flags: Int32 = 0
        if half { flags |= Int32(VS_TORCH_HALF) }
        if tensorPath { flags |= Int32(VS_TORCH_TENSOR_PATH) }
        var error: UnsafeMutablePointer<CChar>?
        if vs_torch_model_set_device(handle, index, flags, &error) != 0 {
            throw VideoSegError.model(path: path, message: "cannot run on \(device)\(half ? " in float16" : ""): \(consume(error))")
        }
        self.device = device
        self.half = half
        self.tensorPath = tensorPath
        // The graph is frozen for a device: prepare anew.
        preparedOptimized = nil
    }

    /// eval, freeze, optimise for inference, and one warm-up forward at `width`×`height`; then
    /// checks the output against the contract and the labels.
    /// `stop`, when given, is asked between the steps (each can take seconds for a large model);
    /// once raised, preparing ends with `VideoSegError.stopped`.
    /// With `cache`, the choice between the frozen and the optimised graph is taken from it
    /// when a run measured it before, and stored there after measuring.
    public func prepare(width: Int, height: Int, batch: Int = 1, optimize: Bool = true, stop: StopFlag? = nil,
                        cache: PreparationCache? = nil) throws
    {
        // Each run's counts start afresh, even for a model prepared before.
        framesSegmented = 0
        nonFiniteFrames = 0
        nonFiniteRanges = []
        // Prepared already at this size (a cached model): nothing to do again.
        if preparedOptimized == optimize && preparedGraph == graphPreparation && inputWidth == width && inputHeight == height
            && self.batch == batch
        {
            preparation = .reused
            preparationSeconds = 0
            return
        }
        let started = monotonicSeconds()
        vs_torch_set_num_threads(Int32(threads))
        let (source, mode, cacheKey) = try preparationMode(width: width, height: height, batch: batch, optimize: optimize, cache: cache)
        var shape = [Int64](repeating: 0, count: 4)
        var error: UnsafeMutablePointer<CChar>?
        let status = shape.withUnsafeMutableBufferPointer { buffer in
            vs_torch_model_prepare(handle, Int32(batch), Int32(height), Int32(width), mode,
                                   stop == nil ? nil : StopFlag.check, stop?.cContext, buffer.baseAddress!, &error)
        }
        withExtendedLifetime(stop) {}
        if status == 2 { throw VideoSegError.stopped }
        if status != 0 {
            throw VideoSegError.model(path: path, message: "model does not run on a [\(batch),3,\(height),\(width)] input: \(consume(error))")
        }
        inputWidth = width
        inputHeight = height
        self.batch = batch
        outputShape = shape.map { Int($0) }
        if let problem = SegmentationModel.outputProblem(outputShape) { throw VideoSegError.model(path: path, message: problem) }
        let classes = outputShape[1]
        if labels.count != classes {
            throw VideoSegError.modelMetadata(
                path: path, message: "\(labels.count) labels but the model outputs \(classes) classes")
        }
        if classes > 256 {
            throw VideoSegError.model(path: path, message: "\(classes) classes do not fit an 8-bit class map")
        }
        preparedOptimized = optimize
        preparedGraph = graphPreparation
        preparation = source
        preparationSeconds = monotonicSeconds() - started
        // Only a real choice is remembered: a graph that could not be frozen is measured again.
        if source == .measured, let cache, let cacheKey, optimization != "as loaded" {
            cache.store(optimization.contains("optimized") ? .optimized : .frozen, for: cacheKey)
        }
    }

    /// How `prepare` comes to its graph: asked for (`graphPreparation`), taken from `cache`, or
    /// measured; the bridge's mode for it; and the cache key a measured choice is stored under.
    private func preparationMode(width: Int, height: Int, batch: Int, optimize: Bool, cache: PreparationCache?) throws
        -> (PreparationCache.Source, Int32, String?)
    {
        // Only the CPU's float32 choice is measured; on CUDA or in float16 the frozen graph is kept.
        let measurable = optimize && !device.isCUDA && !half
        let requested: PreparationCache.Choice? = switch graphPreparation {
        case .measure: nil
        case .frozen: .frozen
        case .optimized: .optimized
        }
        let cacheKey = measurable && requested == nil && cache != nil
            ? try PreparationCache.key(modelHash: fileHash(), batch: batch, height: height, width: width, threads: threads) : nil
        let cachedChoice = cacheKey.flatMap { cache?.choice(for: $0) }
        let source: PreparationCache.Source = !optimize ? .asLoaded : !measurable ? .frozenOnDevice : requested != nil ? .requested
            : cachedChoice == nil ? .measured : .cached
        let mode = switch optimize ? requested ?? cachedChoice : nil {
        case .optimized: Int32(VS_PREPARE_OPTIMIZED)
        case .frozen: Int32(VS_PREPARE_FROZEN)
        case nil: Int32(optimize ? VS_PREPARE_CHOOSE : VS_PREPARE_AS_LOADED)
        }
        return (source, mode, cacheKey)
    }

    /// How the last `prepare` chose its graph, and how long it took (seconds).
    public private(set) var preparation = PreparationCache.Source.asLoaded
    public private(set) var preparationSeconds = 0.0

    /// The model file's `stableHash`, computed once.
    private func fileHash() throws -> String {
        if let fileHashValue { return fileHashValue }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw VideoSegError.model(path: path, message: "cannot read the model file: \(error.localizedDescription)")
        }
        let hash = data.withUnsafeBytes { stableHash(bytes: $0) }
        fileHashValue = hash
        return hash
    }
    private var fileHashValue: String?

    /// Runs forward on `input` (float32 `[batch,3,H,W]`, RGB, normalised) and writes the argmax
    /// class ids, `[batch,H',W']`, into `classes`, and the scores `[batch,C,H',W']` into `scores`
    /// when given (one forward pass for both). NaN and infinite scores are replaced as
    /// `torch.nan_to_num` does and the frames they came from are counted (see `warnings`).
    public func segment(_ input: UnsafePointer<Float>, into classes: UnsafeMutableBufferPointer<UInt8>,
                        scores: UnsafeMutableBufferPointer<Float>? = nil) throws
    {
        if vs_torch_get_num_threads() != Int32(threads) { vs_torch_set_num_threads(Int32(threads)) }
        var shape = [Int64](repeating: 0, count: 4)
        var error: UnsafeMutablePointer<CChar>?
        var nonFinite: Int64 = 0
        let status = shape.withUnsafeMutableBufferPointer { buffer in
            vs_torch_model_segment(handle, input, Int32(batch), Int32(inputHeight), Int32(inputWidth),
                                   classes.baseAddress, classes.count, scores?.baseAddress, scores?.count ?? 0, buffer.baseAddress!,
                                   &nonFinite, &error)
        }
        if status != 0 { throw VideoSegError.model(path: path, message: "forward failed: \(consume(error))") }
        if nonFinite > 0 { noteNonFinite(frames: framesSegmented...(framesSegmented + batch - 1)) }
        framesSegmented += batch
    }

    /// Runs forward on `frames.count` frames as one batch (at most the prepared `batch`; fewer for
    /// the last, partial one): `frames[i]` is one frame's float32 `[3,H,W]` input, and its argmax
    /// class ids go to `classes[i]`, its scores to `scores[i]` when given. On CUDA the input goes
    /// through a pinned buffer and only these results come back. Non-finite scores are handled and
    /// counted per frame as in `segment(_:into:scores:)`. `classes` nil: no argmax, for a caller
    /// that decides the classes from the scores itself.
    public func segment(frames: [UnsafePointer<Float>], into classes: [UnsafeMutableBufferPointer<UInt8>]?,
                        scores: [UnsafeMutableBufferPointer<Float>]? = nil) throws
    {
        precondition(!frames.isEmpty && (classes?.count ?? frames.count) == frames.count && (scores?.count ?? frames.count) == frames.count
                         && (classes != nil || scores != nil), "one class map or score buffer (or both) per frame")
        if vs_torch_get_num_threads() != Int32(threads) { vs_torch_set_num_threads(Int32(threads)) }
        var shape = [Int64](repeating: 0, count: 4)
        var nonFinite = [Int64](repeating: 0, count: frames.count)
        var error: UnsafeMutablePointer<CChar>?
        let inputs: [UnsafePointer<Float>?] = frames
        let classMaps: [UnsafeMutablePointer<UInt8>?]? = classes?.map(\.baseAddress)
        let classCapacity = classes?.map(\.count).min() ?? 0
        let scoreMaps: [UnsafeMutablePointer<Float>?]? = scores?.map(\.baseAddress)
        let scoreCapacity = scores?.map(\.count).min() ?? 0
        let status = shape.withUnsafeMutableBufferPointer { shapeBuffer in
            nonFinite.withUnsafeMutableBufferPointer { counts in
                vs_torch_model_segment_frames(handle, inputs, Int32(frames.count), Int32(inputHeight), Int32(inputWidth), classMaps,
                                              classCapacity, scoreMaps, scoreCapacity, shapeBuffer.baseAddress!, counts.baseAddress,
                                              &error)
            }
        }
        // Checked before the bridge's own error: a larger output says "buffer too small", a
        // smaller one would otherwise be read as the prepared size.
        if let change = SegmentationModel.sizeChange(prepared: outputShape, now: shape.map { Int($0) }) {
            if status != 0 { _ = consume(error) }
            throw VideoSegError.model(path: path, message: change)
        }
        if status != 0 { throw VideoSegError.model(path: path, message: "forward failed: \(consume(error))") }
        for (offset, count) in nonFinite.enumerated() where count > 0 {
            noteNonFinite(frames: (framesSegmented + offset)...(framesSegmented + offset))
        }
        framesSegmented += frames.count
    }

    /// Records `frames` as having had non-finite scores, merging with the last range.
    private func noteNonFinite(frames: ClosedRange<Int>) {
        nonFiniteFrames += frames.count
        if let last = nonFiniteRanges.last, last.upperBound + 1 == frames.lowerBound {
            nonFiniteRanges[nonFiniteRanges.count - 1] = last.lowerBound...frames.upperBound
        } else if nonFiniteRanges.count < 5 {
            nonFiniteRanges.append(frames)
        }
    }

    /// Problems seen in the model's output since `prepare`, one line each: frames whose scores
    /// were NaN or infinite (a broken model, or an input normalised into overflow).
    public var warnings: [String] {
        guard nonFiniteFrames > 0 else { return [] }
        var listed = nonFiniteRanges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", ")
        if nonFiniteRanges.reduce(0, { $0 + $1.count }) < nonFiniteFrames { listed += ", ..." }
        return ["the model's scores were NaN or infinite in \(nonFiniteFrames) of \(framesSegmented) frames (frames \(listed)); "
            + "they were replaced as torch.nan_to_num does (NaN by 0, infinities by the largest floats)"]
    }

    /// The number of score values one forward pass writes.
    public var scoreCount: Int { outputShape.reduce(1, *) }

    /// Runs forward on `input` and returns the raw scores `[N,C,H',W']` and their shape.
    public func scores(_ input: UnsafePointer<Float>) throws -> (values: [Float], shape: [Int]) {
        vs_torch_set_num_threads(Int32(threads))
        let count = outputShape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        var shape = [Int64](repeating: 0, count: 4)
        var error: UnsafeMutablePointer<CChar>?
        let status = values.withUnsafeMutableBufferPointer { valueBuffer in
            shape.withUnsafeMutableBufferPointer { shapeBuffer in
                vs_torch_model_scores(handle, input, Int32(batch), Int32(inputHeight), Int32(inputWidth),
                                      valueBuffer.baseAddress, valueBuffer.count, shapeBuffer.baseAddress!, &error)
            }
        }
        if status != 0 { throw VideoSegError.model(path: path, message: "forward failed: \(consume(error))") }
        return (values, shape.map { Int($0) })
    }

    /// Where the bridge says the model runs: "cpu" or "cuda:N".
    public var deviceDescription: String { String(cString: vs_torch_model_device(handle)) }

    /// What `prepare` did to the graph: "as loaded", "frozen", or "frozen + optimized for
    /// inference" (kept only where it was faster at the prepared size).
    public var optimization: String { String(cString: vs_torch_model_optimization(handle)) }

    /// Why `prepare` ended with that graph: the CPU time of a forward pass of each graph when it
    /// timed them, the graph asked for, or the pass that did not apply and its error.
    public var preparationNote: String {
        let note = String(cString: vs_torch_model_preparation_note(handle))
        return preparation == .cached ? "an earlier run measured it (preparation cache): " + note : note
    }

    /// The forward graph as libtorch prints it (after `prepare`: the graph that runs), to compare
    /// with Python's `module.graph`.
    public var graphText: String {
        guard let text = vs_torch_model_graph(handle) else { return "" }
        defer { vs_torch_free_string(text) }
        return String(cString: text)
    }

    /// The number of class-map bytes one forward pass writes.
    public var classMapCount: Int {
        outputShape.count == 4 ? outputShape[0] * outputShape[2] * outputShape[3] : 0
    }

    /// Defines a TorchScript module from `source` (method definitions, such as
    /// `def forward(self, x): ...`) and saves it at `path` with `metadata` embedded. Tests and
    /// examples use it to make small models with known outputs.
    public static func define(source: String, metadata: ModelMetadata?, path: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = vs_torch_define_module(source, metadata?.jsonText(), path, &error)
        if status != 0 { throw VideoSegError.model(path: path, message: consume(error)) }
    }

    static func explainLoadFailure(_ message: String) -> String {
        if message.contains("PytorchStreamReader failed reading zip archive") {
            return "not a TorchScript file (\(message))"
        }
        if message.lowercased().contains("version") {
            return "this TorchScript file was written by a newer PyTorch than libtorch 1.13 can read (\(message)); "
                + "re-export it with PyTorch 1.13, e.g. Models/export_deeplabv3.py"
        }
        return "cannot load TorchScript model: \(message)"
    }
}

/// Takes ownership of a bridge error string.
private func consume(_ error: UnsafeMutablePointer<CChar>?) -> String {
    guard let error else { return "unknown error" }
    defer { vs_torch_free_string(error) }
    return String(cString: error)
}
