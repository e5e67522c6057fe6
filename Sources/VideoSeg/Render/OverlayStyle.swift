/// How class colours are drawn onto the frame.
public struct OverlayStyle: Equatable, Sendable {
    /// `blend` mixes class colours into the picture; `mask` draws class colours on black, as in
    /// the PyTorch tutorial's screenshot.
    public enum Mode: String, Sendable, CaseIterable {
        case blend
        case mask
    }

    /// How the edge between classes is drawn: `soft` weighs the tint by the interpolated
    /// probability of the tinted classes (antialiased, no step where the winner flips); `hard`
    /// gives every pixel the flat tint of its interpolated class.
    public enum Edges: String, Sendable, CaseIterable {
        case soft
        case hard
    }

    /// Blend or mask.
    public var mode: Mode
    /// Soft or hard edges.
    public var edges: Edges
    /// The weight of the class colour, 0...1 (blend mode).
    public var alpha: Double
    /// Class ids to tint; nil tints every class but background (0), which is never tinted.
    public var classes: Set<Int>?

    /// Creates a style; the defaults are the CLI's.
    public init(mode: Mode = .blend, alpha: Double = 0.5, classes: Set<Int>? = nil, edges: Edges = .soft) {
        self.mode = mode
        self.edges = edges
        self.alpha = alpha
        self.classes = classes
    }

    /// Whether class `id` gets its colour.
    public func tints(_ id: Int) -> Bool {
        id != 0 && (classes?.contains(id) ?? true)
    }
}
