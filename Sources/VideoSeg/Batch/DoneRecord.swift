import Foundation

/// The small file beside a finished video's outputs that says it is done: the input's size and
/// modification time, and a hash of the settings it was made with. A rerun skips a video whose
/// record matches all three and whose outputs are there, and redoes it otherwise.
public struct DoneRecord: Codable, Equatable, Sendable {
    public var input: String
    public var size: Int64
    /// Modification time, nanoseconds since 1970.
    public var modified: Int64
    public var settings: String
    public var outputs: [String]
    public var frames: Int
    public var seconds: Double

    /// The record's path for outputs named `stem` (a path without the `.segmented.mp4` ending).
    public static func path(forStem stem: String) -> String { stem + ".videoseg-done.json" }

    /// The size and modification time of `source` now (nil for URLs and missing files).
    static func fingerprint(_ source: String) -> (size: Int64, modified: Int64)? {
        var status = stat()
        guard !BatchInput.isURL(source), stat(source, &status) == 0 else { return nil }
        return (Int64(status.st_size), Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
    }

    /// The record at `path`, if there is a readable one.
    static func read(_ path: String) -> DoneRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(DoneRecord.self, from: data)
    }

    /// Whether this record says `source`, as it is now, was done with `settings`, and its outputs
    /// are all there.
    func covers(_ source: String, settings: String) -> Bool {
        guard let now = DoneRecord.fingerprint(source), now.size == size, now.modified == modified, self.settings == settings else {
            return false
        }
        return outputs.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Writes the record atomically.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try MaskWriter.writeAtomically(try encoder.encode(self), to: URL(fileURLWithPath: path))
    }
}

/// A stable 64-bit FNV-1a hash, as hex: the same settings give the same text on every machine
/// and every run (Swift's own hashing is seeded per process).
func stableHash(_ text: String) -> String {
    stableHash(bytes: text.utf8)
}

/// `stableHash` of any bytes (a model file's, for instance).
func stableHash<Bytes: Sequence<UInt8>>(bytes: Bytes) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}
