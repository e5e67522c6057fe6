import CFFmpeg
import VideoSegCore

/// Writes class-index masks as one lossless gray FFV1 video (`masks.mkv`), each mask at its
/// frame's timestamp. Used by one thread at a time (the mask stage).
package final class MaskVideoWriter {
    private let sink: VideoSink
    private let frame: UnsafeMutablePointer<AVFrame>
    private let width: Int
    private let height: Int

    /// Opens `path` for `width`×`height` masks timed in `timeBase` at `frameRate`.
    package init(path: String, width: Int, height: Int, timeBase: Rational, frameRate: Rational) throws {
        let format = VideoFormat(
            width: width, height: height, timeBase: timeBase.avRational, frameRate: frameRate.avRational,
            sampleAspectRatio: AVRational(num: 1, den: 1), colorPrimaries: AVCOL_PRI_UNSPECIFIED,
            colorTransfer: AVCOL_TRC_UNSPECIFIED, colorspace: AVCOL_SPC_UNSPECIFIED, fullRange: true,
            sourcePixelFormat: AV_PIX_FMT_GRAY8, displayMatrix: nil, forcedPixelFormat: AV_PIX_FMT_GRAY8)
        guard let frame = av_frame_alloc() else { throw VideoSegError.writeFailed(path: path, reason: "out of memory") }
        self.frame = frame
        self.width = width
        self.height = height
        do {
            sink = try VideoSink(path: path, format: format, settings: EncoderSettings(codec: "ffv1"), audio: nil)
            frame.pointee.format = AV_PIX_FMT_GRAY8.rawValue
            frame.pointee.width = Int32(width)
            frame.pointee.height = Int32(height)
            try checkFFmpeg(av_frame_get_buffer(frame, 0), path: path, operation: "allocating a mask frame")
        } catch {
            var owned: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&owned)
            throw error
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&owned)
    }

    /// Frames written so far.
    package var framesWritten: Int { sink.framesWritten }

    /// Encodes one tightly packed mask at `pts`.
    package func write(_ pixels: [UInt8], pts: Int64) throws {
        try copy(pixels, into: frame, width: width, height: height, path: sink.path)
        frame.pointee.pts = pts
        try sink.write(avFrame: frame)
    }

    /// Finalises the file.
    package func finish() throws {
        try sink.finish()
    }

    /// Removes the unfinished file.
    package func abandon() {
        sink.abandon()
    }
}
