import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

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

    /// The record at `path`, if there is a readable one.
    package static func read(_ path: String) -> DoneRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(DoneRecord.self, from: data)
    }

    /// Whether this record says `source`, as it is now, was done with `settings`, and its outputs
    /// are all there.
    func covers(_ source: String, settings: String) -> Bool {
        guard let now = FileFingerprint(path: source), now.size == size, now.modified == modified, self.settings == settings else {
            return false
        }
        return outputs.allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// Writes the record atomically.
    package func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path, durable: false)
    }
}
