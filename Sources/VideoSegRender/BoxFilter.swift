import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// A box mean over a grid of floats, across then down, the border repeated, with running sums
/// (the cost does not grow with the radius). For the small grids of the edge refiner and the
/// region blur.
enum BoxFilter {
    /// Replaces every value of each `width`×`height` grid in `grids` by the mean of its
    /// (2·radius+1)² box. A running sum along a row is a chain of dependent additions, which the
    /// processor cannot run side by side; down the columns every column's sum advances at once,
    /// in vector registers. So the across pass is the down pass on the transposed grid (the same
    /// additions in the same order: the same values).
    static func mean(_ grids: [UnsafeMutablePointer<Float>], width: Int, height: Int, radius: Int) {
        guard radius > 0, width > 0, height > 0 else { return }
        let span = Float(2 * radius + 1), cells = width * height
        let transposed = UnsafeMutablePointer<Float>.allocate(capacity: cells), line = UnsafeMutablePointer<Float>.allocate(capacity: cells)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(width, height))
        defer {
            transposed.deallocate()
            line.deallocate()
            sums.deallocate()
        }
        for grid in grids {
            transpose(grid, width: width, height: height, into: transposed)
            down(transposed, width: height, height: width, radius: radius, span: span, line: line, sums: sums)
            transpose(transposed, width: height, height: width, into: grid)
            down(grid, width: width, height: height, radius: radius, span: span, line: line, sums: sums)
        }
    }

    /// `source` (`width`×`height`, row by row) column by column into `target`, in tiles that stay
    /// in the cache (a plain double loop strides through memory on one side).
    private static func transpose(_ source: UnsafeMutablePointer<Float>, width: Int, height: Int, into target: UnsafeMutablePointer<Float>) {
        let tile = 16
        for top in stride(from: 0, to: height, by: tile) {
            let bottom = min(height, top + tile)
            for left in stride(from: 0, to: width, by: tile) {
                let right = min(width, left + tile)
                for y in top..<bottom {
                    let row = source + y &* width
                    for x in left..<right { target[x &* height &+ y] = row[x] }
                }
            }
        }
    }

    /// Down: the same running sum for every column at once, a row of sums at a time (the same
    /// additions in the same order as column by column, so the same values, but over
    /// contiguous rows).
    private static func down(_ v: UnsafeMutablePointer<Float>, width: Int, height: Int, radius: Int, span: Float,
                             line: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>)
    {
        line.update(from: v, count: height * width)
        sums.update(repeating: 0, count: width)
        for offset in -radius...radius {
            let source = line + min(height - 1, max(0, offset)) * width
            for x in 0..<width { sums[x] += source[x] }
        }
        for y in 0..<height {
            let row = v + y * width
            let entering = line + min(height - 1, y + radius + 1) * width, leaving = line + max(0, y - radius) * width
            for x in 0..<width {
                row[x] = sums[x] / span
                sums[x] += entering[x] - leaving[x]
            }
        }
    }
}
