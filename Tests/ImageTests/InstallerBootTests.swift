import Foundation
import ImageBuild
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// The live installer (`--platform live-iso`) run as users run it, through `harness image
    /// install` (which boots it under QEMU). The ISO onto a blank disk with a seed, the
    /// installed disk booted and upgraded, is the scenario `install-from-iso` (CI runs it).
    /// Nested in the boot suite: one machine at a time.
    @Suite struct InstallerBootTests {
        func harness(_ arguments: [String]) throws -> ProgramResult {
            try Program.run([HarnessExecutable.path] + arguments)
        }

        func artifact(_ key: String) throws -> String {
            let (directory, metadata) = try DefaultImageBootTests.platformImages()
            return directory + "/" + (try #require(metadata.images[key], "\(key) in meta.json")).path
        }

        /// The disk holds no data at all: what "nothing was written" means.
        func isBlank(_ disk: String) throws -> Bool {
            let map = try Program.check(["qemu-img", "map", "--output=json", disk]).stdout
            return !map.contains("\"data\": true")
        }

        /// A disk smaller than the image, and a disk of 4096-byte sectors for the 512-byte
        /// image: refused before anything is written, the reason quoted, exit status 1. The
        /// user's disks stay blank; a disk the command made for the run is removed again.
        @Test func theInstallerRefusesADiskTooSmallOrOfAnotherSectorSizeWritingNothing() throws {
            let state = DefaultImageBootTests.stateDirectory
            let iso = try artifact("live-iso")
            let scratch = try TemporaryDirectory(prefix: "installer-refusal-")
            defer { scratch.remove() }
            let small = scratch.path + "/small.qcow2"
            let tooSmall = try harness(["image", "install", "--state-dir", state, "--iso", iso, "--disk", small, "--disk-size", "2G"])
            #expect(tooSmall.status == 1, "\(tooSmall.stderr.suffix(2000))")
            #expect(tooSmall.stderr.contains("the installer refused: /dev/vda holds 2147483648 bytes; debian-bookworm-metal.raw needs"),
                    "\(tooSmall.stderr.suffix(2000))")
            #expect(tooSmall.stderr.contains("nothing was written"))
            #expect(!FileManager.default.fileExists(atPath: small), "the disk made for the run is gone")

            let fourK = scratch.path + "/4k.qcow2"
            try Program.check(["qemu-img", "create", "-q", "-f", "qcow2", fourK, "20G"])
            let otherSectors = try harness(["image", "install", "--state-dir", state, "--iso", iso, "--disk", fourK,
                                            "--sector-size", "4096", "--firmware", "uefi"])
            #expect(otherSectors.status == 1, "\(otherSectors.stderr.suffix(2000))")
            #expect(otherSectors.stderr.contains("has 4096-byte sectors; debian-bookworm-metal.raw is made for 512-byte ones"),
                    "\(otherSectors.stderr.suffix(2000))")
            #expect(try isBlank(fourK), "the user's disk is as it was")
        }

        /// The PXE trio (kernel, initramfs, rootfs appended as a PXE loader appends it) installs
        /// the same image: the disk's first MiB is the image's, as the ISO's manifest says.
        @Test func thePXETrioInstallsTheMetalImage() throws {
            let state = DefaultImageBootTests.stateDirectory
            let scratch = try TemporaryDirectory(prefix: "installer-pxe-")
            defer { scratch.remove() }
            let disk = scratch.path + "/pxe.qcow2"
            let install = try harness(["image", "install", "--state-dir", state, "--disk", disk, "--disk-size", "10G", "--memory", "4096",
                                       "--pxe", try artifact("live-kernel"), try artifact("live-initramfs"), try artifact("live-rootfs")])
            try #require(install.status == 0, "PXE install failed: \(install.stderr.suffix(3000))")
            try Program.check(["xorriso", "-osirrox", "on", "-indev", try artifact("live-iso"), "-extract", "/harness/manifest",
                               scratch.path + "/manifest"])
            let manifest = try String(contentsOfFile: scratch.path + "/manifest", encoding: .utf8)
            let head = try #require(manifest.split(separator: "\n").first { $0.hasPrefix("HEAD_SHA256=") }).dropFirst("HEAD_SHA256=".count)
            try Program.check(["qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=1M", "count=1", "if=" + disk, "of=" + scratch.path + "/head"])
            #expect(try Digest.sha256(file: scratch.path + "/head") == String(head))
        }
    }
}
