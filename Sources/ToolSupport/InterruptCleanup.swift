import Foundation

/// Scratch paths that must not outlive the process, removed on normal exit by their owners
/// and on Ctrl-C or SIGTERM by the handler installed here; the handler also ends the programs
/// still running, as does the process's exit.
public final class InterruptCleanup: @unchecked Sendable {
    public static let shared = InterruptCleanup()

    private let lock = NSLock()
    private var paths: Set<String> = []
    private var actions: [String: @Sendable () -> Void] = [:]
    private var children: Set<pid_t> = []
    private var sources: [DispatchSourceSignal] = []
    private var signalHandlersInstalled = false
    /// The thread running the interrupt handler, once one runs.
    private var handlerThread: pthread_t?

    /// Removes `path` if the process is interrupted before `unregister`.
    public func register(_ path: String) {
        lock.withLock { _ = paths.insert(path) }
    }

    public func unregister(_ path: String) {
        lock.withLock { _ = paths.remove(path) }
    }

    /// Runs `action` (destroying a VM, say) if the process is interrupted before
    /// `unregisterAction(key)`. Actions run before paths are removed.
    public func registerAction(_ key: String, _ action: @escaping @Sendable () -> Void) {
        lock.withLock { actions[key] = action }
    }

    public func unregisterAction(_ key: String) {
        lock.withLock { _ = actions.removeValue(forKey: key) }
    }

    /// Ends the process group `group`, a running child of `Program` in a group of its own, if
    /// the process is interrupted or exits before `unregisterChild`.
    func registerChild(_ group: pid_t) {
        _ = Self.endChildrenAtExit
        lock.withLock { _ = children.insert(group) }
    }

    /// A program left running in the background by an object that lives as long as the
    /// process (a test's shared HTTP server) would outlive it: at exit, the children go too.
    private static let endChildrenAtExit: Void = {
        atexit { InterruptCleanup.shared.endChildren() }
    }()

    func unregisterChild(_ group: pid_t) {
        lock.withLock { _ = children.remove(group) }
    }

    /// Ends the running children of `Program`, each with its process group: SIGTERM, up to
    /// `Program.terminationGrace` for them to go, then SIGKILL. Returns the groups it ended.
    @discardableResult
    public func endChildren() -> Set<pid_t> {
        let running = lock.withLock { children }
        Program.end(processGroups: running)
        return running
    }

    /// Once an interrupt is being handled, parks the calling thread for good: the handler
    /// ends the process with 128 + signal after its clean-up, and a thread that saw its child
    /// end must not exit first (with another status, the clean-up half done).
    public func parkIfInterrupted() {
        // The handler's own thread runs programs too (unmounting, destroying): never park it.
        guard let handler = lock.withLock({ handlerThread }), pthread_equal(handler, pthread_self()) == 0 else { return }
        while true { pause() }
    }

    /// On SIGINT or SIGTERM: end the running children, run every registered action, remove every
    /// registered path, then exit with 128 + signal. Installs once however often it is called
    /// (a second handler would run the clean-up twice, racing the first).
    public func installSignalHandlers() {
        let first = lock.withLock {
            defer { signalHandlersInstalled = true }
            return !signalHandlersInstalled
        }
        guard first else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                FileHandle.standardError.write(Data("interrupted: cleaning up\n".utf8))
                lock.withLock { handlerThread = pthread_self() }
                endChildren()
                let (pending, pendingActions) = lock.withLock { (paths, actions) }
                for action in pendingActions.values { action() }
                for path in pending { FileTree.removeRecursively(path) }
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }
}
