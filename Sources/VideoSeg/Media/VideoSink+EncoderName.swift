import CFFmpeg
import Foundation

extension VideoSink {
    /// The name of the encoder a sink writing `output` with `codec` would open, found by the
    /// rules `findEncoder` follows (an encoder or codec name, else the extension's usual
    /// encoder, else the container's default); nil when there is none (the sink reports why).
    static func encoderName(codec: String?, output: String) -> String? {
        if let codec {
            if let found = avcodec_find_encoder_by_name(codec) { return String(cString: found.pointee.name) }
            if let descriptor = avcodec_descriptor_get_by_name(codec), let found = avcodec_find_encoder(descriptor.pointee.id) {
                return String(cString: found.pointee.name)
            }
            return nil
        }
        let fileExtension = URL(fileURLWithPath: output).pathExtension.lowercased()
        if let preferred = defaultEncoders[fileExtension], avcodec_find_encoder_by_name(preferred) != nil { return preferred }
        guard let format = av_guess_format(nil, output, nil), let found = avcodec_find_encoder(format.pointee.video_codec) else { return nil }
        return String(cString: found.pointee.name)
    }
}
