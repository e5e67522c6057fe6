import CFFmpeg
import Foundation
import VideoSegCore

/// What the source hands on: a decoded video frame or an untouched audio packet.
package enum SourceEvent {
    case video(DecodedFrame)
    case audio(MediaPacket)
    /// A live input has nothing ready yet (it was opened non-blocking); ask again shortly.
    case idle
}

/// Demuxes a file (or any FFmpeg input) and decodes its best video stream. Audio packets of the
/// best audio stream are passed on as they are, for copying. Not thread-safe: the source stage
/// owns it.
public final class MediaSource: @unchecked Sendable {
    // @unchecked: FFmpeg's demuxer and decoder contexts, used by one thread at a time (the source stage).
    public let path: String
    let formatContext: UnsafeMutablePointer<AVFormatContext>
    let videoStream: UnsafeMutablePointer<AVStream>
    package let decoder: UnsafeMutablePointer<AVCodecContext>
    /// The stream whose packets are copied to the output, if any.
    let audioStream: UnsafeMutablePointer<AVStream>?

    /// How the stored picture turns upright (from the display matrix).
    public let orientation: Orientation
    /// The stored size of the decoded frames.
    public let width: Int
    public let height: Int
    /// The frame rate FFmpeg guessed (may be 0/1 when unknown).
    package let frameRate: AVRational
    /// The total number of video frames, when the container says or the duration implies it.
    public let estimatedFrameCount: Int?
    /// Messages about damaged input (corrupt packets, truncation) that did not stop decoding:
    /// the first ones, and how many more there were (a badly damaged file can have one a frame).
    public var warnings: [String] {
        suppressedWarnings > 0 ? recordedWarnings + ["\(suppressedWarnings) more warnings like these"] : recordedWarnings
    }
    private var recordedWarnings: [String] = []
    private var suppressedWarnings = 0

    private func warn(_ message: String) {
        if recordedWarnings.count < 20 { recordedWarnings.append(message) } else { suppressedWarnings += 1 }
    }

    private let packet: UnsafeMutablePointer<AVPacket>
    private var draining = false
    private var finished = false
    private var lastTimestamp: Int64?
    private var defaultDuration: Int64 = 1
    /// Packet timestamps made continuous across the discontinuities a format declares
    /// (MPEG-TS), as FFmpeg's command-line tool does; see `TimestampContinuity`.
    private lazy var continuity = TimestampContinuity(enabled: (formatContext.pointee.iformat?.pointee.flags ?? 0) & AVFMT_TS_DISCONT != 0)
    /// The decoding time of the last audio packet handed on (the muxer refuses one that does not
    /// come after it), and, where the format declares discontinuities, of the last video packet
    /// decoded (see `next()`).
    private var lastAudioTimestamp: Int64?
    private var lastVideoTimestamp: Int64?

    /// Whether this is a live input: opened non-blocking, packets copied out of the device's
    /// buffers at once.
    public let isLive: Bool
    /// Counts the frames and packets handed out, for leak checks.
    private let census: ResourceCensus?
    /// Polled by FFmpeg while it waits for input (its interrupt callback holds a pointer to it).
    private let stop: StopFlag?

    /// Opens `path`; `formatName` forces a demuxer (e.g. "lavfi", "v4l2") and `options` are its
    /// options (e.g. "video_size"); `decoderThreads` 0 lets FFmpeg choose (the benchmark uses 1 to
    /// measure the decoder's CPU work alone). A `live` input is opened non-blocking, so a stop
    /// request is never stuck in a blocking read, and `next()` answers `.idle` when nothing is ready.
    /// A raised `stop` ends an open that waits for its input (a network stream, a FIFO with no
    /// writer yet) with `VideoSegError.stopped`, and a blocking read with the end of the input.
    public init(path: String, formatName: String? = nil, options: [String: String] = [:], decoderThreads: Int = 0, live: Bool = false,
                census: ResourceCensus? = nil, stop: StopFlag? = nil) throws
    {
        self.path = path
        self.isLive = live
        self.census = census
        self.stop = stop
        FFmpegLog.routeOnce()
        if formatName == nil && !path.contains(":") && !FileManager.default.fileExists(atPath: path) {
            throw VideoSegError.inputNotFound(path: path)
        }
        let context = try MediaSource.openInput(path, formatName: formatName, options: options, live: live, stop: stop)
        var cleanup: UnsafeMutablePointer<AVFormatContext>? = context
        var decoderContext: UnsafeMutablePointer<AVCodecContext>?
        var ownedPacket: UnsafeMutablePointer<AVPacket>?
        var succeeded = false
        defer {
            if !succeeded {
                avcodec_free_context(&decoderContext)
                av_packet_free(&ownedPacket)
                avformat_close_input(&cleanup)
            }
        }
        let stream = try MediaSource.videoStream(in: context, path: path, stop: stop)
        let parameters = stream.pointee.codecpar!
        let openedDecoder = try MediaSource.openDecoder(for: stream, threads: decoderThreads, path: path)
        decoderContext = openedDecoder
        ownedPacket = av_packet_alloc()
        guard let ownedPacket else {
            throw VideoSegError.ffmpeg(path: path, operation: "av_packet_alloc", code: vs_averror(ENOMEM), message: "out of memory")
        }

        let audioIndex = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, stream.pointee.index, nil, 0)
        self.formatContext = context
        self.videoStream = stream
        self.decoder = openedDecoder
        self.packet = ownedPacket
        self.audioStream = audioIndex >= 0 ? context.pointee.streams[Int(audioIndex)] : nil
        self.orientation = Orientation(displayRotation: vs_stream_rotation(stream))
        self.width = Int(parameters.pointee.width)
        self.height = Int(parameters.pointee.height)
        let guessed = av_guess_frame_rate(context, stream, nil)
        self.frameRate = guessed
        estimatedFrameCount = MediaSource.estimatedFrameCount(context, stream: stream, frameRate: guessed)
        if guessed.num > 0 && guessed.den > 0 {
            defaultDuration = max(1, av_rescale_q(1, av_inv_q(guessed), stream.pointee.time_base))
        }
        succeeded = true
    }

    deinit {
        var decoderContext: UnsafeMutablePointer<AVCodecContext>? = decoder
        avcodec_free_context(&decoderContext)
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&ownedPacket)
        var context: UnsafeMutablePointer<AVFormatContext>? = formatContext
        avformat_close_input(&context)
    }

    /// The video stream's time base; every frame's `pts` is in it.
    public var timeBase: Rational { Rational(videoStream.pointee.time_base) }
    /// The frame rate as a plain rational (0/1 when unknown).
    public var nominalFrameRate: Rational { Rational(frameRate) }

    /// Orders an audio packet against a video timestamp: negative when the packet comes first,
    /// 0 at the same time, positive after; nil when the packet carries no time.
    package func compare(_ audio: MediaPacket, toVideo videoPts: Int64) -> Int? {
        guard let time = audio.timestamp, let audioStream else { return nil }
        return Int(av_compare_ts(time, audioStream.pointee.time_base, videoPts, videoStream.pointee.time_base))
    }
    /// The decoded frames' pixel format as the stream declares it.
    public var pixelFormat: AVPixelFormat { decoder.pointee.pix_fmt }

    /// The next decoded frame or audio packet (both owned values), or nil at the end. Damage is recorded in `warnings`
    /// and skipped; only failures that make further reading impossible throw.
    package func next() throws -> SourceEvent? {
        while !finished {
            if let frame = try receiveFrame() { return .video(DecodedFrame(taking: frame, census: census)) }
            if draining {
                finished = true
                noteEarlyEnd()
                break
            }
            let status = av_read_frame(formatContext, packet)
            if status == vs_averror_eagain() { return .idle }
            if status < 0 {
                // A stop interrupts a blocking read with AVERROR_EXIT: the end the user asked for.
                if status != vs_averror_eof() && !(status == vs_averror_exit() && stop?.isRaised == true) {
                    warn("reading stopped early: \(ffmpegErrorString(status)) (input truncated?)")
                }
                draining = true
                _ = avcodec_send_packet(decoder, nil)
                continue
            }
            let index = packet.pointee.stream_index
            if index == videoStream.pointee.index {
                keepContinuous(packet, stream: videoStream, fallbackDuration: defaultDuration)
                // In MPEG-TS a stream's decoding times always increase: one that does not, after
                // `continuity`, repeats a packet already decoded (duplicated data). Decoding it again
                // would put two pictures at one time.
                if continuity.enabled && !advances(packet, after: &lastVideoTimestamp, kind: "a video") {
                    av_packet_unref(packet)
                    continue
                }
                if isLive { try copyOutOfDevice(packet) }
                let sendStatus = avcodec_send_packet(decoder, packet)
                av_packet_unref(packet)
                if sendStatus < 0 && sendStatus != vs_averror_eagain() {
                    warn("skipped a corrupt video packet: \(ffmpegErrorString(sendStatus))")
                }
            } else if let audio = audioStream, index == audio.pointee.index {
                keepContinuous(packet, stream: audio, fallbackDuration: audioPacketDuration(audio))
                // Audio is copied, not decoded, so only damage the demuxer flags is seen. Such a
                // packet is dropped: copied, it can fail the whole output (MP4's ADTS-to-ASC
                // filter refuses a broken ADTS header), while a gap of one packet plays.
                if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                    warn("dropped a corrupt audio packet at timestamp \(packet.pointee.pts) (the demuxer flagged it)")
                    av_packet_unref(packet)
                    continue
                }
                guard advances(packet, after: &lastAudioTimestamp, kind: "an audio") else {
                    av_packet_unref(packet)
                    continue
                }
                let copy = av_packet_alloc()!
                av_packet_move_ref(copy, packet)
                return .audio(MediaPacket(taking: copy, census: census))
            } else {
                av_packet_unref(packet)
            }
        }
        return nil
    }

    private func receiveFrame() throws -> UnsafeMutablePointer<AVFrame>? {
        let frame = av_frame_alloc()!
        while true {
            let status = avcodec_receive_frame(decoder, frame)
            if status == 0 {
                if frame.pointee.decode_error_flags != 0 || frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                    // The decoder concealed damage: the picture is usable, the input is not intact.
                    warn("a frame decoded with errors (corrupt input; the decoder concealed them)")
                }
                if stampTimestamp(frame) { return frame }
                av_frame_unref(frame)
                continue
            }
            if status == vs_averror_eagain() || status == vs_averror_eof() {
                var owned: UnsafeMutablePointer<AVFrame>? = frame
                av_frame_free(&owned)
                return nil
            }
            // A frame that failed to decode: note it and keep going with the next one.
            warn("skipped a frame that failed to decode: \(ffmpegErrorString(status))")
        }
    }

    /// Applies `continuity` to a packet of `stream`, logging each discontinuity it removes.
    private func keepContinuous(_ packet: UnsafeMutablePointer<AVPacket>, stream: UnsafeMutablePointer<AVStream>, fallbackDuration: Int64) {
        guard let jump = continuity.adjust(packet, timeBase: stream.pointee.time_base, fallbackDuration: fallbackDuration) else { return }
        // Declared by the format, so not damage: a note for -v, not an input warning.
        LibraryLog.logOnce(.warning, String(format: "%@: timestamp discontinuity in stream %d at %.3f s (a jump of %.3f s); later timestamps shifted to continue",
                                            path, Int(packet.pointee.stream_index), jump.seconds, jump.jumpSeconds),
                           metadata: ["component": "source"])
    }

    /// One audio packet's duration in `stream`'s time base when the packet carries none: the
    /// codec's frame size at its sample rate, else 0 (unknown).
    private func audioPacketDuration(_ stream: UnsafeMutablePointer<AVStream>) -> Int64 {
        let parameters = stream.pointee.codecpar.pointee
        guard parameters.frame_size > 0, parameters.sample_rate > 0 else { return 0 }
        return av_rescale_q(Int64(parameters.frame_size), AVRational(num: 1, den: parameters.sample_rate), stream.pointee.time_base)
    }

    /// Whether a packet's decoding time comes after `last` (then it becomes `last`). One that
    /// does not (a duplicated or overlapping packet of a damaged or spliced file) is dropped and
    /// noted: copied audio cannot be re-timed and the muxer would refuse it.
    private func advances(_ packet: UnsafeMutablePointer<AVPacket>, after last: inout Int64?, kind: String) -> Bool {
        let time = packet.pointee.dts != vs_nopts_value() ? packet.pointee.dts : packet.pointee.pts
        guard time != vs_nopts_value() else { return true }
        if let previous = last, time <= previous {
            warn("dropped \(kind) packet whose timestamp \(time) does not come after \(previous) (duplicated or overlapping data)")
            return false
        }
        last = time
        return true
    }

    /// Gives every frame a timestamp that increases: the decoder's best guess, else one frame
    /// duration after the previous frame. Returns false for a frame to drop: where the format
    /// declares discontinuities (MPEG-TS), those were removed from the packets already, so a
    /// picture that still does not come after the last one is a repeat from duplicated data (or
    /// reordering broken at a splice), dropped as FFmpeg's command-line tool drops it, rather
    /// than squeezed a tick after the last one.
    private func stampTimestamp(_ frame: UnsafeMutablePointer<AVFrame>) -> Bool {
        var pts = frame.pointee.best_effort_timestamp
        if pts == vs_nopts_value() { pts = frame.pointee.pts }
        if pts == vs_nopts_value() {
            pts = (lastTimestamp.map { $0 + defaultDuration }) ?? 0
        } else if let last = lastTimestamp, pts <= last {
            if continuity.enabled {
                warn("dropped a frame whose timestamp \(pts) does not come after \(last) (repeated or misordered data)")
                return false
            }
            warn("frame timestamp \(pts) does not increase; using \(last + 1)")
            pts = last + 1
        }
        frame.pointee.pts = pts
        lastTimestamp = pts
        return true
    }

    /// Replaces the packet's data with a private copy and releases the device's buffer: a
    /// camera's packets point into its mapped buffers, which must go back to the driver now and
    /// must not be touched after the device is closed, while later stages may still hold frames.
    private func copyOutOfDevice(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        let copy = av_packet_alloc()!
        defer {
            var owned: UnsafeMutablePointer<AVPacket>? = copy
            av_packet_free(&owned)
        }
        try checkFFmpeg(av_new_packet(copy, packet.pointee.size), path: path, operation: "copying a captured frame")
        copy.pointee.data.update(from: packet.pointee.data, count: Int(packet.pointee.size))
        try checkFFmpeg(av_packet_copy_props(copy, packet), path: path, operation: "copying a captured frame")
        copy.pointee.stream_index = packet.pointee.stream_index
        av_packet_unref(packet)
        av_packet_move_ref(packet, copy)
    }

    /// The first decoded picture as a source event (for callers that switch over events).
    func firstFrameEvent() throws -> SourceEvent {
        .video(try firstFrame())
    }

    /// The first decoded picture; audio is skipped. For single pictures and model checks.
    package func firstFrame() throws -> DecodedFrame {
        while let event = try next() {
            switch event {
            case .video(let frame):
                return frame
            case .audio:
                continue
            case .idle:
                usleep(2000)
            }
        }
        throw VideoSegError.notAVideo(path: path, reason: "no picture could be decoded")
    }

    /// A file cut short often ends in a clean EOF; the declared duration tells the difference.
    private func noteEarlyEnd() {
        guard let last = lastTimestamp else { return }
        let stream = videoStream.pointee
        var declaredEnd: Int64?
        if stream.duration > 0 {
            declaredEnd = (stream.start_time != vs_nopts_value() ? stream.start_time : 0) + stream.duration
        } else if formatContext.pointee.duration > 0 {
            let start = formatContext.pointee.start_time != vs_nopts_value() ? formatContext.pointee.start_time : 0
            declaredEnd = av_rescale_q(start + formatContext.pointee.duration, AVRational(num: 1, den: vs_time_base_den()), stream.time_base)
        }
        guard let declaredEnd else { return }
        // Allow the last frame's own duration and one more for rounding in the container.
        if last + 3 * defaultDuration < declaredEnd {
            let seen = Double(last) * av_q2d(stream.time_base), declared = Double(declaredEnd) * av_q2d(stream.time_base)
            warn(String(format: "video ends at %.2f s but the file declares %.2f s (truncated?)", seen, declared))
        }
    }

    /// One frame's duration in the stream's time base, from the frame rate.
    package var nominalFrameDuration: Int64 { defaultDuration }

    /// The picture an annotated copy of this source is encoded as: its size, timing, aspect and
    /// colour tags, and its display matrix.
    var videoFormat: VideoFormat {
        let decoder = self.decoder.pointee
        var sar = videoStream.pointee.sample_aspect_ratio
        if sar.num == 0 { sar = decoder.sample_aspect_ratio }
        if sar.num == 0 { sar = AVRational(num: 1, den: 1) }
        var size = 0
        var matrix: [UInt8]?
        if let data = vs_stream_display_matrix(videoStream, &size), size > 0 {
            matrix = Array(UnsafeBufferPointer(start: data, count: size))
        }
        let fullRange = decoder.color_range == AVCOL_RANGE_JPEG || [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P].contains(decoder.pix_fmt)
        return VideoFormat(
            width: width, height: height, timeBase: videoStream.pointee.time_base, frameRate: frameRate,
            sampleAspectRatio: sar, colorPrimaries: decoder.color_primaries, colorTransfer: decoder.color_trc,
            colorspace: decoder.colorspace, fullRange: fullRange, sourcePixelFormat: decoder.pix_fmt, displayMatrix: matrix)
    }
}
