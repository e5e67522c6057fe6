import Foundation
import VideoSeg

/// Turns SIGINT and SIGTERM into a stop request: the first asks the job to stop (it ends soon,
/// with what it had done or nothing), the second ends the process at once.
///
/// The signals are blocked in every thread from the start of `main` and taken by one thread
/// waiting in sigwait(2). A handler that runs on whatever thread the kernel picks could
/// interrupt that thread inside malloc or libtorch and corrupt the heap (a stop during model
/// preparation crashed that way); a thread that only waits for signals interrupts nobody.
final class StopSignals: Sendable {
    private static let handled: [Int32] = [SIGINT, SIGTERM]
    private let received = Locked<Int32?>(nil)

    /// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts later. Call
    /// first thing in `main`, before any other thread exists.
    static func blockInAllThreads() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        SignalForwarding.install(handled)
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in handled { sigaddset(&set, number) }
        return set
    }

    /// Starts the thread that waits for the signals; `onStop` runs on it, once. Signals that
    /// came before (they stay pending while blocked) are taken at once. The thread lives as long
    /// as the process.
    init(onStop: @escaping @Sendable () -> Void) {
        let thread = Thread { [received] in
            var set = StopSignals.signalSet()
            SignalForwarding.waiter.store(pthread_self(), ordering: .sequentiallyConsistent)
            // One forwarded before this thread ran: raise it again, now for this thread.
            let early = SignalForwarding.early.load(ordering: .sequentiallyConsistent)
            if early != 0 { pthread_kill(pthread_self(), early) }
            while true {
                var number: Int32 = 0
                guard sigwait(&set, &number) == 0 else { continue }
                let first = received.withLock { value -> Bool in
                    defer { if value == nil { value = number } }
                    return value == nil
                }
                if first {
                    Terminal.raw("\n")
                    Terminal.error("stopping: finishing the frames already decoded (press Ctrl-C again to abort)")
                    onStop()
                } else {
                    // A second signal means the user wants out now.
                    Terminal.error("aborted")
                    exit(number == SIGINT ? 130 : 143)
                }
            }
        }
        thread.name = "videoseg.signals"
        thread.start()
    }
}

extension VideoSegCommand {
    /// The entry point: signals are blocked before anything else runs (see `StopSignals`), then
    /// the command line is parsed and run as ArgumentParser does.
    static func main() {
        StopSignals.blockInAllThreads()
        keepLargeBuffersMapped()
        ResourceLimits.raiseOpenFileLimit()
        main(nil)
    }

    /// glibc hands large blocks (a frame, a score tensor) back to the kernel when they are
    /// freed and maps them anew on the next frame: about a thousand page faults and 1-3 ms of
    /// system time per forward pass of the default model. Keeping blocks up to 32 MB in the heap
    /// and trimming it only past 128 MB turns that into reuse; the pipeline's memory is bounded
    /// by its queues, so the heap stays bounded too.
    private static func keepLargeBuffersMapped() {
        // <malloc.h> is not part of Swift's Glibc module: mallopt by name, with its constants.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 128 << 20)
        _ = mallopt(topPad, 16 << 20)
    }
}
