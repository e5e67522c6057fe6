import Synchronization

/// A value shared between threads behind a lock: the library's one lock type.
///
/// A class around the standard library's `Mutex`, so it can be shared by reference (a `Mutex` is
/// non-copyable). `Sendable` by construction, as `Mutex` is: the value goes in as `sending`, and
/// `withLock` lends it out only for the duration of the closure.
public final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    /// Wraps `value`.
    public init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value.
    @discardableResult
    public func withLock<Result, Failure: Error>(_ body: (inout sending Value) throws(Failure) -> sending Result) throws(Failure) -> sending Result {
        try mutex.withLock(body)
    }
}

extension Locked where Value: Sendable {
    /// A copy of the current value.
    public var current: Value {
        withLock { $0 }
    }
}
