import Foundation
import Testing

extension EndToEnd {
    /// `videoseg batch` on a folder of clips the test makes: one with audio, one rotated, one
    /// corrupt, and a picture named in a list.
    @Suite struct Batch {
        func makeClips(_ scratch: Scratch, count: Int = 2, seconds: String = "1", size: String = "96x64") throws -> String {
            let folder = scratch.path("clips")
            try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
            for index in 0..<count {
                try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25", "-f", "lavfi", "-i", "sine", "-t", seconds,
                            "-c:v", "libx264", "-c:a", "aac", folder + "/clip\(index).mp4"])
            }
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-t", "1", "-c:v", "libx264", "-metadata:s:v:0", "rotate=90",
                        folder + "/sub/turned.mp4"])
            let whole = try Data(contentsOf: URL(fileURLWithPath: folder + "/clip0.mp4"))
            try whole.prefix(2000).write(to: URL(fileURLWithPath: folder + "/sub/broken.mp4"))
            return folder
        }

        func report(_ folder: String) throws -> [[String: Any]] {
            try String(contentsOfFile: folder + "/batch-report.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }

        func statuses(_ lines: [[String: Any]]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: lines.map { (URL(fileURLWithPath: $0["input"] as! String).lastPathComponent, $0["status"] as! String) })
        }

        @Test func aBatchDoesEveryGoodVideoAsSegmentWouldAndResumes() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch)
            let picture = scratch.path("still.png")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64", "-frames:v", "1", picture])
            let list = scratch.path("list.txt")
            try picture.write(toFile: list, atomically: true, encoding: .utf8)
            let out = scratch.path("out"), model = try makeChannelModel(in: scratch)
            // The default H.264: the same bytes as `segment` writes, whichever thread and position
            // a video gets in the batch.
            let arguments = ["batch", clips, "--list", list, "--output-dir", out, "--model", model, "--threads", "1", "--jobs", "2"]
            let first = try videoseg(arguments)
            #expect(first.status == 2, "\(first.stderr)")
            #expect(statuses(try report(out)) == ["clip0.mp4": "done", "clip1.mp4": "done", "turned.mp4": "done", "broken.mp4": "failed",
                                                  "still.png": "done"])
            #expect(try report(out).first { ($0["input"] as? String)?.hasSuffix("broken.mp4") == true }?["error"] as? String != nil)
            // Every line says where the video's time went, the report's own rewrite included.
            for line in try report(out) {
                let phases = line["phases"] as? [String: Double] ?? [:]
                #expect(phases["lock"] != nil && phases["report"] != nil, "\(line)")
                if line["status"] as? String == "done" { #expect(phases["frames"] != nil && phases["finish"] != nil, "\(line)") }
            }

            // The same frames as `segment` writes for the clip alone.
            let alone = scratch.path("alone.mp4")
            let single = try videoseg(["segment", clips + "/clip1.mp4", "-o", alone, "--model", model, "--threads", "1"])
            try #require(single.status == 0, "\(single.stderr)")
            let batched = out + "/clips/clip1.segmented.mp4"
            #expect(try Data(contentsOf: URL(fileURLWithPath: batched)) == Data(contentsOf: URL(fileURLWithPath: alone)))
            #expect(try Probe(batched).audio != nil)

            // A rerun does no work for the done videos and tries the broken one again.
            let second = try videoseg(arguments)
            #expect(second.status == 2)
            #expect(statuses(try report(out)) == ["clip0.mp4": "skipped", "clip1.mp4": "skipped", "turned.mp4": "skipped",
                                                  "broken.mp4": "failed", "still.png": "skipped"])
            #expect(second.stderr.contains("models prepared: 0"), "\(second.stderr)")

            // Other settings: done again.
            let third = try videoseg(arguments + ["--alpha", "0.8"])
            #expect(statuses(try report(out))["clip0.mp4"] == "done", "\(third.stderr)")
            #expect(!FileManager.default.enumerator(atPath: out)!.contains { ($0 as! String).contains("partial") })
        }

        /// libx264 (r3095) reads heap bytes it never wrote (macroblock-tree rate control with
        /// B-frames; these 96x64 clips hit it): the outputs must not follow what the heap held,
        /// here filled with other bytes by glibc's MALLOC_PERTURB_, nor a video's place in a batch.
        @Test func h264OutputsDoNotDependOnWhatTheHeapHeld() throws {
            let scratch = try Scratch()
            let clips = scratch.path("clips")
            try FileManager.default.createDirectory(atPath: clips, withIntermediateDirectories: true)
            for index in 0..<4 {
                try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-ss", "0.\(index * 3)", "-t", "1", "-c:v", "libx264",
                            clips + "/clip\(index).mp4"])
            }
            let model = try makeChannelModel(in: scratch)
            var runs: [[Data]] = []
            for perturb in ["1", "77", "200"] {
                var environment = ProcessInfo.processInfo.environment
                environment["MALLOC_PERTURB_"] = perturb
                let out = scratch.path("out-\(perturb)")
                let run = try runProcess(videosegBinary, ["batch", clips, "--output-dir", out, "--model", model, "--threads", "2", "--jobs", "2"],
                                         environment: environment)
                try #require(run.status == 0, "\(run.stderr)")
                runs.append(try (0..<4).map { try Data(contentsOf: URL(fileURLWithPath: out + "/clip\($0).segmented.mp4")) })
            }
            #expect(runs[1] == runs[0] && runs[2] == runs[0])
            let alone = scratch.path("alone.mp4")
            let single = try videoseg(["segment", clips + "/clip3.mp4", "-o", alone, "--model", model, "--threads", "1"])
            try #require(single.status == 0, "\(single.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: alone)) == runs[0][3])
        }

        @Test func shardsTogetherCoverEveryInputOnce() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch, count: 4)
            let model = try makeChannelModel(in: scratch)
            var seen: [String] = []
            for shard in 0..<3 {
                let out = scratch.path("out\(shard)")
                _ = try videoseg(["batch", clips, "--output-dir", out, "--model", model, "--threads", "1", "--shard", "\(shard)/3"])
                seen += try report(out).map { $0["input"] as! String }
            }
            #expect(seen.count == 6 && Set(seen).count == 6, "\(seen)")
        }

        @Test func thePlanNamesTheInputsAsTheBatchDoesAndDoesNoWork() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch)
            let out = scratch.path("out"), model = try makeChannelModel(in: scratch)
            let plan = try videoseg(["batch", clips, "--output-dir", out, "--print-plan"])
            try #require(plan.status == 0, "\(plan.stderr)")
            let lines = plan.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String] }
            #expect(lines.map { $0["name"]! } == ["clip0", "clip1", "sub/broken", "sub/turned"])
            #expect(!FileManager.default.fileExists(atPath: out))

            // One share, its report elsewhere: the plan's name is where its outputs go.
            let report = scratch.path("reports/task-3.jsonl")
            let run = try videoseg(["batch", clips, "--output-dir", out, "--shard", "3/4", "--report", report, "--model", model, "--threads", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            let line = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
            #expect(line["input"] as? String == lines[3]["input"] && line["status"] as? String == "done")
            #expect(FileManager.default.fileExists(atPath: out + "/" + lines[3]["name"]! + ".segmented.mp4"))
            #expect(!FileManager.default.fileExists(atPath: out + "/batch-report.jsonl"))
        }

        @Test func aVideoAnotherRunHoldsIsRefusedAndLeftAlone() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch)
            let out = scratch.path("out")
            let arguments = ["batch", clips + "/clip0.mp4", clips + "/clip1.mp4", "--output-dir", out, "--masks", "m", "--no-video",
                             "--model", try makeChannelModel(in: scratch), "--threads", "1", "--lock-wait", "0"]
            // Another run at clip0: it holds the video's lock and is writing its masks.
            let theirs = out + "/.clip0.masks.videoseg-partial"
            try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: theirs + "/000000.png", contents: Data([1]))
            let held = open(out + "/.clip0.videoseg-lock", O_RDWR | O_CREAT, 0o644)
            try #require(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)

            let refused = try videoseg(arguments)
            #expect(refused.status == 2)
            #expect(statuses(try report(out)) == ["clip0.mp4": "failed", "clip1.mp4": "done"])
            #expect(try report(out)[0]["error"] as? String ?? "" == "\(out)/clip0.masks: cannot write output: another videoseg run is writing it now")
            #expect(FileManager.default.fileExists(atPath: theirs + "/000000.png"), "the other run's masks were touched")

            // That run is gone (killed: its lock file stays, unlocked): the next batch takes over.
            close(held)
            let next = try videoseg(arguments)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(statuses(try report(out)) == ["clip0.mp4": "done", "clip1.mp4": "skipped"])
            let left = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(!left.contains { $0.contains("videoseg-lock") || $0.contains("partial") }, "\(left)")
        }

        /// By default a batch waits for a video another run holds, then does it (that run died)
        /// or finds it done; two batches at once on one folder both end 0, and the report on
        /// disk has every video of both, none failed.
        @Test func batchesOnOneFolderWaitForEachOtherAndKeepEachOthersLines() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch, count: 3)
            let out = scratch.path("out"), model = try makeChannelModel(in: scratch)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let common = ["--output-dir", out, "--model", model, "--threads", "1", "--codec", "mpeg4"]
            let held = open(out + "/.clip0.videoseg-lock", O_RDWR | O_CREAT, 0o644)
            try #require(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
            let waiting = try LiveProcess(["batch", clips + "/clip0.mp4"] + common)
            Thread.sleep(forTimeInterval: 2)
            // Still waiting: nothing finished, so no report yet (it used to fail the video at once).
            #expect(!FileManager.default.fileExists(atPath: out + "/batch-report.jsonl"), "\(waiting.stderr)")
            close(held)
            let waited = waiting.wait(timeout: 120)
            #expect(waited.status == 0, "\(waiting.stderr)")
            #expect(statuses(try report(out)) == ["clip0.mp4": "done"])

            // Two at once, sharing clip1 (and the report with the line for clip0).
            let first = try LiveProcess(["batch", clips + "/clip1.mp4", clips + "/clip2.mp4"] + common)
            let second = try LiveProcess(["batch", clips + "/clip2.mp4", clips + "/clip1.mp4"] + common)
            #expect(first.wait(timeout: 120).status == 0, "\(first.stderr)")
            #expect(second.wait(timeout: 120).status == 0, "\(second.stderr)")
            let lines = statuses(try report(out))
            #expect(lines.count == 3 && lines["clip0.mp4"] == "done", "\(lines)")
            #expect(!lines.values.contains("failed"), "\(lines)")
            #expect(Set(lines.values).isSubset(of: ["done", "skipped"]), "\(lines)")
            for clip in ["clip0", "clip1", "clip2"] { #expect(try Probe.decodedFrameCount(out + "/\(clip).segmented.mp4") == 25) }
        }

        /// A read-only output folder: each video fails with one line naming its output and the
        /// cause, then one line for the report, exit 1; a folder that cannot be made is one line.
        /// No Foundation dump ("Error Domain=...") anywhere.
        @Test func aReadOnlyOutputFolderIsOneLineEach() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch, count: 1)
            let folder = scratch.path("readonly")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // root writes through permissions: a read-only mount instead.
            if geteuid() == 0 {
                try #require(try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "ro", "tmpfs", folder]).status == 0, "cannot mount a read-only folder")
            } else {
                try #require(chmod(folder, 0o555) == 0)
            }
            defer { if geteuid() == 0 { _ = try? runProcess("/bin/umount", [folder]) } else { chmod(folder, 0o755) } }
            let cause = geteuid() == 0 ? "Read-only file system" : "Permission denied"
            let model = try makeChannelModel(in: scratch)

            let arguments = ["batch", clips + "/clip0.mp4", "--output-dir", folder, "--model", model, "--threads", "1"]
            let quiet = try videoseg(arguments + ["-q"])
            #expect(quiet.status == 1)
            #expect(quiet.stderr == "videoseg: error: \(folder)/batch-report.jsonl: cannot write output: \(cause)\n", "\(quiet.stderr)")
            let run = try videoseg(arguments)
            #expect(run.status == 1)
            let lines = run.stderr.split(separator: "\n").map(String.init)
            #expect(lines.contains("videoseg: failed: \(folder)/clip0.segmented.mp4: cannot write output: \(cause)"), "\(run.stderr)")
            #expect(lines.last == "videoseg: error: \(folder)/batch-report.jsonl: cannot write output: \(cause)", "\(run.stderr)")
            #expect(!run.stderr.contains("Error Domain"))

            let deeper = try videoseg(["batch", clips + "/clip0.mp4", "--output-dir", folder + "/sub", "--model", model, "--threads", "1"])
            #expect(deeper.status == 1)
            #expect(deeper.stderr == "videoseg: error: \(folder)/sub: cannot write output: \(cause)\n", "\(deeper.stderr)")
            let masks = try videoseg(["segment", clips + "/clip0.mp4", "--no-video", "--masks", folder + "/m", "--model", model])
            #expect(masks.status == 1)
            #expect(masks.stderr == "videoseg: error: \(folder)/m: cannot write output: cannot create the folder: \(cause)\n", "\(masks.stderr)")
        }

        /// batch takes segment's `--progress` (none: only the summary line) and `-o` picks each
        /// video's container by its extension; a picture-sequence `-o` is refused.
        @Test func progressAndOutputMeanWhatTheySayInABatch() throws {
            let scratch = try Scratch()
            let clips = try makeClips(scratch, count: 1)
            let out = scratch.path("out"), model = try makeChannelModel(in: scratch)
            let run = try videoseg(["batch", clips + "/clip0.mp4", "--output-dir", out, "--model", model, "--threads", "1", "--progress", "none",
                                    "-o", ".mkv"])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("videoseg: batch: 1 done, 0 skipped, 0 failed of 1 videos"), "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(out + "/clip0.segmented.mkv") == 25)
            #expect(!FileManager.default.fileExists(atPath: out + "/clip0.segmented.mp4"))
            let refused = try videoseg(["batch", clips + "/clip0.mp4", "--output-dir", out, "--model", model, "-o", "frames/%06d.png"])
            #expect(refused.status == 64 && refused.stderr.contains("-o only picks the container"), "\(refused.stderr)")
            let help = try videoseg(["batch", "--help"])
            let words = help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            #expect(words.contains("-o picks every video's container by its extension alone"), "\(help.stdout)")
        }

        /// `a b.mp4` and `a_b.mp4` clean to one name: each still gets its own output, with its own
        /// frames, and a rerun skips both.
        @Test func namesThatCleanAlikeGetTheirOwnOutputs() throws {
            let scratch = try Scratch()
            let folder = scratch.path("in"), out = scratch.path("out")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-frames:v", "3", "-c:v", "libx264", folder + "/a b.mp4"])
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-frames:v", "5", "-c:v", "libx264", folder + "/a_b.mp4"])
            let arguments = ["batch", folder, "--output-dir", out, "--model", try makeChannelModel(in: scratch), "--threads", "1"]
            let first = try videoseg(arguments)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(statuses(try report(out)) == ["a b.mp4": "done", "a_b.mp4": "done"])
            let outputs = try report(out).map { ($0["outputs"] as! [String])[0] }
            try #require(Set(outputs).count == 2, "\(outputs)")
            #expect(try Probe.decodedFrameCount(outputs[0]) == 3 && Probe.decodedFrameCount(outputs[1]) == 5, "\(outputs)")
            let second = try videoseg(arguments)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(statuses(try report(out)) == ["a b.mp4": "skipped", "a_b.mp4": "skipped"])
            #expect(try report(out).map { ($0["outputs"] as! [String])[0] } == outputs)
        }

        /// An output folder inside the input folder is not read as input by the next run.
        @Test func anOutputFolderInsideTheInputsIsNotInput() throws {
            let scratch = try Scratch()
            let folder = scratch.path("in")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-frames:v", "3", "-c:v", "libx264", folder + "/v1.mp4"])
            let arguments = ["batch", folder, "--output-dir", folder + "/out", "--model", try makeChannelModel(in: scratch), "--threads", "1"]
            for expected in ["done", "skipped"] {
                let run = try videoseg(arguments)
                #expect(run.status == 0, "\(run.stderr)")
                #expect(statuses(try report(folder + "/out")) == ["v1.mp4": expected])
            }
            #expect(!FileManager.default.fileExists(atPath: folder + "/out/out"))
        }

        @Test func aStopMidBatchLeavesOnlyFinishedVideos() throws {
            let scratch = try Scratch()
            // Clips long enough (about a second each here) that the batch is far from done when the
            // first progress line, which follows the first finished video, brings the signal.
            let clips = try makeClips(scratch, count: 6, seconds: "6", size: "320x240")
            let out = scratch.path("out")
            let (run, signalled, _) = try videosegInterrupted(
                ["batch", clips, "--output-dir", out, "--model", try makeChannelModel(in: scratch), "--threads", "1"],
                signal: SIGINT, after: "batch: ")
            #expect(signalled)
            #expect(run.status == 130, "\(run.stderr)")
            let files = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String]) ?? []
            let videos = files.filter { $0.hasSuffix(".segmented.mp4") }
            #expect(!videos.isEmpty && videos.count < 8)
            for video in videos {
                let stem = String(video.dropLast(".segmented.mp4".count))
                #expect(files.contains(stem + ".videoseg-done.json"), "\(video) has no done-record")
            }
            #expect(!files.contains { $0.contains("partial") }, "\(files)")
            let lines = try report(out)
            #expect(lines.filter { $0["status"] as? String == "done" }.count == videos.count)
        }
    }
}
