/// Wall-clock seconds spent in the named phases of one piece of work (a run, a batch's video), on
/// the monotonic clock. Phases are named by their callers (see `RunPhase` and the batch's
/// phases); a name timed twice adds up. Kept so that fixed costs around the frames can be told
/// apart from the frames themselves: a figure per video that nobody broke down cannot be reduced.
public struct PhaseTimes: Sendable, Equatable {
    /// Seconds per phase name.
    public private(set) var seconds: [String: Double] = [:]

    /// No phase timed yet.
    public init() {}

    /// Adds `duration` seconds to `phase`.
    public mutating func add(_ phase: String, _ duration: Double) {
        seconds[phase, default: 0] += duration
    }

    /// Runs `body`, adding the time it took to `phase` (also when it throws).
    public mutating func time<Value>(_ phase: String, _ body: () throws -> Value) rethrows -> Value {
        let started = monotonicSeconds()
        defer { add(phase, monotonicSeconds() - started) }
        return try body()
    }

    /// Adds every phase of `other`.
    public mutating func merge(_ other: PhaseTimes) {
        for (phase, duration) in other.seconds { add(phase, duration) }
    }

    /// The sum over the phases.
    public var total: Double { seconds.values.reduce(0, +) }

    /// The phases rounded to 0.1 ms, for reports read by people and scripts (full precision says
    /// nothing more at this clock's noise, and keeps a report line short).
    public var rounded: [String: Double] {
        seconds.mapValues(PhaseTimes.rounded)
    }

    /// `seconds` rounded to 0.1 ms (see `rounded`).
    public static func rounded(_ seconds: Double) -> Double {
        (seconds * 10_000).rounded() / 10_000
    }
}
