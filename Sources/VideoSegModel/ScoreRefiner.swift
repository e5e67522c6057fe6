import Foundation
import VideoSegCore

/// What a job needs from each frame's scores beyond the class of every cell.
package struct SegmentationNeeds: Equatable, Sendable {
    /// Scores to decide classes between cells (hard edges, class masks at source size).
    package var scores = false
    /// The foreground probability (soft edges, probability masks).
    package var foreground = false
    /// The probability-weighted tint colour (soft edges).
    package var tint = false

    package init(scores: Bool = false, foreground: Bool = false, tint: Bool = false) {
        self.scores = scores
        self.foreground = foreground
        self.tint = tint
    }
}

/// The buffers a forward pass fills for one `ScoreRefiner`: a class map and, when the refiner
/// wants them, the raw scores. Lent from pools, so the thread of the forward pass and the one
/// refining may differ.
package final class ScoreBuffers: Sendable {
    /// Whether the forward pass must hand over its raw scores, not only the argmax.
    package let wantsScores: Bool
    /// Whether the forward pass's argmax is the class map (else the refiner decides the classes
    /// from smoothed probabilities, and the forward pass need not take one).
    package let wantsArgmax: Bool
    private let classPool: BufferPool<UInt8>
    fileprivate let scorePool: BufferPool<Float>

    fileprivate init(cells: Int, classCount: Int, wantsScores: Bool, wantsArgmax: Bool, census: ResourceCensus?) {
        self.wantsScores = wantsScores
        self.wantsArgmax = wantsArgmax
        classPool = BufferPool(count: cells, census: census)
        scorePool = BufferPool(count: classCount * cells, census: census)
    }

    /// A class map buffer for the forward pass to fill.
    package func obtainClassMap() -> PooledBuffer<UInt8> { classPool.obtain() }

    /// A score buffer for the forward pass to fill, when `wantsScores`.
    package func obtainScores() -> PooledBuffer<Float>? { wantsScores ? scorePool.obtain() : nil }
}

/// Turns one forward pass's scores into a `Segmentation`: probabilities (softmax of logits, or
/// the scores as they are when the model outputs probabilities), temporal smoothing, the
/// foreground probability and tint colour of the tinted classes. All at the model's output size:
/// nothing here grows with the video's size. Used by one thread (the scores stage).
package final class ScoreRefiner {
    package let needs: SegmentationNeeds
    private let width: Int
    private let height: Int
    private let classCount: Int
    /// Nil until the first frame when the model does not say (see `ScoreKindDetection`).
    private var scoreKind: ModelMetadata.ScoreKind?
    /// Told what the first frame showed, when the kind was detected.
    private let detected: @Sendable (ModelMetadata.ScoreKind) -> Void
    /// 1 for the tinted classes, 0 for the others: the foreground probability's weights.
    private let tinted: [Float]
    /// Per RGB channel, each tinted class's colour (0 for the others): the tint's weights.
    private let tintWeights: [[Float]]
    /// How much of the previous frame an uncertain cell keeps (0 = off).
    private let smoothing: Float
    /// What the forward pass fills for this refiner.
    package let buffers: ScoreBuffers
    private let foregroundPool: BufferPool<Float>
    private let tintPool: BufferPool<Float>
    /// Per-class probabilities of this frame, where probabilities are wanted: what a model's
    /// scores are (the softmax of logits, or probabilities kept within [0, 1]), smoothed with
    /// `previous` where this frame is unsure: `p + S·u²·(previous − p)`, `u` the normalised
    /// entropy of the cell's distribution (0 when one class is certain, 1 when all are equally
    /// likely). Confident cells follow the new frame at once; uncertain ones (edges, flickering
    /// regions) settle. After MediaPipe's segmentation smoothing, which does the same for one
    /// foreground probability.
    private var probabilities: [Float]
    /// The frame before's smoothed probabilities (smoothing only; the two swap every frame).
    private var previous: [Float]
    private var hasPrevious = false

    /// `scoreKind` nil: decided on the first frame's scores, and told to `detected`.
    package init(width: Int, height: Int, classCount: Int, scoreKind: ModelMetadata.ScoreKind?, tintedClasses: (Int) -> Bool,
         colors: [(r: UInt8, g: UInt8, b: UInt8)], smoothing: Double, needs: SegmentationNeeds, census: ResourceCensus?,
         detected: @escaping @Sendable (ModelMetadata.ScoreKind) -> Void = { _ in })
    {
        self.detected = detected
        self.width = width
        self.height = height
        self.classCount = classCount
        self.scoreKind = scoreKind
        tinted = (0..<classCount).map { tintedClasses($0) ? 1 : 0 }
        tintWeights = (0..<3).map { channel in
            (0..<classCount).map { id in
                guard tintedClasses(id), id < colors.count else { return 0 }
                return Float([colors[id].r, colors[id].g, colors[id].b][channel])
            }
        }
        self.smoothing = Float(smoothing)
        self.needs = needs
        let cells = width * height
        foregroundPool = BufferPool(count: cells, census: census)
        tintPool = BufferPool(count: 3 * cells, census: census)
        probabilities = needs.foreground || needs.tint || smoothing > 0 ? [Float](repeating: 0, count: classCount * cells) : []
        previous = smoothing > 0 ? probabilities : []
        buffers = ScoreBuffers(cells: cells, classCount: classCount, wantsScores: needs.scores || !probabilities.isEmpty,
                               wantsArgmax: smoothing <= 0, census: census)
    }

    /// The segmentation of one frame from its argmax `classes` and raw `scores` (`[C][cells]`).
    package func refine(classes: PooledBuffer<UInt8>, scores: PooledBuffer<Float>?) -> Segmentation {
        guard let scores, !probabilities.isEmpty else {
            return Segmentation(width: width, height: height, classCount: classCount, classes: classes,
                                scores: needs.scores ? scores : nil, foreground: nil, tint: nil)
        }
        let cells = width * height
        let scoreKind = self.scoreKind ?? {
            let kind: ModelMetadata.ScoreKind = ScoreKindDetection.looksLikeProbabilities(
                UnsafePointer(scores.baseAddress), classCount: classCount, cells: cells) ? .probabilities : .logits
            self.scoreKind = kind
            detected(kind)
            return kind
        }()
        // This frame's probabilities overwrite the buffer of the frame before last.
        let smoothingNow = smoothing > 0 && hasPrevious
        if smoothing > 0 { swap(&probabilities, &previous) }
        hasPrevious = smoothing > 0
        let foreground = needs.foreground || needs.tint ? foregroundPool.obtain() : nil
        let tint = needs.tint ? tintPool.obtain() : nil
        var sums = foreground.map { [ClassPlanes.Pass.WeightedSum(weights: tinted, output: $0.baseAddress)] } ?? []
        if let tint {
            sums += tintWeights.indices.map { ClassPlanes.Pass.WeightedSum(weights: tintWeights[$0], output: tint.baseAddress + $0 * cells) }
        }
        probabilities.withUnsafeMutableBufferPointer { output in
            previous.withUnsafeBufferPointer { before in
                // Smoothed probabilities decide the classes, at the cells and between them.
                ClassPlanes.run(ClassPlanes.Pass(
                    input: scoreKind == .logits ? .logits : .probabilities, scores: scores.baseAddress, output: output.baseAddress!,
                    classes: classCount, cells: cells, previous: smoothingNow ? before.baseAddress : nil, strength: smoothing,
                    classMap: smoothing > 0 ? classes.baseAddress : nil, sums: sums))
            }
        }
        var decided = scores
        if smoothing > 0 && needs.scores {
            decided = buffers.scorePool.obtain()
            decided.baseAddress.update(from: probabilities, count: classCount * cells)
        }
        return Segmentation(width: width, height: height, classCount: classCount, classes: classes,
                            scores: needs.scores ? decided : nil, foreground: foreground, tint: tint)
    }
}
