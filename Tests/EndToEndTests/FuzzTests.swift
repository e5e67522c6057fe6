import Foundation
import Testing

@testable import VideoSegBatch
@testable import VideoSegMedia

extension EndToEnd {
    /// Mutated inputs: small files made here, damaged by a fixed-seed generator (byte flips,
    /// overwrites, truncations, zeroed ranges, duplicated chunks, broken MP4 box sizes), each
    /// run through `videoseg segment` within a time bound. Whatever the damage: exit 0, 1 or 3,
    /// errors on one line, no library chatter, no partial file left, and an output that is
    /// either absent or plays. `VIDEOSEG_FUZZ_COUNT` sets the number of mutants (default 36) and
    /// `VIDEOSEG_FUZZ_SEED` the seed, for longer runs by hand; `VIDEOSEG_FUZZ_VERBOSE` prints each mutant, and `VIDEOSEG_FUZZ_KEEP=DIR` keeps a copy of each.
    /// Also the other surfaces a hostile user reaches: the preview's HTTP, batch names and
    /// picture-sequence patterns (the idle flood under a lowered descriptor limit is in
    /// `PreviewHardening`).
    @Suite struct Fuzz {
        static let seconds = 30.0

        @Test func mutatedInputsEndCleanly() throws {
            let environment = ProcessInfo.processInfo.environment
            let count = environment["VIDEOSEG_FUZZ_COUNT"].flatMap(Int.init) ?? 36
            var random = SplitMix64(seed: environment["VIDEOSEG_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_0F_F022)
            let scratch = try Scratch()
            let seeds = try Self.makeSeeds(scratch)
            let model = try makeChannelModel(in: scratch, inputSize: .shortSide(32))
            var statuses: [Int32: Int] = [:]
            let started = Date()
            for index in 0..<count {
                let seed = seeds[index % seeds.count]
                let (data, mutation) = Mutator.mutate(seed.data, random: &random, isMP4: seed.name.hasSuffix(".mp4"))
                let label = "mutant \(index) of \(seed.name): \(mutation)"
                let input = scratch.path("mutant-\(index).\(URL(fileURLWithPath: seed.name).pathExtension)")
                try data.write(to: URL(fileURLWithPath: input))
                if let keep = environment["VIDEOSEG_FUZZ_KEEP"] {
                    try data.write(to: URL(fileURLWithPath: keep).appendingPathComponent(URL(fileURLWithPath: input).lastPathComponent))
                }
                let output = scratch.path("out-\(index).\(index % 3 == 2 ? "mkv" : "mp4")")
                let run = try runProcess(videosegBinary, ["segment", input, "-o", output, "--model", model, "--threads", "1"],
                                         timeout: Self.seconds)
                try #require(!run.timedOut, "\(label): still running after \(Self.seconds) s (killed)")
                statuses[run.status, default: 0] += 1
                if environment["VIDEOSEG_FUZZ_VERBOSE"] != nil { print("fuzz: \(label): exit \(run.status)") }
                try check(run, output: output, label: label)
                #expect(!scratch.contents().contains { $0.contains("videoseg-partial") }, "\(label): partial file left")
                try? FileManager.default.removeItem(atPath: output)
                try? FileManager.default.removeItem(atPath: input)
            }
            let histogram = statuses.keys.sorted().map { "exit \($0): \(statuses[$0]!)" }.joined(separator: ", ")
            print(String(format: "fuzz: %d mutants in %.1f s; %@", count, Date().timeIntervalSince(started), histogram))
        }

        /// The contract for one run: its exit status, its stderr, its output.
        func check(_ run: ProcessOutput, output: String, label: String) throws {
            #expect([0, 1, 3].contains(run.status), "\(label): exit \(run.status): \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.allSatisfy { $0.hasPrefix("videoseg: ") }, "\(label): stray stderr lines: \(run.stderr)")
            let errors = lines.filter { $0.hasPrefix("videoseg: error:") }
            #expect(run.status == 1 ? (errors.count == 1 && lines.count == 1) : errors.isEmpty, "\(label): \(run.stderr)")
            guard FileManager.default.fileExists(atPath: output) else {
                #expect(run.status == 1, "\(label): exit \(run.status) without an output")
                return
            }
            guard let probe = try? Probe(output) else {
                Issue.record("\(label): ffprobe cannot read the output (exit \(run.status))")
                return
            }
            #expect(probe.video != nil, "\(label): output without video, exit \(run.status): \(run.stderr)")
            let decode = try runProcess("/usr/bin/ffmpeg", ["-v", "error", "-nostdin", "-i", output, "-map", "0:v:0", "-f", "null", "-"])
            #expect(decode.status == 0, "\(label): the output does not decode: \(decode.stderr)")
            #expect(try Probe.decodedFrameCount(output) > 0, "\(label): the output has no frame")
        }

        /// Malformed and hostile HTTP against a running preview: fixed cases (bad request lines,
        /// bad versions, huge headers, bad chunking, binary) and seeded random bytes. Each gets
        /// an HTTP error or a close within seconds, never a hang; the server answers a proper
        /// request after them all, and the run still stops as a stop asks (exit 130).
        @Test func malformedHTTPIsAnsweredAndTheRunGoesOn() throws {
            let scratch = try Scratch()
            // An input that never comes (a FIFO with no writer): the server runs for as long as
            // the test needs, and the stop at the end is the input FIFO's.
            let input = scratch.path("input.fifo")
            try #require(mkfifo(input, 0o600) == 0)
            let process = try LiveProcess(["segment", input, "-o", scratch.path("out.mp4"), "--preview", "0", "--model",
                                           try makeChannelModel(in: scratch, inputSize: .shortSide(32)), "--threads", "1", "--progress", "none"])
            let port = try #require(process.previewPort(), "\(process.stderr)")
            var requests = [
                "\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "GET http://evil/ HTTP/1.1\r\n\r\n",
                "POST /status.json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "GET / HTTP/1.1\r\nHost: x\r\n"
                    + String(repeating: "X-Pad: " + String(repeating: "a", count: 1000) + "\r\n", count: 120) + "\r\n",
                "GET /\u{0}\u{1}\u{2} HTTP/1.1\r\n\r\n", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.0\r\n\r\n",
                "HEAD /stream.mjpg HTTP/1.0\r\n\r\n", "GET /status.json?x=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            ]
            var random = SplitMix64(seed: 0x48_54_54_50)
            for _ in 0..<18 {
                // Random bytes, then the blank line that ends a request's head.
                requests.append(String(decoding: (0..<(1 + Int(random.next() % 300))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
                    + "\r\n\r\n")
            }
            for (index, request) in requests.enumerated() {
                let answer = try RawHTTP.exchange(port: port, request, timeout: 8)
                let status = answer.text.hasPrefix("HTTP/1.") ? Int(answer.text.dropFirst(9).prefix(3)) : nil
                #expect(answer.closed || status != nil, "request \(index) got neither an answer nor a close: \(answer.text.prefix(200))")
            }
            let status = try HTTP.get("http://127.0.0.1:\(port)/status.json")
            #expect(status.status == 200, "the server stopped answering after the malformed requests")
            process.signal(SIGINT)
            #expect(process.wait(timeout: 30).status == 130, "\(process.stderr)")
            #expect(process.stderr.contains("nothing was written"), "\(process.stderr)")
        }

        /// Random names from a hostile alphabet (spaces, punctuation, non-ASCII, dots) never give
        /// two inputs one output name, never leave the output folder, and name the same inputs
        /// the same way twice, whatever their order.
        @Test func batchNamesStayDistinctAndInside() {
            var random = SplitMix64(seed: 0xBA7C_4)
            let alphabet = Array("ab _.-%#?*:é漢😀/")
            for round in 0..<200 {
                let sources = (0..<(2 + Int(random.next() % 8))).map { _ -> String in
                    let name = String((0..<(1 + Int(random.next() % 6))).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
                    return "/in/\(name).\(["mp4", "mkv", "mov"][Int(random.next() % 3)])"
                }
                let unique = Array(Set(sources.map { URL(fileURLWithPath: $0).standardizedFileURL.path })).sorted()
                let names = BatchInput.named(unique).map(\.name)
                #expect(Set(names).count == names.count, "round \(round): \(unique) → \(names)")
                #expect(names.allSatisfy { !$0.hasPrefix("/") && !$0.split(separator: "/").contains("..") }, "round \(round): \(names)")
                let reversed = BatchInput.named(unique.reversed())
                #expect(Dictionary(uniqueKeysWithValues: reversed.map { ($0.source, $0.name) })
                    == Dictionary(uniqueKeysWithValues: zip(unique, names).map { ($0, $1) }), "round \(round): order changed the names")
            }
        }

        /// Random picture-sequence names: a name the check accepts formats every frame number to
        /// a short name holding it; every other one has a message, and the command line refuses
        /// it with exit 64 before any work.
        @Test func pictureSequencePatternsAreAcceptedOnlyWhenSafe() throws {
            var random = SplitMix64(seed: 0x9A77_E2)
            let pieces = ["%", "d", "0", "6", "9", "%%", "s", "x", "-", "frame", "_", "%06d", "%d", "99999"]
            var refused: [String] = []
            for _ in 0..<300 {
                let name = (0..<(1 + Int(random.next() % 4))).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() + ".png"
                guard PictureSequencePattern.problem(inOutput: "frames/" + name) == nil else {
                    refused.append(name)
                    continue
                }
                let formatted = String(format: name, 123_456)
                #expect(formatted.contains("123456") && formatted.count < 40, "\(name) → \(formatted)")
            }
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "libx264", input])
            for name in refused.prefix(5) {
                let run = try runProcess(videosegBinary, ["segment", input, "--style", "cutout", "-o", scratch.path("f/" + name)], timeout: 30)
                #expect(run.status == 64 && run.stderr.hasPrefix("Error: --output"), "\(name): exit \(run.status): \(run.stderr)")
            }
            #expect(!scratch.contents().contains("f"))
        }

        /// The unmutated inputs, made with ffmpeg's test sources.
        static func makeSeeds(_ scratch: Scratch) throws -> [(name: String, data: Data)] {
            let video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=20", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "0.5"]
            let recipes: [(String, [String])] = [
                ("seed.mp4", video + ["-c:v", "libx264", "-g", "5", "-c:a", "aac"]),
                ("seed.mkv", video + ["-c:v", "libx264", "-g", "5", "-c:a", "libopus"]),
                ("seed.ts", video + ["-c:v", "libx264", "-g", "5", "-c:a", "aac"]),
                ("seed.png", ["-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1"]),
            ]
            return try recipes.map { name, arguments in
                let path = scratch.path(name)
                // Bit-exact: Matroska otherwise writes a random segment UID, and the mutants would differ.
                try ffmpeg(arguments + ["-fflags", "+bitexact", "-flags", "+bitexact", path])
                return (name, try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
    }
}

/// Damages bytes the way broken downloads, disks and editors do.
enum Mutator {
    /// One to three mutations of `data`, and what they were.
    static func mutate(_ data: Data, random: inout SplitMix64, isMP4: Bool) -> (Data, String) {
        var bytes = [UInt8](data)
        var done: [String] = []
        for _ in 0..<(1 + Int(random.next() % 3)) where bytes.count > 16 {
            let kind = Int(random.next() % (isMP4 ? 6 : 5))
            done.append(apply(kind, to: &bytes, random: &random))
        }
        return (Data(bytes), done.joined(separator: ", "))
    }

    private static func apply(_ kind: Int, to bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let count = bytes.count
        let at = Int(random.next() % UInt64(count))
        switch kind {
        case 0:
            let flips = 1 + Int(random.next() % 8)
            for _ in 0..<flips { bytes[Int(random.next() % UInt64(count))] ^= UInt8(1 << (random.next() % 8)) }
            return "\(flips) bit flips"
        case 1:
            let length = min(count - at, 1 + Int(random.next() % 32))
            for offset in 0..<length { bytes[at + offset] = UInt8(truncatingIfNeeded: random.next()) }
            return "overwrote \(length) bytes at \(at)"
        case 2:
            let keep = max(16, at)
            bytes.removeSubrange(keep...)
            return "truncated to \(keep) bytes"
        case 3:
            let length = min(count - at, 8 + Int(random.next() % 248))
            for offset in 0..<length { bytes[at + offset] = 0 }
            return "zeroed \(length) bytes at \(at)"
        case 4:
            let length = min(count - at, 16 + Int(random.next() % 1008))
            let chunk = Array(bytes[at..<(at + length)])
            let to = Int(random.next() % UInt64(count))
            bytes.insert(contentsOf: chunk, at: to)
            return "duplicated \(length) bytes from \(at) at \(to)"
        default:
            return breakBoxSize(&bytes, random: &random)
        }
    }

    /// Writes a wrong size into one MP4 box header (the 4 bytes before a known box type).
    private static func breakBoxSize(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let types = ["moov", "mdat", "trak", "mdia", "minf", "stbl", "stsz", "stco", "ftyp"].map { Array($0.utf8) }
        var headers: [Int] = []
        for index in 4..<(bytes.count - 4) where types.contains(where: { $0.elementsEqual(bytes[index..<(index + 4)]) }) {
            headers.append(index - 4)
        }
        guard !headers.isEmpty else { return "no box to break" }
        let at = headers[Int(random.next() % UInt64(headers.count))]
        let sizes: [UInt32] = [0, 1, 7, 0xFFFF_FFFF, UInt32(truncatingIfNeeded: random.next())]
        let size = sizes[Int(random.next() % UInt64(sizes.count))]
        for offset in 0..<4 { bytes[at + offset] = UInt8(truncatingIfNeeded: size >> (24 - 8 * offset)) }
        return "box size \(size) at \(at)"
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so a failing mutant
/// can be made again from its seed and index.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
