import CFFmpeg
import Testing

@testable import VideoSegMedia

/// Timestamps made continuous across a format's declared discontinuities, as FFmpeg's tool does.
@Suite struct TimestampContinuityTests {
    /// Milliseconds, so the numbers below read as they are.
    let timeBase = AVRational(num: 1, den: 1000)

    /// Runs `stamps` (dts = pts, 40 ms each) through `continuity`; the stamps after, and the jumps.
    func adjust(_ continuity: inout TimestampContinuity, _ stamps: [Int64], stream: Int32 = 0) -> (stamps: [Int64], jumps: [Double]) {
        var out: [Int64] = [], jumps: [Double] = []
        for stamp in stamps {
            var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
            defer { av_packet_free(&packet) }
            packet!.pointee.dts = stamp
            packet!.pointee.pts = stamp
            packet!.pointee.duration = 40
            packet!.pointee.stream_index = stream
            if let jump = continuity.adjust(packet!, timeBase: timeBase, fallbackDuration: 40) { jumps.append(jump.jumpSeconds) }
            out.append(packet!.pointee.dts)
            #expect(packet!.pointee.pts == packet!.pointee.dts)
        }
        return (out, jumps)
    }

    @Test func aForwardJumpOfMinutesIsClosedToOneFrame() {
        var continuity = TimestampContinuity(enabled: true)
        let result = adjust(&continuity, [0, 40, 80, 100_000, 100_040])
        #expect(result.stamps == [0, 40, 80, 120, 160])
        #expect(result.jumps == [99.88])
        #expect(continuity.offset == -99_880_000)
    }

    @Test func aClockThatRestartsGoesOnWhereItWas() {
        var continuity = TimestampContinuity(enabled: true)
        let result = adjust(&continuity, [5_000, 5_040, 0, 40])
        #expect(result.stamps == [5_000, 5_040, 5_080, 5_120])
        #expect(result.jumps == [-5.08])
    }

    @Test func aGapUnderTenSecondsAndALittleReorderingAreKept() {
        var continuity = TimestampContinuity(enabled: true)
        let result = adjust(&continuity, [0, 40, 5_000, 4_950, 5_040])
        #expect(result.stamps == [0, 40, 5_000, 4_950, 5_040])
        #expect(result.jumps.isEmpty)
    }

    @Test func formatsWithoutDiscontinuitiesAreLeftAlone() {
        var continuity = TimestampContinuity(enabled: false)
        let result = adjust(&continuity, [0, 40, 100_000, 0])
        #expect(result.stamps == [0, 40, 100_000, 0])
        #expect(result.jumps.isEmpty && continuity.offset == 0)
    }
}
