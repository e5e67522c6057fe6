import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// Moves the foreground weight onto the picture's own edges (`edges refined`): a fast guided
/// filter (He and Sun 2015) with the frame's colour (luma and chroma; He et al. 2013's colour
/// guided filter) or its luma alone as the guide, its coefficients solved on a grid
/// `factor`× smaller and interpolated back, then a contrast gain about 0.5 that narrows the
/// transition the coarse map left. Where the weight is flat over the filter's reach (all 0 or all
/// 256), the coefficients are exactly `a = 0, b = weight`, so flat regions stay exactly flat: the
/// picture is kept exactly where the foreground is certain. Benchmarks/matting/ has the figures
/// that chose the method and its settings. Used by one thread at a time; its buffers are reused.
///
/// Only two passes touch every sample: the integer sums of the guide and the weight on the grid
/// (`EdgeRefiner+Guide.swift`), and the output, which reads the guide only where the
/// interpolated coefficients leave the weight uncertain (`EdgeRefiner+Output.swift`).
package final class EdgeRefiner {
    /// How much smaller the grid the coefficients are solved on is.
    let factor: Int
    /// The box radius on that grid (cells).
    let radius: Int
    /// The guided filter's regulariser, for a guide in [0, 1] (each channel's, with colour). The
    /// composites' clean pictures favour a small one (10⁻⁵: the sharpest edges), but a camera's
    /// noise then moves the edge every frame (a still scene's class masks flickered 0.46% of
    /// pixels against 0.04% at 2·10⁻³); Benchmarks/matting/README.md has the trade.
    let epsilon: Float
    /// The contrast gain about 0.5 applied to the filtered weight.
    let gain: Float

    /// How much of the last frame's coefficients a still part of the picture keeps (0: none).
    let temporal: Float

    /// The working memory for the last frame size seen.
    var grid: RefinerGrid?

    package init(factor: Int = 8, radius: Int = 2, epsilon: Float = 2e-3, gain: Float = 2, temporal: Float = 0.6) {
        self.temporal = temporal
        self.factor = factor
        self.radius = radius
        self.epsilon = epsilon
        self.gain = gain
    }

    /// Where the grid's coarse weight comes from.
    package enum Coarse {
        /// The weights being refined, averaged over each grid cell.
        case weights
        /// The model's foreground probability map, on which `sampler` places the plane's
        /// samples: the same averages computed on the map, so the weights need not be filled
        /// in first (every sample is written).
        case map(UnsafePointer<Float>, BilinearSampler)
    }

    /// Refines `weights` (0…256, `width`×`height`, row by row) in place, guided by `guide`,
    /// from the coarse weight `coarse` gives.
    package func refine(_ weights: UnsafeMutableBufferPointer<UInt16>, width: Int, height: Int, guide source: Guide, coarse: Coarse = .weights) {
        guard width > 0, height > 0 else { return }
        let grid: RefinerGrid
        if let existing = self.grid, existing.width == width, existing.height == height {
            grid = existing
        } else {
            grid = RefinerGrid(width: width, height: height, factor: factor)
            self.grid = grid
        }
        switch coarse {
        case .weights:
            shrink(weights, guide: source, grid: grid)
        case .map(let map, let sampler):
            shrink(nil, guide: source, grid: grid)
            grid.spread(sampler, factor: factor).average(map, into: grid[.weight], smallWidth: grid.smallWidth)
        }
        let colour = source.chroma != nil
        if colour { colourCoefficients(grid) } else { coefficients(grid) }
        steady(grid, colour: colour)
        apply(to: weights, guide: source, grid: grid)
    }

    /// The guided filter's `a` (left in `slope`) and `b` (left in `product`), each already
    /// averaged over the box as the filter's output step wants.
    private func coefficients(_ grid: RefinerGrid) {
        let guide = grid[.guide], weight = grid[.weight], guideSquared = grid[.guideSquared], product = grid[.product]
        let meanGuide = grid[.meanGuide], meanWeight = grid[.meanWeight], slope = grid[.slope]
        let epsilon = self.epsilon
        for cell in 0..<grid.cells {
            guideSquared[cell] = guide[cell] * guide[cell]
            product[cell] = guide[cell] * weight[cell]
            meanGuide[cell] = guide[cell]
            meanWeight[cell] = weight[cell]
        }
        box(grid, .meanGuide, .meanWeight, .guideSquared, .product)
        for cell in 0..<grid.cells {
            let variance = max(0, guideSquared[cell] - meanGuide[cell] * meanGuide[cell])
            let covariance = product[cell] - meanGuide[cell] * meanWeight[cell]
            slope[cell] = covariance / (variance + epsilon)
            product[cell] = meanWeight[cell] - slope[cell] * meanGuide[cell]
        }
        box(grid, .slope, .product)
    }

    /// Keeps the last frame's coefficients where the picture itself has not changed (the grid's
    /// luma within a few levels of the last one), so a still edge does not flicker with the
    /// model's noise; where the picture moves they are this frame's at once, so a moving edge
    /// does not lag. `a` is in the slopes, `b` in `product`.
    private func steady(_ grid: RefinerGrid, colour: Bool) {
        let guide = grid[.guide], previousGuide = grid[.previousGuide]
        var pairs: [(RefinerGrid.Plane, RefinerGrid.Plane)] = [(.slope, .previousSlope), (.product, .previousOffset)]
        if colour {
            pairs += [(.slopeU, .previousSlopeU), (.slopeV, .previousSlopeV)]
        } else {
            // A luma-only frame has no chroma slopes: none may be kept from a colour frame.
            for plane in [RefinerGrid.Plane.slopeU, .slopeV] { grid[plane].update(repeating: 0, count: grid.cells) }
        }
        if temporal > 0 && grid.hasPrevious {
            for (current, previous) in pairs {
                let now = grid[current], before = grid[previous]
                for cell in 0..<grid.cells {
                    let stillness = max(0, 1 - abs(guide[cell] - previousGuide[cell]) * 32)
                    now[cell] += temporal * stillness * stillness * (before[cell] - now[cell])
                }
            }
        }
        for (current, previous) in pairs { grid[previous].update(from: grid[current], count: grid.cells) }
        previousGuide.update(from: guide, count: grid.cells)
        grid.hasPrevious = true
    }

    func box(_ grid: RefinerGrid, _ planes: RefinerGrid.Plane...) {
        BoxFilter.mean(planes.map { grid[$0] }, width: grid.smallWidth, height: grid.smallHeight, radius: radius)
    }
}
