import Foundation
import Testing
import ToolSupport

/// `Program` on swift-subprocess: large input and output at once, the child's signal state,
/// timeouts, interrupts, daemonizing programs, output shown as it comes.
@Suite struct ProgramTests {
    @Test func largeInputAndOutputOnBothStreamsAtOnce() throws {
        // Writes 100 000 bytes to each stream before reading any input: a runner that wrote
        // all the input before reading would wait forever on a full pipe.
        let script = """
            head -c 100000 /dev/zero | tr '\\0' a
            head -c 100000 /dev/zero | tr '\\0' b >&2
            echo; wc -c
            """
        let result = try Program.run(["sh", "-c", script], input: Data(count: 1 << 20))
        #expect(result.status == 0)
        #expect(result.stdout == String(repeating: "a", count: 100_000) + "\n\(1 << 20)\n")
        #expect(result.stderr == String(repeating: "b", count: 100_000))
    }

    @Test func childrenStartWithDefaultSignalStateFromAThreadThatBlocksSignals() throws {
        // Ignored for the whole process (harmless here: writes to a closed pipe fail with
        // EPIPE instead); ignored signals stay ignored across exec unless the spawn resets them.
        signal(SIGPIPE, SIG_IGN)
        nonisolated(unsafe) var outcome: Result<ProgramResult, any Error>?
        let done = DispatchSemaphore(value: 0)
        Thread {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGTERM)
            sigaddset(&blocked, SIGINT)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            outcome = Result { try Program.run(["cat", "/proc/self/status"]) }
            done.signal()
        }.start()
        done.wait()
        let status = try #require(outcome).get().stdout
        #expect(Self.field("SigBlk", in: status) == "0000000000000000")
        // glibc's posix_spawn leaves its own two real-time signals ignored (32 and 33, for
        // thread cancellation and setxid), which no program can use: everything else is default.
        let glibcInternal: UInt64 = 0b11 << 31
        let ignored = try #require(Self.field("SigIgn", in: status).flatMap { UInt64($0, radix: 16) })
        #expect(String(ignored & ~glibcInternal, radix: 16) == "0")
    }

    @Test func aTimeoutEndsAProgramThatIgnoresSIGTERM() throws {
        let timeout = Duration.milliseconds(300)
        let start = ContinuousClock.now
        let error = try #require(throws: ProgramError.self) {
            try Program.run(["sh", "-c", "trap '' TERM; sleep 60 & echo $$ $!; wait"], timeout: timeout)
        }
        let elapsed = ContinuousClock.now - start
        #expect(error.kind == .timedOut(timeout))
        #expect("\(error)".hasPrefix("sh -c trap '' TERM; sleep 60 & echo $$ $!; wait ran longer than 0.3 seconds"))
        #expect(error.result?.status == 128 + SIGKILL)
        #expect(elapsed >= timeout + Program.terminationGrace, "SIGTERM alone did not end it")
        #expect(elapsed < timeout + Program.terminationGrace + .seconds(2))
        let pids = try #require(error.result).stdout.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(pids.count == 2)
        for pid in pids { #expect(Self.isGone(pid), "process \(pid) of the program") }
    }

    @Test func aTimeoutEndsAProgramThatHonoursSIGTERMAtOnce() throws {
        let start = ContinuousClock.now
        let error = try #require(throws: ProgramError.self) {
            try Program.run(["sleep", "60"], timeout: .milliseconds(100))
        }
        #expect(error.result?.status == 128 + SIGTERM)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(try Program.run(["true"], timeout: .seconds(60)).succeeded)
    }

    @Test func aProgramThatCannotStartIsNamed() {
        let error = #expect(throws: ProgramError.self) { try Program.run(["no-such-program-here", "x"]) }
        guard case .couldNotRun = error?.kind else { Issue.record("\(String(describing: error))"); return }
        #expect("\(error!)".hasPrefix("no-such-program-here: could not run: "))
    }

    @Test func aBackgroundProgramRunsUntilStoppedAndItsWholeGroupEnds() throws {
        let program = try BackgroundProgram(["sh", "-c", "sleep 60 & sleep 60"])
        #expect(program.isRunning)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(program.isRunning && program.exitStatus == nil)
        let group = try #require(program.processGroup)
        #expect(try Program.check(["pgrep", "-g", "\(group)"]).stdout.split(separator: "\n").count == 3, "sh and its two sleeps")
        program.stop()
        #expect(!program.isRunning)
        #expect(program.exitStatus == 128 + SIGTERM)
        let gone = DispatchTime.now() + 5
        while DispatchTime.now() < gone, (try? Program.run(["pgrep", "-g", "\(group)"]))?.succeeded == true {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try !Program.run(["pgrep", "-g", "\(group)"]).succeeded, "the background sleep went with its group")
    }

    @Test func aBackgroundProgramThatCannotStartIsNamedAndOneThatEndsSaysHow() throws {
        let error = #expect(throws: ProgramError.self) { try BackgroundProgram(["no-such-program-here"]) }
        #expect("\(error!)".hasPrefix("no-such-program-here: could not run: "))
        let failing = try BackgroundProgram(["sh", "-c", "echo refused >&2; exit 3"])
        for _ in 0..<100 where failing.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        #expect(failing.exitStatus == 3)
        #expect(failing.standardError == "refused\n")
    }

    @Test func endChildrenEndsRunningPrograms() async {
        // In a process of its own: endChildren() ends every running child of the process,
        // those of tests running alongside too.
        await #expect(processExitsWith: .success) {
            nonisolated(unsafe) var status: Int32?
            let returned = DispatchSemaphore(value: 0)
            Thread {
                status = try? Program.run(["sleep", "60"]).status
                returned.signal()
            }.start()
            var ended: Set<pid_t> = []
            for _ in 0..<500 where ended.isEmpty {
                usleep(10_000)
                ended = InterruptCleanup.shared.endChildren()
            }
            #expect(Self.wait(returned, seconds: 5), "Program.run returned")
            #expect(status == 128 + SIGTERM)
            #expect(ended.count == 1 && Self.isGone(ended.first!))
        }
    }

    @Test func runDaemonizingReturnsWhenTheProgramExitsThoughItsDaemonKeepsTheOutputOpen() throws {
        let start = ContinuousClock.now
        let result = try Program.runDaemonizing(["sh", "-c", "echo started $$; (sleep 30 &); exit 3"])
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(result.status == 3)
        #expect(result.stderr.hasPrefix("started "))
        if let group = pid_t(result.stderr.dropFirst("started ".count).trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(-group, SIGKILL)  // the daemon, still in the program's group
        }
    }

    @Test func runShowingOutputSendsBothStreamsToStderr() async {
        // In a process of its own, whose stderr the test reads; the program writes straight to
        // it, so what it prints shows as it comes.
        let result = await #expect(processExitsWith: .exitCode(4), observing: [\.standardErrorContent, \.standardOutputContent]) {
            exit(try Program.runShowingOutput(["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 4"]))
        }
        let stdout = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("to-stdout\nto-stderr\n"))
        #expect(!stdout.contains("to-stdout"))
    }

    /// The value of `name:` in a /proc status file.
    static func field(_ name: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }?
            .dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    /// Whether `pid` is gone, or a zombie (this machine's init may never reap orphans), within a second.
    static func isGone(_ pid: pid_t) -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if stat.split(separator: ")").last?.split(separator: " ").first == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits for `semaphore`, which async code (an exit test's body) may not do itself.
    static func wait(_ semaphore: DispatchSemaphore, seconds: Int) -> Bool {
        semaphore.wait(timeout: .now() + .seconds(seconds)) == .success
    }
}

/// Scratch directories named with their owner's pid: what a killed process left goes at the
/// next run, a live process's stays.
@Suite struct AbandonedScratchTests {
    @Test func onlyTheDirectoriesOfDeadProcessesAreRemoved() throws {
        let parent = try TemporaryDirectory(prefix: "harness-sweep-test-")
        defer { parent.remove() }
        let finished = try Program.run(["sh", "-c", "echo $$"])
        let dead = try #require(Int32(finished.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let abandoned = parent.path + "/harness-machine-\(dead)-AbC123"
        let mine = try TemporaryDirectory(prefix: "harness-machine-", in: parent.path)
        let other = parent.path + "/unrelated-\(dead)-AbC123"
        for path in [abandoned, other] { try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true) }
        #expect(mine.path.contains("-\(getpid())-"), "scratch names carry the owner's pid")
        let removed = AbandonedScratch.sweep([parent.path])
        #expect(removed == [abandoned])
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: mine.path), "a live process's scratch stays")
        #expect(FileManager.default.fileExists(atPath: other), "names without the prefix are not ours")
    }
}

/// Sizes print in the binary units they are given in.
@Suite struct ByteCountTests {
    @Test func sizesPrintAsGiven() {
        #expect(ByteCount.format(8 << 30) == "8 GiB", "--size 8G")
        #expect(ByteCount.format(512 << 20) == "512 MiB")
        #expect(ByteCount.format(1536 << 20) == "1.5 GiB")
        #expect(ByteCount.format(1023) == "1023 B")
        #expect(ByteCount.format(10 << 40) == "10 TiB")
    }
}
