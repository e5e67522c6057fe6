/// A rational number such as a time base (1/90000) or a frame rate (30000/1001), for code
/// outside Media/ that must not see FFmpeg's `AVRational`.
public struct Rational: Equatable, Sendable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    /// `numerator`/`denominator`.
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Its value; 0 when the denominator is 0 (FFmpeg's "unknown").
    public var value: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }

    /// Whether both parts are positive (a known rate or time base).
    public var isKnown: Bool { numerator > 0 && denominator > 0 }

    /// Seconds of `ticks` in this time base.
    public func seconds(_ ticks: Int64) -> Double { Double(ticks) * value }

    /// "num/den", as ffprobe writes time bases.
    public var description: String { "\(numerator)/\(denominator)" }
}
