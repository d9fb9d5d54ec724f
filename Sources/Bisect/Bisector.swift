import Compose
import Foundation
import Kola
import OSTree
import RPM
import Results
import Scenarios
import ToolSupport

/// `harness bisect`: the first package change between two composed commits that makes a test
/// fail. Both commits carry their package lists (`harness.packages`); the changes between
/// them are ordered so that every prefix holds together (`BisectPlan`), each candidate is
/// composed from `treefile` with exactly its packages, all from the package cache
/// (`ComposeOptions.packageSet`), built into an image and booted, and the test runs on it;
/// `BisectSearch` picks the candidates. A tree that does not boot fails the test like any
/// other failure.
public struct Bisector {
    public struct Request: Sendable {
        public var good: String
        public var bad: String
        /// A test name as `harness list` gives it (or a glob matching exactly one test).
        public var test: String
        /// The treefile the candidates are composed from (everything but their packages).
        public var treefile: String
        public var project: ProjectLayout
        public var stateDirectory: String
        public var externalDirectories: [String] = []
        public var connectURI: String?
        public var distro: String?

        public init(good: String, bad: String, test: String, treefile: String, project: ProjectLayout,
                    stateDirectory: String) {
            self.good = good
            self.bad = bad
            self.test = test
            self.treefile = treefile
            self.project = project
            self.stateDirectory = stateDirectory
        }

        /// Composes into the state's repository, with its package cache.
        var composeOptions: ComposeOptions {
            ComposeOptions(repository: stateDirectory + "/repo", cacheDirectory: stateDirectory + "/cache")
        }
    }

    /// A commit named by `--good` or `--bad`, with its package list.
    struct Endpoint {
        var commit: String
        var packages: [InstalledPackage]
    }

    /// Where the candidates' refs live in the state's repository (one per package set, so that
    /// a bisect run again composes nothing and builds no image).
    static let refPrefix = "harness/bisect/"

    public let request: Request

    public init(request: Request) { self.request = request }

    /// Checks the request (both commits, the test, the treefile's base against `--bad`'s
    /// packages) and orders the changes: nothing boots, and nothing is written but what the
    /// check imports into the package cache.
    public func plan() throws -> Bisection {
        let repository = try OSTreeRepository.openOrCreate(at: request.stateDirectory + "/repo", mode: .archive)
        let goodCommit = try resolve(request.good, option: "--good", in: repository)
        let badCommit = try resolve(request.bad, option: "--bad", in: repository)
        guard goodCommit != badCommit else {
            throw BisectError("--good \(request.good) and --bad \(request.bad) are the same commit \(goodCommit): nothing lies between them")
        }
        let good = try endpoint(goodCommit, named: request.good, option: "--good", in: repository)
        let bad = try endpoint(badCommit, named: request.bad, option: "--bad", in: repository)
        return Bisection(request: request, good: good, bad: bad, test: try selectTest(), plan: try makePlan(good: good, bad: bad))
    }

    /// The most runs a plan of `steps` can take: the bad end, the halvings, and the good end.
    static func maximumRuns(steps: Int) -> Int {
        var halvings = 0
        while (1 << halvings) < steps + 1 { halvings += 1 }
        return halvings + 1
    }

    private func resolve(_ name: String, option: String, in repository: OSTreeRepository) throws -> String {
        guard let commit = try repository.resolve(name) else {
            throw BisectError("\(option) \(name): no such ref or commit in \(repository.path)")
        }
        return commit
    }

    private func endpoint(_ commit: String, named name: String, option: String, in repository: OSTreeRepository) throws -> Endpoint {
        guard let nevras = try repository.commit(commit).metadata[Composer.Key.packages]?.stringsValue else {
            throw BisectError("\(option) \(name): commit \(commit) has no package list (\(Composer.Key.packages)): "
                              + "it was not composed by harness compose, so there are no package changes to bisect")
        }
        return Endpoint(commit: commit, packages: try nevras.map { nevra in
            guard let package = InstalledPackage(nevra: nevra) else {
                throw BisectError("\(option) \(name): commit \(commit) lists '\(nevra)', which is not a NEVRA")
            }
            return package
        })
    }

    private func selectTest() throws -> TestEntry {
        let catalog = try TestCatalog.load(project: request.project, externalDirectories: request.externalDirectories)
        let selected = try catalog.select(patterns: [request.test], tags: [])
        guard selected.count == 1 else {
            throw BisectError("'\(request.test)' names \(selected.count) tests (\(selected.map(\.name).joined(separator: ", "))); bisect runs one")
        }
        return selected[0]
    }

    /// The plan, after checking that the treefile's base takes `--bad`'s packages, and saying
    /// so when the treefile is not the one `--bad` was composed from.
    private func makePlan(good: Endpoint, bad: Endpoint) throws -> BisectPlan {
        let check = try Composer(options: request.composeOptions).packageSetCheck(treefilePath: request.treefile)
        defer { check.close() }
        if let problem = try check.problem(with: bad.packages.map(\.nevra)) {
            throw BisectError("--bad \(request.bad): its packages do not hold together on the base of \(request.treefile) "
                              + "(is it the treefile --bad was composed from?): \(problem)")
        }
        let plan = try BisectPlan(good: good.packages, bad: bad.packages) { try check.problem(with: $0.map(\.nevra)) }
        guard !plan.steps.isEmpty else {
            throw BisectError("--good \(request.good) and --bad \(request.bad) have the same packages: what differs between them "
                              + "(the treefile, the base) is not something bisect can split")
        }
        var options = request.composeOptions
        options.dryRun = true
        options.packageSet = bad.packages.map(\.nevra)
        let inputs = try Composer(options: options).compose(treefilePath: request.treefile).inputhash
        if let recorded = try OSTreeRepository.open(at: options.repository).commit(bad.commit)
            .metadata[Composer.Key.inputHash]?.stringValue, recorded != inputs {
            Console.warning("\(request.treefile) is not what composed --bad \(bad.commit.prefix(12)) (their input hashes differ): "
                            + "every candidate takes all but its packages from it")
        }
        return plan
    }
}

/// A planned bisect: `run` tests the candidates.
public struct Bisection {
    let request: Bisector.Request
    let good: Bisector.Endpoint
    let bad: Bisector.Endpoint
    let test: TestEntry
    public let plan: BisectPlan

    /// Runs the test on the candidates the search asks for, with the log, the report
    /// (`bisect.json`) and each run's reports and artifacts in `outputDirectory`. Throws when
    /// the test passes on `--bad` or fails on `--good` too.
    public func run(outputDirectory: String) throws -> BisectReport {
        let log = try BisectLog(path: outputDirectory + "/bisect.log")
        var report = BisectReport(test: test.name, good: good.commit, bad: bad.commit, treefile: request.treefile,
                                  steps: plan.steps.map { $0.map(\.summary) })
        log.write("bisect \(test.name): --good \(good.commit) --bad \(bad.commit), treefile \(request.treefile)")
        for (index, step) in plan.steps.enumerated() {
            log.write("  step \(index + 1): \(step.map(\.summary).joined(separator: ", "))")
        }
        Console.progress("\(plan.steps.flatMap { $0 }.count) package change(s) in \(plan.steps.count) step(s); "
                         + "at most \(Bisector.maximumRuns(steps: plan.steps.count)) run(s) of \(test.name)")

        let outcome = try BisectSearch.run(steps: plan.steps.count) { step in
            let candidate = try runTest(step: step, run: report.candidates.count + 1, outputDirectory: outputDirectory)
            report.candidates.append(candidate)
            log.write("run \(report.candidates.count): \(candidate.label) \(candidate.commit): "
                      + (candidate.passed ? "passed" : "failed: " + BisectLog.oneLine(candidate.failure ?? ""))
                      + String(format: " (%.0f s, %@)", candidate.duration, candidate.artifacts))
            return candidate.passed
        }
        switch outcome {
        case .passesOnBad:
            log.write("nothing to find: \(test.name) passes on --bad")
            throw BisectError("\(test.name) passes on --bad \(request.bad) (\(bad.commit.prefix(12))): there is nothing to find "
                              + "(log: \(log.path))")
        case .failsOnGood:
            log.write("\(test.name) fails on --good too")
            throw BisectError("\(test.name) fails on --good \(request.good) (\(good.commit.prefix(12))) too: "
                              + "the failure does not come from the changes between them (log: \(log.path))")
        case .firstFailing(let step):
            report.firstFailingStep = step
            report.culprit = plan.steps[step - 1].map(\.summary)
            log.write("first failing: step \(step): \(report.culprit.joined(separator: ", "))")
        }
        try JSONOutput.write(report, to: outputDirectory + "/bisect.json")
        return report
    }

    /// Composes (or takes) the tree of `step`, builds its image and runs the test on it.
    private func runTest(step: Int, run: Int, outputDirectory: String) throws -> BisectReport.Candidate {
        let entry = test
        let count = plan.steps.count
        let label = step == 0 ? "--good" : step == count ? "--bad" : "step \(step) of \(count)"
        let changes = step == 0 ? [] : plan.steps[step - 1].map(\.summary)
        Console.progress("Run \(run): \(entry.name) on \(label)" + (changes.isEmpty ? "" : " (\(changes.joined(separator: ", ")))"))
        let repository = try OSTreeRepository.open(at: request.stateDirectory + "/repo")
        let commit: String
        let ref: String
        switch step {
        case 0, count:
            commit = step == 0 ? good.commit : bad.commit
            ref = Bisector.refPrefix + commit.prefix(16)
            try repository.setRefImmediately(ref, to: commit)
        default:
            let packages = plan.packages(afterStep: step).map(\.nevra)
            ref = Bisector.refPrefix + Digest.sha256(packages.joined(separator: "\n")).prefix(16)
            var options = request.composeOptions
            options.ref = ref
            options.packageSet = packages
            do {
                commit = try Composer(options: options).compose(treefilePath: request.treefile).commit
            } catch {
                throw BisectError("\(label) (\(changes.joined(separator: ", "))): the candidate does not compose: \(error)")
            }
        }
        let directory = outputDirectory + "/run-\(run)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var image = TestImage(ref: ref, commit: commit)
        try image.prepare(stateDirectory: request.stateDirectory)
        let started = Date()
        let environment = try RunEnvironment(project: request.project, stateDirectory: request.stateDirectory, image: image,
                                             outputDirectory: directory, connectURI: request.connectURI, keepFailed: false,
                                             imageIsDefault: request.treefile == request.project.defaultTreefile,
                                             restoresFirstBoots: false)
        defer { environment.finish() }
        var options = RunOptions()
        options.kolaTarget = KolaTarget(distribution: request.distro, patterns: [entry.name])
        guard let result = TestScheduler(environment: environment, options: options).run([entry]).first else {
            throw BisectError("\(entry.name) did not run on \(label)")
        }
        try RunReports.write(RunResult(startedAt: started, duration: Date().timeIntervalSince(started), image: image.path,
                                       commit: commit, parallel: 1, tests: [result]), to: directory)
        if result.status == .skipped {
            throw BisectError("\(entry.name) was skipped on \(label): \(result.skipReason ?? "no reason given")")
        }
        Console.progress(String(format: "Run %d: %@ %@ on %@ in %.0f s", run, entry.name,
                                result.status == .passed ? "passed" : "failed", label, result.duration))
        return BisectReport.Candidate(step: step, label: label, commit: commit, changes: changes,
                                      passed: result.status == .passed, failure: result.failure,
                                      consoleExcerpt: result.consoleExcerpt, duration: result.duration,
                                      artifacts: directory + "/" + result.artifactsDirectory)
    }
}

/// `OUTPUT/bisect.log`: one line per plan step and per candidate, written as the bisect goes.
final class BisectLog {
    let path: String
    private let handle: FileHandle

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw BisectError("\(path): cannot create the bisect log")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    deinit { try? handle.close() }

    /// `text` with its lines joined: one line per run in the log.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    func write(_ line: String) {
        handle.write(Data((line + "\n").utf8))
    }
}
