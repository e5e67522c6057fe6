import Foundation
import Testing

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
    
        /// Two MPEG-TS recordings joined with `cat`: the clock restarts and the picture size
        /// changes. The later part continues where the first ended, frames evenly spaced, as
        /// long as FFmpeg's own conversion of the same file, every picture at the first size.
        @Test func joinedTransportStreamsContinueLikeFFmpeg() throws {
            let scratch = try Scratch()
            let first = scratch.path("a.ts"), second = scratch.path("b.ts"), joined = scratch.path("ab.ts")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x96:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", "2", "-c:v", "libx264", "-c:a", "aac", first])
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000",
                        "-t", "2", "-c:v", "libx264", "-c:a", "aac", second])
            try (Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second)))
                .write(to: URL(fileURLWithPath: joined))
            let reference = scratch.path("ffmpeg.mp4")
            try ffmpeg(["-i", joined, "-c:v", "libx264", reference])

            let output = scratch.path("out.mp4")
            // Alpha 0: the pictures come out as they went in, to compare with the parts.
            let run = try videoseg(["segment", joined, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1", "--alpha", "0"])
            // 3: the audio of the two parts overlaps by a few milliseconds at the join; that packet is dropped.
            #expect(run.status == 0 || run.status == 3, "\(run.stderr)")
            #expect(!run.stderr.contains("does not increase"), "\(run.stderr)")

            let times = try Probe.frameTimes(output)
            #expect(times.count == 100)
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps.allSatisfy { abs($0 - 0.04) < 0.001 }, "uneven spacing: \(Set(gaps.map { ($0 * 1000).rounded() }))")
            let ours = try #require(try Self.videoDuration(output)), theirs = try #require(try Self.videoDuration(reference))
            #expect(abs(ours - theirs) <= 0.04 + 0.001, "duration \(ours) s, FFmpeg's \(theirs) s")
            let video = try Probe(output).video
            #expect(video?.width == 128 && video?.height == 96)
            let audio = try Probe.packets(output, stream: "a").compactMap(\.ptsTime)
            let audioSpan = try #require(audio.max()) - (try #require(audio.min()))
            #expect(abs(audioSpan - 4.0) < 0.1, "audio spans \(audioSpan) s")
            // Frame 50 is the second part's first picture, scaled to the first part's size.
            #expect(try Self.psnr(output, frame: 50, against: second, frame: 0, width: 128, height: 96) > 30)
            #expect(try Self.psnr(output, frame: 50, against: first, frame: 49, width: 128, height: 96) < 20)
        }

        /// A transport stream with a run of its packets repeated: the repeats are dropped, and
        /// the output's timestamps increase in every stream (the muxer and players refuse less).
        @Test(arguments: ["out.mp4", "out.mkv"])
        func duplicatedTransportStreamPacketsKeepTimestampsIncreasing(outputName: String) throws {
            let scratch = try Scratch()
            let clean = scratch.path("clean.ts"), input = scratch.path("dup.ts")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x96:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", "2", "-c:v", "libx264", "-c:a", "aac", clean])
            let data = try Data(contentsOf: URL(fileURLWithPath: clean))
            let packets = data.count / 188
            for (start, end) in [(packets / 3, packets / 3 + 40)] {
                let repeated = data[(start * 188)..<(end * 188)]
                try (data[..<(end * 188)] + repeated + data[(end * 188)...]).write(to: URL(fileURLWithPath: input))
            }
            let output = scratch.path(outputName)
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 3, "\(run.stderr)")
            let decode = try runProcess("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-i", output, "-f", "null", "-"])
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
            for stream in ["v", "a"] {
                let times = try Self.decodingTimes(output, stream: stream)
                #expect(!times.isEmpty)
                #expect(zip(times.dropFirst(), times).allSatisfy { $0 > $1 }, "\(stream): \(times)")
            }
            let frames = try Probe.frameTimes(output)
            #expect(zip(frames.dropFirst(), frames).allSatisfy { $0 - $1 > 0.02 }, "frames closer than half a frame: \(frames)")
        }

        /// The video stream's duration as ffprobe reports it.
        static func videoDuration(_ path: String) throws -> Double? {
            let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration",
                                                             "-of", "csv=p=0", path])
            return Double(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }

        /// Packet decoding times of the first stream of `type`, in file order.
        static func decodingTimes(_ path: String, stream type: String) throws -> [Int64] {
            let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "\(type):0", "-show_entries", "packet=dts",
                                                             "-of", "csv=p=0", path])
            return result.stdout.split(separator: "\n").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        }

        /// The PSNR of picture `frame` of `path` against picture `other` of `reference` scaled to
        /// `width`×`height`.
        static func psnr(_ path: String, frame: Int, against reference: String, frame other: Int, width: Int, height: Int) throws -> Double {
            let graph = "[0]select=eq(n\\,\(frame)),setpts=N/TB[a];[1]select=eq(n\\,\(other)),scale=\(width):\(height),setpts=N/TB[b];[a][b]psnr"
            let result = try runProcess("/usr/bin/ffmpeg", ["-hide_banner", "-nostdin", "-i", path, "-i", reference, "-filter_complex", graph,
                                                           "-f", "null", "-"])
            guard let range = result.stderr.range(of: "average:") else { throw HarnessError.tool("psnr: \(result.stderr)") }
            let value = result.stderr[range.upperBound...].prefix { !$0.isWhitespace }
            return value == "inf" ? .infinity : Double(value) ?? 0
        }
    }
}
