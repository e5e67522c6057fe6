import Foundation
import VideoSegCore

/// Checks what the replace style is given as its background before any work: a value that is
/// meant as a colour (it starts with `#` or `0x`) but is not one, or an empty value, is a
/// mistake to say at once, not a missing file to find later.
public enum BackgroundSpec {
    /// What is wrong with `spec`, in words; nil when it is a colour or may be a file.
    public static func problem(_ spec: String) -> String? {
        if spec.trimmingCharacters(in: .whitespaces).isEmpty {
            return "is empty: give a picture or video file, or a colour such as #00B140"
        }
        let lowered = spec.lowercased()
        guard lowered.hasPrefix("#") || lowered.hasPrefix("0x"), !FileManager.default.fileExists(atPath: spec) else { return nil }
        guard BackgroundPicture.color(spec) == nil else { return nil }
        return "\"\(spec)\" is not a colour: expected # and six hex digits (RRGGBB), such as #00B140"
    }
}
