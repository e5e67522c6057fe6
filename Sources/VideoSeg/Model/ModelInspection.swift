import CFFmpeg

/// The tutorial's "does the app agree with Python" check: one picture through the model.
public struct ModelInspection: Sendable {
    /// `[N,3,H,W]` of the tensor fed to the model.
    public var inputShape: [Int]
    /// `[N,C,H',W']` of the scores.
    public var outputShape: [Int]
    /// The first scores in memory order.
    public var firstValues: [Float]
    /// The fraction of pixels of each class present in the argmax, by class id.
    public var classFractions: [Int: Double]

    /// Runs the first frame of `imagePath` (any picture or video FFmpeg reads) through `model` at
    /// `inputSize` (default: the model's own, else 400 on the short side).
    public static func inspect(model: SegmentationModel, imagePath: String, inputSize: InputSize?, valueCount: Int = 10) throws
        -> ModelInspection
    {
        let source = try MediaSource(path: imagePath)
        var frame: UnsafeMutablePointer<AVFrame>? = try source.firstFrame()
        defer { av_frame_free(&frame) }
        let upright = source.orientation.uprightSize(width: source.width, height: source.height)
        let size = try SegmentationPipeline.modelInputSize(model: model, requested: inputSize, uprightWidth: upright.width, uprightHeight: upright.height)
        try model.prepare(width: size.width, height: size.height)
        let preprocessor = Preprocessor(width: size.width, height: size.height, orientation: source.orientation,
                                        mean: model.metadata.mean ?? [0, 0, 0], std: model.metadata.std ?? [1, 1, 1])
        var tensor = [Float](repeating: 0, count: preprocessor.tensorCount)
        try tensor.withUnsafeMutableBufferPointer { try preprocessor.process(frame!, into: $0.baseAddress!) }
        let (scores, shape) = try tensor.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }
        let classes = shape[1], plane = shape[2] * shape[3]
        var counts = [Int](repeating: 0, count: classes)
        for pixel in 0..<plane {
            var best = 0
            for c in 1..<max(1, classes) where scores[c * plane + pixel] > scores[best * plane + pixel] { best = c }
            counts[best] += 1
        }
        var fractions: [Int: Double] = [:]
        for (id, count) in counts.enumerated() where count > 0 { fractions[id] = Double(count) / Double(plane) }
        return ModelInspection(inputShape: [1, 3, size.height, size.width], outputShape: shape,
                               firstValues: Array(scores.prefix(valueCount)), classFractions: fractions)
    }
}
