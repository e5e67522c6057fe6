/// The libraries' own logging: quiet unless the user asked for verbose output.
public enum LibraryLog {
    /// Shows FFmpeg's and libtorch's own warnings (`-v`), or hides them.
    public static func configure(verbose: Bool) {
        FFmpegLog.show(verbose)
        TorchLog.show(verbose)
    }
}
