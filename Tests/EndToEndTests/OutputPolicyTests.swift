import Foundation
import Testing

extension EndToEnd {
    /// `--stats-json` follows the policy of `-o`: an existing file only with `--overwrite`, never
    /// a symlink, device or folder, written atomically; `-o` never replaces a non-regular file.
    @Suite struct OutputFilePolicy {
        struct Job {
            let scratch: Scratch
            let input: String
            let model: String

            init() throws {
                scratch = try Scratch()
                input = scratch.path("in.mp4")
                try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "3", "-c:v", "libx264", input])
                model = try makeChannelModel(in: scratch)
            }

            func run(_ extra: [String]) throws -> ProcessOutput {
                try videoseg(["segment", input, "--model", model, "--threads", "1", "-q"] + extra)
            }
        }

        /// Exit 1, one line naming `path`, and nothing new in the folder.
        func expectRefused(_ job: Job, _ extra: [String], naming path: String, saying cause: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws
        {
            let before = job.scratch.contents()
            let run = try job.run(extra)
            #expect(run.status == 1, "exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
            #expect(run.stderr.contains(path) && run.stderr.contains(cause), "\(run.stderr)", sourceLocation: sourceLocation)
            #expect(job.scratch.contents() == before, "left: \(Set(job.scratch.contents()).subtracting(before))", sourceLocation: sourceLocation)
        }

        @Test func existingStatsFileIsKeptWithoutOverwrite() throws {
            let job = try Job()
            let stats = job.scratch.path("stats.json")
            try Data("precious".utf8).write(to: URL(fileURLWithPath: stats))
            try expectRefused(job, ["-o", job.scratch.path("o.mp4"), "--stats-json", stats], naming: stats, saying: "--overwrite")
            #expect(try String(contentsOfFile: stats, encoding: .utf8) == "precious")
        }

        @Test func overwriteReplacesARegularStatsFileAtomically() throws {
            let job = try Job()
            let stats = job.scratch.path("stats.json")
            try Data("old".utf8).write(to: URL(fileURLWithPath: stats))
            let run = try job.run(["-o", job.scratch.path("o.mp4"), "--stats-json", stats, "--overwrite"])
            #expect(run.status == 0, "\(run.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
            #expect(json?["frames"] as? Int == 3)
            // No temporary file is left beside it.
            #expect(job.scratch.contents() == ["channels.pt", "in.mp4", "o.mp4", "stats.json"])
        }

        @Test func symlinkIsNeverReplaced() throws {
            let job = try Job()
            let target = job.scratch.path("target.json"), link = job.scratch.path("link.json")
            try Data("target".utf8).write(to: URL(fileURLWithPath: target))
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            try expectRefused(job, ["-o", job.scratch.path("o.mp4"), "--stats-json", link, "--overwrite"], naming: link,
                              saying: "symbolic link")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "target")
        }

        @Test func folderIsNeverReplaced() throws {
            let job = try Job()
            let folder = job.scratch.path("stats")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            try expectRefused(job, ["-o", job.scratch.path("o.mp4"), "--stats-json", folder, "--overwrite"], naming: folder, saying: "folder")
        }

        @Test(.enabled(if: getuid() == 0, "mknod needs root: the device-node case runs only as root"))
        func deviceNodeIsNeverReplaced() throws {
            let job = try Job()
            let device = job.scratch.path("d")
            let made = try runProcess("/usr/bin/mknod", [device, "c", "1", "7"])
            try #require(made.status == 0, "mknod: \(made.stderr)")
            try expectRefused(job, ["-o", job.scratch.path("o.mp4"), "--stats-json", device, "--overwrite"], naming: device, saying: "device")
            try expectRefused(job, ["-o", device, "--overwrite"], naming: device, saying: "device")
            var status = stat()
            #expect(lstat(device, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR, "the device node must still be there")
        }

        @Test func statsFileAndOutputMustDiffer() throws {
            let job = try Job()
            let output = job.scratch.path("o.mp4")
            let run = try job.run(["-o", output, "--stats-json", output])
            #expect(run.status == 64, "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }
}
