import CFFmpeg
import Foundation
import VideoSegCore

/// Opening what a sink writes into: the encoder and its video stream, the audio stream, and the
/// file with the container's header.
extension VideoSink {
    /// Opens the encoder for `format` and adds the video stream it feeds.
    func openEncoder(_ codec: UnsafePointer<AVCodec>, format: VideoFormat, settings: EncoderSettings, globalHeader: Bool) throws {
        encoder = avcodec_alloc_context3(codec)
        guard let encoder, let stream = avformat_new_stream(formatContext, nil) else {
            throw VideoSegError.writeFailed(path: path, reason: "out of memory")
        }
        videoStream = stream
        encoder.pointee.width = Int32(format.width)
        encoder.pointee.height = Int32(format.height)
        encoder.pointee.pix_fmt = pictureConverter?.pixelFormat ?? pixelFormat
        encoder.pointee.time_base = format.timeBase
        if format.frameRate.num > 0 && format.frameRate.den > 0 { encoder.pointee.framerate = format.frameRate }
        encoder.pointee.sample_aspect_ratio = format.sampleAspectRatio
        encoder.pointee.color_primaries = format.colorPrimaries
        encoder.pointee.color_trc = format.colorTransfer
        encoder.pointee.colorspace = colorspace
        encoder.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        encoder.pointee.thread_count = Int32(settings.threads)
        if globalHeader { encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        if isLive {
            // A keyframe each second starts a fragment each second: a killed process loses at
            // most that much of the recording.
            let rate = format.frameRate.num > 0 && format.frameRate.den > 0 ? av_q2d(format.frameRate) : 30
            encoder.pointee.gop_size = Int32(max(1, rate.rounded()))
        }
        // Constant quality for VP9 needs the bit rate left at zero.
        if encoderName == "libvpx-vp9" && VideoSink.hasPrivateOption(codec, "crf") { encoder.pointee.bit_rate = 0 }
        if encoderName.hasPrefix("libx264") { VideoSink.zeroAllocationsForX264() }
        var options = encoderOptions(codec, settings: settings)
        defer { av_dict_free(&options) }
        let openStatus = avcodec_open2(encoder, codec, &options)
        if openStatus < 0 {
            throw VideoSegError.ffmpeg(path: path, operation: "opening the \(encoderName) encoder", code: openStatus,
                                       message: ffmpegErrorString(openStatus))
        }
        if let leftover = av_dict_get(options, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw VideoSegError.invalidOption("\(encoderName) does not accept \(String(cString: leftover.pointee.key)) \"\(String(cString: leftover.pointee.value))\"")
        }
        try checkFFmpeg(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), path: path, operation: "encoder parameters")
        stream.pointee.time_base = encoder.pointee.time_base
        stream.pointee.avg_frame_rate = encoder.pointee.framerate
        stream.pointee.sample_aspect_ratio = format.sampleAspectRatio
        if let matrix = format.displayMatrix {
            _ = matrix.withUnsafeBufferPointer { vs_stream_set_display_matrix(stream, $0.baseAddress, $0.count) }
        }
    }

    /// The encoder's private options (the caller frees the dictionary): quality, speed, and for
    /// live recording no delay between a frame and its packet.
    func encoderOptions(_ codec: UnsafePointer<AVCodec>, settings: EncoderSettings) -> OpaquePointer? {
        var options: OpaquePointer? = nil
        if VideoSink.hasPrivateOption(codec, "crf") { av_dict_set(&options, "crf", String(settings.crf), 0) }
        if VideoSink.hasPrivateOption(codec, "preset") { av_dict_set(&options, "preset", settings.preset, 0) }
        if encoderName == "prores_ks" && pixelFormat == AV_PIX_FMT_YUVA444P10LE {
            // The alpha channel is kept by the 4444 profile only.
            av_dict_set(&options, "profile", "4444", 0)
        }
        if isLive && VideoSink.hasPrivateOption(codec, "tune") && encoderName == "libx264" {
            // Live: no B-frames or lookahead queue between a frame and its packet.
            av_dict_set(&options, "tune", "zerolatency", 0)
        }
        if encoderName == "libvpx-vp9" {
            // libvpx's defaults are tuned for quality at any cost; these keep it near real time.
            av_dict_set(&options, "deadline", "good", 0)
            av_dict_set(&options, "cpu-used", "5", 0)
            av_dict_set(&options, "row-mt", "1", 0)
        }
        return options
    }

    /// Adds an audio stream carrying `audio`'s packets as they are, or transcoded when the
    /// container cannot hold its codec, or none (with a warning) when it takes no audio at all.
    func addAudio(copying audio: UnsafeMutablePointer<AVStream>, outputFormat: UnsafePointer<AVOutputFormat>) throws {
        let containerName = String(cString: outputFormat.pointee.name)
        let codecID = audio.pointee.codecpar.pointee.codec_id
        let codecName = String(cString: avcodec_get_name(codecID))
        if avformat_query_codec(outputFormat, codecID, FF_COMPLIANCE_NORMAL) == 0 {
            let target = outputFormat.pointee.audio_codec
            if target == AV_CODEC_ID_NONE {
                warnings.append("the \(containerName) container cannot hold \(codecName) audio; the output has no audio")
            } else if let audioOut = avformat_new_stream(formatContext, nil) {
                let transcoder = try AudioTranscoder(input: audio, codecID: target, output: audioOut,
                                                     globalHeader: outputFormat.pointee.flags & AVFMT_GLOBALHEADER != 0, path: path)
                warnings.append("the \(containerName) container cannot hold \(codecName) audio; transcoded it to \(transcoder.encoderName)")
                audioTranscoder = transcoder
                audioStream = audioOut
            }
        } else if let audioOut = avformat_new_stream(formatContext, nil) {
            try checkFFmpeg(avcodec_parameters_copy(audioOut.pointee.codecpar, audio.pointee.codecpar), path: path, operation: "audio parameters")
            audioOut.pointee.codecpar.pointee.codec_tag = 0
            audioOut.pointee.time_base = audio.pointee.time_base
            audioStream = audioOut
        }
    }

    /// Opens the (temporary) file in `directory` and writes the container's header.
    func openFile(directory: String, containerName: String) throws {
        guard let context = formatContext else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VideoSegError.outputNotWritable(path: path, reason: "folder \(directory) does not exist")
        }
        var muxerOptions: OpaquePointer? = nil
        defer { av_dict_free(&muxerOptions) }
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let ioStatus = avio_open(&context.pointee.pb, temporaryPath, AVIO_FLAG_WRITE)
            if ioStatus < 0 {
                throw VideoSegError.outputNotWritable(path: path, reason: SettingMessage(ffmpegErrorString(ioStatus)))
            }
        } else {
            // The picture muxer opens a file per frame; numbered from 0 like the masks.
            av_dict_set(&muxerOptions, "start_number", "0", 0)
        }
        if isLive && ["mp4", "mov"].contains(containerName.split(separator: ",").first.map(String.init) ?? "") {
            av_dict_set(&muxerOptions, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0)
        }
        if isLive {
            // Each finished fragment (or cluster) goes to the disk at once, not when a buffer fills.
            context.pointee.flags |= AVFMT_FLAG_FLUSH_PACKETS
        }
        let headerStatus = avformat_write_header(context, &muxerOptions)
        if headerStatus < 0 {
            throw VideoSegError.writeFailed(path: path, reason: ffmpegErrorString(headerStatus))
        }
    }
}
