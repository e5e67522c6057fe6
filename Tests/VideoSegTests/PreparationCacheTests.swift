import Foundation
import Testing

@testable import VideoSegMedia
@testable import VideoSegModel

/// The on-disk choice of graph: measured once per model, size and thread count, then reused.
@Suite struct PreparationCacheTests {
    let folder: TemporaryDirectory
    let cache: PreparationCache

    init() throws {
        folder = try TemporaryDirectory()
        cache = PreparationCache(file: URL(fileURLWithPath: folder.path("cache/preparation.json")))
    }

    /// A model file with a convolution (a graph optimize_for_inference changes), at `name`.
    func modelFile(_ name: String, scale: Double = 1) throws -> String {
        let path = folder.path(name)
        try SegmentationModel.define(
            source: "def forward(self, x):\n    return torch.conv2d(x, torch.ones(3, 3, 1, 1) * \(scale))\n",
            metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1]), path: path)
        return path
    }

    func storedEntries() throws -> [String: String] {
        let data = try Data(contentsOf: cache.file)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
    }

    @Test func theFirstRunMeasuresAndLaterRunsTakeTheStoredChoice() throws {
        let path = try modelFile("a.pt")
        let first = try SegmentationModel(path: path)
        try first.prepare(width: 8, height: 4, cache: cache)
        #expect(first.preparation == .measured)
        let entries = try storedEntries()
        try #require(entries.count == 1)
        let key = try #require(entries.keys.first)
        #expect(key.contains("1x3x4x8") && key.contains("threads 1") && key.contains("libtorch "))
        let expected = first.optimization.contains("optimized") ? "optimized" : "frozen"
        #expect(entries[key] == expected)

        // A new process would load the model again: the choice comes from the file.
        let second = try SegmentationModel(path: path)
        try second.prepare(width: 8, height: 4, cache: cache)
        #expect(second.preparation == .cached)
        #expect(second.optimization == first.optimization)

        // The same model prepared again at the same size in one process: nothing to do.
        try second.prepare(width: 8, height: 4, cache: cache)
        #expect(second.preparation == .reused)
    }

    @Test func anotherSizeThreadCountOrModelIsMeasuredAgain() throws {
        let path = try modelFile("a.pt")
        try SegmentationModel(path: path).prepare(width: 8, height: 4, cache: cache)
        let otherSize = try SegmentationModel(path: path)
        try otherSize.prepare(width: 6, height: 4, cache: cache)
        #expect(otherSize.preparation == .measured)
        let twoThreads = try SegmentationModel(path: path)
        twoThreads.threads = 2
        try twoThreads.prepare(width: 8, height: 4, cache: cache)
        #expect(twoThreads.preparation == .measured)
        // Other weights: another file hash, though the name is the same.
        try FileManager.default.removeItem(atPath: path)
        let edited = try modelFile("a.pt", scale: 2)
        let changed = try SegmentationModel(path: edited)
        try changed.prepare(width: 8, height: 4, cache: cache)
        #expect(changed.preparation == .measured)
        #expect(try storedEntries().count == 4)
    }

    @Test func aCopyOfTheModelReusesItsChoice() throws {
        let path = try modelFile("a.pt")
        try SegmentationModel(path: path).prepare(width: 8, height: 4, cache: cache)
        let copy = folder.path("copy.pt")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let model = try SegmentationModel(path: copy)
        try model.prepare(width: 8, height: 4, cache: cache)
        #expect(model.preparation == .cached)
    }

    @Test func aDamagedCacheFileIsMeasuredOverAndRewritten() throws {
        try FileManager.default.createDirectory(at: cache.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: cache.file)
        let model = try SegmentationModel(path: try modelFile("a.pt"))
        try model.prepare(width: 8, height: 4, cache: cache)
        #expect(model.preparation == .measured)
        #expect(try storedEntries().count == 1)
    }

    @Test func anUnoptimisedPrepareStoresNothing() throws {
        let model = try SegmentationModel(path: try modelFile("a.pt"))
        try model.prepare(width: 8, height: 4, optimize: false, cache: cache)
        #expect(model.preparation == .asLoaded)
        #expect(model.optimization == "as loaded")
        #expect(!FileManager.default.fileExists(atPath: cache.file.path))
    }

    @Test func anUnwritableCacheOnlyCostsAMeasurement() throws {
        // A file where the cache folder should be: the store fails quietly, the run goes on.
        try Data().write(to: URL(fileURLWithPath: folder.path("cache")))
        let path = try modelFile("a.pt")
        for _ in 0..<2 {
            let model = try SegmentationModel(path: path)
            try model.prepare(width: 8, height: 4, cache: cache)
            #expect(model.preparation == .measured)
        }
    }
}
