import VideoSegCore

/// One frame's segmentation at the model's output size (upright): the class of every cell, and
/// what refining it to the output size needs, each present only when the job uses it.
/// Filled by the scores stage, then only read (the render and mask stages may read one
/// segmentation at the same time); `Sendable` because its buffers are.
package struct Segmentation: Sendable {
    /// Cells across and down, and the number of classes.
    package let width: Int
    package let height: Int
    package let classCount: Int
    /// The argmax class of every cell.
    package let classes: PooledBuffer<UInt8>
    /// What the class of a point between cells is decided on, `[C][cells]`: the model's scores,
    /// or the smoothed probabilities when smoothing is on. Present for hard edges and class masks
    /// at source size.
    package let scores: PooledBuffer<Float>?
    /// The probability that a cell is one of the tinted (foreground) classes. Present for soft
    /// edges and probability masks.
    package let foreground: PooledBuffer<Float>?
    /// The probability-weighted RGB colour of the tinted classes, `[3][cells]` (0–255 scale,
    /// not divided by `foreground`). Present for soft edges.
    package let tint: PooledBuffer<Float>?

    package var cellCount: Int { width * height }

    /// The class at the sample where `row` and `column` of `sampler` meet: the argmax of the
    /// interpolated scores. Where the four cells around it agree, that class wins (a convex
    /// combination keeps the winner) and nothing is interpolated.
    @inline(__always)
    package func classAt(row: BilinearSampler.Tap, column: BilinearSampler.Tap, sampler: BilinearSampler) -> UInt8 {
        let cells = classes.baseAddress
        let a = cells[row.first + column.first]
        if cells[row.first + column.second] == a && cells[row.second + column.first] == a && cells[row.second + column.second] == a {
            return a
        }
        guard scores != nil else { return a }
        return UInt8(argmax(row: row, column: column, sampler: sampler, among: { _ in true }) ?? 0)
    }

    /// The most probable class at the sample where `row` and `column` meet among the classes
    /// `admits` (the first on a tie, as argmax); nil when the scores are not kept or it admits none.
    package func classAt(row: BilinearSampler.Tap, column: BilinearSampler.Tap, sampler: BilinearSampler, among admits: (Int) -> Bool) -> UInt8? {
        argmax(row: row, column: column, sampler: sampler, among: admits).map { UInt8($0) }
    }

    /// The argmax of the interpolated scores over the classes `admits`: the first maximum wins,
    /// as in torch.argmax, and NaN never wins (the first admitted class when nothing beats −∞).
    @inline(__always)
    private func argmax(row: BilinearSampler.Tap, column: BilinearSampler.Tap, sampler: BilinearSampler, among admits: (Int) -> Bool) -> Int? {
        guard let scores else { return nil }
        let base = scores.baseAddress
        var best = -Float.infinity, winner: Int?, firstAdmitted: Int?
        for id in 0..<classCount where admits(id) {
            firstAdmitted = firstAdmitted ?? id
            let value = sampler.interpolate(base + id * cellCount, row: row, column: column)
            if value > best {
                best = value
                winner = id
            }
        }
        return winner ?? firstAdmitted
    }

    /// The interpolated foreground probability at the sample where `row` and `column` meet
    /// (0 when the job has none).
    @inline(__always)
    package func foregroundAt(row: BilinearSampler.Tap, column: BilinearSampler.Tap, sampler: BilinearSampler) -> Float {
        guard let foreground else { return 0 }
        return sampler.interpolate(UnsafePointer(foreground.baseAddress), row: row, column: column)
    }
}
