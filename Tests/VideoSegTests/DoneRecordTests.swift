import Foundation
import Testing

@testable import VideoSegBatch
@testable import VideoSegCore

/// A done-record covers a video only as long as the input, the settings and every output are
/// what they were; the per-video lock keeps a second run out and leaves no file behind.
@Suite struct DoneRecordTests {
    private func record(for input: String, outputs: [String]) throws -> DoneRecord {
        let fingerprint = try #require(FileFingerprint(path: input))
        return DoneRecord(input: input, size: fingerprint.size, modified: fingerprint.modified, settings: "s1",
                          outputs: outputs, frames: 10, seconds: 0.5)
    }

    @Test func aRecordIsWrittenReadBackAndCoversTheUnchangedVideo() throws {
        let folder = try TemporaryDirectory()
        let input = try folder.write("video", to: "in.mp4")
        let output = try folder.write("annotated", to: "in.segmented.mp4")
        let done = try record(for: input, outputs: [output])
        let path = DoneRecord.path(forStem: folder.path("in"))
        #expect(path == folder.path("in.videoseg-done.json"))
        try done.write(to: path)
        let read = try #require(DoneRecord.read(path))
        #expect(read == done)
        #expect(read.covers(input, settings: "s1"))
    }

    @Test func otherSettingsAChangedInputOrAMissingOutputAreNotCovered() throws {
        let folder = try TemporaryDirectory()
        let input = try folder.write("video", to: "in.mp4")
        let output = try folder.write("annotated", to: "in.segmented.mp4")
        let done = try record(for: input, outputs: [output])
        #expect(!done.covers(input, settings: "s2"))
        try FileManager.default.removeItem(atPath: output)
        #expect(!done.covers(input, settings: "s1"))
        try folder.write("annotated", to: "in.segmented.mp4")
        try folder.write("a longer video", to: "in.mp4")
        #expect(!done.covers(input, settings: "s1"))
    }

    @Test func aDamagedRecordReadsAsNone() throws {
        let folder = try TemporaryDirectory()
        #expect(DoneRecord.read(try folder.write("{\"input\": 3", to: "x.videoseg-done.json")) == nil)
        #expect(DoneRecord.read(folder.path("missing.json")) == nil)
    }

    @Test func aVideoLockKeepsASecondRunOutAndIsGoneWhenReleased() throws {
        let folder = try TemporaryDirectory()
        let stem = folder.path("clip")
        let first = try VideoLock(stem: stem, output: "clip.segmented.mp4")
        #expect(FileManager.default.fileExists(atPath: first.path))
        #expect(throws: VideoSegError.outputNotWritable(path: "clip.segmented.mp4", reason: "another videoseg run is writing it now")) {
            _ = try VideoLock(stem: stem, output: "clip.segmented.mp4")
        }
        first.release()
        #expect(!FileManager.default.fileExists(atPath: first.path))
        let second = try VideoLock(stem: stem, output: "clip.segmented.mp4")
        second.release()
    }
}
