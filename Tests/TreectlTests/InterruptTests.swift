import Foundation
import TestSupport
import Testing
import ToolSupport

/// treectl stopped at named failpoints (`HARNESS_FAILPOINTS`): Ctrl-C while a layered tree is
/// being built, and SIGKILL after the new deployment was checked out but before the list was
/// written. Either way the deployment list is as it was and the next run works.
@Suite struct InterruptTests {
    /// Starts treectl on the sysroot with a failpoint set; stderr is read into `errors`.
    func start(_ arguments: [String], sysroot: ClientSysroot, failpoint: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltExecutable.path("treectl"))
        process.arguments = arguments + ["--sysroot", sysroot.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["HARNESS_FAILPOINTS": failpoint]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    /// The deployment directories on disk (deployed or left behind).
    func deploymentDirectories(_ sysroot: ClientSysroot) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: sysroot.path + "/ostree/deploy/testos/deploy")
            .filter { !$0.hasSuffix(".origin") }
    }

    @Test func ctrlCWhileLayeringRemovesTheScratchTreeAndChangesNothing() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let before = try sysroot.deploymentIDs()
        let (process, errors) = try start(["install", "fixture-post"], sysroot: sysroot,
                                          failpoint: "layering-before-commit=pause")
        var seen = ""
        while !seen.contains("failpoint layering-before-commit") {
            let chunk = errors.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "treectl ended before the failpoint: \(seen)")
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sysroot.repository + "/tmp")
            .contains { $0.hasPrefix("treectl-") }, "the layered tree is being built")
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(try sysroot.deploymentIDs() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sysroot.repository + "/tmp")
            .filter { $0.hasPrefix("treectl-") }.isEmpty, "the scratch tree is gone")
        try sysroot.succeed("install", "fixture-post")
        #expect(try sysroot.packages().contains("fixture-post-1.0-1.noarch"))
    }

    @Test func killedBeforeTheListIsWrittenLeavesItAsItWas() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let before = try sysroot.deploymentIDs()
        let (process, _) = try start(["install", "fixture-app"], sysroot: sysroot, failpoint: "deploy-before-write=kill")
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try sysroot.deploymentIDs() == before, "the checked-out deployment was never listed")
        #expect(try deploymentDirectories(sysroot).count == 2, "the killed run left its checkout behind")
        try sysroot.succeed("install", "fixture-app")
        #expect(try sysroot.deploymentIDs().count == 2)
        #expect(try deploymentDirectories(sysroot).count == 2, "the next run's clean-up removed the leftover")
    }
}
