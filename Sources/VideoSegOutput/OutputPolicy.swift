import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegRender

/// The rules that keep a run from destroying data by surprise: an existing file is replaced
/// only with `overwrite`, never the input, and never anything that is not a regular file (a
/// symlink, a device node, a folder, a FIFO), since replacing one of those by a file destroys
/// something the user did not mean to write (`/dev/null` replaced by a video, a link's target
/// silently detached).
public enum OutputPolicy {
    /// Refuses an output that is the input, that is not a regular file, or that exists without
    /// `overwrite`.
    public static func check(output: String, input: String, overwrite: Bool) throws {
        if let sequence = PictureSequencePath(output) {
            try sequence.checkDestination(overwrite: overwrite)
            return
        }
        if sameFile(output, input) || URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: input).standardizedFileURL {
            throw VideoSegError.outputIsInput(path: output)
        }
        try checkReplaceable(output, overwrite: overwrite)
    }

    /// Refuses `path` when something that is not a regular file is there (even with
    /// `overwrite`), or when a regular file is there and `overwrite` is off.
    public static func checkReplaceable(_ path: String, overwrite: Bool) throws {
        var status = stat()
        // lstat: a symlink is judged as the link, not as what it points to.
        guard lstat(path, &status) == 0 else { return }
        if let kind = nonRegularKind(status.st_mode) {
            throw VideoSegError.outputNotWritable(path: path, reason: "it is \(kind), not a regular file; refusing to replace it, even with \(Setting.overwrite)")
        }
        if !overwrite { throw VideoSegError.outputExists(path: path) }
    }

    /// Writes `data` to `path` under the policy, atomically: into a temporary file in the same
    /// folder, flushed to the disk, then renamed over `path`, so a reader (or a crash) sees the
    /// old file or the whole new one, never a part.
    public static func writeAtomically(_ data: Data, to path: String, overwrite: Bool) throws {
        try checkReplaceable(path, overwrite: overwrite)
        // Checked again just before the rename: something may have appeared meanwhile.
        try AtomicFile.write(data, to: path) { try checkReplaceable(path, overwrite: overwrite) }
    }

    /// What a non-regular file is, in words; nil for a regular file.
    private static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFLNK: "a symbolic link"
        case S_IFDIR: "a folder"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "an unknown kind of file"
        }
    }

    /// Whether two paths name one file (hard links and symlinks included).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
