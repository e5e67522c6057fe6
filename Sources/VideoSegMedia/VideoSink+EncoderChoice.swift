import CFFmpeg
import Foundation
import VideoSegCore

/// Which encoder and pixel format a sink uses: decided from the output's name, the settings and
/// the source, before anything is opened.
extension VideoSink {
    /// The container's usual encoder for each extension.
    static let defaultEncoders: [String: String] = [
        "mp4": "libx264", "m4v": "libx264", "mov": "libx264", "mkv": "libx264", "avi": "libx264", "webm": "libvpx-vp9",
    ]

    /// The encoders that carry alpha, by extension: what `--style cutout` writes.
    static let alphaEncoders: [String: String] = ["webm": "libvpx-vp9", "mov": "prores_ks", "mkv": "ffv1"]

    /// The one-line reason an output cannot hold a cut-out.
    static let alphaFormats = "write .webm (VP9 with alpha), .mov (ProRes 4444), .mkv (FFV1) or PNG pictures (DIR/%06d.png)"

    /// The encoder of a picture sequence: PNG, which keeps alpha losslessly.
    static func pictureEncoder(_ name: String?) throws -> UnsafePointer<AVCodec> {
        if let name, name != "png" {
            throw VideoSegError.invalidOption("\(Setting.codec) \(name): a picture sequence is written as PNG")
        }
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else { throw VideoSegError.unknownCodec(name: "png") }
        return codec
    }

    static func findEncoder(_ name: String?, path: String, outputFormat: UnsafePointer<AVOutputFormat>, alpha: Bool) throws
        -> UnsafePointer<AVCodec>
    {
        let fileExtension = URL(fileURLWithPath: path).pathExtension.lowercased()
        if alpha && name == nil {
            guard let preferred = alphaEncoders[fileExtension], let codec = avcodec_find_encoder_by_name(preferred) else {
                throw VideoSegError.outputNotWritable(path: path, reason: "cannot carry the alpha channel a cut-out needs: \(alphaFormats)")
            }
            return codec
        }
        if let name {
            if let codec = avcodec_find_encoder_by_name(name) { return codec }
            if let descriptor = avcodec_descriptor_get_by_name(name), let codec = avcodec_find_encoder(descriptor.pointee.id) {
                return codec
            }
            throw VideoSegError.unknownCodec(name: name)
        }
        if let preferred = defaultEncoders[fileExtension], let codec = avcodec_find_encoder_by_name(preferred) {
            return codec
        }
        if let codec = avcodec_find_encoder(outputFormat.pointee.video_codec) { return codec }
        throw VideoSegError.outputNotWritable(path: path, reason: "no video encoder for this container")
    }

    static func hasPrivateOption(_ codec: UnsafePointer<AVCodec>, _ name: String) -> Bool {
        guard let privateClass = codec.pointee.priv_class else { return false }
        var classPointer: UnsafePointer<AVClass>? = privateClass
        return withUnsafeMutablePointer(to: &classPointer) { pointer in
            av_opt_find(UnsafeMutableRawPointer(pointer), name, nil, 0, AV_OPT_SEARCH_FAKE_OBJ) != nil
        }
    }

    /// The 8-bit planar YUV format to encode: the source's chroma layout where the encoder takes
    /// it, 4:4:4 for odd sizes (4:2:0 cannot represent them without a crop), else 4:2:0.
    static func pixelFormat(for codec: UnsafePointer<AVCodec>, format: VideoFormat, path: String) throws -> AVPixelFormat {
        var wanted = AV_PIX_FMT_YUV420P
        if let descriptor = av_pix_fmt_desc_get(format.sourcePixelFormat) {
            let isRGB = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
            let (w, h) = (descriptor.pointee.log2_chroma_w, descriptor.pointee.log2_chroma_h)
            if isRGB || (w == 0 && h == 0 && descriptor.pointee.nb_components >= 3) {
                wanted = AV_PIX_FMT_YUV444P
            } else if w == 1 && h == 0 {
                wanted = AV_PIX_FMT_YUV422P
            }
        }
        if format.width % 2 == 1 || format.height % 2 == 1 { wanted = AV_PIX_FMT_YUV444P }
        let accepted = supportedFormats(codec)
        if accepted.isEmpty || accepted.contains(wanted) { return wanted }
        let candidates = [AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV420P].filter { accepted.contains($0) }
        if let fallback = candidates.first(where: { $0 != AV_PIX_FMT_YUV420P || (format.width % 2 == 0 && format.height % 2 == 0) }) {
            return fallback
        }
        throw VideoSegError.invalidOption("\(path): \(String(cString: codec.pointee.name)) cannot encode \(format.width)x\(format.height) as 8-bit planar YUV; choose another \(Setting.codec)")
    }

    /// A planar YUV format with alpha that `codec` takes: 4:2:0 where the size allows it, else
    /// 4:4:4 (ProRes 4444 has only yuva444p10le).
    static func alphaPixelFormat(for codec: UnsafePointer<AVCodec>, format: VideoFormat, path: String) throws -> AVPixelFormat {
        let even = format.width % 2 == 0 && format.height % 2 == 0
        let preferred = (even ? [AV_PIX_FMT_YUVA420P] : []) + [AV_PIX_FMT_YUVA444P, AV_PIX_FMT_YUVA444P10LE]
        let accepted = supportedFormats(codec)
        if let chosen = preferred.first(where: { accepted.contains($0) }) { return chosen }
        throw VideoSegError.outputNotWritable(
            path: path, reason: "\(String(cString: codec.pointee.name)) cannot encode the alpha channel a cut-out needs: \(alphaFormats)")
    }

    /// A `--pixel-format` the overlay can draw on (planar YUV, three planes, up to 16 bits, native
    /// little-endian) and the encoder takes.
    static func requestedPixelFormat(_ name: String, codec: UnsafePointer<AVCodec>, format: VideoFormat) throws -> AVPixelFormat {
        let pixelFormat = av_get_pix_fmt(name)
        let codecName = String(cString: codec.pointee.name)
        guard pixelFormat != AV_PIX_FMT_NONE, let descriptor = av_pix_fmt_desc_get(pixelFormat) else {
            throw VideoSegError.invalidOption("\(Setting.pixelFormat): unknown pixel format \"\(name)\"")
        }
        let flags = descriptor.pointee.flags
        let depth = Int(descriptor.pointee.comp.0.depth)
        guard flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0, flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0,
              flags & UInt64(AV_PIX_FMT_FLAG_BE) == 0, descriptor.pointee.nb_components == 3, depth <= 16
        else {
            throw VideoSegError.invalidOption("\(Setting.pixelFormat): \(name) is not a planar YUV format the overlay can draw on (e.g. yuv420p, yuv444p, yuv420p10le)")
        }
        let accepted = supportedFormats(codec)
        guard accepted.isEmpty || accepted.contains(pixelFormat) else {
            throw VideoSegError.invalidOption("\(Setting.pixelFormat): \(codecName) cannot encode \(name)")
        }
        if descriptor.pointee.log2_chroma_w > 0 && format.width % 2 == 1 || descriptor.pointee.log2_chroma_h > 0 && format.height % 2 == 1 {
            throw VideoSegError.invalidOption("\(Setting.pixelFormat): \(name) cannot hold \(format.width)x\(format.height) without a crop; use a 4:4:4 format")
        }
        return pixelFormat
    }

    static func supportedFormats(_ codec: UnsafePointer<AVCodec>) -> [AVPixelFormat] {
        guard var pointer = codec.pointee.pix_fmts else { return [] }
        var result: [AVPixelFormat] = []
        while pointer.pointee != AV_PIX_FMT_NONE {
            result.append(pointer.pointee)
            pointer += 1
        }
        return result
    }

    /// The name of the encoder a sink writing `output` with `codec` would open (the same rules
    /// as the sink's own choice); nil when there is none (the sink reports why).
    package static func encoderName(codec: String?, output: String) -> String? {
        guard let format = av_guess_format(nil, output, nil),
              let encoder = try? findEncoder(codec, path: output, outputFormat: format, alpha: false)
        else { return nil }
        return String(cString: encoder.pointee.name)
    }

    /// The pixel format frames are drawn in: YUV 4:4:4 (with alpha for a cut-out) for pictures,
    /// which are converted to RGB(A) afterwards; otherwise one the encoder takes.
    static func drawingPixelFormat(_ codec: UnsafePointer<AVCodec>, format: VideoFormat, settings: EncoderSettings, sequence: Bool,
                                   path: String) throws -> AVPixelFormat
    {
        if sequence { return settings.alpha ? AV_PIX_FMT_YUVA444P : AV_PIX_FMT_YUV444P }
        if settings.alpha { return try alphaPixelFormat(for: codec, format: format, path: path) }
        if let requested = settings.pixelFormat { return try requestedPixelFormat(requested, codec: codec, format: format) }
        return try format.forcedPixelFormat ?? pixelFormat(for: codec, format: format, path: path)
    }
}
