import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// Blurs one plane in place with passes of a box filter across and down (two each: a tent,
/// close enough to a Gaussian after the area-averaged shrink before it), with running sums, so
/// the cost does not grow with the radius, and down the plane a row at a time, so memory is
/// read in order. Edges repeat the border sample.
enum PlaneBlur {
    package static let passes = 2

    package static func blur(_ plane: PlaneView, width: Int, height: Int, radius: Int, sixteenBit: Bool) {
        guard radius > 0, width > 0, height > 0 else { return }
        if sixteenBit {
            blur(plane, width: width, height: height, radius: radius, sample: UInt16.self)
        } else {
            blur(plane, width: width, height: height, radius: radius, sample: UInt8.self)
        }
    }

    private static func blur<Sample: FixedWidthInteger & UnsignedInteger>(
        _ plane: PlaneView, width: Int, height: Int, radius: Int, sample: Sample.Type
    ) {
        var line = [Int32](repeating: 0, count: width)
        var sums = [Int32](repeating: 0, count: width)
        var copy = [Sample](repeating: 0, count: width * height)
        let span = Int32(2 * radius + 1)
        func row(_ y: Int) -> UnsafeMutablePointer<Sample> { (plane.pixels + y * plane.stride).assumingMemoryBound(to: Sample.self) }
        for _ in 0..<passes {
            // Across: each row on its own.
            for y in 0..<height {
                let samples = row(y)
                for x in 0..<width { line[x] = Int32(samples[x]) }
                var sum: Int32 = 0
                for offset in -radius...radius { sum += line[min(width - 1, max(0, offset))] }
                for x in 0..<width {
                    samples[x] = Sample(truncatingIfNeeded: (sum + span / 2) / span)
                    sum += line[min(width - 1, x + radius + 1)] - line[max(0, x - radius)]
                }
            }
            // Down: a running sum per column, from a copy of the rows as they were.
            copy.withUnsafeMutableBufferPointer { copy in
                for y in 0..<height { (copy.baseAddress! + y * width).update(from: row(y), count: width) }
                for x in 0..<width { sums[x] = 0 }
                for offset in -radius...radius {
                    let source = copy.baseAddress! + min(height - 1, max(0, offset)) * width
                    for x in 0..<width { sums[x] += Int32(source[x]) }
                }
                for y in 0..<height {
                    let target = row(y)
                    let entering = copy.baseAddress! + min(height - 1, y + radius + 1) * width
                    let leaving = copy.baseAddress! + max(0, y - radius) * width
                    for x in 0..<width {
                        target[x] = Sample(truncatingIfNeeded: (sums[x] + span / 2) / span)
                        sums[x] += Int32(entering[x]) - Int32(leaving[x])
                    }
                }
            }
        }
    }
}
