import VideoSegCore
import VideoSegMedia
import VideoSegModel

extension EdgeRefiner {
    /// What a block of the grid (the samples between two neighbouring grid rows and columns)
    /// gives whatever the guide there: certainly 0, certainly 256, or it depends on the guide.
    static let certainlyBackground: UInt8 = 0, certainlyForeground: UInt8 = 1, guided: UInt8 = 2

    /// The weight before the gain, `a·guide + b`, below which the output is certainly 0 and
    /// above which it is certainly 256, with a margin far beyond float rounding.
    var certainBounds: (low: Float, high: Float) {
        guard gain > 0 else { return (-.infinity, .infinity) }
        return (0.5 - 0.5 / gain - 1e-3, 0.5 + 0.5 / gain + 1e-3)
    }

    /// Classes every block of the grid. Inside a block the output before the gain,
    /// `Σ a_c·guide_c + b`, is multilinear in the two interpolation weights and the guide's
    /// samples (all in [0, 1]), so its extremes are at the corners: at each of the block's four
    /// cells, `b` plus the negative slopes, and `b` plus the positive ones.
    func classify(_ grid: RefinerGrid, colour: Bool) {
        let offset = grid[.product], low = grid[.least], high = grid[.most]
        let kinds = grid.kinds, (lowest, highest) = certainBounds
        let smallWidth = grid.smallWidth, smallHeight = grid.smallHeight
        let slopes = colour ? [grid[.slope], grid[.slopeU], grid[.slopeV]] : [grid[.slope]]
        low.update(from: offset, count: grid.cells)
        high.update(from: offset, count: grid.cells)
        for slope in slopes {
            for cell in 0..<grid.cells {
                low[cell] += min(0, slope[cell])
                high[cell] += max(0, slope[cell])
            }
        }
        for r in 0..<smallHeight {
            let below = min(r + 1, smallHeight - 1) * smallWidth
            for j in 0..<smallWidth {
                let here = r * smallWidth + j, next = min(j + 1, smallWidth - 1) - j
                let least = min(min(low[here], low[here + next]), min(low[below + j], low[below + j + next]))
                let most = max(max(high[here], high[here + next]), max(high[below + j], high[below + j + next]))
                kinds[here] = most <= lowest ? Self.certainlyBackground : least >= highest ? Self.certainlyForeground : Self.guided
            }
        }
    }

    /// `q = a·guide + b` at every sample, `a` and `b` interpolated bilinearly from the grid
    /// (PyTorch's `align_corners=False` placement), then the gain about 0.5, clamped to 0…256.
    /// Runs of samples in certain blocks are filled without reading the guide (most of a frame:
    /// all person or all background); only guided blocks interpolate sample by sample.
    func apply(to weights: UnsafeMutableBufferPointer<UInt16>, guide source: Guide, grid: RefinerGrid) {
        classify(grid, colour: source.chroma != nil)
        let smallWidth = grid.smallWidth, width = grid.width, kinds = grid.kinds
        let starts = grid.runStarts
        for y in 0..<grid.height {
            let tap = grid.rows[y], rowKinds = kinds + tap.first
            let row = weights.baseAddress! + y * width
            // A run of certain samples is filled once it ends.
            var fillFrom = 0, fillKind = rowKinds[0]
            for j in 0..<smallWidth {
                let kind = rowKinds[j]
                if kind == fillKind && kind != Self.guided { continue }
                fill(row, from: fillFrom, to: starts[j], kind: fillKind)
                fillFrom = starts[j]
                fillKind = kind
                if kind == Self.guided {
                    guide(row, run: j, y: y, tap: tap, source: source, grid: grid, end: starts[j + 1])
                    fillFrom = starts[j + 1]
                }
            }
            fill(row, from: fillFrom, to: width, kind: fillKind)
        }
    }

    @inline(__always)
    private func fill(_ row: UnsafeMutablePointer<UInt16>, from start: Int, to end: Int, kind: UInt8) {
        guard end > start, kind != Self.guided else { return }
        (row + start).update(repeating: kind == Self.certainlyForeground ? 256 : 0, count: end - start)
    }

    /// The samples of row `y` whose left tap is grid column `j`, from the guide.
    @inline(__always)
    private func guide(_ row: UnsafeMutablePointer<UInt16>, run j: Int, y: Int, tap: BilinearSampler.Tap, source: Guide, grid: RefinerGrid,
                       end: Int)
    {
        let next = min(j + 1, grid.smallWidth - 1)
        // A plane's two grid columns interpolated down to this row, exactly as a whole line would be.
        func ends(_ plane: RefinerGrid.Plane) -> (Float, Float) {
            let values = grid[plane]
            return (values[tap.first + j] + (values[tap.second + j] - values[tap.first + j]) * tap.weight,
                    values[tap.first + next] + (values[tap.second + next] - values[tap.first + next]) * tap.weight)
        }
        let (a0, a1) = ends(.slope), (b0, b1) = ends(.product)
        let gain = self.gain, scale = source.scale, weights = grid.columnWeights, luma = source.luma
        guard let (u, v) = source.chroma else {
            for x in grid.runStarts[j]..<end {
                let slopeHere = a0 + (a1 - a0) * weights[x]
                let offsetHere = b0 + (b1 - b0) * weights[x]
                let q = (slopeHere * (Float(luma.sample(x, row: y)) * scale) + offsetHere - 0.5) * gain + 0.5
                row[x] = UInt16(min(256, max(0, q * 256 + 0.5)))
            }
            return
        }
        let (u0, u1) = ends(.slopeU), (v0, v1) = ends(.slopeV)
        // The render stage's guide (8-bit, rows stored left to right): row pointers, no per-sample
        // address arithmetic or depth test.
        if luma.bitDepth <= 8 && luma.stepX == 1 && u.stepX == 1 && v.stepX == 1 && u.log2Width == 1 && v.log2Width == 1 {
            let lumaRow = (luma.base + luma.origin + (y &>> luma.log2Height) * luma.stepY).assumingMemoryBound(to: UInt8.self)
            let uRow = (u.base + u.origin + (y &>> u.log2Height) * u.stepY).assumingMemoryBound(to: UInt8.self)
            let vRow = (v.base + v.origin + (y &>> v.log2Height) * v.stepY).assumingMemoryBound(to: UInt8.self)
            for x in grid.runStarts[j]..<end {
                let t = weights[x]
                let guided = (a0 + (a1 - a0) * t) * Float(lumaRow[x]) + (u0 + (u1 - u0) * t) * Float(uRow[x &>> 1])
                    + (v0 + (v1 - v0) * t) * Float(vRow[x &>> 1])
                let q = (guided * scale + b0 + (b1 - b0) * t - 0.5) * gain + 0.5
                row[x] = UInt16(min(256, max(0, q * 256 + 0.5)))
            }
            return
        }
        for x in grid.runStarts[j]..<end {
            let t = weights[x]
            let guided = (a0 + (a1 - a0) * t) * Float(luma.sample(x, row: y)) + (u0 + (u1 - u0) * t) * Float(u.sample(x, row: y))
                + (v0 + (v1 - v0) * t) * Float(v.sample(x, row: y))
            let q = (guided * scale + b0 + (b1 - b0) * t - 0.5) * gain + 0.5
            row[x] = UInt16(min(256, max(0, q * 256 + 0.5)))
        }
    }
}
