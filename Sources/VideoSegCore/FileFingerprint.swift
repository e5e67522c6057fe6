import Glibc

/// What identifies a file's contents cheaply: its size and modification time. A changed file
/// (or a replaced one) has another fingerprint, so work recorded against the old one is redone.
package struct FileFingerprint: Equatable, Sendable {
    package var size: Int64
    /// Modification time, nanoseconds since 1970.
    package var modified: Int64

    /// The fingerprint of the file at `path` now; nil for URLs and files that cannot be read.
    package init?(path: String) {
        var status = stat()
        guard !FileFingerprint.isURL(path), stat(path, &status) == 0 else { return nil }
        size = Int64(status.st_size)
        modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
    }

    /// Whether `source` names a URL (a scheme before a colon: `rtsp:`, `http:`, `pipe:`, ...)
    /// rather than a file.
    package static func isURL(_ source: String) -> Bool {
        guard let colon = source.firstIndex(of: ":"), colon != source.startIndex else { return false }
        return source[source.startIndex..<colon].allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
    }
}
