import VideoSegCore

/// Which graph `SegmentationModel.prepare` gives the model, once frozen: the one optimised for
/// inference (`torch.jit.optimize_for_inference`: MKLDNN layouts, fused ops), the frozen one, or
/// whichever a timing of both at the input size says is faster (remembered in a
/// `PreparationCache`). Setting it lets a user check what the measured choice gains.
public enum GraphPreparation: String, CaseIterable, Sendable {
    /// Time both graphs (or take an earlier timing from the cache) and keep the faster.
    case measure
    /// The frozen graph, not timed.
    case frozen
    /// The frozen graph optimised for inference, not timed (the frozen one where the pass fails).
    case optimized
}
