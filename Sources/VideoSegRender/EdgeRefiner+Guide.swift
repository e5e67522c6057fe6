import VideoSegCore
import VideoSegMedia
import VideoSegModel

extension EdgeRefiner {
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

        /// The luma plane of a frame laid out as `layout`.
        init(luma plane: PlaneView, layout: FrameLayout) {
            self.init(base: plane.pixels, origin: 0, stepX: layout.bitDepth > 8 ? 2 : 1, stepY: plane.stride, bitDepth: layout.bitDepth)
        }

        /// What a sample's value is multiplied by to lie in [0, 1].
        var scale: Float { 1 / Float((1 << bitDepth) - 1) }

        /// The raw value of sample `x` of row `y`.
        @inline(__always)
        func sample(_ x: Int, row y: Int) -> UInt32 {
            let offset = origin + y * stepY + x * stepX
            return bitDepth > 8
                ? UInt32(base.load(fromByteOffset: offset, as: UInt16.self)) : UInt32(base.load(fromByteOffset: offset, as: UInt8.self))
        }

        /// Adds row `y`'s `count` raw samples to `sums`, sample by sample. Stored 8-bit rows (the
        /// render stage's luma) take a loop the compiler vectorises.
        func add(row y: Int, count: Int, to sums: UnsafeMutablePointer<UInt32>) {
            let start = base + origin + y * stepY
            if bitDepth <= 8 && stepX == 1 {
                let bytes = start.assumingMemoryBound(to: UInt8.self)
                for x in 0..<count { sums[x] &+= UInt32(bytes[x]) }
            } else if bitDepth > 8 && stepX == 2 {
                let samples = start.assumingMemoryBound(to: UInt16.self)
                for x in 0..<count { sums[x] &+= UInt32(samples[x]) }
            } else {
                for x in 0..<count { sums[x] &+= sample(x, row: y) }
            }
        }
    }

    /// Area averages of the guide (scaled to [0, 1]) and of `weights` when given (0…1) on the
    /// grid: a band of rows summed column by column in integers (exact, and loops the compiler
    /// vectorises), then each cell's columns.
    func shrink(_ weights: UnsafeMutableBufferPointer<UInt16>?, guide source: Guide, grid: RefinerGrid) {
        let factor = self.factor, scale = source.scale, width = grid.width, height = grid.height
        let guideSums = grid.guideSums, weightSums = grid.weightSums
        let guide = grid[.guide], weight = grid[.weight]
        for band in 0..<grid.smallHeight {
            guideSums.update(repeating: 0, count: width)
            weightSums.update(repeating: 0, count: width)
            let rows = min(factor, height - band * factor)
            for y in (band * factor)..<(band * factor + rows) {
                source.add(row: y, count: width, to: guideSums)
                guard let weights else { continue }
                let row = weights.baseAddress! + y * width
                for x in 0..<width { weightSums[x] &+= UInt32(row[x]) }
            }
            for cell in 0..<grid.smallWidth {
                var sumG: UInt32 = 0, sumP: UInt32 = 0
                for x in (cell * factor)..<min(width, cell * factor + factor) {
                    sumG &+= guideSums[x]
                    sumP &+= weightSums[x]
                }
                let count = Float(min(factor, width - cell * factor) * rows)
                guide[band * grid.smallWidth + cell] = Float(sumG) * scale / count
                if weights != nil { weight[band * grid.smallWidth + cell] = Float(sumP) * (1 / 256) / count }
            }
        }
    }
}
