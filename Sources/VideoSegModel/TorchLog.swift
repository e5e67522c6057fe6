import CTorchBridge
import VideoSegCore

/// Routes libtorch's warnings to `LibraryLog` (the bridge already reduces them to one line,
/// each distinct one once).
enum TorchLog {
    /// Sends libtorch's warnings to `LibraryLog` instead of dropping them.
    /// Installs the route (once; later calls do nothing).
    static func routeOnce() {
        _ = installed
    }

    private static let installed: Void = route()

    private static func route() {
        vs_torch_set_warning_callback { message in
            guard let message else { return }
            LibraryLog.logOnce(.warning, String(cString: message), metadata: ["library": "libtorch"])
        }
    }
}
