import Foundation
import TestSupport
import Testing
import ToolSupport

/// Packages made by an attacker, given to `treectl install` as root on a client: scriptlets
/// stay in their sandbox, nothing is written through a hard link into the deployments that
/// exist (the one running and the one to roll back to stay byte for byte what they were),
/// nothing follows a symlink out of the tree, and signatures are checked where the
/// deployment's repository asks for them.
@Suite struct HostileLayeringTests {
    /// A sysroot with two deployments (version 1, pinned so that it stays as the one to roll
    /// back to, then the upgrade to 1.1 on top, the one a change starts from) and the
    /// repository `hostile` of `packages` in its `/etc/yum.repos.d`.
    func sysroot(_ packages: [TestPackage], options: [String] = ["gpgcheck=0"]) throws -> ClientSysroot {
        let sysroot = try ClientSysroot(commit: UpdateServer.shared().version1)
        try sysroot.succeed("upgrade")
        try Program.check(["ostree", "admin", "pin", "--sysroot=" + sysroot.path, "1"])
        let repository = try TestPackage.repository(packages, in: sysroot.scratch.path + "/hostile-repo")
        _ = try repository.writeRepoFile(named: "hostile", in: try sysroot.deploymentDirectory(0) + "/etc/yum.repos.d",
                                         options: options)
        return sysroot
    }

    /// Digests of every existing deployment's tree, by directory.
    func snapshots(_ sysroot: ClientSysroot) throws -> [String: String] {
        var result: [String: String] = [:]
        for index in 0..<2 {
            let directory = try sysroot.deploymentDirectory(index)
            result[directory] = try TreeSnapshot.digest(of: directory)
        }
        return result
    }

    func expectUnchanged(_ before: [String: String]) throws {
        for (directory, digest) in before {
            #expect(try TreeSnapshot.digest(of: directory) == digest, "\(directory) changed")
        }
    }

    @Test func aScriptletCannotMountMakeDevicesOrChangeKernelSettings() throws {
        let corePattern = SandboxProbe.hostCorePattern()
        let sysroot = try sysroot([TestPackage("probe-post", post: SandboxProbe.script(results: "/usr/share/probe"))])
        let before = try snapshots(sysroot)
        try sysroot.succeed("install", "probe-post")
        let outcome = SandboxProbe.outcome(in: try sysroot.deploymentDirectory(0) + "/usr/share/probe")
        #expect(outcome.mount == "refused")
        #expect(outcome.mknod == "refused")
        #expect(outcome.corePattern == "refused")
        #expect(outcome.effectiveCapabilities.map { $0 & (1 << 21 | 1 << 27) } == 0, "no sys_admin, no mknod")
        #expect(SandboxProbe.hostCorePattern() == corePattern)
        try expectUnchanged(before)
    }

    @Test func aScriptletWritingABasePackagesFileLeavesTheOtherDeploymentsAlone() throws {
        let tamperer = TestPackage("tamperer", install: ["mkdir -p %{buildroot}/usr/share/tamperer"], files: ["/usr/share/tamperer"],
                                   post: "echo tampered >> /usr/share/fixture/base.txt\nchmod 4777 /usr/share/fixture/base.txt")
        let sysroot = try sysroot([tamperer])
        let before = try snapshots(sysroot)
        try sysroot.succeed("install", "tamperer")
        #expect(try sysroot.file("/usr/share/fixture/base.txt") == "fixture base files\ntampered\n")
        try expectUnchanged(before)
        #expect(try Program.run(["ostree", "fsck", "--repo=" + sysroot.repository]).succeeded)
    }

    @Test func filesUnderASymlinkToTheHostNeverReachTheHost() throws {
        let canary = try HostCanary()
        let linker = TestPackage("linker", install: ["mkdir -p %{buildroot}/usr/share", "ln -s \(canary.path) %{buildroot}/usr/share/x"],
                                 files: ["/usr/share/x"])
        // A %post makes the client assemble the tree on disk rather than in memory.
        let follower = TestPackage("follower", install: ["mkdir -p %{buildroot}/usr/share/x", "echo escaped > %{buildroot}/usr/share/x/victim"],
                                   files: ["/usr/share/x/victim"], post: "true", requires: ["linker"])
        let sysroot = try sysroot([linker, follower])
        let before = try snapshots(sysroot)
        let idsBefore = try sysroot.deploymentIDs()
        let result = try sysroot.treectl("install", "follower")
        #expect(!result.succeeded)
        #expect(result.stderr.contains("follower-1.0-1.noarch"))
        #expect(try sysroot.deploymentIDs() == idsBefore)
        #expect(try canary.isUntouched())
        try expectUnchanged(before)
    }

    @Test func anUnsignedPackageIsRefusedWhereTheRepositoryRequiresSignatures() throws {
        let key = try TestSigningKey(name: "vendor")
        let packages = ["signed", "unsigned"].map {
            TestPackage($0, install: ["mkdir -p %{buildroot}/usr/share/\($0)"], files: ["/usr/share/\($0)"])
        }
        // The key lives in the deployment, named by a path inside it, as on a real client.
        let sysroot = try sysroot(packages, options: ["gpgcheck=1", "gpgkey=file:///etc/pki/rpm-gpg/vendor.asc"])
        let repository = FixtureRepository(directory: sysroot.scratch.path + "/hostile-repo")
        try key.sign(package: repository.rpmPath("signed-1.0-1.noarch"))
        try Program.check(["createrepo_c", "--quiet", repository.directory])
        let keys = try sysroot.deploymentDirectory(0) + "/etc/pki/rpm-gpg"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: key.publicKeyPath, toPath: keys + "/vendor.asc")

        let idsBefore = try sysroot.deploymentIDs()
        let refused = try sysroot.treectl("install", "unsigned")
        #expect(!refused.succeeded)
        #expect(refused.stderr.contains("unsigned-1.0-1.noarch"))
        #expect(refused.stderr.contains("is not signed"))
        #expect(try sysroot.deploymentIDs() == idsBefore)
        try sysroot.succeed("install", "signed")
        #expect(try sysroot.packages().contains("signed-1.0-1.noarch"))
    }
}
