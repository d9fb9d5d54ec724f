import Foundation

/// What `harness bisect` found, as `OUTPUT/bisect.json` and `--json` give it.
public struct BisectReport: Codable, Sendable {
    /// One tree the test ran on.
    public struct Candidate: Codable, Sendable {
        /// How many steps of the plan it has: 0 is `--good`, `steps.count` is `--bad`.
        public var step: Int
        /// `--good`, `--bad`, or `step K of N`.
        public var label: String
        public var commit: String
        /// The changes of its last step (none for `--good`).
        public var changes: [String]
        public var passed: Bool
        public var failure: String?
        public var consoleExcerpt: String?
        public var duration: TimeInterval
        /// Its reports and the test's console, journal and transcript.
        public var artifacts: String
    }

    public var test: String
    public var good: String
    public var bad: String
    public var treefile: String
    /// The plan: each step's changes, in the order they are applied to `--good`'s packages.
    public var steps: [[String]]
    /// Every candidate tested, in the order they ran.
    public var candidates: [Candidate] = []
    /// The step whose changes make the test fail (1-based), with the failing candidate and the
    /// passing one before it as the evidence.
    public var firstFailingStep: Int?
    public var culprit: [String] = []

    /// The candidate with `step`, if it ran.
    public func candidate(step: Int) -> Candidate? { candidates.first { $0.step == step } }

    /// The finding in a few lines: the change, the failure and the passing tree before it.
    public var summary: String {
        guard let step = firstFailingStep, let failing = candidate(step: step), let passing = candidate(step: step - 1) else {
            return "no culprit"
        }
        return """
            \(test) first fails with \(culprit.joined(separator: ", ")) (step \(step) of \(steps.count)), \
            after \(candidates.count) run(s):
              fails on \(failing.label) \(failing.commit.prefix(12)): \(failing.failure ?? "failed")
              passes on \(passing.label) \(passing.commit.prefix(12)), which lacks it
              artifacts: \(failing.artifacts) and \(passing.artifacts)
            """
    }
}
