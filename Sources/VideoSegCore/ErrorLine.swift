import Foundation

/// Any error as the one line a person reads: a `VideoSegError`'s own description (its settings
/// named by `naming`, the library's words by default); a Foundation
/// file error (an `NSError` from `FileManager`, whose plain description is a multi-line dump of
/// its domain, code and user info) as "PATH: CAUSE" with the operating system's cause ("Read-only
/// file system"); anything else as its description with line breaks folded.
public enum ErrorLine {
    public static func describe(_ error: Error, naming: (Setting) -> String = { $0.rawValue }) -> String {
        if let error = error as? VideoSegError { return error.description(naming: naming) }
        let bridged = error as NSError
        guard bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain else {
            // A Swift error of its own (its description is its message), never the bridged dump.
            return String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        }
        let path = bridged.userInfo[NSFilePathErrorKey] as? String ?? (bridged.userInfo[NSURLErrorKey] as? URL)?.path
        let reason = cause(of: error)
        return path.map { "\($0): \(reason)" } ?? reason
    }

    /// The operating system's words for what went wrong: the POSIX error underneath, or the
    /// POSIX error itself, or else Foundation's own sentence.
    public static func cause(of error: Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        // Foundation keeps the POSIX error underneath as a Swift `POSIXError` value.
        if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
