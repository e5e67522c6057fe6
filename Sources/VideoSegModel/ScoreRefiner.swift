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

/// Turns one forward pass's scores into a `Segmentation`: probabilities (softmax of logits, or
/// the scores as they are when the model outputs probabilities), temporal smoothing, the
/// foreground probability and tint colour of the tinted classes. All at the model's output size:
/// nothing here grows with the video's size. Used by one thread (the inference stage).
package final class ScoreRefiner {
    package let needs: SegmentationNeeds
    private let width: Int
    private let height: Int
    private let classCount: Int
    /// Nil until the first frame when the model does not say (see `ScoreKindDetection`).
    private var scoreKind: ModelMetadata.ScoreKind?
    /// Told what the first frame showed, when the kind was detected.
    private let detected: @Sendable (ModelMetadata.ScoreKind) -> Void
    /// 1 for the tinted classes, 0 for the others.
    private let tinted: [Float]
    private let colors: [(r: UInt8, g: UInt8, b: UInt8)]
    /// How much of the previous frame an uncertain cell keeps (0 = off).
    private let smoothing: Float
    private let classPool: BufferPool<UInt8>
    private let scorePool: BufferPool<Float>
    private let foregroundPool: BufferPool<Float>
    private let tintPool: BufferPool<Float>
    /// Per-class probabilities of this frame, then (smoothing) of the frame before.
    private var probabilities: [Float]
    private var previous: [Float]?

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
        self.colors = colors
        self.smoothing = Float(smoothing)
        self.needs = needs
        let cells = width * height
        classPool = BufferPool(count: cells, census: census)
        scorePool = BufferPool(count: classCount * cells, census: census)
        foregroundPool = BufferPool(count: cells, census: census)
        tintPool = BufferPool(count: 3 * cells, census: census)
        probabilities = needs.foreground || needs.tint || smoothing > 0 ? [Float](repeating: 0, count: classCount * cells) : []
    }

    /// Whether the forward pass must hand over its raw scores, not only the argmax.
    package var wantsScores: Bool { needs.scores || !probabilities.isEmpty }

    /// A class map buffer for the forward pass to fill.
    package func obtainClassMap() -> PooledBuffer<UInt8> { classPool.obtain() }

    /// A score buffer for the forward pass to fill, when `wantsScores`.
    package func obtainScores() -> PooledBuffer<Float>? { wantsScores ? scorePool.obtain() : nil }

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
        probabilities.withUnsafeMutableBufferPointer { output in
            switch scoreKind {
            case .logits: softmax(UnsafePointer(scores.baseAddress), into: output.baseAddress!, cells: cells)
            case .probabilities:
                // Kept within [0, 1]: the renderer turns them into integer weights, and a model
                // that calls its output probabilities may still emit 1e10 (or +inf made finite).
                ClassPlanes.clampToUnit(scores.baseAddress, into: output.baseAddress!, count: classCount * cells)
            }
        }
        var decided = scores
        var classMap = classes
        if smoothing > 0 {
            smoothWithPrevious()
            // Smoothed probabilities decide the classes, at the cells and between them.
            classMap = classPool.obtain()
            argmax(into: classMap.baseAddress)
            decided = scorePool.obtain()
            decided.baseAddress.update(from: probabilities, count: classCount * cells)
        }
        return Segmentation(width: width, height: height, classCount: classCount, classes: classMap,
                            scores: needs.scores ? decided : nil, foreground: needs.foreground || needs.tint ? foreground() : nil,
                            tint: needs.tint ? tint() : nil)
    }

    /// Softmax over the classes of every cell, plane by plane (cells are contiguous in a plane).
    private func softmax(_ logits: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, cells: Int) {
        ClassPlanes.softmax(logits, into: output, classes: classCount, cells: cells)
    }

    /// Mixes the previous frame's probabilities into this frame's where this frame is unsure:
    /// `p + S·u²·(previous − p)`, with `u` the normalised entropy of the cell's distribution (0
    /// when one class is certain, 1 when all are equally likely). Confident cells follow the new
    /// frame at once; uncertain ones (edges, flickering regions) settle. After MediaPipe's
    /// segmentation smoothing, which does the same for one foreground probability.
    private func smoothWithPrevious() {
        let cells = width * height
        defer { previous = probabilities }
        guard let previous else { return }
        probabilities.withUnsafeMutableBufferPointer { current in
            previous.withUnsafeBufferPointer { before in
                ClassPlanes.smooth(current.baseAddress!, previous: before.baseAddress!, classes: classCount, cells: cells, strength: smoothing)
            }
        }
    }

    /// The argmax of the current probabilities, the first maximum winning.
    private func argmax(into classes: UnsafeMutablePointer<UInt8>) {
        probabilities.withUnsafeBufferPointer { planes in
            ClassPlanes.argmax(planes.baseAddress!, into: classes, classCount: classCount, cells: width * height)
        }
    }

    /// The probability of the tinted classes, per cell.
    private func foreground() -> PooledBuffer<Float> {
        let cells = width * height
        let result = foregroundPool.obtain()
        let target = result.baseAddress
        target.update(repeating: 0, count: cells)
        probabilities.withUnsafeBufferPointer { planes in
            for id in 0..<classCount where tinted[id] > 0 {
                ClassPlanes.addScaled(planes.baseAddress! + id * cells, weight: 1, to: target, cells: cells)
            }
        }
        return result
    }

    /// The probability-weighted colour of the tinted classes, per cell and RGB channel.
    private func tint() -> PooledBuffer<Float> {
        let cells = width * height
        let result = tintPool.obtain()
        let target = result.baseAddress
        target.update(repeating: 0, count: 3 * cells)
        probabilities.withUnsafeBufferPointer { planes in
            for id in 0..<classCount where tinted[id] > 0 && id < colors.count {
                let color = [Float(colors[id].r), Float(colors[id].g), Float(colors[id].b)]
                for channel in 0..<3 {
                    ClassPlanes.addScaled(planes.baseAddress! + id * cells, weight: color[channel], to: target + channel * cells, cells: cells)
                }
            }
        }
        return result
    }
}
