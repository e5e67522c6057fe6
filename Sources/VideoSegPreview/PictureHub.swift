import Foundation
import VideoSeg

/// Hands each new preview picture to every client of the MJPEG stream without waiting for any
/// of them: each client has its own `AsyncStream` that keeps only the newest picture
/// (`.bufferingNewest(1)`), so a client that reads slowly, or not at all, only misses pictures.
/// `publish` is called from the pipeline's preview thread and returns at once; the clients read
/// their streams on Swift concurrency's pool, where nothing here ever blocks.
final class PictureHub: @unchecked Sendable {
    // @unchecked: every field is behind `lock`, held only for a dictionary operation.
    private let lock = NSLock()
    private var clients: [Int: AsyncStream<PreviewPicture>.Continuation] = [:]
    private var nextID = 0
    private var finished = false
    private var latest: PreviewPicture?
    private var published = 0

    /// Clients connected now.
    var count: Int { lock.withLock { clients.count } }

    /// Pictures published so far.
    var picturesPublished: Int { lock.withLock { published } }

    /// A new client's stream of pictures, starting with the newest one already made (so a page
    /// shows a picture at once). Ends when the run ends (`finish`) or the client goes.
    func subscribe() -> AsyncStream<PreviewPicture> {
        let (stream, continuation) = AsyncStream.makeStream(of: PreviewPicture.self, bufferingPolicy: .bufferingNewest(1))
        let (id, first, isFinished) = lock.withLock { () -> (Int, PreviewPicture?, Bool) in
            nextID += 1
            if !finished { clients[nextID] = continuation }
            return (nextID, latest, finished)
        }
        if isFinished {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        if let first { continuation.yield(first) }
        return stream
    }

    private func remove(_ id: Int) {
        lock.withLock {
            _ = clients.removeValue(forKey: id)
            // Nobody watches: no picture is made now, so the last one would be stale for the next.
            if clients.isEmpty { latest = nil }
        }
    }

    /// Offers `picture` to every client (never waits).
    func publish(_ picture: PreviewPicture) {
        let targets = lock.withLock { () -> [AsyncStream<PreviewPicture>.Continuation] in
            latest = picture
            published += 1
            return Array(clients.values)
        }
        for continuation in targets { continuation.yield(picture) }
    }

    /// Ends every stream, now and for clients that come later: the run is over.
    func finish() {
        let targets = lock.withLock { () -> [AsyncStream<PreviewPicture>.Continuation] in
            finished = true
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
