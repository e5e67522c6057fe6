import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

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
    private let timings = Locked<[StageName: StageTiming]>([:])
    /// Tests only: the stage that fails on purpose, and at which frame.
    let injectedFailure: InjectedFailure?

    package init(injectedFailure: InjectedFailure? = nil) {
        self.injectedFailure = injectedFailure
    }

    /// A queue of `capacity` slots that this run's failure cancels.
    package func queue<Payload>(capacity: Int) -> StageQueue<Payload> {
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
            var waitingForInput = 0.0, waitingForOutput = 0.0
            defer {
                self.timings.withLock {
                    $0[stage.name, default: StageTiming()].waitingForInput += waitingForInput
                    $0[stage.name, default: StageTiming()].waitingForOutput += waitingForOutput
                }
            }
            while true {
                let asked = monotonicSeconds()
                guard let item = input.take() else { return }
                let handed: Bool
                switch item {
                case .frame(let ticket, let payload):
                    try self.injectedFailure?.check(stage.name, frame: ticket.index)
                    let began = monotonicSeconds()
                    waitingForInput += began - asked
                    let output = try stage.process(payload, ticket: ticket)
                    let done = monotonicSeconds()
                    self.addBusy(stage.name, seconds: done - began)
                    handed = outlet.send(.frame(ticket, output))
                    waitingForOutput += monotonicSeconds() - done
                case .audio(let packet):
                    try stage.pass(audio: packet)
                    handed = outlet.send(.audio(packet))
                }
                if !handed { return }
            }
        }
    }

    /// Starts `stage` on its thread taking up to `batchSize` frames at a time (see
    /// `BatchingStage`): what arrives is held until the batch is full or the input ends, then
    /// the batch is processed and everything held goes on in arrival order. Audio arriving while
    /// no frame is held goes on at once.
    func launch<Stage: BatchingStage>(batching stage: Stage, from input: StageQueue<Stage.Input>, to outlet: Outlet<Stage.Output>) {
        let batchSize = max(1, stage.batchSize)
        launch(stage.name, closing: outlet.close) {
            var held: [StreamItem<Stage.Input>] = []
            var frames: [(FrameTicket, Stage.Input)] = []
            /// Processes the held frames and sends everything held on; false once the run is cancelled.
            func flush() throws -> Bool {
                defer {
                    held.removeAll(keepingCapacity: true)
                    frames.removeAll(keepingCapacity: true)
                }
                guard !frames.isEmpty else { return true }
                let began = monotonicSeconds()
                let outputs = try stage.process(batch: frames.map(\.1))
                self.addBusy(stage.name, since: began)
                var next = outputs.makeIterator()
                for item in held {
                    switch item {
                    case .frame(let ticket, _):
                        guard let output = next.next(), outlet.send(.frame(ticket, output)) else { return false }
                    case .audio(let packet):
                        if !outlet.send(.audio(packet)) { return false }
                    }
                }
                return true
            }
            while let item = input.take() {
                switch item {
                case .frame(let ticket, let payload):
                    try self.injectedFailure?.check(stage.name, frame: ticket.index)
                    held.append(item)
                    frames.append((ticket, payload))
                    if frames.count == batchSize, !(try flush()) { return }
                case .audio(let packet):
                    try stage.pass(audio: packet)
                    if frames.isEmpty {
                        if !outlet.send(.audio(packet)) { return }
                    } else {
                        held.append(item)
                    }
                }
            }
            // The input ended: its end, or a stop that ended the source. The last, partial
            // batch still goes through; after a cancellation there is nobody to send it to.
            if !input.isCancelled { _ = try flush() }
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
            let started = monotonicSeconds()
            perform(work, close: close)
            let cpu = threadCPUSeconds(), lifetime = monotonicSeconds() - started
            timings.withLock {
                $0[name, default: StageTiming()].cpuSeconds += cpu
                $0[name, default: StageTiming()].lifetimeSeconds += lifetime
            }
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
        addBusy(stage, seconds: monotonicSeconds() - start)
    }

    private func addBusy(_ stage: StageName, seconds: Double) {
        timings.withLock { $0[stage, default: StageTiming()].busySeconds += seconds }
    }

    /// Waits for every stage thread; returns the first error, if any.
    package func wait() -> Error? {
        group.wait()
        return firstError.current
    }

    /// Busy seconds per stage, by name.
    package var busySeconds: [StageName: Double] { timings.current.mapValues(\.busySeconds) }

    /// Where each stage thread's time went, by name (complete once `wait` has returned).
    package var stageTimings: [StageName: StageTiming] { timings.current }
}

/// Where one stage thread's time went in a run: working on frames, waiting for the stage before
/// it (an empty queue) or for the stage after it (a full one), and the CPU time it used. Codec
/// worker threads (FFmpeg's, x264's) are not stage threads: their CPU shows only in the process
/// total.
public struct StageTiming: Sendable, Equatable {
    /// Wall seconds spent processing frames.
    public var busySeconds = 0.0
    /// Wall seconds blocked on an empty input queue, and on a full output queue.
    public var waitingForInput = 0.0
    public var waitingForOutput = 0.0
    /// CPU seconds of the stage's thread, and the wall seconds it lived.
    public var cpuSeconds = 0.0
    public var lifetimeSeconds = 0.0

    public init(busySeconds: Double = 0, waitingForInput: Double = 0, waitingForOutput: Double = 0, cpuSeconds: Double = 0,
                lifetimeSeconds: Double = 0)
    {
        self.busySeconds = busySeconds
        self.waitingForInput = waitingForInput
        self.waitingForOutput = waitingForOutput
        self.cpuSeconds = cpuSeconds
        self.lifetimeSeconds = lifetimeSeconds
    }
}

/// A failure a test asks for: `stage` throws when it reaches frame number `frame`, so tests can
/// check that an error anywhere ends the run cleanly. Never set outside tests.
package struct InjectedFailure: Sendable {
    package let stage: StageName
    package let frame: Int

    /// The error the stage throws.
    package var error: VideoSegError { .invalidOption("injected failure in \(stage.rawValue) at frame \(frame)") }

    /// Throws at the first frame numbered `frame` or later that `name` sees (a live output fed
    /// keep-latest may never see `frame` itself).
    package func check(_ name: StageName, frame index: Int) throws {
        if name == stage && index >= frame { throw error }
    }
}
