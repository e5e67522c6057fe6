import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// How class colours are drawn onto the frame.
public struct OverlayStyle: Equatable, Sendable {
    /// `blend` mixes class colours into the picture; `mask` draws class colours on black, as in
    /// the PyTorch tutorial's screenshot. The effects act on the background (or, with
    /// `applyTo = .foreground`, on the foreground: the tinted classes): `blur` and `pixelate` it,
    /// `replace` it with a picture, a video or a colour; `cutout` keeps the foreground with an alpha
    /// channel (transparent background); `matte` writes the foreground as white on black.
    public enum Mode: String, Sendable, CaseIterable {
        case blend
        case mask
        case blur
        case pixelate
        case replace
        case cutout
        case matte

        /// Whether this is one of the effects rather than a class-colour overlay.
        public var isEffect: Bool { self != .blend && self != .mask }
    }

    /// Which part an effect changes.
    public enum Target: String, Sendable, CaseIterable {
        case background
        case foreground
    }

    /// How the edge between classes is drawn: `soft` weighs the tint by the interpolated
    /// probability of the tinted classes (antialiased, no step where the winner flips); `hard`
    /// gives every pixel the flat tint of its interpolated class; `refined` moves the soft weight
    /// onto the picture's own edges (a guided filter at the output's resolution, see `EdgeRefiner`).
    public enum Edges: String, Sendable, CaseIterable {
        case soft
        case hard
        case refined
    }

    /// Blend or mask.
    public var mode: Mode
    /// Soft or hard edges.
    public var edges: Edges
    /// The weight of the class colour, 0...1 (blend mode).
    public var alpha: Double
    /// Class ids to tint; nil tints every class but background (0), which is never tinted. For
    /// the effects, these classes are the foreground.
    public var classes: Set<Int>?
    /// What `blur`, `pixelate` and `replace` change.
    public var applyTo: Target = .background
    /// The blur radius (`blur`) or half the block size (`pixelate`) in pixels; nil: about 2% of
    /// the frame's short side.
    public var blurRadius: Int?
    /// `replace`: a picture or video file, or a colour (`#00B140`).
    public var background: String?

    /// Whether the output needs an alpha channel.
    public var needsAlpha: Bool { mode == .cutout }

    /// What is wrong with these settings taken together, or nil: a replaced background needs a
    /// picture or colour, and only a replaced background takes one.
    public var problem: SettingMessage? {
        if mode == .replace && background == nil { return "\(Setting.style) replace needs \(Setting.background) FILE or COLOR (e.g. #00B140)" }
        if background != nil && mode != .replace { return "\(Setting.background) goes with \(Setting.style) replace" }
        return nil
    }

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
