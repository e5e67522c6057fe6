import Foundation
import Testing

@testable import VideoSeg
@testable import VideoSegModel

extension EndToEnd {
    /// What the program says: its version, one-line errors with their cause, no library chatter
    /// leaking past the one-line error, and a warning for a model whose scores are not finite.
    @Suite struct Diagnostics {
        func makeVideo(_ scratch: Scratch, frames: Int = 4) throws -> String {
            let path = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "\(frames)", "-c:v", "libx264", path])
            return path
        }

        @Test func versionNamesLibtorchAndFFmpeg() throws {
            let run = try videoseg(["--version"])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("videoseg \(BuildInfo.version)") == true, "\(run.stdout)")
            #expect(lines.contains { $0.hasPrefix("libtorch 1.13") }, "\(run.stdout)")
            #expect(lines.contains { $0.hasPrefix("FFmpeg ") && $0.contains("Lavf") && $0.contains("Lavc") }, "\(run.stdout)")
        }

        @Test func modelInfoOnGarbagePrintsOnlyTheError() throws {
            let scratch = try Scratch()
            let garbage = scratch.path("garbage.mp4")
            try Data("this is not a video at all\n".utf8).write(to: URL(fileURLWithPath: garbage))
            let run = try videoseg(["model", "info", try makeChannelModel(in: scratch), "--image", garbage])
            #expect(run.status == 1)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains(garbage) && run.stderr.contains("not a video"), "\(run.stderr)")
        }

        @Test func modelInfoOnAJPEGPrintsNoFFmpegWarnings() throws {
            let scratch = try Scratch()
            let image = scratch.path("photo.jpg")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=80x64", "-frames:v", "1", image])
            let run = try videoseg(["model", "info", try makeChannelModel(in: scratch), "--image", image])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.isEmpty, "\(run.stderr)")
        }

        @Test func unknownPresetIsOneLineEvenWithQuiet() throws {
            let scratch = try Scratch()
            let output = scratch.path("o.mp4")
            let run = try videoseg(["segment", try makeVideo(scratch), "-o", output, "--model", try makeChannelModel(in: scratch),
                                    "--preset", "bogus", "-q", "--threads", "1"])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("--preset bogus") && !run.stderr.contains("x264 ["), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }

        @Test func torchScriptExceptionShowsItsCause() throws {
            let scratch = try Scratch()
            let model = scratch.path("raises.pt")
            // Module.define knows no exception classes (no Python resolver); `assert` raises one.
            // prepare()'s warm-up forward runs on zeros, so the model fails there already.
            try SegmentationModel.define(source: "def forward(self, x):\n    assert bool(x.sum() < -1e30), \"boom from the model\"\n    return x\n",
                                         metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1]), path: model)
            let run = try videoseg(["segment", try makeVideo(scratch), "-o", scratch.path("o.mp4"), "--model", model, "--threads", "1"])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains(model) && run.stderr.contains("AssertionError: boom from the model"), "\(run.stderr)")
            #expect(!run.stderr.contains("The following operation failed"), "\(run.stderr)")
        }

        /// `--threads` reaches OpenBLAS too (Debian's libtorch links it, and its own pool of one
        /// thread per core spun on a core beside the pipeline), and the stats say what ran.
        @Test func theThreadCountReachesOpenBLAS() throws {
            let scratch = try Scratch()
            let input = try makeVideo(scratch)
            for threads in [1, 2] {
                let stats = scratch.path("stats\(threads).json")
                let run = try videoseg(["segment", input, "-o", scratch.path("o\(threads).mp4"), "--threads", "\(threads)", "--stats-json", stats])
                #expect(run.status == 0, "\(run.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any] ?? [:]
                #expect(object["libtorch_threads"] as? Int == threads && object["blas_threads"] as? Int == threads, "\(object)")
            }
        }

        /// A model whose scores are NaN on the bright frames only: the run finishes, and one
        /// warning line names the frames.
        @Test func nonFiniteScoresWarnOnceNamingTheFrames() throws {
            let scratch = try Scratch()
            let input = scratch.path("dark-bright.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "color=c=black:size=64x48:rate=10:duration=0.3", "-f", "lavfi", "-i",
                        "color=c=white:size=64x48:rate=10:duration=0.5", "-filter_complex", "[0][1]concat=n=2:v=1", "-c:v", "ffv1", input])
            let model = scratch.path("nan.pt")
            try SegmentationModel.define(
                source: "def forward(self, x):\n    if bool(x.mean() > 0.5):\n        return x / 0.0 * 0.0\n    return x\n",
                metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .shortSide(48)), path: model)
            let output = scratch.path("o.mkv")
            for edges in ["soft", "hard"] {
                let run = try videoseg(["segment", input, "-o", output, "--model", model, "--threads", "1", "--overwrite", "--edges", edges])
                #expect(run.status == 0, "\(edges): \(run.stderr)")
                let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning") }
                #expect(warnings.count == 1, "\(edges): \(run.stderr)")
                #expect(warnings.first?.contains("NaN or infinite in 5 of 8 frames (frames 3-7)") == true, "\(edges): \(run.stderr)")
                #expect(try Probe.decodedFrameCount(output) == 8)
            }
        }
    }
}
