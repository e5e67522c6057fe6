import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// One stage of the pipeline: it takes the value the previous stage made and makes the next one.
///
/// A stage runs on a thread of its own (see `StageThreads.launch`), so its `process` may keep
/// state and block; it sees only the value handed to it, and what it returns is the only thing
/// it hands on. Audio packets pass every stage in stream order; a stage that has nothing to do
/// with them keeps the default `pass(audio:)`.
///
/// Adding a stage: write a type that conforms, and connect it in `SegmentationPipeline.run()`
/// with a queue in front and an outlet behind. `PipelineStageTests` shows a small real one.
protocol PipelineStage: AnyObject, Sendable {
    /// The value taken from the queue in front.
    associatedtype Input
    /// The value handed on (`Void` for a stage that ends a branch).
    associatedtype Output

    /// The stage's name, for busy time and errors.
    var name: StageName { get }

    /// Makes the next value from one frame's `input`.
    func process(_ input: Input, ticket: FrameTicket) throws -> Output

    /// Does what the stage does with an audio packet before it passes on (by default nothing).
    func pass(audio: MediaPacket) throws
}

extension PipelineStage {
    package func pass(audio: MediaPacket) throws {}
}

/// Two stages run as one, on one thread, under one name (the second one's unless told): live
/// input runs preprocessing, the forward pass and the scores on one thread, so no frame waits
/// between them.
final class FusedStage<First: PipelineStage, Second: PipelineStage>: PipelineStage where First.Output == Second.Input {
    private let first: First
    private let second: Second
    let name: StageName

    init(_ first: First, then second: Second, name: StageName? = nil) {
        self.first = first
        self.second = second
        self.name = name ?? second.name
    }

    func process(_ input: First.Input, ticket: FrameTicket) throws -> Second.Output {
        try second.process(try first.process(input, ticket: ticket), ticket: ticket)
    }

    func pass(audio: MediaPacket) throws {
        try first.pass(audio: audio)
        try second.pass(audio: audio)
    }
}

/// A stage that can take several frames at once (inference: one forward pass for a batch).
/// `StageThreads.launch(batching:)` gathers up to `batchSize` frames, hands them over together
/// and sends the outputs on in the order the frames came, with the audio packets that arrived
/// among them in their places. A partial batch is handed over when the input ends (its end, or
/// a stop, which ends the source). Run with `launch(_:)`, the same stage takes frames singly.
protocol BatchingStage: PipelineStage {
    /// At most this many frames per call of `process(batch:)`.
    var batchSize: Int { get }

    /// One output per input, in their order.
    func process(batch inputs: [Input]) throws -> [Output]
}
