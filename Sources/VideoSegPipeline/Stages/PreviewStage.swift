import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Rendered frame → JPEG picture → the live observer (the preview page). Fed keep-latest from
/// the render stage and only while someone watches, so encoding never holds the video back.
final class PreviewStage: PipelineStage {
    package let name = StageName.preview
    private let observer: any LiveObserver
    private let target: RenderTarget
    /// Made on the first picture; used by this stage's thread only (the lock is never contended).
    private let encoder = Locked<JPEGEncoder?>(nil)

    package init(observer: any LiveObserver, target: RenderTarget) {
        self.observer = observer
        self.target = target
    }

    package func process(_ frame: RenderedFrame, ticket: FrameTicket) throws {
        guard observer.wantsPictures else { return }
        let began = monotonicSeconds()
        let jpeg = try encoder.withLock { encoder in
            if encoder == nil { encoder = try JPEGEncoder(width: target.width, height: target.height) }
            return try encoder!.encode(frame)
        }
        observer.show(PreviewPicture(jpeg: jpeg, width: target.width, height: target.height, frame: ticket.index,
                                     encodeSeconds: monotonicSeconds() - began))
    }
}
