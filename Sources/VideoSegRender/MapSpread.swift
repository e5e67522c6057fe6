import VideoSegModel

/// How a grid cell of the edge refiner covers a score map: the mean, over the cell's samples, of
/// the bilinear interpolation the sampler gives each sample, as weights on map cells. The mean
/// of an interpolation is an interpolation with these weights, so the refiner's coarse weight
/// can be read off the map (a few hundred thousand products) instead of averaging the weight
/// interpolated at every sample of the frame (two million at 1080p).
final class MapSpread {
    /// Per grid row: the map offsets (along the map's rows' axis, as the sampler's row taps give
    /// them) and their weights, entries `rowStarts[r]..<rowStarts[r + 1]`.
    let rowStarts: [Int], rowOffsets: [Int], rowWeights: [Float]
    /// Per grid column: positions on the sampler's line (see `BilinearSampler.lineOffset`) and weights.
    let columnStarts: [Int], columnIndices: [Int], columnWeights: [Float]
    /// The sampler this was made for.
    let sampler: BilinearSampler
    /// One grid row interpolated down the map, along the sampler's line.
    private var line: [Float]

    init(sampler: BilinearSampler, factor: Int) {
        self.sampler = sampler
        (rowStarts, rowOffsets, rowWeights) = MapSpread.spread(sampler.rows, factor: factor) { $0 }
        let step = sampler.rowsFollowMapRows ? 1 : sampler.mapWidth
        (columnStarts, columnIndices, columnWeights) = MapSpread.spread(sampler.columns, factor: factor) { $0 / step }
        line = [Float](repeating: 0, count: sampler.lineLength)
    }

    /// For each run of `factor` taps, the mean of their two-cell weights, cell by cell.
    private static func spread(_ taps: [BilinearSampler.Tap], factor: Int, position: (Int) -> Int) -> ([Int], [Int], [Float]) {
        var starts = [0], positions: [Int] = [], weights: [Float] = []
        for first in stride(from: 0, to: taps.count, by: factor) {
            let run = taps[first..<min(taps.count, first + factor)]
            var total: [Int: Float] = [:]
            for tap in run {
                total[position(tap.first), default: 0] += 1 - tap.weight
                total[position(tap.second), default: 0] += tap.weight
            }
            for (cell, weight) in total.sorted(by: { $0.key < $1.key }) where weight > 0 {
                positions.append(cell)
                weights.append(weight / Float(run.count))
            }
            starts.append(positions.count)
        }
        return (starts, positions, weights)
    }

    /// The mean probability over each grid cell, into `grid` (`smallWidth`×`smallHeight`).
    func average(_ map: UnsafePointer<Float>, into grid: UnsafeMutablePointer<Float>, smallWidth: Int) {
        let length = sampler.lineLength, sampler = self.sampler
        line.withUnsafeMutableBufferPointer { average(map, into: grid, smallWidth: smallWidth, line: $0.baseAddress!, length: length, sampler: sampler) }
    }

    private func average(_ map: UnsafePointer<Float>, into grid: UnsafeMutablePointer<Float>, smallWidth: Int, line: UnsafeMutablePointer<Float>,
                         length: Int, sampler: BilinearSampler)
    {
        let step = sampler.lineOffset(1)
        for r in 0..<(rowStarts.count - 1) {
            for k in 0..<length { line[k] = 0 }
            for entry in rowStarts[r]..<rowStarts[r + 1] {
                let row = map + rowOffsets[entry], weight = rowWeights[entry]
                for k in 0..<length { line[k] += weight * row[k * step] }
            }
            for j in 0..<smallWidth {
                var sum: Float = 0
                for entry in columnStarts[j]..<columnStarts[j + 1] { sum += columnWeights[entry] * line[columnIndices[entry]] }
                grid[r * smallWidth + j] = sum
            }
        }
    }
}
