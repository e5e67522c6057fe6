import Foundation
import Synchronization

/// Hands SIGINT and SIGTERM that the kernel delivers to a thread with them unblocked over to
/// `StopSignals`' waiting thread.
///
/// `StopSignals` blocks them from the start of `main`, but some threads do not keep the mask
/// they were started with (a libdispatch worker sets an empty mask, and a thread started before
/// `main` never had it): a process-directed SIGTERM taken by such a thread met the default
/// action and killed the process at once, leaving a hidden partial file. With this handler
/// installed, that thread only forwards the signal (pthread_kill is async-signal-safe) and goes on.
enum SignalForwarding {
    /// The waiting thread (0 until it runs); before that, a signal is kept in `early`. Atomics,
    /// not a lock: a signal handler may use lock-free atomics and nothing that can block.
    static let waiter = Atomic<pthread_t>(0)
    static let early = Atomic<Int32>(0)

    /// Installs the forwarding handler for `signals`, except where a signal is ignored (a
    /// background job's SIGINT stays ignored, as before).
    static func install(_ signals: [Int32]) {
        for number in signals {
            var current = sigaction()
            sigaction(number, nil, &current)
            let ignored = unsafeBitCast(SIG_IGN, to: Int.self)
            if let handler = current.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) == ignored { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let waiter = SignalForwarding.waiter.load(ordering: .sequentiallyConsistent)
                if waiter != 0 {
                    pthread_kill(waiter, number)
                } else {
                    SignalForwarding.early.store(number, ordering: .sequentiallyConsistent)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }
}
