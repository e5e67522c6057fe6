/// A request to stop that any thread may raise and that C code can poll: FFmpeg's interrupt
/// callback while an input opens, and the torch bridge between the long steps of preparing a
/// model. Raising it only sets a flag, so it is safe from a signal handler's queue.
public final class StopFlag: Sendable {
    private let raised = Locked(false)

    /// A flag not raised yet.
    public init() {}

    /// Asks everything that polls this flag to stop.
    public func raise() {
        raised.withLock { $0 = true }
    }

    /// Whether a stop was asked for.
    public var isRaised: Bool { raised.current }

    /// The context pointer for `check`: valid while this flag lives (its owner keeps it).
    package var cContext: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// For C callers (`int (*)(void *)`): non-zero once the flag whose `cContext` is passed is raised.
    package static let check: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { context in
        guard let context else { return 0 }
        return Unmanaged<StopFlag>.fromOpaque(context).takeUnretainedValue().isRaised ? 1 : 0
    }

    /// Throws `VideoSegError.stopped` once the flag is raised.
    package func throwIfRaised() throws {
        if isRaised { throw VideoSegError.stopped }
    }
}
