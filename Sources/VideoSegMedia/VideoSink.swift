import CFFmpeg
import Foundation
import VideoSegCore

/// Encodes annotated frames and muxes them, with copied audio packets, into a file written under
/// a temporary name and renamed into place when finalised. Not thread-safe: the sink stage owns it.
package final class VideoSink: @unchecked Sendable {
    // @unchecked: FFmpeg's muxer and encoder contexts, written by the encode stage's thread, finished after it is joined.
    package let path: String
    let temporaryPath: String
    /// The encoded picture size.
    package let width: Int
    package let height: Int
    /// The pixel format frames must be in (8-bit planar YUV).
    package let pixelFormat: AVPixelFormat
    /// The colour matrix and range the encoder is told about.
    let colorspace: AVColorSpace
    package let fullRange: Bool
    /// Non-fatal notes, e.g. audio that the container cannot hold.
    package internal(set) var warnings: [String] = []
    package private(set) var framesWritten = 0
    package private(set) var encoderName: String

    var formatContext: UnsafeMutablePointer<AVFormatContext>?
    var encoder: UnsafeMutablePointer<AVCodecContext>?
    var videoStream: UnsafeMutablePointer<AVStream>!
    var audioStream: UnsafeMutablePointer<AVStream>?
    var audioTranscoder: AudioTranscoder?
    private let audioInputTimeBase: AVRational
    private let packet: UnsafeMutablePointer<AVPacket>
    private var finished = false
    private var flushed = false
    let isLive: Bool
    /// Held on the temporary file while this sink writes it (see `RunLock`).
    private var lock: RunLock?
    /// Set when the output is a numbered picture per frame: the hidden folder they go to, and
    /// the conversion from the drawn YUV frames to the RGB(A) pictures.
    var sequence: PictureSequenceFolder?
    var pictureConverter: PictureFrameConverter?

    /// `live`: written in place as it goes, as fragmented MP4 where the container is MP4/MOV, so
    /// a process that is killed still leaves a playable recording (no temporary name to rename).
    package init(path: String, format: VideoFormat, settings: EncoderSettings, audio: UnsafeMutablePointer<AVStream>?, live: Bool = false) throws {
        self.path = path
        self.isLive = live
        FFmpegLog.routeOnce()
        width = format.width
        height = format.height
        let url = URL(fileURLWithPath: path)
        let sequencePath = PictureSequencePath(path)
        temporaryPath = VideoSink.temporaryPath(for: path, sequence: sequencePath, live: live)
        let outputFormat = try VideoSink.container(for: path, sequence: sequencePath)
        let containerName = String(cString: outputFormat.pointee.name)
        let encoderCodec = try sequencePath.map { _ in try VideoSink.pictureEncoder(settings.codec) }
            ?? VideoSink.findEncoder(settings.codec, path: path, outputFormat: outputFormat, alpha: settings.alpha)
        encoderName = String(cString: encoderCodec.pointee.name)
        if avformat_query_codec(outputFormat, encoderCodec.pointee.id, FF_COMPLIANCE_NORMAL) == 0 {
            throw VideoSegError.codecNotSupportedByContainer(codec: encoderName, container: containerName, path: path)
        }
        pixelFormat = try VideoSink.drawingPixelFormat(encoderCodec, format: format, settings: settings, sequence: sequencePath != nil, path: path)
        let rgbSource = av_pix_fmt_desc_get(format.sourcePixelFormat).map { $0.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0 } ?? false
        colorspace = rgbSource || format.colorspace == AVCOL_SPC_RGB ? AVCOL_SPC_BT470BG : format.colorspace
        fullRange = rgbSource ? false : format.fullRange

        var context: UnsafeMutablePointer<AVFormatContext>?
        try checkFFmpeg(avformat_alloc_output_context2(&context, outputFormat, nil, temporaryPath), path: path, operation: "creating the output")
        formatContext = context
        packet = av_packet_alloc()!
        audioInputTimeBase = audio?.pointee.time_base ?? AVRational(num: 1, den: 1)
        do {
            try claimDestination(sequencePath, alpha: settings.alpha, folder: url.deletingLastPathComponent().path)
        } catch {
            avformat_free_context(context)
            formatContext = nil
            throw error
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

    deinit {
        releaseAll(removeFile: !finished)
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&ownedPacket)
    }

    /// Where the file is written while the sink works: a hidden name beside `path`, the picture
    /// sequence's hidden folder, or `path` itself for a live recording (see `init`).
    private static func temporaryPath(for path: String, sequence: PictureSequencePath?, live: Bool) -> String {
        if let sequence { return "\(sequence.temporaryFolder)/\(sequence.pattern)" }
        if live { return path }
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).videoseg-partial").path
    }

    /// The muxer for `path`: by its extension, or FFmpeg's picture muxer for a sequence.
    private static func container(for path: String, sequence: PictureSequencePath?) throws -> UnsafePointer<AVOutputFormat> {
        guard let outputFormat = sequence == nil ? av_guess_format(nil, path, nil) : av_guess_format("image2", nil, nil) else {
            let url = URL(fileURLWithPath: path)
            throw VideoSegError.outputNotWritable(path: path, reason: "no container known for the extension \".\(url.pathExtension)\"")
        }
        return outputFormat
    }

    /// Takes the place the output is written to before anything goes there: the picture
    /// sequence's hidden folder, or the lock on the temporary file (another run's file is left
    /// alone and refused).
    private func claimDestination(_ sequencePath: PictureSequencePath?, alpha: Bool, folder: String) throws {
        if let sequencePath {
            do {
                let folder = try PictureSequenceFolder(sequencePath, output: path)
                warnings += folder.warnings
                sequence = folder
                pictureConverter = try PictureFrameConverter(width: width, height: height, alpha: alpha, path: path)
            } catch {
                sequence?.discard()
                sequence = nil
                throw error
            }
        } else if !isLive && FileManager.default.fileExists(atPath: folder) {
            let held = try RunLock(path: temporaryPath, output: path)
            if held.foundStale { warnings.append("replaced \(temporaryPath), left by a run that was killed") }
            lock = held
        }
    }

    /// Encodes one rendered frame (in `pixelFormat`, with its source `pts`).
    package func write(frame: RenderedFrame) throws {
        guard let sequence, let pictureConverter else {
            try write(avFrame: frame.frame)
            return
        }
        try write(avFrame: try pictureConverter.convert(frame.frame))
        try sequence.record(index: framesWritten - 1, pts: frame.frame.pointee.pts, timeBase: Rational(encoder!.pointee.time_base))
    }

    /// Encodes one frame already in `pixelFormat` (the mask video's gray frames).
    package func write(avFrame frame: UnsafeMutablePointer<AVFrame>) throws {
        try send(frame)
        framesWritten += 1
    }

    /// Muxes one copied audio packet; dropped when the container could not take the audio.
    package func write(audio packet: MediaPacket) throws {
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

    /// Encodes and muxes what the encoders still hold (the video encoder's look-ahead frames,
    /// the audio transcoder's last samples); `finish` does it when nobody did before. When that
    /// fails the partial file is removed and the error thrown.
    package func flush() throws {
        guard !flushed else { return }
        flushed = true
        do {
            try audioTranscoder?.finish { try muxAudio($0, from: $1) }
            audioTranscoder = nil
            try send(nil)
        } catch {
            releaseAll(removeFile: true)
            throw error
        }
    }

    /// Flushes the encoder (see `flush`), writes the trailer and renames the file into place.
    /// When that fails the partial file is removed and the error thrown.
    package func finish() throws {
        try flush()
        do {
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
    package func abandon() {
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
    package convenience init(path: String, copying source: MediaSource, settings: EncoderSettings, copyAudio: Bool, writesInPlace: Bool) throws {
        try self.init(path: path, format: source.videoFormat, settings: settings, audio: copyAudio ? source.audioStream : nil,
                      live: writesInPlace)
    }

    /// What the render stage draws into for this sink: its size, pixel format and colours.
    package var renderTarget: RenderTarget {
        RenderTarget(width: width, height: height, pixelFormat: pixelFormat, colorspace: colorspace, fullRange: fullRange, path: path)
    }

    /// The layout of the frames this sink takes, for drawing on them.
    package var frameLayout: FrameLayout { renderTarget.frameLayout }

    /// A converter from decoded frames to frames this sink takes, drawing from its own pool.
    package func makeFrameConverter(census: ResourceCensus?) -> FrameConverter {
        renderTarget.makeFrameConverter(census: census)
    }
}
