import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// Models whose outputs are odd: no pixels, a size that changes between frames, probabilities
    /// that the model does not declare.
    @Suite struct ModelOutputs {
        func makeInput(_ scratch: Scratch, _ filter: String, frames: Int = 4) throws -> String {
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", filter, "-frames:v", "\(frames)", "-c:v", "ffv1", input])
            return input
        }

        func define(_ scratch: Scratch, _ body: String, metadata: ModelMetadata?) throws -> String {
            let path = scratch.path("model.pt")
            try SegmentationModel.define(source: "def forward(self, x) -> Dict[str, Tensor]:\n" + body, metadata: metadata, path: path)
            return path
        }

        static let channels = ModelMetadata(labels: ["red", "green", "blue"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .shortSide(32))

        @Test func anOutputWithNoRowsIsAnError() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch, "testsrc=size=64x48:rate=10")
            let model = try define(scratch, "    return {\"out\": x[:, :, :0, :]}\n", metadata: Self.channels)
            let run = try videoseg(["segment", input, "--no-video", "--masks", scratch.path("masks"), "--model", model, "--threads", "1"])
            #expect(run.status == 1)
            #expect(run.stderr.hasPrefix("videoseg: error: \(model): ") && run.stderr.contains("its output has no pixels: 43×0"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("masks")))
        }

        /// Dark frames give the prepared size, bright ones twice its height: the error names both sizes
        /// (it said "class map buffer too small").
        @Test func anOutputSizeThatChangesIsNamed() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "color=c=black:size=64x48:rate=10:d=0.3", "-f", "lavfi", "-i", "color=c=white:size=64x48:rate=10:d=0.3",
                        "-filter_complex", "[0][1]concat=n=2:v=1", "-c:v", "ffv1", input])
            let model = try define(scratch, """
                    if float(x.mean()) > 0.5:
                        return {"out": torch.cat([x, x], 2)}
                    return {"out": x}

                """, metadata: Self.channels)
            let run = try videoseg(["segment", input, "-o", scratch.path("out.mp4"), "--model", model, "--threads", "1"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("the model's output size changed from 3 classes at 43×32 to 3 classes at 43×64"), "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }

        /// The tutorial's 21-class layout (no metadata at all), but softmax already applied: a
        /// red "person" on the left, blue background on the right. The probabilities are
        /// detected (the stats and -v say so) and only the person is tinted; `--scores logits`
        /// overrides, and the double softmax then tints the background too.
        @Test func undeclaredProbabilitiesAreDetected() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch, "color=c=0xC82828:size=64x48:rate=10,drawbox=x=32:y=0:w=32:h=48:color=0x2828C8:t=fill", frames: 3)
            // Class 15 (person) where red beats blue, background elsewhere, the other 19 never.
            let model = try define(scratch, """
                    person = (x[:, 0:1] - x[:, 2:3]) * 8.0
                    others = torch.full_like(person, -20.0).repeat(1, 14, 1, 1)
                    rest = torch.full_like(person, -20.0).repeat(1, 5, 1, 1)
                    logits = torch.cat([torch.zeros_like(person), others, person, rest], 1)
                    return {"out": torch.softmax(logits, 1)}

                """, metadata: nil)
            func run(_ extra: [String]) throws -> (pixels: [UInt8], stats: [String: Any], stderr: String) {
                let output = scratch.path("out.mkv"), stats = scratch.path("stats.json")
                let run = try videoseg(["segment", input, "-o", output, "--codec", "ffv1", "--model", model, "--threads", "1", "--overwrite",
                                        "--stats-json", stats, "-v"] + extra)
                try #require(run.status == 0, "\(run.stderr)")
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any] ?? [:]
                return ([UInt8](try Probe.rawFrames(output, pixelFormat: "rgb24").prefix(64 * 48 * 3)), json, run.stderr)
            }
            func pixel(_ pixels: [UInt8], x: Int, y: Int) -> [Int] { (0..<3).map { Int(pixels[(y * 64 + x) * 3 + $0]) } }
            func near(_ a: [Int], _ b: [Int]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 12 } }

            let detected = try run([])
            #expect(detected.stats["model_scores"] as? String == "probabilities (detected)", "\(detected.stats)")
            #expect(detected.stderr.contains("its scores are probabilities"), "\(detected.stderr)")
            // Person: half the picture, half VOC's person colour (192, 128, 128); background untouched.
            #expect(near(pixel(detected.pixels, x: 10, y: 24), [196, 84, 84]), "\(pixel(detected.pixels, x: 10, y: 24))")
            #expect(near(pixel(detected.pixels, x: 54, y: 24), [40, 40, 200]), "\(pixel(detected.pixels, x: 54, y: 24))")

            let forced = try run(["--scores", "logits"])
            #expect(forced.stats["model_scores"] as? String == "logits")
            #expect(!near(pixel(forced.pixels, x: 54, y: 24), [40, 40, 200]), "the double softmax should tint the background")
        }
    }
}
