/// The weight of the foreground (the tinted classes) at every sample of a plane, 0…256: the
/// interpolated foreground probability with soft edges, 0 or 256 by the interpolated class with
/// hard ones. What the effects mix the picture and the effect with, and a cut-out's alpha.
struct ForegroundWeights {
    private(set) var values: [UInt16] = []
    let width: Int
    let height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [UInt16](repeating: 0, count: width * height)
    }

    /// Fills the weights of `segmentation` read through `sampler`.
    mutating func fill(from segmentation: Segmentation, sampler: BilinearSampler, soft: Bool, tinted: [Bool]) {
        let width = self.width
        values.withUnsafeMutableBufferPointer { output in
            sampler.columns.withUnsafeBufferPointer { columns in
                for y in 0..<height {
                    let tap = sampler.rows[y]
                    let row = output.baseAddress! + y * width
                    if soft, segmentation.foreground != nil {
                        for x in 0..<width {
                            let p = segmentation.foregroundAt(row: tap, column: columns[x], sampler: sampler)
                            row[x] = UInt16(min(256, max(0, p * 256 + 0.5)))
                        }
                    } else {
                        for x in 0..<width {
                            let id = Int(segmentation.classAt(row: tap, column: columns[x], sampler: sampler))
                            row[x] = id < tinted.count && tinted[id] ? 256 : 0
                        }
                    }
                }
            }
        }
    }
}
