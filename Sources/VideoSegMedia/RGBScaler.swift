import CFFmpeg
import VideoSegCore

/// Scales decoded frames to packed RGB at a fixed size with swscale (bilinear, honouring each
/// frame's colour matrix and range), into one buffer it owns and reuses. Used by one thread at a
/// time (the preprocess stage).
package final class RGBScaler {
    package let width: Int
    package let height: Int
    private let scaler = FrameScaler()
    private let rgb: UnsafeMutablePointer<UInt8>
    private let stride: Int

    /// Scales to `width`×`height` (stored orientation: the caller turns the picture upright).
    package init(width: Int, height: Int) {
        self.width = width
        self.height = height
        stride = (width * 3 + 63) & ~63
        rgb = av_malloc(stride * height + 64)!.assumingMemoryBound(to: UInt8.self)
    }

    deinit {
        av_free(rgb)
    }

    /// `frame` as RGB, in the scaler's buffer (valid until the next call).
    package func scale(_ frame: DecodedFrame) throws -> RGBImage {
        var destination: [UnsafeMutablePointer<UInt8>?] = [rgb, nil, nil, nil]
        var strides: [Int32] = [Int32(stride), 0, 0, 0]
        try scaler.scale(frame.frame, width: width, height: height, format: AV_PIX_FMT_RGB24, flags: SWS_BILINEAR,
                         destinationColorspace: AVCOL_SPC_UNSPECIFIED, destinationFullRange: true,
                         data: &destination, strides: &strides)
        return RGBImage(pixels: UnsafePointer(rgb), width: width, height: height, stride: stride)
    }
}
