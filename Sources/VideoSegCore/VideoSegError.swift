/// Every failure VideoSeg reports. Each case carries what a person needs to act on it: the file,
/// the stream or codec, and the underlying FFmpeg or libtorch message. `description` is one line.
public enum VideoSegError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The input path does not exist.
    case inputNotFound(path: String)
    /// A capture device (camera) is missing, busy, or not a video capture device.
    case deviceUnavailable(path: String, reason: String)
    /// FFmpeg could open nothing that looks like a video in the file.
    case notAVideo(path: String, reason: String)
    /// An FFmpeg call failed; `operation` names the call, `code` is its AVERROR.
    case ffmpeg(path: String, operation: String, code: Int32, message: String)
    /// The model file could not be loaded or run.
    case model(path: String, message: String)
    /// The model's metadata (embedded, sidecar or CLI) is invalid or contradicts its output.
    case modelMetadata(path: String, message: String)
    /// The output exists and replacing it was not allowed (the overwrite setting).
    case outputExists(path: String)
    /// The output path names the input file.
    case outputIsInput(path: String)
    /// The output cannot be created where it was asked for.
    case outputNotWritable(path: String, reason: SettingMessage)
    /// Writing the output failed part-way (for example a full disk).
    case writeFailed(path: String, reason: String)
    /// No encoder of that name exists in this FFmpeg.
    case unknownCodec(name: String)
    /// The container chosen by the output's extension cannot hold that codec.
    case codecNotSupportedByContainer(codec: String, container: String, path: String)
    /// A setting's value is invalid, or settings contradict each other.
    case invalidOption(SettingMessage)
    /// No model was given and the bundled default model is not in any of `searched`.
    case defaultModelMissing(name: String, searched: [String])
    /// A stop was asked for before the first frame was decoded: nothing was written.
    case stopped
    /// The virtual camera (a V4L2 output device) cannot be used: missing, not an output, busy,
    /// the format refused, or a write failed.
    case virtualCamera(path: String, reason: String)
    /// A list of inputs (`batch --list`) exists but cannot be read as text.
    case listNotReadable(path: String, reason: String)

    /// One line, in the library's terms.
    public var description: String {
        description { $0.rawValue }
    }

    /// One line, with every setting it mentions called what `name` says (a front end's own name
    /// for it, such as a command-line flag).
    public func description(naming name: (Setting) -> String) -> String {
        switch self {
        case .inputNotFound(let path):
            return "\(path): no such file"
        case .deviceUnavailable(let path, let reason):
            return "\(path): cannot capture: \(reason)"
        case .notAVideo(let path, let reason):
            return "\(path): not a video: \(reason)"
        case .ffmpeg(let path, let operation, _, let message):
            return "\(path): \(operation) failed: \(message)"
        case .model(let path, let message):
            return "\(path): \(message)"
        case .modelMetadata(let path, let message):
            return "\(path): bad model metadata: \(message)"
        case .outputExists(let path):
            let message: SettingMessage = "\(path): output exists (pass \(Setting.overwrite) to replace it)"
            return message.rendered(naming: name)
        case .outputIsInput(let path):
            return "\(path): output would overwrite the input"
        case .outputNotWritable(let path, let reason):
            return "\(path): cannot write output: \(reason.rendered(naming: name))"
        case .writeFailed(let path, let reason):
            return "\(path): write failed: \(reason)"
        case .unknownCodec(let name):
            return "\(name): unknown encoder (see `ffmpeg -encoders`)"
        case .codecNotSupportedByContainer(let codec, let container, let path):
            return "\(path): the \(container) container cannot hold \(codec) video"
        case .invalidOption(let message):
            return message.rendered(naming: name)
        case .defaultModelMissing(let model, let searched):
            let folders = searched.joined(separator: ", ")
            let message: SettingMessage = "\(model): bundled default model not found (looked in \(folders)); pass \(Setting.model) FILE or set VIDEOSEG_MODELS"
            return message.rendered(naming: name)
        case .stopped:
            return "stopped before the first frame; nothing was written"
        case .virtualCamera(let path, let reason):
            return "\(path): cannot be a virtual camera: \(reason)"
        case .listNotReadable(let path, let reason):
            return "\(path): cannot read the list: \(reason)"
        }
    }
}
