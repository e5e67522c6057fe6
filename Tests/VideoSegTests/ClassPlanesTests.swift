import Foundation
import Testing

@testable import VideoSegModel

/// The refiner's per-class kernels, eight cells at a time, against the plain formulas they
/// replace (expf, logf, a cell-by-cell loop): equal to float precision, argmax exactly.
@Suite struct ClassPlanesTests {
    /// Deterministic pseudo-random values in [low, high).
    func values(_ count: Int, seed: UInt64, low: Float, high: Float) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return low + Float(state >> 40) / Float(1 << 24) * (high - low)
        }
    }

    @Test func expAndLogAgreeWithLibm() {
        let inputs = values(4096, seed: 1, low: -80, high: 80) + [0, -1e-7, 1e-7, 88, -87, -20, -1, 3]
        for start in stride(from: 0, through: inputs.count - 8, by: 8) {
            let lanes = ClassPlanes.Lanes(inputs[start..<(start + 8)])
            let result = ClassPlanes.exp(lanes)
            for lane in 0..<8 {
                let expected = expf(inputs[start + lane])
                #expect(abs(result[lane] - expected) <= 4 * expected.ulp, "exp(\(inputs[start + lane]))")
            }
        }
        let positive = values(4096, seed: 2, low: 0, high: 1).map { max($0, 1e-30) } + [1, 0.5, 0.70710677, 2, 1e-20, 1e30, 0.1, 3]
        for start in stride(from: 0, through: positive.count - 8, by: 8) {
            let result = ClassPlanes.log(ClassPlanes.Lanes(positive[start..<(start + 8)]))
            for lane in 0..<8 {
                let expected = logf(positive[start + lane])
                #expect(abs(result[lane] - expected) <= 4 * max(expected.magnitude.ulp, Float.leastNormalMagnitude), "log(\(positive[start + lane]))")
            }
        }
    }

    /// 21 classes over 37 cells: four groups of eight and a tail of five.
    let classes = 21, cells = 37

    /// One pass over `scores` (`classes` planes of `cells`), as `ScoreRefiner` runs it.
    func pass(_ input: ClassPlanes.Pass.Input, _ scores: [Float], previous: [Float]? = nil, strength: Float = 0.5,
              cells: Int? = nil) -> (probabilities: [Float], classes: [UInt8])
    {
        let cells = cells ?? self.cells
        var output = [Float](repeating: .nan, count: scores.count)
        var ids = [UInt8](repeating: 255, count: cells)
        scores.withUnsafeBufferPointer { scores in
            output.withUnsafeMutableBufferPointer { output in
                ids.withUnsafeMutableBufferPointer { ids in
                    (previous ?? []).withUnsafeBufferPointer { previous in
                        ClassPlanes.run(ClassPlanes.Pass(input: input, scores: scores.baseAddress!, output: output.baseAddress!,
                                                         classes: scores.count / cells, cells: cells,
                                                         previous: previous.isEmpty ? nil : previous.baseAddress, strength: strength, classMap: ids.baseAddress))
                    }
                }
            }
        }
        return (output, ids)
    }

    /// The class of each cell by a plain loop, the first maximum winning (torch.argmax).
    func plainArgmax(_ planes: [Float], cells: Int) -> [UInt8] {
        let classes = planes.count / cells
        return (0..<cells).map { cell in
            UInt8((0..<classes).reduce(0) { best, id in planes[id * cells + cell] > planes[best * cells + cell] ? id : best })
        }
    }

    /// The plain softmax, cell by cell with expf.
    func plainSoftmax(_ logits: [Float], cells: Int) -> [Float] {
        let classes = logits.count / cells
        var output = logits
        for cell in 0..<cells {
            let largest = (0..<classes).map { logits[$0 * cells + cell] }.max()!
            let exponentials = (0..<classes).map { expf(logits[$0 * cells + cell] - largest) }
            let sum = exponentials.reduce(0, +)
            for id in 0..<classes { output[id * cells + cell] = exponentials[id] / sum }
        }
        return output
    }

    /// `p + 0.5·u²·(previous − p)`, `u` the entropy (−Σ p·ln p over classes with p > 0) ÷ ln classes.
    func plainSmoothing(_ current: [Float], previous: [Float], cells: Int) -> [Float] {
        let classes = current.count / cells
        var expected = current
        let normaliser = 1 / logf(Float(classes))
        for cell in 0..<cells {
            var entropy: Float = 0
            for id in 0..<classes where current[id * cells + cell] > 0 {
                entropy -= current[id * cells + cell] * logf(current[id * cells + cell])
            }
            let mix = 0.5 * pow(min(1, entropy * normaliser), 2)
            for id in 0..<classes { expected[id * cells + cell] += mix * (previous[id * cells + cell] - current[id * cells + cell]) }
        }
        return expected
    }

    /// Several tiles: 600 cells are two whole tiles of 256 and a part of 88.
    @Test(arguments: [37, 600])
    func softmaxMatchesThePlainFormula(cells: Int) {
        let logits = values(classes * cells, seed: 3, low: -12, high: 12)
        let (output, ids) = pass(.logits, logits, cells: cells)
        let expected = plainSoftmax(logits, cells: cells)
        for index in 0..<(classes * cells) { #expect(abs(output[index] - expected[index]) <= 1e-6, "value \(index)") }
        #expect(ids == plainArgmax(logits, cells: cells))
    }

    /// The entropy taken from the logits (one log a cell) smooths as the plain formula over the
    /// probabilities does; a certain cell is kept as it is, and a class whose exponential
    /// underflows to 0 adds nothing.
    @Test(arguments: [37, 600])
    func smoothingFromLogitsMatchesThePlainFormula(cells: Int) {
        var logits = values(classes * cells, seed: 4, low: -3, high: 3)
        for id in 0..<classes { logits[id * cells] = id == 2 ? 100 : -100 }
        logits[5 * cells + 1] = -200
        let previousLogits = values(classes * cells, seed: 5, low: -3, high: 3)
        let previous = plainSoftmax(previousLogits, cells: cells)
        let current = plainSoftmax(logits, cells: cells)
        #expect(current[5 * cells + 1] == 0)
        let expected = plainSmoothing(current, previous: previous, cells: cells)
        let (output, ids) = pass(.logits, logits, previous: previous, cells: cells)
        for index in 0..<(classes * cells) { #expect(abs(output[index] - expected[index]) <= 2e-6, "value \(index)") }
        #expect((0..<classes).map { output[$0 * cells] } == (0..<classes).map { $0 == 2 ? 1 : 0 })
        #expect(ids == plainArgmax(output, cells: cells))
    }

    /// Probabilities out of the model: clamped to [0, 1], then smoothed by their own entropy.
    @Test func smoothingOfProbabilitiesMatchesThePlainFormula() {
        var scores = plainSoftmax(values(classes * cells, seed: 6, low: -3, high: 3), cells: cells)
        scores[5 * cells + 1] = 0
        scores[3 * cells + 2] = -0.25
        scores[4 * cells + 3] = 7
        let previous = plainSoftmax(values(classes * cells, seed: 7, low: -3, high: 3), cells: cells)
        let clamped = scores.map { min(1, max(0, $0)) }
        let expected = plainSmoothing(clamped, previous: previous, cells: cells)
        let (output, ids) = pass(.probabilities, scores, previous: previous)
        for index in 0..<(classes * cells) { #expect(abs(output[index] - expected[index]) <= 1e-6, "value \(index)") }
        #expect(ids == plainArgmax(output, cells: cells))
        #expect(pass(.probabilities, scores).probabilities == clamped)
    }

    @Test func argmaxTakesTheFirstLargest() {
        var planes = values(classes * cells, seed: 6, low: 0, high: 0.9)
        // Ties: the first maximum wins, as in torch.argmax.
        for cell in [0, 9, 36] {
            planes[3 * cells + cell] = 1
            planes[7 * cells + cell] = 1
        }
        let ids = pass(.probabilities, planes).classes
        #expect(ids == plainArgmax(planes, cells: cells))
        #expect(ids[0] == 3 && ids[9] == 3 && ids[36] == 3)
    }

    /// The foreground and tint sums of the final (smoothed) probabilities, over several tiles.
    @Test func weightedSumsOfTheFinalProbabilities() {
        let cells = 600
        let logits = values(classes * cells, seed: 8, low: -4, high: 4)
        let previous = plainSoftmax(values(classes * cells, seed: 9, low: -4, high: 4), cells: cells)
        let weights = [(0..<classes).map { $0 == 0 ? Float(0) : 1 }, (0..<classes).map { Float($0 % 3) * 50 }]
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: logits.count)
        let before = UnsafeMutableBufferPointer<Float>.allocate(capacity: logits.count)
        let probabilities = UnsafeMutableBufferPointer<Float>.allocate(capacity: logits.count)
        let outputs = weights.map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: cells) }
        defer { ([scores, before, probabilities] + outputs).forEach { $0.deallocate() } }
        _ = scores.update(fromContentsOf: logits)
        _ = before.update(fromContentsOf: previous)
        ClassPlanes.run(ClassPlanes.Pass(
            input: .logits, scores: scores.baseAddress!, output: probabilities.baseAddress!, classes: classes, cells: cells,
            previous: before.baseAddress!, strength: 0.5,
            sums: zip(weights, outputs).map { .init(weights: $0, output: $1.baseAddress!) }))
        let output = Array(probabilities), sums = outputs.map { Array($0) }
        for (row, weights) in weights.enumerated() {
            for cell in 0..<cells {
                let expected = (0..<classes).reduce(Float(0)) { $0 + weights[$1] * output[$1 * cells + cell] }
                #expect(abs(sums[row][cell] - expected) <= 1e-5 * max(1, abs(expected)), "sum \(row) cell \(cell)")
            }
        }
    }
}
