import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

/// One video of a batch: where it is read from, and the name its outputs get below the output
/// folder (a relative path without the `.segmented.mp4` ending; never absolute, never `..`).
public struct BatchInput: Equatable, Sendable {
    /// A file path or an FFmpeg URL.
    public var source: String
    /// The outputs' stem relative to the output folder, e.g. `a/b` or `a/b.mov`.
    public var name: String

    /// The extensions a folder is searched for.
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "ts", "mts", "m2ts", "mpg", "mpeg", "flv", "wmv", "3gp", "ogv",
    ]

    /// The inputs of `arguments` (files, and folders searched recursively for videos) and of
    /// `listFile` (one path or URL a line; blank lines and `#` comments skipped), named, in a
    /// deterministic order.
    public static func collect(_ arguments: [String], listFile: String?) throws -> [BatchInput] {
        var sources: [String] = []
        let manager = FileManager.default
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw VideoSegError.inputNotFound(path: argument)
            }
            if isDirectory.boolValue {
                let root = URL(fileURLWithPath: argument)
                let found = manager.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?
                    .compactMap { $0 as? URL }
                    .filter { videoExtensions.contains($0.pathExtension.lowercased()) && !$0.lastPathComponent.hasPrefix(".") } ?? []
                sources += found.map(\.path).sorted()
            } else {
                sources.append(argument)
            }
        }
        if let listFile {
            let text = try readList(listFile)
            sources += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        var seen = Set<String>()
        let unique = sources.filter { seen.insert(isURL($0) ? $0 : URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
        return named(unique)
    }

    /// The text of a list file, read to its end through a file handle, so a pipe works too
    /// (`--list <(find ...)`, `--list /dev/stdin`): reading by the file's size sees none of it.
    static func readList(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw VideoSegError.listNotReadable(path: path, reason: String(cString: strerror(errno)))
            }
            throw VideoSegError.inputNotFound(path: path)
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw VideoSegError.listNotReadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VideoSegError.listNotReadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    /// Whether `source` is an FFmpeg URL rather than a path.
    static func isURL(_ source: String) -> Bool {
        FileFingerprint.isURL(source)
    }

    /// Names for `sources`: their paths below the deepest folder they share, without the
    /// extension, except where two would meet (`b.mov`, `b.mkv`): those keep it. URLs are named
    /// from their text, made safe.
    package static func named(_ sources: [String]) -> [BatchInput] {
        let paths = sources.filter { !isURL($0) }.map { URL(fileURLWithPath: $0).standardizedFileURL.pathComponents }
        var common = paths.first.map { Array($0.dropLast()) } ?? []
        for components in paths.dropFirst() {
            let folder = components.dropLast()
            var shared = 0
            while shared < min(common.count, folder.count) && common[shared] == folder[shared] { shared += 1 }
            common = Array(common.prefix(shared))
        }
        let full: [String] = sources.map { source in
            if isURL(source) { return "urls/" + safe(source) }
            let components = URL(fileURLWithPath: source).standardizedFileURL.pathComponents
            return components.dropFirst(common.count).map(safe).joined(separator: "/")
        }
        // A URL's dots are not an extension.
        let stems = zip(sources, full).map { isURL($0) ? $1 : ($1 as NSString).deletingPathExtension }
        var counts: [String: Int] = [:]
        for stem in stems { counts[stem, default: 0] += 1 }
        return zip(sources, zip(full, stems)).map { source, names in
            BatchInput(source: source, name: counts[names.1, default: 0] > 1 ? names.0 : names.1)
        }
    }

    /// `text` with anything but letters, digits, `.`, `-` and `_` made `_`, and never `.` or `..`.
    private static func safe(_ text: String) -> String {
        let cleaned = String(text.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return cleaned.allSatisfy { $0 == "." } ? cleaned.replacingOccurrences(of: ".", with: "_") : cleaned
    }

    /// The share `index` of `count` (`--shard I/N`): every `count`-th input from `index`.
    public static func shard(_ inputs: [BatchInput], index: Int, count: Int) -> [BatchInput] {
        inputs.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}
