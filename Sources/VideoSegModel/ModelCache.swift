import VideoSegCore

/// Prepared models kept for reuse across runs (a batch of videos): loading, freezing, timing
/// and warming a model costs about a second for the default model, more for large ones, and
/// the same model at the same input size serves every video of that size. A model serves one
/// run at a time: `checkout` hands out one no run is using (loading a new one if none is idle),
/// `checkin` returns it.
public final class ModelCache: Sendable {
    private struct Key: Hashable {
        var path: String
        var overrides: String
        var threads: Int
        var optimize: Bool
        var device: ComputeDevice
        var half: Bool
    }

    private let idle = Locked<[Key: [SegmentationModel]]>([:])
    private let loads = Locked(0)

    /// An empty cache.
    public init() {}

    /// How many models were loaded so far (the rest of the runs reused one).
    public var modelsLoaded: Int { loads.current }

    /// A model for `path` with `overrides` and `threads` on `device`: an idle one whose prepared
    /// input size is what `size` resolves for it, else a newly loaded one, placed on `device` (not
    /// prepared yet).
    package func checkout(path: String, overrides: ModelMetadata, threads: Int, optimize: Bool, device: ComputeDevice = .cpu, half: Bool = false,
                  size: (SegmentationModel) throws -> (width: Int, height: Int)) throws -> SegmentationModel
    {
        let key = Key(path: path, overrides: overrides.jsonText(), threads: threads, optimize: optimize, device: device, half: half)
        let candidates = idle.withLock { $0[key] ?? [] }
        for candidate in candidates {
            let wanted = try size(candidate)
            guard candidate.inputWidth == wanted.width && candidate.inputHeight == wanted.height else { continue }
            let taken = idle.withLock { models -> Bool in
                guard let index = models[key]?.firstIndex(where: { $0 === candidate }) else { return false }
                models[key]?.remove(at: index)
                return true
            }
            if taken { return candidate }
        }
        let model = try SegmentationModel(path: path, overrides: overrides)
        model.threads = threads
        try model.place(on: device, half: half)
        model.cacheKey = [path, key.overrides, String(threads), String(optimize), device.description, String(half)]
            .joined(separator: "\u{1F}")
        loads.withLock { $0 += 1 }
        return model
    }

    /// Returns `model` for later runs.
    package func checkin(_ model: SegmentationModel) {
        guard let parts = model.cacheKey?.components(separatedBy: "\u{1F}"), parts.count == 6 else { return }
        let key = Key(path: parts[0], overrides: parts[1], threads: Int(parts[2]) ?? 1, optimize: parts[3] == "true",
                      device: model.device, half: model.half)
        idle.withLock { $0[key, default: []].append(model) }
    }
}
