import NIOCore
import NIOHTTP1

/// Closes a connection after the answer when its request did not ask to keep it open: HTTP/1.0
/// without `Connection: keep-alive`, or `Connection: close`. The answer goes out in the
/// request's own version with `Connection: close`, so an HTTP/1.0 client reads an answer
/// delimited by the close instead of a chunked one it does not understand.
///
/// It sits between NIO's HTTP/1 decoder and the conversion to HTTP types, which forgets the
/// version: Hummingbird alone answers every request as HTTP/1.1 and keeps an HTTP/1.0
/// connection open, one descriptor more per client that never closes its end.
final class HTTP1ConnectionCloser: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The requests read and not yet answered, in order: their version and whether to keep the
    /// connection open after their answer.
    private var pending: [(version: HTTPVersion, keepAlive: Bool)] = []
    /// Whether the answer being written ends with a close.
    private var closeAfterAnswer = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            pending.append((head.version, head.isKeepAlive))
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            guard !pending.isEmpty else { return context.write(data, promise: promise) }
            let request = pending.removeFirst()
            // An HTTP/1.0 answer without a length can only end with the close.
            closeAfterAnswer = !request.keepAlive || (request.version.minor == 0 && !head.headers.contains(name: "content-length"))
            if request.version.major == 1 && request.version.minor == 0 { head.version = request.version }
            if closeAfterAnswer { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterAnswer else { return context.write(data, promise: promise) }
            closeAfterAnswer = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in loopContext.value.close(promise: nil) }
        }
    }

    /// Added where Hummingbird adds extra handlers (after the conversion to HTTP types); puts an
    /// `HTTP1ConnectionCloser` right after NIO's decoder, where the version is still known.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            guard let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) else { return }
            try? pipeline.addHandler(HTTP1ConnectionCloser(), position: .after(decoder))
        }
    }
}
