import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia

extension EndToEnd {
    /// The effects through a lossless path (FFV1, 4:4:4) with the deterministic model and hard
    /// edges: left half background (red channel strongest, class 0), right half foreground (blue,
    /// class 2), the edge exactly at x = 32.
    @Suite struct Effects {
        static let width = 64, height = 48, frames = 4

        /// Raw RGB frames made in the test: `left` paints the background half of each frame.
        func makeInput(_ scratch: Scratch, frames: Int = Self.frames, left: (Int, Int, Int) -> (UInt8, UInt8, UInt8)) throws -> String {
            var bytes: [UInt8] = []
            for _ in 0..<frames {
                for y in 0..<Self.height {
                    for x in 0..<Self.width {
                        let (r, g, b) = x < 32 ? left(x, y, frames) : (20, 40, 200)
                        bytes += [r, g, b]
                    }
                }
            }
            let raw = scratch.path("frames.rgb"), input = scratch.path("in.mkv")
            try Data(bytes).write(to: URL(fileURLWithPath: raw))
            try ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(Self.width)x\(Self.height)", "-r", "10", "-i", raw,
                        "-c:v", "ffv1", "-pix_fmt", "yuv444p", input])
            return input
        }

        /// The Y, U and V planes of every frame of `file`, decoded as 4:4:4 (with `alpha`: also A).
        func planes(_ file: String, alpha: Bool = false, decoder: [String] = []) throws -> [UInt8] {
            let raw = FileManager.default.temporaryDirectory.appendingPathComponent("effects-\(UUID().uuidString).raw")
            defer { try? FileManager.default.removeItem(at: raw) }
            try ffmpeg(decoder + ["-i", file, "-f", "rawvideo", "-pix_fmt", alpha ? "yuva444p" : "yuv444p", raw.path])
            return Array(try Data(contentsOf: raw))
        }

        func run(_ scratch: Scratch, input: String, output: String, _ extra: [String]) throws -> ProcessOutput {
            try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch, inputSize: .fixed(width: 64, height: 48)),
                          "--edges", "hard", "--threads", "1"] + extra)
        }

        /// Sample `plane` (0 Y, 1 U, 2 V) at (x, y) of frame `frame` in 4:4:4 planes.
        func sample(_ data: [UInt8], frame: Int, plane: Int, x: Int, y: Int, planes: Int = 3) -> Int {
            let size = Self.width * Self.height
            return Int(data[(frame * planes + plane) * size + y * Self.width + x])
        }

        func foregroundIsUnchanged(_ before: [UInt8], _ after: [UInt8]) -> Bool {
            (0..<Self.frames).allSatisfy { frame in
                (0..<3).allSatisfy { plane in
                    (0..<Self.height).allSatisfy { y in
                        (32..<Self.width).allSatisfy { x in
                            sample(before, frame: frame, plane: plane, x: x, y: y) == sample(after, frame: frame, plane: plane, x: x, y: y)
                        }
                    }
                }
            }
        }

        @Test func blurSmoothsTheBackgroundAndKeepsTheForegroundExactly() throws {
            let scratch = try Scratch()
            // A fine checkerboard of two reds: class 0 everywhere on the left.
            let input = try makeInput(scratch) { x, y, _ in (x + y) % 2 == 0 ? (250, 0, 0) : (130, 0, 0) }
            let output = scratch.path("blur.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "blur", "--blur-radius", "4"])
            try #require(result.status == 0, "\(result.stderr)")
            let before = try planes(input), after = try planes(output)
            #expect(foregroundIsUnchanged(before, after))
            func spread(_ data: [UInt8]) -> Int {
                let values = (0..<Self.height).flatMap { y in (4..<24).map { x in sample(data, frame: 0, plane: 0, x: x, y: y) } }
                return values.max()! - values.min()!
            }
            print("blur: checkerboard luma spread \(spread(before)) → \(spread(after))")
            #expect(spread(before) > 30)
            #expect(spread(after) <= 3, "the checkerboard must become near-uniform")
        }

        @Test func aFlatBackgroundStaysFlatWhenBlurred() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let output = scratch.path("flat.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "blur", "--blur-radius", "3"])
            try #require(result.status == 0, "\(result.stderr)")
            let before = try planes(input), after = try planes(output)
            // Away from the edge, where the blur reaches no foreground.
            for y in 0..<Self.height {
                for x in 0..<16 {
                    #expect(abs(sample(before, frame: 1, plane: 0, x: x, y: y) - sample(after, frame: 1, plane: 0, x: x, y: y)) <= 1)
                }
            }
            #expect(foregroundIsUnchanged(before, after))
        }

        @Test func replaceWithAColourPaintsTheBackgroundExactly() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let output = scratch.path("green.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "replace", "--background", "#00B140"])
            try #require(result.status == 0, "\(result.stderr)")
            let before = try planes(input), after = try planes(output)
            // BT.601 limited range: (0, 177, 64) → Y 16 + 219·(0.587·0.694 + 0.114·0.251) = 111.5 → 112 (U, V likewise).
            let green = YUVMatrix.bt601.yuv(r: 0, g: 0xB1, b: 0x40)
            for y in 0..<Self.height {
                for x in 0..<32 {
                    #expect([0, 1, 2].map { sample(after, frame: 2, plane: $0, x: x, y: y) } == [Int(green.y), Int(green.u), Int(green.v)])
                }
            }
            #expect(foregroundIsUnchanged(before, after))
        }

        @Test func aPictureOfAnotherAspectCoversTheFrameCentreCropped() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            // 128×48: yellow then cyan; covering 64×48 keeps its middle, so the left half of the
            // frame (the background) shows yellow only.
            let picture = scratch.path("bands.png")
            try ffmpeg(["-f", "lavfi", "-i", "color=c=yellow:size=64x48,format=rgb24[a];color=c=cyan:size=64x48,format=rgb24[b];[a][b]hstack",
                        "-frames:v", "1", picture])
            let output = scratch.path("bands.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "replace", "--background", picture])
            try #require(result.status == 0, "\(result.stderr)")
            let after = try planes(output)
            let yellow = YUVMatrix.bt601.yuv(r: 255, g: 255, b: 0)
            for y in 0..<Self.height {
                for x in 0..<30 {
                    #expect(abs(sample(after, frame: 0, plane: 0, x: x, y: y) - Int(yellow.y)) <= 2, "(\(x), \(y))")
                }
            }
        }

        @Test func aShorterBackgroundVideoLoops() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch, frames: 7) { _, _, _ in (200, 30, 30) }
            // Three frames: dark, gray, light.
            let clip = scratch.path("loop.mkv"), raw = scratch.path("loop.gray")
            try Data([UInt8](repeating: 30, count: 64 * 48) + [UInt8](repeating: 120, count: 64 * 48) + [UInt8](repeating: 210, count: 64 * 48))
                .write(to: URL(fileURLWithPath: raw))
            try ffmpeg(["-f", "rawvideo", "-pix_fmt", "gray", "-s", "64x48", "-r", "10", "-i", raw, "-c:v", "ffv1", "-pix_fmt", "yuv444p", clip])
            let output = scratch.path("looped.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "replace", "--background", clip])
            try #require(result.status == 0, "\(result.stderr)")
            let after = try planes(output)
            let lumas = (0..<7).map { sample(after, frame: $0, plane: 0, x: 5, y: 5) }
            #expect(lumas[0] == lumas[3] && lumas[3] == lumas[6], "\(lumas)")
            #expect(lumas[1] == lumas[4] && lumas[2] == lumas[5], "\(lumas)")
            #expect(lumas[0] < lumas[1] && lumas[1] < lumas[2], "\(lumas)")
        }

        @Test func aMissingBackgroundIsAOneLineErrorBeforeAnyOutput() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let output = scratch.path("never.mkv")
            let result = try run(scratch, input: input, output: output, ["--style", "replace", "--background", scratch.path("nope.jpg")])
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("nope.jpg"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }

        @Test(arguments: [("cut.mkv", [String]()), ("cut.webm", ["-c:v", "libvpx-vp9"]), ("cut.mov", [String]())])
        func aCutOutCarriesTheForegroundAsItsAlpha(name: String, decoder: [String]) throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let output = scratch.path(name)
            let result = try run(scratch, input: input, output: output, ["--style", "cutout"])
            try #require(result.status == 0, "\(result.stderr)")
            let after = try planes(output, alpha: true, decoder: decoder)
            try #require(after.count == Self.frames * 4 * Self.width * Self.height)
            var wrong = 0
            for frame in 0..<Self.frames {
                for y in 0..<Self.height {
                    for x in 0..<Self.width where sample(after, frame: frame, plane: 3, x: x, y: y, planes: 4) != (x < 32 ? 0 : 255) { wrong += 1 }
                }
            }
            #expect(wrong == 0, "\(wrong) alpha samples differ from the mask")
        }

        @Test func softEdgesGiveTheForegroundProbabilityAsAlpha() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { x, _, _ in (UInt8(100 + 4 * x), 60, UInt8(80 + 3 * x)) }
            let output = scratch.path("soft.mkv"), masks = scratch.path("p")
            let result = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch, inputSize: .fixed(width: 16, height: 12)),
                                       "--style", "cutout", "--threads", "1", "--masks", masks, "--mask-values", "probability", "--mask-format", "npy"])
            try #require(result.status == 0, "\(result.stderr)")
            let after = try planes(output, alpha: true)
            // The probability mask of the same run, float16, at the source size.
            let data = try Data(contentsOf: URL(fileURLWithPath: masks + "/000000.npy"))
            let header = 10 + Int(data[8]) + Int(data[9]) << 8
            let probabilities = data.subdata(in: header..<data.count).withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
                .map { Float(Float16(bitPattern: UInt16(littleEndian: $0))) }
            try #require(probabilities.count == Self.width * Self.height)
            var worst: Float = 0
            for y in 0..<Self.height {
                for x in 0..<Self.width {
                    let alpha = Float(sample(after, frame: 0, plane: 3, x: x, y: y, planes: 4))
                    worst = max(worst, abs(alpha - probabilities[y * Self.width + x] * 255))
                }
            }
            #expect(worst <= 1, "alpha off by \(worst) from probability × 255")
            #expect(Set(probabilities.map { ($0 * 20).rounded() }).count > 3, "the picture must have more than two levels of probability")
        }

        @Test func aCutOutToAFileWithoutAlphaIsRefused() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let result = try run(scratch, input: input, output: scratch.path("cut.mp4"), ["--style", "cutout"])
            #expect(result.status == 1)
            #expect(result.stderr.contains(".webm") && result.stderr.contains(".mov") && result.stderr.contains(".mkv")
                && result.stderr.contains("%06d.png"), "\(result.stderr)")
            #expect(!scratch.contents().contains { $0.hasPrefix("cut") || $0.hasPrefix(".cut") })
        }

        @Test func aCutOutAsAPNGSequenceHasTheMaskAsAlphaAndAManifest() throws {
            let scratch = try Scratch()
            let silent = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            // With a sound track, which a picture sequence cannot hold.
            let input = scratch.path("with-audio.mkv")
            try ffmpeg(["-i", silent, "-f", "lavfi", "-i", "sine=frequency=440:duration=0.4", "-c:v", "copy", "-c:a", "flac", "-shortest", input])
            let output = scratch.path("frames/%06d.png")
            let result = try run(scratch, input: input, output: output, ["--style", "cutout"])
            try #require(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("no audio; the audio is dropped"), "\(result.stderr)")
            let folder = scratch.path("frames")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(names == ["000000.png", "000001.png", "000002.png", "000003.png", "manifest.jsonl"])
            #expect(!scratch.contents().contains { $0.hasPrefix(".frames") }, "the hidden folder is renamed, not left")
            let manifest = try String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
            #expect(manifest.map { $0["frame"] as? Int } == [0, 1, 2, 3])
            #expect(manifest.map { $0["file"] as? String } == ["000000.png", "000001.png", "000002.png", "000003.png"])
            #expect(manifest.map { $0["time"] as? Double } == [0, 0.1, 0.2, 0.3])
            for frame in 0..<Self.frames {
                let picture = folder + String(format: "/%06d.png", frame)
                #expect(try Probe(picture).video?.pixelFormat == "rgba")
                let rgba = [UInt8](try Probe.rawFrames(picture, pixelFormat: "rgba"))
                try #require(rgba.count == Self.width * Self.height * 4)
                var wrongAlpha = 0, worstColour = 0
                for y in 0..<Self.height {
                    for x in 0..<Self.width {
                        let pixel = (y * Self.width + x) * 4
                        if Int(rgba[pixel + 3]) != (x < 32 ? 0 : 255) { wrongAlpha += 1 }
                        let expected = x < 32 ? [200, 30, 30] : [20, 40, 200]
                        for channel in 0..<3 { worstColour = max(worstColour, abs(Int(rgba[pixel + channel]) - expected[channel])) }
                    }
                }
                #expect(wrongAlpha == 0, "frame \(frame): \(wrongAlpha) alpha samples differ from the mask")
                // The colour went RGB → YUV 4:4:4 → RGB: off by a rounding step at most.
                #expect(worstColour <= 3, "frame \(frame): colour off by \(worstColour)")
            }
        }

        @Test func aPictureSequenceReplacesOnlyAnEarlierSequence() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let folder = scratch.path("seq")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("old".utf8).write(to: URL(fileURLWithPath: folder + "/000009.png"))
            let refused = try run(scratch, input: input, output: folder + "/%06d.png", ["--style", "cutout"])
            #expect(refused.status == 1)
            #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains("--overwrite"), "\(refused.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["000009.png"])

            // Any style can be written as pictures; without alpha they are RGB.
            let replaced = try run(scratch, input: input, output: folder + "/%06d.png", ["--style", "blur", "--overwrite"])
            try #require(replaced.status == 0, "\(replaced.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                == ["000000.png", "000001.png", "000002.png", "000003.png", "manifest.jsonl"])
            #expect(try Probe(folder + "/000000.png").video?.pixelFormat == "rgb24")

            try Data().write(to: URL(fileURLWithPath: folder + "/notes.txt"))
            let foreign = try run(scratch, input: input, output: folder + "/%06d.png", ["--style", "cutout", "--overwrite"])
            #expect(foreign.status == 1)
            #expect(foreign.stderr.contains("notes.txt"), "\(foreign.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 6)
            #expect(!scratch.contents().contains { $0.hasPrefix(".seq") })
        }

        @Test func theMatteIsTheForegroundWhiteOnBlack() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch) { _, _, _ in (200, 30, 30) }
            let output = scratch.path("matte.mkv")
            let result = try run(scratch, input: input, output: output, ["--codec", "ffv1", "--style", "matte"])
            try #require(result.status == 0, "\(result.stderr)")
            let after = try planes(output)
            for x in [0, 31, 32, 63] {
                #expect(sample(after, frame: 1, plane: 0, x: x, y: 10) == (x < 32 ? 16 : 235))
                #expect(sample(after, frame: 1, plane: 1, x: x, y: 10) == 128)
            }
        }
    }
}
