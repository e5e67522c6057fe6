import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegRender

/// Classes and tints between the model's cells: the boundary-only shortcut against interpolating
/// everywhere, the soft overlay's exact values on a made-up edge, and the score refiner's
/// probabilities and smoothing.
@Suite struct EdgeRefinementTests {
    /// A segmentation of `width`×`height` cells with `classes` classes of pseudo-random scores.
    func randomSegmentation(width: Int, height: Int, classes: Int, seed: UInt64) -> Segmentation {
        var state = seed
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 8 - 4
        }
        let cells = width * height
        let scores = BufferPool<Float>(count: classes * cells, census: nil).obtain()
        for index in 0..<(classes * cells) { scores.baseAddress[index] = next() }
        let map = BufferPool<UInt8>(count: cells, census: nil).obtain()
        for cell in 0..<cells {
            var best = 0
            for id in 1..<classes where scores.baseAddress[id * cells + cell] > scores.baseAddress[best * cells + cell] { best = id }
            map.baseAddress[cell] = UInt8(best)
        }
        return Segmentation(width: width, height: height, classCount: classes, classes: map, scores: scores, foreground: nil, tint: nil)
    }

    /// The argmax of every class's interpolated score, with no shortcut.
    func fullArgmax(_ segmentation: Segmentation, sampler: BilinearSampler, row: BilinearSampler.Tap, column: BilinearSampler.Tap) -> UInt8 {
        var best = -Float.infinity, winner = 0
        for id in 0..<segmentation.classCount {
            let value = sampler.interpolate(segmentation.scores!.baseAddress + id * segmentation.cellCount, row: row, column: column)
            if value > best { (best, winner) = (value, id) }
        }
        return UInt8(winner)
    }

    @Test(arguments: [(Orientation.upright, 5), (.clockwise90, 21), (.rotated180, 3), (.clockwise270, 2)])
    func theShortcutGivesTheSameClassesAsInterpolatingEverywhere(orientation: Orientation, classes: Int) {
        let segmentation = randomSegmentation(width: 13, height: 9, classes: classes, seed: UInt64(classes))
        let upright = (width: 97, height: 61)
        let stored = orientation.storedSize(uprightWidth: upright.width, height: upright.height)
        let sampler = BilinearSampler(frameWidth: stored.width, frameHeight: stored.height, orientation: orientation, mapWidth: 13, mapHeight: 9)
        var differences = 0, shortcuts = 0
        for row in sampler.rows {
            for column in sampler.columns {
                let fast = segmentation.classAt(row: row, column: column, sampler: sampler)
                if fast != fullArgmax(segmentation, sampler: sampler, row: row, column: column) { differences += 1 }
                let cells = segmentation.classes.baseAddress
                let a = cells[row.first + column.first]
                if cells[row.first + column.second] == a && cells[row.second + column.first] == a && cells[row.second + column.second] == a {
                    shortcuts += 1
                }
            }
        }
        #expect(differences == 0)
        // The shortcut must actually be taken somewhere, and not everywhere.
        #expect(shortcuts > 0 && shortcuts < stored.width * stored.height)
    }

    @Test func softBlendOnAMadeUpEdgeHasExactValues() {
        // Two cells side by side: foreground probability 0 and 1, drawn 4 wide. Taps: x = 0 → 0,
        // x = 1 → 0.25, x = 2 → 0.75, x = 3 → cell 1 alone. Person colour VOC 1 (128, 0, 0).
        let colors = ColorMap.colors(count: 2)
        let edge = segmentation(classMap: [0, 1], width: 2, height: 1, foreground: [0, 1], colors: [colors[1]])
        let sampler = BilinearSampler(frameWidth: 4, frameHeight: 1, orientation: .upright, mapWidth: 2, mapHeight: 1)
        let style = OverlayStyle(mode: .blend, alpha: 0.5, edges: .soft)
        let renderer = OverlayRenderer(style: style, colors: colors, matrix: .bt601)
        let luma: [UInt8] = [200, 200, 200, 200]
        let drawn = rendered(renderer, plane: 0, pixels: luma, stride: 4, width: 4, height: 1, segmentation: edge, sampler: sampler)
        // Cell 1: w = 256·0.5·1 = 128, a = round(256·0.5·Y(128,0,0)) with Y = 16 + 219/255·0.299·128
        // = 48.8694…, so a = round(6255.28) = 6255. Cell 0: w = 0, a = 0.
        // x = 1: w = 32, a = 1563.75 → (200·224 + 1563.75) / 256 = 181.11 → 181
        // x = 2: w = 96, a = 4691.25 → (200·160 + 4691.25) / 256 = 143.33 → 143
        // x = 3: the plain formula, (200·128 + 6255 + 128) >> 8 = 124
        #expect(drawn == [200, 181, 143, 124])
        // Hard edges on the same map: the class flips between x = 1 and x = 2, a flat tint.
        let hard = OverlayRenderer(style: OverlayStyle(mode: .blend, alpha: 0.5, edges: .hard), colors: colors, matrix: .bt601)
        // Y of (128,0,0) rounds to 49: (200·128 + 49·128 + 128) >> 8 = 125.
        #expect(rendered(hard, plane: 0, pixels: luma, stride: 4, width: 4, height: 1, segmentation: edge, sampler: sampler)
            == [200, 200, 125, 125])
    }

    @Test func softMaskStyleFadesFromBlackToTheColour() {
        let colors = ColorMap.colors(count: 2)
        let edge = segmentation(classMap: [0, 1], width: 2, height: 1, foreground: [0, 1], colors: [colors[1]])
        let sampler = BilinearSampler(frameWidth: 4, frameHeight: 1, orientation: .upright, mapWidth: 2, mapHeight: 1)
        let renderer = OverlayRenderer(style: OverlayStyle(mode: .mask, edges: .soft), colors: colors, matrix: .bt601)
        // w = 256 everywhere; a = 256·(P·Y(colour) + (1 − P)·16): cell 0 4096, cell 1 round(12510.57) = 12511.
        // x = 1: (4096·0.75 + 12511·0.25) / 256 = 24.22 → 24; x = 2: 40.65 → 41; x = 3: 12511 + 128 >> 8 = 49.
        #expect(rendered(renderer, plane: 0, pixels: [99, 99, 99, 99], stride: 4, width: 4, height: 1, segmentation: edge, sampler: sampler)
            == [16, 24, 41, 49])
    }

    func refiner(classes: Int, kind: ModelMetadata.ScoreKind, smoothing: Double) -> ScoreRefiner {
        ScoreRefiner(width: 2, height: 1, classCount: classes, scoreKind: kind, tintedClasses: { $0 != 0 },
                     colors: ColorMap.colors(count: classes), smoothing: smoothing,
                     needs: SegmentationNeeds(scores: true, foreground: true, tint: true), census: nil)
    }

    func refine(_ refiner: ScoreRefiner, scores: [Float], classes: [UInt8]) -> Segmentation {
        let classMap = refiner.buffers.obtainClassMap()
        classMap.baseAddress.update(from: classes, count: classes.count)
        let buffer = refiner.buffers.obtainScores()!
        buffer.baseAddress.update(from: scores, count: scores.count)
        return refiner.refine(classes: classMap, scores: buffer)
    }

    @Test func logitsBecomeSoftmaxProbabilities() {
        // Two cells, two classes: logits (0, ln 3) → p(1) = 0.75; (2, 2) → 0.5.
        let result = refine(refiner(classes: 2, kind: .logits, smoothing: 0), scores: [0, 2, logf(3), 2], classes: [1, 0])
        #expect(abs(result.foreground!.baseAddress[0] - 0.75) < 1e-6)
        #expect(abs(result.foreground!.baseAddress[1] - 0.5) < 1e-6)
        // Tint = p(1)·VOC 1 (128, 0, 0).
        #expect(abs(result.tint!.baseAddress[0] - 96) < 1e-4)
        // Without smoothing, classes are decided on the raw scores.
        #expect(result.scores!.baseAddress[2] == logf(3))
    }

    @Test func probabilitiesAreTakenAsTheyAre() {
        let result = refine(refiner(classes: 2, kind: .probabilities, smoothing: 0), scores: [0.1, 0.6, 0.9, 0.4], classes: [1, 0])
        #expect(result.foreground!.baseAddress[0] == 0.9 && result.foreground!.baseAddress[1] == 0.4)
    }

    @Test func smoothingKeepsConfidentCellsAndSettlesUncertainOnes() {
        let refiner = refiner(classes: 2, kind: .probabilities, smoothing: 0.8)
        // Frame 1: cell 0 certain background, cell 1 certain person.
        _ = refine(refiner, scores: [1, 0, 0, 1], classes: [0, 1])
        // Frame 2: cell 0 flips to certain person (followed at once: entropy 0); cell 1 becomes a
        // coin toss (entropy 1: keeps 0.8 of the previous 1.0 → 0.5 + 0.8·0.5 = 0.9, still person).
        let second = refine(refiner, scores: [0, 0.5, 1, 0.5], classes: [1, 0])
        #expect(second.foreground!.baseAddress[0] == 1)
        #expect(abs(second.foreground!.baseAddress[1] - 0.9) < 1e-6)
        #expect(second.classes.baseAddress[0] == 1 && second.classes.baseAddress[1] == 1)
        // Smoothed probabilities, not raw scores, decide the classes between cells.
        #expect(abs(second.scores!.baseAddress[3] - 0.9) < 1e-6)
    }

    @Test func theMetadataSaysWhatTheScoresAre() throws {
        let parsed = try ModelMetadata(json: Data(#"{"scores": "probabilities"}"#.utf8), source: "m.json")
        #expect(parsed.scores == .probabilities)
        #expect(try ModelMetadata(json: Data(parsed.jsonText().utf8), source: "again").scores == .probabilities)
        #expect(throws: VideoSegError.modelMetadata(path: "m.json", message: "\"scores\" must be \"logits\" or \"probabilities\"")) {
            try ModelMetadata(json: Data(#"{"scores": "softmax"}"#.utf8), source: "m.json")
        }
        #expect(ModelMetadata(scores: .logits).overridden(by: ModelMetadata(scores: .probabilities)).scores == .probabilities)
    }
}
