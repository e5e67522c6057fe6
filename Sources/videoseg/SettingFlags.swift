import VideoSeg
import VideoSegPreview

/// The command line's name for each of the library's settings: library messages name settings
/// in words, and the CLI shows them as the flags a person types.
enum SettingFlags {
    static func flag(_ setting: Setting) -> String {
        switch setting {
        case .overwrite: "--overwrite"
        case .preset: "--preset"
        case .codec: "--codec"
        case .pixelFormat: "--pixel-format"
        case .device: "--device"
        case .model: "--model"
        case .inputSize: "--input-size"
        case .classes: "--classes"
        case .virtualCamera: "--virtual-camera"
        case .style: "--style"
        case .half: "--half"
        case .batchSize: "--batch-size"
        case .background: "--background"
        case .subject: "--subject"
        case .live: "--live"
        }
    }

    /// `message` as the CLI says it.
    static func text(_ message: SettingMessage) -> String {
        message.rendered(naming: flag)
    }

    /// `error` as the CLI says it, in one line.
    static func text(_ error: Error) -> String {
        if let error = error as? PreviewError { return "--preview \(error.address): \(error.reason)" }
        return ErrorLine.describe(error, naming: flag)
    }
}
