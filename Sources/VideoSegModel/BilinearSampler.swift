import VideoSegCore

/// Where every sample of a stored plane lies in an upright score map, as PyTorch's bilinear
/// interpolation (`F.interpolate(mode="bilinear", align_corners=False)`) puts it: per stored
/// row and per stored column, the two map cells it falls between and the weight of the second.
///
/// The map is upright (the model saw the upright picture); the plane may be stored turned. The
/// value of stored sample (x, y) is read from the four cells `rows[y].first/second +
/// columns[x].first/second`; offsets along the map's rows are already multiplied by its width.
public struct BilinearSampler: Equatable, Sendable {
    /// One destination sample's place between two source cells along one axis.
    public struct Tap: Equatable, Sendable {
        /// Offsets of the two cells (in cells; along the map's y axis, times the map width).
        public let first: Int
        public let second: Int
        /// PyTorch's weight of the second cell (`lambda1`); the first weighs `1 − weight`.
        public let weight: Float

        /// The second cell's weight in 1/256 steps, for fixed-point blending.
        public var weight256: Int32 { Int32((weight * 256).rounded()) }
    }

    /// Per stored row of the plane.
    public let rows: [Tap]
    /// Per stored column of the plane.
    public let columns: [Tap]
    /// Whether stored rows run along the map's y axis (upright and 180°), or along its x axis
    /// (quarter turns). Interpolation goes along x first, as PyTorch's does.
    public let rowsFollowMapRows: Bool
    /// The map's size in cells.
    public let mapWidth: Int
    public let mapHeight: Int

    /// The cells along the columns' axis (the map's width when stored rows follow map rows,
    /// else its height), and for each stored column the indices of its two cells on that axis:
    /// for drawing a row at a time from a line interpolated once per row.
    public var lineLength: Int { rowsFollowMapRows ? mapWidth : mapHeight }
    public var columnLineIndices: (first: [Int32], second: [Int32]) {
        let step = rowsFollowMapRows ? 1 : mapWidth
        return (columns.map { Int32($0.first / step) }, columns.map { Int32($0.second / step) })
    }
    /// Cell offset of position `index` on the columns' axis.
    @inline(__always)
    public func lineOffset(_ index: Int) -> Int { rowsFollowMapRows ? index : index * mapWidth }

    /// PyTorch's taps for `outputIndices` (fractional indices allowed) of an axis scaled from
    /// `input` cells to `output` samples, with cell offsets multiplied by `stride`.
    public static func taps(input: Int, output: Int, indices: [Int], stride: Int) -> [Tap] {
        // PyTorch computes the scale and the source index in the tensor's type, float.
        let scale = Float(input) / Float(output)
        return indices.map { index in
            let source = max(0, scale * (Float(index) + 0.5) - 0.5)
            let first = min(Int(source), input - 1)
            let second = first + (first < input - 1 ? 1 : 0)
            let weight = min(max(source - Float(first), 0), 1)
            return Tap(first: first * stride, second: second * stride, weight: weight)
        }
    }

    /// Taps for a stored frame of `frameWidth`×`frameHeight` shown with `orientation`, reading an
    /// upright map of `mapWidth`×`mapHeight` cells.
    public init(frameWidth: Int, frameHeight: Int, orientation: Orientation, mapWidth: Int, mapHeight: Int) {
        let upright = orientation.uprightSize(width: frameWidth, height: frameHeight)
        let storedRows = Array(0..<frameHeight), storedColumns = Array(0..<frameWidth)
        let reversedRows = storedRows.map { frameHeight - 1 - $0 }, reversedColumns = storedColumns.map { frameWidth - 1 - $0 }
        let xTaps = { (indices: [Int]) in BilinearSampler.taps(input: mapWidth, output: upright.width, indices: indices, stride: 1) }
        let yTaps = { (indices: [Int]) in BilinearSampler.taps(input: mapHeight, output: upright.height, indices: indices, stride: mapWidth) }
        switch orientation {
        case .upright:
            rows = yTaps(storedRows)
            columns = xTaps(storedColumns)
        case .rotated180:
            rows = yTaps(reversedRows)
            columns = xTaps(reversedColumns)
        case .clockwise90:
            // stored (x, y) is upright (frameHeight-1-y, x)
            rows = xTaps(reversedRows)
            columns = yTaps(storedColumns)
        case .clockwise270:
            // stored (x, y) is upright (y, frameWidth-1-x)
            rows = xTaps(storedRows)
            columns = yTaps(reversedColumns)
        }
        rowsFollowMapRows = !orientation.swapsAxes
        self.mapWidth = mapWidth
        self.mapHeight = mapHeight
    }

    /// Taps for a subsampled plane (chroma): each plane sample takes the place of the frame
    /// sample at its top-left corner.
    public func subsampled(log2Width: Int, log2Height: Int, planeWidth: Int, planeHeight: Int) -> BilinearSampler {
        BilinearSampler(
            rows: (0..<planeHeight).map { rows[min(rows.count - 1, $0 << log2Height)] },
            columns: (0..<planeWidth).map { columns[min(columns.count - 1, $0 << log2Width)] },
            rowsFollowMapRows: rowsFollowMapRows, mapWidth: mapWidth, mapHeight: mapHeight)
    }

    private init(rows: [Tap], columns: [Tap], rowsFollowMapRows: Bool, mapWidth: Int, mapHeight: Int) {
        self.rows = rows
        self.columns = columns
        self.rowsFollowMapRows = rowsFollowMapRows
        self.mapWidth = mapWidth
        self.mapHeight = mapHeight
    }

    /// The value of `plane` (one score per map cell) at the sample where taps `row` and `column`
    /// meet, computed as PyTorch does: along the map's x axis first, in float.
    @inline(__always)
    public func interpolate(_ plane: UnsafePointer<Float>, row: Tap, column: Tap) -> Float {
        let (y, x) = rowsFollowMapRows ? (row, column) : (column, row)
        let x0 = 1 - x.weight, y0 = 1 - y.weight
        let top = plane[y.first + x.first] * x0 + plane[y.first + x.second] * x.weight
        let bottom = plane[y.second + x.first] * x0 + plane[y.second + x.second] * x.weight
        return top * y0 + bottom * y.weight
    }
}
