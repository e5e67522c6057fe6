import CFFmpeg
import Foundation
import VideoSegCore

extension VideoSink {
    /// The name of the encoder a sink writing `output` with `codec` would open (the same rules
    /// as the sink's own choice); nil when there is none (the sink reports why).
    package static func encoderName(codec: String?, output: String) -> String? {
        guard let format = av_guess_format(nil, output, nil),
              let encoder = try? findEncoder(codec, path: output, outputFormat: format, alpha: false)
        else { return nil }
        return String(cString: encoder.pointee.name)
    }
}
