/// Counts the media values and pooled buffers that are alive, by kind, so a test can check that
/// a run gave back everything it took, whether it ended normally, on an error or on a stop.
///
/// Each pipeline run has its own census: runs in the same process do not disturb each other's
/// counts. Counting costs one lock per allocation and release, a handful per frame.
public final class ResourceCensus: Sendable {
    /// What is counted.
    public enum Kind: String, Sendable, CaseIterable {
        /// A decoded picture (an `AVFrame` from the decoder).
        case decodedFrame
        /// A picture in the encoder's format (pooled).
        case renderedFrame
        /// An audio packet travelling with the frames.
        case packet
        /// A pooled model-input tensor or class map.
        case poolBuffer
    }

    private let counts = Locked<[Kind: Int]>([:])

    /// An empty census.
    public init() {}

    package func acquired(_ kind: Kind) {
        counts.withLock { $0[kind, default: 0] += 1 }
    }

    package func released(_ kind: Kind) {
        counts.withLock { $0[kind, default: 0] -= 1 }
    }

    /// The number alive now, by kind (kinds never counted are absent).
    public var live: [Kind: Int] { counts.current }

    /// The number alive now, all kinds together.
    public var totalLive: Int { counts.current.values.reduce(0, +) }
}
