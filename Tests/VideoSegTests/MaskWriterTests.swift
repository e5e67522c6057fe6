import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia
@testable import VideoSegOutput

/// The mask folder, written in-process: one file per frame, a manifest line each, the labels,
/// and a folder lock that protects a run's files.
@Suite struct MaskWriterTests {
    let labels = ["background", "person"]
    let colors: [(r: UInt8, g: UInt8, b: UInt8)] = [(0, 0, 0), (128, 0, 0)]
    /// Left half background, right half person, 4×2 cells.
    let classMap: [UInt8] = [0, 0, 1, 1, 0, 0, 1, 1]

    func writer(_ folder: TemporaryDirectory, format: MaskExportSettings.Format, overwrite: Bool = false) throws -> MaskWriter {
        try MaskWriter(settings: MaskExportSettings(directory: folder.path("masks"), format: format, size: .model, overwrite: overwrite),
                       labels: labels, colors: colors, mapWidth: 4, mapHeight: 2, sourceWidth: 8, sourceHeight: 4,
                       timeBase: Rational(1, 25), frameRate: Rational(25, 1))
    }

    func manifest(_ folder: TemporaryDirectory) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: folder.path("masks/manifest.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func npyMasksHoldTheClassIdsAndTheManifestTheirShares() throws {
        let folder = try TemporaryDirectory()
        let masks = try writer(folder, format: .npy)
        try masks.write(index: 0, pts: 0, segmentation: segmentation(classMap: classMap, width: 4, height: 2))
        try masks.write(index: 1, pts: 5, segmentation: segmentation(classMap: [UInt8](repeating: 1, count: 8), width: 4, height: 2))
        try masks.finish()
        #expect(masks.masksWritten == 2)
        let first = try Data(contentsOf: URL(fileURLWithPath: folder.path("masks/000000.npy")))
        #expect(first == MaskWriter.npy(classMap, width: 4, height: 2))
        #expect(Array(first.suffix(8)) == classMap)
        let lines = try manifest(folder)
        #expect(lines.count == 2)
        #expect(lines[0]["file"] as? String == "000000.npy" && lines[0]["frame"] as? Int == 0)
        #expect(lines[0]["classes"] as? [String: Double] == ["0": 0.5, "1": 0.5])
        #expect(lines[1]["pts"] as? Int == 5 && lines[1]["time"] as? Double == 0.2 && lines[1]["time_base"] as? String == "1/25")
        #expect(lines[1]["classes"] as? [String: Double] == ["1": 1])
        // The labels beside them, and no lock left once finished.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path("masks")).sorted()
        #expect(names == ["000000.npy", "000001.npy", "labels.json", "manifest.jsonl"])
    }

    @Test func pngMasksArePaletteImagesNamedByFrame() throws {
        let folder = try TemporaryDirectory()
        let masks = try writer(folder, format: .png)
        try masks.write(index: 3, pts: 3, segmentation: segmentation(classMap: classMap, width: 4, height: 2))
        try masks.finish()
        let png = try Data(contentsOf: URL(fileURLWithPath: folder.path("masks/000003.png")))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: 4×2, 8 bits, colour type 3 (palette).
        #expect(Array(png[16..<26]) == [0, 0, 0, 4, 0, 0, 0, 2, 8, 3])
        #expect(png.range(of: Data("PLTE".utf8)) != nil)
    }

    @Test func aFolderWithOtherFilesIsRefusedUnlessOverwriting() throws {
        let folder = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder.path("masks"), withIntermediateDirectories: true)
        try folder.write("x", to: "masks/000000.npy")
        #expect(throws: VideoSegError.self) { try writer(folder, format: .npy) }
        let replacing = try writer(folder, format: .npy, overwrite: true)
        // The old mask is gone before any new one is written.
        #expect(!FileManager.default.fileExists(atPath: folder.path("masks/000000.npy")))
        replacing.discard()
    }

    @Test func aSecondWriterCannotWriteTheSameFolderAtOnce() throws {
        let folder = try TemporaryDirectory()
        let first = try writer(folder, format: .npy)
        #expect(throws: VideoSegError.self) { try writer(folder, format: .npy, overwrite: true) }
        try first.finish()
    }
}
