import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// A fixed-capacity blocking queue joining two pipeline stages.
///
/// `put` blocks while the queue is full (backpressure on the producer) and `take` blocks while it
/// is empty. `close()` marks the end of the stream: `take` drains what is left, then returns nil.
/// `cancel()` ends it at once: blocked and later calls return without waiting and queued items
/// are discarded. Safe to use from any number of threads.
public final class BoundedQueue<Element>: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`, and put/take wait on it (a Mutex cannot wait).
    /// Not `Locked`: `put` and `take` sleep until the other side changes the queue, which needs
    /// a condition variable; `Locked` (a `Mutex`) only excludes.
    private let condition = NSCondition()
    private var items: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false

    /// The number of slots.
    public let capacity: Int

    /// Creates a queue of `capacity` slots (at least one).
    public init(capacity: Int) {
        precondition(capacity > 0, "a bounded queue needs at least one slot")
        self.capacity = capacity
        self.items = Array(repeating: nil, count: capacity)
    }

    /// Appends `element`, waiting for a free slot. Returns false, without adding it, when the
    /// queue was cancelled or closed.
    @discardableResult
    public func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count == capacity && !cancelled && !closed {
            condition.wait()
        }
        if cancelled || closed { return false }
        items[(head + count) % capacity] = element
        count += 1
        condition.broadcast()
        return true
    }

    /// Appends `element` without waiting: when the queue is full its oldest element is dropped
    /// and returned (the live policy: a stale frame gives way to a newer one). Returns nil when
    /// nothing was dropped; after cancel or close, `element` itself is returned, unqueued.
    public func putReplacingOldest(_ element: Element) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        if cancelled || closed { return element }
        var dropped: Element?
        if count == capacity {
            dropped = items[head]
            items[head] = nil
            head = (head + 1) % capacity
            count -= 1
        }
        items[(head + count) % capacity] = element
        count += 1
        condition.broadcast()
        return dropped
    }

    /// Removes the oldest element, waiting for one. Returns nil once the queue is closed and
    /// empty, or cancelled.
    public func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed && !cancelled {
            condition.wait()
        }
        if cancelled || count == 0 { return nil }
        let element = items[head]
        items[head] = nil
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return element
    }

    /// Marks the end: no more puts; takes drain the remaining elements.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the queue now, waking every waiter. Returns the elements that were still queued so
    /// the caller can release what they own.
    @discardableResult
    public func cancel() -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        var dropped: [Element] = []
        while count > 0 {
            if let element = items[head] { dropped.append(element) }
            items[head] = nil
            head = (head + 1) % capacity
            count -= 1
        }
        condition.broadcast()
        return dropped
    }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// The number of queued elements right now.
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }
}
