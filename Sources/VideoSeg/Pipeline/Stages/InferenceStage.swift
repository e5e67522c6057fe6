/// Model input → segmentation: the forward pass and the argmax, then what refining the edges
/// needs (probabilities, smoothing, the foreground), all at the model's resolution. The tensor
/// goes back to its pool as soon as the model has read it.
final class InferenceStage: PipelineStage, @unchecked Sendable {
    // @unchecked: the model and refiner are used by this stage's thread only.
    let name = StageName.inference
    private let model: SegmentationModel
    private let refiner: ScoreRefiner

    init(plan: JobPlan, census: ResourceCensus?) {
        model = plan.model
        refiner = plan.makeScoreRefiner(census: census)
    }

    func process(_ input: ModelInput, ticket: FrameTicket) throws -> SegmentedFrame {
        let classes = refiner.obtainClassMap()
        let scores = refiner.obtainScores()
        try model.segment(input.tensor.baseAddress, into: classes.buffer, scores: scores?.buffer)
        return SegmentedFrame(frame: input.frame, segmentation: refiner.refine(classes: classes, scores: scores))
    }
}
