import Foundation
import Kola
import Results
import ToolSupport

/// How `harness run` runs its selection.
public struct RunOptions: Sendable {
    /// Machines running at once, at most (the host's memory may allow fewer).
    public var parallel = 1
    /// How many times a failed test runs again; passing on a rerun makes it flaky, not failed.
    public var rerunFailed = 0
    /// How many times each test runs (kola's `--multiply`): each run is a result of its own,
    /// and the reports give every test's pass rate.
    public var multiply = 1
    public var denylist: Denylist?
    /// How kola tests are filtered (platforms, architectures, distros, requiredTag).
    public var kolaTarget = KolaTarget()

    public init() {}
}

/// Runs the selected tests: denylisted ones skipped, the others on up to `parallel` workers,
/// each machine's memory reserved first, failed ones run again as asked; results in the
/// order of the selection.
public final class TestScheduler: @unchecked Sendable {
    let environment: RunEnvironment
    let options: RunOptions
    private let budget = MemoryBudget.ofThisHost()
    private let lock = NSLock()
    private var pending: [Job] = []
    private var results: [ResultKey: TestResult] = [:]
    private var entriesByName: [String: TestEntry] = [:]

    /// A test's result among those of the run: with `--multiply`, one per iteration.
    private struct ResultKey: Hashable {
        var name: String
        var iteration: Int?
    }

    /// One machine's worth of work; `iteration` is the run of `--multiply` (nil without it).
    private enum Job {
        case single(TestEntry, iteration: Int?)
        /// kola tests with `exclusive: false`, sharing one machine.
        case shared([ExternalTest], attempt: Int, iteration: Int?)

        var memoryMiB: Int {
            switch self {
            case .single(let entry, _): entry.memoryMiB
            case .shared(let tests, _, _): tests.map { TestEntry.external($0).memoryMiB }.max() ?? Scenario.defaultMemoryMiB
            }
        }

        var title: String {
            switch self {
            case .single(let entry, let iteration): entry.name + (iteration.map { " (run \($0))" } ?? "")
            case .shared(let tests, _, _): "\(tests.count) kola tests sharing a machine"
            }
        }
    }

    public init(environment: RunEnvironment, options: RunOptions) {
        self.environment = environment
        self.options = options
    }

    public func run(_ entries: [TestEntry]) -> [TestResult] {
        var shared: [ExternalTest] = []
        entriesByName = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let iterations: [Int?] = options.multiply > 1 ? Array(1...options.multiply) : [nil]
        for entry in entries {
            if let reason = options.denylist?.reason(for: entry.name) ?? environment.skipReason(for: entry) ?? kolaSkipReason(entry) {
                Console.progress("SKIP \(entry.name): \(reason)")
                for iteration in iterations {
                    results[ResultKey(name: entry.name, iteration: iteration)] = TestResult(
                        name: entry.name, iteration: iteration, kind: entry.kind, status: .skipped, startedAt: Date(),
                        duration: 0, skipReason: reason, attempts: 0,
                        artifactsDirectory: TestResult.artifactsDirectory(name: entry.name, iteration: iteration))
                }
            } else {
                if case .external(let test) = entry { KolaTarget.warnings(for: test).forEach(Console.warning) }
                if case .external(let test) = entry, !entry.exclusive {
                    shared.append(test)
                } else {
                    pending += iterations.map { .single(entry, iteration: $0) }
                }
            }
            if let warning = options.denylist?.warning(for: entry.name) { Console.warning("\(entry.name): \(warning)") }
        }
        if !shared.isEmpty { pending += iterations.map { .shared(shared, attempt: 1, iteration: $0) } }
        environment.setExternalTests(entries.compactMap { if case .external(let test) = $0 { test } else { nil } })

        let finished = DispatchGroup()
        for index in 0..<max(1, min(options.parallel, pending.count)) {
            finished.enter()
            // Composes run on these threads too: give them a main thread's stack.
            let worker = Thread { [self] in
                work(label: options.parallel > 1 ? "worker \(index + 1)" : nil)
                finished.leave()
            }
            worker.stackSize = 8 << 20
            worker.start()
        }
        finished.wait()
        return entries.flatMap { entry in iterations.compactMap { results[ResultKey(name: entry.name, iteration: $0)] } }
    }

    private func kolaSkipReason(_ entry: TestEntry) -> String? {
        guard case .external(let test) = entry else { return nil }
        return options.kolaTarget.skipReason(for: test)
    }

    /// Takes jobs until none is left.
    private func work(label: String?) {
        while let job = lock.withLock({ pending.isEmpty ? nil : pending.removeFirst() }) {
            let reservation = MemoryBudget.reservation(forGuest: job.memoryMiB)
            do {
                try budget.reserve(reservation)
            } catch {
                record(fail(job, error))
                continue
            }
            Console.progress("START \(job.title)")
            let outcome = label.map { label in Console.labelled(label) { execute(job) } } ?? execute(job)
            budget.release(reservation)
            record(outcome)
        }
    }

    private func execute(_ job: Job) -> [TestResult] {
        let execution = TestExecution(environment: environment)
        switch job {
        case .single(let entry, let iteration): return [execution.run(entry, iteration: iteration)]
        case .shared(let tests, let attempt, let iteration):
            return execution.runShared(tests, group: "shared-machine-\(attempt)" + (iteration.map { "-run-\($0)" } ?? ""),
                                       iteration: iteration)
        }
    }

    /// Keeps the results of a job; failed tests with attempts left go back in the queue.
    private func record(_ outcome: [TestResult]) {
        lock.withLock {
            var rerunShared: [ExternalTest] = []
            for var result in outcome {
                let key = ResultKey(name: result.name, iteration: result.iteration)
                let previous = results[key]
                let attempt = (previous?.attempts ?? 0) + 1
                result.attempts = attempt
                result.flaky = result.status == .passed && previous?.status == .failed
                if result.flaky { result.failure = previous?.failure }
                results[key] = result
                Console.progress(summaryLine(result))
                guard result.status == .failed, attempt <= options.rerunFailed else { continue }
                Console.progress("RERUN \(result.displayName) (attempt \(attempt + 1))")
                switch entriesByName[result.name] {
                case .external(let test) where !TestEntry.external(test).exclusive: rerunShared.append(test)
                case let entry?: pending.append(.single(entry, iteration: result.iteration))
                case nil: break
                }
            }
            if let first = outcome.first, !rerunShared.isEmpty {
                let attempt = (results[ResultKey(name: rerunShared[0].name, iteration: first.iteration)]?.attempts ?? 1) + 1
                pending.append(.shared(rerunShared, attempt: attempt, iteration: first.iteration))
            }
        }
    }

    private func fail(_ job: Job, _ error: any Error) -> [TestResult] {
        let (names, iteration): ([(String, String)], Int?) = switch job {
        case .single(let entry, let iteration): ([(entry.name, entry.kind)], iteration)
        case .shared(let tests, _, let iteration): (tests.map { ($0.name, "external") }, iteration)
        }
        return names.map {
            TestResult(name: $0.0, iteration: iteration, kind: $0.1, status: .failed, startedAt: Date(), duration: 0,
                       failure: String(describing: error),
                       artifactsDirectory: TestResult.artifactsDirectory(name: $0.0, iteration: iteration))
        }
    }

    /// `PASS upgrade-rollback (4m 12s, 55% booting)` or `FAIL ...: why`.
    func summaryLine(_ result: TestResult) -> String {
        let share = result.duration > 0 ? Int((result.bootTime / result.duration * 100).rounded()) : 0
        let time = String(format: "%.0f s, %d%% booting", result.duration, share)
        switch result.status {
        case .passed: return "\(result.flaky ? "FLAKY" : "PASS") \(result.displayName) (\(time))"
        case .skipped: return "SKIP \(result.displayName): \(result.skipReason ?? "")"
        case .failed:
            return "FAIL \(result.displayName) (\(time)): " + (result.failure?.split(separator: "\n").first.map(String.init) ?? "")
        }
    }
}
