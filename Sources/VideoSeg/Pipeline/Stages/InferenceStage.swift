/// Model input → class map: the forward pass and the argmax, into a pooled class map. The
/// tensor goes back to its pool as soon as the model has read it.
final class InferenceStage: PipelineStage, @unchecked Sendable {
    // @unchecked: the model is used by this stage's thread only.
    let name = StageName.inference
    private let model: SegmentationModel
    private let classMaps: BufferPool<UInt8>
    private let mapWidth: Int
    private let mapHeight: Int

    init(model: SegmentationModel, census: ResourceCensus?) {
        self.model = model
        classMaps = BufferPool(count: model.classMapCount, census: census)
        mapWidth = model.outputShape[3]
        mapHeight = model.outputShape[2]
    }

    func process(_ input: ModelInput, ticket: FrameTicket) throws -> SegmentedFrame {
        let cells = classMaps.obtain()
        try model.segment(input.tensor.baseAddress, into: cells.buffer)
        return SegmentedFrame(frame: input.frame, classMap: ClassMap(cells: cells, width: mapWidth, height: mapHeight))
    }
}
