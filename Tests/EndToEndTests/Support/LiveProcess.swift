import Foundation
import Testing

/// The built `videoseg` running in the background while a test talks to it: its stderr is
/// collected as it comes, so a test can wait for a line (the preview's address, a status line),
/// send a signal, and time how long the process takes to end.
final class LiveProcess: @unchecked Sendable {
    // @unchecked: `collected` is behind `lock`; the process is driven by the test's thread.
    private let process = Process()
    private let lock = NSCondition()
    private var collected = Data()
    private var finishedReading = false

    /// Starts `videoseg` with `arguments`, or `executable` (a wrapper such as prlimit) with them.
    init(_ arguments: [String], environment: [String: String]? = nil, executable: String = videosegBinary) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let handle = pipe.fileHandleForReading
        let reader = Thread { [self] in
            while true {
                let chunk = handle.availableData
                lock.lock()
                if chunk.isEmpty {
                    finishedReading = true
                    lock.broadcast()
                    lock.unlock()
                    return
                }
                collected.append(chunk)
                lock.broadcast()
                lock.unlock()
            }
        }
        reader.start()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// What it printed on stderr so far.
    var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Waits until stderr matches `pattern` `times` times (or the process ends, or `timeout`
    /// passes); returns the first match's first capture group (or the whole match), or nil.
    func waitFor(_ pattern: String, times: Int = 1, timeout: Double = 60) -> String? {
        let regex = try! NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            let text = String(decoding: collected, as: UTF8.self)
            let matches = regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
            if matches.count >= times, let first = matches.first {
                let range = first.numberOfRanges > 1 ? first.range(at: 1) : first.range
                return Range(range, in: text).map { String(text[$0]) }
            }
            if finishedReading || Date() >= deadline { return nil }
            _ = lock.wait(until: min(deadline, Date().addingTimeInterval(0.1)))
        }
    }

    /// The preview page's port, from the line `preview: http://HOST:PORT/`.
    func previewPort(timeout: Double = 60) -> Int? {
        waitFor("preview: http://[^ ]*:([0-9]+)/", timeout: timeout).flatMap { Int($0) }
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Whether it ended by a signal (then `wait`'s status is the signal number).
    var endedBySignal: Bool { process.terminationReason == .uncaughtSignal }

    /// Waits for the end (killing it after `timeout`); its exit status and the seconds waited.
    @discardableResult
    func wait(timeout: Double = 60) -> (status: Int32, seconds: Double, timedOut: Bool) {
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(5_000) }
        let waited = Date().timeIntervalSince(start)
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        lock.lock()
        while !finishedReading { lock.wait(until: Date().addingTimeInterval(0.1)) }
        lock.unlock()
        return (process.terminationStatus, waited, timedOut)
    }
}

/// HTTP, as a client sees it: `curl` for whole responses and streams, and a raw socket for a
/// client that connects and then never reads.
enum HTTP {
    /// The body of `GET url` (curl, which also undoes chunked encoding), and the status code.
    static func get(_ url: String, timeout: Double = 10) throws -> (status: Int, body: Data) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-http-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = try runProcess("/usr/bin/curl", ["-s", "-m", String(timeout), "-o", scratch.path, "-w", "%{http_code}", url])
        let body = (try? Data(contentsOf: scratch)) ?? Data()
        return (Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, body)
    }

    /// `curl` started in the background reading `url` into `file` for at most `seconds`.
    static func startReading(_ url: String, into file: String, seconds: Double) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-N", "-m", String(seconds), "-o", file, url]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A client that sends `GET path` and never reads the answer; returns its socket (close it
    /// to let go).
    static func stalledClient(port: Int, path: String) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        // A small receive buffer, so the server's side fills sooner.
        var size: Int32 = 4096
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect: \(String(cString: strerror(errno)))")
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(socket, $0, strlen($0), 0) }
        return socket
    }

    /// A listening socket on 127.0.0.1 and its port (a port in use).
    static func occupiedPort() throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(socket, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// The JPEG pictures in a multipart MJPEG body (each part's Content-Length bytes).
    static func jpegParts(_ body: Data) -> [Data] {
        var parts: [Data] = []
        let bytes = [UInt8](body)
        let marker = Array("Content-Length: ".utf8)
        var index = 0
        while index + marker.count < bytes.count {
            guard bytes[index..<(index + marker.count)].elementsEqual(marker) else { index += 1; continue }
            var cursor = index + marker.count
            var length = 0
            while cursor < bytes.count, bytes[cursor] >= 48 && bytes[cursor] <= 57 {
                length = length * 10 + Int(bytes[cursor] - 48)
                cursor += 1
            }
            // The headers end with an empty line.
            while cursor + 3 < bytes.count && !(bytes[cursor] == 13 && bytes[cursor + 1] == 10 && bytes[cursor + 2] == 13 && bytes[cursor + 3] == 10) {
                cursor += 1
            }
            let start = cursor + 4
            guard start + length <= bytes.count else { break }
            parts.append(Data(bytes[start..<(start + length)]))
            index = start + length
        }
        return parts
    }
}
