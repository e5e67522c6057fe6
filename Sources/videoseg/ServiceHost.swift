import Foundation
import Logging
import ServiceLifecycle
import VideoSeg

/// The command's long-lived services (the preview page's server) in a `ServiceGroup` the command
/// owns: started before the job, shut down gracefully after it.
///
/// The group installs no signal handlers (no graceful-shutdown or cancellation signals): Ctrl-C
/// and SIGTERM stay with `StopSignals`, whose first signal finishes the output cleanly and whose
/// second exits at once. The job itself runs on its own threads, so the group runs in a task of
/// its own on Swift concurrency's pool, where its services only ever await.
final class ServiceHost: Sendable {
    private let group: ServiceGroup
    private let ended = DispatchSemaphore(value: 0)
    private let stopped = Locked(false)

    /// A group of `services`; a graceful shutdown that takes longer than `shutdownGrace` cancels them.
    init(services: [any Service], shutdownGrace: Duration) {
        var logger = Logger(label: "videoseg.services")
        logger.logLevel = .critical
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = shutdownGrace
        group = ServiceGroup(configuration: configuration)
    }

    /// Starts the services and returns at once. A service that fails says so itself (the preview
    /// server, when asked whether it listens).
    func start() {
        Task.detached { [group, ended] in
            try? await group.run()
            ended.signal()
        }
    }

    /// Shuts the services down gracefully and waits for them, at most `timeout` seconds. Only
    /// the first call does anything.
    func stop(timeout: Double = 1.5) {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        Task.detached { [group] in await group.triggerGracefulShutdown() }
        _ = ended.wait(timeout: .now() + timeout)
    }
}
