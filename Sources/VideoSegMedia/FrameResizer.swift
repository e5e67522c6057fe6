import CFFmpeg
import VideoSegCore

/// Scales rendered frames to another size in the same pixel format, into frames of its own pool:
/// the small copy a blur works on and the large one it is scaled back to. Used by one thread.
package final class FrameResizer {
    /// How samples are taken: averaged over the area (shrinking), bilinear (growing smoothly) or
    /// nearest (growing into blocks).
    package enum Filter {
        case area, bilinear, nearest

        package var flags: Int32 {
            switch self {
            case .area: SWS_AREA
            case .bilinear: SWS_BILINEAR
            case .nearest: SWS_POINT
            }
        }
    }

    package let width: Int
    package let height: Int
    private let filter: Filter
    private let pixelFormat: AVPixelFormat
    private let colorspace: AVColorSpace
    private let fullRange: Bool
    private let scaler = FrameScaler()
    private let pool: RenderedFramePool
    private let path: String

    package init(width: Int, height: Int, filter: Filter, pixelFormat: AVPixelFormat, colorspace: AVColorSpace, fullRange: Bool, path: String,
         census: ResourceCensus?)
    {
        self.width = max(1, width)
        self.height = max(1, height)
        self.filter = filter
        self.pixelFormat = pixelFormat
        self.colorspace = colorspace
        self.fullRange = fullRange
        self.path = path
        pool = RenderedFramePool(census: census)
    }

    /// `frame` scaled to this resizer's size.
    package func resize(_ frame: RenderedFrame) throws -> RenderedFrame {
        let result = pool.obtain()
        let destination = result.frame
        if destination.pointee.data.0 == nil {
            destination.pointee.format = pixelFormat.rawValue
            destination.pointee.width = Int32(width)
            destination.pointee.height = Int32(height)
            try checkFFmpeg(av_frame_get_buffer(destination, 0), path: path, operation: "allocating a scaled frame")
        }
        frame.frame.pointee.colorspace = colorspace
        frame.frame.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        try scaler.scale(frame.frame, into: destination, width: width, height: height, format: pixelFormat, flags: filter.flags,
                         destinationColorspace: colorspace, destinationFullRange: fullRange)
        return result
    }
}
