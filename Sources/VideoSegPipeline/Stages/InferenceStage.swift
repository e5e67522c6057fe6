import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Model input → segmentation: the forward pass and the argmax, then what refining the edges
/// needs (probabilities, smoothing, the foreground), all at the model's resolution. The tensor
/// goes back to its pool as soon as the model has read it.
///
/// With a batch size above one (`BatchingStage`), the frames of a batch go through one forward
/// pass and are refined one by one in their order, so smoothing sees them as it would singly.
final class InferenceStage: BatchingStage, @unchecked Sendable {
    // @unchecked: the model and refiner are used by this stage's thread only.
    package let name = StageName.inference
    private let model: SegmentationModel
    private let refiner: ScoreRefiner
    /// Keeps the chosen person alone (nil: everybody stays).
    package let subject: SubjectSelector?
    private let timeBase: Rational
    /// Times are counted from the first frame this stage sees.
    private var firstPts: Int64?

    package init(plan: JobPlan, census: ResourceCensus?, subject: SubjectSelector? = nil) {
        model = plan.model
        refiner = plan.makeScoreRefiner(census: census)
        self.subject = subject
        timeBase = plan.source.timeBase
    }

    /// Frames per forward pass: the batch the model was prepared for.
    package var batchSize: Int { model.batch }

    package func process(_ input: ModelInput, ticket: FrameTicket) throws -> SegmentedFrame {
        try process(batch: [input])[0]
    }

    package func process(batch inputs: [ModelInput]) throws -> [SegmentedFrame] {
        refine(inputs, try forward(inputs))
    }

    /// What the forward pass hands the refiner: per frame, its class map and (when wanted) scores.
    typealias Forwarded = (classes: [PooledBuffer<UInt8>], scores: [PooledBuffer<Float>]?)

    /// The forward pass and the argmax (`bench` times it apart from `refine`).
    func forward(_ inputs: [ModelInput]) throws -> Forwarded {
        let classes = inputs.map { _ in refiner.obtainClassMap() }
        let scores = refiner.wantsScores ? inputs.map { _ in refiner.obtainScores()! } : nil
        try model.segment(frames: inputs.map { UnsafePointer($0.tensor.baseAddress) }, into: classes.map(\.buffer),
                          scores: scores?.map(\.buffer))
        return (classes, scores)
    }

    /// The scores' post-processing (probabilities, smoothing, foreground, tint), then the
    /// subject kept alone, frame by frame.
    func refine(_ inputs: [ModelInput], _ forwarded: Forwarded) -> [SegmentedFrame] {
        inputs.indices.map { index in
            let segmentation = refiner.refine(classes: forwarded.classes[index], scores: forwarded.scores?[index])
            if let subject {
                let pts = inputs[index].frame.pts
                let first = firstPts ?? pts
                firstPts = first
                subject.apply(to: segmentation, seconds: timeBase.seconds(pts - first))
            }
            return SegmentedFrame(frame: inputs[index].frame, segmentation: segmentation)
        }
    }
}
