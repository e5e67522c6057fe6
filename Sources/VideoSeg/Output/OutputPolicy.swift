import Foundation

/// The rules that keep a run from destroying data by surprise.
enum OutputPolicy {
    /// Refuses an existing output without `overwrite`, and an output that is the input.
    static func check(output: String, input: String, overwrite: Bool) throws {
        if sameFile(output, input) || URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: input).standardizedFileURL {
            throw VideoSegError.outputIsInput(path: output)
        }
        if FileManager.default.fileExists(atPath: output) && !overwrite {
            throw VideoSegError.outputExists(path: output)
        }
    }

    /// Whether two paths name one file (hard links and symlinks included).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
