import Foundation

/// Runs the stages, one `Thread` each, and ties their fates together: the first error anywhere
/// is kept and cancels every queue, so every stage ends; `wait` returns when all have.
///
/// Threads, not `DispatchQueue.global()` or Swift concurrency's pool: stages block on their
/// queues, and those pools grow slowly or not at all around blocked workers.
final class StageThreads: Sendable {
    private let group = DispatchGroup()
    private let firstError = Locked<Error?>(nil)
    /// Cancels every queue made so far; guarded, because stage threads read it on failure while
    /// the wiring may still be adding queues.
    private let cancellations = Locked<[@Sendable () -> Void]>([])
    private let busy = Locked<[StageName: Double]>([:])
    /// Tests only: the stage that fails on purpose, and at which frame.
    let injectedFailure: InjectedFailure?

    init(injectedFailure: InjectedFailure? = nil) {
        self.injectedFailure = injectedFailure
    }

    /// A queue of `capacity` slots that this run's failure cancels.
    func queue<Payload>(capacity: Int) -> StageQueue<Payload> {
        let queue = StageQueue<Payload>(capacity: max(1, capacity))
        let alreadyFailed = cancellations.withLock { list -> Bool in
            list.append { queue.cancel() }
            return firstError.current != nil
        }
        if alreadyFailed { queue.cancel() }
        return queue
    }

    /// Starts `stage` on its thread: it takes from `input` until the queue ends, and hands what
    /// it makes to `outlet`, which it closes when it ends normally.
    func launch<Stage: PipelineStage>(_ stage: Stage, from input: StageQueue<Stage.Input>, to outlet: Outlet<Stage.Output>) {
        launch(stage.name, closing: outlet.close) {
            while let item = input.take() {
                switch item {
                case .frame(let ticket, let payload):
                    try self.injectedFailure?.check(stage.name, frame: ticket.index)
                    let began = monotonicSeconds()
                    let output = try stage.process(payload, ticket: ticket)
                    self.addBusy(stage.name, since: began)
                    if !outlet.send(.frame(ticket, output)) { return }
                case .audio(let packet):
                    try stage.pass(audio: packet)
                    if !outlet.send(.audio(packet)) { return }
                }
            }
        }
    }

    /// Starts `body` on a thread named after `name`; `close` runs when it ends normally, and its
    /// error, if it throws, fails the run.
    func launch(_ name: StageName, closing close: @escaping @Sendable () -> Void, body: @escaping @Sendable () throws -> Void) {
        group.enter()
        // The thread lets go of the body (and the stage it holds) before it counts as ended, so
        // whatever the stage owned is released by the time `wait` returns.
        let work = Locked<(@Sendable () throws -> Void)?>(body)
        let thread = Thread { [self] in
            perform(work, close: close)
            group.leave()
        }
        thread.name = "videoseg.\(name.rawValue)"
        // libtorch's interpreter and FFmpeg's decoders can use more stack than a default thread has.
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func perform(_ work: Locked<(@Sendable () throws -> Void)?>, close: @Sendable () -> Void) {
        guard let body = work.withLock({ slot in
            defer { slot = nil }
            return slot
        }) else { return }
        do {
            try body()
            close()
        } catch {
            fail(error)
        }
    }

    /// Records `error` if it is the first, and then cancels every queue.
    func fail(_ error: Error) {
        let first = firstError.withLock { current -> Bool in
            guard current == nil else { return false }
            current = error
            return true
        }
        guard first else { return }
        for cancel in cancellations.current { cancel() }
    }

    /// Adds the seconds since `start` (monotonic) to `stage`'s busy time.
    func addBusy(_ stage: StageName, since start: Double) {
        let seconds = monotonicSeconds() - start
        busy.withLock { $0[stage, default: 0] += seconds }
    }

    /// Waits for every stage thread; returns the first error, if any.
    func wait() -> Error? {
        group.wait()
        return firstError.current
    }

    /// Busy seconds per stage, by name.
    var busySeconds: [StageName: Double] { busy.current }
}

/// A failure a test asks for: `stage` throws when it reaches frame number `frame`, so tests can
/// check that an error anywhere ends the run cleanly. Never set outside tests.
struct InjectedFailure: Sendable {
    let stage: StageName
    let frame: Int

    /// The error the stage throws.
    var error: VideoSegError { .invalidOption("injected failure in \(stage.rawValue) at frame \(frame)") }

    /// Throws at the first frame numbered `frame` or later that `name` sees (a live output fed
    /// keep-latest may never see `frame` itself).
    func check(_ name: StageName, frame index: Int) throws {
        if name == stage && index >= frame { throw error }
    }
}
