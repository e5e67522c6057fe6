import CFFmpeg
import VideoSegCore

/// A decoded picture, owned: its `AVFrame` is freed when the value goes away, whichever stage
/// lets go of it last.
///
/// Frames cross stage threads by single-owner hand-off through the pipeline's queues; the
/// source stamps `pts` before handing a frame on and nobody writes to it after that.
public final class DecodedFrame: @unchecked Sendable {
    // @unchecked: an AVFrame pointer, written by the source only before the hand-off.
    package let frame: UnsafeMutablePointer<AVFrame>
    private let census: ResourceCensus?

    /// Takes ownership of `frame`.
    package init(taking frame: UnsafeMutablePointer<AVFrame>, census: ResourceCensus?) {
        self.frame = frame
        self.census = census
        census?.acquired(.decodedFrame)
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&owned)
        census?.released(.decodedFrame)
    }

    /// The presentation timestamp in the source stream's time base (made increasing by the source).
    public package(set) var pts: Int64 {
        get { frame.pointee.pts }
        set { frame.pointee.pts = newValue }
    }

    /// The stored picture size.
    public var width: Int { Int(frame.pointee.width) }
    public var height: Int { Int(frame.pointee.height) }
}
