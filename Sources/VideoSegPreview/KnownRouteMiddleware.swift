import Hummingbird

/// Answers a request for one of the preview's own paths with another method than GET or HEAD
/// with 405 and the methods it takes (`Allow`), instead of the router's 404: the path is there,
/// the method is wrong.
struct KnownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The paths that answer GET and HEAD.
    let paths: Set<String>
    /// The paths that answer POST alone.
    var postPaths: Set<String> = []

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if postPaths.contains(path) {
            guard request.method != .post else { return try await next(request, context) }
            return Response(status: .methodNotAllowed, headers: [.allow: "POST"], body: .init())
        }
        guard paths.contains(path), request.method != .get, request.method != .head else {
            return try await next(request, context)
        }
        return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD"], body: .init())
    }
}
