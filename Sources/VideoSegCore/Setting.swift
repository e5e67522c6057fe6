/// A setting of a run, in the library's own terms. A message that tells a person which setting
/// to change names it through `SettingMessage`, so a front end can show its own name for it (the
/// CLI says `--pixel-format` where the library says "pixel format"): each rule is worded once, in
/// the library, and no library text knows the command line.
public enum Setting: String, CaseIterable, Sendable {
    case overwrite
    case preset
    case codec
    case pixelFormat = "pixel format"
    case device
    case model
    case inputSize = "input size"
    case classes
    case virtualCamera = "virtual camera"
    case style
    case half = "half precision"
    case batchSize = "batch size"
    case background
    case subject
    case live
}

/// Text that may name settings. `"\(Setting.overwrite) replaces it"` keeps the setting as a
/// setting, so `rendered(naming:)` can show it under a front end's name; anything else
/// interpolated becomes text. `description` uses the library's names.
public struct SettingMessage: Equatable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// A run of text, or a setting's name.
    public enum Part: Equatable, Sendable {
        case text(String)
        case setting(Setting)
    }

    /// The message, in order.
    public private(set) var parts: [Part]

    /// A message of plain text.
    public init(_ text: String) {
        parts = [.text(text)]
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public init(stringInterpolation: Interpolation) {
        parts = stringInterpolation.parts
    }

    /// The message with each setting called what `name` says.
    public func rendered(naming name: (Setting) -> String) -> String {
        parts.map { part in
            switch part {
            case .text(let text): text
            case .setting(let setting): name(setting)
            }
        }.joined()
    }

    /// The message in the library's terms ("pixel format").
    public var description: String {
        rendered { $0.rawValue }
    }

    /// Builds the parts of an interpolated message.
    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.text(literal))
        }

        /// A setting, kept as one so that a front end can name it.
        public mutating func appendInterpolation(_ setting: Setting) {
            parts.append(.setting(setting))
        }

        /// Anything else, as text.
        public mutating func appendInterpolation<Value>(_ value: Value) {
            parts.append(.text("\(value)"))
        }
    }
}
