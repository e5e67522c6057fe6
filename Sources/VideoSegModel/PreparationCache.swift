import CTorchBridge
import Foundation
import VideoSegCore

/// Which graph a model runs as: frozen, or frozen and optimised for inference. Which is faster
/// depends on the model, the input size, the thread count and the machine, and measuring it
/// costs several forward passes at every start (a third of a second for the default model, more
/// than the whole run of a short clip). `PreparationCache` keeps each measured choice on disk,
/// so it is measured once per machine, not once per run.
public struct PreparationCache: Sendable {
    /// The cache file (JSON: one choice per key).
    public let file: URL

    /// The chosen graph, as the cache stores it.
    package enum Choice: String, Codable {
        case frozen
        case optimized
    }

    /// How `prepare` came to its graph, for `-v`, `--stats-json` and `bench`.
    public enum Source: String, Sendable {
        /// Timed both graphs at this size (nothing cached yet, or no cache).
        case measured
        /// Took a choice measured by an earlier run.
        case cached
        /// The model was prepared already at this size in this process (a batch's model cache).
        case reused
        /// Not frozen or optimised at all (`optimize` off).
        case asLoaded = "as loaded"
        /// The graph the caller asked for (`GraphPreparation.frozen` or `.optimized`), not timed.
        case requested = "as asked"
        /// Frozen without measuring: on CUDA or in float16, where the CPU timing says nothing.
        case frozenOnDevice = "frozen, not measured (GPU)"
    }

    public init(file: URL) {
        self.file = file
    }

    /// The cache of this user: `$VIDEOSEG_CACHE_DIR`, else `$XDG_CACHE_HOME/videoseg`, else
    /// `~/.cache/videoseg`; none when `VIDEOSEG_CACHE_DIR` is set empty (measure every run).
    public static var user: PreparationCache? {
        let environment = ProcessInfo.processInfo.environment
        let folder: String
        if let explicit = environment["VIDEOSEG_CACHE_DIR"] {
            guard !explicit.isEmpty else { return nil }
            folder = explicit
        } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            folder = xdg + "/videoseg"
        } else if let home = environment["HOME"], !home.isEmpty {
            folder = home + "/.cache/videoseg"
        } else {
            return nil
        }
        return PreparationCache(file: URL(fileURLWithPath: folder).appendingPathComponent("preparation.json"))
    }

    /// What the choice depends on: the model's bytes (not its name or time: a copy reuses it, an
    /// edited file is measured anew), libtorch, the input shape, the threads, and the processor.
    package static func key(modelHash: String, batch: Int, height: Int, width: Int, threads: Int) -> String {
        [modelHash, "libtorch " + String(cString: vs_torch_version()), "\(batch)x3x\(height)x\(width)", "threads \(threads)",
         processorName, "cores \(ProcessInfo.processInfo.activeProcessorCount)"].joined(separator: " | ")
    }

    /// The processor's model name from /proc/cpuinfo: a home folder shared between machines
    /// must not hand one machine's measurement to another.
    static let processorName: String = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown processor"
    }()

    /// The choice stored for `key`, if any. An unreadable or damaged file counts as empty.
    package func choice(for key: String) -> Choice? {
        entries()[key]
    }

    /// Stores `choice` for `key`. Failing to write only costs a measurement next time, so it
    /// is not an error. The file is replaced atomically: concurrent runs (a batch's `--jobs`)
    /// never read half a file; at worst one's entry is lost and measured again.
    package func store(_ choice: Choice, for key: String) {
        var all = entries()
        all[key] = choice
        guard let data = try? JSONSerialization.data(withJSONObject: all.mapValues(\.rawValue), options: [.sortedKeys, .prettyPrinted])
        else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? AtomicFile.write(data, to: file.path)
    }

    private func entries() -> [String: Choice] {
        guard let data = try? Data(contentsOf: file),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return [:] }
        return object.compactMapValues(Choice.init(rawValue:))
    }
}
