import Foundation
@testable import ImageBuild
import TestSupport
import Testing
import ToolSupport

/// `BootEntryCheck` on disks made here as an ostree image lays them out (MBR, ext4 `boot` and
/// `root`): the default entry of the loader the bootloader sees, followed through ostree's
/// symlinks on the root filesystem; a missing target is named.
@Suite struct BootEntryCheckTests {
    /// A qcow2 disk with /boot's `loader -> loader.1` and one entry, and a root filesystem
    /// that has (or lacks) the deployment the entry names.
    func disk(rootHasDeployment: Bool) throws -> (TemporaryDirectory, String) {
        let scratch = try TemporaryDirectory(prefix: "harness-bootcheck-test-")
        let boot = scratch.path + "/boot-tree", root = scratch.path + "/root-tree"
        try FileManager.default.createDirectory(atPath: boot + "/loader.1", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: boot + "/loader", withDestinationPath: "loader.1")
        try """
            UI menu.c32
            DEFAULT Test OS 2 (ostree:os:0)
            LABEL Test OS 2 (ostree:os:0)
            \tKERNEL /boot/ostree/os-abc/vmlinuz
            \tAPPEND root=LABEL=root rw ostree=/ostree/boot.1/os/abc/0
            LABEL Test OS 1 (ostree:os:1)
            \tAPPEND root=LABEL=root rw ostree=/ostree/boot.1/os/def/0
            """.write(toFile: boot + "/loader.1/syslinux.cfg", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/ostree/boot.1.0/os/abc", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/ostree/boot.1", withDestinationPath: "boot.1.0")
        try FileManager.default.createSymbolicLink(atPath: root + "/ostree/boot.1.0/os/abc/0",
                                                   withDestinationPath: "../../../deploy/os/deploy/abc.0")
        try FileManager.default.createDirectory(atPath: root + "/ostree/deploy/os/deploy/def.0/usr", withIntermediateDirectories: true)
        if rootHasDeployment {
            try FileManager.default.createDirectory(atPath: root + "/ostree/deploy/os/deploy/abc.0/usr", withIntermediateDirectories: true)
        }
        let raw = scratch.path + "/disk.raw"
        try Program.check(["truncate", "-s", "80M", raw])
        let table = try Program.run(["sfdisk", "--quiet", raw],
                                    input: Data("label: dos\nstart=2048, size=32768, type=83\nstart=34816, type=83\n".utf8))
        try #require(table.succeeded, "sfdisk: \(table.stderr)")
        try Program.check(["mkfs.ext4", "-q", "-L", "boot", "-d", boot, "-E", "offset=\(2048 * 512)", raw, "16M"])
        try Program.check(["mkfs.ext4", "-q", "-L", "root", "-d", root, "-E", "offset=\(34816 * 512)", raw, "40M"])
        let qcow2 = scratch.path + "/disk.qcow2"
        try Program.check(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2])
        return (scratch, qcow2)
    }

    @Test func theDefaultEntryIsFollowedToItsDeployment() throws {
        let (scratch, qcow2) = try disk(rootHasDeployment: true)
        defer { scratch.remove() }
        let finding = try #require(try BootEntryCheck(disk: qcow2, scratch: scratch.path).inspect())
        #expect(finding.loader == "loader.1")
        #expect(finding.entryTitle == "Test OS 2 (ostree:os:0)")
        #expect(finding.ostreeArgument == "/ostree/boot.1/os/abc/0")
        #expect(finding.deployment == "/ostree/deploy/os/deploy/abc.0")
        #expect(finding.bootsADeployment)
    }

    @Test func aDefaultEntryLeadingNowhereIsNamed() throws {
        let (scratch, qcow2) = try disk(rootHasDeployment: false)
        defer { scratch.remove() }
        let finding = try #require(try BootEntryCheck(disk: qcow2, scratch: scratch.path).inspect())
        #expect(!finding.bootsADeployment)
        #expect(finding.missing == "/ostree/deploy/os/deploy/abc.0 is missing")
        #expect(finding.description.contains("would boot 'Test OS 2 (ostree:os:0)' with ostree=/ostree/boot.1/os/abc/0, which does not exist"))
    }
}
