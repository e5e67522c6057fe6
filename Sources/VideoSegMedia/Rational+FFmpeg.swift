import CFFmpeg
import VideoSegCore

extension Rational {
    package init(_ rational: AVRational) {
        self.init(Int(rational.num), Int(rational.den))
    }

    var avRational: AVRational { AVRational(num: Int32(numerator), den: Int32(denominator)) }
}
