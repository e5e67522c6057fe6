import Foundation
import Testing

extension EndToEnd {
    /// Per-frame masks: exact, counted, timed, atomic.
    @Suite struct MaskExport {
        static let width = 96, height = 64

        func makeInput(_ scratch: Scratch, frames: Int = 6) throws -> String {
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=\(Self.width)x\(Self.height):rate=25", "-frames:v", "\(frames)", "-c:v", "ffv1",
                        "-pix_fmt", "yuv444p", input])
            return input
        }

        /// Class ids of every PNG mask, read back through FFmpeg (pal8 raw: indices, then a
        /// 1024-byte palette per frame).
        func pngIndices(_ folder: String, frames: Int) throws -> [[UInt8]] {
            let raw = try Probe.rawFrames("\(folder)/%06d.png", pixelFormat: "pal8")
            let plane = Self.width * Self.height, stride = plane + 1024
            try #require(raw.count == stride * frames, "\(raw.count) bytes for \(frames) masks")
            return (0..<frames).map { Array(raw[($0 * stride)..<($0 * stride + plane)]) }
        }

        func manifest(_ folder: String) throws -> [[String: Any]] {
            let text = try String(contentsOfFile: "\(folder)/manifest.jsonl", encoding: .utf8)
            return try text.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
            }
        }

        @Test func masksEqualTheClassMapBehindTheOverlayInEveryFormat() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch)
            let model = try makeChannelModel(in: scratch)
            // Mask style paints each class's exact colour (class 0 black), so the lossless overlay
            // tells the class of every pixel independently of the mask writer.
            let overlay = scratch.path("overlay.mkv")
            let run = try videoseg(["segment", input, "-o", overlay, "--codec", "ffv1", "--style", "mask", "--edges", "hard", "--masks", scratch.path("png"),
                                    "--model", model, "--threads", "1", "--input-size", "48x32"])
            try #require(run.status == 0, "\(run.stderr)")
            // BT.601 limited: black (16,128,128); VOC 1 (128,0,0) → (49,109,184); VOC 2 (0,128,0) → (81,91,81).
            let classOf: [[UInt8]: UInt8] = [[16, 128, 128]: 0, [49, 109, 184]: 1, [81, 91, 81]: 2]
            let yuv = Array(try Probe.rawFrames(overlay, pixelFormat: "yuv444p"))
            let plane = Self.width * Self.height
            var fromOverlay: [[UInt8]] = []
            for frame in 0..<6 {
                let base = frame * 3 * plane
                fromOverlay.append(try (0..<plane).map { i in
                    try #require(classOf[[yuv[base + i], yuv[base + plane + i], yuv[base + 2 * plane + i]]], "pixel \(i) of frame \(frame)")
                })
            }
            try #require(Set(fromOverlay.joined()).count == 3, "the input should give all three classes")
            #expect(try pngIndices(scratch.path("png"), frames: 6) == fromOverlay)

            // The same run written as NPY (read by numpy) and as the mask video.
            let npyRun = try videoseg(["segment", input, "--no-video", "--masks", scratch.path("npy"), "--mask-format", "npy",
                                       "--edges", "hard", "--model", model, "--threads", "1", "--input-size", "48x32"])
            try #require(npyRun.status == 0, "\(npyRun.stderr)")
            let joined = scratch.path("npy.raw")
            let python = try runProcess("/usr/bin/python3", ["-c", """
                import numpy, sys, glob
                arrays = [numpy.load(f) for f in sorted(glob.glob(sys.argv[1] + '/*.npy'))]
                assert all(a.dtype == numpy.uint8 and a.shape == (\(Self.height), \(Self.width)) for a in arrays), [a.shape for a in arrays]
                open(sys.argv[2], 'wb').write(b''.join(a.tobytes() for a in arrays))
                """, scratch.path("npy"), joined])
            try #require(python.status == 0, "\(python.stderr)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: joined))) == Array(fromOverlay.joined()))

            let videoRun = try videoseg(["segment", input, "--no-video", "--masks", scratch.path("video"), "--mask-format", "video",
                                         "--edges", "hard", "--model", model, "--threads", "1", "--input-size", "48x32"])
            try #require(videoRun.status == 0, "\(videoRun.stderr)")
            let gray = Array(try Probe.rawFrames(scratch.path("video/masks.mkv"), pixelFormat: "gray"))
            #expect(gray == Array(fromOverlay.joined()))
        }

        @Test func modelSizeMasksAreTheRawClassMap() throws {
            let scratch = try Scratch()
            let run = try videoseg(["segment", try makeInput(scratch), "--no-video", "--masks", scratch.path("m"), "--mask-format", "npy",
                                    "--mask-size", "model", "--model", try makeChannelModel(in: scratch), "--input-size", "40x20"])
            try #require(run.status == 0, "\(run.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: scratch.path("m/000000.npy")))
            let header = String(decoding: data.prefix(128), as: UTF8.self)
            #expect(header.contains("'shape': (20, 40)"))
            #expect(data.count == 128 + 40 * 20)
        }

        @Test(arguments: ["cfr", "vfr"])
        func oneMaskAndOneManifestLinePerFrameWithSourceTimes(kind: String) throws {
            let scratch = try Scratch()
            let input = scratch.path("\(kind).mkv")
            var arguments = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=25", "-frames:v", "17"]
            if kind == "vfr" {
                arguments += ["-vf", "settb=1/1000,setpts='(N*40+mod(N\\,3)*13)/1000/TB'", "-fps_mode", "passthrough", "-enc_time_base:v", "1/1000"]
            }
            try ffmpeg(arguments + ["-c:v", "ffv1", input])
            let folder = scratch.path("masks")
            let stats = scratch.path("stats.json")
            let run = try videoseg(["segment", input, "--no-video", "--masks", folder, "--model", try makeChannelModel(in: scratch),
                                    "--stats-json", stats, "--threads", "1"])
            try #require(run.status == 0, "\(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }.sorted()
            #expect(files == (0..<17).map { String(format: "%06d.png", $0) })
            let lines = try manifest(folder)
            #expect(lines.count == 17)
            #expect(lines.map { $0["frame"] as? Int } == (0..<17).map { $0 })
            #expect(lines.map { $0["file"] as? String } == files)
            let sourceTimes = try Probe.frameTimes(input)
            for (line, time) in zip(lines, sourceTimes) {
                #expect(abs((line["time"] as? Double ?? -1) - time) < 1e-6)
                let fractions = line["classes"] as? [String: Double] ?? [:]
                #expect(abs(fractions.values.reduce(0, +) - 1) < 1e-4)
            }
            // --no-video: no encoder was opened and no video written.
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
            #expect(json?["encoder"] is NSNull)
            #expect(json?["masks"] as? Int == 17)
            #expect(scratch.contents() == ["channels.pt", "\(kind).mkv", "masks", "stats.json"].sorted())
            let labels = try String(contentsOfFile: "\(folder)/labels.json", encoding: .utf8)
            #expect(labels.contains(#"{"color":[0,128,0],"id":2,"name":"blue"}"#))
        }

        @Test func interruptedExportLeavesOnlyCompleteMasks() throws {
            let scratch = try Scratch()
            let input = scratch.path("long.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "3000", "-c:v", "libx264", "-preset", "ultrafast", input])
            let folder = scratch.path("masks")
            let (run, signalled, _) = try videosegInterrupted(
                ["segment", input, "--no-video", "--masks", folder, "--model", try makeChannelModel(in: scratch), "--threads", "1",
                 "--progress", "bar"], signal: SIGINT, after: "progress:")
            try #require(signalled)
            #expect(run.status == 130, "\(run.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            let masks = names.filter { $0.hasSuffix(".png") }
            #expect(names == masks + ["labels.json", "manifest.jsonl"], "unexpected files: \(names.filter { !$0.hasSuffix(".png") })")
            #expect(masks.count > 0 && masks.count < 3000)
            #expect(masks == (0..<masks.count).map { String(format: "%06d.png", $0) })
            #expect(try manifest(folder).map { $0["file"] as? String ?? "" } == masks)
            // Every mask decodes completely.
            let raw = try Probe.rawFrames("\(folder)/%06d.png", pixelFormat: "pal8")
            #expect(raw.count == masks.count * (64 * 48 + 1024))
        }

        @Test func fullDiskStopsWithOneLineAndAConsistentFolder() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch)
            let folder = scratch.path("masks")
            // Each NPY mask is 96·64 + 128 bytes; a 4 KiB file-size limit stops the first one.
            let run = try runProcess("/bin/bash", ["-c", "ulimit -f 4; exec \"$0\" \"$@\"", videosegBinary, "segment", input, "--no-video",
                                                   "--masks", folder, "--mask-format", "npy", "--model", try makeChannelModel(in: scratch)])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("000000.npy") && run.stderr.contains("File too large"), "\(run.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["labels.json", "manifest.jsonl"])
            #expect(try manifest(folder).isEmpty)
        }

        @Test func nonEmptyFolderNeedsOverwrite() throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch)
            let model = try makeChannelModel(in: scratch)
            let folder = scratch.path("masks")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(folder)/notes.txt"))
            try Data("old".utf8).write(to: URL(fileURLWithPath: "\(folder)/000099.png"))
            let refused = try videoseg(["segment", input, "--no-video", "--masks", folder, "--model", model])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains(folder) && refused.stderr.contains("--overwrite"))
            let run = try videoseg(["segment", input, "--no-video", "--masks", folder, "--model", model, "--overwrite"])
            #expect(run.status == 0, "\(run.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(names.contains("notes.txt"))
            #expect(!names.contains("000099.png"))
            #expect(names.filter { $0.hasSuffix(".png") }.count == 6)
        }

        /// Refined class masks (the default) put the person's boundary where the refined
        /// probability mask crosses one half, sample for sample; soft ones are the argmax of the
        /// interpolated scores, which the refinement moves (on the bundled model and sample).
        @Test func refinedClassMasksFollowTheRefinedProbability() throws {
            let scratch = try Scratch()
            let sample = repositoryRoot.appendingPathComponent("Samples/sample.mp4").path
            func masks(_ name: String, _ extra: [String]) throws -> [UInt8] {
                let folder = scratch.path(name)
                let run = try videoseg(["segment", sample, "--no-video", "--masks", folder, "--max-frames", "3", "--threads", "1"] + extra)
                try #require(run.status == 0, "\(run.stderr)")
                let probabilities = extra.contains("probability")
                let raw = try Probe.rawFrames("\(folder)/%06d.png", pixelFormat: probabilities ? "gray" : "pal8")
                // pal8: each frame's indices, then its 1024-byte palette.
                let plane = 1280 * 720, stride = probabilities ? plane : plane + 1024
                try #require(raw.count == stride * 3, "\(raw.count) bytes of masks in \(folder)")
                return (0..<3).flatMap { Array(raw[($0 * stride)..<($0 * stride + plane)]) }
            }
            let classes = try masks("refined", []), soft = try masks("soft", ["--edges", "soft"])
            let probability = try masks("probability", ["--mask-values", "probability"])
            // Every class but background (0) is tinted, so the foreground by default. The first
            // frame splits at one half; later ones hold a sample's side while the probability
            // stays within 0.1 of one half (8-bit: 102...153), and agree wherever it leaves.
            let plane = 1280 * 720
            let first = zip(classes[..<plane], probability[..<plane]).filter { ($0 != 0) != ($1 >= 128) }.count
            #expect(first == 0)
            let later = zip(classes[plane...], probability[plane...]).filter { !(102...153).contains($1) && ($0 != 0) != ($1 >= 128) }.count
            #expect(later == 0)
            #expect(Set(classes).count == 2)
            let moved = zip(classes, soft).filter { $0 != $1 }.count
            #expect(moved > 1000, "the refinement should move the boundary on a real picture (\(moved) samples)")
        }
    }
}
