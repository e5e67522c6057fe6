import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

/// What became of one video of a batch: a line of `batch-report.jsonl`.
public struct BatchOutcome: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        case done, skipped, failed, stopped
    }

    public var input: String
    public var outputs: [String]
    public var status: Status
    public var frames: Int
    public var seconds: Double
    public var fps: Double
    public var error: String?
    /// Seconds per phase of the video (see `BatchPhase`; nil in reports from before phases).
    public var phases: [String: Double]? = nil
}

/// Segments many videos with one set of options, in one process: each video's outputs go below
/// `outputDirectory` under its `BatchInput.name`, prepared models are reused across videos, `jobs`
/// videos run at once, finished videos are skipped on a rerun (see `DoneRecord`), a failure is
/// recorded and the batch goes on, and `batch-report.jsonl` says what became of every video.
public final class BatchRunner: Sendable {
    /// The settings every video gets; its input, output and mask folder are replaced per video.
    public let template: SegmentConfiguration
    public let inputs: [BatchInput]
    public let outputDirectory: String
    /// Videos processed at once (their libtorch threads share the cores).
    public let jobs: Int
    private let models = ModelCache()
    private let outcomes = Locked<[Int: BatchOutcome]>([:])
    private let running = Locked<[Int: SegmentationPipeline]>([:])
    private let stop = StopFlag()
    private let progressState = Locked(BatchProgress())
    private let reportFile: BatchReportFile

    /// Where the report is written: `batch-report.jsonl` in the output folder unless `reportPath`
    /// says otherwise (the Ray driver gives each task its own and merges them).
    public let reportPath: String
    /// What the report calls each setting that an error names (a front end's own names).
    private let settingNames: @Sendable (Setting) -> String

    /// How long a video another run is writing is waited for, in seconds: nil (the default) as
    /// long as that run holds it, then the video is found done (skipped) or taken over; 0 not at
    /// all, the video is reported failed at once (the Ray driver waits and retries by itself).
    public var lockWait: Double? {
        get { lockWaitSetting.current }
        set { lockWaitSetting.withLock { $0 = newValue } }
    }
    private let lockWaitSetting = Locked<Double?>(nil)

    /// `settingNames` names the settings that errors in the report mention; the library's own
    /// words by default.
    public init(template: SegmentConfiguration, inputs: [BatchInput], outputDirectory: String, jobs: Int, reportPath: String? = nil,
                settingNames: @escaping @Sendable (Setting) -> String = { $0.rawValue }) {
        self.settingNames = settingNames
        var template = template
        // The cores are shared between the videos that run at once.
        template.threads = max(1, template.threads / max(1, jobs))
        self.template = template
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.reportPath = reportPath ?? URL(fileURLWithPath: outputDirectory).appendingPathComponent("batch-report.jsonl").path
        reportFile = BatchReportFile(path: self.reportPath, inputs: inputs)
        self.jobs = max(1, min(jobs, max(1, inputs.count)))
    }

    /// A snapshot of the progress, for a display.
    public var progress: BatchProgress { progressState.current }

    /// How many models were loaded and prepared (the other videos reused them).
    public var modelsLoaded: Int { models.modelsLoaded }

    /// Stops starting videos and stops the ones running; their outputs are removed.
    public func requestStop() {
        stop.raise()
        for pipeline in running.current.values { pipeline.requestStop() }
    }

    /// Runs every video and returns their outcomes in input order.
    public func run() throws -> [BatchOutcome] {
        for folder in [outputDirectory, (reportPath as NSString).deletingLastPathComponent] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw VideoSegError.outputNotWritable(path: folder, reason: SettingMessage(ErrorLine.cause(of: error)))
            }
        }
        progressState.withLock { $0.videosTotal = inputs.count }
        let next = Locked(0)
        let group = DispatchGroup()
        for _ in 0..<jobs {
            group.enter()
            Thread { [self] in
                defer { group.leave() }
                while !stop.isRaised {
                    let index = next.withLock { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard index < inputs.count else { return }
                    let outcome = process(inputs[index])
                    outcomes.withLock { $0[index] = outcome }
                    progressState.withLock { $0.note(outcome) }
                    let reportStarted = monotonicSeconds()
                    try? writeReport()
                    let reportSeconds = PhaseTimes.rounded(monotonicSeconds() - reportStarted)
                    outcomes.withLock { $0[index]?.phases?[BatchPhase.report.rawValue] = reportSeconds }
                }
            }.start()
        }
        group.wait()
        try writeReport()
        return finishedOutcomes
    }

    /// The outcomes of the videos finished so far, in input order (what a caller can still
    /// show when `run` threw because the report could not be written).
    public var finishedOutcomes: [BatchOutcome] {
        let current = outcomes.current
        return inputs.indices.compactMap { current[$0] }
    }

    /// The settings a done-record's hash covers: everything that changes what a video's outputs hold.
    var settingsHash: String { stableHash(template.outputSettingsDescription) }

    /// Whether `requestStop` was called.
    public var isStopping: Bool { stop.isRaised }

    /// Does one video (any input, not only the runner's own: a `BatchServer`'s jobs) under its
    /// lock, or skips it when its done-record covers it; its outcome says where the time went.
    func process(_ input: BatchInput) -> BatchOutcome {
        let started = monotonicSeconds()
        var phases = PhaseTimes()
        var outcome = process(input, phases: &phases)
        phases.add(BatchPhase.other.rawValue, max(0, monotonicSeconds() - started - phases.total))
        outcome.phases = phases.rounded
        return outcome
    }

    private func process(_ input: BatchInput, phases: inout PhaseTimes) -> BatchOutcome {
        let lockPhase = BatchPhase.lock.rawValue
        let stem = URL(fileURLWithPath: outputDirectory).appendingPathComponent(input.name).path
        let video = template.output == nil ? nil : stem + ".segmented" + BatchRunner.videoExtension(template)
        let masks = template.masks == nil ? nil : stem + ".masks"
        let outputs = [video, masks].compactMap { $0 }
        var outcome = BatchOutcome(input: input.source, outputs: outputs, status: .done, frames: 0, seconds: 0, fps: 0, error: nil)
        if phases.time(lockPhase, { skipIfDone(input, stem: stem, outcome: &outcome) }) { return outcome }
        let lock: VideoLock
        do {
            lock = try phases.time(lockPhase) {
                try FileManager.default.createDirectory(atPath: (stem as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                return try VideoLock(stem: stem, output: video ?? masks ?? stem, wait: lockWait, stopped: { stop.isRaised })
            }
        } catch {
            // Another run's video, or an unwritable folder: nothing here is ours to remove.
            outcome.status = stop.isRaised ? .stopped : .failed
            outcome.error = describe(error)
            return outcome
        }
        defer { phases.time(lockPhase) { lock.release() } }
        // Another run may have finished the video between the first look and the lock.
        if phases.time(lockPhase, { skipIfDone(input, stem: stem, outcome: &outcome) }) { return outcome }
        work(input, stem: stem, video: video, masks: masks, outcome: &outcome, phases: &phases)
        return outcome
    }

    /// Marks `outcome` skipped when the done-record beside `stem` covers `input` as it is now.
    private func skipIfDone(_ input: BatchInput, stem: String, outcome: inout BatchOutcome) -> Bool {
        guard let record = DoneRecord.read(DoneRecord.path(forStem: stem)), record.covers(input.source, settings: settingsHash) else {
            return false
        }
        outcome.status = .skipped
        outcome.frames = record.frames
        return true
    }

    /// Segments one video (the caller holds its lock) and writes its done-record; a failed or
    /// stopped video leaves no outputs.
    private func work(_ input: BatchInput, stem: String, video: String?, masks: String?, outcome: inout BatchOutcome,
                      phases: inout PhaseTimes)
    {
        let recordPath = DoneRecord.path(forStem: stem)
        do {
            phases.time(BatchPhase.record.rawValue) { _ = unlink(recordPath) }
            let segmentStarted = monotonicSeconds()
            let result = try segment(input, video: video, masks: masks)
            phases.merge(result.phases)
            phases.add(BatchPhase.close.rawValue, max(0, monotonicSeconds() - segmentStarted - result.phases.total))
            outcome.frames = max(result.framesWritten, result.masksWritten)
            outcome.seconds = result.seconds
            outcome.fps = result.framesPerSecond
            if result.interrupted {
                outcome.status = .stopped
                BatchRunner.remove(outcome.outputs)
                return
            }
            try phases.time(BatchPhase.record.rawValue) {
                if let fingerprint = FileFingerprint(path: input.source) {
                    try DoneRecord(input: input.source, size: fingerprint.size, modified: fingerprint.modified, settings: settingsHash,
                                   outputs: outcome.outputs, frames: outcome.frames, seconds: result.seconds).write(to: recordPath)
                }
            }
        } catch {
            outcome.status = stop.isRaised ? .stopped : .failed
            outcome.error = describe(error)
            BatchRunner.remove(outcome.outputs)
        }
    }

    private func describe(_ error: Error) -> String {
        ErrorLine.describe(error, naming: settingNames)
    }

    /// Runs one video; its masks are written into a hidden folder renamed into place when complete
    /// (emptied first: the caller's `VideoLock` keeps any other run out of it).
    private func segment(_ input: BatchInput, video: String?, masks: String?) throws -> SegmentResult {
        var configuration = template
        configuration.input = input.source
        configuration.output = video
        configuration.overwrite = true
        let partialMasks = masks.map { path -> String in
            let url = URL(fileURLWithPath: path)
            return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).videoseg-partial").path
        }
        if let partialMasks {
            try? FileManager.default.removeItem(atPath: partialMasks)
            configuration.masks?.directory = partialMasks
            configuration.masks?.overwrite = true
        }
        let pipeline = SegmentationPipeline(configuration: configuration, models: models)
        running.withLock { $0[ObjectIdentifier(pipeline).hashValue] = pipeline }
        defer { running.withLock { $0[ObjectIdentifier(pipeline).hashValue] = nil } }
        if stop.isRaised { pipeline.requestStop() }
        let result: SegmentResult
        do {
            result = try pipeline.run()
        } catch {
            if let partialMasks { try? FileManager.default.removeItem(atPath: partialMasks) }
            throw error
        }
        if let masks, let partialMasks {
            try? FileManager.default.removeItem(atPath: masks)
            guard rename(partialMasks, masks) == 0 else {
                throw VideoSegError.writeFailed(path: masks, reason: String(cString: strerror(errno)))
            }
        }
        return result
    }

    private static func videoExtension(_ template: SegmentConfiguration) -> String {
        if let output = template.output, !URL(fileURLWithPath: output).pathExtension.isEmpty {
            return "." + URL(fileURLWithPath: output).pathExtension
        }
        return template.style.needsAlpha ? ".webm" : ".mp4"
    }

    private static func remove(_ outputs: [String]) {
        for path in outputs { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Rewrites the report with the outcomes so far (see `BatchReportFile`).
    private func writeReport() throws {
        try reportFile.write(outcomes.current, count: inputs.count)
    }
}

/// A batch's progress so far.
public struct BatchProgress: Sendable {
    public var videosTotal = 0
    public var videosFinished = 0
    public var done = 0
    public var skipped = 0
    public var failed = 0
    public var frames = 0

    mutating func note(_ outcome: BatchOutcome) {
        videosFinished += 1
        frames += outcome.status == .done ? outcome.frames : 0
        switch outcome.status {
        case .done: done += 1
        case .skipped: skipped += 1
        case .failed: failed += 1
        case .stopped: break
        }
    }
}
