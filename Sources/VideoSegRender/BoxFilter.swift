import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// A box mean over a grid of floats, across then down, the border repeated, with running sums
/// (the cost does not grow with the radius). For the small grids of the edge refiner and the
/// region blur.
enum BoxFilter {
    /// Replaces every value of the `width`×`height` grid by the mean of its (2·radius+1)² box.
    static func mean(_ values: inout [Float], width: Int, height: Int, radius: Int) {
        values.withUnsafeMutableBufferPointer { mean($0, width: width, height: height, radius: radius) }
    }

    /// The same on a grid in memory the caller owns.
    static func mean(_ values: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, radius: Int) {
        guard radius > 0, width > 0, height > 0 else { return }
        let v = values.baseAddress!, span = Float(2 * radius + 1)
        let line = UnsafeMutablePointer<Float>.allocate(capacity: max(width, height * width))
        defer { line.deallocate() }
        // Across: a running sum along each row.
        for y in 0..<height {
            let row = v + y * width
            line.update(from: row, count: width)
            var sum: Float = 0
            for offset in -radius...radius { sum += line[min(width - 1, max(0, offset))] }
            for x in 0..<width {
                row[x] = sum / span
                sum += line[min(width - 1, x + radius + 1)] - line[max(0, x - radius)]
            }
        }
        // Down: the same running sum for every column at once, a row of sums at a time (the
        // same additions in the same order as column by column, so the same values, but over
        // contiguous rows).
        line.update(from: v, count: height * width)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: width)
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
