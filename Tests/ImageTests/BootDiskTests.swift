import Foundation
@testable import Machine
import TestSupport
import Testing
import ToolSupport

/// How `spawn` opens each format harness writes: by name, and the archives by their one
/// disk member (nothing else extracted).
@Suite struct BootDiskTests {
    @Test func formatsFollowTheFileName() {
        #expect(BootDisk.format(ofFileNamed: "os-qemu.qcow2") == "qcow2")
        #expect(BootDisk.format(ofFileNamed: "os-metal4k.raw") == "raw")
        #expect(BootDisk.format(ofFileNamed: "os-aws.vmdk") == "vmdk")
        #expect(BootDisk.format(ofFileNamed: "os-azure.vhd") == "vpc")
        #expect(BootDisk.format(ofFileNamed: "os-hyperv.vhdx") == "vhdx")
        #expect(BootDisk.format(ofFileNamed: "os-gcp.tar.gz") == nil)
    }

    /// libvirt opens a VHDX backing file as raw (it has no name for the format): the disk
    /// boots from a qcow2 copy in the machine's scratch, with the same bytes.
    @Test func aVHDXBootsFromACopyLibvirtCanName() throws {
        let scratch = try TemporaryDirectory(prefix: "boot-disk-vhdx-")
        defer { scratch.remove() }
        try Program.check(["truncate", "-s", "16M", scratch.path + "/disk.raw"])
        try Program.check(["sh", "-c", "printf 'EFI PART' | dd of=\(scratch.path)/disk.raw bs=512 seek=1 conv=notrunc status=none"])
        try Program.check(["qemu-img", "convert", "-q", "-O", "vhdx", scratch.path + "/disk.raw", scratch.path + "/os-hyperv.vhdx"])
        let machine = scratch.path + "/machine"
        try FileManager.default.createDirectory(atPath: machine, withIntermediateDirectories: false)
        let disk = try BootDisk.open(scratch.path + "/os-hyperv.vhdx", scratch: machine)
        #expect(disk == BootDisk(path: machine + "/disk.qcow2", format: "qcow2"))
        try Program.check(["qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2", scratch.path + "/disk.raw", disk.path])
    }

    @Test func archivesGiveUpTheirDiskOnly() throws {
        let scratch = try TemporaryDirectory(prefix: "boot-disk-")
        defer { scratch.remove() }
        let source = scratch.path + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: false)
        try Program.check(["truncate", "-s", "16M", source + "/disk.raw"])
        try "not a disk".write(toFile: source + "/extra", atomically: true, encoding: .utf8)
        try Program.check(["tar", "--format=oldgnu", "-Sczf", scratch.path + "/os-gcp.tar.gz", "-C", source, "disk.raw", "extra"])
        let unpacked = scratch.path + "/machine"
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: false)
        let gcp = try BootDisk.open(scratch.path + "/os-gcp.tar.gz", scratch: unpacked)
        #expect(gcp == BootDisk(path: unpacked + "/disk.raw", format: "raw"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: unpacked) == ["disk.raw"])

        try Program.check(["qemu-img", "convert", "-q", "-O", "vmdk", source + "/disk.raw", source + "/os.vmdk"])
        try "<Envelope/>".write(toFile: source + "/os.ovf", atomically: true, encoding: .utf8)
        try Program.check(["tar", "--format=ustar", "-cf", scratch.path + "/os.ova", "-C", source, "os.ovf", "os.vmdk"])
        try FileManager.default.removeItem(atPath: unpacked + "/disk.raw")
        let ova = try BootDisk.open(scratch.path + "/os.ova", scratch: unpacked)
        #expect(ova == BootDisk(path: unpacked + "/os.vmdk", format: "vmdk"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: unpacked) == ["os.vmdk"])

        try Program.check(["tar", "-czf", scratch.path + "/other.tar.gz", "-C", source, "extra"])
        #expect(throws: MachineError.self) { try BootDisk.open(scratch.path + "/other.tar.gz", scratch: unpacked) }

        // A hostile archive whose disk is a link to a host file is refused.
        let hostile = scratch.path + "/hostile"
        try FileManager.default.createDirectory(atPath: hostile, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: hostile + "/disk.raw", withDestinationPath: "/etc/passwd")
        try Program.check(["tar", "-czf", scratch.path + "/hostile.tar.gz", "-C", hostile, "disk.raw"])
        let empty = scratch.path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(throws: MachineError.self) { try BootDisk.open(scratch.path + "/hostile.tar.gz", scratch: empty) }
    }
}
