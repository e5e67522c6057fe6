import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Measures each pipeline stage alone: every frame goes through the same stage types the
/// pipeline runs (decode, preprocess, inference, scores, render, encode) one after another on one
/// thread, and each step's process CPU time is added to its stage. The decoder and encoder run
/// single-threaded here, so their CPU work is not smeared into the next step by worker threads;
/// libtorch uses `threads`.
public struct StageBenchmark: Sendable {
    /// The stages measured, in pipeline order.
    public static let stages: [StageName] = [.source, .preprocess, .inference, .scores, .render, .encode]

    /// CPU milliseconds per frame, by stage.
    public var cpuMilliseconds: [StageName: Double]
    /// Of the scores stage's, keeping the chosen person alone (0 when everybody stays).
    public var subjectMilliseconds = 0.0
    /// Frames measured.
    public var frames: Int
    /// The model, what was done to its graph (and why), and the input size used.
    public var modelPath: String
    public var modelOptimization: String
    public var modelPreparationNote = ""
    /// The graph that ran, as libtorch prints it.
    public var modelGraph = ""
    public var inputWidth: Int
    public var inputHeight: Int

    /// "WxH" of the model input.
    public var inputSize: String { "\(inputWidth)x\(inputHeight)" }

    /// The largest of the slowest stage's time and all stages' CPU time shared over `cores`:
    /// no pipeline on `cores` cores can beat it.
    public func boundMilliseconds(cores: Int) -> Double {
        let times = StageBenchmark.stages.map { cpuMilliseconds[$0] ?? 0 }
        return max(times.max() ?? 0, times.reduce(0, +) / Double(max(1, cores)))
    }

    /// Runs up to `maxFrames` frames of `configuration.input` through every stage in turn,
    /// writing the annotated video to `scratchOutput`.
    public static func measure(_ configuration: SegmentConfiguration, scratchOutput: String, maxFrames: Int?) throws -> StageBenchmark {
        let plan = try JobPlan(configuration: configuration, decoderThreads: 1, drawsOverlay: true)
        var encoderSettings = configuration.encoder
        encoderSettings.threads = 1
        encoderSettings.alpha = plan.style.needsAlpha
        let sink = try VideoSink(path: scratchOutput, copying: plan.source, settings: encoderSettings, copyAudio: false, writesInPlace: false)
        let background = try plan.style.background.map { try BackgroundPicture($0, target: sink.renderTarget, census: nil) }
        let preprocess = PreprocessStage(preprocessor: plan.makePreprocessor(), census: nil)
        let subject = SubjectSetup(choice: configuration.subject, loss: configuration.subjectLoss,
                                   control: SubjectControl(choice: configuration.subject), followsClicks: false)
        let (inference, scores) = InferenceStage.withScores(plan: plan, census: nil, subject: subject)
        let render = RenderStage(plan: plan, target: sink.renderTarget, background: background, census: nil)
        let encode = EncodeStage(sink: sink)
        var totals = [StageName: Double]()
        var frames = 0
        func timed<Result>(_ stage: StageName, _ body: () throws -> Result) rethrows -> Result {
            let start = processCPUSeconds()
            defer { totals[stage, default: 0] += processCPUSeconds() - start }
            return try body()
        }
        while maxFrames.map({ frames < $0 }) ?? true {
            guard let event = try timed(.source, { try plan.source.next() }) else { break }
            guard case .video(let decoded) = event else { continue }
            let ticket = FrameTicket(index: frames, pts: decoded.pts, captureTime: nil)
            let input = try timed(.preprocess) { try preprocess.process(decoded, ticket: ticket) }
            let forwarded = try timed(.inference) { try inference.process(input, ticket: ticket) }
            let segmented = try timed(.scores) { try scores.process(forwarded, ticket: ticket) }
            let rendered = try timed(.render) { try render.process(segmented, ticket: ticket) }
            try timed(.encode) { try encode.process(rendered, ticket: ticket) }
            frames += 1
        }
        try timed(.encode) { try sink.finish() }
        let perFrame = totals.mapValues { $0 * 1000 / Double(max(1, frames)) }
        var result = StageBenchmark(cpuMilliseconds: perFrame, frames: frames, modelPath: plan.model.path,
                                    modelOptimization: plan.model.optimization, inputWidth: plan.model.inputWidth,
                                    inputHeight: plan.model.inputHeight)
        result.subjectMilliseconds = scores.subjectSeconds * 1000 / Double(max(1, frames))
        result.modelPreparationNote = plan.model.preparationNote
        result.modelGraph = plan.model.graphText
        return result
    }
}
