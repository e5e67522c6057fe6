import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

/// A long-lived batch worker: reads one job a line (JSON: `{"input": PATH, "name": NAME, "id": ID}`,
/// `name` and `id` optional) and answers each with one line, the video's report line
/// (`BatchOutcome`) with the job's `id` added, before it reads the next.
///
/// It is what a warm worker of a cluster runs (the Ray driver's actors hold one each): the model
/// is loaded and prepared by the first video and reused by every later one, and every video goes
/// through the batch's own steps (its lock, its done-record, skip when done), so a worker and a
/// `videoseg batch` accept each other's outputs. A line that is not a job, or a video that fails
/// (a damaged input, a model that fails on it), is answered with a `failed` line and the server
/// goes on; the end of its input ends it.
public final class BatchServer: Sendable {
    /// One job as a line gives it.
    struct Job: Decodable {
        var input: String
        var name: String?
        var id: String?
    }

    private let runner: BatchRunner
    private let busy = Locked(false)

    /// A server running its jobs with `runner`'s settings and output folder (its inputs are unused).
    public init(runner: BatchRunner) {
        self.runner = runner
    }

    /// Whether a video is being processed now (a stop between jobs can end the process at once).
    public var isBusy: Bool { busy.current }

    /// Serves the lines of `input` until it ends or the runner is stopped, handing each answer
    /// line (with its line break) to `reply`; returns how many lines were answered.
    @discardableResult
    public func serve(_ input: FileHandle, reply: (Data) -> Void) -> Int {
        var reader = LineReader(descriptor: input.fileDescriptor)
        var answered = 0
        while !runner.isStopping, let line = reader.next() {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            answered += 1
            busy.withLock { $0 = true }
            let answer = handle(text, line: answered)
            busy.withLock { $0 = false }
            reply(answer)
        }
        return answered
    }

    /// The answer to one line (the `line`-th job line), with its line break.
    func handle(_ text: String, line: Int) -> Data {
        let job: Job
        do {
            job = try JSONDecoder().decode(Job.self, from: Data(text.utf8))
        } catch {
            return BatchServer.answer(BatchServer.refused("job line \(line) is not a job (expected JSON with an \"input\" path): \(BatchServer.reason(error))"), id: nil)
        }
        let name = job.name ?? BatchInput.named([job.input])[0].name
        if let problem = BatchServer.nameProblem(name) {
            return BatchServer.answer(BatchServer.refused("\(job.input): job line \(line): \(problem)", input: job.input), id: job.id)
        }
        let outcome = runner.process(BatchInput(source: job.input, name: name))
        return BatchServer.answer(outcome, id: job.id)
    }

    /// Why `name` cannot name outputs below the output folder, or nil.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.hasPrefix("/") { return "the name \"\(name)\" is absolute; it must be a path below the output folder" }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
            return "the name \"\(name)\" has an empty, \".\" or \"..\" part; it must be a path below the output folder"
        }
        return nil
    }

    private static func refused(_ error: String, input: String = "") -> BatchOutcome {
        BatchOutcome(input: input, outputs: [], status: .failed, frames: 0, seconds: 0, fps: 0, error: error)
    }

    private static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: return "not valid JSON"
        case DecodingError.keyNotFound(let key, _): return "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" is not a string"
        default: return String(describing: error)
        }
    }

    /// `outcome` as one JSON line (the report's format), with `id` added when the job had one.
    static func answer(_ outcome: BatchOutcome, id: String?) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(outcome)) ?? Data("{}".utf8)
        if let id, var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            object["id"] = id
            data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? data
        }
        data.append(0x0A)
        return data
    }
}
