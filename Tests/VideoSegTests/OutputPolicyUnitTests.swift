import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegOutput

/// What may be written where, decided before any work: existing files only with the overwrite
/// setting, never the input, never through something that is not a regular file.
@Suite struct OutputPolicyUnitTests {
    @Test func anExistingOutputNeedsOverwrite() throws {
        let folder = try TemporaryDirectory()
        let input = try folder.write("in", to: "in.mp4")
        let output = try folder.write("old", to: "out.mp4")
        #expect(throws: VideoSegError.outputExists(path: output)) {
            try OutputPolicy.check(output: output, input: input, overwrite: false)
        }
        try OutputPolicy.check(output: output, input: input, overwrite: true)
        try OutputPolicy.check(output: folder.path("new.mp4"), input: input, overwrite: false)
    }

    @Test func theInputIsNeverTheOutputEvenByAnotherName() throws {
        let folder = try TemporaryDirectory()
        let input = try folder.write("in", to: "in.mp4")
        try FileManager.default.createSymbolicLink(atPath: folder.path("alias.mp4"), withDestinationPath: input)
        for output in [input, folder.path("./in.mp4"), folder.path("alias.mp4")] {
            #expect(throws: VideoSegError.self) { try OutputPolicy.check(output: output, input: input, overwrite: true) }
        }
    }

    @Test func aFolderOrLinkIsNotReplacedEvenWithOverwrite() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder.path("dir.mp4"), withIntermediateDirectories: false)
        let target = try folder.write("x", to: "target.json")
        try FileManager.default.createSymbolicLink(atPath: folder.path("link.json"), withDestinationPath: target)
        for path in [folder.path("dir.mp4"), folder.path("link.json")] {
            #expect(throws: VideoSegError.self) { try OutputPolicy.checkReplaceable(path, overwrite: true) }
        }
        #expect(throws: VideoSegError.self) {
            try OutputPolicy.writeAtomically(Data("y".utf8), to: folder.path("link.json"), overwrite: true)
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "x")
    }
}
