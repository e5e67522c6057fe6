import Foundation
import VideoSegCore

/// Whom a run keeps in the picture: everybody (the default), or one person, chosen by a rule
/// and then followed; every other person becomes background for every output.
public enum SubjectChoice: Sendable, Equatable, CustomStringConvertible {
    /// Everybody the model finds (no choice is made).
    case all
    /// The person with the largest area in the first frame that has anybody.
    case largest
    /// The person nearest the centre of the first frame that has anybody.
    case center
    /// The person under (else nearest to) the point `x`,`y` in output pixels, in the first frame
    /// at or after `seconds` that has anybody (the first frame with anybody when nil).
    case point(x: Double, y: Double, seconds: Double?)

    /// Parses `all`, `largest`, `center`, `X,Y` or `X,Y@T` (T in seconds).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch trimmed {
        case "all": self = .all
        case "largest": self = .largest
        case "center", "centre": self = .center
        default:
            let halves = trimmed.split(separator: "@", omittingEmptySubsequences: false)
            let numbers = halves[0].split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard halves.count <= 2, numbers.count == 2, let x = numbers[0], let y = numbers[1], x >= 0, y >= 0, x.isFinite, y.isFinite else {
                throw VideoSegError.invalidOption("\(Setting.subject) \"\(text)\": expected all, largest, center, X,Y or X,Y@T (pixels, seconds)")
            }
            var seconds: Double?
            if halves.count == 2 {
                guard let time = Double(halves[1].trimmingCharacters(in: .whitespaces)), time >= 0, time.isFinite else {
                    throw VideoSegError.invalidOption("\(Setting.subject) \"\(text)\": the time after @ must be seconds, 0 or more")
                }
                seconds = time
            }
            self = .point(x: x, y: y, seconds: seconds)
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .largest: "largest"
        case .center: "center"
        case .point(let x, let y, let seconds): "\(Self.number(x)),\(Self.number(y))" + (seconds.map { "@\(Self.number($0))" } ?? "")
        }
    }

    /// Whether one person is kept (anything but `all`).
    public var choosesOne: Bool { self != .all }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// What happens when the followed person leaves the picture (is not found for `lostAfter`).
public enum SubjectLoss: String, Sendable, CaseIterable {
    /// Nobody is kept until someone is chosen again (live: a click on the preview page).
    case keepNone = "keep-none"
    /// The same rule chooses again, at the next frame with anybody in it.
    case repick
}

/// Where the chosen person is, for the preview page and the run's statistics.
public struct SubjectStatus: Sendable, Equatable, Codable {
    /// The rule in force (`SubjectChoice.description`).
    public var choice: String
    /// Whether a person is followed now.
    public var following: Bool
    /// Their bounding box in output pixels: x, y, width, height (nil when nobody is followed).
    public var box: [Int]?
    /// When the followed person was last lost (seconds into the input), if ever.
    public var lostAt: Double?
    /// How many times a person was lost.
    public var losses: Int

    public init(choice: String, following: Bool = false, box: [Int]? = nil, lostAt: Double? = nil, losses: Int = 0) {
        self.choice = choice
        self.following = following
        self.box = box
        self.lostAt = lostAt
        self.losses = losses
    }
}

/// The live handle on a run's subject: where the chosen person is now, and a new choice (a
/// click on the preview page) that the scores stage takes at its next frame.
public final class SubjectControl: Sendable {
    private let pending = Locked<SubjectChoice?>(nil)
    private let state: Locked<SubjectStatus>
    private let losses = Locked<[String]>([])

    /// A handle for a run that starts with `choice`.
    public init(choice: SubjectChoice) {
        state = Locked(SubjectStatus(choice: choice.description))
    }

    /// Asks for `choice` from the next frame on.
    public func request(_ choice: SubjectChoice) {
        pending.withLock { $0 = choice }
    }

    /// Where the chosen person is, as of the last frame.
    public var status: SubjectStatus { state.current }

    /// The choice asked for since the last call, if any.
    package func takeRequest() -> SubjectChoice? {
        pending.withLock { request in
            defer { request = nil }
            return request
        }
    }

    /// Each loss of the followed person, as a warning with its time.
    public var warnings: [String] { losses.current }

    package func update(_ body: (inout SubjectStatus) -> Void) {
        state.withLock { body(&$0) }
    }

    package func warn(_ warning: String) {
        losses.withLock { $0.append(warning) }
    }
}
