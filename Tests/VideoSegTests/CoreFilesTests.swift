import Foundation
import Testing

@testable import VideoSegCore

/// Core's file helpers, in-process: whole-file writes that leave no part behind, and the
/// fingerprint that tells a changed input from the one a record was made for.
@Suite struct CoreFilesTests {
    @Test func anAtomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("old", to: "report.json")
        try AtomicFile.write(Data("new".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        try AtomicFile.write(Data("newer".utf8), to: path, durable: false)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "newer")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["report.json"])
    }

    @Test func aWriteAbandonedBeforeTheRenameKeepsTheOldFileAndRemovesTheTemporary() throws {
        struct Refused: Error {}
        let folder = try TemporaryDirectory()
        let path = try folder.write("old", to: "labels.json")
        #expect(throws: Refused.self) {
            try AtomicFile.write(Data("new".utf8), to: path) { throw Refused() }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path) == ["labels.json"])
    }

    @Test func aWriteIntoAMissingFolderNamesThePath() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("missing/out.json")
        #expect(throws: VideoSegError.outputNotWritable(path: path, reason: "No such file or directory")) {
            try AtomicFile.write(Data("x".utf8), to: path)
        }
    }

    @Test func aFingerprintFollowsTheFileAndIsNilForURLsAndMissingFiles() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("12345", to: "clip.mp4")
        let before = try #require(FileFingerprint(path: path))
        #expect(before.size == 5)
        try Data("123456".utf8).write(to: URL(fileURLWithPath: path))
        #expect(FileFingerprint(path: path)?.size == 6)
        #expect(FileFingerprint(path: folder.path("none.mp4")) == nil)
        #expect(FileFingerprint(path: "rtsp://camera/stream") == nil)
        #expect(FileFingerprint.isURL("pipe:0") && !FileFingerprint.isURL("/a:b/c.mp4") && !FileFingerprint.isURL(":x"))
    }

    @Test func theStableHashIsFNV1a() {
        // FNV-1a 64 of "" is the offset basis; of "a" the published test vector.
        #expect(stableHash("") == "cbf29ce484222325")
        #expect(stableHash("a") == "af63dc4c8601ec8c")
    }
}
