import CFFmpeg
import VideoSegCore

/// One plane of a picture, for code that draws on pixels without knowing FFmpeg's types.
public struct PlaneView {
    /// The first sample of the first row (8-bit samples, or 16-bit for high-bit-depth formats).
    public let pixels: UnsafeMutableRawPointer
    /// Bytes from one row to the next.
    public let stride: Int
}

/// A picture in the encoder's pixel format and size, drawn on by the render stage and then
/// encoded. It comes from a `RenderedFramePool` and goes back to it when the value goes away,
/// so its buffers are reused (once the encoder has let go of them).
public final class RenderedFrame: @unchecked Sendable {
    // @unchecked: an AVFrame pointer, handed from the render stage to the encoder by single-owner hand-off.
    package let frame: UnsafeMutablePointer<AVFrame>
    private let pool: RenderedFramePool

    fileprivate init(frame: UnsafeMutablePointer<AVFrame>, pool: RenderedFramePool) {
        self.frame = frame
        self.pool = pool
    }

    deinit {
        pool.recycle(frame)
    }

    /// Y, U and V, and alpha when the format has it, for drawing in place.
    public var planes: [PlaneView] {
        var planes = [PlaneView(pixels: UnsafeMutableRawPointer(frame.pointee.data.0!), stride: Int(frame.pointee.linesize.0)),
                      PlaneView(pixels: UnsafeMutableRawPointer(frame.pointee.data.1!), stride: Int(frame.pointee.linesize.1)),
                      PlaneView(pixels: UnsafeMutableRawPointer(frame.pointee.data.2!), stride: Int(frame.pointee.linesize.2))]
        if let alpha = frame.pointee.data.3 {
            planes.append(PlaneView(pixels: UnsafeMutableRawPointer(alpha), stride: Int(frame.pointee.linesize.3)))
        }
        return planes
    }

    /// The timestamp, in the output stream's time base.
    public var pts: Int64 { frame.pointee.pts }
}

/// A free list of encoder-format frames. Frames are allocated on demand (the queues between
/// stages bound how many exist) and freed when the pool itself goes, which is only after every
/// frame it handed out has come back.
package final class RenderedFramePool: Sendable {
    private let free = Locked<[Handed<UnsafeMutablePointer<AVFrame>>]>([])
    private let census: ResourceCensus?

    package init(census: ResourceCensus?) {
        self.census = census
    }

    package func obtain() -> RenderedFrame {
        let frame = free.withLock { $0.popLast()?.pointer } ?? {
            census?.acquired(.renderedFrame)
            return av_frame_alloc()!
        }()
        return RenderedFrame(frame: frame, pool: self)
    }

    fileprivate func recycle(_ frame: UnsafeMutablePointer<AVFrame>) {
        free.withLock { $0.append(Handed(frame)) }
    }

    deinit {
        free.withLock { list in
            for frame in list {
                var owned: UnsafeMutablePointer<AVFrame>? = frame.pointer
                av_frame_free(&owned)
                census?.released(.renderedFrame)
            }
        }
    }
}
