import CFFmpeg
import Foundation
import Testing

@testable import VideoSegMedia

/// The annotated video's writer, in-process: lavfi pictures (and a sine tone) in, a file out that
/// FFmpeg reads back with every frame, the source's size, and the audio transcoded to fit.
@Suite struct VideoSinkTests {
    /// Ten 64×48 frames at 10 fps; with `audio`, one second of a 440 Hz tone (PCM, which MP4
    /// cannot carry as it is: the sink transcodes it).
    func source(audio: Bool) throws -> MediaSource {
        let video = "testsrc2=size=64x48:rate=10:duration=1"
        let graph = audio ? "\(video)[out0];sine=frequency=440:sample_rate=48000:duration=1[out1]" : video
        return try MediaSource(path: graph, formatName: "lavfi")
    }

    /// Copies `source` through a sink into `path`; returns the sink once finished.
    func copy(_ source: MediaSource, to path: String, audio: Bool) throws -> VideoSink {
        let sink = try VideoSink(path: path, copying: source, settings: EncoderSettings(), copyAudio: audio, writesInPlace: false)
        let converter = sink.makeFrameConverter(census: nil)
        while let event = try source.next() {
            switch event {
            case .video(let frame): try sink.write(frame: try converter.convert(frame))
            case .audio(let packet): try sink.write(audio: packet)
            case .idle: continue
            }
        }
        try sink.finish()
        return sink
    }

    /// Video frames and audio packets in the file at `path`.
    func count(_ path: String) throws -> (video: Int, audio: Int, width: Int, height: Int, hasAudio: Bool) {
        let file = try MediaSource(path: path)
        var video = 0, audio = 0
        while let event = try file.next() {
            switch event {
            case .video: video += 1
            case .audio: audio += 1
            case .idle: continue
            }
        }
        return (video, audio, file.width, file.height, file.audioStream != nil)
    }

    @Test func everyFrameReachesAPlayableFileOfTheSourcesSize() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("out.mp4")
        let sink = try copy(try source(audio: false), to: path, audio: false)
        #expect(sink.framesWritten == 10)
        let written = try count(path)
        #expect(written.video == 10 && written.width == 64 && written.height == 48)
        #expect(!written.hasAudio && written.audio == 0)
        // Only the finished file: the temporary one it was written as is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["out.mp4"])
    }

    @Test func audioTheContainerCannotCarryIsTranscoded() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("out.mp4")
        _ = try copy(try source(audio: true), to: path, audio: true)
        let written = try count(path)
        #expect(written.video == 10 && written.hasAudio)
        // One second at 48 kHz in AAC frames of 1024 samples: about 47 packets.
        #expect(written.audio >= 45 && written.audio <= 50)
        let file = try MediaSource(path: path)
        let codec = try #require(file.audioStream).pointee.codecpar.pointee.codec_id
        #expect(codec == AV_CODEC_ID_AAC)
    }

    @Test func anAbandonedSinkLeavesNothingBehind() throws {
        let folder = try TemporaryDirectory()
        let source = try source(audio: false)
        let sink = try VideoSink(path: folder.path("out.mp4"), copying: source, settings: EncoderSettings(), copyAudio: false,
                                 writesInPlace: false)
        sink.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
    }
}
