import CFFmpeg
import VideoSegCore

/// Keeps packet timestamps continuous across the discontinuities that formats such as MPEG-TS
/// declare (`AVFMT_TS_DISCONT`): two recordings joined with `cat`, a broadcast splice, a clock
/// that restarts. FFmpeg's command-line tool does the same (`ts_discontinuity_detect`): one
/// offset for the whole file, and when a stream's decoding timestamp lands more than 0.1 s
/// before where that stream had got to, or more than 10 s away from where its next packet was
/// expected, the offset moves so the packet falls where it was expected, one packet duration
/// after the last. Every later packet of every stream moves with it, so audio stays with video.
///
/// Formats without declared discontinuities are left alone: there a timestamp that goes back is
/// damage, reported as such by `MediaSource`.
struct TimestampContinuity {
    /// FFmpeg's `dts_delta_threshold`: a forward jump beyond this many microseconds is a
    /// discontinuity (a smaller one is a gap in the recording, kept as it is).
    static let forwardThreshold = Int64(10 * vs_time_base_den())
    /// A packet this many microseconds behind its stream's latest is a discontinuity; FFmpeg's
    /// figure too (a little reordering is normal, a tenth of a second is not).
    static let backwardThreshold = Int64(vs_time_base_den() / 10)

    /// Whether the format declares discontinuities; nothing is changed otherwise.
    let enabled: Bool
    /// What every packet's timestamps are moved by, in microseconds.
    package private(set) var offset: Int64 = 0
    /// Per stream index: where the next packet's decoding time is expected, and the latest
    /// decoding time seen, in microseconds.
    private var expected: [Int32: Int64] = [:]
    private var latest: [Int32: Int64] = [:]

    package init(enabled: Bool) {
        self.enabled = enabled
    }

    /// A discontinuity found by `adjust`: where it was, and the jump it removed.
    struct Jump {
        package var seconds: Double
        var jumpSeconds: Double
    }

    /// Moves `packet`'s timestamps (in `timeBase`) by the offset, first moving the offset when
    /// the packet jumps. `fallbackDuration` is the packet's duration when it carries none.
    mutating func adjust(_ packet: UnsafeMutablePointer<AVPacket>, timeBase: AVRational, fallbackDuration: Int64) -> Jump? {
        guard enabled else { return nil }
        let microseconds = AVRational(num: 1, den: vs_time_base_den())
        shift(packet, by: av_rescale_q(offset, microseconds, timeBase))
        let stamp = packet.pointee.dts != vs_nopts_value() ? packet.pointee.dts : packet.pointee.pts
        guard stamp != vs_nopts_value() else { return nil }
        var time = av_rescale_q(stamp, timeBase, microseconds)
        let index = packet.pointee.stream_index
        var jump: Jump?
        if let next = expected[index] {
            let delta = time - next
            if abs(delta) > Self.forwardThreshold || time + Self.backwardThreshold < (latest[index] ?? next) {
                offset -= delta
                shift(packet, by: -av_rescale_q(delta, microseconds, timeBase))
                time -= delta
                jump = Jump(seconds: Double(time) / Double(vs_time_base_den()), jumpSeconds: Double(delta) / Double(vs_time_base_den()))
            }
        }
        let duration = packet.pointee.duration > 0 ? packet.pointee.duration : fallbackDuration
        expected[index] = time + av_rescale_q(duration, timeBase, microseconds)
        latest[index] = max(latest[index] ?? time, time)
        return jump
    }

    private func shift(_ packet: UnsafeMutablePointer<AVPacket>, by amount: Int64) {
        guard amount != 0 else { return }
        if packet.pointee.dts != vs_nopts_value() { packet.pointee.dts += amount }
        if packet.pointee.pts != vs_nopts_value() { packet.pointee.pts += amount }
    }
}
