import CFFmpeg
import VideoSegCore

/// A swscale context that follows the frames it is given: rebuilt when their size or format
/// changes, and told their colour matrix and range (rebuilding swscale's tables is too costly to
/// do every frame, so that happens only when the colours change). Used by one thread at a time.
package final class FrameScaler {
    package init() {}

    private var context: OpaquePointer?
    private var configured: (context: OpaquePointer, colorspace: AVColorSpace, fullRange: Bool)?

    deinit {
        sws_freeContext(context)
    }

    /// Scales `source` into the planes `data`/`strides` of a `width`×`height` `format` picture.
    package func scale(_ source: UnsafePointer<AVFrame>, width: Int, height: Int, format: AVPixelFormat, flags: Int32,
               destinationColorspace: AVColorSpace, destinationFullRange: Bool,
               data: UnsafePointer<UnsafeMutablePointer<UInt8>?>, strides: UnsafePointer<Int32>) throws
    {
        context = sws_getCachedContext(
            context, source.pointee.width, source.pointee.height, AVPixelFormat(source.pointee.format),
            Int32(width), Int32(height), format, flags, nil, nil, nil)
        guard let context else {
            throw VideoSegError.invalidOption(
                "cannot convert \(source.pointee.width)x\(source.pointee.height) frames to \(width)x\(height) \(String(cString: av_get_pix_fmt_name(format)))")
        }
        let fullRange = ColorDetails.isFullRange(source)
        if configured?.context != context || configured?.colorspace != source.pointee.colorspace || configured?.fullRange != fullRange {
            ColorDetails.apply(to: context, source: source, destinationColorspace: destinationColorspace,
                               destinationFullRange: destinationFullRange)
            configured = (context, source.pointee.colorspace, fullRange)
        }
        withUnsafePointer(to: source.pointee.data) { sourceData in
            withUnsafePointer(to: source.pointee.linesize) { sourceStrides in
                sourceData.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                    sourceStrides.withMemoryRebound(to: Int32.self, capacity: 8) { lines in
                        _ = sws_scale(context, planes, lines, 0, source.pointee.height, data, strides)
                    }
                }
            }
        }
    }

    /// Scales `source` into the buffers of `destination` (already allocated at `width`×`height`
    /// in `format`).
    package func scale(_ source: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<AVFrame>, width: Int, height: Int,
               format: AVPixelFormat, flags: Int32, destinationColorspace: AVColorSpace, destinationFullRange: Bool) throws
    {
        try withUnsafeMutablePointer(to: &destination.pointee.data) { data in
            try withUnsafeMutablePointer(to: &destination.pointee.linesize) { lines in
                try data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { planes in
                    try lines.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        try scale(source, width: width, height: height, format: format, flags: flags,
                                  destinationColorspace: destinationColorspace, destinationFullRange: destinationFullRange,
                                  data: planes, strides: strides)
                    }
                }
            }
        }
    }
}
