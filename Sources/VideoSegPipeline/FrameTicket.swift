import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// What travels with every frame from stage to stage, whatever its payload has become.
public struct FrameTicket: Sendable, Equatable {
    /// Zero-based number of the frame in decode (capture) order.
    public let index: Int
    /// Its timestamp in the source stream's time base (rebased to zero for live input).
    public let pts: Int64
    /// Monotonic seconds when it was captured (live input), for latency.
    public let captureTime: Double?
}

/// What a queue between two stages carries, in stream order: a frame's payload with its
/// ticket, or an audio packet travelling with the frames. A stage puts an item and never
/// touches it again; `Sendable` when its payload is.
enum StreamItem<Payload> {
    case frame(FrameTicket, Payload)
    case audio(MediaPacket)
}

extension StreamItem: Sendable where Payload: Sendable {}

/// The bounded queue between two stages.
typealias StageQueue<Payload> = BoundedQueue<StreamItem<Payload>>
