import Foundation
import Testing

@testable import VideoSegMedia

extension EndToEnd {
    /// `--preview`: the page, `/status.json`, `/metrics` and `/stream.mjpg` of a running job,
    /// read by real HTTP clients (curl, a raw socket that never reads, headless Chromium).
    @Suite struct Preview {
        static let camera = "/dev/video-fake"

        func url(_ port: Int, _ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

        func json(_ data: Data) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Frames done, from the status, `seconds` apart: the processed rate over that time.
        func processedRate(port: Int, over seconds: Double) throws -> Double {
            let before = try json(HTTP.get(url(port, "/status.json")).body)["frames_done"] as? Int ?? 0
            let start = Date()
            Thread.sleep(forTimeInterval: seconds)
            let after = try json(HTTP.get(url(port, "/status.json")).body)["frames_done"] as? Int ?? 0
            return Double(after - before) / Date().timeIntervalSince(start)
        }

        /// The JPEG pictures of an MJPEG capture, each checked to decode at `width`×`height`.
        func expectPictures(_ file: String, width: Int, height: Int, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let body = try Data(contentsOf: URL(fileURLWithPath: file))
            let pictures = HTTP.jpegParts(body)
            #expect(pictures.count >= count, "\(pictures.count) pictures in \(body.count) bytes", sourceLocation: sourceLocation)
            for (index, picture) in pictures.enumerated() where index % 5 == 0 {
                let path = file + ".\(index).jpg"
                try picture.write(to: URL(fileURLWithPath: path))
                let source = try MediaSource(path: path)
                #expect(source.width == width && source.height == height, sourceLocation: sourceLocation)
                _ = try source.firstFrame()
            }
        }

        /// A camera run with a preview: the page, the figures and the metrics parse; five clients
        /// of the stream at once each get decodable pictures of the capture size; a client that
        /// never reads does not lower the processed rate; Ctrl-C with every client still
        /// connected ends the run within 2 s and leaves a playable recording.
        @Test func theCameraPreviewServesManyClientsAndStopsWithTheRun() throws {
            let scratch = try Scratch()
            try #require(!fakeCameraLibrary.isEmpty)
            let model = try makeChannelModel(in: scratch, inputSize: .fixed(width: 320, height: 240))
            let recording = scratch.path("live.mp4")
            let process = try LiveProcess(["camera", Self.camera, "--preview", "0", "-o", recording, "--model", model, "--threads", "1"],
                                          environment: fakeCameraEnvironment(["FAKE_V4L2_SIZE": "320x240"]))
            let port = try #require(process.previewPort(), "no preview address: \(process.stderr)")
            try #require(process.waitFor("live: capture", times: 2) != nil, "\(process.stderr)")

            let page = try HTTP.get(url(port, "/"))
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(page.status == 200 && html.contains("/stream.mjpg") && html.contains("/status.json") && html.contains(Self.camera))

            let status = try json(HTTP.get(url(port, "/status.json")).body)
            #expect(status["live"] as? Bool == true && status["running"] as? Bool == true)
            #expect((status["frames_done"] as? Int ?? 0) > 10 && (status["capture_fps"] as? Double ?? 0) > 20, "\(status)")
            #expect(status["latency_ms"] is Double && status["frames_dropped"] is Int && status["processed_fps"] is Double)

            // Prometheus text: every sample line is `name{labels} value`, with the figures we expect.
            let metrics = String(decoding: try HTTP.get(url(port, "/metrics")).body, as: UTF8.self)
            var samples: [String: Double] = [:]
            for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 2, "bad sample line: \(line)")
                let value = try #require(Double(parts[1]), "bad value: \(line)")
                #expect(parts[0].range(of: #"^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})?$"#, options: .regularExpression) != nil, "\(line)")
                samples[String(parts[0])] = value
            }
            #expect((samples["videoseg_frames_processed_total"] ?? 0) > 10, "\(metrics)")
            #expect((samples["videoseg_latency_seconds_count"] ?? 0) > 10 && samples["videoseg_latency_seconds_bucket{le=\"+Inf\"}"] != nil)
            #expect((samples["videoseg_stage_busy_seconds_total{stage=\"inference\"}"] ?? 0) > 0)
            #expect(samples["videoseg_frames_dropped_total"] != nil && samples["videoseg_preview_clients_count"] == 0)

            // No client yet: no JPEG was made. Then one client that never reads, in the same run.
            #expect(try json(HTTP.get(url(port, "/status.json")).body)["pictures"] as? Int == 0)
            let unwatched = try processedRate(port: port, over: 2)
            let stalled = try HTTP.stalledClient(port: port, path: "/stream.mjpg")
            defer { close(stalled) }
            Thread.sleep(forTimeInterval: 1)   // long enough for its socket buffers to fill
            let watchedByAStalledClient = try processedRate(port: port, over: 2)
            print("preview: processed \(unwatched) fps unwatched, \(watchedByAStalledClient) fps with a client that never reads")
            // A client makes the run encode JPEGs, real work on two cores (a clean CI run measured
            // 14.6 → 11.2 fps with nothing stalled); a client that blocked the run would take it
            // near zero.
            #expect(watchedByAStalledClient >= unwatched * 0.6, "\(unwatched) → \(watchedByAStalledClient) fps")

            // Five readers at once (more than the cores), each for 2 s.
            let readers = try (0..<5).map { try HTTP.startReading(url(port, "/stream.mjpg"), into: scratch.path("stream\($0).mjpg"), seconds: 2) }
            for reader in readers { reader.waitUntilExit() }
            for index in 0..<5 { try expectPictures(scratch.path("stream\(index).mjpg"), width: 320, height: 240, atLeast: 20) }

            // Ctrl-C with five endless readers and the stalled client connected.
            let endless = try (0..<5).map { try HTTP.startReading(url(port, "/stream.mjpg"), into: scratch.path("endless\($0).mjpg"), seconds: 60) }
            Thread.sleep(forTimeInterval: 1)
            process.signal(SIGINT)
            let end = process.wait(timeout: 30)
            print("preview: exit \(end.status) \(end.seconds) s after SIGINT with 6 clients connected")
            #expect(end.status == 130, "\(process.stderr)")
            #expect(end.seconds < 2, "\(end.seconds) s from SIGINT to exit")
            #expect(try Probe.decodedFrameCount(recording) > 30)
            let readersEnded = Date()
            for reader in endless {
                while reader.isRunning && Date().timeIntervalSince(readersEnded) < 5 { usleep(10_000) }
                #expect(!reader.isRunning, "a reader was still connected after the run ended")
                if reader.isRunning { reader.terminate() }
            }
        }

        /// A real browser: headless Chromium opens the page while the fake camera plays a photo of
        /// a person through the default model. The screenshot shows the picture, tinted where the
        /// person is and untouched elsewhere, and the figures beside it.
        @Test func headlessChromiumShowsThePictureAndTheFigures() throws {
            let scratch = try Scratch()
            try #require(!fakeCameraLibrary.isEmpty)
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is missing (scripts/setup.sh installs it)")
            // A photo of a person: a frame of the sample (an astronaut's portrait, pillarboxed).
            let photo = scratch.path("person.ppm")
            try ffmpeg(["-ss", "3", "-i", repositoryRoot.appendingPathComponent("Samples/sample.mp4").path, "-frames:v", "1", "-c:v", "ppm", photo])
            let process = try LiveProcess(["camera", Self.camera, "--preview", "0", "-o", scratch.path("rec.mp4"), "--threads", "1"],
                                          environment: fakeCameraEnvironment(["FAKE_V4L2_SIZE": "640x480", "FAKE_V4L2_PICTURE": photo]))
            let port = try #require(process.previewPort(), "\(process.stderr)")
            try #require(process.waitFor("live: capture", times: 2) != nil, "\(process.stderr)")
            let shot = scratch.path("shot.png")
            let browser = try runProcess("/usr/bin/chromium", [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(scratch.path("chromium"))",
                "--window-size=1000,560", "--virtual-time-budget=2500", "--screenshot=\(shot)", url(port, "/"),
            ], timeout: 90)
            process.signal(SIGINT)
            #expect(process.wait().status == 130, "\(process.stderr)")
            try #require(FileManager.default.fileExists(atPath: shot), "no screenshot: \(browser.stderr)")

            let (width, height) = (1000, 560)
            let screen = [UInt8](try Probe.rawFrames(shot, pixelFormat: "rgb24"))
            try #require(screen.count == width * height * 3)
            // The photo as the camera showed it (without the frame-number stripe), to compare with.
            let scaled = scratch.path("scaled.png")
            try ffmpeg(["-i", photo, "-vf", "scale=640:480", scaled])
            let source = [UInt8](try Probe.rawFrames(scaled, pixelFormat: "rgb24"))
            func mean(_ pixels: [UInt8], stride: Int, x: Int, y: Int) -> [Double] {
                var sum = [0.0, 0.0, 0.0]
                for dy in -4...4 { for dx in -4...4 { for c in 0..<3 { sum[c] += Double(pixels[((y + dy) * stride + x + dx) * 3 + c]) } } }
                return sum.map { $0 / 81 }
            }
            // Where the picture is on the page: the offset at which the background (the grey
            // pillarbox, the wall, the shuttle: untouched by the model) matches the photo.
            let background = [(60, 300), (580, 300), (470, 150), (200, 30)]
            var best = (error: Double.infinity, x: 0, y: 0)
            for y in 20...90 {
                for x in 0...60 {
                    let error = background.map { point in
                        zip(mean(screen, stride: width, x: x + point.0, y: y + point.1), mean(source, stride: 640, x: point.0, y: point.1))
                            .map { abs($0 - $1) }.reduce(0, +)
                    }.reduce(0, +)
                    if error < best.error { best = (error, x, y) }
                }
            }
            #expect(best.error / Double(background.count * 3) < 6, "the picture is not on the page (best \(best))")
            // The face is tinted with the person colour (VOC class 1, dark red): green and blue
            // about halved, red kept.
            let face = mean(screen, stride: width, x: best.x + 300, y: best.y + 110), original = mean(source, stride: 640, x: 300, y: 110)
            #expect(face[1] < original[1] * 0.7 && face[2] < original[2] * 0.7 && face[0] > original[0] * 0.7, "face \(original) → \(face)")
            // The figures: light text in the panel right of the picture.
            var textPixels = 0
            for y in best.y..<(best.y + 240) {
                for x in (best.x + 660)..<min(width, best.x + 940) where screen[(y * width + x) * 3] > 180 && screen[(y * width + x) * 3 + 1] > 180 {
                    textPixels += 1
                }
            }
            #expect(textPixels > 300, "no figures beside the picture (\(textPixels) text pixels)")
        }

        /// A file: the figures are frames done of the total, fps and the time left.
        @Test func aFileShowsFramesOfTheTotal() throws {
            let scratch = try Scratch()
            let input = scratch.path("clip.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "600", "-c:v", "libx264", input])
            let process = try LiveProcess(["segment", input, "-o", scratch.path("out.mp4"), "--preview", "127.0.0.1:0", "--model",
                                           try makeChannelModel(in: scratch), "--threads", "1", "--progress", "none"])
            let port = try #require(process.previewPort(), "\(process.stderr)")
            // The page is up before the model is ready; the total is known once the run starts.
            var status = try json(HTTP.get(url(port, "/status.json")).body)
            let deadline = Date().addingTimeInterval(30)
            while status["frames_total"] is NSNull && Date() < deadline {
                usleep(20_000)
                status = try json(HTTP.get(url(port, "/status.json")).body)
            }
            #expect(status["live"] as? Bool == false && status["frames_total"] as? Int == 600, "\(status)")
            #expect((status["frames_done"] as? Int ?? -1) <= 600)
            let end = process.wait()
            #expect(end.status == 0, "\(process.stderr)")
            #expect(try Probe.decodedFrameCount(scratch.path("out.mp4")) == 600)
        }

        @Test func aPortInUseIsOneLineBeforeAnyWork() throws {
            let scratch = try Scratch()
            let input = scratch.path("clip.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "libx264", input])
            let model = try makeChannelModel(in: scratch)
            let (socket, port) = try HTTP.occupiedPort()
            defer { close(socket) }
            let before = scratch.contents()
            let run = try runProcess(videosegBinary, ["segment", input, "-o", scratch.path("o.mp4"), "--model", model, "--preview", "\(port)"],
                                     timeout: 60)
            #expect(run.status == 1)
            #expect(run.stderr == "videoseg: error: --preview 127.0.0.1:\(port): cannot listen: Address already in use\n", "\(run.stderr)")
            #expect(scratch.contents() == before)
            let bad = try runProcess(videosegBinary, ["segment", input, "-o", scratch.path("o.mp4"), "--model", model, "--preview", "70000"])
            #expect(bad.status == 64)
            #expect(bad.stderr.hasPrefix("Error: --preview 70000: expected [HOST:]PORT"), "\(bad.stderr)")
        }
    }
}
