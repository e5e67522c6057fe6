/// How a stored picture must be turned to stand upright, from the stream's display matrix.
/// Only quarter turns are honoured; other angles and flips are rare and ignored.
public enum Orientation: Int, Sendable, Equatable {
    case upright = 0
    /// Turn the stored picture 90° clockwise to show it (a phone held upright).
    case clockwise90 = 90
    case rotated180 = 180
    /// Turn the stored picture 270° clockwise (90° anti-clockwise) to show it.
    case clockwise270 = 270

    /// From FFmpeg's `av_display_rotation_get` angle (degrees, anti-clockwise).
    public init(displayRotation degrees: Double) {
        guard degrees.isFinite else { self = .upright; return }
        let clockwise = Int((-degrees).rounded())
        let quarter = ((clockwise % 360 + 360) % 360 + 45) / 90 % 4
        self = Orientation(rawValue: quarter * 90) ?? .upright
    }

    /// Whether width and height swap between the stored and the upright picture.
    public var swapsAxes: Bool { self == .clockwise90 || self == .clockwise270 }

    /// The upright size of a stored `width`×`height` picture.
    public func uprightSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// The stored size whose upright form is `width`×`height`.
    public func storedSize(uprightWidth width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// The offset, origin and steps that read upright pixel (ux, uy) from a stored buffer of
    /// `width`×`height` pixels, `bytesPerPixel` each, `stride` bytes a row:
    /// `offset = origin + ux * stepX + uy * stepY`.
    public func uprightWalk(width: Int, height: Int, stride: Int, bytesPerPixel: Int)
        -> (origin: Int, stepX: Int, stepY: Int)
    {
        switch self {
        case .upright:
            return (0, bytesPerPixel, stride)
        case .clockwise90:
            // upright (ux, uy) is stored (uy, height-1-ux)
            return ((height - 1) * stride, -stride, bytesPerPixel)
        case .rotated180:
            return ((height - 1) * stride + (width - 1) * bytesPerPixel, -bytesPerPixel, -stride)
        case .clockwise270:
            // upright (ux, uy) is stored (width-1-uy, ux)
            return ((width - 1) * bytesPerPixel, stride, -bytesPerPixel)
        }
    }
}
