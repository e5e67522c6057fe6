import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// `--device`, `--batch-size`, `--half` through the binary: a batch gives the class maps
    /// single frames give, in order, the last partial batch included; a device this build lacks
    /// is a usage error that says why.
    @Suite struct DeviceBatch {
        /// Ten frames (not a multiple of 4) with audio, so batches of 4 end with a partial one of 2
        /// and audio packets arrive among the frames of a batch.
        func makeClip(_ scratch: Scratch, width: Int = 96, height: Int = 64) throws -> String {
            let input = scratch.path("clip.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=\(width)x\(height):rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-frames:v", "10", "-t", "0.4", "-c:v", "ffv1", "-pix_fmt", "yuv444p", "-c:a", "flac", input])
            return input
        }

        func pngIndices(_ folder: String, width: Int, height: Int, frames: Int) throws -> [[UInt8]] {
            let raw = try Probe.rawFrames("\(folder)/%06d.png", pixelFormat: "pal8")
            let plane = width * height, stride = plane + 1024
            try #require(raw.count == stride * frames, "\(raw.count) bytes for \(frames) masks")
            return (0..<frames).map { Array(raw[($0 * stride)..<($0 * stride + plane)]) }
        }

        func manifestFrames(_ folder: String) throws -> [Int] {
            let text = try String(contentsOfFile: "\(folder)/manifest.jsonl", encoding: .utf8)
            return try text.split(separator: "\n").map {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["frame"] as? Int) ?? -1
            }
        }

        /// The channel model's scores are its input: no arithmetic, so a batch must give exactly
        /// what single frames give, frame for frame, in order, with the audio all there.
        @Test func aBatchOfFourGivesTheClassMapsOfSingleFrames() throws {
            let scratch = try Scratch()
            let input = try makeClip(scratch)
            let model = try makeChannelModel(in: scratch)
            var masks: [Int: [[UInt8]]] = [:]
            var audio: [Int: Int] = [:]
            for batch in [1, 4] {
                let stats = scratch.path("stats\(batch).json")
                let output = scratch.path("out\(batch).mkv")
                let run = try videoseg(["segment", input, "-o", output, "--codec", "ffv1", "--masks", scratch.path("masks\(batch)"),
                                        "--mask-format", "png", "--model", model, "--threads", "1", "--input-size", "48x32",
                                        "--batch-size", "\(batch)", "--stats-json", stats, "-v"])
                try #require(run.status == 0, "\(run.stderr)")
                #expect(run.stderr.contains("device: cpu, auto: this build's libtorch has no CUDA; batch \(batch), float32"), "\(run.stderr)")
                masks[batch] = try pngIndices(scratch.path("masks\(batch)"), width: 96, height: 64, frames: 10)
                #expect(try manifestFrames(scratch.path("masks\(batch)")) == Array(0..<10))
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any] ?? [:]
                #expect(object["batch_size"] as? Int == batch && object["device"] as? String == "cpu"
                        && object["precision"] as? String == "float32" && object["frames"] as? Int == 10, "\(object)")
                audio[batch] = try Probe.packets(output, stream: "a").count
            }
            try #require(Set(masks[1]!.joined()).count == 3, "the clip should give all three classes")
            #expect(masks[4] == masks[1])
            #expect(audio[4] == audio[1] && (audio[1] ?? 0) > 0)
        }

        /// A real network (DeepLabV3-ResNet50, random weights): MKLDNN's convolutions may sum in
        /// another order for another batch, moving scores by ~1e-3, so only pixels whose two best
        /// scores are that close may differ between batch 4 and single frames.
        @Test func aRealNetworkDiffersOnlyAtNearTies() throws {
            let scratch = try Scratch()
            // PNG frames in a PNG-coded video: the pipeline and the in-process reference below see
            // exactly the same RGB pixels, at the model's size (no scaling).
            let frames = scratch.path("frames")
            try FileManager.default.createDirectory(atPath: frames, withIntermediateDirectories: true)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "10", "-pix_fmt", "rgb24", "\(frames)/%03d.png"])
            let input = scratch.path("clip.mkv")
            try ffmpeg(["-framerate", "25", "-i", "\(frames)/%03d.png", "-c:v", "png", input])
            let modelPath = try cachedModel("deeplabv3_resnet50")
            var masks: [Int: [[UInt8]]] = [:]
            for batch in [1, 4] {
                let run = try videoseg(["segment", input, "--no-video", "--masks", scratch.path("masks\(batch)"), "--mask-size", "model",
                                        "--model", modelPath, "--threads", "1", "--input-size", "96x64", "--batch-size", "\(batch)"])
                try #require(run.status == 0, "\(run.stderr)")
                masks[batch] = try pngIndices(scratch.path("masks\(batch)"), width: 96, height: 64, frames: 10)
            }
            try #require(Set(masks[1]!.joined()).count > 1, "the random network should give several classes")
            var differing: [(frame: Int, pixel: Int)] = []
            for frame in 0..<10 {
                for pixel in 0..<(96 * 64) where masks[1]![frame][pixel] != masks[4]![frame][pixel] { differing.append((frame, pixel)) }
            }
            guard !differing.isEmpty else { return }
            // The scores of the frames that differ, single-frame, to tell near-ties.
            let model = try SegmentationModel(path: modelPath)
            model.threads = 1
            try model.prepare(width: 96, height: 64)
            var scores: [Int: [Float]] = [:]
            for frame in Set(differing.map(\.frame)) {
                let tensor = try modelInput(image: String(format: "%@/%03d.png", frames, frame + 1), model: model, width: 96, height: 64)
                scores[frame] = try tensor.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }.values
            }
            let cells = 96 * 64, classes = model.outputShape[1]
            for (frame, pixel) in differing {
                let values = (0..<classes).map { scores[frame]![$0 * cells + pixel] }.sorted(by: >)
                let gap = values[0] - values[1]
                #expect(gap <= 1e-3 * max(1, abs(values[0])), "frame \(frame) pixel \(pixel): top-2 gap \(gap) is no near-tie")
            }
            #expect(differing.count < 96 * 64 * 10 / 1000, "\(differing.count) pixels differ")
        }

        /// Usage errors (exit 64, one line): CUDA on Debian's CPU-only libtorch says the build
        /// lacks it; float16 on the CPU, a malformed device, a batch out of range, and a batch
        /// on live input are refused before anything is opened.
        @Test(arguments: [
            (["--device", "cuda"], "--device cuda: this build's libtorch (1.13"),
            (["--device", "cuda:1"], "has no CUDA"),
            (["--device", "gpu"], "--device: \"gpu\" is not auto, cpu, cuda or cuda:N"),
            (["--half"], "--half: float16 runs on CUDA only"),
            (["--device", "cpu", "--half"], "--half: float16 runs on CUDA only"),
            (["--batch-size", "0"], "--batch-size must be between 1 and 256"),
            (["--batch-size", "1000"], "--batch-size must be between 1 and 256"),
            (["--live", "--batch-size", "2"], "--batch-size 2: live input runs one frame at a time"),
        ])
        func deviceOptionsAreUsageErrors(extra: [String], message: String) throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "ffv1", input])
            let before = scratch.contents()
            let run = try videoseg(["segment", input, "-o", scratch.path("o.mp4"), "--model", try makeChannelModel(in: scratch)] + extra)
            #expect(run.status == 64, "\(extra): exit \(run.status): \(run.stderr)")
            let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("Error: ") && first.contains(message), "\(extra): \(run.stderr)")
            #expect(scratch.contents().count == before.count + 1, "\(extra): only the model was added: \(scratch.contents())")
        }

        @Test func aCameraKeepsBatchOne() throws {
            let run = try videoseg(["camera", "/dev/video-none", "--batch-size", "4"])
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.hasPrefix("Error: --batch-size 4: a camera runs one frame at a time"), "\(run.stderr)")
        }
    }
}
