import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness compose tree` stopped in the middle of a compose, while a postprocess script
/// runs in its sandbox over rofiles-fuse: by Ctrl-C, nothing is left at once; by SIGKILL,
/// what is left carries the dead pid, and the next run removes it. Either way no process of
/// it stays and no ref moves.
@Suite(.serialized) struct InterruptedComposeTests {
    /// A compose whose postprocess script sleeps with a marker that names this test, started
    /// and waited for until the script runs; the process and the marker.
    func composeStoppedInScript(_ testbed: ComposeTestbed) throws -> (Process, String) {
        let marker = "\(Int.random(in: 100_000...999_999))"
        try "#!/bin/sh\nexec sleep \(marker)\n".write(toFile: testbed.directory + "/post.sh", atomically: true, encoding: .utf8)
        try testbed.writeTreefile(packages: ["fixture-lib"], extra: "postprocess-script: post.sh\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltExecutable.path("harness"))
        process.arguments = ["compose", "tree", "--repo", testbed.repository, "--cachedir", testbed.cacheDirectory,
                             testbed.treefilePath]
        process.environment = environment(testbed)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !isRunning(marker), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        try #require(isRunning(marker), "the postprocess script never started")
        return (process, marker)
    }

    /// Scratch of its own (`TMPDIR`), so that no other harness a parallel test starts sweeps it.
    func environment(_ testbed: ComposeTestbed) -> [String: String] {
        let tmp = testbed.directory + "/tmp"
        try? FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        return ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp]) { $1 }
    }

    func isRunning(_ marker: String) -> Bool {
        (try? Program.run(["pgrep", "-f", "sleep \(marker)"]))?.succeeded ?? false
    }

    /// Whether the sandboxed script is gone within 5 s: it dies of bwrap's death signal, which
    /// the kernel delivers a moment after bwrap (under load, after harness has exited).
    func hasEnded(_ marker: String) -> Bool {
        for _ in 0..<50 where isRunning(marker) { Thread.sleep(forTimeInterval: 0.1) }
        return !isRunning(marker)
    }

    /// Scratch directories and mounts of the process `pid`.
    func leftovers(of pid: pid_t, _ testbed: ComposeTestbed) -> [String] {
        let places = [testbed.directory + "/tmp", testbed.cacheDirectory + "/tmp"]
        let directories = places.flatMap { place in
            ((try? FileManager.default.contentsOfDirectory(atPath: place)) ?? []).filter { $0.contains("-\(pid)-") }
        }
        return directories + MountTable.mountPoints().filter { $0.contains("-\(pid)-") }
    }

    @Test func ctrlCLeavesNothingAndMovesNoRef() throws {
        let testbed = try ComposeTestbed()
        let (process, marker) = try composeStoppedInScript(testbed)
        #expect(!leftovers(of: process.processIdentifier, testbed).isEmpty, "the compose is under way")
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(hasEnded(marker), "the script in the sandbox was ended")
        #expect(leftovers(of: process.processIdentifier, testbed).isEmpty)
        #expect(try testbed.refs().isEmpty)
    }

    @Test func afterSIGKILLTheNextRunRemovesWhatWasLeft() throws {
        let testbed = try ComposeTestbed()
        let (process, marker) = try composeStoppedInScript(testbed)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killed = process.processIdentifier
        #expect(hasEnded(marker), "bubblewrap ends the sandbox with its parent")
        #expect(!leftovers(of: killed, testbed).isEmpty, "SIGKILL leaves the scratch tree and the rofiles-fuse mount")
        try testbed.writeTreefile(packages: ["fixture-lib"])
        let next = try Program.run([BuiltExecutable.path("harness"), "compose", "tree", "--repo", testbed.repository,
                                    "--cachedir", testbed.cacheDirectory, testbed.treefilePath], environment: environment(testbed))
        #expect(next.succeeded, "\(next.stderr)")
        #expect(next.stderr.contains("Removed"), "the next run says what it removed")
        #expect(leftovers(of: killed, testbed).isEmpty)
        #expect(try testbed.refs().count == 1)
    }
}
