import CFFmpeg
import Foundation
import VideoSegCore

/// A V4L2 output device (a v4l2loopback "virtual camera" that video-call programs read) fed the
/// rendered frames through libavdevice's v4l2 output muxer, as raw video at the capture size.
///
/// Before FFmpeg opens it, the device is checked with its own descriptor, so that each refusal is
/// one line that says what is wrong: not there, not a V4L2 device, not an output (a real camera),
/// busy, or the picture format refused. The pixel format is the first of yuv420p (I420, what
/// v4l2loopback and browsers handle best) and yuyv422 that the device accepts at the size.
/// Used by one thread (the virtual camera stage); closed after it is joined.
package final class VirtualCamera: @unchecked Sendable {
    // @unchecked: FFmpeg's V4L2 output context, written by its stage's thread only and closed after it is joined.
    package let path: String
    package let width: Int
    package let height: Int
    /// What the device was set to: yuv420p or yuyv422.
    package let pixelFormat: AVPixelFormat
    /// The device's name (v4l2loopback's `card_label`).
    package let card: String
    package private(set) var framesWritten = 0
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frameBytes: Int32
    private let scaler = FrameScaler()
    private var converted: UnsafeMutablePointer<AVFrame>?

    /// The formats tried, in order, with their V4L2 fourcc.
    package static let candidates: [(format: AVPixelFormat, fourcc: UInt32)] = [
        (AV_PIX_FMT_YUV420P, fourcc("YU12")), (AV_PIX_FMT_YUYV422, fourcc("YUYV")),
    ]

    /// Opens `path` for `width`×`height` frames.
    package init(path: String, width: Int, height: Int) throws {
        self.path = path
        self.width = width
        self.height = height
        try CaptureDevice.registerDevices(for: path)
        FFmpegLog.routeOnce()
        let probe = try VirtualCamera.openDevice(path)
        defer { close(probe) }
        card = try VirtualCamera.outputCapabilities(probe, path: path)
        let chosen = try VirtualCamera.chooseFormat(probe, path: path, width: width, height: height)
        pixelFormat = chosen.format
        frameBytes = av_image_get_buffer_size(pixelFormat, Int32(width), Int32(height), 1)
        packet = av_packet_alloc()!
        do {
            try open()
            // A driver may keep another writer's format instead of refusing ours: ask it what it has now.
            var (w, h, code) = (UInt32(0), UInt32(0), UInt32(0))
            let status = vs_v4l2_output_format(probe, -1, &w, &h, &code)
            if status == 0 && (Int(w) != width || Int(h) != height || code != chosen.fourcc) {
                throw VideoSegError.virtualCamera(
                    path: path, reason: "format refused: asked for \(width)x\(height) \(VirtualCamera.name(chosen.format)), the device keeps "
                        + "\(w)x\(h) \(VirtualCamera.fourccText(code)) (another program may be writing to it)")
            }
        } catch {
            closeDevice()
            var owned: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&owned)
            throw error
        }
    }

    deinit {
        closeDevice()
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&owned)
        av_frame_free(&converted)
    }

    /// Says now, in one line, when `path` is missing, not a V4L2 device or not an output device
    /// (what can be known before the picture size is).
    package static func check(_ path: String) throws {
        let probe = try openDevice(path)
        defer { close(probe) }
        _ = try outputCapabilities(probe, path: path)
    }

    /// The device's card name, once it is known to be a V4L2 output device.
    private static func outputCapabilities(_ descriptor: Int32, path: String) throws -> String {
        var capabilities: UInt32 = 0
        var cardName = [CChar](repeating: 0, count: 64)
        let queryStatus = vs_v4l2_capabilities(descriptor, &capabilities, &cardName, cardName.count)
        if queryStatus != 0 {
            throw VideoSegError.virtualCamera(path: path, reason: "not a V4L2 device (\(String(cString: strerror(queryStatus))))")
        }
        let card = String(decoding: cardName.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard capabilities & vs_v4l2_cap_video_output() != 0 else {
            let what = capabilities & vs_v4l2_cap_video_capture() != 0 ? "a capture device (a camera)" : "a V4L2 device without video output"
            throw VideoSegError.virtualCamera(path: path, reason: "not an output device: \(card.isEmpty ? "it" : "\"\(card)\"") is \(what); "
                + "load v4l2loopback (modprobe v4l2loopback exclusive_caps=1 card_label=VideoSeg) and name its device")
        }
        return card
    }

    private static func openDevice(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case ENOENT:
                throw VideoSegError.virtualCamera(path: path, reason: "no such device (load v4l2loopback: modprobe v4l2loopback exclusive_caps=1 card_label=VideoSeg)")
            case EBUSY:
                throw VideoSegError.virtualCamera(path: path, reason: "busy: another program holds the device")
            default:
                throw VideoSegError.virtualCamera(path: path, reason: String(cString: strerror(code)))
            }
        }
        return descriptor
    }

    /// The first candidate format the device takes as it is at `width`×`height` (VIDIOC_TRY_FMT
    /// changes nothing on the device).
    private static func chooseFormat(_ descriptor: Int32, path: String, width: Int, height: Int) throws -> (format: AVPixelFormat, fourcc: UInt32) {
        var answers: [String] = []
        for candidate in candidates {
            var (w, h, code) = (UInt32(width), UInt32(height), candidate.fourcc)
            let status = vs_v4l2_output_format(descriptor, 0, &w, &h, &code)
            if status == EBUSY { throw VideoSegError.virtualCamera(path: path, reason: "busy: another program is writing to the device") }
            if status == 0 && Int(w) == width && Int(h) == height && code == candidate.fourcc { return candidate }
            answers.append(status == 0 ? "\(name(candidate.format)) became \(w)x\(h) \(fourccText(code))" : "\(name(candidate.format)): \(String(cString: strerror(status)))")
        }
        throw VideoSegError.virtualCamera(
            path: path, reason: "format refused: the device takes neither yuv420p nor yuyv422 at \(width)x\(height) (\(answers.joined(separator: "; ")))")
    }

    /// Opens FFmpeg's v4l2 output on the device; its header sets the format (VIDIOC_S_FMT).
    private func open() throws {
        guard let muxer = av_guess_format("v4l2", nil, nil) else {
            throw VideoSegError.virtualCamera(path: path, reason: "this FFmpeg has no v4l2 output device (libavdevice)")
        }
        var created: UnsafeMutablePointer<AVFormatContext>?
        try checkFFmpeg(avformat_alloc_output_context2(&created, muxer, nil, path), path: path, operation: "opening the virtual camera")
        context = created
        guard let context, let stream = avformat_new_stream(context, nil) else {
            throw VideoSegError.virtualCamera(path: path, reason: "out of memory")
        }
        stream.pointee.codecpar.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        stream.pointee.codecpar.pointee.codec_id = AV_CODEC_ID_RAWVIDEO
        stream.pointee.codecpar.pointee.format = pixelFormat.rawValue
        stream.pointee.codecpar.pointee.width = Int32(width)
        stream.pointee.codecpar.pointee.height = Int32(height)
        stream.pointee.time_base = AVRational(num: 1, den: 1_000_000)
        let status = avformat_write_header(context, nil)
        if status < 0 {
            // FFmpeg's v4l2 output closes its descriptor only in the trailer, which a failed header
            // never gets: it stays open until the process ends, which this error makes it do soon.
            avformat_free_context(context)
            self.context = nil
            let reason = status == vs_averror(EBUSY)
                ? "busy: another program is writing to the device"
                : "format refused: the device did not accept \(width)x\(height) \(VirtualCamera.name(pixelFormat)) (\(ffmpegErrorString(status)))"
            throw VideoSegError.virtualCamera(path: path, reason: reason)
        }
    }

    /// Writes one rendered frame, converted to the device's format where it differs.
    package func write(_ frame: RenderedFrame) throws {
        guard let context else { return }
        var source = UnsafePointer(frame.frame)
        if AVPixelFormat(frame.frame.pointee.format) != pixelFormat || Int(frame.frame.pointee.width) != width
            || Int(frame.frame.pointee.height) != height
        {
            source = UnsafePointer(try convert(frame.frame))
        }
        try checkFFmpeg(av_new_packet(packet, frameBytes), path: path, operation: "writing to the virtual camera")
        defer { av_packet_unref(packet) }
        let copied = withUnsafePointer(to: source.pointee.data) { data in
            withUnsafePointer(to: source.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 4) { planes in
                    lines.withMemoryRebound(to: Int32.self, capacity: 4) { strides in
                        av_image_copy_to_buffer(packet.pointee.data, frameBytes, planes, strides, pixelFormat, Int32(width), Int32(height), 1)
                    }
                }
            }
        }
        try checkFFmpeg(copied, path: path, operation: "writing to the virtual camera")
        packet.pointee.stream_index = 0
        packet.pointee.pts = Int64(framesWritten)
        packet.pointee.dts = packet.pointee.pts
        let status = av_write_frame(context, packet)
        if status < 0 {
            throw VideoSegError.virtualCamera(path: path, reason: "write failed: \(ffmpegErrorString(status))")
        }
        framesWritten += 1
    }

    private func convert(_ source: UnsafeMutablePointer<AVFrame>) throws -> UnsafeMutablePointer<AVFrame> {
        if converted == nil {
            converted = av_frame_alloc()
            converted!.pointee.format = pixelFormat.rawValue
            converted!.pointee.width = Int32(width)
            converted!.pointee.height = Int32(height)
            try checkFFmpeg(av_frame_get_buffer(converted, 0), path: path, operation: "allocating a virtual camera frame")
        }
        try scaler.scale(source, into: converted!, width: width, height: height, format: pixelFormat, flags: SWS_BICUBIC,
                         destinationColorspace: AVCOL_SPC_BT470BG, destinationFullRange: false)
        return converted!
    }

    /// Lets the device go (the v4l2 output closes its descriptor in the trailer).
    package func closeDevice() {
        guard let context else { return }
        av_write_trailer(context)
        avformat_free_context(context)
        self.context = nil
    }

    static func fourcc(_ text: String) -> UInt32 {
        text.utf8.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func fourccText(_ code: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8((code >> (8 * $0)) & 0xFF) }, as: UTF8.self)
    }

    package static func name(_ format: AVPixelFormat) -> String {
        String(cString: av_get_pix_fmt_name(format))
    }
}
