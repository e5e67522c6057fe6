import CFFmpeg
import VideoSegCore

/// Re-encodes the source's audio for a container that cannot hold its codec (PCM into MP4, AAC
/// into WebM): decode, resample to what the encoder takes, re-frame through a FIFO to the
/// encoder's frame size, encode. Timestamps follow the samples, starting at the first decoded
/// frame's time. Used by the sink thread only.
final class AudioTranscoder {
    private let path: String
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var resampler: OpaquePointer?
    private var fifo: OpaquePointer?
    private let decoded: UnsafeMutablePointer<AVFrame>
    private let packet: UnsafeMutablePointer<AVPacket>
    private let inputTimeBase: AVRational
    private var nextPts: Int64?
    /// The encoder's name, for the warning that says what happened.
    package let encoderName: String

    /// Sets up decoding of `input` and encoding to `codecID` for `output`, whose codec
    /// parameters and time base it fills in.
    package init(input: UnsafeMutablePointer<AVStream>, codecID: AVCodecID, output: UnsafeMutablePointer<AVStream>, globalHeader: Bool, path: String) throws {
        self.path = path
        inputTimeBase = input.pointee.time_base
        decoded = av_frame_alloc()!
        packet = av_packet_alloc()!
        guard let decoderCodec = avcodec_find_decoder(input.pointee.codecpar.pointee.codec_id),
              let encoderCodec = avcodec_find_encoder(codecID)
        else {
            encoderName = String(cString: avcodec_get_name(codecID))
            throw VideoSegError.writeFailed(path: path, reason: "no audio decoder or \(encoderName) encoder in this FFmpeg")
        }
        encoderName = String(cString: encoderCodec.pointee.name)
        decoder = avcodec_alloc_context3(decoderCodec)
        try checkFFmpeg(avcodec_parameters_to_context(decoder, input.pointee.codecpar), path: path, operation: "audio decoder set-up")
        decoder!.pointee.pkt_timebase = input.pointee.time_base
        try checkFFmpeg(avcodec_open2(decoder, decoderCodec, nil), path: path, operation: "opening the audio decoder")

        encoder = avcodec_alloc_context3(encoderCodec)
        let enc = encoder!
        let inputRate = decoder!.pointee.sample_rate
        enc.pointee.sample_rate = AudioTranscoder.closestRate(inputRate, supported: encoderCodec.pointee.supported_samplerates)
        enc.pointee.sample_fmt = encoderCodec.pointee.sample_fmts?.pointee ?? AV_SAMPLE_FMT_FLTP
        var layout = AVChannelLayout()
        av_channel_layout_default(&layout, min(2, max(1, decoder!.pointee.ch_layout.nb_channels)))
        try checkFFmpeg(av_channel_layout_copy(&enc.pointee.ch_layout, &layout), path: path, operation: "audio channel layout")
        enc.pointee.bit_rate = 128_000
        enc.pointee.time_base = AVRational(num: 1, den: enc.pointee.sample_rate)
        if globalHeader { enc.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try checkFFmpeg(avcodec_open2(enc, encoderCodec, nil), path: path, operation: "opening the \(encoderName) encoder")
        try checkFFmpeg(avcodec_parameters_from_context(output.pointee.codecpar, enc), path: path, operation: "audio parameters")
        output.pointee.time_base = enc.pointee.time_base

        try checkFFmpeg(swr_alloc_set_opts2(&resampler, &enc.pointee.ch_layout, enc.pointee.sample_fmt, enc.pointee.sample_rate,
                                            &decoder!.pointee.ch_layout, decoder!.pointee.sample_fmt, inputRate, 0, nil),
                        path: path, operation: "audio resampler")
        try checkFFmpeg(swr_init(resampler), path: path, operation: "audio resampler")
        fifo = av_audio_fifo_alloc(enc.pointee.sample_fmt, enc.pointee.ch_layout.nb_channels, 1)
    }

    deinit {
        avcodec_free_context(&decoder)
        avcodec_free_context(&encoder)
        swr_free(&resampler)
        if let fifo { av_audio_fifo_free(fifo) }
        var frame: UnsafeMutablePointer<AVFrame>? = decoded
        av_frame_free(&frame)
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&owned)
    }

    private static func closestRate(_ rate: Int32, supported: UnsafePointer<Int32>?) -> Int32 {
        guard var pointer = supported else { return rate }
        var best: Int32 = 0
        while pointer.pointee != 0 {
            if pointer.pointee == rate { return rate }
            if best == 0 || abs(pointer.pointee - rate) < abs(best - rate) { best = pointer.pointee }
            pointer += 1
        }
        return best == 0 ? rate : best
    }

    /// Decodes `input` and hands every packet the encoder produces to `mux` (in the encoder's time base).
    func transcode(_ input: UnsafeMutablePointer<AVPacket>?, mux: (UnsafeMutablePointer<AVPacket>, AVRational) throws -> Void) throws {
        let status = avcodec_send_packet(decoder, input)
        if status < 0 && status != vs_averror_eof() { return }  // a damaged audio packet is skipped
        while avcodec_receive_frame(decoder, decoded) == 0 {
            if nextPts == nil {
                let pts = decoded.pointee.best_effort_timestamp != vs_nopts_value() ? decoded.pointee.best_effort_timestamp : 0
                nextPts = av_rescale_q(pts, inputTimeBase, encoder!.pointee.time_base)
            }
            try resample(decoded)
            av_frame_unref(decoded)
            try encodeFullFrames(flush: false, mux: mux)
        }
    }

    /// Drains the decoder, the resampler and the FIFO, then the encoder.
    package func finish(mux: (UnsafeMutablePointer<AVPacket>, AVRational) throws -> Void) throws {
        try transcode(nil, mux: mux)
        try resample(nil)
        try encodeFullFrames(flush: true, mux: mux)
        try drainEncoder(sending: nil, mux: mux)
    }

    private func resample(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        let capacity = swr_get_out_samples(resampler, frame?.pointee.nb_samples ?? 0)
        guard capacity > 0 else { return }
        var buffers: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?
        let enc = encoder!.pointee
        try checkFFmpeg(av_samples_alloc_array_and_samples(&buffers, nil, enc.ch_layout.nb_channels, capacity, enc.sample_fmt, 0),
                        path: path, operation: "audio buffer")
        defer {
            av_freep(buffers)
            av_freep(&buffers)
        }
        let converted: Int32
        if let frame {
            converted = frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { input in
                swr_convert(resampler, buffers, capacity, input, frame.pointee.nb_samples)
            }
        } else {
            converted = swr_convert(resampler, buffers, capacity, nil, 0)
        }
        try checkFFmpeg(converted, path: path, operation: "audio resampling")
        if converted > 0 {
            buffers!.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: 8) { planes in
                _ = av_audio_fifo_write(fifo, planes, converted)
            }
        }
    }

    private func encodeFullFrames(flush: Bool, mux: (UnsafeMutablePointer<AVPacket>, AVRational) throws -> Void) throws {
        let enc = encoder!
        let frameSize = enc.pointee.frame_size > 0 ? enc.pointee.frame_size : 1024
        while av_audio_fifo_size(fifo) >= frameSize || (flush && av_audio_fifo_size(fifo) > 0) {
            let count = min(frameSize, av_audio_fifo_size(fifo))
            var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
            defer { av_frame_free(&frame) }
            frame!.pointee.nb_samples = count
            frame!.pointee.format = enc.pointee.sample_fmt.rawValue
            frame!.pointee.sample_rate = enc.pointee.sample_rate
            try checkFFmpeg(av_channel_layout_copy(&frame!.pointee.ch_layout, &enc.pointee.ch_layout), path: path, operation: "audio frame")
            try checkFFmpeg(av_frame_get_buffer(frame, 0), path: path, operation: "audio frame")
            _ = frame!.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: 8) { planes in
                av_audio_fifo_read(fifo, planes, count)
            }
            frame!.pointee.pts = nextPts ?? 0
            nextPts = (nextPts ?? 0) + Int64(count)
            try drainEncoder(sending: frame, mux: mux)
        }
    }

    private func drainEncoder(sending frame: UnsafeMutablePointer<AVFrame>?, mux: (UnsafeMutablePointer<AVPacket>, AVRational) throws -> Void) throws {
        try checkFFmpeg(avcodec_send_frame(encoder, frame), path: path, operation: "audio encoding")
        while true {
            let status = avcodec_receive_packet(encoder, packet)
            if status == vs_averror_eagain() || status == vs_averror_eof() { return }
            try checkFFmpeg(status, path: path, operation: "audio encoding")
            try mux(packet, encoder!.pointee.time_base)
            av_packet_unref(packet)
        }
    }
}
