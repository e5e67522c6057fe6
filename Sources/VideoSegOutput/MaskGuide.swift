import CFFmpeg
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegRender

/// Refines exported probability masks on the source frame's own edges (`edges refined`): the
/// frame's luma at the source's size, read upright, guides `EdgeRefiner` as the render stage's luma
/// guides it. Used by the mask stage's thread only.
final class MaskGuide {
    private let orientation: Orientation
    private let scaler = FrameScaler()
    private let refiner = EdgeRefiner()
    private var gray: UnsafeMutablePointer<UInt8>?
    private var grayBytes = 0
    private var weights: [UInt16] = []

    init(orientation: Orientation) {
        self.orientation = orientation
    }

    deinit {
        av_free(gray)
    }

    /// Refines `probabilities` (upright, `width`×`height`, row by row) on the edges of `frame`.
    func refine(_ probabilities: inout [Float], width: Int, height: Int, frame: DecodedFrame) throws {
        let storedWidth = frame.width, storedHeight = frame.height
        let stride = (storedWidth + 63) & ~63
        if grayBytes < stride * storedHeight {
            av_free(gray)
            grayBytes = stride * storedHeight
            gray = av_malloc(grayBytes + 64)!.assumingMemoryBound(to: UInt8.self)
        }
        var destination: [UnsafeMutablePointer<UInt8>?] = [gray, nil, nil, nil]
        var strides: [Int32] = [Int32(stride), 0, 0, 0]
        try scaler.scale(frame.frame, width: storedWidth, height: storedHeight, format: AV_PIX_FMT_GRAY8, flags: SWS_BILINEAR,
                         destinationColorspace: AVCOL_SPC_UNSPECIFIED, destinationFullRange: false, data: &destination, strides: &strides)
        let walk = orientation.uprightWalk(width: storedWidth, height: storedHeight, stride: stride, bytesPerPixel: 1)
        if weights.count != width * height { weights = [UInt16](repeating: 0, count: width * height) }
        for index in 0..<weights.count { weights[index] = UInt16(min(256, max(0, probabilities[index] * 256 + 0.5))) }
        let guide = EdgeRefiner.Guide(base: UnsafeRawPointer(gray!), origin: walk.origin, stepX: walk.stepX, stepY: walk.stepY, bitDepth: 8)
        weights.withUnsafeMutableBufferPointer { refiner.refine($0, width: width, height: height, guide: guide) }
        for index in 0..<weights.count { probabilities[index] = Float(weights[index]) * (1 / 256) }
    }
}
