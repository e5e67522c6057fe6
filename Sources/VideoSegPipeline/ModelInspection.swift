import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// The tutorial's "does the app agree with Python" check: one picture through the model, the
/// same way the pipeline feeds it.
public struct ModelInspection: Sendable {
    /// `[N,3,H,W]` of the tensor fed to the model.
    public var inputShape: [Int]
    /// `[N,C,H',W']` of the scores.
    public var outputShape: [Int]
    /// The first scores in memory order.
    public var firstValues: [Float]
    /// The fraction of pixels of each class present in the class map, by class id.
    public var classFractions: [Int: Double]

    /// Runs the first frame of `imagePath` (any picture or video FFmpeg reads) through `model` at
    /// `inputSize` (default: the model's own, else 400 on the short side).
    public static func inspect(model: SegmentationModel, imagePath: String, inputSize: InputSize?, valueCount: Int = 10) throws
        -> ModelInspection
    {
        let plan = try JobPlan(source: try MediaSource(path: imagePath), model: model, inputSize: inputSize)
        let frame = try plan.source.firstFrame()
        let ticket = FrameTicket(index: 0, pts: frame.pts, captureTime: nil)
        let input = try PreprocessStage(preprocessor: plan.makePreprocessor(), census: nil).process(frame, ticket: ticket)
        let (scores, shape) = try model.scores(input.tensor.baseAddress)
        let classes = try InferenceStage.segmenting(plan: plan, census: nil).process(input, ticket: ticket).segmentation.classes
        var counts = [Int](repeating: 0, count: shape[1])
        for id in classes.buffer { counts[Int(id)] += 1 }
        let cells = Double(classes.buffer.count)
        var fractions: [Int: Double] = [:]
        for (id, count) in counts.enumerated() where count > 0 { fractions[id] = Double(count) / cells }
        return ModelInspection(inputShape: [1, 3, model.inputHeight, model.inputWidth], outputShape: shape,
                               firstValues: Array(scores.prefix(valueCount)), classFractions: fractions)
    }
}
