/// Maps every pixel of a stored frame to its class-map entry, through precomputed tables.
///
/// The class map is upright (the model saw the upright picture); the frame may be stored turned.
/// Scaling is nearest-neighbour aligned on pixel centres: destination index `d` of `out` takes
/// source index `floor((2d+1)·in / (2·out))`, so there is no half-pixel shift and no crop.
/// The class of stored pixel (x, y) is `classMap[rowOffset[y] + columnOffset[x]]`.
public struct ClassMapSampler: Equatable, Sendable {
    /// Per stored row: the part of the class-map index that depends on y.
    public let rowOffset: [Int]
    /// Per stored column: the part of the class-map index that depends on x.
    public let columnOffset: [Int]

    /// Source index for each of `out` destination indices when scaling `input` → `out`.
    public static func centerTable(input: Int, output: Int) -> [Int] {
        (0..<output).map { d in min(input - 1, (2 * d + 1) * input / (2 * output)) }
    }

    /// Tables for a stored frame of `frameWidth`×`frameHeight` shown with `orientation`, reading
    /// an upright class map of `mapWidth`×`mapHeight`.
    public init(frameWidth: Int, frameHeight: Int, orientation: Orientation, mapWidth: Int, mapHeight: Int) {
        let upright = orientation.uprightSize(width: frameWidth, height: frameHeight)
        let columnOf = ClassMapSampler.centerTable(input: mapWidth, output: upright.width)
        let rowOf = ClassMapSampler.centerTable(input: mapHeight, output: upright.height)
        switch orientation {
        case .upright:
            rowOffset = (0..<frameHeight).map { rowOf[$0] * mapWidth }
            columnOffset = (0..<frameWidth).map { columnOf[$0] }
        case .rotated180:
            rowOffset = (0..<frameHeight).map { rowOf[frameHeight - 1 - $0] * mapWidth }
            columnOffset = (0..<frameWidth).map { columnOf[frameWidth - 1 - $0] }
        case .clockwise90:
            // stored (x, y) is upright (frameHeight-1-y, x)
            rowOffset = (0..<frameHeight).map { columnOf[frameHeight - 1 - $0] }
            columnOffset = (0..<frameWidth).map { rowOf[$0] * mapWidth }
        case .clockwise270:
            // stored (x, y) is upright (y, frameWidth-1-x)
            rowOffset = (0..<frameHeight).map { columnOf[$0] }
            columnOffset = (0..<frameWidth).map { rowOf[frameWidth - 1 - $0] * mapWidth }
        }
    }

    /// Tables for a subsampled plane (chroma): each plane pixel takes the class of the frame pixel
    /// at its top-left corner.
    public func subsampled(log2Width: Int, log2Height: Int, planeWidth: Int, planeHeight: Int) -> ClassMapSampler {
        ClassMapSampler(
            rowOffset: (0..<planeHeight).map { rowOffset[min(rowOffset.count - 1, $0 << log2Height)] },
            columnOffset: (0..<planeWidth).map { columnOffset[min(columnOffset.count - 1, $0 << log2Width)] })
    }

    private init(rowOffset: [Int], columnOffset: [Int]) {
        self.rowOffset = rowOffset
        self.columnOffset = columnOffset
    }
}
