import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a stop request. The handler runs on its own queue, since the
/// main thread is blocked while the pipeline runs, and only asks for a stop.
final class StopSignals: @unchecked Sendable {
    // @unchecked: the sources are created once and only cancelled in deinit.
    private let queue = DispatchQueue(label: "videoseg.signals")
    private var sources: [DispatchSourceSignal] = []
    /// The signal received, if any.
    private let received = NSLock()
    private var signalNumber: Int32?

    init(onStop: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                self?.received.lock()
                let first = self?.signalNumber == nil
                if first { self?.signalNumber = number }
                self?.received.unlock()
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
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
