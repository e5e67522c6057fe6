import CFFmpeg
import VideoSegCore

/// swscale colour set-up shared by the preprocessor and the frame converter: swscale guesses
/// BT.601 limited range unless told, which shifts the colours of HD and full-range video.
enum ColorDetails {
    /// The swscale coefficient table for a frame's colour space (BT.601 when untagged).
    static func coefficients(_ colorspace: AVColorSpace) -> UnsafePointer<Int32> {
        switch colorspace {
        case AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_RESERVED, AVCOL_SPC_RGB:
            return sws_getCoefficients(SWS_CS_DEFAULT)
        default:
            return sws_getCoefficients(Int32(colorspace.rawValue))
        }
    }

    /// Whether a frame's samples use the full 0–255 range.
    static func isFullRange(_ frame: UnsafePointer<AVFrame>) -> Bool {
        if frame.pointee.color_range == AVCOL_RANGE_JPEG { return true }
        switch AVPixelFormat(frame.pointee.format) {
        case AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P, AV_PIX_FMT_YUVJ411P:
            return true
        default:
            return false
        }
    }

    /// Tells `context` how to read `frame`'s colours and which matrix and range to write.
    /// Non-YUV formats make swscale return an error here, which is fine: it has nothing to set.
    package static func apply(to context: OpaquePointer, source frame: UnsafePointer<AVFrame>,
                      destinationColorspace: AVColorSpace, destinationFullRange: Bool)
    {
        let sourceTable = coefficients(frame.pointee.colorspace)
        let destinationTable = coefficients(destinationColorspace)
        _ = sws_setColorspaceDetails(context, sourceTable, isFullRange(frame) ? 1 : 0, destinationTable,
                                     destinationFullRange ? 1 : 0, 0, 1 << 16, 1 << 16)
    }
}
