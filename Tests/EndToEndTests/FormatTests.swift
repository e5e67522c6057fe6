import Foundation
import Testing

@testable import VideoSegMedia

extension EndToEnd {
    /// Containers, codecs, sizes and pixel formats that must all come through.
    @Suite struct Formats {
        struct InputKind: CustomTestStringConvertible, Sendable {
            let file: String
            let arguments: [String]
            var testDescription: String { file }
        }

        static let inputs: [InputKind] = [
            InputKind(file: "h264.mp4", arguments: ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
            InputKind(file: "hevc.mkv", arguments: ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-x265-params", "log-level=none"]),
            InputKind(file: "mpeg4.avi", arguments: ["-c:v", "mpeg4"]),
            InputKind(file: "vp9.webm", arguments: ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
            InputKind(file: "h264.mov", arguments: ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        ]

        @Test(arguments: inputs)
        func readsCommonContainersAndCodecs(kind: InputKind) throws {
            let scratch = try Scratch()
            let input = scratch.path(kind.file)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "10"] + kind.arguments + [input])
            let output = scratch.path("out.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(output) == 10)
            #expect(try Probe(output).video?.codecName == "h264")
        }

        @Test func oddSizeKeepsEveryPixelWith444() throws {
            let scratch = try Scratch()
            let input = scratch.path("odd.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=641x479:rate=25", "-frames:v", "5", "-c:v", "ffv1", "-pix_fmt", "yuv420p", input])
            let output = scratch.path("odd.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            let video = try #require(try Probe(output).video)
            #expect(video.width == 641 && video.height == 479)
            #expect(video.pixelFormat == "yuv444p")
            #expect(try Probe.decodedFrameCount(output) == 5)
        }

        @Test func tenBitBecomesEightBit() throws {
            let scratch = try Scratch()
            let input = scratch.path("ten.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "5", "-c:v", "ffv1", "-pix_fmt", "yuv420p10le", input])
            let output = scratch.path("ten.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            let video = try #require(try Probe(output).video)
            #expect(video.pixelFormat == "yuv420p")
            #expect(try Probe.decodedFrameCount(output) == 5)
        }

        @Test func fourFourFourStaysFourFourFour() throws {
            let scratch = try Scratch()
            let input = scratch.path("full.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv444p", input])
            let output = scratch.path("full-out.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Probe(output).video?.pixelFormat == "yuv444p")
        }

        @Test func rotationColourTagsAndAspectAreKept() throws {
            let scratch = try Scratch()
            let plain = scratch.path("plain.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", "5", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-vf", "setsar=4/3", plain])
            let input = scratch.path("rotated.mp4")
            try ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", input])
            let inputVideo = try #require(try Probe(input).video)
            let rotation = try #require(inputVideo.rotation, "ffmpeg did not tag the input as rotated")
            try #require(abs(rotation) == 90)
            let output = scratch.path("out.mp4")
            let stats = scratch.path("stats.json")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1",
                                    "--stats-json", stats])
            #expect(run.status == 0, "\(run.stderr)")
            let video = try #require(try Probe(output).video)
            #expect(video.rotation == rotation)
            #expect(video.width == 320 && video.height == 240)
            #expect(video.colorSpace == "bt709")
            #expect(video.sampleAspectRatio == "4:3")
            // The model saw the upright picture: 240x320 with the short side at 64.
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
            #expect(json?["model_input_size"] as? [Int] == [64, 85])
            #expect(json?["frames"] as? Int == 5)
        }

        @Test func webmGetsVP9() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "8", "-c:v", "libx264", input])
            let output = scratch.path("out.webm")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Probe(output).video?.codecName == "vp9")
            #expect(try Probe.decodedFrameCount(output) == 8)
        }

        @Test func defaultOutputNameIsInCurrentFolder() throws {
            let scratch = try Scratch()
            let input = scratch.path("clip.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "3", "-c:v", "ffv1", input])
            let run = try videoseg(["segment", input, "--model", try makeChannelModel(in: scratch)], directory: scratch.url)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: scratch.path("clip.segmented.mp4")))
        }
    }
}
