/// Converts RGB colours to Y'CbCr in the output's colour matrix and range, so class colours are
/// blended straight into the YUV planes the encoder takes (no RGB round trip).
public struct YUVMatrix: Equatable, Sendable {
    /// Red and blue luma weights: BT.601 (0.299, 0.114), BT.709 (0.2126, 0.0722), ...
    public let kr: Double
    public let kb: Double
    /// Full range (0–255) rather than limited (16–235 luma, 16–240 chroma).
    public let fullRange: Bool

    /// BT.601 limited range: FFmpeg's assumption for untagged video.
    public static let bt601 = YUVMatrix(kr: 0.299, kb: 0.114, fullRange: false)
    /// BT.709 limited range.
    public static let bt709 = YUVMatrix(kr: 0.2126, kb: 0.0722, fullRange: false)

    /// Creates a matrix from its luma weights.
    public init(kr: Double, kb: Double, fullRange: Bool) {
        self.kr = kr
        self.kb = kb
        self.fullRange = fullRange
    }

    /// The 8-bit Y, Cb, Cr of an 8-bit RGB colour, rounded.
    public func yuv(r: UInt8, g: UInt8, b: UInt8) -> (y: UInt8, u: UInt8, v: UInt8) {
        let rf = Double(r) / 255, gf = Double(g) / 255, bf = Double(b) / 255
        let luma = kr * rf + (1 - kr - kb) * gf + kb * bf
        let pb = (bf - luma) / (2 * (1 - kb))
        let pr = (rf - luma) / (2 * (1 - kr))
        func clamp(_ value: Double) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }
        if fullRange {
            return (clamp(255 * luma), clamp(128 + 255 * pb), clamp(128 + 255 * pr))
        }
        return (clamp(16 + 219 * luma), clamp(128 + 224 * pb), clamp(128 + 224 * pr))
    }

    /// Plane `plane` (0 = Y, 1 = Cb, 2 = Cr) of an RGB colour as an affine function of its 8-bit
    /// components, unrounded: `r·red + g·green + b·blue + offset`. Linear, so the value of a
    /// probability-weighted mix of colours is the same mix of their values.
    public func linear(plane: Int) -> (red: Double, green: Double, blue: Double, offset: Double) {
        let kg = 1 - kr - kb
        let lumaScale = fullRange ? 1.0 : 219.0 / 255, chromaScale = fullRange ? 1.0 : 224.0 / 255
        switch plane {
        case 0:
            return (kr * lumaScale, kg * lumaScale, kb * lumaScale, fullRange ? 0 : 16)
        case 1:
            let s = chromaScale / (2 * (1 - kb))
            return (-kr * s, -kg * s, (1 - kb) * s, 128)
        default:
            let s = chromaScale / (2 * (1 - kr))
            return ((1 - kr) * s, -kg * s, -kb * s, 128)
        }
    }

    /// Black in this range.
    public var black: (y: UInt8, u: UInt8, v: UInt8) { (fullRange ? 0 : 16, 128, 128) }
}
