import Foundation
import Testing

extension EndToEnd {
    /// Ctrl-C and SIGTERM stop cleanly and leave a playable output of what was done.
    @Suite struct Interrupt {
        @Test(arguments: [SIGINT, SIGTERM])
        func stopLeavesAPlayableTrimmedOutput(signal: Int32) throws {
            let scratch = try Scratch()
            let input = scratch.path("long.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000",
                        "-frames:v", "3000", "-t", "120", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", input])
            let output = scratch.path("out.mp4")
            let (run, signalled, _) = try videosegInterrupted(
                ["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1", "--progress", "bar"],
                signal: signal, after: "progress:")
            try #require(signalled, "no progress line was printed: \(run.stderr)")
            #expect(run.status == 130, "\(run.stderr)")
            #expect(run.stderr.contains("stopping"))
            let frames = try Probe.decodedFrameCount(output)
            #expect(frames > 0 && frames < 3000)
            #expect(run.stderr.contains("\(frames) frames"), "\(run.stderr)")
            #expect(scratch.contents() == ["long.mp4", "channels.pt", "out.mp4"].sorted())
            // Audio ends with the video (within one audio packet).
            let lastVideo = try #require(try Probe.frameTimes(output).last)
            let lastAudio = try #require(try Probe.packets(output, stream: "a").compactMap(\.ptsTime).max())
            #expect(lastAudio < lastVideo + 0.04 + 1024.0 / 48000)
        }
    }
}
