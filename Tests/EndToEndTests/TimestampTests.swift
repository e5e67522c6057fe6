import Foundation
import Testing

@testable import VideoSeg

extension EndToEnd {
    /// Frames keep their timestamps, audio is copied packet for packet.
    @Suite struct Timestamps {
        @Test func cfrKeepsEveryFrameTimestampAndAudioPacket() throws {
            let scratch = try Scratch()
            let input = scratch.path("cfr.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1.2", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                        "-frames:v", "30", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", input])
            let model = try makeChannelModel(in: scratch)
            let output = scratch.path("out.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", model, "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")

            let inputTimes = try Probe.frameTimes(input)
            let outputTimes = try Probe.frameTimes(output)
            #expect(inputTimes.count == 30)
            #expect(outputTimes.count == inputTimes.count)
            for (a, b) in zip(inputTimes, outputTimes) { #expect(abs(a - b) < 1e-6) }

            let inputAudio = try Probe.packets(input, stream: "a", hashes: true)
            let outputAudio = try Probe.packets(output, stream: "a", hashes: true)
            #expect(!inputAudio.isEmpty)
            #expect(outputAudio.count == inputAudio.count)
            #expect(outputAudio.map(\.hash) == inputAudio.map(\.hash))
            for (a, b) in zip(inputAudio, outputAudio) {
                #expect(abs((a.ptsTime ?? -1) - (b.ptsTime ?? -2)) < 1e-6)
            }
            #expect(run.stderr.contains("30 frames"))
        }

        @Test func vfrTimestampsSurvive() throws {
            let scratch = try Scratch()
            let input = scratch.path("vfr.mkv")
            // Irregular gaps: 53, 53, 14, 53, 53, 14 ... milliseconds.
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "24",
                        "-vf", "settb=1/1000,setpts='(N*40+mod(N\\,3)*13)/1000/TB'", "-fps_mode", "passthrough",
                        "-enc_time_base:v", "1/1000", "-c:v", "ffv1", input])
            let inputTimes = try Probe.frameTimes(input)
            try #require(inputTimes.count == 24)
            try #require(Set(zip(inputTimes.dropFirst(), inputTimes).map { (($0 - $1) * 1000).rounded() }).count > 1, "input must be VFR")
            let model = try makeChannelModel(in: scratch)
            for name in ["out.mkv", "out.mp4"] {
                let output = scratch.path(name)
                let run = try videoseg(["segment", input, "-o", output, "--model", model, "--threads", "1"])
                #expect(run.status == 0, "\(run.stderr)")
                let outputTimes = try Probe.frameTimes(output)
                #expect(outputTimes.count == inputTimes.count)
                for (a, b) in zip(inputTimes, outputTimes) { #expect(abs(a - b) < 0.0005, "\(name): \(a) vs \(b)") }
            }
        }

        @Test func maxFramesTrimsVideoAndAudio() throws {
            let scratch = try Scratch()
            let input = scratch.path("long.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000",
                        "-frames:v", "50", "-t", "2", "-c:v", "libx264", "-c:a", "libopus", input])
            let model = try makeChannelModel(in: scratch)
            let output = scratch.path("cut.mkv")
            let run = try videoseg(["segment", input, "-o", output, "--model", model, "--max-frames", "10", "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(output) == 10)
            let inputAudio = try Probe.packets(input, stream: "a", hashes: true)
            let outputAudio = try Probe.packets(output, stream: "a", hashes: true)
            // The cut is where the tenth frame ends: 10 / 25 s.
            let kept = inputAudio.filter { ($0.ptsTime ?? 0) < 0.4 - 1e-9 }
            #expect(outputAudio.count == kept.count)
            #expect(outputAudio.map(\.hash) == kept.map(\.hash))
        }

        @Test(arguments: [("pcm_s16le", "pcm.mov", "out.mp4", "aac"), ("aac", "aac.mp4", "out.webm", "opus")])
        func audioTheContainerRefusesIsTranscoded(codec: String, inputName: String, outputName: String, expected: String) throws {
            let scratch = try Scratch()
            let input = scratch.path(inputName)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "2",
                        "-c:v", "libx264", "-c:a", codec, input])
            let output = scratch.path(outputName)
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("cannot hold \(codec) audio; transcoded it to"))
            let audio = try #require(try Probe(output).audio)
            #expect(audio.codecName == expected)
            let times = try Probe.packets(output, stream: "a").compactMap(\.ptsTime)
            let span = try #require(times.max()) - (try #require(times.min()))
            #expect(abs(span - 2.0) < 0.1, "audio spans \(span) s")
            #expect(try Probe.decodedFrameCount(output) == 50)
        }
    }
}
