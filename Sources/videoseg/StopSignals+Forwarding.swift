import Foundation

/// The thread that waits for the stop signals, for the forwarding handler (set once, before the
/// handler is installed; a handler can only reach a global).
nonisolated(unsafe) private var signalWaiter: pthread_t?

extension StopSignals {
    /// Sends SIGINT and SIGTERM that reach another thread on to `waiter`. Threads that libraries
    /// start while they load, before `main` blocks the signals, leave them unblocked, and the
    /// kernel may pick such a thread for a process-wide signal: with the default action the
    /// process then died at once (exit 143), leaving its partial files, instead of stopping
    /// cleanly. The handler only calls pthread_kill (async-signal-safe) and does nothing else on
    /// the thread it interrupts. A signal ignored from the start (a background job of a
    /// non-interactive shell ignores SIGINT) stays ignored.
    static func forwardStrays(to waiter: pthread_t) {
        signalWaiter = waiter
        for number in [SIGINT, SIGTERM] {
            var current = sigaction()
            guard sigaction(number, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil else { continue }
            var forward = sigaction()
            forward.__sigaction_handler.sa_handler = { number in
                if let waiter = signalWaiter { pthread_kill(waiter, number) }
            }
            forward.sa_flags = SA_RESTART
            sigemptyset(&forward.sa_mask)
            sigaction(number, &forward, nil)
        }
    }
}
