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

    /// The foreground probability of `segmentation` read through `sampler` (upright, at the
    /// export size), refined on the edges of `frame` as the render stage refines its weight: the
    /// refiner reads the probability map itself, so both outputs agree to the sample.
    func refine(_ segmentation: Segmentation, sampler: BilinearSampler, frame: DecodedFrame) throws -> [Float] {
        let width = sampler.columns.count, height = sampler.rows.count
        // Without a probability map (hard scores) the probability is 0 everywhere.
        guard let foreground = segmentation.foreground else { return [Float](repeating: 0, count: width * height) }
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
        let guide = EdgeRefiner.Guide(base: UnsafeRawPointer(gray!), origin: walk.origin, stepX: walk.stepX, stepY: walk.stepY, bitDepth: 8)
        let coarse = EdgeRefiner.Coarse.map(UnsafePointer(foreground.baseAddress), sampler)
        weights.withUnsafeMutableBufferPointer { refiner.refine($0, width: width, height: height, guide: guide, coarse: coarse) }
        return weights.map { Float($0) * (1 / 256) }
    }
}
