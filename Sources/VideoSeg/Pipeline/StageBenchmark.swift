import CFFmpeg
import Foundation

/// Measures each pipeline stage alone: every frame goes through decode, scale + normalise,
/// forward + argmax, render and encode + mux one after another on one thread, and each step's
/// process CPU time is added to its stage. The decoder and encoder run single-threaded here, so
/// their CPU work is not smeared into the next step by worker threads; libtorch uses `threads`.
public struct StageBenchmark: Sendable {
    /// The stages, in pipeline order.
    public static let stages = ["decode", "scale + normalise", "forward + argmax", "render", "encode + mux"]

    /// CPU milliseconds per frame, by stage name.
    public var cpuMilliseconds: [String: Double]
    /// Frames measured.
    public var frames: Int
    /// The model, what was done to its graph, and the input size used.
    public var modelPath: String
    public var modelOptimization: String
    public var inputWidth: Int
    public var inputHeight: Int

    /// The largest of the slowest stage's time and all stages' CPU time shared over `cores`:
    /// no pipeline on `cores` cores can beat it.
    public func boundMilliseconds(cores: Int) -> Double {
        let times = StageBenchmark.stages.map { cpuMilliseconds[$0] ?? 0 }
        return max(times.max() ?? 0, times.reduce(0, +) / Double(max(1, cores)))
    }

    /// Runs up to `maxFrames` frames of `configuration.input` through every stage in turn,
    /// writing the annotated video to `scratchOutput`.
    public static func measure(_ configuration: SegmentConfiguration, scratchOutput: String, maxFrames: Int?) throws -> StageBenchmark {
        let source = try MediaSource(path: configuration.input, decoderThreads: 1)
        let upright = source.orientation.uprightSize(width: source.width, height: source.height)
        let modelPath = try configuration.modelPath
            ?? DefaultModels.path(named: DefaultModels.name(forUprightWidth: upright.width, height: upright.height))
        let model = try SegmentationModel(path: modelPath, overrides: configuration.metadataOverrides)
        model.threads = configuration.threads
        let size = try SegmentationPipeline.modelInputSize(model: model, requested: configuration.inputSize,
                                                           uprightWidth: upright.width, uprightHeight: upright.height)
        try model.prepare(width: size.width, height: size.height, optimize: configuration.optimizeModel)
        let preprocessor = Preprocessor(width: size.width, height: size.height, orientation: source.orientation,
                                        mean: model.metadata.mean ?? [0, 0, 0], std: model.metadata.std ?? [1, 1, 1])
        var encoderSettings = configuration.encoder
        encoderSettings.threads = 1
        let format = SegmentationPipeline.videoFormat(of: source)
        let sink = try VideoSink(path: scratchOutput, format: format, settings: encoderSettings, audio: nil)
        let renderer = FrameRenderer(
            sink: sink, width: format.width, height: format.height, orientation: source.orientation,
            mapWidth: model.outputShape[3], mapHeight: model.outputShape[2], style: configuration.style,
            colors: ColorMap.colors(count: model.labels.count, custom: model.metadata.colors))
        var tensor = [Float](repeating: 0, count: preprocessor.tensorCount)
        var classMap = [UInt8](repeating: 0, count: model.classMapCount)
        var rendered: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        defer { av_frame_free(&rendered) }
        var totals = [String: Double]()
        var frames = 0
        func timed(_ stage: String, _ body: () throws -> Void) rethrows {
            let start = processCPUSeconds()
            try body()
            totals[stage, default: 0] += processCPUSeconds() - start
        }
        while maxFrames.map({ frames < $0 }) ?? true {
            var event: SourceEvent?
            try timed("decode") { event = try source.next() }
            guard let event else { break }
            guard case .video(let decoded) = event else {
                if case .audio(let packet) = event {
                    var owned: UnsafeMutablePointer<AVPacket>? = packet
                    av_packet_free(&owned)
                }
                continue
            }
            var frame: UnsafeMutablePointer<AVFrame>? = decoded
            defer { av_frame_free(&frame) }
            try timed("scale + normalise") {
                try tensor.withUnsafeMutableBufferPointer { try preprocessor.process(decoded, into: $0.baseAddress!) }
            }
            try timed("forward + argmax") {
                try tensor.withUnsafeBufferPointer { input in
                    try classMap.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
                }
            }
            try timed("render") {
                try classMap.withUnsafeBufferPointer { try renderer.render(decoded, classMap: $0.baseAddress!, into: rendered!) }
            }
            try timed("encode + mux") { try sink.write(frame: rendered!) }
            frames += 1
        }
        try timed("encode + mux") { try sink.finish() }
        let perFrame = totals.mapValues { $0 * 1000 / Double(max(1, frames)) }
        return StageBenchmark(cpuMilliseconds: perFrame, frames: frames, modelPath: modelPath, modelOptimization: model.optimization, inputWidth: size.width, inputHeight: size.height)
    }
}

/// CPU time of the whole process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
