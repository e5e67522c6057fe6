import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegRender

/// Refines exported probability masks on the source frame's own edges (`edges refined`): the
/// frame's `GuidePicture` at the source's size, read upright, guides `EdgeRefiner` as the render
/// stage's guides it. Used by the mask stage's thread only.
final class MaskGuide {
    private let orientation: Orientation
    private let picture = GuidePicture()
    private let refiner = EdgeRefiner()
    private var weights: [UInt16] = []

    init(orientation: Orientation) {
        self.orientation = orientation
    }

    /// The foreground probability of `segmentation` read through `sampler` (upright, at the
    /// export size), refined on the edges of `frame` as the render stage refines its weight: the
    /// refiner reads the probability map itself, so both outputs agree to the sample.
    func refine(_ segmentation: Segmentation, sampler: BilinearSampler, frame: DecodedFrame) throws -> [Float] {
        let width = sampler.columns.count, height = sampler.rows.count
        // Without a probability map (hard scores) the probability is 0 everywhere.
        guard let foreground = segmentation.foreground else { return [Float](repeating: 0, count: width * height) }
        let storedWidth = frame.width, storedHeight = frame.height
        let planes = try picture.planes(of: frame, width: storedWidth, height: storedHeight)
        // Upright chroma sample (x/2, y/2) is the one covering upright luma sample (x, y): the
        // 2×2 subsampling is the same whichever way the frame is turned.
        func channel(_ plane: PlaneView, width: Int, height: Int, log2: Int) -> EdgeRefiner.Guide.Channel {
            let walk = orientation.uprightWalk(width: width, height: height, stride: plane.stride, bytesPerPixel: 1)
            return .init(base: UnsafeRawPointer(plane.pixels), origin: walk.origin, stepX: walk.stepX, stepY: walk.stepY, bitDepth: 8,
                         log2Width: log2, log2Height: log2)
        }
        let chromaWidth = (storedWidth + 1) / 2, chromaHeight = (storedHeight + 1) / 2
        let guide = EdgeRefiner.Guide(luma: channel(planes[0], width: storedWidth, height: storedHeight, log2: 0),
                                      chroma: (channel(planes[1], width: chromaWidth, height: chromaHeight, log2: 1),
                                               channel(planes[2], width: chromaWidth, height: chromaHeight, log2: 1)))
        if weights.count != width * height { weights = [UInt16](repeating: 0, count: width * height) }
        let coarse = EdgeRefiner.Coarse.map(UnsafePointer(foreground.baseAddress), sampler)
        weights.withUnsafeMutableBufferPointer { refiner.refine($0, width: width, height: height, guide: guide, coarse: coarse) }
        return weights.map { Float($0) * (1 / 256) }
    }
}
