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
    /// deterministic order. A folder's search leaves out `outputDirectory` (an output folder
    /// inside an input folder would otherwise be read as input on the next run, deeper each time).
    public static func collect(_ arguments: [String], listFile: String?, excluding outputDirectory: String? = nil) throws -> [BatchInput] {
        var sources: [String] = []
        let manager = FileManager.default
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw VideoSegError.inputNotFound(path: argument)
            }
            if isDirectory.boolValue {
                sources += videos(in: argument, excluding: outputDirectory)
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
        let unique = sources.filter { seen.insert(FileFingerprint.isURL($0) ? $0 : URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
        return named(unique)
    }

    /// The videos below `folder`, sorted, none of them inside `excluded`.
    private static func videos(in folder: String, excluding excluded: String?) -> [String] {
        let resolved = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let skip = excluded.map(resolved)
        guard let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: folder), includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var found: [String] = []
        for case let url as URL in enumerator {
            if let skip, resolved(url.path) == skip {
                enumerator.skipDescendants()
                continue
            }
            if videoExtensions.contains(url.pathExtension.lowercased()) && !url.lastPathComponent.hasPrefix(".") { found.append(url.path) }
        }
        return found.sorted()
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

    /// Names for `sources`: their paths below the deepest folder they share, without the
    /// extension, except where two would meet (`b.mov`, `b.mkv`): those keep it. URLs are named
    /// from their text, made safe. No two inputs ever get the same name, and the same inputs
    /// always get the same names.
    package static func named(_ sources: [String]) -> [BatchInput] {
        let paths = sources.filter { !FileFingerprint.isURL($0) }.map { URL(fileURLWithPath: $0).standardizedFileURL.pathComponents }
        var common = paths.first.map { Array($0.dropLast()) } ?? []
        for components in paths.dropFirst() {
            let folder = components.dropLast()
            var shared = 0
            while shared < min(common.count, folder.count) && common[shared] == folder[shared] { shared += 1 }
            common = Array(common.prefix(shared))
        }
        let full: [String] = sources.map { source in
            if FileFingerprint.isURL(source) { return "urls/" + safe(source) }
            let components = URL(fileURLWithPath: source).standardizedFileURL.pathComponents
            return components.dropFirst(common.count).map(safe).joined(separator: "/")
        }
        let raw: [String] = sources.map { source in
            if FileFingerprint.isURL(source) { return source }
            return URL(fileURLWithPath: source).standardizedFileURL.pathComponents.dropFirst(common.count).joined(separator: "/")
        }
        // A URL's dots are not an extension.
        let stem = { (index: Int, name: String) in FileFingerprint.isURL(sources[index]) ? name : (name as NSString).deletingPathExtension }
        var stems = full.indices.map { stem($0, full[$0]) }
        // Names that cleaning made equal (`a b.mp4` and `a_b.mp4` both clean to `a_b`) would send
        // two videos to one output, the second replacing the first: a name that cleaning changed
        // gets a hash of the input's own path, so it depends on that input alone.
        for index in collisions(stems) where stems[index] != stem(index, raw[index]) {
            stems[index] += "-" + stableHash(raw[index])
        }
        let meeting = collisions(stems)
        let names = stems.indices.map { index -> String in
            guard meeting.contains(index), !FileFingerprint.isURL(sources[index]) else { return stems[index] }
            let pathExtension = (full[index] as NSString).pathExtension
            return pathExtension.isEmpty ? stems[index] : stems[index] + "." + pathExtension
        }
        return zip(sources, numbered(names)).map { BatchInput(source: $0, name: $1) }
    }

    /// The indices of `names` that another index shares.
    private static func collisions(_ names: [String]) -> Set<Int> {
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        return Set(names.indices.filter { counts[names[$0], default: 0] > 1 })
    }

    /// `names` with any that still meet (one name with its extension kept equal to another's
    /// stem, `a.mp4.mov` and `a.mp4` beside `a.mkv`) numbered in input order, so no two inputs
    /// ever share an output.
    private static func numbered(_ names: [String]) -> [String] {
        var taken = Set<String>()
        return names.map { name in
            var candidate = name, number = 2
            while !taken.insert(candidate).inserted {
                candidate = name + "-\(number)"
                number += 1
            }
            return candidate
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
