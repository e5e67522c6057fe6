import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The cell nearest to each row and column of a plane, whose tint colour its samples take:
/// found once, not per sample.
struct NearestCells {
    /// Per row, the offset of its nearest map row (in cells); per column, its nearest cell's offset.
    let rows: [Int], columns: [Int32]

    init(_ sampler: BilinearSampler) {
        rows = sampler.rows.map { $0.weight < 0.5 ? $0.first : $0.second }
        columns = sampler.columns.map { Int32($0.weight < 0.5 ? $0.first : $0.second) }
    }
}
