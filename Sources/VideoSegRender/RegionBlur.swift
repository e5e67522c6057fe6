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
    /// for the foreground. A band of rows is summed column by column in integers (exact, and a
    /// loop the compiler vectorises), then each grid sample's columns.
    static func region(of weights: ForegroundWeights, width: Int, height: Int, foreground: Bool) -> [Float] {
        var region = [Float](repeating: 0, count: width * height)
        // Column x lies in grid column x·width / weights.width: runs of columns, one per grid column.
        var columnStarts = [Int](repeating: weights.width, count: width + 1)
        for x in stride(from: weights.width - 1, through: 0, by: -1) { columnStarts[x * width / weights.width] = x }
        for cell in stride(from: width - 1, through: 0, by: -1) { columnStarts[cell] = min(columnStarts[cell], columnStarts[cell + 1]) }
        var sums = [UInt32](repeating: 0, count: weights.width)
        weights.values.withUnsafeBufferPointer { w in
            sums.withUnsafeMutableBufferPointer { sums in
                var y = 0
                for band in 0..<height {
                    sums.update(repeating: 0)
                    var rows = 0
                    while y < weights.height && y * height / weights.height == band {
                        let row = w.baseAddress! + y * weights.width
                        for x in 0..<weights.width { sums[x] &+= UInt32(row[x]) }
                        rows += 1
                        y += 1
                    }
                    for cell in 0..<width where rows > 0 && columnStarts[cell + 1] > columnStarts[cell] {
                        var total: UInt32 = 0
                        for x in columnStarts[cell]..<columnStarts[cell + 1] { total &+= sums[x] }
                        let mean = Float(total) / Float(256 * rows * (columnStarts[cell + 1] - columnStarts[cell]))
                        region[band * width + cell] = foreground ? mean : 1 - mean
                    }
                }
            }
        }
        return region
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
        numerator.withUnsafeMutableBufferPointer { n in
            denominator.withUnsafeMutableBufferPointer { d in
                plain.withUnsafeMutableBufferPointer { p in
                    for _ in 0..<passes {
                        BoxFilter.mean([n.baseAddress!, d.baseAddress!, p.baseAddress!], width: width, height: height, radius: radius)
                    }
                }
            }
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
