import VideoSegCore

/// How the annotated video is encoded.
public struct EncoderSettings: Equatable, Sendable {
    /// An FFmpeg encoder name (`libx264`, `libvpx-vp9`, `ffv1`, ...) or codec name (`h264`);
    /// nil picks the container's usual codec: H.264 for mp4/mov/mkv/avi, VP9 for webm.
    public var codec: String?
    /// Constant rate factor, for encoders that have one (lower is better quality).
    public var crf: Int
    /// Speed preset, for encoders that have one.
    public var preset: String
    /// Encoder threads; 0 lets FFmpeg choose.
    public var threads = 0
    /// A planar YUV pixel format to encode in (e.g. `yuv420p10le` to keep 10-bit video 10-bit);
    /// nil picks 8-bit 4:2:0, or 4:4:4 for odd sizes and 4:4:4 sources.
    public var pixelFormat: String?
    /// Encode with an alpha channel (a cut-out): a format that carries it is chosen, and an
    /// output that cannot is refused.
    public var alpha = false

    /// The CLI's defaults: container's codec, CRF 23, preset veryfast.
    public init(codec: String? = nil, crf: Int = 23, preset: String = "veryfast") {
        self.codec = codec
        self.crf = crf
        self.preset = preset
    }
}

extension EncoderSettings {
    /// libx264's speed presets (x264_preset_names). x264 also takes them in any case, or by
    /// index (0 ultrafast ... 9 placebo).
    static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]

    /// Why `preset` cannot work with the encoder that writing `output` would use, or nil. Checked
    /// before the encoder opens because libx264 prints its own complaint straight to stderr,
    /// bypassing FFmpeg's log and so the program's quiet mode.
    public func presetProblem(forOutput output: String) -> SettingMessage? {
        guard let encoder = VideoSink.encoderName(codec: codec, output: output), encoder.hasPrefix("libx264") else { return nil }
        let name = preset.lowercased()
        if EncoderSettings.x264Presets.contains(name) { return nil }
        if let index = Int(name), EncoderSettings.x264Presets.indices.contains(index) { return nil }
        return "\(Setting.preset) \(preset): \(encoder) has no such preset (\(EncoderSettings.x264Presets.joined(separator: ", ")))"
    }
}
