import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// Bad input: one line naming the file and the cause, a non-zero exit, nothing left behind.
    @Suite struct BadInput {
        /// Runs `segment` and checks the failure contract; returns the error line.
        @discardableResult
        func expectFailure(_ scratch: Scratch, _ arguments: [String], naming subject: String, mentioning cause: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> String
        {
            let before = scratch.contents()
            let run = try videoseg(["segment"] + arguments + ["--threads", "1"])
            #expect(run.status == 1, "exit status \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "expected one line, got: \(run.stderr)", sourceLocation: sourceLocation)
            #expect(run.stderr.contains(subject), "\(run.stderr) does not name \(subject)", sourceLocation: sourceLocation)
            #expect(run.stderr.contains(cause), "\(run.stderr) does not say \(cause)", sourceLocation: sourceLocation)
            #expect(scratch.contents() == before, "files left behind: \(Set(scratch.contents()).subtracting(before))",
                    sourceLocation: sourceLocation)
            return String(lines.first ?? "")
        }

        func makeVideo(_ scratch: Scratch, _ name: String = "in.mp4", frames: Int = 10) throws -> String {
            let path = scratch.path(name)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "\(frames)", "-c:v", "libx264", path])
            return path
        }

        @Test func missingInput() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch)
            let input = scratch.path("absent.mp4")
            try expectFailure(scratch, [input, "-o", scratch.path("o.mp4"), "--model", model], naming: input, mentioning: "no such file")
        }

        @Test(arguments: ["text", "random", "empty"])
        func notAVideo(kind: String) throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch)
            let input = scratch.path("\(kind).mp4")
            switch kind {
            case "text": try Data("just some words\n".utf8).write(to: URL(fileURLWithPath: input))
            case "random": try Data((0..<65536).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: input))
            default: try Data().write(to: URL(fileURLWithPath: input))
            }
            try expectFailure(scratch, [input, "-o", scratch.path("o.mp4"), "--model", model], naming: input, mentioning: "not a video")
        }

        @Test func audioOnly() throws {
            let scratch = try Scratch()
            let input = scratch.path("tone.m4a")
            try ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "1", input])
            try expectFailure(scratch, [input, "-o", scratch.path("o.mp4"), "--model", try makeChannelModel(in: scratch)],
                              naming: input, mentioning: "audio only")
        }

        @Test func truncatedVideoIsSegmentedAsFarAsItGoes() throws {
            let scratch = try Scratch()
            let full = try makeVideo(scratch, "full.mkv", frames: 50)
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            let input = scratch.path("cut.mkv")
            try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: input))
            let output = scratch.path("o.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("\(input)") && run.stderr.contains("truncated"))
            let frames = try Probe.decodedFrameCount(output)
            #expect(frames > 0 && frames < 50)
            #expect(run.stderr.contains("\(frames) frames"))
        }

        @Test func modelThatIsNotTorchScript() throws {
            let scratch = try Scratch()
            let model = scratch.path("model.pt")
            try Data("not a model".utf8).write(to: URL(fileURLWithPath: model))
            try expectFailure(scratch, [try makeVideo(scratch), "-o", scratch.path("o.mp4"), "--model", model], naming: model,
                              mentioning: "not a TorchScript file")
        }

        @Test func modelWhoseOutputIsNotNCHW() throws {
            let scratch = try Scratch()
            let model = scratch.path("flat.pt")
            try SegmentationModel.define(source: "def forward(self, x):\n    return x[0]\n", metadata: nil, path: model)
            try expectFailure(scratch, [try makeVideo(scratch), "-o", scratch.path("o.mp4"), "--model", model], naming: model,
                              mentioning: "expected [N,C,H,W]")
        }

        @Test func labelsThatDoNotMatchTheClasses() throws {
            let scratch = try Scratch()
            let model = scratch.path("two.pt")
            try SegmentationModel.define(source: "def forward(self, x):\n    return x\n",
                                         metadata: ModelMetadata(labels: ["a", "b"], mean: [0, 0, 0], std: [1, 1, 1]), path: model)
            try expectFailure(scratch, [try makeVideo(scratch), "-o", scratch.path("o.mp4"), "--model", model], naming: model,
                              mentioning: "2 labels but the model outputs 3 classes")
        }

        @Test func outputFolderThatDoesNotExist() throws {
            let scratch = try Scratch()
            let output = scratch.path("no/such/folder/o.mp4")
            try expectFailure(scratch, [try makeVideo(scratch), "-o", output, "--model", try makeChannelModel(in: scratch)],
                              naming: output, mentioning: "does not exist")
        }

        @Test func existingOutputIsKept() throws {
            let scratch = try Scratch()
            let output = scratch.path("o.mp4")
            try Data("precious".utf8).write(to: URL(fileURLWithPath: output))
            try expectFailure(scratch, [try makeVideo(scratch), "-o", output, "--model", try makeChannelModel(in: scratch)],
                              naming: output, mentioning: "--overwrite")
            #expect(try String(contentsOfFile: output, encoding: .utf8) == "precious")
        }

        @Test func outputThatIsTheInput() throws {
            let scratch = try Scratch()
            let input = try makeVideo(scratch)
            let original = try Data(contentsOf: URL(fileURLWithPath: input))
            try expectFailure(scratch, [input, "-o", input, "--overwrite", "--model", try makeChannelModel(in: scratch)],
                              naming: input, mentioning: "overwrite the input")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == original)
        }

        @Test func unknownCodec() throws {
            let scratch = try Scratch()
            try expectFailure(scratch, [try makeVideo(scratch), "-o", scratch.path("o.mp4"), "--codec", "nosuchcodec", "--model",
                                        try makeChannelModel(in: scratch)], naming: "nosuchcodec", mentioning: "unknown encoder")
        }

        @Test func codecTheContainerRefuses() throws {
            let scratch = try Scratch()
            let output = scratch.path("o.mp4")
            try expectFailure(scratch, [try makeVideo(scratch), "-o", output, "--codec", "ffv1", "--model", try makeChannelModel(in: scratch)],
                              naming: output, mentioning: "cannot hold ffv1")
        }

        @Test func fullDiskLeavesNothingBehind() throws {
            let scratch = try Scratch()
            let input = try makeVideo(scratch, frames: 30)
            let model = try makeChannelModel(in: scratch)
            let output = scratch.path("big.mkv")
            let before = scratch.contents()
            // RLIMIT_FSIZE stands in for a full disk: as root, permissions would not stop the write.
            let run = try runProcess("/bin/bash", ["-c", "ulimit -f 16; exec \"$0\" \"$@\"", videosegBinary, "segment", input, "-o", output,
                                                   "--codec", "ffv1", "--model", model, "--threads", "1"])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains(output) && run.stderr.contains("File too large"), "\(run.stderr)")
            #expect(scratch.contents() == before)
        }
    
        /// Audio is copied, not decoded: a packet the demuxer flags as corrupt (here a TS audio
        /// packet is missing) is dropped with a warning (exit 3); copied, it made the MP4 muxer's
        /// ADTS filter fail the whole output.
        @Test func corruptAudioPacketsAreDroppedWithAWarning() throws {
            let scratch = try Scratch()
            let clean = scratch.path("clean.ts"), input = scratch.path("cut-audio.ts")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x96:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", "2", "-c:v", "libx264", "-c:a", "aac", clean])
            let data = try Data(contentsOf: URL(fileURLWithPath: clean))
            let packets = stride(from: 0, to: data.count, by: 188).map { data[$0..<min($0 + 188, data.count)] }
            func pid(_ packet: Data) -> Int { (Int(packet[packet.startIndex + 1]) & 0x1f) << 8 | Int(packet[packet.startIndex + 2]) }
            let audio = packets.indices.filter { pid(packets[$0]) == 0x101 }
            // A TS packet of the audio stream in the middle that does not start a PES packet.
            let missing = try #require(audio[(audio.count / 2)...].first { packets[$0][packets[$0].startIndex + 1] & 0x40 == 0 })
            try packets.enumerated().filter { $0.offset != missing }.reduce(Data()) { $0 + $1.element }.write(to: URL(fileURLWithPath: input))
            let output = scratch.path("o.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains("dropped a corrupt audio packet"), "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(output) == 50)
            let decode = try runProcess("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-i", output, "-f", "null", "-"])
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
            #expect(try Probe(output).audio != nil)
        }
    }
}
