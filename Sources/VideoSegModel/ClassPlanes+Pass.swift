import Foundation
import VideoSegCore

extension ClassPlanes {
    /// One frame's scores turned into probabilities, in one pass over tiles of cells: softmax (or
    /// the probabilities clamped to [0, 1]), the temporal smoothing, and the argmax of the result.
    ///
    /// A tile of every class plane stays in the L1 cache while each step sweeps it plane by plane.
    /// The planes lie 256 KB apart at 256×256, the same cache sets: reading eight cells of all 21
    /// planes at once, as the smoothing did, missed the cache on every group and took 13 ms a
    /// frame, more than all the rest together.
    struct Pass {
        enum Input { case logits, probabilities }

        /// `output[cell] = Σ weights[id]·p[id][cell]` over the classes, e.g. the foreground
        /// probability (weight 1 for the tinted classes) or one channel of the tint colour.
        struct WeightedSum {
            var weights: [Float]
            var output: UnsafeMutablePointer<Float>
        }

        var input: Input
        var scores: UnsafePointer<Float>
        var output: UnsafeMutablePointer<Float>
        var classes: Int
        var cells: Int
        /// The previous frame's smoothed probabilities (nil: no smoothing).
        var previous: UnsafePointer<Float>? = nil
        /// How much of `previous` an uncertain cell keeps (see `ScoreRefiner`).
        var strength: Float = 0
        /// Where the class of each cell goes (nil: not wanted).
        var classMap: UnsafeMutablePointer<UInt8>? = nil
        /// Sums of the final probabilities, taken while the tile is in the cache.
        var sums: [WeightedSum] = []
    }

    /// Scratch planes of a tile, each `tile` floats.
    private enum Scratch: Int, CaseIterable { case largest, scale, mix, best, winner }

    static func run(_ pass: Pass) {
        forEachTile(pass.cells, scratch: Scratch.allCases.count) { first, count, scratch in
            let slot = { (part: Scratch) in scratch + part.rawValue * tile }
            switch pass.input {
            case .logits: exponentials(pass, first: first, count: count, largest: slot(.largest), scale: slot(.scale), mix: slot(.mix))
            case .probabilities: clamped(pass, first: first, count: count, scale: slot(.scale), mix: slot(.mix))
            }
            finish(pass, first: first, count: count, scale: slot(.scale), mix: slot(.mix), best: slot(.best), winner: slot(.winner))
        }
    }

    /// e^(x − max) of every class into `output`, `scale` = 1 / Σ, and the smoothing's mix. The
    /// entropy comes from the logits, one log a cell instead of one a class:
    /// −Σ p·ln p = ln Σe − Σ e·d / Σe, with d = x − max and e = e^d.
    private static func exponentials(_ pass: Pass, first: Int, count: Int, largest: UnsafeMutablePointer<Float>,
                                     scale: UnsafeMutablePointer<Float>, mix: UnsafeMutablePointer<Float>)
    {
        let (cells, logits) = (pass.cells, pass.scores + first)
        largest.update(from: logits, count: count)
        for id in 1..<max(1, pass.classes) {
            forEachGroup(count) { cell, lanes in
                let value = load(logits + id * cells + cell, lanes), best = load(largest + cell, lanes)
                store(best.replacing(with: value, where: value .> best), largest + cell, lanes)
            }
        }
        scale.update(repeating: 0, count: count)
        mix.update(repeating: 0, count: count)
        for id in 0..<pass.classes {
            let plane = logits + id * cells, target = pass.output + id * cells + first
            forEachGroup(count) { cell, lanes in
                let difference = load(plane + cell, lanes) - load(largest + cell, lanes)
                let value = exp(difference)
                store(value, target + cell, lanes)
                store(load(scale + cell, lanes) + value, scale + cell, lanes)
                store(load(mix + cell, lanes) + value * difference, mix + cell, lanes)
            }
        }
        let smoothing = pass.previous != nil, normaliser = entropyNormaliser(pass)
        forEachGroup(count) { cell, lanes in
            let sum = load(scale + cell, lanes), inverse = 1 / sum
            store(inverse, scale + cell, lanes)
            if smoothing { store(mixing(entropy: log(sum) - load(mix + cell, lanes) * inverse, normaliser, pass), mix + cell, lanes) }
        }
    }

    /// The probabilities clamped to [0, 1] into `output`, `scale` = 1, and the smoothing's mix
    /// from their entropy (a log per class: these scores have no logits to take it from).
    private static func clamped(_ pass: Pass, first: Int, count: Int, scale: UnsafeMutablePointer<Float>, mix: UnsafeMutablePointer<Float>) {
        let smoothing = pass.previous != nil
        scale.update(repeating: 1, count: count)
        mix.update(repeating: 0, count: count)
        for id in 0..<pass.classes {
            let plane = pass.scores + id * pass.cells + first, target = pass.output + id * pass.cells + first
            forEachGroup(count) { cell, lanes in
                let p = load(plane + cell, lanes).clampedToUnit
                store(p, target + cell, lanes)
                guard smoothing else { return }
                // 1 stands in where p is 0: its term is 0 (ln 1 = 0), and log sees only positive values.
                let safe = p.replacing(with: 1, where: p .<= 0)
                store(load(mix + cell, lanes) - safe * log(safe), mix + cell, lanes)
            }
        }
        guard smoothing else { return }
        let normaliser = entropyNormaliser(pass)
        forEachGroup(count) { cell, lanes in store(mixing(entropy: load(mix + cell, lanes), normaliser, pass), mix + cell, lanes) }
    }

    /// 1 / ln(classes): the largest entropy, that of all classes equally likely, becomes 1.
    private static func entropyNormaliser(_ pass: Pass) -> Float { 1 / logf(Float(max(2, pass.classes))) }

    /// How much of the previous frame a cell keeps: strength·u², `u` its entropy × `normaliser`
    /// capped at 1 (0 when one class is certain, 1 when all are equally likely).
    @inline(__always) private static func mixing(entropy: Lanes, _ normaliser: Float, _ pass: Pass) -> Lanes {
        let uncertainty = (entropy * normaliser).clampedToUnit
        return uncertainty * uncertainty * pass.strength
    }

    /// `p = value·scale`, smoothed `p + mix·(previous − p)`, stored; the argmax of the stored
    /// values, the first maximum winning (torch.argmax), and the weighted sums.
    private static func finish(_ pass: Pass, first: Int, count: Int, scale: UnsafeMutablePointer<Float>, mix: UnsafeMutablePointer<Float>,
                               best: UnsafeMutablePointer<Float>, winner: UnsafeMutablePointer<Float>)
    {
        for sum in pass.sums { (sum.output + first).update(repeating: 0, count: count) }
        for id in 0..<pass.classes {
            let target = pass.output + id * pass.cells + first, previous = pass.previous.map { $0 + id * pass.cells + first }
            let label = Lanes(repeating: Float(id)), argmax = pass.classMap != nil
            forEachGroup(count) { cell, lanes in
                var p = load(target + cell, lanes) * load(scale + cell, lanes)
                if let previous { p += load(mix + cell, lanes) * (load(previous + cell, lanes) - p) }
                store(p, target + cell, lanes)
                guard argmax else { return }
                if id == 0 {
                    store(p, best + cell, lanes)
                    store(label, winner + cell, lanes)
                } else {
                    let larger = p .> load(best + cell, lanes)
                    store(load(best + cell, lanes).replacing(with: p, where: larger), best + cell, lanes)
                    store(load(winner + cell, lanes).replacing(with: label, where: larger), winner + cell, lanes)
                }
            }
            for sum in pass.sums where sum.weights[id] != 0 {
                let weight = sum.weights[id], output = sum.output + first
                forEachGroup(count) { cell, lanes in
                    store(load(output + cell, lanes) + load(target + cell, lanes) * weight, output + cell, lanes)
                }
            }
        }
        guard let classMap = pass.classMap else { return }
        for cell in 0..<count { classMap[first + cell] = UInt8(winner[cell]) }
    }
}
