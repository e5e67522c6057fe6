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

    @Test func chromaTakesTheSampleAtItsTopLeftCorner() {
        let full = softWeights()
        var half = ForegroundWeights(width: width / 2, height: height / 2)
        half.subsample(full, log2Width: 1, log2Height: 1)
        for y in 0..<(height / 2) {
            for x in 0..<(width / 2) { #expect(half.values[y * width / 2 + x] == full.values[2 * y * width + 2 * x]) }
        }
    }
}
