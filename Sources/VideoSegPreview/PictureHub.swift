import Foundation
import VideoSeg

/// Hands each new preview picture to every client of the MJPEG stream without waiting for any
/// of them: each client has its own `AsyncStream` that keeps only the newest picture
/// (`.bufferingNewest(1)`), so a client that reads slowly, or not at all, only misses pictures.
/// `publish` is called from the pipeline's preview thread and returns at once; the clients read
/// their streams on Swift concurrency's pool, where nothing here ever blocks.
final class PictureHub: Sendable {
    /// What the hub knows, behind a lock held only for a dictionary operation.
    private struct State {
        var clients: [Int: AsyncStream<PreviewPicture>.Continuation] = [:]
        var nextID = 0
        var finished = false
        var latest: PreviewPicture?
        var published = 0
    }

    private let state = Locked(State())

    /// Clients connected now.
    var count: Int { state.withLock { $0.clients.count } }

    /// Pictures published so far.
    var picturesPublished: Int { state.withLock { $0.published } }

    /// A new client's stream of pictures, starting with the newest one already made (so a page
    /// shows a picture at once). Ends when the run ends (`finish`) or the client goes.
    func subscribe() -> AsyncStream<PreviewPicture> {
        let (stream, continuation) = AsyncStream.makeStream(of: PreviewPicture.self, bufferingPolicy: .bufferingNewest(1))
        let (id, first, isFinished) = state.withLock { state -> (Int, PreviewPicture?, Bool) in
            state.nextID += 1
            if !state.finished { state.clients[state.nextID] = continuation }
            return (state.nextID, state.latest, state.finished)
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
        state.withLock { state in
            _ = state.clients.removeValue(forKey: id)
            // Nobody watches: no picture is made now, so the last one would be stale for the next.
            if state.clients.isEmpty { state.latest = nil }
        }
    }

    /// Offers `picture` to every client (never waits).
    func publish(_ picture: PreviewPicture) {
        let targets = state.withLock { state -> [AsyncStream<PreviewPicture>.Continuation] in
            state.latest = picture
            state.published += 1
            return Array(state.clients.values)
        }
        for continuation in targets { continuation.yield(picture) }
    }

    /// Ends every stream, now and for clients that come later: the run is over.
    func finish() {
        let targets = state.withLock { state -> [AsyncStream<PreviewPicture>.Continuation] in
            state.finished = true
            defer { state.clients.removeAll() }
            return Array(state.clients.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
