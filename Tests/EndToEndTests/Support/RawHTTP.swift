import Foundation
import Testing

/// HTTP at the socket level, for what curl will not send or does not show: an HTTP/1.0 request,
/// a malformed one, whether the server closed the connection, and floods of idle connections.
enum RawHTTP {
    /// A TCP socket to 127.0.0.1:`port`, connected (blocking unless `blocking` is false, then the
    /// connection may still be under way).
    static func connect(port: Int, blocking: Bool = true) -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return -1 }
        if !blocking { _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 && !(errno == EINPROGRESS && !blocking) {
            close(socket)
            return -1
        }
        return socket
    }

    /// Sends `request` as it is and reads the answer until the server closes the connection or
    /// `timeout` seconds pass: the bytes read, and whether the server closed it.
    static func exchange(port: Int, _ request: String, timeout: Double = 5) throws -> (text: String, closed: Bool) {
        let socket = connect(port: port)
        try #require(socket >= 0, "connect: \(String(cString: strerror(errno)))")
        defer { close(socket) }
        let bytes = Array(request.utf8)
        try #require(send(socket, bytes, bytes.count, 0) == bytes.count)
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { break }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// Raises this process's soft limit on open files to the hard one (a flood needs more
    /// sockets than the usual 1024); returns the limit now.
    @discardableResult
    static func raiseOwnFileLimit() -> Int {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return Int(clamping: limit.rlim_cur)
    }
}
