import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// A person found in a frame, as `--subject list` shows them: numbered largest first.
public struct PersonSighting: Sendable, Equatable {
    /// Their centre in output pixels (a point that picks them).
    public var x: Int
    public var y: Int
    /// Their bounding box in output pixels: x, y, width, height.
    public var box: [Int]
    /// Their share of the picture's area, 0–1.
    public var share: Double
}

/// Looks at the first frames of an input with the run's own model, before the run: who is in the
/// picture at a time, and (for a point chosen at a later time) where that person first appeared,
/// so that the run can keep them from their first frame. Reads the input from its start in a
/// second opening of it; the run's own source is not touched.
enum SubjectSurvey {
    /// The people in the first frame at or after `seconds` (from the start) that has anybody, and
    /// that frame's time; nil when no frame has anybody.
    static func people(plan: JobPlan, source: MediaSource, from seconds: Double, stop: StopFlag?) throws
        -> (seconds: Double, people: [PersonSighting])?
    {
        let geometry = plan.subjectGeometry
        var found: (Double, [PersonSighting])?
        try walk(plan: plan, source: source, stop: stop, inferring: { $0 + 1e-6 >= seconds }) { time, people in
            guard !people.regions.isEmpty else { return true }
            let area = Double(geometry.cellsWide * geometry.cellsHigh)
            found = (time, people.regions.map { region in
                let center = geometry.pixel(x: region.centerX, y: region.centerY)
                return PersonSighting(x: center.x, y: center.y, box: geometry.pixels(region), share: Double(region.cells) / area)
            })
            return false
        }
        return found
    }

    /// `choice` as the run can make it from its first frame: a point chosen at a later time
    /// becomes the point where that person first appeared, at that time. Other choices are
    /// returned as they are.
    static func resolve(_ choice: SubjectChoice, plan: JobPlan, source: () throws -> MediaSource, stop: StopFlag?) throws -> SubjectChoice {
        guard case .point(let x, let y, let after?) = choice, after > 0 else { return choice }
        let geometry = plan.subjectGeometry
        var tracker = PeopleTracker()
        var firstSeen = [Int: (seconds: Double, x: Double, y: Double)]()
        var resolved: SubjectChoice?
        try walk(plan: plan, source: try source(), stop: stop, inferring: { _ in true }) { time, people in
            tracker.update(with: people)
            for track in tracker.tracks where firstSeen[track.id] == nil && track.region != nil {
                firstSeen[track.id] = (time, track.centerX, track.centerY)
            }
            guard time + 1e-6 >= after, !people.regions.isEmpty else { return true }
            let cell = geometry.cell(x: x, y: y)
            let region = people.nearest(x: cell.x, y: cell.y)
            guard let id = tracker.tracks(in: region).first, let first = firstSeen[id] else { return true }
            let point = geometry.pixel(x: first.x, y: first.y)
            resolved = .point(x: Double(point.x), y: Double(point.y), seconds: first.seconds)
            return false
        }
        guard let resolved else {
            throw VideoSegError.invalidOption("\(Setting.subject) \(choice): nobody is in the picture at or after \(after) s of \(plan.source.path)")
        }
        return resolved
    }

    /// Decodes `source` from its start and runs the model on the frames `inferring` accepts (by
    /// their time), handing each one's people to `body` until it returns false or the input ends.
    private static func walk(plan: JobPlan, source: MediaSource, stop: StopFlag?, inferring: (Double) -> Bool,
                             _ body: (Double, PersonRegions) throws -> Bool) throws
    {
        let preprocess = PreprocessStage(preprocessor: plan.makePreprocessor(), census: nil)
        let inference = InferenceStage.segmenting(plan: plan, census: nil)
        let isForeground = plan.foregroundClasses
        var firstPts: Int64?
        var index = 0
        while let event = try source.next() {
            try stop?.throwIfRaised()
            guard case .video(let frame) = event else { continue }
            let first = firstPts ?? frame.pts
            firstPts = first
            let time = source.timeBase.seconds(frame.pts - first)
            guard inferring(time) else { continue }
            let ticket = FrameTicket(index: index, pts: frame.pts, captureTime: nil)
            index += 1
            let segmented = try inference.process(try preprocess.process(frame, ticket: ticket), ticket: ticket)
            let map = segmented.segmentation
            let people = PersonRegions(classes: map.classes.baseAddress, width: map.width, height: map.height, isForeground: isForeground)
            if try !body(time, people) { return }
        }
    }
}

extension SegmentationPipeline {
    /// The people the model finds in the first frame at or after `seconds` (from the input's
    /// start) that has anybody, largest first, and that frame's time; nil when no frame has
    /// anybody. Writes nothing (what `--subject list` shows).
    public func people(from seconds: Double) throws -> (seconds: Double, people: [PersonSighting])? {
        let plan = try JobPlan(configuration: configuration, drawsOverlay: false, stop: stop)
        return try SubjectSurvey.people(plan: plan, source: plan.source, from: seconds, stop: stop)
    }
}

extension JobPlan {
    /// Which classes are people (the tinted ones), by class id.
    var foregroundClasses: [Bool] {
        (0..<model.outputShape[1]).map { style.tints($0) }
    }

    /// The output picture and the model's map, for placing a chosen point.
    var subjectGeometry: SubjectSelector.Geometry {
        SubjectSelector.Geometry(pictureWidth: uprightSize.width, pictureHeight: uprightSize.height,
                                 cellsWide: model.outputShape[3], cellsHigh: model.outputShape[2])
    }

    /// The scores stage's selector for `setup`: nil when everybody stays and no click may
    /// choose otherwise.
    func makeSubjectSelector(_ setup: SubjectSetup) -> SubjectSelector? {
        guard setup.choice.choosesOne || setup.followsClicks else { return nil }
        return SubjectSelector(choice: setup.choice, loss: setup.loss, geometry: subjectGeometry, isForeground: foregroundClasses,
                               control: setup.control)
    }
}

/// Whom a run's scores stage keeps, and where it reports.
struct SubjectSetup: Sendable {
    /// The choice as the run can make it from its first frame (see `SubjectSurvey.resolve`).
    var choice: SubjectChoice
    var loss: SubjectLoss
    var control: SubjectControl
    /// Whether a click (the preview page) may choose while the run goes.
    var followsClicks: Bool
}
