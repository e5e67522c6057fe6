import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Rendered frame → the virtual camera (a V4L2 output device). Fed keep-latest from the render
/// stage, so a program that reads the device slowly only misses frames.
final class VirtualCameraStage: PipelineStage {
    package let name = StageName.virtualCamera
    private let camera: VirtualCamera

    package init(camera: VirtualCamera) {
        self.camera = camera
    }

    package func process(_ frame: RenderedFrame, ticket: FrameTicket) throws {
        try camera.write(frame)
    }
}
