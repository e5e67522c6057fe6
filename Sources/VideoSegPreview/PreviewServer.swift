import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import VideoSeg

/// The preview page of a running job, served by Hummingbird (on SwiftNIO):
///
/// - `/`: the page, the live picture and the figures, refreshed each second;
/// - `/stream.mjpg`: the rendered frames as an MJPEG multipart stream, each client fed
///   keep-latest (see `PictureHub`), so a slow viewer misses pictures and never slows the run;
/// - `/status.json`: the figures (see `LiveFigures`);
/// - `/metrics`: Prometheus's text format (see `PreviewMetrics`);
/// - `POST /subject`: the person to keep, by a point clicked on the picture (see `choose`).
///
/// A `Service` (swift-service-lifecycle): whoever runs it owns it, in a `ServiceGroup` of its own
/// that installs no signal handler, so the command line's own stop signals stay in charge. `run`
/// binds and serves until the group shuts it down gracefully, which ends every MJPEG stream (a
/// group's `maximumGracefulShutdownDuration`, `shutdownGrace` here, cuts off a client that never
/// reads). A synchronous caller starts the group and waits in `waitUntilListening`, so a port in
/// use fails the job before it works; `finish` tells the page that the run is over. Pictures are
/// encoded only while a client watches (`wantsPictures`).
///
/// Nothing here blocks a thread of Swift concurrency's pool: handlers read locked snapshots and
/// await their streams; the pipeline's threads hand pictures over with non-blocking yields.
public final class PreviewServer: LiveObserver, Service, Sendable {
    /// Where it was asked to listen.
    public let address: PreviewAddress
    private let hub = PictureHub()
    private let figures: LiveFigures
    private let metrics = PreviewMetrics()
    private let title: String
    private let state = Locked(State())
    /// Signalled once the server listens, or once `run` has ended without listening.
    private let listening = DispatchSemaphore(value: 0)
    private let logger: Logger

    private struct State {
        var pipeline: SegmentationPipeline?
        var running = false
        var boundPort: Int?
        var failure: Error?
    }

    /// How long a graceful shutdown may take: a client that never reads holds its response open,
    /// and after this it is cut off (the group's `maximumGracefulShutdownDuration`).
    public static let shutdownGrace = Duration.milliseconds(400)

    /// A server for a job on `input` (its name is the page's title); `live` picks the figures.
    public init(address: PreviewAddress, input: String, live: Bool) {
        self.address = address
        title = input
        figures = LiveFigures(input: input, live: live)
        var logger = Logger(label: "videoseg.preview")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// The port it listens on (the one chosen when asked for port 0), once started.
    public var port: Int? { state.withLock { $0.boundPort } }

    /// The URL of the page, once started.
    public var url: String? {
        port.map { "http://\(PreviewAddress(host: address.host, port: $0))/" }
    }

    /// The pipeline whose progress the figures show; its run is "running" until `finish`.
    public func attach(_ pipeline: SegmentationPipeline) {
        state.withLock {
            $0.pipeline = pipeline
            $0.running = true
        }
    }

    /// Binds and serves until the service group shuts it down (or cancels it); throws when it
    /// cannot listen. Ends every MJPEG stream when the shutdown begins.
    public func run() async throws {
        // Viewers get a share of the descriptors, never all of them (see `PreviewConnectionLimits`).
        let connections = MaximumAvailableConnections(PreviewConnectionLimits.maximumConnections(openFileLimit: PreviewConnectionLimits.openFileLimit))
        let application = Application(
            router: makeRouter(),
            server: PreviewConnectionLimits.server,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port), serverName: "videoseg",
                                                    availableConnectionsDelegate: connections),
            onServerRunning: { [self] channel in
                state.withLock { $0.boundPort = channel.localAddress?.port ?? address.port }
                listening.signal()
            },
            logger: logger)
        defer { listening.signal() }
        do {
            try await withGracefulShutdownHandler {
                try await application.run()
            } onGracefulShutdown: { [hub] in
                hub.finish()
            }
        } catch {
            state.withLock { $0.failure = error }
            throw error
        }
    }

    /// Blocks the calling thread (never call it from a task) until `run` listens, or throws one
    /// line saying why it cannot.
    public func waitUntilListening(timeout seconds: Double = 20) throws {
        if listening.wait(timeout: .now() + seconds) == .timedOut {
            throw PreviewError(address: "\(address)", reason: "the server did not start")
        }
        if let error = state.withLock({ $0.failure }) {
            throw PreviewError(address: "\(address)", reason: "cannot listen: \(PreviewServer.describe(error))")
        }
    }

    /// The run is over: every MJPEG stream ends (now and for clients that come later) and the
    /// figures say so. The server itself serves on until its group shuts it down.
    public func finish() {
        hub.finish()
        state.withLock { $0.running = false }
    }

    // MARK: LiveObserver

    public var wantsPictures: Bool { hub.count > 0 }

    public func show(_ picture: PreviewPicture) {
        hub.publish(picture)
    }

    public func frameFinished(latency: Double?) {
        metrics.frameFinished(latency: latency)
    }

    // MARK: Routes

    private func snapshot() -> (progress: SegmentProgress, busy: [StageName: Double], running: Bool, subject: SubjectStatus?) {
        let (pipeline, running) = state.withLock { ($0.pipeline, $0.running) }
        return (pipeline?.progress ?? SegmentProgress(), pipeline?.stageBusySeconds ?? [:], running, pipeline?.subject.status)
    }

    /// `POST /subject?x=X&y=Y` keeps the person at that point of the picture (output pixels) from
    /// the next frame on; `POST /subject?choice=all` (or any rule `--subject` takes) sets a rule.
    private func choose(_ query: Parameters) throws -> Response {
        let text: String
        if let rule = query.get("choice") {
            text = rule
        } else if let x = query.get("x"), let y = query.get("y") {
            text = "\(x),\(y)"
        } else {
            return PreviewServer.plain(.badRequest, "give x and y (output pixels), or choice=all|largest|center\n")
        }
        let choice: SubjectChoice
        do {
            choice = try SubjectChoice(parsing: text)
        } catch {
            return PreviewServer.plain(.badRequest, "\(ErrorLine.describe(error))\n")
        }
        if case .point(_, _, _?) = choice { return PreviewServer.plain(.badRequest, "a live choice has no time: give x and y alone\n") }
        guard let pipeline = state.withLock({ $0.pipeline }) else { return PreviewServer.plain(.serviceUnavailable, "no run yet\n") }
        pipeline.subject.request(choice)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: "{\"choice\":\"\(choice)\"}")))
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func makeRouter() -> Router<BasicRequestContext> {
        // HEAD answers like GET without the body; another method on a known path is 405.
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: KnownRouteMiddleware(paths: ["/", "/status.json", "/metrics", "/stream.mjpg"], postPaths: ["/subject"]))
        let page = ByteBuffer(string: PreviewPage.html(title: title))
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: page))
        }
        router.get("/status.json") { [self] _, _ in
            let now = snapshot()
            var status = figures.status(now.progress, running: now.running, viewers: hub.count, pictures: hub.picturesPublished)
            status["subject"] = now.subject.map(LiveFigures.subject) ?? NSNull()
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: LiveFigures.json(status))))
        }
        router.get("/metrics") { [self] _, _ in
            let now = snapshot()
            let text = metrics.text(progress: now.progress, busy: now.busy, clients: hub.count, pictures: hub.picturesPublished)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/subject") { [self] request, _ in
            try choose(request.uri.queryParameters)
        }
        // HEAD: the stream's headers only, without subscribing a client that would never read.
        router.head("/stream.mjpg") { _, _ in
            var response = Response(status: .ok, headers: PreviewServer.streamHeaders, body: .init())
            response.headers[.contentLength] = nil
            return response
        }
        router.get("/stream.mjpg") { [hub] _, _ in
            let pictures = hub.subscribe()
            return Response(
                status: .ok,
                headers: PreviewServer.streamHeaders,
                body: ResponseBody { writer in
                    for await picture in pictures {
                        var part = ByteBuffer(string: "--\(PreviewServer.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(picture.jpeg.count)\r\n\r\n")
                        part.writeBytes(picture.jpeg)
                        part.writeString("\r\n")
                        try await writer.write(part)
                    }
                    try await writer.write(ByteBuffer(string: "--\(PreviewServer.boundary)--\r\n"))
                    try await writer.finish(nil)
                })
        }
        return router
    }

    /// The multipart boundary between pictures.
    static let boundary = "videosegframe"

    /// The MJPEG stream's headers.
    static let streamHeaders: HTTPFields = [.contentType: "multipart/x-mixed-replace; boundary=\(boundary)", .cacheControl: "no-store"]

    /// A network error as a person reads it ("Address already in use").
    static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return ErrorLine.describe(error)
    }
}

/// A preview server that cannot start, in one line.
public struct PreviewError: Error, CustomStringConvertible {
    /// The address the page was asked to listen on.
    public let address: String
    /// Why it cannot.
    public let reason: String
    public var description: String { "preview page \(address): \(reason)" }
}
