import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// Masks at the source size are what PyTorch gives for
    /// `F.interpolate(scores, size, mode="bilinear", align_corners=False)`: the argmax for class
    /// masks, the summed probability of the tinted classes for probability masks. On odd sizes,
    /// for a random-weight LRASPP (logits, 21 classes) and the bundled model on a real photo.
    @Suite struct Edges {
        static let script = repositoryRoot.appendingPathComponent("Tests/Support/interpolated_masks.py").path

        struct Reference {
            var classes: [UInt8]
            var margin: [Float]
            var foreground: [Float]
        }

        struct Case {
            var model: String
            var metadata: ModelMetadata
            var flags: [String]
            var width: Int
            var height: Int
            var probabilities: Bool
        }

        func reference(_ item: Case, image: String, outputWidth: Int, outputHeight: Int, scratch: Scratch) throws -> Reference {
            let model = try SegmentationModel(path: item.model, overrides: item.metadata)
            model.threads = 1
            try model.prepare(width: item.width, height: item.height)
            let tensor = try modelInput(image: image, model: model, width: item.width, height: item.height)
            let input = scratch.path("input.f32"), prefix = scratch.path("reference")
            try tensor.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: input)) }
            let run = try runProcess("/usr/bin/python3", [Self.script, item.model, input, "\(item.height)", "\(item.width)",
                                                          "\(outputHeight)", "\(outputWidth)", prefix] + (item.probabilities ? ["--probabilities"] : []))
            try #require(run.status == 0, "\(run.stderr)")
            func floats(_ suffix: String) throws -> [Float] {
                try Data(contentsOf: URL(fileURLWithPath: prefix + suffix)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            }
            return Reference(classes: Array(try Data(contentsOf: URL(fileURLWithPath: prefix + ".classes.u8"))),
                             margin: try floats(".margin.f32"), foreground: try floats(".foreground.f32"))
        }

        /// The first mask `videoseg` exports for `image` with `extra` options, as raw bytes.
        func exportedMask(_ item: Case, image: String, extra: [String], scratch: Scratch) throws -> Data {
            let folder = scratch.path("masks-\(UUID().uuidString)")
            // Soft edges: PyTorch's interpolation exactly (the default, refined, follows the picture).
            let run = try videoseg(["segment", image, "--no-video", "--masks", folder, "--model", item.model, "--threads", "1",
                                    "--edges", "soft", "--input-size", "\(item.width)x\(item.height)"] + item.flags + extra)
            try #require(run.status == 0, "\(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("000000.") }
            let file = try #require(files.first)
            if file.hasSuffix(".png") { return try Probe.rawFrames(folder + "/" + file, pixelFormat: "gray") }
            // NPY: the array follows the header, whose length is at bytes 8–9.
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            let headerLength = 10 + Int(data[8]) + Int(data[9]) << 8
            return data.subdata(in: headerLength..<data.count)
        }

        static let randomLRASPP = Case(
            model: "lraspp_mobilenet_v3_large",
            // Random weights give one class almost everywhere at ImageNet's scale; a narrow std
            // spreads the inputs so the map has several classes and many boundaries.
            metadata: ModelMetadata(mean: [0.5, 0.5, 0.5], std: [0.05, 0.05, 0.05]),
            flags: ["--mean", "0.5,0.5,0.5", "--std", "0.05,0.05,0.05"], width: 131, height: 97, probabilities: false)

        func check(_ item: Case, image: String, width: Int, height: Int, scratch: Scratch) throws {
            let reference = try reference(item, image: image, outputWidth: width, outputHeight: height, scratch: scratch)
            try #require(reference.classes.count == width * height)

            let classes = Array(try exportedMask(item, image: image, extra: ["--mask-format", "npy"], scratch: scratch))
            try #require(classes.count == width * height)
            var ties = 0, wrong: [Int] = []
            for index in 0..<classes.count where classes[index] != reference.classes[index] {
                if reference.margin[index] < 1e-5 { ties += 1 } else { wrong.append(index) }
            }
            let boundaries = zip(reference.classes, reference.classes.dropFirst()).filter { $0 != $1 }.count
            print("edges \(URL(fileURLWithPath: item.model).lastPathComponent): \(Set(reference.classes).count) classes, \(boundaries) boundary pixels, \(ties) near-ties differ")
            #expect(boundaries > 100, "the picture must have class boundaries to compare")
            #expect(wrong.isEmpty, "\(wrong.count) pixels differ by more than a tie, first at \(wrong.first.map { ($0 % width, $0 / width) }.debugDescription)")
            #expect(ties <= classes.count / 10_000)

            let halves = try exportedMask(item, image: image, extra: ["--mask-format", "npy", "--mask-values", "probability"], scratch: scratch)
            let probabilities = halves.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }.map { Float(Float16(bitPattern: UInt16(littleEndian: $0))) }
            try #require(probabilities.count == width * height)
            let npyError = zip(probabilities, reference.foreground).map { abs($0 - $1) }.max() ?? 1
            #expect(npyError <= 1e-3, "float16 probability off by \(npyError)")

            let gray = Array(try exportedMask(item, image: image, extra: ["--mask-values", "probability"], scratch: scratch))
            try #require(gray.count == width * height)
            let pngError = zip(gray, reference.foreground).map { abs(Float($0) / 255 - $1) }.max() ?? 1
            #expect(pngError <= 1 / 255, "8-bit probability off by \(pngError * 255)/255")
        }

        @Test func randomLRASPPAtOddSizesMatchesPyTorch() throws {
            let scratch = try Scratch()
            let image = scratch.path("picture.png")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=641x479,format=rgb24", "-frames:v", "1", image])
            var item = Self.randomLRASPP
            item.model = try cachedModel(item.model)
            try check(item, image: image, width: 641, height: 479, scratch: scratch)
        }

        @Test func bundledModelOnAPhotoMatchesPyTorch() throws {
            let scratch = try Scratch()
            let image = scratch.path("photo.png")
            // The astronaut's face and shoulders from the sample clip, cut to an odd size.
            try ffmpeg(["-i", repositoryRoot.appendingPathComponent("Samples/sample.mp4").path, "-vf", "format=rgb24,crop=641:479:320:120",
                        "-frames:v", "1", image])
            let item = Case(model: try DefaultModels.path(named: DefaultModels.square), metadata: ModelMetadata(), flags: [],
                            width: 256, height: 256, probabilities: true)
            try check(item, image: image, width: 641, height: 479, scratch: scratch)
        }
    }
}
