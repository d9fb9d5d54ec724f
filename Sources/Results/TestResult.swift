import Foundation

/// What one test (a scenario or a kola-style external test) did, as every report shows it:
/// the JUnit XML, the TAP stream, the HTML report and `results.json`.
public struct TestResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case passed, failed, skipped
    }

    /// One step on the test's timeline: a scenario step, a command, a wait.
    public struct Step: Codable, Sendable {
        /// What the step did, in words (`run: treectl upgrade`, `reboot`, `compose next`).
        public var title: String
        /// Seconds from the test's start.
        public var start: TimeInterval
        public var duration: TimeInterval
        public var passed: Bool
        /// The failure, when the step failed.
        public var failure: String?

        public init(title: String, start: TimeInterval, duration: TimeInterval, passed: Bool, failure: String? = nil) {
            self.title = title
            self.start = start
            self.duration = duration
            self.passed = passed
            self.failure = failure
        }
    }

    /// One boot: from power-on (or the reboot request) until the guest answered on its channel.
    public struct Boot: Codable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// A fresh machine on a new overlay.
            case boot
            /// A reboot the guest went through (requested by a step or by the test itself).
            case reboot
            /// Power restored after the power was cut.
            case powerOn = "power-on"
            /// A fresh machine restored from the image's saved first boot (`harness run` saves
            /// one per image and machine shape; `--no-restore` boots every machine).
            case restore
        }

        public var kind: Kind
        /// Seconds from the test's start.
        public var start: TimeInterval
        public var duration: TimeInterval
        /// Where the boot's time went, when the guest could say.
        public var profile: BootProfile?

        public init(kind: Kind, start: TimeInterval, duration: TimeInterval, profile: BootProfile? = nil) {
            self.kind = kind
            self.start = start
            self.duration = duration
            self.profile = profile
        }
    }

    /// The test's name: a scenario's (`upgrade-rollback`) or kola's (`ext.kola-like.read-only-usr`).
    public var name: String
    /// Which of the runs `--multiply N` asked for this is (1...N); nil without `--multiply`.
    public var iteration: Int?
    /// `scenario` or `external`.
    public var kind: String
    public var status: Status
    public var startedAt: Date
    /// Seconds, from start to the end of the last attempt.
    public var duration: TimeInterval
    public var steps: [Step]
    public var boots: [Boot]
    /// Why it failed: one line first, details (a quoted console, say) after.
    public var failure: String?
    /// Console lines around the failure, when the console had something to say.
    public var consoleExcerpt: String?
    /// Why it was skipped (a denylist entry, a missing requirement).
    public var skipReason: String?
    /// How many times it ran (more than 1 with `--rerun-failed`).
    public var attempts: Int
    /// Failed at first, passed on a rerun.
    public var flaky: Bool
    /// Its artifacts (`console.txt`, `journal.txt`, `transcript.txt`), relative to the
    /// output directory.
    public var artifactsDirectory: String

    public init(name: String, iteration: Int? = nil, kind: String, status: Status, startedAt: Date, duration: TimeInterval,
                steps: [Step] = [], boots: [Boot] = [], failure: String? = nil, consoleExcerpt: String? = nil,
                skipReason: String? = nil, attempts: Int = 1, flaky: Bool = false, artifactsDirectory: String) {
        self.name = name
        self.iteration = iteration
        self.kind = kind
        self.status = status
        self.startedAt = startedAt
        self.duration = duration
        self.steps = steps
        self.boots = boots
        self.failure = failure
        self.consoleExcerpt = consoleExcerpt
        self.skipReason = skipReason
        self.attempts = attempts
        self.flaky = flaky
        self.artifactsDirectory = artifactsDirectory
    }

    /// Seconds spent booting (power-on or reboot until the guest answered on its channel).
    public var bootTime: TimeInterval { boots.reduce(0) { $0 + $1.duration } }

    /// The name the reports show: `power-cut` or, with `--multiply`, `power-cut#3`.
    public var displayName: String { iteration.map { "\(name)#\($0)" } ?? name }

    /// Where a test's artifacts go, relative to the output directory: `NAME`, or `NAME/3` for
    /// the third run of `--multiply`.
    public static func artifactsDirectory(name: String, iteration: Int?) -> String {
        iteration.map { "\(name)/\($0)" } ?? name
    }
}

/// How often a test passed over the runs `--multiply` made of it: how flakiness is measured.
public struct PassRate: Codable, Sendable, Equatable {
    public var name: String
    public var runs: Int
    public var passed: Int

    /// `39 of 40 passed (97.5%)`.
    public var summary: String {
        String(format: "%d of %d passed (%.1f%%)", passed, runs, runs > 0 ? Double(passed) / Double(runs) * 100 : 0)
    }
}

/// A whole `harness run`: every test's result, in the order they were selected.
public struct RunResult: Codable, Sendable {
    public var startedAt: Date
    public var duration: TimeInterval
    /// The image the tests ran on (its path and the commit it holds).
    public var image: String
    public var commit: String
    public var parallel: Int
    public var tests: [TestResult]
    /// Per test run more than once with `--multiply`, in selection order; empty otherwise.
    public var passRates: [PassRate]

    public init(startedAt: Date, duration: TimeInterval, image: String, commit: String, parallel: Int, tests: [TestResult]) {
        self.startedAt = startedAt
        self.duration = duration
        self.image = image
        self.commit = commit
        self.parallel = parallel
        self.tests = tests
        var rates: [PassRate] = []
        for test in tests where test.iteration != nil {
            if let index = rates.firstIndex(where: { $0.name == test.name }) {
                rates[index].runs += 1
                rates[index].passed += test.status == .passed ? 1 : 0
            } else {
                rates.append(PassRate(name: test.name, runs: 1, passed: test.status == .passed ? 1 : 0))
            }
        }
        passRates = rates
    }

    public var failed: [TestResult] { tests.filter { $0.status == .failed } }
}
