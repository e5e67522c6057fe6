import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Everything a job resolves once before any frame moves: the opened source, the model loaded
/// and prepared at its input size, the classes to tint and their colours. `segment`, `camera`,
/// `bench`, `model info` and the parity tests all start from one, so they cannot drift apart.
public final class JobPlan: Sendable {
    /// The opened input.
    public let source: MediaSource
    /// The model, prepared at `inputWidth`×`inputHeight`.
    public let model: SegmentationModel
    /// The overlay style, with the tinted classes resolved to ids.
    public let style: OverlayStyle
    /// One colour per class.
    public let colors: [(r: UInt8, g: UInt8, b: UInt8)]
    /// What each frame's segmentation carries beyond its classes.
    package let needs: SegmentationNeeds
    /// Temporal smoothing of the probabilities (0 = off).
    package let smoothing: Double
    /// Seconds spent loading the model file (0 when a model cache lent it).
    package var modelLoadSeconds: Double {
        get { loadSeconds.current }
        set { loadSeconds.withLock { $0 = newValue } }
    }
    private let loadSeconds = Locked(0.0)
    /// Seconds spent opening the input (demuxer, stream probe, decoder).
    package var openSeconds: Double {
        get { openTime.current }
        set { openTime.withLock { $0 = newValue } }
    }
    private let openTime = Locked(0.0)

    /// Resolves the model's input size for `source` (`inputSize`, else the model's own, else 400
    /// on the short side), prepares `model` at it, and resolves `classNames` against its labels.
    public convenience init(source: MediaSource, model: SegmentationModel, inputSize: InputSize?, optimize: Bool = true,
                            classNames: [String]? = nil, style: OverlayStyle = OverlayStyle()) throws
    {
        try self.init(source: source, model: model, inputSize: inputSize, optimize: optimize, classNames: classNames, style: style,
                      needs: SegmentationNeeds(), smoothing: 0, batch: 1, stop: nil, cache: nil)
    }

    package init(source: MediaSource, model: SegmentationModel, inputSize: InputSize?, optimize: Bool, classNames: [String]?,
         style: OverlayStyle, needs: SegmentationNeeds, smoothing: Double, batch: Int, stop: StopFlag?, cache: PreparationCache?) throws
    {
        let upright = source.orientation.uprightSize(width: source.width, height: source.height)
        let size = try JobPlan.modelInputSize(model: model, requested: inputSize, uprightWidth: upright.width, uprightHeight: upright.height)
        try model.prepare(width: size.width, height: size.height, batch: batch, optimize: optimize, stop: stop, cache: cache)
        var resolvedStyle = style
        resolvedStyle.classes = try JobPlan.resolveClasses(classNames, labels: model.labels, modelPath: model.path)
        self.source = source
        self.model = model
        self.style = resolvedStyle
        colors = ColorMap.colors(count: model.labels.count, custom: model.metadata.colors)
        self.needs = needs
        self.smoothing = smoothing
    }

    /// Opens `configuration`'s input and loads its model (the bundled default that suits the
    /// picture's shape when none is named). `decoderThreads` 0 lets FFmpeg choose; `drawsOverlay`
    /// says whether frames will be rendered (by default, when there is an output video, a virtual
    /// camera or a preview).
    /// A raised `stop` ends opening and preparing with `VideoSegError.stopped`.
    /// `models`, when given, lends an already prepared model (see `ModelCache`).
    public convenience init(configuration: SegmentConfiguration, decoderThreads: Int = 0, drawsOverlay: Bool? = nil,
                            census: ResourceCensus? = nil, stop: StopFlag? = nil, models: ModelCache? = nil) throws
    {
        // Refused before the input is opened or the model loaded: a device that is not there.
        let compute = try configuration.computePlan()
        let openStarted = monotonicSeconds()
        let source = try MediaSource(path: configuration.input, formatName: configuration.inputFormat, options: configuration.inputOptions,
                                     decoderThreads: decoderThreads, live: configuration.live, census: census, stop: stop)
        let openSeconds = monotonicSeconds() - openStarted
        let upright = source.orientation.uprightSize(width: source.width, height: source.height)
        let modelPath = try configuration.modelPath
            ?? DefaultModels.path(named: DefaultModels.name(forUprightWidth: upright.width, height: upright.height))
        try stop?.throwIfRaised()
        let model: SegmentationModel
        let loadStarted = monotonicSeconds()
        if let models {
            model = try models.checkout(path: modelPath, overrides: configuration.metadataOverrides, threads: configuration.threads,
                                        optimize: configuration.optimizeModel, device: compute.device, half: compute.half) { candidate in
                try JobPlan.modelInputSize(model: candidate, requested: configuration.inputSize, uprightWidth: upright.width,
                                           uprightHeight: upright.height)
            }
        } else {
            model = try SegmentationModel(path: modelPath, overrides: configuration.metadataOverrides)
            model.threads = configuration.threads
            try model.place(on: compute.device, half: compute.half)
        }
        model.graphPreparation = configuration.graphPreparation
        try stop?.throwIfRaised()
        let loadSeconds = monotonicSeconds() - loadStarted
        try self.init(source: source, model: model, inputSize: configuration.inputSize, optimize: configuration.optimizeModel,
                      classNames: configuration.classNames, style: configuration.style,
                      needs: configuration.segmentationNeeds(video: drawsOverlay ?? configuration.rendersFrames),
                      smoothing: configuration.smoothing, batch: compute.batchSize, stop: stop, cache: configuration.preparationCache)
        modelLoadSeconds = models == nil ? loadSeconds : 0
        self.openSeconds = openSeconds
    }

    /// The upright size of the source's pictures.
    public var uprightSize: (width: Int, height: Int) {
        source.orientation.uprightSize(width: source.width, height: source.height)
    }

    /// A preprocessor from the source's frames to this model's input (one per thread).
    public func makePreprocessor() -> Preprocessor {
        Preprocessor(model: model, orientation: source.orientation)
    }

    /// The scores stage's refiner of this model's scores (one per thread).
    func makeScoreRefiner(census: ResourceCensus?) -> ScoreRefiner {
        let shape = model.outputShape
        let style = self.style
        let (detection, path) = (scoreDetection, model.path)
        return ScoreRefiner(width: shape[3], height: shape[2], classCount: shape[1], scoreKind: model.metadata.scores,
                            tintedClasses: { style.tints($0) }, colors: colors, smoothing: smoothing, needs: needs, census: census,
                            detected: { kind in
                                detection.withLock { $0 = kind }
                                if kind == .probabilities {
                                    LibraryLog.logOnce(.warning, "\(path): its scores are probabilities (every cell's classes lie in [0, 1] and sum to 1), so they are used as they are, not as logits", metadata: ["component": "model"])
                                }
                            })
    }

    /// What the first frame showed about scores the model's metadata does not name (nil when
    /// it names them, or no frame needed them).
    let scoreDetection = Locked<ModelMetadata.ScoreKind?>(nil)

    /// The kind of scores the run used, for the statistics: as declared, or as detected.
    var scoresDescription: String {
        if let declared = model.metadata.scores { return declared.rawValue }
        return scoreDetection.current == .probabilities ? "probabilities (detected)" : "logits"
    }

    /// The model input size: the request, else the model's metadata, else 400 on the short side.
    /// A model that works only at its own size refuses any other.
    static func modelInputSize(model: SegmentationModel, requested: InputSize?, uprightWidth: Int, uprightHeight: Int) throws
        -> (width: Int, height: Int)
    {
        let metadataSize = model.metadata.inputSize ?? .shortSide(400)
        if let requested, model.metadata.fixedInputSize == true {
            let fixed = metadataSize.resolved(forUprightWidth: uprightWidth, height: uprightHeight)
            let asked = requested.resolved(forUprightWidth: uprightWidth, height: uprightHeight)
            if fixed != asked {
                throw VideoSegError.invalidOption(
                    "\(model.path): this model works only at \(fixed.width)x\(fixed.height); \(Setting.inputSize) \(requested) is not possible")
            }
        }
        return (requested ?? metadataSize).resolved(forUprightWidth: uprightWidth, height: uprightHeight)
    }

    /// Class names → ids; unknown names are an error that lists the labels.
    static func resolveClasses(_ names: [String]?, labels: [String], modelPath: String) throws -> Set<Int>? {
        guard let names else { return nil }
        var ids = Set<Int>()
        for name in names {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if let id = labels.firstIndex(of: trimmed) {
                ids.insert(id)
            } else if let id = Int(trimmed), id >= 0, id < labels.count {
                ids.insert(id)
            } else {
                throw VideoSegError.invalidOption("\(Setting.classes): \"\(trimmed)\" is not a class of \(modelPath) (classes: \(labels.joined(separator: ", ")))")
            }
        }
        return ids
    }
}
