import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Decoded frame → model input: scaled, turned upright and normalised into a pooled tensor.
final class PreprocessStage: PipelineStage {
    package let name = StageName.preprocess
    private let preprocessor: Preprocessor
    private let tensors: BufferPool<Float>

    package init(preprocessor: Preprocessor, census: ResourceCensus?) {
        self.preprocessor = preprocessor
        tensors = BufferPool(count: preprocessor.tensorCount, census: census)
    }

    package func process(_ frame: DecodedFrame, ticket: FrameTicket) throws -> ModelInput {
        let tensor = tensors.obtain()
        try preprocessor.process(frame, into: tensor.baseAddress)
        return ModelInput(frame: frame, tensor: tensor)
    }
}
