import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Model input → the forward pass and its argmax (and the raw scores, when the scores stage
/// needs them). The tensor goes back to its pool as soon as the model has read it.
///
/// With a batch size above one (`BatchingStage`), the frames of a batch go through one forward
/// pass; the scores stage then refines them one by one in their order, so smoothing sees them as
/// it would singly.
final class InferenceStage: BatchingStage {
    package let name = StageName.inference
    private let model: SegmentationModel
    private let buffers: ScoreBuffers

    /// `buffers`: those of the `ScoresStage` that refines this stage's output.
    init(plan: JobPlan, buffers: ScoreBuffers) {
        model = plan.model
        self.buffers = buffers
    }

    /// The model's two stages for one job: the forward pass, and the scores stage that refines
    /// its output (whose buffers the forward pass fills).
    static func withScores(plan: JobPlan, census: ResourceCensus?, subject: SubjectSetup? = nil) -> (forward: InferenceStage, scores: ScoresStage) {
        let scores = ScoresStage(plan: plan, census: census, subject: subject)
        return (InferenceStage(plan: plan, buffers: scores.buffers), scores)
    }

    /// The forward pass and the scores after it on one thread, under the scores stage's name (a
    /// whole segmentation per input: for a model's inspection, the subject's survey, tests).
    static func segmenting(plan: JobPlan, census: ResourceCensus?, subject: SubjectSetup? = nil) -> FusedStage<InferenceStage, ScoresStage> {
        let stages = withScores(plan: plan, census: census, subject: subject)
        return FusedStage(stages.forward, then: stages.scores)
    }

    /// Frames per forward pass: the batch the model was prepared for.
    package var batchSize: Int { model.batch }

    package func process(_ input: ModelInput, ticket: FrameTicket) throws -> ForwardedFrame {
        try process(batch: [input])[0]
    }

    package func process(batch inputs: [ModelInput]) throws -> [ForwardedFrame] {
        let classes = inputs.map { _ in buffers.obtainClassMap() }
        let scores = buffers.wantsScores ? inputs.map { _ in buffers.obtainScores()! } : nil
        try model.segment(frames: inputs.map { UnsafePointer($0.tensor.baseAddress) }, into: buffers.wantsArgmax ? classes.map(\.buffer) : nil,
                          scores: scores?.map(\.buffer))
        return inputs.indices.map { ForwardedFrame(frame: inputs[$0].frame, classes: classes[$0], scores: scores?[$0]) }
    }
}
