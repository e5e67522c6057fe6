import Foundation
import VideoSegCore

/// The bundled models used when no `--model` is given: MediaPipe's selfie (person) segmentation,
/// converted to TorchScript (Models/convert_mediapipe_selfie.py). There are two, one per input
/// shape; the one whose aspect is nearer the video's displayed aspect is used.
public enum DefaultModels {
    /// 256×256 input.
    public static let square = "selfie_segmentation.pt"
    /// 256 wide × 144 high input.
    public static let landscape = "selfie_segmentation_landscape.pt"

    /// Folders searched for the bundled models, in order: `$VIDEOSEG_MODELS`; `Models/` of the
    /// checkout the running binary was built in (`.build/<config>/videoseg`); an installed
    /// `<prefix>/share/videoseg/Models` beside `<prefix>/bin`; the checkout this file was compiled from.
    public static var searchDirectories: [String] {
        var folders: [String] = []
        if let environment = ProcessInfo.processInfo.environment["VIDEOSEG_MODELS"], !environment.isEmpty {
            folders.append(environment)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for relative in ["../../Models", "../../../Models", "../share/videoseg/Models"] {
            folders.append(executable.appendingPathComponent(relative).standardizedFileURL.path)
        }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        folders.append(checkout.appendingPathComponent("Models").path)
        return folders
    }

    /// The file name for a picture of `width`×`height` (upright): landscape when its aspect is
    /// nearer 16:9 than 1:1 (on a log scale, so 2:1 and 1:2 count as equally far from 1:1).
    public static func name(forUprightWidth width: Int, height: Int) -> String {
        let aspect = log(Double(width) / Double(max(1, height)))
        return abs(aspect - log(256.0 / 144.0)) < abs(aspect) ? landscape : square
    }

    /// The path of the bundled model `name`, or an error listing where it was looked for.
    public static func path(named name: String) throws -> String {
        for folder in searchDirectories {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw VideoSegError.defaultModelMissing(name: name, searched: searchDirectories)
    }
}
