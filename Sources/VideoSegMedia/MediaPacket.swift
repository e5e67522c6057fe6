import CFFmpeg
import VideoSegCore

/// A compressed packet copied out of the demuxer (the audio that travels with the frames),
/// owned: freed when the value goes away.
public final class MediaPacket: @unchecked Sendable {
    // @unchecked: an AVPacket pointer, handed from stage to stage by single-owner hand-off.
    package let packet: UnsafeMutablePointer<AVPacket>
    private let census: ResourceCensus?

    /// Takes ownership of `packet`.
    package init(taking packet: UnsafeMutablePointer<AVPacket>, census: ResourceCensus?) {
        self.packet = packet
        self.census = census
        census?.acquired(.packet)
    }

    deinit {
        var owned: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&owned)
        census?.released(.packet)
    }

    /// The packet's time in its stream's time base: pts, else dts, else nil.
    package var timestamp: Int64? {
        let value = packet.pointee
        if value.pts != vs_nopts_value() { return value.pts }
        return value.dts != vs_nopts_value() ? value.dts : nil
    }
}
