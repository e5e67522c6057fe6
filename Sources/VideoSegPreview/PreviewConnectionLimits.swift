import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

/// How many connections the preview keeps open, and for how long an idle one may stay, so no
/// number of viewers (or of idle or half-sent connections) can take the descriptors the run
/// itself needs: a process out of descriptors fails to write a mask, or dies inside libdispatch.
///
/// Connections beyond the cap are not accepted: they wait in the kernel's listen queue, which
/// holds no descriptor of ours, until an open one closes. A connection with no request in
/// progress (one that never sent anything, or sent half a request) is closed after
/// `idleTimeout`; a stream being answered is not idle.
enum PreviewConnectionLimits {
    /// How long a connection may stay open with no request being answered.
    static let idleTimeout = TimeAmount.seconds(5)

    /// The most connections at once: an eighth of the open-file limit, between 4 and 64, so at
    /// least seven eighths of the descriptors are left to the run whatever the viewers do.
    static func maximumConnections(openFileLimit: Int) -> Int {
        min(64, max(4, openFileLimit / 8))
    }

    /// The process's soft limit on open files now.
    static var openFileLimit: Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        // RLIM_INFINITY is the largest value: clamped, it is "plenty".
        return Int(clamping: limit.rlim_cur)
    }

    /// The HTTP/1 server with the idle timeout and the HTTP/1.0 closing (see `HTTP1ConnectionCloser`).
    static var server: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [HTTP1ConnectionCloser.Installer()], idleTimeout: idleTimeout))
    }
}
