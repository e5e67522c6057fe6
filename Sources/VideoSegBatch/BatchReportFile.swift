import Foundation
import VideoSegCore

/// A batch's `batch-report.jsonl`, rewritten after every video: the lines other batches wrote
/// there for videos that are not this batch's, in their order, then this batch's outcomes so
/// far, in input order. Two batches on one output folder each keep the other's results (the
/// folder's flock makes each rewrite see the last), and a batch's `jobs` threads, which finish
/// videos at once, write one at a time.
///
/// A rewrite costs what the report holds, so a batch of N videos would pay N² line encodings
/// and decodings over its run (tens of milliseconds a video at a thousand videos). Each outcome
/// is encoded once, again only when it changes, and a line this batch wrote last time is known
/// as its own by its bytes, not decoded again; only other batches' lines are read as JSON. The
/// file's bytes are what they were without these shortcuts.
final class BatchReportFile: Sendable {
    let path: String
    /// The inputs whose lines are this batch's to write (a line for any of them that this batch
    /// did not write, from an earlier run, is replaced).
    private let ours: Set<String>
    /// What the last rewrites left to reuse; its lock also makes the `jobs` threads rewrite one
    /// at a time.
    private let cache = Locked(Cache())

    private struct Cache {
        /// Each outcome as last encoded, by input index, with its line.
        var encoded: [Int: (outcome: BatchOutcome, line: Data)] = [:]
        /// The lines the last rewrite wrote for this batch's outcomes.
        var written: Set<Data> = []
    }

    /// The report at `path` for a batch of `inputs`.
    init(path: String, inputs: [BatchInput]) {
        self.path = path
        ours = Set(inputs.map(\.source))
    }

    /// Rewrites the report with `outcomes` (by input index, `count` inputs) after the other
    /// batches' lines.
    func write(_ outcomes: [Int: BatchOutcome], count: Int) throws {
        try cache.withLock { cache in
            let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 { flock(folder, LOCK_EX) }
            defer { if folder >= 0 { close(folder) } }
            var data = Data()
            for slice in (FileManager.default.contents(atPath: path) ?? Data()).split(separator: 0x0A) {
                let line = Data(slice)
                if cache.written.contains(line) { continue }
                guard let outcome = try? JSONDecoder().decode(BatchOutcome.self, from: line), !ours.contains(outcome.input) else { continue }
                data.append(line)
                data.append(0x0A)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var lines = Set<Data>()
            for index in 0..<count {
                guard let outcome = outcomes[index] else { continue }
                let line = try BatchReportFile.line(for: outcome, at: index, cache: &cache, encoder: encoder)
                data.append(line)
                data.append(0x0A)
                lines.insert(line)
            }
            cache.written = lines
            try AtomicFile.write(data, to: path, durable: false)
        }
    }

    /// The report line of `outcome`, the `index`-th input's: the last encoding when it has not changed since.
    private static func line(for outcome: BatchOutcome, at index: Int, cache: inout Cache, encoder: JSONEncoder) throws -> Data {
        if let cached = cache.encoded[index], cached.outcome == outcome { return cached.line }
        let line = try encoder.encode(outcome)
        cache.encoded[index] = (outcome, line)
        return line
    }
}
