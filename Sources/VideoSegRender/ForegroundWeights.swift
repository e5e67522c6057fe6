import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The weight of the foreground (the tinted classes) at every sample of a plane, 0…256: the
/// interpolated foreground probability with soft edges, 0 or 256 by the interpolated class with
/// hard ones. What the effects mix the picture and the effect with, and a cut-out's alpha.
struct ForegroundWeights {
    package private(set) var values: [UInt16] = []
    package let width: Int
    package let height: Int

    package init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [UInt16](repeating: 0, count: width * height)
    }

    /// Fills the weights of `segmentation` read through `sampler`.
    mutating func fill(from segmentation: Segmentation, sampler: BilinearSampler, soft: Bool, tinted: [Bool]) {
        if soft, let foreground = segmentation.foreground {
            fillSoft(UnsafePointer(foreground.baseAddress), sampler: sampler)
            return
        }
        let width = self.width
        values.withUnsafeMutableBufferPointer { output in
            sampler.columns.withUnsafeBufferPointer { columns in
                for y in 0..<height {
                    let tap = sampler.rows[y]
                    let row = output.baseAddress! + y * width
                    for x in 0..<width {
                        let id = Int(segmentation.classAt(row: tap, column: columns[x], sampler: sampler))
                        row[x] = id < tinted.count && tinted[id] ? 256 : 0
                    }
                }
            }
        }
    }

    /// The soft weights of `segmentation` read through `sampler`, moved onto the edges of
    /// `guide` (the plane's own picture) by `refiner`. With a foreground probability map the
    /// refiner reads it directly, so the soft weights are never interpolated at every sample.
    mutating func refine(_ segmentation: Segmentation, sampler: BilinearSampler, tinted: [Bool], with refiner: EdgeRefiner,
                         guide: EdgeRefiner.Guide)
    {
        let width = self.width, height = self.height
        guard let foreground = segmentation.foreground else {
            fill(from: segmentation, sampler: sampler, soft: true, tinted: tinted)
            values.withUnsafeMutableBufferPointer { refiner.refine($0, width: width, height: height, guide: guide) }
            return
        }
        let coarse = EdgeRefiner.Coarse.map(UnsafePointer(foreground.baseAddress), sampler)
        values.withUnsafeMutableBufferPointer { refiner.refine($0, width: width, height: height, guide: guide, coarse: coarse) }
    }

    /// Takes the weights of `full`, a plane `2^log2Width`×`2^log2Height` times larger, each
    /// sample from the one at its top-left corner (as the chroma sampler places chroma samples).
    mutating func subsample(_ full: ForegroundWeights, log2Width: Int, log2Height: Int) {
        let width = self.width
        values.withUnsafeMutableBufferPointer { output in
            full.values.withUnsafeBufferPointer { source in
                // Columns whose corner lies inside `full` (all but a last odd one) take no clamp.
                let inside = min(width, (full.width - 1) >> log2Width + 1)
                for y in 0..<height {
                    let row = source.baseAddress! + min(full.height - 1, y << log2Height) * full.width
                    let out = output.baseAddress! + y * width
                    for x in 0..<inside { out[x] = row[x &<< log2Width] }
                    for x in inside..<width { out[x] = row[full.width - 1] }
                }
            }
        }
    }

    /// Soft weights a row at a time: the probability interpolated down the map once per row,
    /// then across per sample. A pair of neighbouring cells whose every value between rounds to
    /// one weight (all background, all person: most of a frame) gives it without arithmetic.
    private mutating func fillSoft(_ foreground: UnsafePointer<Float>, sampler: BilinearSampler) {
        let width = self.width, length = sampler.lineLength
        var line = [Float](repeating: 0, count: length), levels = [Int32](repeating: -1, count: length)
        let first = sampler.columnLineIndices.first
        values.withUnsafeMutableBufferPointer { output in
            line.withUnsafeMutableBufferPointer { line in
                levels.withUnsafeMutableBufferPointer { levels in
                    first.withUnsafeBufferPointer { first in
                        sampler.columns.withUnsafeBufferPointer { columns in
                            for y in 0..<height {
                                let tap = sampler.rows[y]
                                for j in 0..<length {
                                    let offset = sampler.lineOffset(j)
                                    let a = foreground[tap.first + offset], b = foreground[tap.second + offset]
                                    line[j] = a + (b - a) * tap.weight
                                }
                                for j in 0..<length { levels[j] = ForegroundWeights.level(line[j], line[min(j + 1, length - 1)]) }
                                let row = output.baseAddress! + y * width
                                for x in 0..<width {
                                    let j0 = Int(first[x])
                                    if levels[j0] >= 0 {
                                        row[x] = UInt16(truncatingIfNeeded: levels[j0])
                                        continue
                                    }
                                    let a = line[j0], b = line[min(j0 + 1, length - 1)]
                                    let p = a == b ? a : a + (b - a) * columns[x].weight
                                    row[x] = UInt16(min(256, max(0, p * 256 + 0.5)))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The weight every probability between `a` and `b` rounds to, when they all round to one
    /// (with a margin far beyond the interpolation's float rounding); else −1.
    @inline(__always)
    static func level(_ a: Float, _ b: Float) -> Int32 {
        let low = min(a, b) * 256 + 0.5, high = max(a, b) * 256 + 0.5
        if high < 0.999 { return 0 }
        if low >= 256.001 { return 256 }
        let floor = low.rounded(.down)
        return low - floor > 1e-3 && high - floor < 0.999 ? Int32(floor) : -1
    }
}
