/// Where the preview page listens: `[HOST:]PORT`, the host 127.0.0.1 unless one is given (so
/// the page is not on the network unless asked for), `[::1]:PORT` for an IPv6 literal. Port 0
/// takes any free port (the server says which).
public struct PreviewAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// The default host: this machine only.
    public static let defaultHost = "127.0.0.1"

    public init(host: String = PreviewAddress.defaultHost, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `[HOST:]PORT`; nil when it is not one (the caller says so in one line).
    public init?(_ text: String) {
        var host = PreviewAddress.defaultHost
        var portText = Substring(text)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(" "), let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 literal in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
