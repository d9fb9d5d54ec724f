import Foundation
import ToolSupport

/// How `harness run` runs its selection.
public struct RunOptions: Sendable {
    /// Machines running at once, at most (the host's memory may allow fewer).
    public var parallel = 1
    /// How many times a failed test runs again; passing on a rerun makes it flaky, not failed.
    public var rerunFailed = 0
    public var denylist: Denylist?

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
    private var results: [String: TestResult] = [:]
    private var entriesByName: [String: TestEntry] = [:]

    /// One machine's worth of work.
    private enum Job {
        case single(TestEntry)
        /// kola tests with `exclusive: false`, sharing one machine.
        case shared([ExternalTest], attempt: Int)

        var memoryMiB: Int {
            switch self {
            case .single(let entry): entry.memoryMiB
            case .shared(let tests, _): tests.map { TestEntry.external($0).memoryMiB }.max() ?? Scenario.defaultMemoryMiB
            }
        }

        var title: String {
            switch self {
            case .single(let entry): entry.name
            case .shared(let tests, _): "\(tests.count) kola tests sharing a machine"
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
        for entry in entries {
            if let reason = options.denylist?.reason(for: entry.name) {
                Console.progress("SKIP \(entry.name): \(reason)")
                results[entry.name] = TestResult(name: entry.name, kind: entry.kind, status: .skipped, startedAt: Date(),
                                                 duration: 0, skipReason: reason, attempts: 0, artifactsDirectory: entry.name)
            } else if case .external(let test) = entry, !entry.exclusive {
                shared.append(test)
            } else {
                pending.append(.single(entry))
            }
            if let warning = options.denylist?.warning(for: entry.name) { Console.warning("\(entry.name): \(warning)") }
        }
        if !shared.isEmpty { pending.append(.shared(shared, attempt: 1)) }
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
        return entries.compactMap { results[$0.name] }
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
        case .single(let entry): return [execution.run(entry)]
        case .shared(let tests, let attempt): return execution.runShared(tests, group: "shared-machine-\(attempt)")
        }
    }

    /// Keeps the results of a job; failed tests with attempts left go back in the queue.
    private func record(_ outcome: [TestResult]) {
        lock.withLock {
            var rerunShared: [ExternalTest] = []
            for var result in outcome {
                let previous = results[result.name]
                let attempt = (previous?.attempts ?? 0) + 1
                result.attempts = attempt
                result.flaky = result.status == .passed && previous?.status == .failed
                if result.flaky { result.failure = previous?.failure }
                results[result.name] = result
                Console.progress(summaryLine(result))
                guard result.status == .failed, attempt <= options.rerunFailed else { continue }
                Console.progress("RERUN \(result.name) (attempt \(attempt + 1))")
                switch entriesByName[result.name] {
                case .external(let test) where !TestEntry.external(test).exclusive: rerunShared.append(test)
                case let entry?: pending.append(.single(entry))
                case nil: break
                }
            }
            if !rerunShared.isEmpty { pending.append(.shared(rerunShared, attempt: (results[rerunShared[0].name]?.attempts ?? 1) + 1)) }
        }
    }

    private func fail(_ job: Job, _ error: any Error) -> [TestResult] {
        let names: [(String, String)] = switch job {
        case .single(let entry): [(entry.name, entry.kind)]
        case .shared(let tests, _): tests.map { ($0.name, "external") }
        }
        return names.map { TestResult(name: $0.0, kind: $0.1, status: .failed, startedAt: Date(), duration: 0,
                                      failure: String(describing: error), artifactsDirectory: $0.0) }
    }

    /// `PASS upgrade-rollback (4m 12s, 55% booting)` or `FAIL ...: why`.
    func summaryLine(_ result: TestResult) -> String {
        let share = result.duration > 0 ? Int((result.bootTime / result.duration * 100).rounded()) : 0
        let time = String(format: "%.0f s, %d%% booting", result.duration, share)
        switch result.status {
        case .passed: return "\(result.flaky ? "FLAKY" : "PASS") \(result.name) (\(time))"
        case .skipped: return "SKIP \(result.name): \(result.skipReason ?? "")"
        case .failed:
            return "FAIL \(result.name) (\(time)): " + (result.failure?.split(separator: "\n").first.map(String.init) ?? "")
        }
    }
}
