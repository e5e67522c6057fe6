import VideoSegCore

/// The size of the picture the model sees.
public enum InputSize: Equatable, Sendable, CustomStringConvertible {
    /// Exactly `width`×`height`, whatever the source's aspect.
    case fixed(width: Int, height: Int)
    /// The short side scaled to `length`, the long side keeping the source's aspect ratio.
    case shortSide(Int)

    /// Parses `WxH` or `N`.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        if parts.count == 1, let length = Int(parts[0]), length > 0 {
            self = .shortSide(length)
        } else if parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 {
            self = .fixed(width: width, height: height)
        } else {
            return nil
        }
    }

    /// The model input's width and height for an upright picture of `width`×`height`.
    public func resolved(forUprightWidth width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .fixed(let w, let h):
            return (w, h)
        case .shortSide(let length):
            if width <= height {
                return (length, max(1, Int((Double(height) * Double(length) / Double(width)).rounded())))
            }
            return (max(1, Int((Double(width) * Double(length) / Double(height)).rounded())), length)
        }
    }

    public var description: String {
        switch self {
        case .fixed(let w, let h): return "\(w)x\(h)"
        case .shortSide(let n): return "\(n) (short side)"
        }
    }
}
