import CFFmpeg
import Foundation
import VideoSegCore

/// Opening an input: the demuxer (a FIFO or network stream on terms a stop can end), its video
/// stream and the decoder.
extension MediaSource {
    /// The video stream of an opened input, its picture size known; errors say why there is
    /// none (text, audio only, no stream, no size).
    static func videoStream(in context: UnsafeMutablePointer<AVFormatContext>, path: String, stop: StopFlag?) throws
        -> UnsafeMutablePointer<AVStream>
    {
        // FFmpeg happily renders a .txt file as ANSI art; that is not a video anyone means.
        if let name = context.pointee.iformat?.pointee.name, String(cString: name) == "tty" {
            throw VideoSegError.notAVideo(path: path, reason: "text, not a video")
        }
        let infoStatus = avformat_find_stream_info(context, nil)
        try stop?.throwIfRaised()
        if infoStatus < 0 {
            throw VideoSegError.notAVideo(path: path, reason: ffmpegErrorString(infoStatus))
        }
        guard let stream = MediaSource.bestVideoStream(context) else {
            let hasAudio = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0) >= 0
            throw VideoSegError.notAVideo(path: path, reason: hasAudio ? "audio only, no video stream" : "no video stream")
        }
        let parameters = stream.pointee.codecpar!
        guard parameters.pointee.width > 0, parameters.pointee.height > 0 else {
            throw VideoSegError.notAVideo(path: path, reason: "video stream has no picture size")
        }
        return stream
    }

    /// Opens the input (its demuxer forced by `formatName`, with `options`); errors say whether
    /// it is a missing device, an unreadable file or not a video. A FIFO is opened on a thread of
    /// its own: open(2) waits in the kernel for a writer, where FFmpeg's interrupt callback is
    /// never asked, and a stop must not wait for it.
    static func openInput(_ path: String, formatName: String?, options: [String: String], live: Bool, stop: StopFlag?) throws
        -> UnsafeMutablePointer<AVFormatContext>
    {
        guard let stop, formatName == nil, isFIFO(path) else {
            return try openInputNow(path, formatName: formatName, options: options, live: live, stop: stop)
        }
        final class Outcome: Sendable {
            /// Set by the opening thread before it signals `done`.
            let result = Locked<Result<Handed<UnsafeMutablePointer<AVFormatContext>>, Error>?>(nil)
            let done = DispatchSemaphore(value: 0)
            let abandoned = Locked(false)
        }
        let outcome = Outcome()
        Thread {
            do {
                let context = try openInputNow(path, formatName: formatName, options: options, live: live, stop: stop)
                if outcome.abandoned.current {
                    var owned: UnsafeMutablePointer<AVFormatContext>? = context
                    avformat_close_input(&owned)
                } else {
                    outcome.result.withLock { $0 = .success(Handed(context)) }
                }
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
            }
            outcome.done.signal()
        }.start()
        while outcome.done.wait(timeout: .now() + 0.05) == .timedOut {
            if stop.isRaised {
                // The thread stays in open(2) until a writer comes (or the process ends); what it
                // opens then, it closes.
                outcome.abandoned.withLock { $0 = true }
                throw VideoSegError.stopped
            }
        }
        guard let result = outcome.result.current else { throw VideoSegError.stopped }
        return try result.get().pointer
    }

    static func isFIFO(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO
    }

    static func openInputNow(_ path: String, formatName: String?, options: [String: String], live: Bool, stop: StopFlag?) throws
        -> UnsafeMutablePointer<AVFormatContext>
    {
        // Devices (v4l2, ...) are named by format or live under /dev; files need no libavdevice.
        if formatName != nil || path.hasPrefix("/dev/") { try CaptureDevice.registerDevices(for: path) }
        var context: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
        if live { context?.pointee.flags |= AVFMT_FLAG_NONBLOCK }
        if let stop, let allocated = context {
            allocated.pointee.interrupt_callback = AVIOInterruptCB(callback: StopFlag.check, opaque: stop.cContext)
        }
        let inputFormat = formatName.flatMap { av_find_input_format($0) }
        if let formatName, inputFormat == nil {
            avformat_free_context(context)
            throw VideoSegError.deviceUnavailable(path: path, reason: "this FFmpeg has no \(formatName) input")
        }
        var dictionary: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        let openStatus = avformat_open_input(&context, path, inputFormat, &dictionary)
        av_dict_free(&dictionary)
        guard openStatus >= 0, let context else {
            // A stop interrupts the reads the demuxer makes while opening; whatever error that
            // gave, the stop is the reason.
            if stop?.isRaised == true { throw VideoSegError.stopped }
            if formatName == "v4l2" || formatName == "video4linux2" {
                let reason = openStatus == vs_averror(EINVAL) ? "not a video capture device, or it cannot capture in the requested format"
                    : ffmpegErrorString(openStatus)
                throw VideoSegError.deviceUnavailable(path: path, reason: reason)
            }
            if openStatus == vs_averror(EACCES) {
                throw VideoSegError.ffmpeg(path: path, operation: "open", code: openStatus, message: ffmpegErrorString(openStatus))
            }
            throw VideoSegError.notAVideo(path: path, reason: ffmpegErrorString(openStatus))
        }
        return context
    }

    /// An opened decoder for `stream` (the caller frees it).
    static func openDecoder(for stream: UnsafeMutablePointer<AVStream>, threads: Int, path: String) throws
        -> UnsafeMutablePointer<AVCodecContext>
    {
        let parameters = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            throw VideoSegError.notAVideo(path: path, reason: "no decoder for \(name) in this FFmpeg")
        }
        var decoderContext = avcodec_alloc_context3(codec)
        guard let context = decoderContext else {
            throw VideoSegError.ffmpeg(path: path, operation: "avcodec_alloc_context3", code: vs_averror(ENOMEM), message: "out of memory")
        }
        do {
            try checkFFmpeg(avcodec_parameters_to_context(context, parameters), path: path, operation: "decoder set-up")
            context.pointee.pkt_timebase = stream.pointee.time_base
            context.pointee.thread_count = Int32(threads)
            try checkFFmpeg(avcodec_open2(context, codec, nil), path: path, operation: "opening the \(String(cString: codec.pointee.name)) decoder")
        } catch {
            avcodec_free_context(&decoderContext)
            throw error
        }
        return context
    }

    /// The number of video frames the container declares, or its duration implies.
    static func estimatedFrameCount(_ context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>,
                                            frameRate: AVRational) -> Int?
    {
        if stream.pointee.nb_frames > 0 { return Int(stream.pointee.nb_frames) }
        guard frameRate.num > 0, frameRate.den > 0 else { return nil }
        let seconds: Double
        if stream.pointee.duration > 0 {
            seconds = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        } else if context.pointee.duration > 0 {
            seconds = Double(context.pointee.duration) / Double(vs_time_base_den())
        } else {
            seconds = 0
        }
        return seconds > 0 ? Int((seconds * av_q2d(frameRate)).rounded()) : nil
    }

    /// The first video stream that is a real picture sequence (not a cover image).
    static func bestVideoStream(_ context: UnsafeMutablePointer<AVFormatContext>) -> UnsafeMutablePointer<AVStream>? {
        let best = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        if best >= 0, let stream = context.pointee.streams[Int(best)],
           stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
        {
            return stream
        }
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let stream = context.pointee.streams[index] else { continue }
            if stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO,
               stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
            {
                return stream
            }
        }
        return nil
    }
}
