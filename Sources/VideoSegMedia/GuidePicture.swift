import CFFmpeg
import VideoSegCore

/// The picture `edges refined` is guided by: a decoded frame's Y, U and V as 8-bit 4:2:0 at a
/// given size, taken the same way by the render stage and the mask stage. So the video's refined
/// weight, a cut-out's alpha and the exported masks agree sample for sample whatever pixel
/// format the output is written in (a 4:4:4 output's own chroma would guide differently). Used
/// by one thread at a time; the planes it gives are valid until its next call, and while the
/// decoded frame lives.
package final class GuidePicture {
    private let scaler = FrameScaler()
    private var buffer: UnsafeMutablePointer<UInt8>?
    private var bufferBytes = 0

    package init() {}

    deinit {
        av_free(buffer)
    }

    /// Y, U and V of `decoded` at `width`×`height` (chroma `(width + 1) / 2`×`(height + 1) / 2`):
    /// the decoded planes themselves when they are already that, else converted (bilinear).
    package func planes(of decoded: DecodedFrame, width: Int, height: Int) throws -> [PlaneView] {
        let frame = decoded.frame
        let format = AVPixelFormat(frame.pointee.format)
        if (format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P) && Int(frame.pointee.width) == width
            && Int(frame.pointee.height) == height
        {
            return [(frame.pointee.data.0, frame.pointee.linesize.0), (frame.pointee.data.1, frame.pointee.linesize.1),
                    (frame.pointee.data.2, frame.pointee.linesize.2)].map { PlaneView(pixels: UnsafeMutableRawPointer($0.0!), stride: Int($0.1)) }
        }
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        let stride = (width + 63) & ~63, chromaStride = (chromaWidth + 63) & ~63
        let lumaBytes = stride * height, chromaBytes = chromaStride * chromaHeight
        if bufferBytes < lumaBytes + 2 * chromaBytes {
            av_free(buffer)
            bufferBytes = lumaBytes + 2 * chromaBytes
            buffer = av_malloc(bufferBytes + 64)!.assumingMemoryBound(to: UInt8.self)
        }
        let starts = [buffer!, buffer! + lumaBytes, buffer! + lumaBytes + chromaBytes]
        var destination: [UnsafeMutablePointer<UInt8>?] = starts + [nil]
        var strides: [Int32] = [Int32(stride), Int32(chromaStride), Int32(chromaStride), 0]
        try scaler.scale(frame, width: width, height: height, format: AV_PIX_FMT_YUV420P, flags: SWS_BILINEAR,
                         destinationColorspace: AVCOL_SPC_UNSPECIFIED, destinationFullRange: false, data: &destination, strides: &strides)
        return [PlaneView(pixels: UnsafeMutableRawPointer(starts[0]), stride: stride),
                PlaneView(pixels: UnsafeMutableRawPointer(starts[1]), stride: chromaStride),
                PlaneView(pixels: UnsafeMutableRawPointer(starts[2]), stride: chromaStride)]
    }
}
