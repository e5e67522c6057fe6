import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The blend tint with `edges refined`: the tint's weight is `alpha` times the refined foreground
/// weight (the soft weight moved onto the picture's edges by `EdgeRefiner`, at luma's size and
/// guided by the frame's colour; chroma takes its top-left luma sample's weight), and its colour
/// the probability-weighted mix of the tinted classes at the nearest cell, as the soft tint's is.
/// Cells with too little tint take the mean colour of the tinted cells (one class: its colour).
/// One thread uses it.
final class RefinedOverlay {
    private let refiner = EdgeRefiner()
    private let guidePicture = GuidePicture()
    private var weights: [ForegroundWeights]
    private let samplers: [BilinearSampler]
    /// The nearest cells of luma and chroma samples, for the tint's colour.
    private let nearest: [NearestCells]
    private let layout: FrameLayout
    private let alpha: Float
    private let tinted: [Bool]

    init(layout: FrameLayout, luma: BilinearSampler, chroma: BilinearSampler, style: OverlayStyle, classCount: Int) {
        self.layout = layout
        samplers = [luma, chroma]
        nearest = [NearestCells(luma), NearestCells(chroma)]
        weights = [ForegroundWeights(width: luma.columns.count, height: luma.rows.count),
                   ForegroundWeights(width: chroma.columns.count, height: chroma.rows.count)]
        alpha = Float(max(0, min(1, style.alpha)))
        tinted = (0..<max(classCount, 1)).map { style.tints($0) }
    }

    /// Draws the tint on the planes of `frame` (`decoded` converted) from `segmentation` and its
    /// soft `tables`.
    func render(_ frame: RenderedFrame, decoded: DecodedFrame, segmentation: Segmentation, tables: OverlayRenderer.CellTables) throws {
        let planes = frame.planes
        let guide = EdgeRefiner.Guide(yuv420: try guidePicture.planes(of: decoded, width: layout.width, height: layout.height))
        weights[0].refine(segmentation, sampler: samplers[0], tinted: tinted, with: refiner, guide: guide)
        weights[1].subsample(weights[0], log2Width: layout.log2ChromaWidth, log2Height: layout.log2ChromaHeight)
        for (index, plane) in planes.prefix(3).enumerated() {
            draw(plane, colors: cellColors(tables, plane: index), weights: weights[index == 0 ? 0 : 1], cells: nearest[index == 0 ? 0 : 1])
        }
    }

    /// The tint colour of every cell on one plane, at the plane's depth.
    private func cellColors(_ tables: OverlayRenderer.CellTables, plane: Int) -> [Float] {
        let addend = tables.addend[plane]
        var colors = [Float](repeating: 0, count: tables.weight.count)
        var sum: Float = 0, count: Float = 0
        for cell in colors.indices where tables.weight[cell] >= 8 {
            colors[cell] = addend[cell] / tables.weight[cell]
            sum += colors[cell]
            count += 1
        }
        let mean = count > 0 ? sum / count : 0
        for cell in colors.indices where tables.weight[cell] < 8 { colors[cell] = mean }
        return colors
    }

    private func draw(_ plane: PlaneView, colors: [Float], weights: ForegroundWeights, cells: NearestCells) {
        if layout.bitDepth > 8 {
            draw(plane, as: UInt16.self, colors: colors, weights: weights, cells: cells)
        } else {
            draw(plane, as: UInt8.self, colors: colors, weights: weights, cells: cells)
        }
    }

    /// Mixes the tint into one plane of `Sample`s: untouched where the weight is 0.
    private func draw<Sample: FixedWidthInteger & UnsignedInteger>(_ plane: PlaneView, as: Sample.Type, colors: [Float],
                                                                    weights: ForegroundWeights, cells: NearestCells)
    {
        let alpha = self.alpha, largest = Float(Sample.max), width = weights.width
        colors.withUnsafeBufferPointer { colors in
            weights.values.withUnsafeBufferPointer { weight in
                cells.columns.withUnsafeBufferPointer { columns in
                    for y in 0..<weights.height {
                        let rowColors = colors.baseAddress! + cells.rows[y], rowWeights = weight.baseAddress! + y * width
                        let samples = (plane.pixels + y * plane.stride).assumingMemoryBound(to: Sample.self)
                        for x in 0..<width {
                            let r = rowWeights[x]
                            if r == 0 { continue }
                            let color = rowColors[Int(columns[x])], w = alpha * Float(r)
                            // Through Int32: a generic integer's init from Float takes the float apart bit by bit.
                            samples[x] = Sample(truncatingIfNeeded: Int32(min(largest, (Float(samples[x]) * (256 - w) + color * w) * (1 / 256) + 0.5)))
                        }
                    }
                }
            }
        }
    }
}
