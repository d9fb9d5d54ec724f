import Foundation
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// `harness run` stopped while a machine boots: Ctrl-C leaves no QEMU, no program and no
    /// scratch directory of it; SIGKILL leaves its QEMU and scratch, which the next run removes as
    /// soon as it starts. Nested in the boot suite, so that it too boots one machine at a time.
    @Suite struct InterruptedRunTests {
        /// Starts `harness run ext.harness.mounts` and returns once its machine is booting, with
        /// the file its stderr goes to (a file: nothing reads a pipe while it composes and boots).
        func runStoppedInBoot() throws -> (Process, String) {
            let output = try ProcessScratchDirectory.path() + "/interrupted-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let errorsPath = output + ".stderr"
            _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: HarnessExecutable.path)
            process.arguments = ["run", "--state-dir", DefaultImageBootTests.stateDirectory, "--project", TestPaths.packageRoot,
                                 "--output", output, "--no-restore", "ext.harness.mounts"]
            // Scratch of its own, so that no harness a parallel test starts sweeps it.
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["LIBVIRT_LOG_OUTPUTS": "4:stderr", "TMPDIR": Self.scratchParent]) { $1 }
            process.standardError = FileHandle(forWritingAtPath: errorsPath)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // The image is composed and built on first use: minutes, the first time. Stop as
            // soon as QEMU runs: the whole test run takes less than a minute once it boots.
            let deadline = Date().addingTimeInterval(900)
            while !qemuRunning(for: process.processIdentifier), process.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.25)
            }
            try #require(qemuRunning(for: process.processIdentifier), "no machine started")
            return (process, errorsPath)
        }

        /// Whether a QEMU of a domain of harness `pid` runs (domains are named `harness-PID-...`).
        func qemuRunning(for pid: pid_t) -> Bool {
            (try? Program.run(["pgrep", "-f", "guest=harness-\(pid)-"]))?.succeeded ?? false
        }

        static let scratchParent: String = {
            let path = "/var/tmp/harness-interrupted-run-tests"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }()

        func scratch(of pid: pid_t) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: Self.scratchParent)) ?? [])
                .filter { $0.hasPrefix("harness-") && $0.contains("-\(pid)-") }
        }

        @Test func ctrlCInTheMiddleOfABootLeavesNothing() throws {
            let (process, _) = try runStoppedInBoot()
            let pid = process.processIdentifier
            #expect(!scratch(of: pid).isEmpty, "the machine's overlay is there while it boots")
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 128 + SIGINT)
            #expect(!qemuRunning(for: pid))
            #expect(scratch(of: pid).isEmpty, "\(scratch(of: pid))")
        }

        @Test func afterSIGKILLTheNextRunRemovesTheMachineAndItsScratch() throws {
            let (killed, _) = try runStoppedInBoot()
            let pid = killed.processIdentifier
            kill(pid, SIGKILL)
            killed.waitUntilExit()
            #expect(qemuRunning(for: pid), "QEMU outlives the process that embedded libvirt's driver")
            #expect(!scratch(of: pid).isEmpty)

            let (next, errors) = try runStoppedInBoot()
            #expect(!qemuRunning(for: pid), "the next run destroyed the machine the killed one left")
            #expect(scratch(of: pid).isEmpty, "and removed its scratch: \(scratch(of: pid))")
            next.interrupt()
            next.waitUntilExit()
            let said = try String(contentsOfFile: errors, encoding: .utf8)
            #expect(said.contains("left running by an interrupted run"), "it says what it destroyed")
            #expect(!qemuRunning(for: next.processIdentifier))
            #expect(scratch(of: next.processIdentifier).isEmpty)
        }
    }
}
