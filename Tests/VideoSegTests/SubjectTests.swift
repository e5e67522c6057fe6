import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegPipeline

/// A rectangle of person cells: its left and top cell, width and height.
private struct Blob {
    var x: Int, y: Int, width: Int, height: Int

    func contains(_ cx: Int, _ cy: Int) -> Bool { cx >= x && cx < x + width && cy >= y && cy < y + height }
}

/// A two-class segmentation (0 background, 1 person) of `width`×`height` cells where the blobs
/// are people: certain classes, probability 1 inside, 0 outside, and logits ±5.
private func segmentation(width: Int, height: Int, blobs: [Blob]) -> Segmentation {
    let cells = width * height
    let classes = BufferPool<UInt8>(count: cells, census: nil).obtain()
    let foreground = BufferPool<Float>(count: cells, census: nil).obtain()
    let tint = BufferPool<Float>(count: 3 * cells, census: nil).obtain()
    let scores = BufferPool<Float>(count: 2 * cells, census: nil).obtain()
    for y in 0..<height {
        for x in 0..<width {
            let cell = y * width + x
            let person = blobs.contains { $0.contains(x, y) }
            classes.baseAddress[cell] = person ? 1 : 0
            foreground.baseAddress[cell] = person ? 1 : 0
            for channel in 0..<3 { tint.baseAddress[channel * cells + cell] = person ? 192 : 0 }
            scores.baseAddress[cell] = person ? -5 : 5
            scores.baseAddress[cells + cell] = person ? 5 : -5
        }
    }
    return Segmentation(width: width, height: height, classCount: 2, classes: classes, scores: scores, foreground: foreground, tint: tint)
}

/// The cells the segmentation keeps as person.
private func keptCells(_ map: Segmentation) -> [(x: Int, y: Int)] {
    (0..<map.cellCount).filter { map.classes.baseAddress[$0] == 1 }.map { ($0 % map.width, $0 / map.width) }
}

private func people(_ map: Segmentation, rules: PersonRegions.Rules = PersonRegions.Rules()) -> PersonRegions {
    PersonRegions(classes: map.classes.baseAddress, width: map.width, height: map.height, isForeground: [false, true], rules: rules)
}

/// Output pictures 10 pixels a cell.
private func selector(_ choice: SubjectChoice, loss: SubjectLoss = .keepNone, width: Int = 64, height: Int = 32,
                      control: SubjectControl? = nil) -> SubjectSelector
{
    SubjectSelector(choice: choice, loss: loss,
                    geometry: .init(pictureWidth: width * 10, pictureHeight: height * 10, cellsWide: width, cellsHigh: height),
                    isForeground: [false, true], control: control)
}

@Suite struct PersonRegionsTests {
    @Test func separatesPeopleLargestFirstWithTheirCentresAndBoxes() {
        let map = segmentation(width: 40, height: 20, blobs: [Blob(x: 2, y: 2, width: 4, height: 6), Blob(x: 20, y: 4, width: 8, height: 10)])
        let found = people(map)
        #expect(found.regions.count == 2)
        #expect(found.regions[0] == .init(cells: 80, centerX: 23.5, centerY: 8.5, minX: 20, minY: 4, maxX: 27, maxY: 13))
        #expect(found.regions[1] == .init(cells: 24, centerX: 3.5, centerY: 4.5, minX: 2, minY: 2, maxX: 5, maxY: 7))
        // Zones reach 3 cells around each person, and no further.
        #expect(found.person(atX: 30, y: 8) == 0)
        #expect(found.person(atX: 31, y: 8) == PersonRegions.nobody)
        #expect(found.person(atX: 5 + 3, y: 2) == 1)
        #expect(found.person(atX: 12, y: 10) == PersonRegions.nobody)
    }

    @Test func aHandOneCellFromTheArmStaysWithItAndSpecksAreNobody() {
        let arm = Blob(x: 4, y: 4, width: 6, height: 10), hand = Blob(x: 11, y: 5, width: 2, height: 2)
        let speck = Blob(x: 30, y: 2, width: 2, height: 2)
        let found = people(segmentation(width: 40, height: 20, blobs: [arm, hand, speck]))
        #expect(found.regions.count == 1)
        #expect(found.regions[0].cells == 64)
        #expect(found.owner[5 * 40 + 11] == 0)
        #expect(found.owner[2 * 40 + 30] == PersonRegions.nobody)
        // Two cells apart is apart.
        let apart = people(segmentation(width: 40, height: 20, blobs: [arm, Blob(x: 12, y: 4, width: 6, height: 10)]))
        #expect(apart.regions.count == 2)
    }
}

@Suite struct SubjectSelectorTests {
    @Test func thePickedPersonIsKeptExactlyAndTheOtherBecomesBackground() {
        let left = Blob(x: 4, y: 8, width: 8, height: 16), right = Blob(x: 40, y: 6, width: 10, height: 20)
        let map = segmentation(width: 64, height: 32, blobs: [left, right])
        let control = SubjectControl(choice: .point(x: 80, y: 150, seconds: nil))
        selector(.point(x: 80, y: 150, seconds: nil), control: control).apply(to: map, seconds: 0)
        let cells = map.cellCount
        for y in 0..<32 {
            for x in 0..<64 {
                let cell = y * 64 + x
                let kept = left.contains(x, y)
                #expect(map.classes.baseAddress[cell] == (kept ? 1 : 0))
                #expect(map.foreground!.baseAddress[cell] == (kept ? 1 : 0))
                #expect(map.tint!.baseAddress[2 * cells + cell] == (kept ? 192 : 0))
                // The other person's scores can never win, even between cells.
                if right.contains(x, y) { #expect(map.scores!.baseAddress[cells + cell] < -1e20) }
            }
        }
        #expect(control.status == SubjectStatus(choice: "80,150", following: true, box: [40, 80, 80, 160]))
    }

    @Test func largestAndCenterChooseByTheirRules() {
        let small = Blob(x: 28, y: 10, width: 6, height: 10), large = Blob(x: 2, y: 4, width: 10, height: 24)
        let byLargest = segmentation(width: 64, height: 32, blobs: [small, large])
        selector(.largest).apply(to: byLargest, seconds: 0)
        #expect(Set(keptCells(byLargest).map(\.x)) == Set(2..<12))
        let byCenter = segmentation(width: 64, height: 32, blobs: [small, large])
        selector(.center).apply(to: byCenter, seconds: 0)
        #expect(Set(keptCells(byCenter).map(\.x)) == Set(28..<34))
    }

    @Test func everybodyStaysWithAllAndNobodyBeforeThereIsSomebody() {
        let map = segmentation(width: 64, height: 32, blobs: [Blob(x: 4, y: 4, width: 6, height: 6), Blob(x: 40, y: 4, width: 6, height: 6)])
        selector(.all).apply(to: map, seconds: 0)
        #expect(keptCells(map).count == 72)
        // A point chosen for a later time keeps nobody before it.
        let early = segmentation(width: 64, height: 32, blobs: [Blob(x: 4, y: 4, width: 6, height: 6)])
        let later = selector(.point(x: 50, y: 50, seconds: 2))
        later.apply(to: early, seconds: 1.5)
        #expect(keptCells(early).isEmpty)
        let atTime = segmentation(width: 64, height: 32, blobs: [Blob(x: 4, y: 4, width: 6, height: 6)])
        later.apply(to: atTime, seconds: 2)
        #expect(keptCells(atTime).count == 36)
    }

    /// Two people walk towards each other, touch for several frames (one region), and part: the
    /// one chosen on the left is followed to the right, where they were heading. The other is
    /// larger, so the parted region's larger share is theirs: only the heading can tell.
    @Test func aCrossingKeepsTheSubjectsIdentity() {
        let subject = selector(.point(x: 60, y: 150, seconds: nil))
        var touched = 0
        for frame in 0...24 {
            let walker = Blob(x: 2 + 2 * frame, y: 6, width: 8, height: 20), other = Blob(x: 52 - 2 * frame, y: 4, width: 10, height: 24)
            let map = segmentation(width: 64, height: 32, blobs: [walker, other])
            let together = people(map).regions.count == 1
            if together { touched += 1 }
            subject.apply(to: map, seconds: Double(frame) / 25)
            // Whenever they are apart (before and after), exactly the walker is kept.
            if !together {
                #expect(Set(keptCells(map).map(\.x)) == Set(walker.x..<min(64, walker.x + 8)), "frame \(frame)")
            }
        }
        #expect(touched >= 4)
        #expect(subject.warnings.isEmpty)
    }

    @Test func aSubjectWhoLeavesIsReportedAndNobodyIsKeptOrTheRuleChoosesAgain() {
        for loss in SubjectLoss.allCases {
            let control = SubjectControl(choice: .largest)
            let subject = selector(.largest, loss: loss, control: control)
            var lastKept = 0
            for frame in 0..<40 {
                // The subject walks out on the right by frame 12; someone else comes in at frame 30.
                var blobs = frame < 12 ? [Blob(x: 40 + 2 * frame, y: 6, width: 8, height: 20)] : []
                if frame >= 30 { blobs.append(Blob(x: 4, y: 6, width: 6, height: 12)) }
                let map = segmentation(width: 64, height: 32, blobs: blobs)
                subject.apply(to: map, seconds: Double(frame) / 10)
                lastKept = keptCells(map).count
            }
            // Last seen at 1.1 s (frame 11): lost half a second later, at frame 16.
            #expect(subject.warnings == ["subject lost at 1.60 s: " + (loss == .repick ? "choosing again by largest" : "keeping nobody")])
            #expect(control.status.lostAt == 1.6)
            #expect(control.status.losses == 1)
            #expect(lastKept == (loss == .repick ? 72 : 0))
        }
    }

    @Test func aLiveRequestTakesEffectAtTheNextFrame() {
        let control = SubjectControl(choice: .all)
        let subject = selector(.all, control: control)
        let blobs = [Blob(x: 4, y: 4, width: 6, height: 6), Blob(x: 40, y: 4, width: 6, height: 6)]
        let before = segmentation(width: 64, height: 32, blobs: blobs)
        subject.apply(to: before, seconds: 0)
        #expect(keptCells(before).count == 72)
        control.request(.point(x: 425, y: 65, seconds: nil))
        let after = segmentation(width: 64, height: 32, blobs: blobs)
        subject.apply(to: after, seconds: 0.04)
        #expect(Set(keptCells(after).map(\.x)) == Set(40..<46))
        #expect(control.status.choice == "425,65")
        control.request(.all)
        let again = segmentation(width: 64, height: 32, blobs: blobs)
        subject.apply(to: again, seconds: 0.08)
        #expect(keptCells(again).count == 72)
        #expect(control.status.following == false)
    }
}

@Suite struct SubjectChoiceTests {
    @Test func parsesEveryForm() throws {
        #expect(try SubjectChoice(parsing: "all") == .all)
        #expect(try SubjectChoice(parsing: "Largest") == .largest)
        #expect(try SubjectChoice(parsing: "centre") == .center)
        #expect(try SubjectChoice(parsing: "640,360") == .point(x: 640, y: 360, seconds: nil))
        #expect(try SubjectChoice(parsing: "12.5, 30@2.25") == .point(x: 12.5, y: 30, seconds: 2.25))
        #expect(try SubjectChoice(parsing: "640,360@3").description == "640,360@3")
    }

    @Test(arguments: ["", "640", "a,b", "-1,4", "1,2@", "1,2@-3", "1,2@x", "1,2,3"])
    func refusesWhatItCannotRead(_ text: String) {
        do {
            let accepted = try SubjectChoice(parsing: text)
            Issue.record("\(text) was read as \(accepted)")
        } catch {
            #expect("\(error)".hasPrefix("subject \"\(text)\":"))
        }
    }
}

@Suite struct SubjectSettingsTests {
    @Test func aTimeIsRefusedOnLiveInputAndAChoiceChangesTheOutputsHash() {
        #expect(SegmentConfiguration.subjectProblem(.point(x: 1, y: 2, seconds: 3), live: true)?.description
            == "subject 1,2@3: a live input has no time 3.0 s to look at; give the point alone (X,Y)")
        #expect(SegmentConfiguration.subjectProblem(.point(x: 1, y: 2, seconds: 3), live: false) == nil)
        #expect(SegmentConfiguration.subjectProblem(.point(x: 1, y: 2, seconds: nil), live: true) == nil)
        var configuration = SegmentConfiguration(input: "a.mp4", output: "b.mp4", modelPath: nil)
        let everybody = configuration.outputSettingsDescription
        #expect(!everybody.contains("subject"))
        configuration.subject = .largest
        configuration.subjectLoss = .repick
        #expect(configuration.outputSettingsDescription == everybody + " subject=largest,repick")
    }
}
