import Testing

@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegRender

/// `edges refined` on a made-up picture whose edge is known exactly: a dark background left of
/// column `edge`, a bright person from it on, and coarse scores (5 samples a cell) that put the
/// edge a few samples off, as the model's small map does.
@Suite struct EdgeRefinerTests {
    let width = 160, height = 40, edge = 83, cell = 5

    /// Luma of the picture: 40 left of the edge, 200 from it on.
    func picture() -> [UInt8] {
        (0..<(width * height)).map { $0 % width < edge ? 40 : 200 }
    }

    /// The soft (PyTorch-interpolated) weights of coarse scores whose 0.5 crossing is left of
    /// the true edge, one row of cells per row of the map.
    func softWeights() -> ForegroundWeights {
        let (map, sampler) = coarseScores()
        var weights = ForegroundWeights(width: width, height: height)
        weights.fill(from: map, sampler: sampler, soft: true, tinted: [false, true])
        return weights
    }

    /// Those coarse scores, and where the picture's samples lie on them.
    func coarseScores() -> (Segmentation, BilinearSampler) {
        let mapWidth = width / cell, mapHeight = height / cell
        // Cells 0…14 background, 15 half, 16 on person: the soft crossing lands near x = 77.
        let row: [Float] = (0..<mapWidth).map { $0 < 15 ? 0 : $0 == 15 ? 0.5 : 1 }
        let foreground = (0..<mapHeight).flatMap { _ in row }
        let classes = foreground.map { $0 >= 0.5 ? UInt8(1) : 0 }
        let map = segmentation(classMap: classes, width: mapWidth, height: mapHeight, foreground: foreground,
                               colors: [ColorMap.colors(count: 2)[1]])
        return (map, BilinearSampler(frameWidth: width, frameHeight: height, orientation: .upright, mapWidth: mapWidth, mapHeight: mapHeight))
    }

    /// The weights of the coarse scores refined on `luma`, as the render stage refines them.
    func refinedWeights(on luma: inout [UInt8]) -> ForegroundWeights {
        let (map, sampler) = coarseScores()
        var weights = ForegroundWeights(width: width, height: height)
        luma.withUnsafeMutableBytes { bytes in
            weights.refine(map, sampler: sampler, tinted: [false, true], with: EdgeRefiner(),
                           guide: EdgeRefiner.Guide(base: UnsafeRawPointer(bytes.baseAddress!), origin: 0, stepX: 1, stepY: width, bitDepth: 8))
        }
        return weights
    }

    /// Where a row of weights first reaches 128 (half), as a fractional column.
    func crossing(_ row: ArraySlice<UInt16>) -> Double {
        let values = Array(row)
        guard let after = values.firstIndex(where: { $0 >= 128 }), after > 0 else { return -1 }
        let before = Double(values[after - 1]), at = Double(values[after])
        return Double(after - 1) + (128 - before) / (at - before)
    }

    @Test func theRefinedWeightCrossesHalfWithinOnePixelOfTheTrueEdge() {
        let soft = softWeights()
        var luma = picture()
        let refined = refinedWeights(on: &luma)
        let trueEdge = Double(edge) - 0.5
        for y in [0, height / 2, height - 1] {
            let softCrossing = crossing(soft.values[(y * width)..<((y + 1) * width)])
            let refinedCrossing = crossing(refined.values[(y * width)..<((y + 1) * width)])
            // The coarse weight is off by more than a pixel (else the test would prove nothing).
            #expect(abs(softCrossing - trueEdge) > 3)
            #expect(abs(refinedCrossing - trueEdge) <= 1, "row \(y): refined crosses at \(refinedCrossing)")
        }
    }

    @Test func flatRegionsStayExactlyFlat() {
        var luma = picture()
        // Texture in the flat parts: the guide's own detail must not leak into a certain weight.
        for index in luma.indices where index % 7 == 0 { luma[index] &+= 9 }
        let refined = refinedWeights(on: &luma)
        for y in 0..<height {
            for x in 0..<40 { #expect(refined.values[y * width + x] == 0) }
            for x in 120..<width { #expect(refined.values[y * width + x] == 256) }
        }
    }

    /// A person and a wall of the same brightness, told apart by colour only (4:2:0 chroma: U 40
    /// and V 220 left of the edge, the other way round from it on; the edge on an even column,
    /// between two chroma samples): the luma guide sees no edge, the colour guide places it.
    @Test func aColourGuideFindsAnEdgeThatLumaCannotSee() {
        let (map, sampler) = coarseScores()
        let colourEdge = 84
        var luma = [UInt8](repeating: 120, count: width * height)
        var u = (0..<(width / 2 * height / 2)).map { $0 % (width / 2) < colourEdge / 2 ? UInt8(40) : 220 }
        var v = u.map { 255 - $0 }
        var byLuma = ForegroundWeights(width: width, height: height), byColour = byLuma
        luma.withUnsafeMutableBytes { y in
            u.withUnsafeMutableBytes { u in v.withUnsafeMutableBytes { v in
                let lumaChannel = EdgeRefiner.Guide.Channel(base: UnsafeRawPointer(y.baseAddress!), origin: 0, stepX: 1, stepY: width, bitDepth: 8)
                func chroma(_ plane: UnsafeMutableRawBufferPointer) -> EdgeRefiner.Guide.Channel {
                    .init(base: UnsafeRawPointer(plane.baseAddress!), origin: 0, stepX: 1, stepY: width / 2, bitDepth: 8, log2Width: 1, log2Height: 1)
                }
                byLuma.refine(map, sampler: sampler, tinted: [false, true], with: EdgeRefiner(), guide: EdgeRefiner.Guide(luma: lumaChannel))
                byColour.refine(map, sampler: sampler, tinted: [false, true], with: EdgeRefiner(),
                                guide: EdgeRefiner.Guide(luma: lumaChannel, chroma: (chroma(u), chroma(v))))
            } }
        }
        let trueEdge = Double(colourEdge) - 0.5
        /// The largest rise between neighbouring samples of row `y`, and the column after it.
        func steepest(_ weights: ForegroundWeights, row y: Int) -> (rise: Int, at: Int) {
            let row = weights.values[(y * width)..<((y + 1) * width)].map(Int.init)
            let rises = (1..<width).map { (rise: row[$0] - row[$0 - 1], at: $0) }
            return rises.max { $0.rise < $1.rise }!
        }
        for y in [0, height / 2, height - 1] {
            let lumaCrossing = crossing(byLuma.values[(y * width)..<((y + 1) * width)])
            let colourCrossing = crossing(byColour.values[(y * width)..<((y + 1) * width)])
            #expect(abs(lumaCrossing - trueEdge) > 3, "row \(y): luma alone crosses at \(lumaCrossing)")
            // The coarse ramp is not all gone left of the edge (the linear model cannot both
            // flatten it and step), but the weight steps at the edge itself, by over half.
            #expect(abs(colourCrossing - trueEdge) <= 2, "row \(y): colour crosses at \(colourCrossing)")
            let (rise, at) = steepest(byColour, row: y)
            #expect(at == colourEdge && rise >= 100, "row \(y): the steepest rise is \(rise) before column \(at)")
            #expect(steepest(byLuma, row: y).rise < 32)
        }
        // Far from the edge the weight stays exactly flat with colour too.
        for y in 0..<height {
            for x in 0..<40 { #expect(byColour.values[y * width + x] == 0) }
            for x in 120..<width { #expect(byColour.values[y * width + x] == 256) }
        }
    }

    @Test func chromaTakesTheSampleAtItsTopLeftCorner() {
        let full = softWeights()
        var half = ForegroundWeights(width: width / 2, height: height / 2)
        half.subsample(full, log2Width: 1, log2Height: 1)
        for y in 0..<(height / 2) {
            for x in 0..<(width / 2) { #expect(half.values[y * width / 2 + x] == full.values[2 * y * width + 2 * x]) }
        }
    }
}
