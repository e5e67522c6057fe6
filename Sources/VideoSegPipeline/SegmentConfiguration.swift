import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Everything `videoseg segment` needs to know, as a value the CLI builds and tests construct.
public struct SegmentConfiguration: Sendable {
    /// The video to segment.
    public var input: String
    /// The annotated video to write (its extension picks the container); nil writes none.
    public var output: String?
    /// Per-frame masks to export, if any.
    public var masks: MaskExportSettings?
    /// Replace an existing output.
    public var overwrite = false
    /// The TorchScript model; nil uses the bundled default (`DefaultModels`).
    public var modelPath: String?
    /// Metadata from the command line; beats the model's own.
    public var metadataOverrides = ModelMetadata()
    /// The model's input size; nil takes the model's metadata, else 400 on the short side.
    public var inputSize: InputSize?
    /// Blend or mask, alpha.
    public var style = OverlayStyle()
    /// Class names to tint (resolved against the model's labels); nil tints all but background.
    public var classNames: [String]?
    /// Codec, CRF, preset.
    public var encoder = EncoderSettings()
    /// Copy the audio stream.
    public var includeAudio = true
    /// Stop after this many frames.
    public var maxFrames: Int?
    /// Slots in each queue between stages.
    public var queueDepth = 4
    /// libtorch intra-op threads.
    public var threads = SegmentConfiguration.defaultThreads
    /// Freeze and optimise the TorchScript graph for inference.
    public var optimizeModel = true
    /// With `optimizeModel`: which graph to keep (by default the faster, measured).
    public var graphPreparation = GraphPreparation.measure
    /// Where the measured choice of graph is kept between runs (see `PreparationCache`); nil
    /// measures it every run.
    public var preparationCache: PreparationCache? = PreparationCache.user
    /// A live input (camera, stream, pipe): frames that wait while a newer one arrives are
    /// dropped (keep-latest), timestamps start at zero, the recording is written in place as it
    /// goes (fragmented MP4), and audio is left out.
    public var live = false
    /// The FFmpeg demuxer to force (e.g. "v4l2") and its options (e.g. "video_size": "640x480").
    public var inputFormat: String?
    public var inputOptions: [String: String] = [:]
    /// Stop after this many seconds.
    public var duration: Double?
    /// Temporal smoothing of the probabilities, 0 ≤ S < 1 (0 = off): how much of the previous
    /// frame an uncertain cell keeps (see `ScoreRefiner`).
    public var smoothing = SegmentConfiguration.defaultSmoothing
    /// Whom to keep: everybody, or one person chosen and followed (everyone else becomes
    /// background for every output); see `SubjectChoice`.
    public var subject = SubjectChoice.all
    /// What happens when the chosen person leaves the picture.
    public var subjectLoss = SubjectLoss.keepNone
    /// A V4L2 output device (v4l2loopback) that gets every rendered frame, keep-latest, as a
    /// camera that video-call programs can pick; nil writes none.
    public var virtualCamera: String?
    /// Watches the run (the preview page): the rendered frames as JPEG pictures while someone
    /// watches, and each finished frame's latency. Called from stage threads; must never wait.
    public var observer: (any LiveObserver)?

    /// Where the model runs (`--device`): auto picks CUDA where this build and machine have it.
    public var device = DeviceRequest.auto
    /// Frames per forward pass (`--batch-size`); nil takes the device's default (1 on the CPU,
    /// 4 on CUDA). Live input always runs one frame at a time.
    public var batchSize: Int?
    /// float16 weights and inputs (`--half`), CUDA only.
    public var half = false

    /// The CLI's default smoothing (see README, "Edges and smoothing", for the measurements).
    public static let defaultSmoothing = 0.5

    /// One libtorch thread per core but one, leaving a core for decoding, rendering and
    /// encoding, which run beside inference; at least one.
    public static var defaultThreads: Int {
        max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    }

    /// Why `subject` cannot be used on this input, or nil: a time is a moment of a recording.
    public static func subjectProblem(_ subject: SubjectChoice, live: Bool) -> SettingMessage? {
        guard live, case .point(_, _, let seconds?) = subject else { return nil }
        return "\(Setting.subject) \(subject): a live input has no time \(seconds) s to look at; give the point alone (X,Y)"
    }

    /// Refuses a job with nothing to write, or an output that would replace something it may not.
    func checkOutputs() throws {
        if let problem = SegmentConfiguration.subjectProblem(subject, live: live) { throw VideoSegError.invalidOption(problem) }
        guard output != nil || masks != nil || virtualCamera != nil else {
            throw VideoSegError.invalidOption("nothing to write: give an output video, masks, or both")
        }
        if let virtualCamera {
            if let problem = SegmentConfiguration.virtualCameraProblem(live: live) { throw VideoSegError.invalidOption(problem) }
            if style.needsAlpha {
                throw VideoSegError.invalidOption(
                    "\(Setting.virtualCamera): \(Setting.style) \(style.mode.rawValue) needs an alpha channel, which a camera cannot carry; use blend, mask, blur, pixelate, replace or matte")
            }
            // Missing, not V4L2 or not an output: said now, before the model is loaded.
            try VirtualCamera.check(virtualCamera)
        }
        if let output {
            try OutputPolicy.check(output: output, input: input, overwrite: overwrite)
        }
        // A background that is not there fails now, before the model is loaded.
        if style.mode == .replace, let background = style.background, BackgroundPicture.color(background) == nil,
           !FileManager.default.fileExists(atPath: background)
        {
            throw VideoSegError.inputNotFound(path: background)
        }
    }

    /// The device, batch size and precision this job runs with where `support` holds: errors for
    /// a CUDA device that cannot be had (saying whether the build or the machine lacks it), for
    /// `half` on the CPU, and for a batch on live input.
    /// Why `batchSize` cannot be used, or nil: live input runs one frame at a time (keep-latest).
    public static func batchProblem(_ batchSize: Int?, live: Bool) -> SettingMessage? {
        guard live, let batchSize, batchSize > 1 else { return nil }
        return "\(Setting.batchSize) \(batchSize): live input runs one frame at a time (keep-latest); leave \(Setting.batchSize) out"
    }

    /// Why a virtual camera cannot be fed, or nil: it takes live input only, which arrives at
    /// its own pace; a recorded video would be played into the camera as fast as it decodes.
    public static func virtualCameraProblem(live: Bool) -> SettingMessage? {
        live ? nil : "\(Setting.virtualCamera) takes live input only (\(Setting.live)): a recorded video would reach the camera as fast as it decodes, not at its own pace"
    }

    public func computePlan(_ support: CUDASupport = .current) throws -> ComputePlan {
        let resolved = try device.resolve(support)
        if half && !resolved.isCUDA {
            throw VideoSegError.invalidOption(
                "\(Setting.half): float16 runs on CUDA only (libtorch 1.13 has no float16 convolutions on the CPU), and the model runs on cpu (\(device.reason(for: resolved, support)))")
        }
        if let batchSize, batchSize < 1 { throw VideoSegError.invalidOption("\(Setting.batchSize) must be at least 1") }
        if let problem = SegmentConfiguration.batchProblem(batchSize, live: live) { throw VideoSegError.invalidOption(problem) }
        let batch = live ? 1 : (batchSize ?? resolved.defaultBatchSize)
        return ComputePlan(device: resolved, batchSize: batch, half: half, reason: device.reason(for: resolved, support))
    }

    /// The number of frames the run will write: the source's estimate, capped by `maxFrames`.
    func expectedFrames(estimate: Int?) -> Int? {
        guard let maxFrames else { return estimate }
        return min(estimate ?? maxFrames, maxFrames)
    }

    /// Every setting that changes what the outputs hold, as one line of text (a batch's
    /// done-records keep its hash): the model file (with its size and time), metadata, sizes,
    /// style, encoder, masks, smoothing, limits. Not the input, output names or threads.
    package var outputSettingsDescription: String {
        var modelFile = "default"
        if let modelPath, let fingerprint = FileFingerprint(path: modelPath) {
            modelFile = "\(modelPath) \(fingerprint.size) \(fingerprint.modified)"
        }
        let parts: [String] = [
            "model=\(modelFile)", "metadata=\(metadataOverrides.jsonText())", "input-size=\(inputSize.map { "\($0)" } ?? "-")",
            "style=\(style.mode.rawValue),\(style.alpha),\(style.edges.rawValue),\(style.applyTo.rawValue),\(style.blurRadius ?? -1),\(style.background ?? "-")",
            "classes=\(classNames?.joined(separator: ",") ?? "-")",
            "encoder=\(encoder.codec ?? "-"),\(encoder.crf),\(encoder.preset),\(encoder.pixelFormat ?? "-")",
            "audio=\(includeAudio)", "video=\(output != nil)",
            "masks=\(masks.map { "\($0.format.rawValue),\($0.size.rawValue),\($0.values.rawValue)" } ?? "-")",
            "smooth=\(smoothing)", "max-frames=\(maxFrames ?? -1)", "optimize=\(optimizeModel)",
        ] + (half ? ["half=true"] : []) + (subject.choosesOne ? ["subject=\(subject),\(subjectLoss.rawValue)"] : [])
        return parts.joined(separator: " ")
    }

    /// Whether frames are rendered: for the annotated video, the virtual camera or the preview.
    var rendersFrames: Bool { output != nil || virtualCamera != nil || observer != nil }

    /// What each frame's segmentation must carry for the outputs asked for (`video`: whether an
    /// overlay is drawn).
    func segmentationNeeds(video: Bool) -> SegmentationNeeds {
        var needs = SegmentationNeeds()
        if video {
            needs.foreground = style.edges != .hard
            needs.tint = style.edges != .hard && !style.mode.isEffect
            needs.scores = style.edges == .hard
        }
        if let masks {
            switch masks.values {
            case .probability: needs.foreground = true
            case .classes:
                needs.scores = needs.scores || masks.size == .source
                // Refined class masks move the foreground boundary by the refined weight.
                needs.foreground = needs.foreground || masks.size == .source && style.edges == .refined
            }
        }
        return needs
    }

    /// A configuration with the CLI's defaults.
    public init(input: String, output: String?, modelPath: String?) {
        self.input = input
        self.output = output
        self.modelPath = modelPath
    }
}


/// Where and how a job runs its model: resolved from `--device`, `--batch-size` and `--half`.
public struct ComputePlan: Sendable, Equatable {
    public var device: ComputeDevice
    /// Frames per forward pass.
    public var batchSize: Int
    /// float16 (CUDA only).
    public var half: Bool
    /// Why this device (for `-v`): "as asked", or what `auto` found.
    public var reason: String

    /// "float16" or "float32".
    public var precision: String { half ? "float16" : "float32" }
}

/// What a finished run did.
public struct SegmentResult: Sendable {
    /// Frames decoded, frames written to the video and masks written (equal unless the run
    /// failed, or zero for an output not asked for).
    public var framesDecoded: Int
    public var framesWritten: Int
    public var masksWritten: Int
    /// Wall-clock seconds from the first frame to the finalised output.
    public var seconds: Double
    /// The video written, and the mask folder, when asked for.
    public var output: String?
    public var maskDirectory: String?
    /// The video encoder that ran; nil when no video was written (no encoder was opened).
    public var encoder: String?
    /// Whether a stop request (Ctrl-C, SIGTERM) ended it early.
    public var interrupted: Bool
    /// Damage in the input and other non-fatal problems.
    public var warnings: [String]
    /// Whether the input was damaged (corrupt packets, truncation), or a live input failed.
    public var inputDamaged: Bool
    /// Live input: frames captured and dropped, and latency (see `SegmentProgress`).
    public var framesDropped: Int
    public var meanLatency: Double?
    public var maxLatency: Double?
    /// Busy seconds per stage, keyed by `StageName` raw values.
    public var stageSeconds: [String: Double]
    /// Frames written to the virtual camera, and rendered frames it skipped because it was still
    /// writing the one before (keep-latest); both 0 without one.
    public var virtualCameraFrames = 0
    public var virtualCameraSkipped = 0
    /// The model that ran, and what was done to its graph (see `SegmentationModel.optimization`).
    public var modelPath: String
    public var modelOptimization: String
    /// The model input size used.
    public var modelInputWidth: Int
    public var modelInputHeight: Int
    /// How the model's graph was chosen (measured, cached, ...: see `PreparationCache.Source`),
    /// and the seconds spent loading and preparing it.
    public var modelPreparation: String = ""
    /// Why the model runs the graph it runs (see `SegmentationModel.preparationNote`).
    public var modelPreparationNote = ""
    public var modelLoadSeconds = 0.0
    public var modelPrepareSeconds = 0.0
    /// Where each stage thread's time went, keyed by `StageName` raw values, and the CPU seconds
    /// of the whole process from the first frame to the end (codec worker threads included).
    public var stageTimings: [String: StageTiming] = [:]
    public var runCPUSeconds = 0.0
    /// Seconds from the process's start (shared libraries loaded) to the first frame read: what
    /// a user waits for before any work, most of a short clip's run.
    public var startupSeconds: Double?
    /// Where the run's wall time went, by `RunPhase` (its raw values): the frames, and what was
    /// spent around them opening and finalising.
    public var phases = PhaseTimes()
    /// Where the model ran ("cpu", "cuda:0"), the card's name when known, frames per forward
    /// pass, and "float32" or "float16".
    public var device: String = "cpu"
    public var deviceName: String?
    public var batchSize: Int = 1
    public var precision: String = "float32"
    /// What the model's scores were taken as: "logits", "probabilities", or "probabilities
    /// (detected)" for a model that did not say and whose first frame showed it.
    public var modelScores: String = "logits"

    /// Frames finished by every output: written to the video, to the masks, or (with only live
    /// outputs) rendered and handed to them.
    public var framesProcessed: Int { max(framesWritten, masksWritten, framesFinished) }
    /// Frames the run finished (see `SegmentProgress.framesDone`).
    public var framesFinished = 0
    /// Where the chosen person was at the end, and their losses (nil when everybody was kept).
    public var subject: SubjectStatus?

    /// Frames per second over the whole run.
    public var framesPerSecond: Double { seconds > 0 ? Double(framesProcessed) / seconds : 0 }
}

/// A running count for progress displays.
public struct SegmentProgress: Sendable {
    /// Frames written to the output so far.
    public var framesDone = 0
    /// Frames read from the input (for a live input, including the dropped ones).
    public var framesCaptured = 0
    /// Live input: frames dropped because a newer one arrived before inference took them.
    public var framesDropped = 0
    /// Live input: seconds from a frame's capture to its last output being written (the encoded
    /// frame, the mask, or both): the latest, the mean and the largest so far.
    public var latestLatency: Double?
    public var meanLatency: Double?
    public var maxLatency: Double?
    /// The total, when the container tells it (or after --max-frames).
    public var framesExpected: Int?
    /// Seconds since the first frame was decoded.
    public var seconds = 0.0

    /// Nothing done yet.
    public init() {}
}

extension SegmentResult {
    /// The result of a run of `plan` that wrote `outputs`.
    init(plan: JobPlan, outputs: PipelineOutputs, source: SourceStage, progress: SegmentProgress, seconds: Double,
         interrupted: Bool, stageSeconds: [StageName: Double], output: String?, maskDirectory: String?, virtualCameraSkipped: Int)
    {
        let sourceWarnings = source.warnings
        self.init(
            framesDecoded: source.framesDecoded, framesWritten: outputs.sink?.framesWritten ?? 0,
            masksWritten: outputs.masks?.masksWritten ?? 0, seconds: seconds, output: output, maskDirectory: maskDirectory,
            encoder: outputs.sink?.encoderName, interrupted: interrupted,
            warnings: sourceWarnings + (outputs.sink?.warnings ?? []) + plan.model.warnings,
            inputDamaged: !sourceWarnings.isEmpty, framesDropped: progress.framesDropped, meanLatency: progress.meanLatency,
            maxLatency: progress.maxLatency, stageSeconds: Dictionary(uniqueKeysWithValues: stageSeconds.map { ($0.key.rawValue, $0.value) }),
            modelPath: plan.model.path, modelOptimization: plan.model.optimization, modelInputWidth: plan.model.inputWidth,
            modelInputHeight: plan.model.inputHeight)
        modelPreparation = plan.model.preparation.rawValue
        modelPreparationNote = plan.model.preparationNote
        modelLoadSeconds = plan.modelLoadSeconds
        modelPrepareSeconds = plan.model.preparationSeconds
        device = plan.model.device.description
        deviceName = plan.model.device.name
        batchSize = plan.model.batch
        precision = plan.model.half ? "float16" : "float32"
        modelScores = plan.scoresDescription
        virtualCameraFrames = outputs.virtualCamera?.framesWritten ?? 0
        framesFinished = progress.framesDone
        self.virtualCameraSkipped = virtualCameraSkipped
    }
}
