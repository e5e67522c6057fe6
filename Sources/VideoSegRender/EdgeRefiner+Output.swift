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

    /// Classes every block of the grid. Inside a block `a·guide + b` is trilinear in the two
    /// interpolation weights and the guide (all in [0, 1]), so its extremes are at the corners:
    /// `b` and `a + b` at the block's four cells.
    func classify(_ grid: RefinerGrid) {
        let slope = grid[.slope], offset = grid[.product], low = grid[.least], high = grid[.most]
        let kinds = grid.kinds, (lowest, highest) = certainBounds
        let smallWidth = grid.smallWidth, smallHeight = grid.smallHeight
        for cell in 0..<grid.cells {
            let b = offset[cell], ab = slope[cell] + offset[cell]
            low[cell] = min(b, ab)
            high[cell] = max(b, ab)
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
        classify(grid)
        let smallWidth = grid.smallWidth, width = grid.width, kinds = grid.kinds
        grid.runStarts.withUnsafeBufferPointer { starts in
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
        let slope = grid[.slope], offset = grid[.product], next = min(j + 1, grid.smallWidth - 1)
        // The grid's two columns interpolated down to this row, exactly as a whole line would be.
        let a0 = slope[tap.first + j] + (slope[tap.second + j] - slope[tap.first + j]) * tap.weight
        let a1 = slope[tap.first + next] + (slope[tap.second + next] - slope[tap.first + next]) * tap.weight
        let b0 = offset[tap.first + j] + (offset[tap.second + j] - offset[tap.first + j]) * tap.weight
        let b1 = offset[tap.first + next] + (offset[tap.second + next] - offset[tap.first + next]) * tap.weight
        let gain = self.gain, scale = source.scale, weights = grid.columnWeights
        for x in grid.runStarts[j]..<end {
            let slopeHere = a0 + (a1 - a0) * weights[x]
            let offsetHere = b0 + (b1 - b0) * weights[x]
            let q = (slopeHere * (Float(source.sample(x, row: y)) * scale) + offsetHere - 0.5) * gain + 0.5
            row[x] = UInt16(min(256, max(0, q * 256 + 0.5)))
        }
    }
}
