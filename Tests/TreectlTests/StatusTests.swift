import Foundation
import TestSupport
import Testing
import ToolSupport

/// `treectl status` on a directory sysroot made with ostree's own admin commands.
@Suite struct StatusTests {
    static var treectl: String { BuiltExecutable.path("treectl") }

    /// A sysroot with one deployment of a tiny commit (a text file stands in for the kernel,
    /// as ostree's own tests do), and the commit.
    func makeSysroot(in scratch: String) throws -> (sysroot: String, commit: String) {
        let tree = scratch + "/tree"
        for directory in ["usr/lib/modules/6.1.0-test", "usr/etc", "usr/lib"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + directory, withIntermediateDirectories: true)
        }
        try "kernel".write(toFile: tree + "/usr/lib/modules/6.1.0-test/vmlinuz", atomically: true, encoding: .utf8)
        try "ID=test\nVERSION_ID=1\n".write(toFile: tree + "/usr/lib/os-release", atomically: true, encoding: .utf8)
        let sysroot = scratch + "/sysroot"
        try FileManager.default.createDirectory(atPath: sysroot, withIntermediateDirectories: true)
        try Program.check(["ostree", "admin", "init-fs", sysroot])
        try Program.check(["ostree", "admin", "os-init", "--sysroot=" + sysroot, "testos"])
        let commit = try Program.check(["ostree", "--repo=" + sysroot + "/ostree/repo", "commit", "--branch=test/os",
                                        "--add-metadata-string=version=7.1", "--tree=dir=" + tree]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try Program.check(["ostree", "admin", "deploy", "--sysroot=" + sysroot, "--os=testos", "test/os"])
        return (sysroot, commit)
    }

    @Test func jsonListsTheDeploymentInRpmOstreesSchema() throws {
        let scratch = try TemporaryDirectory(prefix: "treectl-status-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let (sysroot, commit) = try makeSysroot(in: scratch.path)
        let result = try Program.run([Self.treectl, "status", "--json", "--sysroot", sysroot])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let deployments = try #require(document?["deployments"] as? [[String: Any]])
        #expect(deployments.count == 1)
        let deployment = try #require(deployments.first)
        #expect(deployment["checksum"] as? String == commit)
        #expect(deployment["osname"] as? String == "testos")
        #expect(deployment["origin"] as? String == "test/os")
        #expect(deployment["version"] as? String == "7.1")
        #expect(deployment["booted"] as? Bool == false, "a directory sysroot is not booted")
        #expect(deployment["staged"] as? Bool == false)
        #expect(deployment["pinned"] as? Bool == false)
        #expect(deployment["requested-packages"] as? [String] == [])
    }

    @Test func textShowsOriginVersionAndCommit() throws {
        let scratch = try TemporaryDirectory(prefix: "treectl-status-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let (sysroot, commit) = try makeSysroot(in: scratch.path)
        let result = try Program.run([Self.treectl, "status", "--sysroot", sysroot])
        #expect(result.status == 0)
        #expect(result.stdout.contains("test/os"))
        #expect(result.stdout.contains("Version: 7.1"))
        #expect(result.stdout.contains("Commit: \(commit)"))
    }

    @Test func aDirectoryThatIsNoSysrootIsAnError() throws {
        let scratch = try TemporaryDirectory(prefix: "treectl-status-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let result = try Program.run([Self.treectl, "status", "--sysroot", scratch.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains(scratch.path))
    }
}

/// `--sysroot` and `--os` go before the command as well as after it, as the README writes them.
@Suite struct OptionOrderTests {
    @Test func sysrootAndOSBeforeTheCommandWorkAsAfterIt() throws {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        let treectl = BuiltExecutable.path("treectl")
        let after = try Program.run([treectl, "status", "--json", "--sysroot", sysroot.path, "--os", "testos"])
        let before = try Program.run([treectl, "--sysroot", sysroot.path, "--os=testos", "status", "--json"])
        let nested = try Program.run([treectl, "--sysroot=" + sysroot.path, "db", "list", "0"])
        #expect(after.succeeded && before.succeeded, "\(after.stderr) \(before.stderr)")
        #expect(before.stdout == after.stdout && before.stdout.contains(sysroot.server.version1))
        #expect(nested.succeeded && nested.stdout.contains("fixture-base-files"), "\(nested.stderr)")
    }
}
