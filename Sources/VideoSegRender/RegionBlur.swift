import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// Blurs one part of a picture from that part's own samples (normalised convolution):
/// `blur(plane·region) / blur(region)`, with `region` how much of each sample belongs to the part
/// blurred. A background blur then holds no colour of the person beside it (no halo), however
/// large the radius. Works on the shrunk picture the blur effect uses; the region is the
/// foreground weight averaged down to it.
enum RegionBlur {
    /// Box passes each way: two make a tent, close enough to a Gaussian after the area-averaged
    /// shrink before it.
    static let passes = 2

    /// The part of each sample of a `width`×`height` grid, averaged from `weights` (0…256, the
    /// foreground) over the samples each grid sample covers: `1 − w` for the background, `w`
    /// for the foreground.
    static func region(of weights: ForegroundWeights, width: Int, height: Int, foreground: Bool) -> [Float] {
        var sums = [Float](repeating: 0, count: width * height), counts = sums
        let cellOfColumn = (0..<weights.width).map { $0 * width / weights.width }
        sums.withUnsafeMutableBufferPointer { sums in
            counts.withUnsafeMutableBufferPointer { counts in
                weights.values.withUnsafeBufferPointer { w in
                    cellOfColumn.withUnsafeBufferPointer { cellOfColumn in
                        for y in 0..<weights.height {
                            let cells = sums.baseAddress! + (y * height / weights.height) * width
                            let tally = counts.baseAddress! + (y * height / weights.height) * width
                            let row = w.baseAddress! + y * weights.width
                            for x in 0..<weights.width {
                                cells[cellOfColumn[x]] += Float(row[x])
                                tally[cellOfColumn[x]] += 1
                            }
                        }
                    }
                }
                for cell in 0..<sums.count where counts[cell] > 0 {
                    let mean = sums[cell] / (256 * counts[cell])
                    sums[cell] = foreground ? mean : 1 - mean
                }
            }
        }
        return sums
    }

    /// Blurs `plane` (`width`×`height` samples) in place from the samples in `region`, with the
    /// `passes` of a box filter each way. Samples with none of the region within reach
    /// keep the plain blur's value (they are not shown: the weight keeps the picture there).
    static func blur(_ plane: PlaneView, width: Int, height: Int, radius: Int, sixteenBit: Bool, region: [Float]) {
        guard radius > 0, width > 0, height > 0 else { return }
        var numerator = [Float](repeating: 0, count: width * height), denominator = region, plain = numerator
        for y in 0..<height {
            let row = plane.pixels + y * plane.stride
            for x in 0..<width {
                let value = sixteenBit ? Float(row.assumingMemoryBound(to: UInt16.self)[x]) : Float(row.assumingMemoryBound(to: UInt8.self)[x])
                plain[y * width + x] = value
                numerator[y * width + x] = value * region[y * width + x]
            }
        }
        for _ in 0..<passes {
            BoxFilter.mean(&numerator, width: width, height: height, radius: radius)
            BoxFilter.mean(&denominator, width: width, height: height, radius: radius)
            BoxFilter.mean(&plain, width: width, height: height, radius: radius)
        }
        for y in 0..<height {
            let row = plane.pixels + y * plane.stride
            for x in 0..<width {
                let index = y * width + x
                let value = denominator[index] > 1e-4 ? numerator[index] / denominator[index] : plain[index]
                if sixteenBit {
                    row.assumingMemoryBound(to: UInt16.self)[x] = UInt16(min(65535, max(0, value + 0.5)))
                } else {
                    row.assumingMemoryBound(to: UInt8.self)[x] = UInt8(min(255, max(0, value + 0.5)))
                }
            }
        }
    }
}
