import VideoSegCore
import VideoSegMedia
import VideoSegModel

extension EdgeRefiner {
    /// The picture that guides the filter: its luma, and with it, where the frame has them, its
    /// two chroma planes. With chroma the filter is He et al.'s colour guided filter (a 3×3
    /// system per window): a person and a wall of the same brightness but different colour are
    /// told apart, which luma alone cannot do (Benchmarks/matting/README.md has the figures).
    package struct Guide {
        /// One plane of the guide: sample (x, y) of a `width`×`height` weight plane is read at
        /// byte `origin + (x >> log2Width)·stepX + (y >> log2Height)·stepY` from `base`, 8-bit,
        /// or 16-bit with `bitDepth` > 8. The shifts let a subsampled chroma plane serve a
        /// full-size weight plane, each chroma sample standing for the luma samples it covers.
        package struct Channel {
            let base: UnsafeRawPointer
            let origin: Int
            let stepX: Int
            let stepY: Int
            let bitDepth: Int
            let log2Width: Int
            let log2Height: Int

            package init(base: UnsafeRawPointer, origin: Int, stepX: Int, stepY: Int, bitDepth: Int, log2Width: Int = 0, log2Height: Int = 0) {
                self.base = base
                self.origin = origin
                self.stepX = stepX
                self.stepY = stepY
                self.bitDepth = bitDepth
                self.log2Width = log2Width
                self.log2Height = log2Height
            }

            /// What a sample's value is multiplied by to lie in [0, 1].
            var scale: Float { 1 / Float((1 << bitDepth) - 1) }

            /// The raw value under weight sample `x` of row `y`.
            @inline(__always)
            func sample(_ x: Int, row y: Int) -> UInt32 {
                let offset = origin + (y &>> log2Height) * stepY + (x &>> log2Width) * stepX
                return bitDepth > 8
                    ? UInt32(base.load(fromByteOffset: offset, as: UInt16.self)) : UInt32(base.load(fromByteOffset: offset, as: UInt8.self))
            }

            /// Adds the raw samples under weight row `y` to `sums`, one per sample of this
            /// channel's own (`count` weight samples cover `(count - 1) >> log2Width + 1` of
            /// them): a subsampled plane is summed at its own size. Stored rows (the render
            /// stage's planes) take loops the compiler vectorises.
            func add(row y: Int, count weightCount: Int, to sums: UnsafeMutablePointer<UInt32>) {
                let start = base + origin + (y &>> log2Height) * stepY, count = (weightCount - 1) &>> log2Width + 1
                if bitDepth <= 8 && stepX == 1 {
                    let bytes = start.assumingMemoryBound(to: UInt8.self)
                    for x in 0..<count { sums[x] &+= UInt32(bytes[x]) }
                } else if bitDepth > 8 && stepX == 2 {
                    let samples = start.assumingMemoryBound(to: UInt16.self)
                    for x in 0..<count { sums[x] &+= UInt32(samples[x]) }
                } else {
                    for x in 0..<count { sums[x] &+= sample(x &<< log2Width, row: y) }
                }
            }
        }

        let luma: Channel
        /// U and V, or nil for a luma-only guide.
        let chroma: (Channel, Channel)?

        package init(luma: Channel, chroma: (Channel, Channel)? = nil) {
            self.luma = luma
            self.chroma = chroma
        }

        /// A luma-only guide (see `Channel`).
        package init(base: UnsafeRawPointer, origin: Int, stepX: Int, stepY: Int, bitDepth: Int) {
            self.init(luma: Channel(base: base, origin: origin, stepX: stepX, stepY: stepY, bitDepth: bitDepth))
        }

        /// The 8-bit 4:2:0 planes of a `GuidePicture`, for weights at luma's size.
        init(yuv420 planes: [PlaneView]) {
            func channel(_ plane: PlaneView, log2: Int) -> Channel {
                Channel(base: plane.pixels, origin: 0, stepX: 1, stepY: plane.stride, bitDepth: 8, log2Width: log2, log2Height: log2)
            }
            self.init(luma: channel(planes[0], log2: 0), chroma: (channel(planes[1], log2: 1), channel(planes[2], log2: 1)))
        }

        var scale: Float { luma.scale }
    }

    /// Area averages on the grid of the guide's channels (scaled to [0, 1]) and of `weights` when
    /// given (0…1): a band of rows summed column by column in integers (exact, and loops the
    /// compiler vectorises), then each cell's columns.
    func shrink(_ weights: UnsafeMutableBufferPointer<UInt16>?, guide source: Guide, grid: RefinerGrid) {
        let factor = self.factor, scale = source.scale, width = grid.width, height = grid.height
        let sums = grid.sums
        let channels = [source.luma] + (source.chroma.map { [$0.0, $0.1] } ?? [])
        let lumaMeans = grid[.guide], uMeans = grid[.guideU], vMeans = grid[.guideV], weight = grid[.weight]
        let colour = channels.count == 3, shift = source.chroma?.0.log2Width ?? 0
        let lumaSums = sums, uSums = sums + width, vSums = sums + 2 * width, weightSums = sums + 3 * width
        for band in 0..<grid.smallHeight {
            sums.update(repeating: 0, count: 4 * width)
            let rows = min(factor, height - band * factor)
            for y in (band * factor)..<(band * factor + rows) {
                for (index, channel) in channels.enumerated() { channel.add(row: y, count: width, to: sums + index * width) }
                guard let weights else { continue }
                let row = weights.baseAddress! + y * width
                for x in 0..<width { weightSums[x] &+= UInt32(row[x]) }
            }
            for cell in 0..<grid.smallWidth {
                let first = cell * factor, last = min(width, first + factor)
                let count = Float((last - first) * rows), index = band * grid.smallWidth + cell
                var luma: UInt32 = 0, u: UInt32 = 0, v: UInt32 = 0, p: UInt32 = 0
                // A chroma sample counts once for every weight sample it stands for, as if the
                // plane were repeated up to full size.
                for x in first..<last {
                    luma &+= lumaSums[x]
                    u &+= uSums[x &>> shift]
                    v &+= vSums[x &>> shift]
                    p &+= weightSums[x]
                }
                lumaMeans[index] = Float(luma) * scale / count
                if colour {
                    uMeans[index] = Float(u) * scale / count
                    vMeans[index] = Float(v) * scale / count
                }
                if weights != nil { weight[index] = Float(p) * (1 / 256) / count }
            }
        }
    }
}
