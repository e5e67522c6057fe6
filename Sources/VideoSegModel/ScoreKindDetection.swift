import Foundation
import VideoSegCore

/// Tells, from a model's first frame of scores, whether scores whose kind its metadata does not
/// say are probabilities rather than logits: every cell's values lie in [0, 1] and sum to 1.
///
/// Taken as logits, probabilities go through a second softmax, which flattens them (21 classes
/// between 0 and 1 come out near 1/21 each): the soft edges then tint the whole frame. Logits
/// almost never meet both conditions on every cell of a frame, so the test is safe the other way.
enum ScoreKindDetection {
    /// How far a cell's sum may be from 1 (float32 softmax over 21 classes is within 1e-6).
    static let tolerance: Float = 1e-3

    /// Whether `scores` (`classCount` planes of `cells` values) look like probabilities.
    static func looksLikeProbabilities(_ scores: UnsafePointer<Float>, classCount: Int, cells: Int) -> Bool {
        guard classCount > 1, cells > 0 else { return false }
        var sums = [Float](repeating: 0, count: cells)
        for id in 0..<classCount {
            let plane = scores + id * cells
            for cell in 0..<cells {
                let value = plane[cell]
                guard value >= -tolerance && value <= 1 + tolerance else { return false }
                sums[cell] += value
            }
        }
        return sums.allSatisfy { abs($0 - 1) <= tolerance }
    }
}
