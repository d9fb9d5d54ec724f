import Foundation
import ImageBuild
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// The live installer (`--platform live-iso`) run as users run it, through `harness image
    /// install` (which boots it under QEMU). Nested in the boot suite: one machine at a time.
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

        /// The ISO and a seed onto a blank 20 GiB disk; the installer powers off; the disk alone
        /// boots the metal image, grown to the disk, with the seed's user, key and host name.
        @Test func theISOInstallsTheMetalImageWithItsSeedOntoABlankDisk() throws {
            let state = DefaultImageBootTests.stateDirectory
            let iso = try artifact("live-iso")
            let scratch = try TemporaryDirectory(prefix: "installer-boot-")
            defer { scratch.remove() }
            try Program.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "installer-test", "-f", scratch.path + "/key"])
            let seed = scratch.path + "/seed.iso"
            let made = try harness(["image", "seed", "-o", seed, "--ssh-key", scratch.path + "/key.pub", "--hostname", "installed-metal"])
            try #require(made.status == 0, "\(made.stderr)")
            let disk = scratch.path + "/installed.qcow2"
            let install = try harness(["image", "install", "--state-dir", state, "--iso", iso, "--disk", disk,
                                       "--disk-size", "20G", "--seed", seed, "--console", scratch.path + "/installer-console.txt"])
            try #require(install.status == 0, "install failed: \(install.stderr.suffix(3000))")
            #expect(install.stderr.contains("Installed after"))
            let console = try String(contentsOfFile: scratch.path + "/installer-console.txt", encoding: .utf8)
            #expect(console.contains("harness-installer: copied the NoCloud seed"))

            let spawn = try harness(["spawn", "--state-dir", state, disk,
                                     "--exec", "cloud-init status --wait || true", "--exec", "hostname", "--exec", "id core",
                                     "--exec", "cat /home/core/.ssh/authorized_keys", "--exec", "cat /proc/cmdline",
                                     "--exec", "systemctl start harness-growfs",
                                     "--exec", "echo sysroot-bytes $(findmnt -n -b -o SIZE /sysroot)", "--exec", "treectl status"])
            #expect(spawn.status == 0, "the installed disk did not boot: \(spawn.stderr.suffix(3000))")
            let lines = spawn.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("status: done"), "cloud-init read the copied seed: \(spawn.stdout)")
            #expect(lines.contains("installed-metal"))
            #expect(lines.contains { $0.hasPrefix("uid=") && $0.contains("(core)") })
            let publicKey = try String(contentsOfFile: scratch.path + "/key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(lines.contains(publicKey))
            #expect(lines.contains { $0.hasPrefix("BOOT_IMAGE=") && $0.contains("harness.platform=metal") })
            let sysroot = try #require(lines.first { $0.hasPrefix("sysroot-bytes ") }.flatMap { UInt64($0.dropFirst("sysroot-bytes ".count)) })
            #expect(sysroot > 19 << 30, "the root fills the 20 GiB disk: \(sysroot)")
            #expect(spawn.stdout.contains("● harness:harness/x86_64/debian-bookworm"), "treectl runs on the installed system")
        }

        /// A disk smaller than the image, and a disk of 4096-byte sectors for the 512-byte
        /// image: refused before anything is written, the reason quoted, exit status 1.
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
            #expect(try isBlank(small))

            let fourK = scratch.path + "/4k.qcow2"
            let otherSectors = try harness(["image", "install", "--state-dir", state, "--iso", iso, "--disk", fourK,
                                            "--sector-size", "4096", "--firmware", "uefi"])
            #expect(otherSectors.status == 1, "\(otherSectors.stderr.suffix(2000))")
            #expect(otherSectors.stderr.contains("has 4096-byte sectors; debian-bookworm-metal.raw is made for 512-byte ones"),
                    "\(otherSectors.stderr.suffix(2000))")
            #expect(try isBlank(fourK))
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
