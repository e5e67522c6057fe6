import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// A box mean over a grid of floats, across then down, the border repeated, with running sums
/// (the cost does not grow with the radius). For the small grids of the edge refiner and the
/// region blur.
enum BoxFilter {
    /// Replaces every value of the `width`×`height` grid by the mean of its (2·radius+1)² box.
    static func mean(_ values: inout [Float], width: Int, height: Int, radius: Int) {
        guard radius > 0, width > 0, height > 0 else { return }
        let span = Float(2 * radius + 1)
        var line = [Float](repeating: 0, count: max(width, height))
        values.withUnsafeMutableBufferPointer { v in
            line.withUnsafeMutableBufferPointer { line in
                // Across (step 1 within a row), then down (step `width` within a column).
                for (count, step, lines, lineStep) in [(width, 1, height, width), (height, width, width, 1)] {
                    for l in 0..<lines {
                        let start = l * lineStep
                        for i in 0..<count { line[i] = v[start + i * step] }
                        var sum: Float = 0
                        for offset in -radius...radius { sum += line[min(count - 1, max(0, offset))] }
                        for i in 0..<count {
                            v[start + i * step] = sum / span
                            sum += line[min(count - 1, i + radius + 1)] - line[max(0, i - radius)]
                        }
                    }
                }
            }
        }
    }
}
