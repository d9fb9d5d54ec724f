@testable import Bisect
import Testing

/// The search: which candidates it tests, and what it concludes.
@Suite struct BisectSearchTests {
    /// With five steps, the culprit at any of them is found in at most four runs, the bad end
    /// first, and the pass just before it is always a run, never an assumption.
    @Test(arguments: 1...5) func findsEachCulpritOfFiveStepsInFourRuns(culprit: Int) {
        var tested: [Int] = []
        let outcome = BisectSearch.run(steps: 5) { step in
            tested.append(step)
            return step < culprit
        }
        #expect(outcome == .firstFailing(step: culprit))
        #expect(tested.first == 5)
        #expect(tested.count <= 4, "tested \(tested)")
        #expect(tested.contains(culprit - 1) || culprit - 1 == 0 && tested.contains(0))
        #expect(tested.count <= Bisector.maximumRuns(steps: 5))
    }

    @Test func aTestThatPassesOnBadEndsAfterOneRun() {
        var tested: [Int] = []
        let outcome = BisectSearch.run(steps: 5) { tested.append($0); return true }
        #expect(outcome == .passesOnBad)
        #expect(tested == [5])
    }

    @Test func aTestThatFailsEverywhereIsCaughtOnGood() {
        var tested: [Int] = []
        let outcome = BisectSearch.run(steps: 5) { tested.append($0); return false }
        #expect(outcome == .failsOnGood)
        #expect(tested.last == 0)
    }

    @Test func runBoundsGrowWithTheLogarithm() {
        #expect(Bisector.maximumRuns(steps: 1) == 2)
        #expect(Bisector.maximumRuns(steps: 5) == 4)
        #expect(Bisector.maximumRuns(steps: 100) == 8)
        for steps in [1, 2, 3, 7, 8, 9, 33] {
            for culprit in 1...steps {
                var count = 0
                _ = BisectSearch.run(steps: steps) { count += 1; return $0 < culprit }
                #expect(count <= Bisector.maximumRuns(steps: steps), "\(steps) steps, culprit \(culprit)")
            }
        }
    }
}
