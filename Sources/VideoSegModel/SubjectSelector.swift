import Foundation
import VideoSegCore

/// Keeps one chosen person in each frame's segmentation and makes every other person background:
/// their cells take the background class, their foreground probability and tint become 0, and
/// their people-class scores can no longer win between cells. Everything drawn or written from
/// the segmentation (every style, masks, probability masks, the virtual camera, the preview)
/// then shows the subject alone. Runs on the scores stage's thread, at the model's resolution.
package final class SubjectSelector {
    /// The picture the choice's points are given in (output pixels), and the cells of the map.
    package struct Geometry: Sendable {
        package var pictureWidth: Int
        package var pictureHeight: Int
        package var cellsWide: Int
        package var cellsHigh: Int

        package init(pictureWidth: Int, pictureHeight: Int, cellsWide: Int, cellsHigh: Int) {
            self.pictureWidth = pictureWidth
            self.pictureHeight = pictureHeight
            self.cellsWide = cellsWide
            self.cellsHigh = cellsHigh
        }

        /// The cell coordinates of a point in output pixels.
        package func cell(x: Double, y: Double) -> (x: Double, y: Double) {
            (x * Double(cellsWide) / Double(pictureWidth), y * Double(cellsHigh) / Double(pictureHeight))
        }

        /// The output pixel at the centre of cell (`x`, `y`) (fractions allowed).
        package func pixel(x: Double, y: Double) -> (x: Int, y: Int) {
            (Int(((x + 0.5) * Double(pictureWidth) / Double(cellsWide)).rounded(.down)),
             Int(((y + 0.5) * Double(pictureHeight) / Double(cellsHigh)).rounded(.down)))
        }

        /// A box of cells in output pixels: x, y, width, height.
        package func pixels(_ region: PersonRegions.Region) -> [Int] {
            let sx = Double(pictureWidth) / Double(cellsWide), sy = Double(pictureHeight) / Double(cellsHigh)
            let x0 = Int((Double(region.minX) * sx).rounded(.down)), y0 = Int((Double(region.minY) * sy).rounded(.down))
            let x1 = min(pictureWidth, Int((Double(region.maxX + 1) * sx).rounded(.up)))
            let y1 = min(pictureHeight, Int((Double(region.maxY + 1) * sy).rounded(.up)))
            return [x0, y0, x1 - x0, y1 - y0]
        }
    }

    private enum Target: Equatable {
        case everybody
        case choosing
        case following(track: Int, lastSeen: Double)
        case nobody
    }

    private let geometry: Geometry
    private let isForeground: [Bool]
    private let backgroundClass: UInt8
    private let loss: SubjectLoss
    private let rules: PersonRegions.Rules
    /// Seconds without the subject before they count as lost.
    private let lostAfter: Double
    private let control: SubjectControl?
    private var choice: SubjectChoice
    private var target: Target
    private var tracker = PeopleTracker()
    /// Warnings for the run's result: each loss, with its time.
    package private(set) var warnings: [String] = []

    /// A selector for maps of `geometry`'s cells, where `isForeground` says which classes are
    /// people. `control`, when given, reports where the subject is and brings live choices.
    package init(choice: SubjectChoice, loss: SubjectLoss, geometry: Geometry, isForeground: [Bool], control: SubjectControl?,
                 rules: PersonRegions.Rules = PersonRegions.Rules(), lostAfter: Double = 0.5)
    {
        self.choice = choice
        self.loss = loss
        self.geometry = geometry
        self.isForeground = isForeground
        self.control = control
        self.rules = rules
        self.lostAfter = lostAfter
        backgroundClass = UInt8(isForeground.firstIndex(of: false) ?? 0)
        target = choice.choosesOne ? .choosing : .everybody
    }

    /// Keeps the subject of `segmentation`, the frame `seconds` into the input, in place.
    package func apply(to segmentation: Segmentation, seconds: Double) {
        if let request = control?.takeRequest() {
            choice = request
            target = request.choosesOne ? .choosing : .everybody
            control?.update { $0 = SubjectStatus(choice: request.description, losses: $0.losses) }
        }
        guard target != .everybody else { return }
        let people = PersonRegions(classes: segmentation.classes.baseAddress, width: segmentation.width, height: segmentation.height,
                                   isForeground: isForeground, rules: rules)
        tracker.update(with: people)
        let region = subjectRegion(in: people, seconds: seconds)
        keep(region, of: people, in: segmentation)
        control?.update { status in
            status.following = region != nil
            status.box = region.map { geometry.pixels(people.regions[Int($0)]) }
        }
    }

    /// Moves the choice on by this frame and says which region is the subject's, if any.
    private func subjectRegion(in people: PersonRegions, seconds: Double) -> Int32? {
        switch target {
        case .everybody, .nobody:
            return nil
        case .choosing:
            guard let region = choose(in: people, seconds: seconds), let track = tracker.tracks(in: region).first else { return nil }
            target = .following(track: track, lastSeen: seconds)
            return Int32(region)
        case .following(let id, let lastSeen):
            if let region = tracker.track(id)?.region {
                target = .following(track: id, lastSeen: seconds)
                return Int32(region)
            }
            if tracker.track(id) != nil && seconds - lastSeen < lostAfter { return nil }
            lost(at: seconds)
            // A repick may find someone in this very frame.
            return target == .choosing ? subjectRegion(in: people, seconds: seconds) : nil
        }
    }

    /// The region the rule picks in this frame, or nil when nobody is here (or it is too early).
    private func choose(in people: PersonRegions, seconds: Double) -> Int? {
        guard !people.regions.isEmpty else { return nil }
        switch choice {
        case .all:
            return nil
        case .largest:
            return 0
        case .center:
            return people.nearest(x: Double(geometry.cellsWide) / 2, y: Double(geometry.cellsHigh) / 2)
        case .point(let x, let y, let after):
            if let after, seconds + 1e-6 < after { return nil }
            let cell = geometry.cell(x: x, y: y)
            return people.nearest(x: cell.x, y: cell.y)
        }
    }

    private func lost(at seconds: Double) {
        let then = String(format: "%.2f", seconds)
        let next = loss == .repick ? "choosing again by \(choice)" : "keeping nobody"
        warnings.append("subject lost at \(then) s: \(next)")
        LibraryLog.logger.warning("subject lost at \(then) s: \(next)", metadata: ["component": "subject"])
        control?.warn(warnings.last!)
        control?.update { status in
            status.lostAt = seconds
            status.losses += 1
        }
        target = loss == .repick ? .choosing : .nobody
    }

    /// Makes every cell outside `region`'s zone background.
    private func keep(_ region: Int32?, of people: PersonRegions, in segmentation: Segmentation) {
        let cells = segmentation.cellCount
        let classes = segmentation.classes.baseAddress
        let zone = people.zone
        let chosen = region ?? -2
        for cell in 0..<cells where zone[cell] != chosen {
            let id = Int(classes[cell])
            if id < isForeground.count && isForeground[id] { classes[cell] = backgroundClass }
        }
        if let foreground = segmentation.foreground?.baseAddress {
            for cell in 0..<cells where zone[cell] != chosen { foreground[cell] = 0 }
        }
        if let tint = segmentation.tint?.baseAddress {
            for cell in 0..<cells where zone[cell] != chosen {
                tint[cell] = 0; tint[cells + cell] = 0; tint[2 * cells + cell] = 0
            }
        }
        if let scores = segmentation.scores?.baseAddress {
            // Far below any score or logit, yet finite: interpolating towards it stays a number.
            let never: Float = -1e30
            for id in isForeground.indices where isForeground[id] && id < segmentation.classCount {
                let plane = scores + id * cells
                for cell in 0..<cells where zone[cell] != chosen { plane[cell] = never }
            }
        }
    }
}
