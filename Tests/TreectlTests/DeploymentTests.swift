import Foundation
import TestSupport
import Testing
import ToolSupport

/// Changes of the deployment list: upgrade, deploy, rebase, rollback, kargs, cleanup, the
/// /etc merge and /var, and the sysroot lock.
@Suite struct DeploymentTests {
    @Test func rollbackTwiceReturnsToTheStart() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("upgrade")
        let start = try sysroot.deploymentIDs()
        #expect(start.count == 2)
        try sysroot.succeed("rollback")
        #expect(try sysroot.deploymentIDs() == [start[1], start[0]])
        #expect(try sysroot.deployments().first?["version"] as? String == "1")
        try sysroot.succeed("rollback")
        #expect(try sysroot.deploymentIDs() == start)
    }

    @Test func kargsAppearInTheBootEntryAndRollbackRestoresThem() throws {
        let sysroot = try ClientSysroot()
        #expect(try sysroot.succeed("kargs").stdout == "root=LABEL=root console=ttyS0\n")
        try sysroot.succeed("kargs", "--append", "harness.test=1", "--replace", "console=ttyS1")
        #expect(try sysroot.succeed("kargs").stdout == "root=LABEL=root console=ttyS1 harness.test=1\n")
        let options = try sysroot.bootEntryOptions()
        #expect(options.contains { $0.contains("harness.test=1") && $0.contains("console=ttyS1") && $0.contains("ostree=") })
        #expect(try sysroot.deployments().count == 2, "a new deployment of the same commit")
        try sysroot.succeed("kargs", "--delete", "harness.test")
        #expect(try sysroot.succeed("kargs").stdout == "root=LABEL=root console=ttyS1\n")
        try sysroot.succeed("rollback")
        #expect(try sysroot.succeed("kargs").stdout == "root=LABEL=root console=ttyS1 harness.test=1\n")
    }

    @Test func upgradeMergesEtcAndLeavesVarAlone() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let current = try sysroot.deploymentDirectory(0)
        try "edited locally\n".write(toFile: current + "/etc/fixture/base.conf", atomically: false, encoding: .utf8)
        try "added locally\n".write(toFile: current + "/etc/local.conf", atomically: false, encoding: .utf8)
        let state = sysroot.path + "/ostree/deploy/testos/var/lib/state.txt"
        try FileManager.default.createDirectory(atPath: (state as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "kept\n".write(toFile: state, atomically: false, encoding: .utf8)
        try sysroot.succeed("upgrade")
        #expect(try sysroot.file("/etc/fixture/base.conf") == "edited locally\n")
        #expect(try sysroot.file("/etc/local.conf") == "added locally\n")
        #expect(try sysroot.file("/etc/passwd")?.contains("fixtureuser") == true, "new defaults merged in")
        #expect(try String(contentsOfFile: state, encoding: .utf8) == "kept\n")
    }

    @Test func checkAndPreviewFetchOnlyMetadataAndDeployNothing() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let check = try sysroot.succeed("upgrade", "--check")
        #expect(check.stdout.contains("Update available: 1.1 (\(sysroot.server.version2))"))
        let preview = try sysroot.succeed("upgrade", "--preview")
        #expect(preview.stdout.contains("+ fixture-post-1.0-1.noarch"))
        #expect(try sysroot.deploymentIDs().count == 1)
        try sysroot.succeed("upgrade")
        #expect(try sysroot.succeed("upgrade", "--check").stdout.contains("No upgrade available."))
    }

    @Test func deployAVersionHoldsItUntilTheNextUpgrade() throws {
        let sysroot = try ClientSysroot()
        #expect(try sysroot.deployments().first?["version"] as? String == "1.1")
        try sysroot.succeed("deploy", "1")
        let held = try #require(try sysroot.deployments().first)
        #expect(held["checksum"] as? String == sysroot.server.version1)
        #expect(held["override-commit"] as? String == sysroot.server.version1)
        try sysroot.succeed("upgrade")
        let upgraded = try #require(try sysroot.deployments().first)
        #expect(upgraded["checksum"] as? String == sysroot.server.version2)
        #expect(upgraded["override-commit"] == nil)
        try sysroot.succeed("deploy", sysroot.server.version1)
        #expect(try sysroot.deployments().first?["checksum"] as? String == sysroot.server.version1)
    }

    @Test func rebaseKeepsTheLayers() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("install", "fixture-post")
        try sysroot.succeed("rebase", "test/full")
        let rebased = try #require(try sysroot.deployments().first)
        #expect(rebased["origin"] as? String == "harness:test/full")
        #expect(rebased["base-checksum"] as? String == sysroot.server.full)
        #expect(try sysroot.packages().contains("fixture-post-1.0-1.noarch"))
        #expect(try sysroot.packages().contains("fixture-app-1.0-1.noarch"))
    }

    @Test func cleanupRemovesTheRollbackDeploymentOnly() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("upgrade")
        let before = try sysroot.deploymentIDs()
        #expect(try sysroot.succeed("cleanup", "-p").stdout.contains("No deployments to remove."))
        try sysroot.succeed("cleanup", "-r")
        #expect(try sysroot.deploymentIDs() == [before[0]])
        #expect(try sysroot.treectl("cleanup").status != 0, "cleanup needs to be told what to remove")
    }

    @Test func theSysrootLockMakesConcurrentRunsTakeTurns() throws {
        let sysroot = try ClientSysroot()
        let treectl = BuiltExecutable.path("treectl")
        let processes = try ["first=1", "second=2"].map { argument -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: treectl)
            process.arguments = ["kargs", "--append", argument, "--sysroot", sysroot.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let arguments = try sysroot.succeed("kargs").stdout
        #expect(arguments.contains("first=1") && arguments.contains("second=2"), "neither change is lost: \(arguments)")
    }
}
