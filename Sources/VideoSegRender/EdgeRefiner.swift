import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// Moves the foreground weight onto the picture's own edges (`edges refined`): a fast guided
/// filter (He and Sun 2015) with the frame's luma as the guide, its coefficients solved on a grid
/// `factor`× smaller and interpolated back, then a contrast gain about 0.5 that narrows the
/// transition the coarse map left. Where the weight is flat over the filter's reach (all 0 or all
/// 256), the coefficients are exactly `a = 0, b = weight`, so flat regions stay exactly flat: the
/// picture is kept exactly where the foreground is certain. Benchmarks/matting/ has the figures
/// that chose the method and its settings. Used by one thread at a time; its buffers are reused.
package final class EdgeRefiner {
    /// How much smaller the grid the coefficients are solved on is.
    let factor: Int
    /// The box radius on that grid (cells).
    let radius: Int
    /// The guided filter's regulariser, for a guide in [0, 1].
    let epsilon: Float
    /// The contrast gain about 0.5 applied to the filtered weight.
    let gain: Float

    /// How much of the last frame's coefficients a still part of the picture keeps (0: none).
    let temporal: Float

    private var guide: [Float] = [], weight: [Float] = [], guideSquared: [Float] = [], product: [Float] = []
    private var previousGuide: [Float] = [], previousA: [Float] = [], previousB: [Float] = []

    package init(factor: Int = 4, radius: Int = 3, epsilon: Float = 1e-4, gain: Float = 2, temporal: Float = 0.6) {
        self.temporal = temporal
        self.factor = factor
        self.radius = radius
        self.epsilon = epsilon
        self.gain = gain
    }

    /// Where the guide's samples are: sample (x, y) of a `width`×`height` weight plane is read at
    /// byte `origin + x·stepX + y·stepY` from `base`, 8-bit, or 16-bit with `bitDepth` > 8.
    package struct Guide {
        let base: UnsafeRawPointer
        let origin: Int
        let stepX: Int
        let stepY: Int
        let bitDepth: Int

        package init(base: UnsafeRawPointer, origin: Int, stepX: Int, stepY: Int, bitDepth: Int) {
            self.base = base
            self.origin = origin
            self.stepX = stepX
            self.stepY = stepY
            self.bitDepth = bitDepth
        }

        /// Row `y`'s `count` samples, scaled to [0, 1], into `line`.
        func load(row y: Int, count: Int, into line: UnsafeMutablePointer<Float>) {
            let start = base + origin + y * stepY
            let scale = 1 / Float((1 << bitDepth) - 1)
            if bitDepth > 8 {
                for x in 0..<count { line[x] = Float(start.load(fromByteOffset: x * stepX, as: UInt16.self)) * scale }
            } else if stepX == 1 {
                let bytes = start.assumingMemoryBound(to: UInt8.self)
                for x in 0..<count { line[x] = Float(bytes[x]) * scale }
            } else {
                for x in 0..<count { line[x] = Float(start.load(fromByteOffset: x * stepX, as: UInt8.self)) * scale }
            }
        }
    }

    /// Refines `weights` (0…256, `width`×`height`, row by row) in place, guided by `guide`.
    package func refine(_ weights: UnsafeMutableBufferPointer<UInt16>, width: Int, height: Int, guide source: Guide) {
        let smallWidth = (width + factor - 1) / factor, smallHeight = (height + factor - 1) / factor
        let cells = smallWidth * smallHeight
        if guide.count != cells {
            for index in 0..<4 { store(index, [Float](repeating: 0, count: cells)) }
        }
        shrink(weights, width: width, height: height, guide: source, smallWidth: smallWidth)
        let a = coefficients(smallWidth: smallWidth, smallHeight: smallHeight)
        apply(a, to: weights, width: width, height: height, guide: source, smallWidth: smallWidth, smallHeight: smallHeight)
    }

    private func store(_ index: Int, _ values: [Float]) {
        switch index {
        case 0: guide = values
        case 1: weight = values
        case 2: guideSquared = values
        default: product = values
        }
    }

    /// Area averages of the guide (scaled to [0, 1]) and of the weight (0…1) on the small grid.
    private func shrink(_ weights: UnsafeMutableBufferPointer<UInt16>, width: Int, height: Int, guide source: Guide, smallWidth: Int) {
        let factor = self.factor
        var line = [Float](repeating: 0, count: width)
        guide.withUnsafeMutableBufferPointer { g in
            weight.withUnsafeMutableBufferPointer { p in
                line.withUnsafeMutableBufferPointer { line in
                    g.update(repeating: 0)
                    p.update(repeating: 0)
                    for y in 0..<height {
                        source.load(row: y, count: width, into: line.baseAddress!)
                        let cells = (y / factor) * smallWidth, row = weights.baseAddress! + y * width
                        var x = 0
                        for cell in cells..<(cells + smallWidth) {
                            let end = min(width, x + factor)
                            var sumG: Float = 0, sumP: Float = 0
                            while x < end {
                                sumG += line[x]
                                sumP += Float(row[x])
                                x += 1
                            }
                            g[cell] += sumG
                            p[cell] += sumP * (1 / 256)
                        }
                    }
                    for cell in 0..<g.count {
                        let cx = cell % smallWidth, cy = cell / smallWidth
                        let count = Float(min(factor, width - cx * factor) * min(factor, height - cy * factor))
                        g[cell] /= count
                        p[cell] /= count
                    }
                }
            }
        }
    }

    /// The guided filter's `a` (returned, in `guideSquared`'s storage) and `b` (left in `product`),
    /// each already averaged over the box as the filter's output step wants.
    private func coefficients(smallWidth: Int, smallHeight: Int) -> [Float] {
        let cells = smallWidth * smallHeight
        for cell in 0..<cells {
            guideSquared[cell] = guide[cell] * guide[cell]
            product[cell] = guide[cell] * weight[cell]
        }
        var meanGuide = guide, meanWeight = weight
        box(&meanGuide, smallWidth, smallHeight)
        box(&meanWeight, smallWidth, smallHeight)
        box(&guideSquared, smallWidth, smallHeight)
        box(&product, smallWidth, smallHeight)
        var a = guideSquared
        for cell in 0..<cells {
            let variance = max(0, guideSquared[cell] - meanGuide[cell] * meanGuide[cell])
            let covariance = product[cell] - meanGuide[cell] * meanWeight[cell]
            a[cell] = covariance / (variance + epsilon)
            product[cell] = meanWeight[cell] - a[cell] * meanGuide[cell]
        }
        box(&a, smallWidth, smallHeight)
        box(&product, smallWidth, smallHeight)
        steady(&a, cells: cells)
        return a
    }

    /// Keeps the last frame's coefficients where the picture itself has not changed (the grid's
    /// guide within a few levels of the last one), so a still edge does not flicker with the
    /// model's noise; where the picture moves they are this frame's at once, so a moving edge
    /// does not lag. `b` is in `product`.
    private func steady(_ a: inout [Float], cells: Int) {
        defer {
            previousA = a
            previousB = product
            previousGuide = guide
        }
        guard temporal > 0, previousA.count == cells else { return }
        for cell in 0..<cells {
            let stillness = max(0, 1 - abs(guide[cell] - previousGuide[cell]) * 32)
            let mix = temporal * stillness * stillness
            a[cell] += mix * (previousA[cell] - a[cell])
            product[cell] += mix * (previousB[cell] - product[cell])
        }
    }

    /// `q = a·guide + b` at every sample, `a` and `b` interpolated bilinearly from the grid
    /// (PyTorch's `align_corners=False` placement), then the gain about 0.5, clamped to 0…256.
    private func apply(_ a: [Float], to weights: UnsafeMutableBufferPointer<UInt16>, width: Int, height: Int, guide source: Guide,
                       smallWidth: Int, smallHeight: Int)
    {
        let columns = BilinearSampler.taps(input: smallWidth, output: width, indices: Array(0..<width), stride: 1)
        let rows = BilinearSampler.taps(input: smallHeight, output: height, indices: Array(0..<height), stride: smallWidth)
        let gain = self.gain
        var lineA = [Float](repeating: 0, count: smallWidth), lineB = lineA, guideLine = [Float](repeating: 0, count: width)
        a.withUnsafeBufferPointer { a in
            product.withUnsafeBufferPointer { b in
                columns.withUnsafeBufferPointer { columns in
                    lineA.withUnsafeMutableBufferPointer { lineA in
                        lineB.withUnsafeMutableBufferPointer { lineB in
                            guideLine.withUnsafeMutableBufferPointer { guideLine in
                                for y in 0..<height {
                                    let tap = rows[y]
                                    var flat = true
                                    for j in 0..<smallWidth {
                                        lineA[j] = a[tap.first + j] + (a[tap.second + j] - a[tap.first + j]) * tap.weight
                                        lineB[j] = b[tap.first + j] + (b[tap.second + j] - b[tap.first + j]) * tap.weight
                                        flat = flat && lineA[j] == 0 && lineB[j] == lineB[0]
                                    }
                                    flat = flat && (lineB[0] == 0 || lineB[0] == 1)
                                    let row = weights.baseAddress! + y * width
                                    // A row with no edge in reach: the weights are exactly 0 or 256, no guide needed.
                                    if flat {
                                        row.update(repeating: lineB[0] == 0 ? 0 : 256, count: width)
                                        continue
                                    }
                                    source.load(row: y, count: width, into: guideLine.baseAddress!)
                                    for x in 0..<width {
                                        let c = columns[x]
                                        let slope = lineA[c.first] + (lineA[c.second] - lineA[c.first]) * c.weight
                                        let offset = lineB[c.first] + (lineB[c.second] - lineB[c.first]) * c.weight
                                        let q = (slope * guideLine[x] + offset - 0.5) * gain + 0.5
                                        row[x] = UInt16(min(256, max(0, q * 256 + 0.5)))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func box(_ values: inout [Float], _ width: Int, _ height: Int) {
        BoxFilter.mean(&values, width: width, height: height, radius: radius)
    }
}
