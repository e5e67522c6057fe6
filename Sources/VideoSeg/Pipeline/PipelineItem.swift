import CFFmpeg

/// A free list of equally sized buffers, so frames reuse tensors and class maps instead of
/// allocating them per frame. The pipeline's bounded queues bound how many exist at once.
final class BufferPool<Element>: @unchecked Sendable {
    // @unchecked: the free list is only touched under `free`'s lock.
    let count: Int
    private let free = Locked<[UnsafeMutableBufferPointer<Element>]>([])

    init(count: Int) {
        self.count = count
    }

    deinit {
        for buffer in free.current { buffer.deallocate() }
    }

    func obtain() -> UnsafeMutableBufferPointer<Element> {
        if let buffer = free.withLock({ $0.popLast() }) { return buffer }
        return UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
    }

    func recycle(_ buffer: UnsafeMutableBufferPointer<Element>) {
        free.withLock { $0.append(buffer) }
    }
}

/// One video frame on its way through the stages, with the buffers it picks up. Single-owner
/// hand-off: exactly one stage touches it at a time, and the queue between stages orders the
/// hand-over, hence `@unchecked Sendable`. Everything it owns is released when it is dropped,
/// whichever stage drops it.
final class VideoFrameBox: @unchecked Sendable {
    /// The decoded frame (its `pts` already made increasing).
    var decoded: UnsafeMutablePointer<AVFrame>?
    /// Zero-based number of the frame in decode order.
    let index: Int
    /// Its timestamp in the source stream's time base.
    let pts: Int64
    /// Monotonic seconds when it was captured (live input), for latency.
    var captureTime: Double?
    var tensor: UnsafeMutableBufferPointer<Float>?
    var classMap: UnsafeMutableBufferPointer<UInt8>?
    /// The frame in the encoder's format with the overlay drawn, from `renderedPool`.
    var rendered: UnsafeMutablePointer<AVFrame>?
    var renderedPool: RenderedFramePool?
    private let tensorPool: BufferPool<Float>
    private let classMapPool: BufferPool<UInt8>

    init(decoded: UnsafeMutablePointer<AVFrame>, index: Int, tensorPool: BufferPool<Float>, classMapPool: BufferPool<UInt8>) {
        self.decoded = decoded
        self.index = index
        self.pts = decoded.pointee.pts
        self.tensorPool = tensorPool
        self.classMapPool = classMapPool
    }

    /// Returns the model input buffer to its pool once inference has read it.
    func releaseTensor() {
        if let tensor { tensorPool.recycle(tensor) }
        tensor = nil
    }

    deinit {
        av_frame_free(&decoded)
        releaseTensor()
        if let classMap { classMapPool.recycle(classMap) }
        if let rendered { renderedPool?.recycle(rendered) }
    }
}

/// An audio packet copied from the demuxer, travelling in order with the frames.
final class AudioPacketBox: @unchecked Sendable {
    // @unchecked: single-owner hand-off, as for VideoFrameBox.
    var packet: UnsafeMutablePointer<AVPacket>?

    init(_ packet: UnsafeMutablePointer<AVPacket>) {
        self.packet = packet
    }

    deinit {
        av_packet_free(&packet)
    }
}

/// What the queues between stages carry.
enum PipelineItem: @unchecked Sendable {
    case video(VideoFrameBox)
    case audio(AudioPacketBox)
}
