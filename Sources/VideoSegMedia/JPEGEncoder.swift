import CFFmpeg
import Foundation
import VideoSegCore

/// Encodes rendered frames as JPEG pictures with libavcodec's mjpeg encoder, for the preview
/// page's MJPEG stream. JPEG is full-range YUV, so each frame is first converted by swscale to
/// `yuvj420p` (from whatever the render target is: 4:2:0, 4:2:2, 4:4:4, limited range, 10-bit).
/// Used by one thread (the preview stage).
package final class JPEGEncoder {
    package let width: Int
    package let height: Int
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var picture: UnsafeMutablePointer<AVFrame>?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let scaler = FrameScaler()

    /// An encoder for `width`×`height` pictures at `quality` (mjpeg's qscale: 2 best … 31 worst).
    package init(width: Int, height: Int, quality: Int = 5) throws {
        self.width = width
        self.height = height
        packet = av_packet_alloc()!
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG), let context = avcodec_alloc_context3(codec) else {
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
            throw VideoSegError.unknownCodec(name: "mjpeg")
        }
        encoder = context
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.colorspace = AVCOL_SPC_BT470BG
        context.pointee.time_base = AVRational(num: 1, den: 30)
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = Int32(quality) * FF_QP2LAMBDA
        context.pointee.thread_count = 1
        let status = avcodec_open2(context, codec, nil)
        if status < 0 {
            avcodec_free_context(&encoder)
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
            throw VideoSegError.ffmpeg(path: "preview", operation: "opening the mjpeg encoder", code: status, message: ffmpegErrorString(status))
        }
        picture = av_frame_alloc()
        picture!.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        picture!.pointee.width = Int32(width)
        picture!.pointee.height = Int32(height)
        try checkFFmpeg(av_frame_get_buffer(picture, 0), path: "preview", operation: "allocating a JPEG picture")
    }

    deinit {
        avcodec_free_context(&encoder)
        av_frame_free(&picture)
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&owned)
    }

    /// `frame` as one JPEG file's bytes.
    package func encode(_ frame: RenderedFrame) throws -> Data {
        guard let encoder, let picture else { return Data() }
        try checkFFmpeg(av_frame_make_writable(picture), path: "preview", operation: "allocating a JPEG picture")
        try scaler.scale(frame.frame, into: picture, width: width, height: height, format: AV_PIX_FMT_YUVJ420P, flags: SWS_BILINEAR,
                         destinationColorspace: AVCOL_SPC_BT470BG, destinationFullRange: true)
        picture.pointee.pts = frame.pts
        picture.pointee.color_range = AVCOL_RANGE_JPEG
        try checkFFmpeg(avcodec_send_frame(encoder, picture), path: "preview", operation: "encoding a JPEG")
        var data = Data()
        while true {
            let status = avcodec_receive_packet(encoder, packet)
            if status == vs_averror_eagain() || status == vs_averror_eof() { break }
            try checkFFmpeg(status, path: "preview", operation: "encoding a JPEG")
            data.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        return data
    }
}
