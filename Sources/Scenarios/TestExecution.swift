import Foundation
import ImageBuild
import Kola
import Machine
import Results
import ToolSupport

/// Runs one test, or a group of kola tests that share a machine, and turns what happened
/// into results with artifacts in `OUTPUT/NAME`.
struct TestExecution {
    let environment: RunEnvironment

    /// Runs a scenario or an exclusive kola test on a machine of its own; `iteration` is the
    /// run of `--multiply`, if any.
    func run(_ entry: TestEntry, iteration: Int? = nil) -> TestResult {
        let startedAt = Date()
        let log: TestLog
        do { log = try TestLog(name: entry.name, directory: artifactsPath(entry.name, iteration)) } catch {
            return result(entry.name, iteration, entry.kind, startedAt: startedAt, log: nil, failure: error, excerpt: nil)
        }
        let session = GuestSession(environment: environment, log: log, memoryMiB: entry.memoryMiB)
        session.restoresFirstBoots = environment.restoresFirstBoots && !entry.tags.contains(RunEnvironment.firstBootTag)
        let checksBase = !entry.tags.contains(ExternalTest.skipBaseChecksTag)
        session.checksBaseState = checksBase
        var failure: (any Error)?
        do {
            switch entry {
            case .scenario(let scenario):
                try ScenarioRunner(scenario: scenario, session: session).run()
            case .external(let test):
                try prepare(session, for: [test])
                let image = try environment.imagePath(kernelArguments: test.kernelArguments)
                try log.step("boot") { try session.boot(image: image, diskSize: test.metadata.minDiskGiB.map { UInt64($0) << 30 }) }
                try log.step("run \(test.name)") { try ExternalTestRunner(session: session).run(test, allowReboot: true) }
            }
            if checksBase { try session.machine?.checkConsole() }
        } catch {
            failure = error
        }
        let excerpt = failure == nil ? nil : session.consoleExcerpt()
        session.stop(keepDisk: failure != nil && environment.keepFailed)
        session.finish()
        return result(entry.name, iteration, entry.kind, startedAt: startedAt, log: log, failure: failure, excerpt: excerpt)
    }

    /// Runs kola tests that allow it (`exclusive: false`) one after the other on one
    /// machine, as kola does; each still gets its own result and transcript, and the shared
    /// machine's console and journal go to every one of them.
    func runShared(_ tests: [ExternalTest], group: String, iteration: Int? = nil) -> [TestResult] {
        let startedAt = Date()
        let groupLog: TestLog
        do { groupLog = try TestLog(name: group, directory: environment.outputDirectory + "/" + group) } catch {
            return tests.map { result($0.name, iteration, "external", startedAt: startedAt, log: nil, failure: error, excerpt: nil) }
        }
        let session = GuestSession(environment: environment, log: groupLog, memoryMiB: tests.map { TestEntry.external($0).memoryMiB }.max() ?? Scenario.defaultMemoryMiB)
        session.restoresFirstBoots = environment.restoresFirstBoots
            && !tests.contains { $0.metadata.tags.contains(RunEnvironment.firstBootTag) }
        var bootFailure: (any Error)?
        do {
            try prepare(session, for: tests)
            try groupLog.step("boot") { try session.boot() }
        } catch {
            bootFailure = error
        }
        var results: [TestResult] = []
        var logs: [TestLog] = []
        for test in tests {
            let testStart = Date()
            let log: TestLog
            do { log = try TestLog(name: test.name, directory: artifactsPath(test.name, iteration)) } catch {
                results.append(result(test.name, iteration, "external", startedAt: testStart, log: nil, failure: error, excerpt: nil))
                continue
            }
            logs.append(log)
            var failure = bootFailure
            if failure == nil {
                session.log = log
                do {
                    try log.step("run \(test.name)") { try ExternalTestRunner(session: session).run(test, allowReboot: false) }
                    if !test.metadata.tags.contains(ExternalTest.skipBaseChecksTag) { try session.machine?.checkConsole() }
                } catch {
                    failure = error
                }
                session.log = groupLog
            }
            let excerpt = failure == nil ? nil : session.consoleExcerpt()
            results.append(result(test.name, iteration, "external", startedAt: testStart, log: log, failure: failure, excerpt: excerpt))
        }
        session.stop(keepDisk: results.contains { $0.status == .failed } && environment.keepFailed)
        for log in logs {
            for artifact in ["console.txt", "journal.txt"] {
                if let text = try? String(contentsOfFile: groupLog.directory + "/" + artifact, encoding: .utf8) {
                    log.append(text, to: artifact)
                }
            }
        }
        return results
    }

    /// Attaches the disk carrying the tests and mounts it after each boot, and makes the
    /// scratch disks the tests ask for.
    private func prepare(_ session: GuestSession, for tests: [ExternalTest]) throws {
        let disk = try environment.externalTestDisk()
        session.bootDisks = [.readOnly(disk)]
        session.afterBoot = { session in
            try session.mount(disk: disk, label: ExternalTestRunner.diskLabel, at: ExternalTestRunner.mountPoint)
        }
        // kola's disk options (`5G:mpath`) are warned about when the run starts; the size stays.
        for (index, disk) in tests.flatMap(\.metadata.additionalDisks).enumerated() {
            let size = String(disk.prefix { $0 != ":" })
            guard let bytes = ImageOptions.parseSize(size) else {
                throw ScenarioError("additionalDisks: '\(disk)' does not start with a size (5G, 512M)")
            }
            try session.addScratchDisk(named: "disk\(index)", bytes: bytes)
        }
    }

    private func artifactsPath(_ name: String, _ iteration: Int?) -> String {
        environment.outputDirectory + "/" + TestResult.artifactsDirectory(name: name, iteration: iteration)
    }

    private func result(_ name: String, _ iteration: Int?, _ kind: String, startedAt: Date, log: TestLog?,
                        failure: (any Error)?, excerpt: String?) -> TestResult {
        TestResult(name: name, iteration: iteration, kind: kind, status: failure == nil ? .passed : .failed, startedAt: startedAt,
                   duration: Date().timeIntervalSince(startedAt), steps: log?.steps ?? [], boots: log?.boots ?? [],
                   failure: failure.map { String(describing: $0) }, consoleExcerpt: excerpt,
                   artifactsDirectory: TestResult.artifactsDirectory(name: name, iteration: iteration))
    }
}

extension ExternalTest {
    /// kola's `appendKernelArgs`, split into arguments.
    var kernelArguments: [String] {
        (metadata.appendKernelArgs ?? "").split(separator: " ").map(String.init)
    }
}
