import Foundation
import Testing

@testable import VideoSegPipeline
@testable import VideoSegPreview

/// The MJPEG stream's fan-out: every client keeps only the newest picture, nobody waits.
@Suite struct PictureHubTests {
    func picture(_ frame: Int) -> PreviewPicture {
        PreviewPicture(jpeg: Data([UInt8(frame)]), width: 4, height: 2, frame: frame, encodeSeconds: 0)
    }

    @Test func aClientThatDoesNotReadGetsOnlyTheNewestPicture() async {
        let hub = PictureHub()
        let pictures = hub.subscribe()
        #expect(hub.count == 1)
        for frame in 1...3 { hub.publish(picture(frame)) }
        hub.finish()
        var seen: [Int] = []
        for await picture in pictures { seen.append(picture.frame) }
        #expect(seen == [3])
        #expect(hub.picturesPublished == 3)
        #expect(hub.count == 0)
    }

    @Test func aNewClientStartsWithTheNewestPictureAlreadyMade() async {
        let hub = PictureHub()
        let first = hub.subscribe()
        hub.publish(picture(7))
        let second = hub.subscribe()
        hub.finish()
        var seen: [Int] = []
        for await picture in second { seen.append(picture.frame) }
        #expect(seen == [7])
        var seenByFirst: [Int] = []
        for await picture in first { seenByFirst.append(picture.frame) }
        #expect(seenByFirst == [7])
    }

    @Test func aClientThatComesAfterTheEndGetsAnEndedStream() async {
        let hub = PictureHub()
        hub.publish(picture(1))
        hub.finish()
        var count = 0
        for await _ in hub.subscribe() { count += 1 }
        #expect(count == 0)
        #expect(hub.count == 0)
    }

    @Test func whenTheLastClientLeavesTheStalePictureIsForgotten() async throws {
        let hub = PictureHub()
        var pictures: AsyncStream<PreviewPicture>? = hub.subscribe()
        hub.publish(picture(1))
        #expect(pictures != nil)
        pictures = nil
        // The stream's termination (the client going) runs its handler; give it a moment.
        for _ in 0..<100 where hub.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(hub.count == 0)
        let next = hub.subscribe()
        hub.finish()
        var seen: [Int] = []
        for await picture in next { seen.append(picture.frame) }
        #expect(seen.isEmpty)
    }
}
