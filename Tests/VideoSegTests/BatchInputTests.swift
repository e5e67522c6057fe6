import Foundation
import Testing

@testable import VideoSegBatch
@testable import VideoSegCore
@testable import VideoSegPipeline

/// How a batch names its outputs: mirrored relative paths, collisions kept apart, URLs and odd
/// paths made safe, shards that cover the inputs exactly once.
@Suite struct BatchInputTests {
    @Test func namesMirrorThePathsBelowTheSharedFolder() {
        let named = BatchInput.named(["/data/clips/a/b.mov", "/data/clips/c.mp4", "/data/clips/a/d/e.mkv"])
        #expect(named.map(\.name) == ["a/b", "c", "a/d/e"])
    }

    @Test func twoInputsThatWouldMeetKeepTheirExtensions() {
        let named = BatchInput.named(["/v/b.mov", "/v/b.mkv", "/v/c.mp4"])
        #expect(named.map(\.name) == ["b.mov", "b.mkv", "c"])
    }

    @Test func namesThatCleanAlikeStayApartAndStable() {
        let named = BatchInput.named(["/v/a b.mp4", "/v/a_b.mp4", "/v/c.mp4"])
        let names = named.map(\.name)
        #expect(Set(names).count == 3, "\(names)")
        // The name cleaning left alone stays; the cleaned one gets its own path's hash.
        #expect(names[1] == "a_b" && names[2] == "c")
        #expect(names[0] == "a_b-" + stableHash("a b.mp4"))
        #expect(BatchInput.named(["/v/a_b.mp4", "/v/a b.mp4", "/v/c.mp4"]).map(\.name) == [names[1], names[0], names[2]])
        // Three ways to spell one name, with extensions that also meet.
        let many = BatchInput.named(["/v/x y.mp4", "/v/x_y.mp4", "/v/x?y.mp4", "/v/x y.mkv", "/v/x.mp4.mov", "/v/x.mp4", "/v/x.mkv"]).map(\.name)
        #expect(Set(many).count == many.count, "\(many)")
        let urls = BatchInput.named(["rtsp://cam/a b", "rtsp://cam/a_b"]).map(\.name)
        #expect(Set(urls).count == 2, "\(urls)")
    }

    @Test func anOutputFolderInsideAnInputFolderIsLeftOut() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-collect-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/out/clips", withIntermediateDirectories: true)
        for file in ["v1.mp4", "out/clips/v1.segmented.mp4", "out/v2.mp4"] {
            FileManager.default.createFile(atPath: root + "/" + file, contents: Data([0]))
        }
        #expect(try BatchInput.collect([root], listFile: nil, excluding: root + "/out").map(\.source) == [root + "/v1.mp4"])
        #expect(try BatchInput.collect([root], listFile: nil, excluding: root + "/./out/").map(\.source) == [root + "/v1.mp4"])
        #expect(try BatchInput.collect([root], listFile: nil).count == 3)
    }

    @Test func urlsAndStrangePathsStayInsideTheFolder() {
        let named = BatchInput.named(["rtsp://cam.local:554/live?x=1", "/a/../b/c d.mp4", "/x/.."])
        for input in named {
            #expect(!input.name.hasPrefix("/") && !input.name.split(separator: "/").contains(".."), "\(input.name)")
        }
        #expect(named[0].name == "urls/rtsp___cam.local_554_live_x_1")
        #expect(named[1].name.hasSuffix("c_d"))
    }

    @Test func shardsCoverEveryInputExactlyOnce() {
        let inputs = BatchInput.named((0..<10).map { "/v/\($0).mp4" })
        let shards = (0..<3).map { BatchInput.shard(inputs, index: $0, count: 3) }
        #expect(shards.map(\.count) == [4, 3, 3])
        #expect(Set(shards.flatMap { $0.map(\.source) }) == Set(inputs.map(\.source)))
        #expect(shards.flatMap { $0 }.count == inputs.count)
    }

    @Test func theSettingsHashIsStableAndSeesStyleChanges() {
        var configuration = SegmentConfiguration(input: "in.mp4", output: "o.mp4", modelPath: nil)
        let first = stableHash(configuration.outputSettingsDescription)
        #expect(first == stableHash(configuration.outputSettingsDescription))
        configuration.input = "other.mp4"
        #expect(first == stableHash(configuration.outputSettingsDescription))
        configuration.style.alpha = 0.7
        #expect(first != stableHash(configuration.outputSettingsDescription))
    }

    @Test func aListFromAPipeIsRead() throws {
        // What `--list <(find ...)` hands over: /dev/fd/N, a pipe whose size says nothing.
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let text = "/data/a.mp4\n# a comment\n\n  /data/b.mkv  \nrtsp://camera/stream\n"
        let written = text.withCString { write(ends[1], $0, strlen($0)) }
        close(ends[1])
        try #require(written == text.utf8.count)
        let inputs = try BatchInput.collect([], listFile: "/dev/fd/\(ends[0])")
        #expect(inputs.map(\.source) == ["/data/a.mp4", "/data/b.mkv", "rtsp://camera/stream"])
    }

    @Test func aMissingListIsNamedInTheError() {
        #expect(throws: VideoSegError.self) { try BatchInput.collect([], listFile: "/nonexistent/list.txt") }
        do {
            _ = try BatchInput.collect([], listFile: "/nonexistent/list.txt")
        } catch {
            #expect("\(error)" == "/nonexistent/list.txt: no such file")
        }
    }
}
