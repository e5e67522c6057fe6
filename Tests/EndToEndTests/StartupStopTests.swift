import Foundation
import Testing

extension EndToEnd {
    /// Runs that end before the first frame: an input where no frame decodes is an error, and a
    /// stop while the input opens or the model is prepared ends the run at once. Either way
    /// nothing is left behind.
    @Suite struct StartupStops {
        /// Starts `videoseg` with `arguments`, sends SIGTERM after `delay` seconds, and returns
        /// its output and how long it took to end after the signal.
        func terminated(_ arguments: [String], after delay: Double) throws -> (ProcessOutput, Double) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: videosegBinary)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            let errors = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-stop-\(UUID().uuidString).txt")
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: errors) }
            process.standardError = try FileHandle(forWritingTo: errors)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            let signalled = Date()
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            let output = ProcessOutput(status: process.terminationStatus, stdout: "",
                                       stderr: (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
            return (output, Date().timeIntervalSince(signalled))
        }

        @Test(arguments: ["png", "webm"])
        func anInputWhereNoFrameDecodesIsAnErrorAndLeavesNothing(kind: String) throws {
            let scratch = try Scratch()
            let whole = scratch.path("whole.\(kind)"), broken = scratch.path("broken.\(kind)")
            if kind == "png" {
                try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", whole])
                // Keep the header and chunk layout, zero the compressed picture: nothing decodes.
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
                for index in 60..<(bytes.count - 20) { bytes[index] = 0 }
                try Data(bytes).write(to: URL(fileURLWithPath: broken))
            } else {
                try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "1", "-c:v", "libvpx-vp9", whole])
                // Cut inside the first frame: the header survives, no picture does.
                let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
                try bytes.prefix(400).write(to: URL(fileURLWithPath: broken))
            }
            let output = scratch.path("out.mp4"), masks = scratch.path("masks")
            let run = try videoseg(["segment", broken, "-o", output, "--masks", masks, "--model", try makeChannelModel(in: scratch),
                                    "--threads", "1", "--stats-json", scratch.path("stats.json")])
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains(broken), "\(run.stderr)")
            #expect(scratch.contents().filter { $0 != "whole.\(kind)" && $0 != "broken.\(kind)" && $0 != "channels.pt" }.isEmpty,
                    "left behind: \(scratch.contents())")
        }

        @Test func aStopWhileTheInputWaitsForAWriterEndsAtOnce() throws {
            let scratch = try Scratch()
            let fifo = scratch.path("camera.fifo")
            try #require(mkfifo(fifo, 0o600) == 0)
            let output = scratch.path("out.mp4")
            let (run, seconds) = try terminated(["segment", fifo, "-o", output, "--model", try makeChannelModel(in: scratch)], after: 1)
            #expect(run.status == 130, "\(run.stderr)")
            #expect(seconds < 2, "ended \(seconds) s after SIGTERM")
            #expect(run.stderr.contains("nothing was written"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
            #expect(!scratch.contents().contains { $0.contains("partial") })
        }

        /// The same for a `--background` FIFO with no writer: SIGTERM ends the wait (it used to
        /// print "stopping" and block in open(2) for good).
        @Test func aStopWhileTheBackgroundWaitsForAWriterEndsAtOnce() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264", input])
            let fifo = scratch.path("background.fifo")
            try #require(mkfifo(fifo, 0o600) == 0)
            let output = scratch.path("out.mp4")
            let (run, seconds) = try terminated(["segment", input, "-o", output, "--style", "replace", "--background", fifo,
                                                 "--model", try makeChannelModel(in: scratch)], after: 2)
            #expect(run.status == 130, "\(run.stderr)")
            #expect(seconds < 2, "ended \(seconds) s after SIGTERM")
            #expect(!FileManager.default.fileExists(atPath: output))
            #expect(!scratch.contents().contains { $0.contains("partial") }, "\(scratch.contents())")
        }

        /// DeepLabV3-ResNet50 takes seconds to load, freeze, time and warm up: a stop at any moment
        /// of that ends the run within a couple of seconds, never crashes, and leaves nothing.
        @Test(arguments: [1.0, 2.0, 3.5])
        func aStopWhileTheModelIsPreparedEndsSoonAndLeavesNothing(delay: Double) throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "2", "-c:v", "libx264", input])
            let output = scratch.path("out.mp4")
            let (run, seconds) = try terminated(["segment", input, "-o", output, "--model", try cachedModel("deeplabv3_resnet50"),
                                                 "--threads", "1", "--masks", scratch.path("masks")], after: delay)
            #expect(run.status == 130, "\(run.stderr)")
            #expect(seconds < 8, "ended \(seconds) s after SIGTERM")
            #expect(!run.stderr.contains("double free") && !run.stderr.contains("Fatal error"), "\(run.stderr)")
            #expect(scratch.contents() == ["in.mp4"], "left behind: \(scratch.contents())")
        }
    }

    /// A run holds a lock on the files it is writing: a second run to the same output is refused
    /// while the first lives, and what a killed run left is reported and replaced.
    @Suite struct DeadRuns {
        func input(_ scratch: Scratch) throws -> String {
            let path = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264", path])
            return path
        }

        @Test func aSecondRunToTheSameOutputIsRefusedWhileTheFirstLives() throws {
            let scratch = try Scratch()
            let source = try input(scratch)
            let partial = scratch.path(".out.mp4.videoseg-partial")
            // This test process plays the live run: it holds the lock on the partial file.
            let descriptor = open(partial, O_RDWR | O_CREAT, 0o644)
            try #require(descriptor >= 0 && flock(descriptor, LOCK_EX | LOCK_NB) == 0)
            defer { close(descriptor) }
            let run = try videoseg(["segment", source, "-o", scratch.path("out.mp4"), "--model", try makeChannelModel(in: scratch)])
            #expect(run.status == 1)
            #expect(run.stderr.contains("another videoseg run is writing it now"), "\(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: partial), "the live run's file must stay")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("out.mp4")))
        }

        @Test func aPartialFileLeftByAKilledRunIsReportedAndReplaced() throws {
            let scratch = try Scratch()
            let source = try input(scratch)
            try Data(repeating: 0x55, count: 1000).write(to: URL(fileURLWithPath: scratch.path(".out.mp4.videoseg-partial")))
            let run = try videoseg(["segment", source, "-o", scratch.path("out.mp4"), "--model", try makeChannelModel(in: scratch), "-v"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("left by a run that was killed"), "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(scratch.path("out.mp4")) == 3)
            #expect(!scratch.contents().contains { $0.hasSuffix("videoseg-partial") })
        }

        @Test func aMaskFolderAKilledRunLeftIsNamedAndOverwriteRepairsIt() throws {
            let scratch = try Scratch()
            let source = try input(scratch)
            let folder = scratch.path("masks")
            let model = try makeChannelModel(in: scratch)
            // What SIGKILL leaves: the lock file (unlocked), masks, a manifest one line short, a partial.
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in [".videoseg-lock", "000000.png", "000001.png", ".000002.png.partial"] {
                FileManager.default.createFile(atPath: folder + "/" + name, contents: Data([1, 2, 3]))
            }
            try Data("{\"frame\": 0}\n".utf8).write(to: URL(fileURLWithPath: folder + "/manifest.jsonl"))
            let refused = try videoseg(["segment", source, "--no-video", "--masks", folder, "--model", model])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("a run that was killed left files here"), "\(refused.stderr)")
            let repaired = try videoseg(["segment", source, "--no-video", "--masks", folder, "--model", model, "--overwrite"])
            #expect(repaired.status == 0, "\(repaired.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(names == ["000000.png", "000001.png", "000002.png", "labels.json", "manifest.jsonl"])
            let manifest = try String(contentsOfFile: folder + "/manifest.jsonl", encoding: .utf8)
            #expect(manifest.split(separator: "\n").count == 3)
        }
    }
}
