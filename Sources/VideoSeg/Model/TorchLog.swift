import CTorchBridge

/// libtorch's own warnings (each distinct one shown once, on one line).
enum TorchLog {
    /// Shows libtorch's warnings on stderr, or nothing at all.
    static func show(_ shown: Bool) {
        vs_torch_show_warnings(shown ? 1 : 0)
    }
}
