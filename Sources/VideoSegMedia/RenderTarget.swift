import CFFmpeg
import VideoSegCore

/// The pictures the render stage draws into: size, pixel format, colour matrix and range. The
/// annotated video's sink decides them when there is one; a run with only live outputs (a
/// virtual camera, a preview) renders 8-bit 4:2:0 at the source's size, BT.601 limited range, as
/// cameras and the programs that read them expect.
package struct RenderTarget: Sendable {
    package let width: Int
    package let height: Int
    package let pixelFormat: AVPixelFormat
    let colorspace: AVColorSpace
    package let fullRange: Bool
    /// Names the output in errors.
    package let path: String

    /// The live outputs' target for `source`'s pictures (4:4:4 where the size is odd: 4:2:0
    /// cannot hold it without a crop).
    package static func live(for source: MediaSource, name: String) -> RenderTarget {
        let even = source.width % 2 == 0 && source.height % 2 == 0
        return RenderTarget(width: source.width, height: source.height, pixelFormat: even ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P,
                            colorspace: AVCOL_SPC_BT470BG, fullRange: false, path: name)
    }

    /// The layout of the frames, for drawing on them.
    package var frameLayout: FrameLayout {
        let descriptor = av_pix_fmt_desc_get(pixelFormat)!.pointee
        return FrameLayout(
            width: width, height: height, bitDepth: Int(descriptor.comp.0.depth),
            hasAlpha: descriptor.flags & UInt64(AV_PIX_FMT_FLAG_ALPHA) != 0,
            log2ChromaWidth: Int(descriptor.log2_chroma_w), log2ChromaHeight: Int(descriptor.log2_chroma_h),
            matrix: YUVMatrix(colorspace: colorspace, range: fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG))
    }

    /// A converter from decoded frames to frames of this target, drawing from its own pool.
    package func makeFrameConverter(census: ResourceCensus?) -> FrameConverter {
        FrameConverter(width: width, height: height, pixelFormat: pixelFormat, colorspace: colorspace, fullRange: fullRange,
                       path: path, pool: RenderedFramePool(census: census))
    }

    /// A resizer from frames of this target to `width`×`height` in the same format.
    package func makeResizer(width: Int, height: Int, filter: FrameResizer.Filter, census: ResourceCensus?) -> FrameResizer {
        FrameResizer(width: width, height: height, filter: filter, pixelFormat: pixelFormat, colorspace: colorspace,
                     fullRange: fullRange, path: path, census: census)
    }
}
