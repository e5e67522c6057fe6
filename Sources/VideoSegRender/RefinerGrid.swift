import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The edge refiner's working memory for one frame size: its planes on the small grid (the
/// guide's and the weight's means, their products and box means, the coefficients, the last
/// frame's), the integer sums of a band of rows, and the output pass's interpolation taps. Made
/// once per size and reused, so a frame allocates nothing; raw pointers, so the hot loops carry
/// no bounds or exclusivity checks. One thread uses it.
final class RefinerGrid {
    /// The weight plane's size, and the grid's.
    let width: Int, height: Int, smallWidth: Int, smallHeight: Int
    var cells: Int { smallWidth * smallHeight }

    /// The grid's planes, `cells` floats each (see `Plane`).
    private let planes: UnsafeMutablePointer<Float>
    /// A band's column sums of the guide's raw samples (luma, U, V) and of the weights, `width` each.
    let sums: UnsafeMutablePointer<UInt32>
    /// What each block of the grid gives (`EdgeRefiner.certainlyBackground`, …), `cells` of them.
    let kinds: UnsafeMutablePointer<UInt8>
    /// PyTorch's bilinear taps from the grid back to every column and row of the plane.
    let rows: [BilinearSampler.Tap]
    /// The columns' interpolation weights (their taps are given by `runStarts`).
    let columnWeights: UnsafeMutablePointer<Float>
    /// The first column whose left tap is grid column `j`, for `j` in 0…smallWidth (the last
    /// entry is `width`): the runs of columns that share their two taps.
    let runStarts: UnsafeMutablePointer<Int>
    /// Whether the previous planes hold the last frame's values.
    var hasPrevious = false
    /// How the grid covers the score map, for the last sampler seen (`EdgeRefiner.Coarse.map`).
    private var lastSpread: MapSpread?

    /// The planes, by what they hold. `guide` is luma; U and V have their own planes when the
    /// guide has colour. The guided filter's `a` ends in `slope` (luma), `slopeU` and `slopeV`,
    /// its `b` in `product`.
    enum Plane: Int, CaseIterable {
        case guide, weight, guideSquared, product, meanGuide, meanWeight, slope, previousGuide, previousSlope, previousOffset
        /// Per cell, the least and the most the output can be there whatever the picture.
        case least, most
        /// The colour guide's planes: U and V's means, their box means, the second moments of
        /// the three channels, U and V's products with the weight, and their slopes.
        case guideU, guideV, meanU, meanV, uu, vv, yu, yv, uv, productU, productV, slopeU, slopeV, previousSlopeU, previousSlopeV
    }

    init(width: Int, height: Int, factor: Int) {
        self.width = width
        self.height = height
        smallWidth = (width + factor - 1) / factor
        smallHeight = (height + factor - 1) / factor
        let cells = smallWidth * smallHeight
        planes = .allocate(capacity: cells * Plane.allCases.count)
        planes.initialize(repeating: 0, count: cells * Plane.allCases.count)
        sums = .allocate(capacity: 4 * width)
        sums.initialize(repeating: 0, count: 4 * width)
        kinds = .allocate(capacity: cells)
        kinds.initialize(repeating: 0, count: cells)
        let columns = BilinearSampler.taps(input: smallWidth, output: width, indices: Array(0..<width), stride: 1)
        columnWeights = .allocate(capacity: width)
        columnWeights.initialize(from: columns.map(\.weight), count: width)
        rows = BilinearSampler.taps(input: smallHeight, output: height, indices: Array(0..<height), stride: smallWidth)
        // Left taps never decrease along a row, so each grid column's samples are one run.
        var starts = [Int](repeating: width, count: smallWidth + 1)
        for x in stride(from: width - 1, through: 0, by: -1) { starts[columns[x].first] = x }
        for j in stride(from: smallWidth - 1, through: 0, by: -1) { starts[j] = min(starts[j], starts[j + 1]) }
        runStarts = .allocate(capacity: smallWidth + 1)
        runStarts.initialize(from: starts, count: smallWidth + 1)
    }

    deinit {
        planes.deallocate()
        sums.deallocate()
        kinds.deallocate()
        columnWeights.deallocate()
        runStarts.deallocate()
    }

    /// The `cells` floats of `plane`.
    @inline(__always)
    subscript(_ plane: Plane) -> UnsafeMutablePointer<Float> { planes + plane.rawValue * cells }

    /// How the grid covers the map `sampler` reads, made once per sampler.
    func spread(_ sampler: BilinearSampler, factor: Int) -> MapSpread {
        if let lastSpread, lastSpread.sampler == sampler { return lastSpread }
        let spread = MapSpread(sampler: sampler, factor: factor)
        lastSpread = spread
        return spread
    }

}
