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
final class InferenceStage: BatchingStage {
    package let name = StageName.inference
    private let model: SegmentationModel
    /// Used by this stage's thread only; the lock makes that checkable (it is never contended).
    private let scratch: Locked<Scratch>

    /// What refining changes from frame to frame: the smoothing state, the subject followed,
    /// and the first frame's time (times are counted from it).
    private struct Scratch {
        let refiner: ScoreRefiner
        let subject: SubjectSelector?
        let timeBase: Rational
        var firstPts: Int64?
        /// CPU seconds spent keeping the subject (for `bench`).
        var subjectSeconds = 0.0
    }

    /// `subject`: who is kept (nil: everybody, with no preview that may choose otherwise).
    package init(plan: JobPlan, census: ResourceCensus?, subject: SubjectSetup? = nil) {
        model = plan.model
        scratch = Locked(Scratch(refiner: plan.makeScoreRefiner(census: census), subject: subject.flatMap(plan.makeSubjectSelector),
                                 timeBase: plan.source.timeBase))
    }

    /// CPU seconds spent keeping the subject so far.
    var subjectSeconds: Double { scratch.withLock { $0.subjectSeconds } }

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
        let (classes, scores) = scratch.withLock { scratch in
            let refiner = scratch.refiner
            return (inputs.map { _ in refiner.obtainClassMap() }, refiner.wantsScores ? inputs.map { _ in refiner.obtainScores()! } : nil)
        }
        try model.segment(frames: inputs.map { UnsafePointer($0.tensor.baseAddress) }, into: classes.map(\.buffer),
                          scores: scores?.map(\.buffer))
        return (classes, scores)
    }

    /// The scores' post-processing (probabilities, smoothing, foreground, tint), then the
    /// subject kept alone, frame by frame.
    func refine(_ inputs: [ModelInput], _ forwarded: Forwarded) -> [SegmentedFrame] {
        scratch.withLock { scratch in
            inputs.indices.map { index in
                let segmentation = scratch.refiner.refine(classes: forwarded.classes[index], scores: forwarded.scores?[index])
                if let subject = scratch.subject {
                    let pts = inputs[index].frame.pts
                    let first = scratch.firstPts ?? pts
                    scratch.firstPts = first
                    let started = processCPUSeconds()
                    subject.apply(to: segmentation, seconds: scratch.timeBase.seconds(pts - first))
                    scratch.subjectSeconds += processCPUSeconds() - started
                }
                return SegmentedFrame(frame: inputs[index].frame, segmentation: segmentation)
            }
        }
    }
}
