import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Rendered frame → JPEG picture → the live observer (the preview page). Fed keep-latest from
/// the render stage and only while someone watches, so encoding never holds the video back.
final class PreviewStage: PipelineStage, @unchecked Sendable {
    // @unchecked: the encoder belongs to this stage's thread.
    package let name = StageName.preview
    private let observer: any LiveObserver
    private let target: RenderTarget
    private var encoder: JPEGEncoder?

    package init(observer: any LiveObserver, target: RenderTarget) {
        self.observer = observer
        self.target = target
    }

    package func process(_ frame: RenderedFrame, ticket: FrameTicket) throws {
        guard observer.wantsPictures else { return }
        let began = monotonicSeconds()
        if encoder == nil { encoder = try JPEGEncoder(width: target.width, height: target.height) }
        let jpeg = try encoder!.encode(frame)
        observer.show(PreviewPicture(jpeg: jpeg, width: target.width, height: target.height, frame: ticket.index,
                                     encodeSeconds: monotonicSeconds() - began))
    }
}
