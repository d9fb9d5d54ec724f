/// The search itself: which candidates to test, given that the good end passes and the bad
/// end fails, to find the first step after which the test fails.
public enum BisectSearch {
    public enum Outcome: Equatable, Sendable {
        /// The test fails from this step on (1-based: the step's changes are the cause) and
        /// passes on the step before.
        case firstFailing(step: Int)
        /// The test passes on the bad end: there is nothing to find.
        case passesOnBad
        /// The test fails on the good end too (looked at only when every step fails).
        case failsOnGood
    }

    /// Tests the bad end (`steps`) first, then halves the steps between the last known pass
    /// and the first known fail; the good end (0) only when the answer would be step 1. At
    /// most ceil(log2(steps + 1)) + 1 calls of `passes`.
    public static func run(steps: Int, passes: (Int) throws -> Bool) rethrows -> Outcome {
        precondition(steps > 0, "nothing to bisect")
        guard try !passes(steps) else { return .passesOnBad }
        var lastPass = 0
        var firstFail = steps
        while firstFail - lastPass > 1 {
            let middle = (lastPass + firstFail) / 2
            if try passes(middle) { lastPass = middle } else { firstFail = middle }
        }
        if firstFail == 1, try !passes(0) { return .failsOnGood }
        return .firstFailing(step: firstFail)
    }
}
