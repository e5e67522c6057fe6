import CFFmpeg
import Foundation
import VideoSegCore

/// Encodes masks as 8-bit PNGs: palette PNGs whose pixel value is the class id, with the class
/// colours as the palette (opaque, or viewers show nothing), or plain gray PNGs (probability
/// masks) when there are no colours. Used by one thread at a time.
package final class MaskPNGEncoder {
    private let width: Int
    private let height: Int
    /// The folder the masks go to, for error messages.
    private let path: String
    private let encoder: UnsafeMutablePointer<AVCodecContext>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let packet: UnsafeMutablePointer<AVPacket>

    package init(width: Int, height: Int, colors: [(r: UInt8, g: UInt8, b: UInt8)]?, path: String) throws {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else { throw VideoSegError.unknownCodec(name: "png") }
        self.width = width
        self.height = height
        self.path = path
        var context = avcodec_alloc_context3(codec)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        guard let context, let frame, let packet else {
            avcodec_free_context(&context)
            av_frame_free(&frame)
            av_packet_free(&packet)
            throw VideoSegError.writeFailed(path: path, reason: "out of memory")
        }
        encoder = context
        self.frame = frame
        self.packet = packet
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        let pixelFormat = colors == nil ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_PAL8
        context.pointee.pix_fmt = pixelFormat
        context.pointee.time_base = AVRational(num: 1, den: 25)
        try checkFFmpeg(avcodec_open2(context, codec, nil), path: path, operation: "opening the PNG encoder")
        frame.pointee.format = pixelFormat.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        try checkFFmpeg(av_frame_get_buffer(frame, 0), path: path, operation: "allocating a mask frame")
        guard let colors else { return }
        let palette = UnsafeMutableRawPointer(frame.pointee.data.1!).assumingMemoryBound(to: UInt32.self)
        for id in 0..<256 {
            let color = id < colors.count ? colors[id] : ColorMap.vocColor(id)
            palette[id] = 0xFF00_0000 | UInt32(color.r) << 16 | UInt32(color.g) << 8 | UInt32(color.b)
        }
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = encoder
        avcodec_free_context(&context)
        var ownedFrame: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&ownedFrame)
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&ownedPacket)
    }

    /// The PNG file of a tightly packed `width`×`height` mask.
    package func encode(_ pixels: [UInt8]) throws -> Data {
        try copy(pixels, into: frame, width: width, height: height, path: path)
        try checkFFmpeg(avcodec_send_frame(encoder, frame), path: path, operation: "PNG encoding")
        try checkFFmpeg(avcodec_receive_packet(encoder, packet), path: path, operation: "PNG encoding")
        defer { av_packet_unref(packet) }
        return Data(bytes: packet.pointee.data, count: Int(packet.pointee.size))
    }
}

/// Copies a tightly packed 8-bit picture into the first plane of `frame`, row by row (its rows
/// are padded), making the frame writable first.
package func copy(_ pixels: [UInt8], into frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int, path: String) throws {
    try checkFFmpeg(av_frame_make_writable(frame), path: path, operation: "preparing a mask frame")
    let stride = Int(frame.pointee.linesize.0)
    pixels.withUnsafeBufferPointer { source in
        for y in 0..<height {
            (frame.pointee.data.0! + y * stride).update(from: source.baseAddress! + y * width, count: width)
        }
    }
}
