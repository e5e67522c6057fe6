import CFFmpeg
import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// The pipeline's model must score exactly what PyTorch scores for the same tensor. The
    /// check can fail: feeding Python the channels in BGR order breaks it.
    @Suite struct PythonParity {
        static let pythonScript = repositoryRoot.appendingPathComponent("Tests/Support/model_scores.py").path

        struct Scores {
            var values: [Float]
            var shape: [Int]

            func classMap() -> [Int] {
                let classes = shape[1], plane = shape[2] * shape[3]
                return (0..<plane).map { pixel in
                    var best = 0
                    for c in 1..<classes where values[c * plane + pixel] > values[best * plane + pixel] { best = c }
                    return best
                }
            }

            func maxDifference(_ other: Scores) -> Float {
                zip(values, other.values).reduce(0) { max($0, abs($1.0 - $1.1)) }
            }
        }

        func pythonScores(model: String, tensor: [Float], width: Int, height: Int, scratch: Scratch, bgr: Bool) throws -> Scores {
            let inputPath = scratch.path("input.f32"), outputPath = scratch.path("scores.f32")
            try tensor.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: inputPath)) }
            let run = try runProcess("/usr/bin/python3", [Self.pythonScript, model, inputPath, "1", "3", "\(height)", "\(width)", outputPath]
                                     + (bgr ? ["--bgr"] : []))
            try #require(run.status == 0, "\(run.stderr)")
            let shape = run.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
            let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
            let values = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return Scores(values: values, shape: shape)
        }

        @Test(arguments: ["lraspp_mobilenet_v3_large", "deeplabv3_resnet50"])
        func scoresMatchPyTorch(name: String) throws {
            let scratch = try Scratch()
            let modelPath = try cachedModel(name)
            let image = scratch.path("frame.png")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1", image])
            // An odd size, where frozen MKLDNN graphs resize their outputs, next to an even one.
            let (width, height) = name.hasPrefix("lraspp") ? (131, 97) : (128, 96)
            // Random weights give one class almost everywhere at ImageNet's scale; a narrow std
            // spreads the inputs (to about ±10) so the class map has several classes to compare.
            let model = try SegmentationModel(path: modelPath, overrides: ModelMetadata(mean: [0.5, 0.5, 0.5], std: [0.05, 0.05, 0.05]))
            model.threads = 1
            try model.prepare(width: width, height: height)
            let tensor = try modelInput(image: image, model: model, width: width, height: height)
            let ours = try tensor.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }
            let swiftScores = Scores(values: ours.values, shape: ours.shape)
            #expect(swiftScores.shape == [1, 21, height, width])

            let python = try pythonScores(model: modelPath, tensor: tensor, width: width, height: height, scratch: scratch, bgr: false)
            #expect(python.shape == swiftScores.shape)
            let classes = Set(python.classMap())
            try #require(classes.count >= 3, "the input must give at least three classes, got \(classes)")
            let difference = swiftScores.maxDifference(python)
            print("parity \(name): max |Swift − Python| = \(difference), classes \(classes.sorted())")
            #expect(difference <= 1e-4, "max |Swift − Python| = \(difference)")
            #expect(swiftScores.classMap() == python.classMap())

            // The bridge's own argmax (what the pipeline uses) is exactly the argmax of the scores.
            var segmented = [UInt8](repeating: 0, count: model.classMapCount)
            try tensor.withUnsafeBufferPointer { input in
                try segmented.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
            }
            #expect(segmented.map(Int.init) == swiftScores.classMap())

            let bgr = try pythonScores(model: modelPath, tensor: tensor, width: width, height: height, scratch: scratch, bgr: true)
            #expect(swiftScores.maxDifference(bgr) > 1e-4, "BGR input should not match")
            #expect(swiftScores.classMap() != bgr.classMap())
        }

        @Test func tutorialModelSegmentsWithNoFlags() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=128x96:rate=25", "-frames:v", "3", "-c:v", "libx264", input])
            let output = scratch.path("out.mp4")
            let run = try videoseg(["segment", input, "-o", output, "--model", try cachedModel("deeplabv3_resnet50"), "--threads", "1",
                                    "--max-frames", "1", "--input-size", "96"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(output) == 1)
        }
    }
}
