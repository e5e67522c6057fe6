import Foundation
import Testing

extension EndToEnd {
    /// The preview as a hostile or careless client uses it: floods of idle connections where
    /// descriptors are scarce, HTTP/1.0, HEAD, wrong methods, malformed requests. Whatever the
    /// clients do, the run finishes whole.
    @Suite struct PreviewHardening {
        /// A clip long enough that the run is still going while a test talks to its preview.
        func makeClip(_ scratch: Scratch, frames: Int, size: String = "160x120") throws -> String {
            let input = scratch.path("clip.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=\(size):rate=25", "-frames:v", "\(frames)", "-c:v", "libx264", input])
            return input
        }

        /// 1100 connections that never finish a request (most send nothing, some half a request
        /// line) against a run whose hard limit is 256 descriptors, with masks: the run ends 0
        /// with every frame and every mask. (Before the cap, the server took every descriptor:
        /// "Too many open files" writing a mask, or SIGILL inside libdispatch.)
        @Test func anIdleFloodUnderALowFileLimitLeavesTheRunWhole() throws {
            let scratch = try Scratch()
            let input = try makeClip(scratch, frames: 400)
            let model = try makeChannelModel(in: scratch)
            try #require(RawHTTP.raiseOwnFileLimit() >= 1300, "the test needs 1300 descriptors of its own")
            let output = scratch.path("out.mp4"), masks = scratch.path("masks")
            let process = try LiveProcess(["--nofile=256:256", videosegBinary, "segment", input, "-o", output, "--masks", masks,
                                           "--preview", "0", "--model", model, "--threads", "1", "--progress", "none"],
                                          executable: "/usr/bin/prlimit")
            let port = try #require(process.previewPort(), "\(process.stderr)")
            var sockets: [Int32] = []
            defer { for socket in sockets { close(socket) } }
            for index in 0..<1100 {
                let socket = RawHTTP.connect(port: port, blocking: false)
                guard socket >= 0 else { continue }
                sockets.append(socket)
                if index % 5 == 0 { _ = send(socket, "GET /status.json HTTP/1.1\r\nHost: x\r\n", 36, Int32(MSG_NOSIGNAL)) }
            }
            #expect(sockets.count == 1100)
            let end = process.wait(timeout: 300)
            #expect(end.status == 0, "\(process.stderr)")
            #expect(!process.endedBySignal)
            #expect(try Probe.decodedFrameCount(output) == 400)
            let written = try FileManager.default.contentsOfDirectory(atPath: masks).filter { $0.hasSuffix(".png") }
            #expect(written.count == 400)
        }

        /// HTTP/1.0 gets its answer and the close; HEAD answers like GET without a body (the
        /// stream's HEAD subscribes no viewer); a known path with another method is 405.
        @Test func versionsMethodsAndHeadAreAnsweredAsHTTPSays() throws {
            let scratch = try Scratch()
            let input = try makeClip(scratch, frames: 3000, size: "64x48")
            let process = try LiveProcess(["segment", input, "-o", scratch.path("out.mp4"), "--preview", "0", "--model",
                                           try makeChannelModel(in: scratch), "--threads", "1", "--progress", "none"])
            let port = try #require(process.previewPort(), "\(process.stderr)")

            let old = try RawHTTP.exchange(port: port, "GET /status.json HTTP/1.0\r\n\r\n")
            #expect(old.closed && old.text.hasPrefix("HTTP/1.0 200"), "\(old)")
            #expect(old.text.lowercased().contains("\r\nconnection: close\r\n") && old.text.contains("\"frames_done\""), "\(old)")
            let kept = try RawHTTP.exchange(port: port, "GET /status.json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout: 1.5)
            #expect(!kept.closed && kept.text.hasPrefix("HTTP/1.0 200"), "\(kept)")
            let page = try RawHTTP.exchange(port: port, "GET / HTTP/1.0\r\n\r\n")
            #expect(page.closed && page.text.hasPrefix("HTTP/1.0 200") && page.text.contains("</html>"), "\(page.text.prefix(300))")

            for path in ["/", "/status.json", "/metrics"] {
                let head = try RawHTTP.exchange(port: port, "HEAD \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let parts = head.text.components(separatedBy: "\r\n\r\n")
                #expect(head.closed && head.text.hasPrefix("HTTP/1.1 200") && parts.count == 2 && parts[1].isEmpty, "HEAD \(path): \(head)")
                #expect(head.text.lowercased().contains("content-length: "), "HEAD \(path): \(head)")
            }
            let stream = try RawHTTP.exchange(port: port, "HEAD /stream.mjpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(stream.closed && stream.text.hasPrefix("HTTP/1.1 200") && stream.text.hasSuffix("\r\n\r\n"), "\(stream)")
            #expect(stream.text.contains("multipart/x-mixed-replace"), "\(stream)")
            let status = try JSONSerialization.jsonObject(with: HTTP.get("http://127.0.0.1:\(port)/status.json").body) as? [String: Any]
            #expect(status?["viewers"] as? Int == 0 && status?["pictures"] as? Int == 0, "\(String(describing: status))")

            for (method, path) in [("POST", "/status.json"), ("DELETE", "/"), ("PUT", "/stream.mjpg"), ("OPTIONS", "/metrics")] {
                let wrong = try RawHTTP.exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                #expect(wrong.text.hasPrefix("HTTP/1.1 405") && wrong.text.lowercased().contains("allow: get, head"), "\(method) \(path): \(wrong)")
            }
            let missing = try RawHTTP.exchange(port: port, "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(missing.text.hasPrefix("HTTP/1.1 404"), "\(missing)")

            process.signal(SIGINT)
            #expect(process.wait(timeout: 30).status == 130, "\(process.stderr)")
        }
    }
}
