import CFFmpeg
import VideoSegCore

/// Copies a decoded frame into a writable frame of the output's pixel format and size, so the
/// overlay can draw in place without touching buffers the decoder still references.
package final class FrameConverter {
    package let width: Int
    package let height: Int
    package let pixelFormat: AVPixelFormat
    /// The colour matrix and range of the output frames.
    let colorspace: AVColorSpace
    package let fullRange: Bool
    private let scaler = FrameScaler()
    /// The output file, for error messages.
    private let path: String
    private let pool: RenderedFramePool

    package init(width: Int, height: Int, pixelFormat: AVPixelFormat, colorspace: AVColorSpace, fullRange: Bool, path: String,
         pool: RenderedFramePool)
    {
        self.path = path
        self.pool = pool
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.colorspace = colorspace
        self.fullRange = fullRange
    }

    /// `decoded` in the output's format, size and colour tags, in a frame from the pool.
    package func convert(_ decoded: DecodedFrame) throws -> RenderedFrame {
        let rendered = pool.obtain()
        try convert(decoded.frame, into: rendered.frame)
        return rendered
    }

    /// Writes `source` into `destination`, allocating or un-sharing its buffers when needed,
    /// and copies the timestamp and colour tags.
    private func convert(_ source: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<AVFrame>) throws {
        if destination.pointee.data.0 == nil {
            destination.pointee.format = pixelFormat.rawValue
            destination.pointee.width = Int32(width)
            destination.pointee.height = Int32(height)
            try checkFFmpeg(av_frame_get_buffer(destination, 0), path: path, operation: "allocating an output frame")
        } else {
            // The encoder may still hold a reference to last time's buffers.
            try checkFFmpeg(av_frame_make_writable(destination), path: path, operation: "allocating an output frame")
        }
        let sameLayout = AVPixelFormat(source.pointee.format) == pixelFormat && Int(source.pointee.width) == width
            && Int(source.pointee.height) == height
        if sameLayout {
            try checkFFmpeg(av_frame_copy(destination, source), path: path, operation: "copying a frame")
        } else {
            try scaler.scale(source, into: destination, width: width, height: height, format: pixelFormat, flags: SWS_BICUBIC,
                             destinationColorspace: colorspace, destinationFullRange: fullRange)
        }
        destination.pointee.pts = source.pointee.pts
        destination.pointee.pict_type = AV_PICTURE_TYPE_NONE
        destination.pointee.colorspace = colorspace
        destination.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        destination.pointee.color_primaries = source.pointee.color_primaries
        destination.pointee.color_trc = source.pointee.color_trc
        destination.pointee.sample_aspect_ratio = source.pointee.sample_aspect_ratio
    }
}
