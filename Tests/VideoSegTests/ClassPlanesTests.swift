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

    @Test func softmaxMatchesThePlainFormula() {
        let logits = values(classes * cells, seed: 3, low: -12, high: 12)
        var output = [Float](repeating: 0, count: classes * cells)
        ClassPlanes.softmax(logits, into: &output, classes: classes, cells: cells)
        for cell in 0..<cells {
            let largest = (0..<classes).map { logits[$0 * cells + cell] }.max()!
            let exponentials = (0..<classes).map { expf(logits[$0 * cells + cell] - largest) }
            let sum = exponentials.reduce(0, +)
            for id in 0..<classes {
                #expect(abs(output[id * cells + cell] - exponentials[id] / sum) <= 1e-6, "cell \(cell) class \(id)")
            }
        }
    }

    @Test func smoothingMatchesThePlainFormula() {
        var logits = values(classes * cells, seed: 4, low: -3, high: 3)
        // One certain cell (entropy 0: kept as it is) and one zero probability (no log of 0).
        for id in 0..<classes { logits[id * cells] = id == 2 ? 100 : -100 }
        var current = [Float](repeating: 0, count: classes * cells)
        ClassPlanes.softmax(logits, into: &current, classes: classes, cells: cells)
        current[5 * cells + 1] = 0
        var previous = [Float](repeating: 0, count: classes * cells)
        ClassPlanes.softmax(values(classes * cells, seed: 5, low: -3, high: 3), into: &previous, classes: classes, cells: cells)
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
        let certain = (0..<classes).map { current[$0 * cells] }
        ClassPlanes.smooth(&current, previous: previous, classes: classes, cells: cells, strength: 0.5)
        for index in 0..<(classes * cells) { #expect(abs(current[index] - expected[index]) <= 1e-6, "value \(index)") }
        #expect((0..<classes).map { current[$0 * cells] } == certain)
        #expect(certain[2] == 1 && certain[0] == 0)
    }

    @Test func argmaxTakesTheFirstLargest() {
        var planes = values(classes * cells, seed: 6, low: 0, high: 1)
        // Ties: the first maximum wins, as in torch.argmax.
        for cell in [0, 9, 36] {
            planes[3 * cells + cell] = 2
            planes[7 * cells + cell] = 2
        }
        var ids = [UInt8](repeating: 255, count: cells)
        ClassPlanes.argmax(planes, into: &ids, classCount: classes, cells: cells)
        let expected = (0..<cells).map { cell in
            UInt8((0..<classes).reduce(0) { best, id in planes[id * cells + cell] > planes[best * cells + cell] ? id : best })
        }
        #expect(ids == expected)
        #expect(ids[0] == 3 && ids[9] == 3 && ids[36] == 3)
    }

    @Test func clampingAndWeightedSums() {
        let raw: [Float] = [-1, 0, 0.25, 1, 7, 0.5, -0.1, 1.1, 0.9]
        var clamped = [Float](repeating: 0, count: raw.count)
        ClassPlanes.clampToUnit(raw, into: &clamped, count: raw.count)
        #expect(clamped == [0, 0, 0.25, 1, 1, 0.5, 0, 1, 0.9])
        var target: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        ClassPlanes.addScaled(clamped, weight: 2, to: &target, cells: raw.count)
        #expect(target == [1, 2, 3.5, 6, 7, 7, 7, 10, 10.8])
    }
}
