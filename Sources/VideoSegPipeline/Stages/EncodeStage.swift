import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Rendered frame → encoded packets in the output file, with the audio packets muxed in
/// stream order. Ends the video branch.
final class EncodeStage: PipelineStage {
    package let name = StageName.encode
    private let sink: VideoSink

    package init(sink: VideoSink) {
        self.sink = sink
    }

    package func process(_ frame: RenderedFrame, ticket: FrameTicket) throws {
        try sink.write(frame: frame)
    }

    package func pass(audio: MediaPacket) throws {
        try sink.write(audio: audio)
    }
}
