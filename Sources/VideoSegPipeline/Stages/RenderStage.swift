import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Segmented frame → rendered frame: the picture in the encoder's format with the classes
/// drawn on it. The decoded frame is freed once it has been copied.
final class RenderStage: PipelineStage, @unchecked Sendable {
    // @unchecked: the renderer is used by this stage's thread only.
    package let name = StageName.render
    private let renderer: FrameRenderer

    /// Renders `plan`'s frames into `target`.
    package init(plan: JobPlan, target: RenderTarget, background: BackgroundPicture?, census: ResourceCensus?) {
        let shape = plan.model.outputShape
        renderer = FrameRenderer(target: target, orientation: plan.source.orientation, mapWidth: shape[3], mapHeight: shape[2],
                                 style: plan.style, colors: plan.colors, background: background, census: census)
    }

    package func process(_ segmented: SegmentedFrame, ticket: FrameTicket) throws -> RenderedFrame {
        try renderer.render(segmented.frame, segmentation: segmented.segmentation)
    }
}
