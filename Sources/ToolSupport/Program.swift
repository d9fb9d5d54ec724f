import Foundation
internal import Subprocess
import SystemPackage

/// The outcome of a program run to completion.
public struct ProgramResult: Sendable {
    /// The exit status, or 128 + the signal that ended the program, as a shell reports it.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }

    /// The last lines the program printed (stderr, then stdout), joined on one line, for an
    /// error message.
    public func outputTail(lines: Int = 3, includingStdout: Bool = true) -> String {
        (stderr + (includingStdout ? stdout : "")).lastLinesOnOneLine(lines)
    }
}

extension String {
    /// The last `count` lines, joined with ` | `: a command's output inside a one-line error.
    public func lastLinesOnOneLine(_ count: Int) -> String {
        split(whereSeparator: \.isNewline).suffix(count).joined(separator: " | ")
    }

    /// The string as one word for a POSIX shell: in single quotes, each quote escaped.
    public var shellQuoted: String {
        "'" + replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// A program that exited non-zero, with what it printed.
public struct ProgramFailure: Error, CustomStringConvertible {
    public var command: [String]
    public var result: ProgramResult
    public var description: String {
        let last = result.outputTail(includingStdout: false)
        return "\(command.joined(separator: " ")) exited with \(result.status)" + (last.isEmpty ? "" : ": \(last)")
    }
}

/// A program that did not run to its end: it could not be run at all, or it outlived its
/// timeout and was ended.
public struct ProgramError: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// Not found in PATH, not executable, no such working directory, or its pipes failed.
        case couldNotRun(reason: String)
        /// It ran longer than this and was ended (see `Program.terminationGrace`).
        case timedOut(Duration)
    }

    public var command: [String]
    public var kind: Kind
    /// What it printed before it was ended; nil when it could not run.
    public var result: ProgramResult?

    public var description: String {
        switch kind {
        case .couldNotRun(let reason):
            return "\(command[0]): could not run: \(reason)"
        case .timedOut(let timeout):
            let last = result?.outputTail(includingStdout: false) ?? ""
            return "\(command.joined(separator: " ")) ran longer than \(timeout) and was ended"
                + (last.isEmpty ? "" : ": \(last)")
        }
    }
}

/// Runs helper programs (bwrap, rpmbuild, createrepo_c) and captures their output.
///
/// Each program starts with default signal dispositions and an empty signal mask, whatever
/// thread starts it, in a process group of its own (its pid is the group's id) so that it can be
/// ended together with what it starts and keeps in its group (bwrap's sandbox goes with bwrap
/// through `--die-with-parent`): on a timeout, or by `InterruptCleanup` on SIGINT or SIGTERM
/// while it runs. Its stdin is /dev/null unless it is given input. Callers may be on any thread,
/// Swift Testing's tasks included (see `CallingThreadExecutor`).
public enum Program {
    /// How long a program being ended gets between SIGTERM and SIGKILL.
    public static let terminationGrace: Duration = .seconds(3)

    /// Runs `arguments[0]` (looked up in PATH) and returns its status and output. A program
    /// still running after `timeout` is ended, and `ProgramError` `.timedOut` thrown.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil, input: Data? = nil,
                           timeout: Duration? = nil) throws -> ProgramResult {
        let (status, stdout, stderr, timedOut) = if let input {
            try execute(arguments, environment: environment, currentDirectory: currentDirectory, timeout: timeout,
                        input: .data(input), output: .string(limit: .max), error: .string(limit: .max))
        } else {
            try execute(arguments, environment: environment, currentDirectory: currentDirectory, timeout: timeout,
                        input: .none, output: .string(limit: .max), error: .string(limit: .max))
        }
        let result = ProgramResult(status: status, stdout: stdout, stderr: stderr)
        if timedOut, let timeout { throw ProgramError(command: arguments, kind: .timedOut(timeout), result: result) }
        return result
    }

    /// Runs a long job whose output is progress for the user: both its streams go to our
    /// stderr as they come. Returns its exit status.
    public static func runShowingOutput(_ arguments: [String], currentDirectory: String? = nil) throws -> Int32 {
        try execute(arguments, currentDirectory: currentDirectory,
                    input: .none, output: .currentStandardError, error: .currentStandardError).status
    }

    /// Runs a program that leaves a daemon behind (`rofiles-fuse`): the daemon inherits the
    /// program's output, so it goes to a file, unlinked at once, instead of pipes that would not
    /// reach end-of-file while the daemon lives. Returns once the program itself has exited.
    public static func runDaemonizing(_ arguments: [String]) throws -> ProgramResult {
        let path = NSTemporaryDirectory() + "program-output-" + UUID().uuidString
        let descriptor = try SystemCallError.check("create", path) {
            open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        unlink(path)
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let status = try execute(arguments, input: .none,
                                 output: .fileDescriptor(FileDescriptor(rawValue: descriptor), closeAfterSpawningProcess: false),
                                 error: .combinedWithOutput).status
        try file.seek(toOffset: 0)
        return ProgramResult(status: status, stdout: "", stderr: String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self))
    }

    /// Like `run`, but a non-zero exit throws `ProgramFailure`.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String]? = nil,
                             currentDirectory: String? = nil) throws -> ProgramResult {
        let result = try run(arguments, environment: environment, currentDirectory: currentDirectory)
        guard result.succeeded else { throw ProgramFailure(command: arguments, result: result) }
        return result
    }

    /// Runs a program to its end with swift-subprocess; see `Program`.
    static func execute<Input: InputProtocol, Output: OutputProtocol, Error: ErrorOutputProtocol>(
        _ arguments: [String], environment: [String: String]? = nil, currentDirectory: String? = nil,
        timeout: Duration? = nil, input: Input, output: Output, error: Error, started: (@Sendable (pid_t) -> Void)? = nil
    ) throws -> (status: Int32, output: Output.OutputType, error: Error.OutputType, timedOut: Bool) {
        let name = arguments[0]
        var options = PlatformOptions()
        options.processGroupID = 0
        let configuration = Configuration(
            executable: name.contains("/") ? .path(FilePath(name)) : .name(name),
            arguments: Arguments(executablePathOverride: name, remainingValues: Array(arguments.dropFirst())),
            // Raw entries go to strdup as they are: each must carry its NUL (swift-subprocess's own
            // `updating` adds it too); without one, strdup copied whatever followed in memory.
            environment: environment.map { .custom($0.map { Array("\($0.key)=\($0.value)\0".utf8) }) } ?? .inherit,
            workingDirectory: currentDirectory.map { FilePath($0) },
            platformOptions: options)
        let child = RunningChild()
        defer { child.finish() }
        let result: ExecutionResult<Void, Output, Error>
        do {
            result = try CallingThreadExecutor.run {
                try await Subprocess.run(configuration, input: input, output: output, error: error) { execution in
                    child.started(group: execution.processIdentifier.value, timeout: timeout)
                    started?(execution.processIdentifier.value)
                }
            }
        } catch let failure as SubprocessError {
            throw ProgramError(command: arguments, kind: .couldNotRun(reason: "\(failure)"))
        }
        // A child ended by an interrupt is not a failure to report: the handler exits.
        InterruptCleanup.shared.parkIfInterrupted()
        let status = switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
        return (status, result.standardOutput, result.standardError, child.timedOut)
    }

    /// Ends process groups: SIGTERM to each, up to `terminationGrace` for them to empty, then
    /// SIGKILL to those left. A group empties once its last process is reaped (an orphan by
    /// init, which on some containers never happens: then this waits the whole grace).
    static func end(processGroups groups: some Collection<pid_t>) {
        for group in groups { kill(-group, SIGTERM) }
        let deadline = ContinuousClock.now + terminationGrace
        var left = Array(groups)
        while !left.isEmpty && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            left.removeAll { kill(-$0, 0) != 0 }
        }
        for group in left { kill(-group, SIGKILL) }
    }
}

/// A child of `Program` while it runs: its process group is registered with `InterruptCleanup`,
/// and ended by a timer when it outlives its timeout.
private final class RunningChild: @unchecked Sendable {
    private let lock = NSLock()
    private var group: pid_t?
    private var timer: DispatchWorkItem?
    private var endedByTimeout = false

    /// Called as soon as the child is spawned.
    func started(group: pid_t, timeout: Duration?) {
        InterruptCleanup.shared.registerChild(group)
        lock.withLock { self.group = group }
        guard let timeout else { return }
        let timer = DispatchWorkItem { [self] in
            lock.withLock { endedByTimeout = true }
            Program.end(processGroups: [group])
        }
        lock.withLock { self.timer = timer }
        // A queue of its own: ending a group waits, and must not wait for other work.
        DispatchQueue(label: "Program timeout").asyncAfter(
            deadline: .now() + .nanoseconds(Int(timeout / .nanoseconds(1))), execute: timer)
    }

    /// Whether its timeout ended it.
    var timedOut: Bool { lock.withLock { endedByTimeout } }

    /// Called once the child has been reaped, or could not start.
    func finish() {
        lock.withLock {
            timer?.cancel()
            if let group { InterruptCleanup.shared.unregisterChild(group) }
        }
    }
}

/// Runs an async operation to its end from synchronous code, on the calling thread, which
/// blocks meanwhile.
///
/// Why that cannot deadlock: the calling thread itself is the task executor of the operation
/// and of every child task it starts, and runs their jobs as they are enqueued, so the
/// operation needs no other thread to make progress. That matters because a caller may hold
/// one of the few threads (one per core) of Swift's cooperative pool: Swift Testing runs
/// synchronous tests as tasks there, and a plain Task-and-semaphore bridge hangs as soon as
/// every pool thread is a test waiting for its Task. The one job swift-subprocess still sends
/// to the pool (each run awaits an unstructured task, which does not inherit an executor
/// preference) runs at `.low` priority: Dispatch keeps a pool per priority, and no caller
/// blocks at `.low` (callers are the main thread, Dispatch workers, and Swift Testing's tasks,
/// at `.medium`).
private final class CallingThreadExecutor<Value: Sendable>: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var outcome: Result<Value, any Error>?

    static func run(_ operation: sending @escaping () async throws -> Value) throws -> Value {
        let executor = CallingThreadExecutor()
        Task(executorPreference: executor, priority: .low) {
            let outcome: Result<Value, any Error>
            do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
            executor.condition.withLock {
                executor.outcome = outcome
                executor.condition.signal()
            }
        }
        return try executor.runJobs().get()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Runs jobs until the operation has an outcome.
    private func runJobs() -> Result<Value, any Error> {
        while true {
            let next: UnownedJob? = condition.withLock {
                while jobs.isEmpty && outcome == nil { condition.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let next else { return condition.withLock { outcome! } }
            next.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
