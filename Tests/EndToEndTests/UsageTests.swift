import Foundation
import Testing

extension EndToEnd {
    /// Bad option values are usage errors: exit 64, the error on one line naming the option,
    /// nothing opened or written.
    @Suite struct Usage {
        /// Runs `segment` on a tiny input with `extra` and checks the usage-error contract.
        func expectUsageError(_ extra: [String], naming option: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "libx264", input])
            let model = try makeChannelModel(in: scratch)
            let before = scratch.contents()
            let run = try videoseg(["segment", input, "-o", scratch.path("o.mp4"), "--model", model] + extra)
            #expect(run.status == 64, "\(extra): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
            let first = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("Error: ") && first.contains(option), "\(extra): \(run.stderr)", sourceLocation: sourceLocation)
            #expect(scratch.contents() == before, "\(extra): files left behind", sourceLocation: sourceLocation)
        }

        @Test(arguments: [["--queue-depth", "1000000000"], ["--queue-depth", "65"], ["--queue-depth", "0"]])
        func queueDepthIsBounded(_ extra: [String]) throws {
            try expectUsageError(extra, naming: "--queue-depth")
        }

        /// Picture-sequence names are checked before any work: one plain frame number field of at
        /// most 10 digits. (`%999999999d` used to run, eating a core and gigabytes, deaf to
        /// SIGTERM; the others said an alpha channel was missing.)
        @Test(arguments: [("%999999999d.png", "too wide"), ("%s.png", "%s in the picture sequence name is not a frame number"),
                          ("%%.png", "%% in the picture sequence name"), ("%x.png", "%x in the picture sequence name"),
                          ("%d_%06d.png", "holds 2 fields"), ("frame.png", "needs a frame number field"),
                          ("%-5d.png", "%-5d in the picture sequence name")])
        func pictureSequencePatternsAreChecked(_ name: String, _ words: String) throws {
            try expectUsageError(["--style", "cutout", "-o", "frames/" + name], naming: words)
        }

        /// A malformed colour is a usage error that says it is not a colour (it used to be
        /// looked for as a file: "no such file", exit 1).
        @Test(arguments: [("#zzzzzz", "is not a colour"), ("#00B14", "is not a colour"), ("0x12", "is not a colour"), ("", "is empty")])
        func malformedColoursAreUsageErrors(_ colour: String, _ words: String) throws {
            try expectUsageError(["--style", "replace", "--background", colour], naming: words)
        }

        @Test func threadsAreBoundedByTheCores() throws {
            let limit = ProcessInfo.processInfo.activeProcessorCount * 4
            try expectUsageError(["--threads", "1000"], naming: "--threads")
            try expectUsageError(["--threads", "\(limit + 1)"], naming: "--threads")
            try expectUsageError(["--threads", "0"], naming: "--threads")
        }

        @Test func largestAllowedValuesRun() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "libx264", input])
            let run = try videoseg(["segment", input, "-o", scratch.path("o.mp4"), "--model", try makeChannelModel(in: scratch),
                                    "--queue-depth", "64", "--threads", "\(ProcessInfo.processInfo.activeProcessorCount * 4)"])
            #expect(run.status == 0, "\(run.stderr)")
        }

        @Test(arguments: ["0", "abc", "10x0", "0x10", "x", "-5"])
        func malformedInputSize(_ value: String) throws {
            try expectUsageError(["--input-size", value], naming: "--input-size")
        }

        @Test(arguments: [("--mean", "nan,nan,nan"), ("--mean", "inf,0,0"), ("--std", "1,-inf,1"), ("--std", "1,nan,1"),
                          ("--mean", "0.5,x,0.5,0.5"), ("--std", "0,1,1")])
        func nonFiniteOrMalformedNormalisation(option: String, value: String) throws {
            try expectUsageError([option, value], naming: option)
        }

        @Test(arguments: ["", ",", " , "])
        func emptyClassList(_ value: String) throws {
            try expectUsageError(["--classes", value], naming: "--classes")
        }

        @Test func modelInfoInputSizeIsUsage() throws {
            let scratch = try Scratch()
            let run = try videoseg(["model", "info", try makeChannelModel(in: scratch), "--input-size", "0"])
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.hasPrefix("Error: --input-size"), "\(run.stderr)")
        }
    }
}
