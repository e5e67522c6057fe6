import Hummingbird

/// Answers a request for one of the preview's own paths with another method than GET or HEAD
/// with 405 and the methods it takes (`Allow`), instead of the router's 404: the path is there,
/// the method is wrong.
struct KnownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let paths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard paths.contains(request.uri.path), request.method != .get, request.method != .head else {
            return try await next(request, context)
        }
        return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD"], body: .init())
    }
}
