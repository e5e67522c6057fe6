import CFFmpeg
import Foundation

/// The picture the sink encodes: size, the source's tags, and timing.
struct VideoFormat {
    var width: Int
    var height: Int
    var timeBase: AVRational
    var frameRate: AVRational
    var sampleAspectRatio: AVRational
    var colorPrimaries: AVColorPrimaries
    var colorTransfer: AVColorTransferCharacteristic
    var colorspace: AVColorSpace
    var fullRange: Bool
    /// The 8-bit planar YUV layout the source has (4:2:0, 4:2:2 or 4:4:4).
    var sourcePixelFormat: AVPixelFormat
    /// The source's display matrix, carried over to containers that keep it.
    var displayMatrix: [UInt8]?
    /// A pixel format to encode in instead of the YUV layout chosen from the source (gray8 masks).
    var forcedPixelFormat: AVPixelFormat? = nil
}

/// Encodes annotated frames and muxes them, with copied audio packets, into a file written under
/// a temporary name and renamed into place when finalised. Not thread-safe: the sink stage owns it.
final class VideoSink: @unchecked Sendable {
    // @unchecked: written by the sink stage thread; finished or abandoned after it is joined.
    let path: String
    let temporaryPath: String
    /// The encoded picture size.
    let width: Int
    let height: Int
    /// The pixel format frames must be in (8-bit planar YUV).
    let pixelFormat: AVPixelFormat
    /// The colour matrix and range the encoder is told about.
    let colorspace: AVColorSpace
    let fullRange: Bool
    /// Non-fatal notes, e.g. audio that the container cannot hold.
    private(set) var warnings: [String] = []
    private(set) var framesWritten = 0
    private(set) var encoderName: String

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var videoStream: UnsafeMutablePointer<AVStream>!
    private var audioStream: UnsafeMutablePointer<AVStream>?
    private var audioTranscoder: AudioTranscoder?
    private let audioInputTimeBase: AVRational
    private let packet: UnsafeMutablePointer<AVPacket>
    private var finished = false
    private let isLive: Bool
    /// Held on the temporary file while this sink writes it (see `RunLock`).
    private var lock: RunLock?
    /// Set when the output is a numbered picture per frame: the hidden folder they go to, and
    /// the conversion from the drawn YUV frames to the RGB(A) pictures.
    private var sequence: PictureSequenceFolder?
    private var pictureConverter: PictureFrameConverter?

    /// The container's usual encoder for each extension.
    static let defaultEncoders: [String: String] = [
        "mp4": "libx264", "m4v": "libx264", "mov": "libx264", "mkv": "libx264", "avi": "libx264", "webm": "libvpx-vp9",
    ]

    /// `live`: written in place as it goes, as fragmented MP4 where the container is MP4/MOV, so
    /// a process that is killed still leaves a playable recording (no temporary name to rename).
    init(path: String, format: VideoFormat, settings: EncoderSettings, audio: UnsafeMutablePointer<AVStream>?, live: Bool = false) throws {
        self.path = path
        self.isLive = live
        LibraryLog.routeLibraries()
        width = format.width
        height = format.height
        let url = URL(fileURLWithPath: path)
        let sequencePath = PictureSequencePath(path)
        if let sequencePath {
            temporaryPath = "\(sequencePath.temporaryFolder)/\(sequencePath.pattern)"
        } else {
            temporaryPath = live ? path : url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).videoseg-partial").path
        }
        guard let outputFormat = sequencePath == nil ? av_guess_format(nil, path, nil) : av_guess_format("image2", nil, nil) else {
            throw VideoSegError.outputNotWritable(path: path, reason: "no container known for the extension \".\(url.pathExtension)\"")
        }
        let containerName = String(cString: outputFormat.pointee.name)
        let encoderCodec = try sequencePath.map { _ in try VideoSink.pictureEncoder(settings.codec) }
            ?? VideoSink.findEncoder(settings.codec, path: path, outputFormat: outputFormat, alpha: settings.alpha)
        encoderName = String(cString: encoderCodec.pointee.name)
        if avformat_query_codec(outputFormat, encoderCodec.pointee.id, FF_COMPLIANCE_NORMAL) == 0 {
            throw VideoSegError.codecNotSupportedByContainer(codec: encoderName, container: containerName, path: path)
        }
        if sequencePath != nil {
            // Drawn in full-resolution YUV like every output, then converted to RGB(A) pictures.
            pixelFormat = settings.alpha ? AV_PIX_FMT_YUVA444P : AV_PIX_FMT_YUV444P
        } else if settings.alpha {
            pixelFormat = try VideoSink.alphaPixelFormat(for: encoderCodec, format: format, path: path)
        } else if let requested = settings.pixelFormat {
            pixelFormat = try VideoSink.requestedPixelFormat(requested, codec: encoderCodec, format: format)
        } else {
            pixelFormat = try format.forcedPixelFormat ?? VideoSink.pixelFormat(for: encoderCodec, format: format, path: path)
        }
        let rgbSource = av_pix_fmt_desc_get(format.sourcePixelFormat).map { $0.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0 } ?? false
        colorspace = rgbSource || format.colorspace == AVCOL_SPC_RGB ? AVCOL_SPC_BT470BG : format.colorspace
        fullRange = rgbSource ? false : format.fullRange

        var context: UnsafeMutablePointer<AVFormatContext>?
        try checkFFmpeg(avformat_alloc_output_context2(&context, outputFormat, nil, temporaryPath), path: path, operation: "creating the output")
        formatContext = context
        packet = av_packet_alloc()!
        audioInputTimeBase = audio?.pointee.time_base ?? AVRational(num: 1, den: 1)
        if let sequencePath {
            do {
                let folder = try PictureSequenceFolder(sequencePath, output: path)
                warnings += folder.warnings
                sequence = folder
                pictureConverter = try PictureFrameConverter(width: width, height: height, alpha: settings.alpha, path: path)
            } catch {
                avformat_free_context(context)
                formatContext = nil
                sequence?.discard()
                throw error
            }
        } else if !live && FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path) {
            do {
                let held = try RunLock(path: temporaryPath, output: path)
                if held.foundStale { warnings.append("replaced \(temporaryPath), left by a run that was killed") }
                lock = held
            } catch {
                // Another run's file: release only what is ours, remove nothing.
                avformat_free_context(context)
                formatContext = nil
                throw error
            }
        }
        var ownsResources = true
        defer { if ownsResources { releaseAll(removeFile: true) } }

        try openEncoder(encoderCodec, format: format, settings: settings,
                        globalHeader: outputFormat.pointee.flags & AVFMT_GLOBALHEADER != 0)
        if audio != nil && sequence != nil {
            warnings.append("a picture sequence holds no audio; the audio is dropped")
        } else if let audio {
            try addAudio(copying: audio, outputFormat: outputFormat)
        }
        try openFile(directory: sequencePath?.temporaryFolder ?? url.deletingLastPathComponent().path, containerName: containerName)
        ownsResources = false
    }

    /// Opens the encoder for `format` and adds the video stream it feeds.
    private func openEncoder(_ codec: UnsafePointer<AVCodec>, format: VideoFormat, settings: EncoderSettings, globalHeader: Bool) throws {
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
    private func encoderOptions(_ codec: UnsafePointer<AVCodec>, settings: EncoderSettings) -> OpaquePointer? {
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
    private func addAudio(copying audio: UnsafeMutablePointer<AVStream>, outputFormat: UnsafePointer<AVOutputFormat>) throws {
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
    private func openFile(directory: String, containerName: String) throws {
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
                throw VideoSegError.outputNotWritable(path: path, reason: ffmpegErrorString(ioStatus))
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

    deinit {
        releaseAll(removeFile: !finished)
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&ownedPacket)
    }

    /// The encoders that carry alpha, by extension: what `--style cutout` writes.
    static let alphaEncoders: [String: String] = ["webm": "libvpx-vp9", "mov": "prores_ks", "mkv": "ffv1"]

    /// The one-line reason an output cannot hold a cut-out.
    static let alphaFormats = "write .webm (VP9 with alpha), .mov (ProRes 4444), .mkv (FFV1) or PNG pictures (DIR/%06d.png)"

    /// The encoder of a picture sequence: PNG, which keeps alpha losslessly.
    private static func pictureEncoder(_ name: String?) throws -> UnsafePointer<AVCodec> {
        if let name, name != "png" {
            throw VideoSegError.invalidOption("--codec \(name): a picture sequence is written as PNG")
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

    private static func hasPrivateOption(_ codec: UnsafePointer<AVCodec>, _ name: String) -> Bool {
        guard let privateClass = codec.pointee.priv_class else { return false }
        var classPointer: UnsafePointer<AVClass>? = privateClass
        return withUnsafeMutablePointer(to: &classPointer) { pointer in
            av_opt_find(UnsafeMutableRawPointer(pointer), name, nil, 0, AV_OPT_SEARCH_FAKE_OBJ) != nil
        }
    }

    /// The 8-bit planar YUV format to encode: the source's chroma layout where the encoder takes
    /// it, 4:4:4 for odd sizes (4:2:0 cannot represent them without a crop), else 4:2:0.
    private static func pixelFormat(for codec: UnsafePointer<AVCodec>, format: VideoFormat, path: String) throws -> AVPixelFormat {
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
        throw VideoSegError.invalidOption("\(path): \(String(cString: codec.pointee.name)) cannot encode \(format.width)x\(format.height) as 8-bit planar YUV; choose another --codec")
    }

    /// A planar YUV format with alpha that `codec` takes: 4:2:0 where the size allows it, else
    /// 4:4:4 (ProRes 4444 has only yuva444p10le).
    private static func alphaPixelFormat(for codec: UnsafePointer<AVCodec>, format: VideoFormat, path: String) throws -> AVPixelFormat {
        let even = format.width % 2 == 0 && format.height % 2 == 0
        let preferred = (even ? [AV_PIX_FMT_YUVA420P] : []) + [AV_PIX_FMT_YUVA444P, AV_PIX_FMT_YUVA444P10LE]
        let accepted = supportedFormats(codec)
        if let chosen = preferred.first(where: { accepted.contains($0) }) { return chosen }
        throw VideoSegError.outputNotWritable(
            path: path, reason: "\(String(cString: codec.pointee.name)) cannot encode the alpha channel a cut-out needs: \(alphaFormats)")
    }

    /// A `--pixel-format` the overlay can draw on (planar YUV, three planes, up to 16 bits, native
    /// little-endian) and the encoder takes.
    private static func requestedPixelFormat(_ name: String, codec: UnsafePointer<AVCodec>, format: VideoFormat) throws -> AVPixelFormat {
        let pixelFormat = av_get_pix_fmt(name)
        let codecName = String(cString: codec.pointee.name)
        guard pixelFormat != AV_PIX_FMT_NONE, let descriptor = av_pix_fmt_desc_get(pixelFormat) else {
            throw VideoSegError.invalidOption("--pixel-format: unknown pixel format \"\(name)\"")
        }
        let flags = descriptor.pointee.flags
        let depth = Int(descriptor.pointee.comp.0.depth)
        guard flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0, flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0,
              flags & UInt64(AV_PIX_FMT_FLAG_BE) == 0, descriptor.pointee.nb_components == 3, depth <= 16
        else {
            throw VideoSegError.invalidOption("--pixel-format: \(name) is not a planar YUV format the overlay can draw on (e.g. yuv420p, yuv444p, yuv420p10le)")
        }
        let accepted = supportedFormats(codec)
        guard accepted.isEmpty || accepted.contains(pixelFormat) else {
            throw VideoSegError.invalidOption("--pixel-format: \(codecName) cannot encode \(name)")
        }
        if descriptor.pointee.log2_chroma_w > 0 && format.width % 2 == 1 || descriptor.pointee.log2_chroma_h > 0 && format.height % 2 == 1 {
            throw VideoSegError.invalidOption("--pixel-format: \(name) cannot hold \(format.width)x\(format.height) without a crop; use a 4:4:4 format")
        }
        return pixelFormat
    }

    private static func supportedFormats(_ codec: UnsafePointer<AVCodec>) -> [AVPixelFormat] {
        guard var pointer = codec.pointee.pix_fmts else { return [] }
        var result: [AVPixelFormat] = []
        while pointer.pointee != AV_PIX_FMT_NONE {
            result.append(pointer.pointee)
            pointer += 1
        }
        return result
    }

    /// Encodes one rendered frame (in `pixelFormat`, with its source `pts`).
    func write(frame: RenderedFrame) throws {
        guard let sequence, let pictureConverter else {
            try write(avFrame: frame.frame)
            return
        }
        try write(avFrame: try pictureConverter.convert(frame.frame))
        try sequence.record(index: framesWritten - 1, pts: frame.frame.pointee.pts, timeBase: Rational(encoder!.pointee.time_base))
    }

    /// Encodes one frame already in `pixelFormat` (the mask video's gray frames).
    func write(avFrame frame: UnsafeMutablePointer<AVFrame>) throws {
        try send(frame)
        framesWritten += 1
    }

    /// Muxes one copied audio packet; dropped when the container could not take the audio.
    func write(audio packet: MediaPacket) throws {
        let audio = packet.packet
        guard let audioStream else { return }
        if let audioTranscoder {
            try audioTranscoder.transcode(audio) { try muxAudio($0, from: $1) }
            return
        }
        audio.pointee.stream_index = audioStream.pointee.index
        audio.pointee.pos = -1
        av_packet_rescale_ts(audio, audioInputTimeBase, audioStream.pointee.time_base)
        try mux(audio)
    }

    private func muxAudio(_ packet: UnsafeMutablePointer<AVPacket>, from timeBase: AVRational) throws {
        packet.pointee.stream_index = audioStream!.pointee.index
        av_packet_rescale_ts(packet, timeBase, audioStream!.pointee.time_base)
        try mux(packet)
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let encoder else { return }
        try checkFFmpeg(avcodec_send_frame(encoder, frame), path: path, operation: "encoding")
        while true {
            let status = avcodec_receive_packet(encoder, packet)
            if status == vs_averror_eagain() || status == vs_averror_eof() { return }
            try checkFFmpeg(status, path: path, operation: "encoding")
            packet.pointee.stream_index = videoStream.pointee.index
            av_packet_rescale_ts(packet, encoder.pointee.time_base, videoStream.pointee.time_base)
            try mux(packet)
        }
    }

    private func mux(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        let status = av_interleaved_write_frame(formatContext, packet)
        if status < 0 {
            throw VideoSegError.writeFailed(path: path, reason: ffmpegErrorString(status))
        }
    }

    /// Flushes the encoder, writes the trailer and renames the file into place. When that
    /// fails the partial file is removed and the error thrown.
    func finish() throws {
        do {
            try audioTranscoder?.finish { try muxAudio($0, from: $1) }
            audioTranscoder = nil
            try send(nil)
            let trailer = av_write_trailer(formatContext)
            if trailer < 0 { throw VideoSegError.writeFailed(path: path, reason: ffmpegErrorString(trailer)) }
            if let io = formatContext?.pointee.pb, io.pointee.error < 0 {
                throw VideoSegError.writeFailed(path: path, reason: ffmpegErrorString(io.pointee.error))
            }
            let closeStatus = avio_closep(&formatContext!.pointee.pb)
            if closeStatus < 0 { throw VideoSegError.writeFailed(path: path, reason: ffmpegErrorString(closeStatus)) }
            if let sequence {
                try sequence.publish()
                self.sequence = nil
            } else if temporaryPath != path && rename(temporaryPath, path) != 0 {
                throw VideoSegError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            lock?.release()
            finished = true
            releaseAll(removeFile: false)
        } catch {
            releaseAll(removeFile: true)
            throw error
        }
    }

    /// Gives up: releases everything and removes the partial file.
    func abandon() {
        releaseAll(removeFile: true)
    }

    private func releaseAll(removeFile: Bool) {
        audioTranscoder = nil
        if removeFile { sequence?.discard() }
        sequence = nil
        avcodec_free_context(&encoder)
        if let context = formatContext {
            if context.pointee.pb != nil { avio_closep(&formatContext!.pointee.pb) }
            avformat_free_context(context)
            formatContext = nil
            // A live recording is written in place as fragments: what reached the disk plays, so
            // it is kept; anything else unfinished is removed.
            if removeFile && !(isLive && framesWritten > 0) { unlink(temporaryPath) }
        }
        if removeFile && !isLive {
            // The lock's file is the temporary file: gone with it (or never written to at all).
            if formatContext == nil && lock != nil { unlink(temporaryPath) }
            lock?.release()
        }
    }

    /// Opens a sink for an annotated copy of `source`: its picture format, and its audio when
    /// `copyAudio` is set and it has any. `writesInPlace`: see `init`'s `live`.
    convenience init(path: String, copying source: MediaSource, settings: EncoderSettings, copyAudio: Bool, writesInPlace: Bool) throws {
        try self.init(path: path, format: source.videoFormat, settings: settings, audio: copyAudio ? source.audioStream : nil,
                      live: writesInPlace)
    }

    /// What the render stage draws into for this sink: its size, pixel format and colours.
    var renderTarget: RenderTarget {
        RenderTarget(width: width, height: height, pixelFormat: pixelFormat, colorspace: colorspace, fullRange: fullRange, path: path)
    }

    /// The layout of the frames this sink takes, for drawing on them.
    var frameLayout: FrameLayout { renderTarget.frameLayout }

    /// A converter from decoded frames to frames this sink takes, drawing from its own pool.
    func makeFrameConverter(census: ResourceCensus?) -> FrameConverter {
        renderTarget.makeFrameConverter(census: census)
    }
}

/// The shape of the frames a sink takes: size, sample depth, chroma subsampling and colour
/// matrix; what the overlay needs to draw on them without knowing FFmpeg's pixel formats.
public struct FrameLayout: Sendable {
    public var width: Int
    public var height: Int
    /// Bits per sample (8, or up to 16).
    public var bitDepth: Int
    /// Whether the frames have a fourth plane, alpha, at full size and the same depth.
    public var hasAlpha: Bool
    /// log2 of the chroma planes' horizontal and vertical subsampling (1, 1 for 4:2:0).
    public var log2ChromaWidth: Int
    public var log2ChromaHeight: Int
    /// The colour matrix and range colours are converted with.
    public var matrix: YUVMatrix
}
