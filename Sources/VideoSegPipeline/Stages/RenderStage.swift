import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Segmented frame → rendered frame: the picture in the encoder's format with the classes
/// drawn on it. The decoded frame is freed once it has been copied.
final class RenderStage: PipelineStage {
    package let name = StageName.render
    /// Used by this stage's thread only; the lock makes that checkable (it is never contended).
    private let renderer: Locked<FrameRenderer>

    /// Renders `plan`'s frames into `target`.
    package init(plan: JobPlan, target: RenderTarget, background: BackgroundPicture?, census: ResourceCensus?) {
        let shape = plan.model.outputShape
        renderer = Locked(FrameRenderer(target: target, orientation: plan.source.orientation, mapWidth: shape[3], mapHeight: shape[2],
                                 style: plan.style, colors: plan.colors, background: background, census: census))
    }

    package func process(_ segmented: SegmentedFrame, ticket: FrameTicket) throws -> RenderedFrame {
        try renderer.withLock { try $0.render(segmented.frame, segmentation: segmented.segmentation) }
    }
}
