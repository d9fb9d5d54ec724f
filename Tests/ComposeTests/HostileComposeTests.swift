import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport
import TreeAssembly

/// Packages and treefiles made by an attacker, composed as root: each attempt ends in a clear
/// error or stays inside the tree; the host (a canary directory, the kernel's settings) and
/// the package cache (`ostree fsck`) stay as they were.
@Suite struct HostileComposeTests {
    /// A testbed whose `fixtures` repository holds `packages`, built with rpmbuild now.
    func testbed(_ packages: [TestPackage]) throws -> ComposeTestbed {
        let directory = try ProcessScratchDirectory.path() + "/hostile-" + UUID().uuidString
        return try ComposeTestbed(packages: TestPackage.repository(packages, in: directory))
    }

    /// Checks the package cache and target repository, and returns the compose's error text.
    func composeFailure(_ testbed: ComposeTestbed) throws -> String {
        let message = errorText { _ = try testbed.compose() }
        #expect(try testbed.refs().isEmpty, "a failed compose moves no ref")
        #expect(try testbed.packageCacheIsValid())
        return try #require(message, "the compose should have failed")
    }

    func expectContained(_ outcome: SandboxProbe.Outcome) {
        let kept = SandboxedCommand.keptCapabilities.map { SandboxProbe.capabilityNumbers[$0.name] }
        #expect(!kept.contains(nil), "every kept capability has a known number")
        let mask = kept.compactMap { $0 }.reduce(UInt64(0)) { $0 | 1 << UInt64($1) }
        #expect(outcome.effectiveCapabilities == mask)
        #expect(outcome.mount == "refused")
        #expect(outcome.mknod == "refused")
        #expect(outcome.corePattern == "refused")
    }

    // MARK: The sandbox

    @Test func scriptletsCannotMountMakeDevicesOrChangeKernelSettings() throws {
        let corePattern = SandboxProbe.hostCorePattern()
        let testbed = try testbed([TestPackage("probe-post", post: SandboxProbe.script(results: "/usr/share/probe"))])
        try testbed.writeTreefile(packages: ["probe-post"])
        let tree = try testbed.checkout(testbed.compose().commit)
        expectContained(SandboxProbe.outcome(in: tree + "/usr/share/probe"))
        #expect(SandboxProbe.hostCorePattern() == corePattern)
        #expect(try testbed.packageCacheIsValid())
    }

    @Test func postprocessScriptRunsInTheSameSandbox() throws {
        let corePattern = SandboxProbe.hostCorePattern()
        let testbed = try testbed([TestPackage("plain", install: ["mkdir -p %{buildroot}/usr/share/plain"],
                                               files: ["/usr/share/plain"])])
        try ("#!/bin/sh\n" + SandboxProbe.script(results: "/usr/share/probe"))
            .write(toFile: testbed.directory + "/post.sh", atomically: true, encoding: .utf8)
        try testbed.writeTreefile(packages: ["plain"], extra: "postprocess-script: post.sh\n")
        let tree = try testbed.checkout(testbed.compose().commit)
        expectContained(SandboxProbe.outcome(in: tree + "/usr/share/probe"))
        #expect(SandboxProbe.hostCorePattern() == corePattern)
    }

    // MARK: Shared files

    @Test func scriptletCannotWriteThroughToThePackageCache() throws {
        let victim = TestPackage("victim", install: ["mkdir -p %{buildroot}/usr/share/victim",
                                                     "echo original > %{buildroot}/usr/share/victim/file"],
                                 files: ["/usr/share/victim"])
        let tamperer = TestPackage("tamperer", install: ["mkdir -p %{buildroot}/usr/share/tamperer"],
                                   files: ["/usr/share/tamperer"],
                                   post: "echo tampered >> /usr/share/victim/file\nchmod 4777 /usr/share/victim/file",
                                   requires: ["victim"])
        let testbed = try testbed([victim, tamperer])
        try testbed.writeTreefile(packages: ["victim", "tamperer"])
        let tampered = try testbed.checkout(testbed.compose().commit)
        // The script's change belongs to its own tree...
        #expect(try String(contentsOfFile: tampered + "/usr/share/victim/file", encoding: .utf8) == "original\ntampered\n")
        #expect(try FileManager.default.attributesOfItem(atPath: tampered + "/usr/share/victim/file")[.posixPermissions] as? Int == 0o4777)
        // ...and to no other: the cache object is intact, and the next compose gets the original.
        #expect(try testbed.packageCacheIsValid())
        try testbed.writeTreefile(packages: ["victim"], ref: "fixture/clean")
        let clean = try testbed.checkout(testbed.compose().commit)
        #expect(try String(contentsOfFile: clean + "/usr/share/victim/file", encoding: .utf8) == "original\n")
        #expect(try FileManager.default.attributesOfItem(atPath: clean + "/usr/share/victim/file")[.posixPermissions] as? Int == 0o644)
    }

    // MARK: Symlinks out of the tree

    @Test func filesUnderAPackagesSymlinkToTheHostNeverReachTheHost() throws {
        let canary = try HostCanary()
        let linker = TestPackage("linker", install: ["mkdir -p %{buildroot}/usr/share",
                                                     "ln -s \(canary.path) %{buildroot}/usr/share/x"],
                                 files: ["/usr/share/x"])
        let follower = TestPackage("follower", install: ["mkdir -p %{buildroot}/usr/share/x",
                                                         "echo escaped > %{buildroot}/usr/share/x/file",
                                                         "echo escaped > %{buildroot}/usr/share/x/victim"],
                                   files: ["/usr/share/x/file", "/usr/share/x/victim"], requires: ["linker"])
        let testbed = try testbed([linker, follower])
        try testbed.writeTreefile(packages: ["linker", "follower"])
        let message = try composeFailure(testbed)
        #expect(message.contains("follower-1.0-1.noarch"))
        #expect(message.contains("/usr/share/x"))
        #expect(try canary.isUntouched())
    }

    @Test func aPackagesSymlinkIsFollowedInsideTheTreeAsRpmWould() throws {
        let canary = try HostCanary()
        // Absolute and escaping relative links both mean the tree's own root.
        let linker = TestPackage("linker", install: [
            "mkdir -p %{buildroot}/usr/share %{buildroot}/usr/lib/target",
            "ln -s /usr/lib/target %{buildroot}/usr/share/absolute",
            "ln -s ../../../../../../../../usr/lib/target %{buildroot}/usr/share/relative",
        ], files: ["/usr/share/absolute", "/usr/share/relative", "%dir /usr/lib/target"])
        let follower = TestPackage("follower", install: [
            "mkdir -p %{buildroot}/usr/share/absolute %{buildroot}/usr/share/relative",
            "echo a > %{buildroot}/usr/share/absolute/a", "echo r > %{buildroot}/usr/share/relative/r",
        ], files: ["/usr/share/absolute/a", "/usr/share/relative/r"], requires: ["linker"])
        let testbed = try testbed([linker, follower])
        try testbed.writeTreefile(packages: ["linker", "follower"])
        let tree = try testbed.checkout(testbed.compose().commit)
        #expect(try String(contentsOfFile: tree + "/usr/lib/target/a", encoding: .utf8) == "a\n")
        #expect(try String(contentsOfFile: tree + "/usr/lib/target/r", encoding: .utf8) == "r\n")
        #expect(try canary.isUntouched())
    }

    @Test func addFilesAndRemoveFilesStayInsideTheTree() throws {
        let canary = try HostCanary()
        let linker = TestPackage("linker", install: ["mkdir -p %{buildroot}/usr/share",
                                                     "ln -s \(canary.path) %{buildroot}/usr/share/x"],
                                 files: ["/usr/share/x"])
        let testbed = try testbed([linker])
        try "added\n".write(toFile: testbed.directory + "/added", atomically: true, encoding: .utf8)
        try testbed.writeTreefile(packages: ["linker"], extra: "add-files: [[added, /usr/share/x/added]]\n")
        let message = try composeFailure(testbed)
        #expect(message.contains("add-files"))
        #expect(try canary.isUntouched())

        // remove-files through the package's link, and through one a postprocess script made.
        try "#!/bin/sh\nln -s \(canary.path) /usr/share/made-by-script\n"
            .write(toFile: testbed.directory + "/post.sh", atomically: true, encoding: .utf8)
        try testbed.writeTreefile(packages: ["linker"], extra: """
            postprocess-script: post.sh
            remove-files: [usr/share/x/victim, usr/share/made-by-script/victim]
            """)
        let tree = try testbed.checkout(testbed.compose().commit)
        #expect(FileTree.isSymlink(tree + "/usr/share/made-by-script"))
        #expect(try canary.isUntouched())
    }

    @Test func unitsAreEnabledByUnitNameNeverByPath() throws {
        let canary = try HostCanary()
        let unit = "[Unit]\\nDescription=x\\n[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=../../../../../../..\(canary.path)/target\\n"
        let package = TestPackage("evil-unit", install: ["mkdir -p %{buildroot}/usr/lib/systemd/system",
                                                         "printf '\(unit)' > %{buildroot}/usr/lib/systemd/system/evil.service"],
                                  files: ["/usr/lib/systemd/system/evil.service"])
        let testbed = try testbed([package])
        try testbed.writeTreefile(packages: ["evil-unit"], extra: "units: [evil.service]\n")
        let message = try composeFailure(testbed)
        #expect(message.contains("evil.service"))
        #expect(message.contains("not a unit name"))
        #expect(try canary.isUntouched())
    }

    // MARK: Bounds

    @Test func aPayloadFileShorterThanItsHeaderSaysIsRefused() throws {
        let package = TestPackage("short", install: ["mkdir -p %{buildroot}/usr/share/short",
                                                     "head -c 4096 /dev/zero | tr '\\0' x > %{buildroot}/usr/share/short/data"],
                                  files: ["/usr/share/short"])
        let directory = try ProcessScratchDirectory.path() + "/hostile-" + UUID().uuidString
        let repository = try TestPackage.repository([package], in: directory, payload: "w.ufdio")
        try ForgedPackage.truncate(repository.rpmPath("short-1.0-1.noarch"), entry: "./usr/share/short/data", keep: 10)
        try Program.check(["createrepo_c", "--quiet", directory])
        // rpm itself accepts the package's digests: only the file's size and digest disagree.
        #expect(try Program.run(["rpmkeys", "--checksig", repository.rpmPath("short-1.0-1.noarch")]).succeeded)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["short"])
        let message = try composeFailure(testbed)
        #expect(message.contains("short-1.0-1.noarch.rpm"))
        #expect(message.contains("/usr/share/short/data"))
        #expect(message.contains("holds 10 bytes where the header says 4096"))
    }

    @Test func commitMetadataOverLibostreesLimitIsRefusedBeforeAnythingIsCommitted() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib"])
        let refs = try testbed.compose().ref
        let big = String(repeating: "x", count: 11 << 20)
        try testbed.writeTreefile(packages: ["fixture-lib"], extra: "add-commit-metadata:\n  huge: \(big)\n")
        let before = try testbed.refs()
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(try testbed.refs() == before, "\(refs) did not move")
        #expect(message.contains("add-commit-metadata"))
        #expect(message.contains("huge"))
        #expect(message.contains("10 MiB"))
        #expect(try testbed.repositoryIsValid())
    }
}
