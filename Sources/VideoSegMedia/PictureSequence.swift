import CFFmpeg
import Foundation
import VideoSegCore

/// An output that is a numbered picture per frame (`frames/%06d.png`) rather than a video: what
/// editors and compositing tools import a cut-out as. The pictures and a `manifest.jsonl` of
/// frame times are written into a hidden folder beside the destination and renamed into place
/// when the run is complete, so a reader never sees half a sequence under the final name.
package struct PictureSequencePath: Sendable, Equatable {
    /// The folder the pictures end up in.
    package let folder: String
    /// The file name pattern inside it, with one printf integer conversion (`%06d.png`).
    let pattern: String
    /// The hidden folder written while the run goes on.
    let temporaryFolder: String

    /// The extensions a sequence can be written as (an encoder that carries alpha).
    package static let extensions: Set<String> = ["png"]

    /// `path` as a picture sequence when its file name holds a `%d`-style number and a picture
    /// extension; nil for every other path.
    package init?(_ path: String) {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard PictureSequencePath.extensions.contains(url.pathExtension.lowercased()),
              name.range(of: #"%0?[0-9]*d"#, options: .regularExpression) != nil,
              name.filter({ $0 == "%" }).count == 1,
              PictureSequencePattern.problem(inOutput: path) == nil
        else { return nil }
        let folderURL = url.deletingLastPathComponent()
        folder = folderURL.path
        pattern = name
        temporaryFolder = folderURL.deletingLastPathComponent()
            .appendingPathComponent(".\(folderURL.lastPathComponent).videoseg-partial").path
    }

    /// The file name of picture `index`.
    func fileName(_ index: Int) -> String {
        String(format: pattern, index)
    }

    /// Whether `name` is a file a sequence run writes into its folder (`--overwrite` removes
    /// only these).
    package func isOwnFile(_ name: String) -> Bool {
        if name == "manifest.jsonl" || name == PictureSequenceFolder.lockName { return true }
        let numbered = NSRegularExpression.escapedPattern(for: pattern)
            .replacingOccurrences(of: #"%0?[0-9]*d"#, with: "[0-9]+", options: .regularExpression)
        return name.range(of: "^\(numbered)$", options: .regularExpression) != nil
    }

    /// Refuses a destination folder that is not a folder, or that holds files unless
    /// `overwrite` is given and they are all a sequence's own.
    package func checkDestination(overwrite: Bool) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw VideoSegError.outputNotWritable(path: folder, reason: "exists and is not a folder")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        guard !names.isEmpty else { return }
        guard overwrite else {
            throw VideoSegError.outputNotWritable(path: folder, reason: "folder is not empty (pass \(Setting.overwrite) to replace its pictures)")
        }
        if let foreign = names.sorted().first(where: { !isOwnFile($0) }) {
            throw VideoSegError.outputNotWritable(
                path: folder, reason: "holds \(foreign), which is not part of a picture sequence; refusing to replace the folder")
        }
    }
}

/// The hidden folder a picture sequence is written into: locked while the run writes it (so a
/// second run, or a folder left by a killed run, is told apart), with the manifest written
/// line by line as the pictures arrive, and published by one rename at the end.
final class PictureSequenceFolder {
    package static let lockName = ".videoseg-lock"
    package let path: PictureSequencePath
    private let manifest: FileHandle
    private var lock: RunLock?
    /// Non-fatal notes (a killed run's folder that was replaced).
    package private(set) var warnings: [String] = []

    /// Creates (or takes over from a killed run) the hidden folder and its manifest.
    package init(_ path: PictureSequencePath, output: String) throws {
        self.path = path
        let manager = FileManager.default
        let parent = URL(fileURLWithPath: path.temporaryFolder).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VideoSegError.outputNotWritable(path: output, reason: "folder \(parent) does not exist")
        }
        if !manager.fileExists(atPath: path.temporaryFolder) {
            do {
                try manager.createDirectory(atPath: path.temporaryFolder, withIntermediateDirectories: false)
            } catch {
                throw VideoSegError.outputNotWritable(path: output, reason: "cannot create \(path.temporaryFolder)")
            }
        }
        let held = try RunLock(path: "\(path.temporaryFolder)/\(PictureSequenceFolder.lockName)", output: output)
        let leftovers = ((try? manager.contentsOfDirectory(atPath: path.temporaryFolder)) ?? []).filter { $0 != PictureSequenceFolder.lockName }
        if !leftovers.isEmpty {
            // The lock was free, so whoever wrote these is gone.
            for name in leftovers { try? manager.removeItem(atPath: "\(path.temporaryFolder)/\(name)") }
            warnings.append("replaced \(path.temporaryFolder), left by a run that was killed")
        }
        lock = held
        let manifestPath = "\(path.temporaryFolder)/manifest.jsonl"
        guard manager.createFile(atPath: manifestPath, contents: nil), let handle = FileHandle(forWritingAtPath: manifestPath) else {
            throw VideoSegError.outputNotWritable(path: output, reason: "cannot write \(manifestPath)")
        }
        manifest = handle
    }

    /// Adds picture `index`'s line (its file and time) to the manifest.
    package func record(index: Int, pts: Int64, timeBase: Rational) throws {
        let line: [String: Any] = [
            "frame": index, "file": path.fileName(index), "pts": pts, "time_base": timeBase.description, "time": timeBase.seconds(pts),
        ]
        var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        do {
            try manifest.write(contentsOf: data)
        } catch {
            throw VideoSegError.writeFailed(path: "\(path.temporaryFolder)/manifest.jsonl", reason: error.localizedDescription)
        }
    }

    /// Moves the finished sequence into its folder, replacing a previous sequence there (the
    /// destination was checked before the run).
    package func publish() throws {
        try? manifest.close()
        let manager = FileManager.default
        unlink("\(path.temporaryFolder)/\(PictureSequenceFolder.lockName)")
        if manager.fileExists(atPath: path.folder) {
            for name in (try? manager.contentsOfDirectory(atPath: path.folder)) ?? [] where path.isOwnFile(name) {
                try? manager.removeItem(atPath: "\(path.folder)/\(name)")
            }
        }
        // rename(2) replaces an empty folder in one step; a non-empty one is refused.
        guard rename(path.temporaryFolder, path.folder) == 0 else {
            let reason = String(cString: strerror(errno))
            throw VideoSegError.writeFailed(path: path.folder, reason: "\(reason); the pictures are in \(path.temporaryFolder)")
        }
        lock?.release()
        lock = nil
    }

    /// Removes the hidden folder and everything in it.
    package func discard() {
        try? manifest.close()
        try? FileManager.default.removeItem(atPath: path.temporaryFolder)
        lock?.release()
        lock = nil
    }
}

/// Converts drawn YUV(A) frames into the RGB(A) pictures a sequence's PNG encoder takes, in one
/// reused frame (the encoder is done with it when `send` returns: PNG has no delay).
final class PictureFrameConverter {
    package let pixelFormat: AVPixelFormat
    private let width: Int
    private let height: Int
    private let path: String
    private let scaler = FrameScaler()
    private let picture: UnsafeMutablePointer<AVFrame>

    package init(width: Int, height: Int, alpha: Bool, path: String) throws {
        pixelFormat = alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24
        self.width = width
        self.height = height
        self.path = path
        guard let frame = av_frame_alloc() else { throw VideoSegError.writeFailed(path: path, reason: "out of memory") }
        picture = frame
        frame.pointee.format = pixelFormat.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        try checkFFmpeg(av_frame_get_buffer(frame, 0), path: path, operation: "allocating a picture")
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = picture
        av_frame_free(&owned)
    }

    /// `frame` as an RGB(A) picture with its timestamp. Alpha is copied as it is (no scaling).
    package func convert(_ frame: UnsafePointer<AVFrame>) throws -> UnsafeMutablePointer<AVFrame> {
        try checkFFmpeg(av_frame_make_writable(picture), path: path, operation: "allocating a picture")
        try scaler.scale(frame, into: picture, width: width, height: height, format: pixelFormat,
                         flags: SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, destinationColorspace: frame.pointee.colorspace,
                         destinationFullRange: true)
        picture.pointee.pts = frame.pointee.pts
        return picture
    }
}
