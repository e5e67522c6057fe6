import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Forward pass results → segmentation: what refining the edges needs (probabilities,
/// smoothing, the foreground and tint), all at the model's resolution, then the subject kept
/// alone. A thread of its own beside the forward pass: for a model with many classes this is
/// a fifth of the forward pass's time (21 classes at 256×256), which no longer waits behind it.
final class ScoresStage: PipelineStage {
    package let name = StageName.scores
    /// What the inference stage fills for this stage.
    let buffers: ScoreBuffers
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
    init(plan: JobPlan, census: ResourceCensus?, subject: SubjectSetup? = nil) {
        let refiner = plan.makeScoreRefiner(census: census)
        buffers = refiner.buffers
        scratch = Locked(Scratch(refiner: refiner, subject: subject.flatMap(plan.makeSubjectSelector), timeBase: plan.source.timeBase))
    }

    /// CPU seconds spent keeping the subject so far.
    var subjectSeconds: Double { scratch.withLock { $0.subjectSeconds } }

    package func process(_ input: ForwardedFrame, ticket: FrameTicket) throws -> SegmentedFrame {
        scratch.withLock { scratch in
            let segmentation = scratch.refiner.refine(classes: input.classes, scores: input.scores)
            if let subject = scratch.subject {
                let pts = input.frame.pts
                let first = scratch.firstPts ?? pts
                scratch.firstPts = first
                let started = processCPUSeconds()
                subject.apply(to: segmentation, seconds: scratch.timeBase.seconds(pts - first))
                scratch.subjectSeconds += processCPUSeconds() - started
            }
            return SegmentedFrame(frame: input.frame, segmentation: segmentation)
        }
    }
}
