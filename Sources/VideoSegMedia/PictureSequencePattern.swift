import Foundation
import VideoSegCore

/// Checks a picture-sequence output name (`frames/%06d.png`) before any work. The name is a
/// printf pattern; anything but exactly one plain integer field would name the pictures wrongly
/// (`%s`, `%x`), all alike (no field), or, with a huge width (`%999999999d`), make every name
/// gigabytes long.
public enum PictureSequencePattern {
    /// The widest frame number field allowed (ten digits count past four billion frames).
    public static let maximumWidth = 10

    /// What is wrong with the picture-sequence output `path` (a `.png` path), in words; nil when
    /// it holds one frame number field such as `%d` or `%06d`, or is not a PNG path.
    public static func problem(inOutput path: String) -> String? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard PictureSequencePath.extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased()) else { return nil }
        let fields = fields(in: name)
        let example = "such as %06d (frame 1 → 000001.png)"
        if fields.isEmpty {
            return "a PNG output is a picture sequence: its name needs a frame number field \(example)"
        }
        if fields.count > 1 {
            return "the picture sequence name holds \(fields.count) fields (\(fields.joined(separator: ", "))); it takes exactly one frame number field \(example)"
        }
        let field = fields[0]
        guard let match = field.range(of: #"^%0?([0-9]*)d$"#, options: .regularExpression), match == field.startIndex..<field.endIndex else {
            return "\(field) in the picture sequence name is not a frame number field; use one \(example), and no other %"
        }
        let width = Int(field.dropFirst().drop { $0 == "0" }.dropLast()) ?? 0
        if width > maximumWidth {
            return "the frame number field \(field) is too wide: at most \(maximumWidth) digits (\(example))"
        }
        return nil
    }

    /// The printf conversions in `name`: each `%`, its flags and width, and its conversion letter
    /// (`%%` counts as one: it is not a frame number either).
    static func fields(in name: String) -> [String] {
        var fields: [String] = []
        var index = name.startIndex
        while let percent = name[index...].firstIndex(of: "%") {
            var end = name.index(after: percent)
            if end < name.endIndex, name[end] == "%" {
                end = name.index(after: end)
            } else {
                while end < name.endIndex, "0123456789-+ #.'lhjztL".contains(name[end]) { end = name.index(after: end) }
                if end < name.endIndex { end = name.index(after: end) }
            }
            fields.append(String(name[percent..<end]))
            index = end
        }
        return fields
    }
}
