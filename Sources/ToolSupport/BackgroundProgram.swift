import Foundation
internal import Subprocess

/// A program left running beside us (a web server, an SSH tunnel) until `stop()` or deinit,
/// run by `Program` on a thread of its own: its process group is ended on Ctrl-C like any
/// child's, and `stop()` ends it (SIGTERM, then SIGKILL) and waits for it.
public final class BackgroundProgram: @unchecked Sendable {
    public let arguments: [String]
    private let lock = NSLock()
    private var group: pid_t?
    private var status: Int32?
    private var errorText = ""
    private let finished = DispatchSemaphore(value: 0)
    private var stopped = false

    /// Starts the program; returns once it has been spawned (or throws when it could not be).
    public init(_ arguments: [String]) throws {
        self.arguments = arguments
        let spawned = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            var exit: Int32 = -1, text = ""
            do {
                let result = try Program.execute(arguments, input: .none, output: .discarded, error: .string(limit: 64 << 10),
                                                 started: { group in
                                                     self.lock.withLock { self.group = group }
                                                     spawned.signal()
                                                 })
                exit = result.status
                text = result.error
            } catch {
                text = "\(error)"
            }
            lock.withLock {
                status = exit
                errorText = text
                if group == nil { spawned.signal() }
            }
            finished.signal()
        }
        thread.start()
        spawned.wait()
        if lock.withLock({ group == nil }) {
            finished.wait()
            lock.withLock { stopped = true }
            throw ProgramError(command: arguments, kind: .couldNotRun(reason: lock.withLock { errorText }))
        }
    }

    /// Its process group (its pid).
    public var processGroup: Int32? { lock.withLock { group } }

    /// Whether the program still runs.
    public var isRunning: Bool { lock.withLock { status == nil } }

    /// Its exit status, once it ended.
    public var exitStatus: Int32? { lock.withLock { status } }

    /// What it wrote to stderr (the first 64 KiB), once it ended.
    public var standardError: String { lock.withLock { errorText } }

    /// Ends the program and waits until it has been reaped.
    public func stop() {
        let (running, alreadyStopped) = lock.withLock { () -> (pid_t?, Bool) in
            defer { stopped = true }
            return (status == nil ? group : nil, stopped)
        }
        guard !alreadyStopped else { return }
        if let running { Program.end(processGroups: [running]) }
        finished.wait()
    }

    deinit { stop() }
}
