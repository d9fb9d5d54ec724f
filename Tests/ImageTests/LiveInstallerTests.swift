import Foundation
@testable import ImageBuild
@testable import Machine
import TestSupport
import Testing
import ToolSupport

/// The installer's pieces that need no VM: the modules' load order from a modules.dep, the
/// payload cut from a sparse image, the console's last word, the installer's domain XML.
@Suite struct LiveInstallerTests {
    @Test func modulesLoadAfterTheirDependenciesBuiltInsSkipped() throws {
        let scratch = try TemporaryDirectory(prefix: "live-modules-")
        defer { scratch.remove() }
        let directory = scratch.path + "/usr/lib/modules/6.1.0-test"
        try FileManager.default.createDirectory(atPath: directory + "/kernel", withIntermediateDirectories: true)
        try """
            kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
            kernel/lib/crc16.ko:
            kernel/fs/mbcache.ko:
            kernel/fs/jbd2/jbd2.ko:
            kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:

            """.write(toFile: directory + "/modules.dep", atomically: true, encoding: .utf8)
        try "kernel/fs/mbcache.ko\n".write(toFile: directory + "/modules.builtin", atomically: true, encoding: .utf8)
        for path in ["fs/ext4/ext4.ko", "lib/crc16.ko", "fs/jbd2/jbd2.ko", "drivers/virtio/virtio_ring.ko"] {
            try FileManager.default.createDirectory(atPath: directory + "/kernel/" + (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try "ELF \(path)".write(toFile: directory + "/kernel/" + path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: directory + "/kernel/drivers/block", withIntermediateDirectories: true)
        try "ELF virtio_blk".write(toFile: directory + "/kernel/drivers/block/virtio_blk.ko", atomically: true, encoding: .utf8)
        try Program.check(["xz", directory + "/kernel/drivers/block/virtio_blk.ko"])

        let modules = KernelModules(tree: try RootedTree(scratch.path), kernelVersion: "6.1.0-test")
        let order = try modules.loadOrder(["virtio-blk", "ext4", "no_such_module"]).map(\.name)
        #expect(order == ["virtio_ring", "virtio_blk", "crc16", "jbd2", "ext4"], "dependencies first, built-in mbcache skipped")
        let destination = scratch.path + "/out"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        #expect(try modules.install(["virtio_blk"], into: destination) == ["virtio_ring", "virtio_blk"])
        #expect(try String(contentsOfFile: destination + "/virtio_blk.ko", encoding: .utf8) == "ELF virtio_blk", "decompressed on the host")
    }

    /// A module path that leaves the tree is not read from the host.
    @Test func aModuleLinkedOutOfTheTreeIsNotFollowed() throws {
        let scratch = try TemporaryDirectory(prefix: "live-modules-")
        defer { scratch.remove() }
        let directory = scratch.path + "/usr/lib/modules/6.1.0-test"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "kernel/evil.ko:\n".write(toFile: directory + "/modules.dep", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/kernel", withDestinationPath: "/etc")
        let modules = KernelModules(tree: try RootedTree(scratch.path), kernelVersion: "6.1.0-test")
        #expect(throws: (any Error).self) { try modules.install(["evil"], into: scratch.path) }
    }

    /// The payload holds the first MiB apart and only the MiBs with data, in order, with
    /// digests that match what it holds.
    @Test func thePayloadKeepsTheFirstMiBApartAndOnlyTheData() throws {
        let scratch = try TemporaryDirectory(prefix: "live-payload-")
        defer { scratch.remove() }
        let image = scratch.path + "/image.raw"
        try Program.check(["truncate", "-s", "64M", image])
        for (mib, byte) in [(0, "a"), (5, "b"), (6, "c"), (40, "d"), (63, "e")] {
            try Program.check(["sh", "-c", "head -c 1048576 /dev/zero | tr '\\\\0' \"$1\" | dd of=\"$2\" bs=1M seek=\"$3\" conv=notrunc status=none",
                               "sh", byte, image, "\(mib)"])
        }
        let payload = InstallerPayload(image: image, imageName: "os-metal.raw", osName: "harness", sectorSize: 512)
        #expect(try payload.extents().map { [$0.start, $0.count] } == [[5, 2], [40, 1], [63, 1]])
        try payload.write(into: scratch.path)
        #expect(try FileTree.size(of: scratch.path + "/head.img") == 1 << 20)
        #expect(try FileTree.size(of: scratch.path + "/data.img") == 4 << 20)
        #expect(try String(contentsOfFile: scratch.path + "/extents", encoding: .utf8) == "5 2\n40 1\n63 1\n")
        let manifest = try String(contentsOfFile: scratch.path + "/manifest", encoding: .utf8)
        #expect(manifest.contains("IMAGE_SIZE=\(64 << 20)\n") && manifest.contains("DATA_MIB=4\n") && manifest.contains("SECTOR_SIZE=512\n"))
        #expect(manifest.contains("DATA_SHA256=\(try Digest.sha256(file: scratch.path + "/data.img"))\n"))
        #expect(manifest.contains("HEAD_SHA256=\(try Digest.sha256(file: scratch.path + "/head.img"))\n"))
        #expect(manifest.contains("IMAGE_NAME='os-metal.raw'\n"))
    }

    @Test func theConsolesLastInstallerLineIsTheOutcome() {
        #expect(InstallerOutcome(console: "boot\nharness-installer: writing x\r\nharness-installer: installed x onto /dev/vda (data sha256 ab verified)\r\nreboot: Power down\n")
                == .installed("installed x onto /dev/vda (data sha256 ab verified)"))
        #expect(InstallerOutcome(console: "harness-installer: refused: /dev/vda holds 2 bytes; nothing was written\n")
                == .refused("/dev/vda holds 2 bytes; nothing was written"))
        #expect(InstallerOutcome(console: "harness-installer: failed: writing MiB 3 of /dev/vda\n") == .failed("writing MiB 3 of /dev/vda"))
        #expect(InstallerOutcome(console: "harness-installer: writing x\nKernel panic\n") == .unknown)
        #expect(InstallerOutcome(console: "") == .unknown)
    }

    @Test func theInstallersDomainBootsTheCDOrTheKernel() {
        var bios = DomainDefinition(name: "i", accelerator: .tcg, memoryMiB: 2048, vcpus: 2, disk: "/d.raw", console: "/c",
                                    agentSocket: "/a", nvram: nil)
        bios.diskFormat = "raw"
        bios.detectZeroes = true
        bios.bootMedia = .cdrom("/x.iso")
        #expect(bios.xml.contains("<boot dev='cdrom'/><boot dev='hd'/>"))
        #expect(bios.xml.contains("<source file='/x.iso'/><target dev='hdc' bus='ide'/><readonly/>"))
        #expect(bios.xml.contains("<driver name='qemu' type='raw' discard='unmap' detect_zeroes='unmap'/>"))
        var uefi = DomainDefinition(name: "i", accelerator: .tcg, memoryMiB: 2048, vcpus: 2, disk: "/d.qcow2", console: "/c",
                                    agentSocket: "/a", nvram: "/n")
        uefi.bootMedia = .cdrom("/x.iso")
        #expect(uefi.xml.contains("<target dev='sdc' bus='sata'/>"), "q35 has no IDE")
        var pxe = uefi
        pxe.bootMedia = .kernel(kernel: "/k", initrd: "/i", arguments: "console=ttyS0")
        #expect(pxe.xml.contains("<kernel>/k</kernel><initrd>/i</initrd><cmdline>console=ttyS0</cmdline>"))
        #expect(!pxe.xml.contains("device='cdrom'"))
    }
}
