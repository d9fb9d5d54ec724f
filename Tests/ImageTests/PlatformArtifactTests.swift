import Foundation
@testable import ImageBuild
import TestSupport
import Testing
import ToolSupport

/// The pieces of a platform build that need no commit: the platform table, the boot entries'
/// rewrite, metal4k's 4096-byte table on a real disk file, meta.json's keys, and the errors
/// `harness image build --platform` gives before any work.
@Suite struct PlatformArtifactTests {
    @Test func platformsParseInOrderOnceAndUnknownOnesAreNamed() throws {
        #expect(try Platform.parse(["aws", "qemu", "aws"]).platforms == [.aws, .qemu])
        let live = try Platform.parse(["live-iso", "qemu"])
        #expect(live.liveISO && live.platforms == [.qemu, .metal], "the installer brings the metal image it installs")
        #expect(throws: ImageError.self) { try Platform.parse(["qemu", "ibmcloud"]) }
        do {
            _ = try Platform.parse(["ibmcloud"])
        } catch let error as ImageError {
            #expect(error.description == "--platform 'ibmcloud' is not a platform (one of: qemu, metal, metal4k, openstack, aws, azure, gcp, vmware, hyperv, live-iso)")
        }
        #expect(Platform.gcp.fileExtension == "tar.gz" && Platform.azure.fileExtension == "vhd" && Platform.vmware.fileExtension == "ova")
        #expect(Platform.aws.kernelArguments == ["harness.platform=aws", "console=tty0", "console=ttyS0,115200n8"])
        #expect(Platform.metal.kernelArguments == ["harness.platform=metal"])
    }

    /// ostree's boot entry and the syslinux.cfg of the current loader get the arguments on
    /// their arguments line; nothing else changes.
    @Test func bootArgumentsExtendTheEntryAndSyslinuxConfiguration() throws {
        let scratch = try TemporaryDirectory(prefix: "platform-args-")
        defer { scratch.remove() }
        let boot = scratch.path
        try FileManager.default.createDirectory(atPath: boot + "/loader.1/entries", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: boot + "/loader", withDestinationPath: "loader.1")
        try "title Debian (ostree:harness:0)\nversion 1\noptions root=LABEL=root rw ostree=/ostree/boot.1/harness/abc/0\nlinux /ostree/vmlinuz\n"
            .write(toFile: boot + "/loader.1/entries/ostree-1-harness.conf", atomically: true, encoding: .utf8)
        try "UI menu.c32\nLABEL Debian\n\tKERNEL /ostree/vmlinuz\n\tAPPEND root=LABEL=root rw ostree=/ostree/boot.1/harness/abc/0\n"
            .write(toFile: boot + "/loader.1/syslinux.cfg", atomically: true, encoding: .utf8)
        let rewrites = try PlatformBootArguments(bootContent: boot, bootOffset: 0).rewrites(appending: ["harness.platform=gcp", "console=tty0"])
        #expect(rewrites.map(\.path) == ["/loader.1/entries/ostree-1-harness.conf", "/loader.1/syslinux.cfg"])
        #expect(rewrites[0].text == "title Debian (ostree:harness:0)\nversion 1\noptions root=LABEL=root rw ostree=/ostree/boot.1/harness/abc/0 harness.platform=gcp console=tty0\nlinux /ostree/vmlinuz\n")
        #expect(rewrites[1].text.contains("\tAPPEND root=LABEL=root rw ostree=/ostree/boot.1/harness/abc/0 harness.platform=gcp console=tty0\n"))
        #expect(rewrites[1].text.hasPrefix("UI menu.c32\nLABEL Debian\n\tKERNEL /ostree/vmlinuz\n"))

        let metal = PlatformBootArguments(bootContent: boot, bootOffset: 0, replacing: ["harness.platform=metal"])
        #expect(throws: ImageError.self, "a line without metal's arguments is not a metal image's") {
            try metal.rewrites(appending: ["harness.platform=aws"])
        }
        try "title broken\n".write(toFile: boot + "/loader.1/entries/ostree-1-harness.conf", atomically: true, encoding: .utf8)
        #expect(throws: ImageError.self) { try PlatformBootArguments(bootContent: boot, bootOffset: 0).rewrites(appending: ["x"]) }
        // A disk's /boot is read as a rooted tree, and only ostree's loader link is followed.
        try FileManager.default.removeItem(atPath: boot + "/loader")
        try FileManager.default.createSymbolicLink(atPath: boot + "/loader", withDestinationPath: "/etc")
        #expect(throws: ImageError.self) { try PlatformBootArguments(bootContent: boot, bootOffset: 0).rewrites(appending: ["x"]) }
    }

    /// The hybrid layout on a sparse 1 GiB file, then metal4k's rewrite: read with 4096-byte
    /// sectors the GPT has the three partitions at the same bytes; read with 512-byte sectors
    /// there is no GPT; the ESP is a FAT with 4096-byte sectors holding GRUB.
    @Test func metal4kRewritesTheTableAndESPFor4096ByteSectors() throws {
        let scratch = try TemporaryDirectory(prefix: "metal4k-")
        defer { scratch.remove() }
        let disk = scratch.path + "/disk.raw"
        let layout = DiskLayout(diskSize: 1 << 30, firmware: .uefi)
        #expect(FileManager.default.createFile(atPath: disk, contents: nil) && truncate(disk, off_t(layout.diskSize)) == 0)
        try Program.check(["sh", "-c", "printf '%s' \"$1\" | sfdisk --quiet \"$2\"", "sfdisk", layout.sfdiskScript, disk])
        try FourKSectorDisk.convert(disk, layout: layout, scratch: scratch.path)

        let listing = try Program.check(["fdisk", "-b", "4096", "-l", "-o", "Device,Start,End,Type", disk]).stdout
        #expect(listing.contains("Sector size (logical/physical): 4096 bytes"), "\(listing)")
        #expect(listing.contains("Disklabel type: gpt"))
        let starts = listing.split(separator: "\n").filter { $0.hasPrefix(disk) }
            .map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] }
        #expect(starts == ["\(layout.espOffset / 4096)", "\(layout.bootOffset / 4096)", "\(layout.rootOffset / 4096)"], "\(listing)")
        #expect(listing.contains("EFI System"))
        #expect(!(try Program.run(["sfdisk", "--json", disk]).stdout.contains("\"gpt\"")), "no 512-byte GPT is left")
        // The ESP's boot sector: bytes per sector (offset 11, little endian) is 4096.
        let handle = try #require(FileHandle(forReadingAtPath: disk))
        defer { try? handle.close() }
        try handle.seek(toOffset: layout.espOffset + 11)
        #expect(Array(try #require(try handle.read(upToCount: 2))) == [0x00, 0x10])
        let files = try Program.check(["mdir", "-b", "-i", "\(disk)@@\(layout.espOffset)", "::/EFI/BOOT"]).stdout
        #expect(files.contains("BOOTX64.EFI"))
    }

    /// The whole platform pipeline on a small hybrid disk whose /boot holds an ostree-like
    /// entry (no commit needed): every platform's artifact, each with its arguments in its own
    /// boot entry, compressed with zstd except gcp's tar.gz, with digests of both forms.
    @Test func everyPlatformFromOneSmallDiskCompressed() throws {
        let scratch = try TemporaryDirectory(prefix: "platform-pipeline-")
        defer { scratch.remove() }
        let (raw, boot, layout) = try tinyHybridDisk(in: scratch.path)
        let work = scratch.path + "/work", out = scratch.path + "/out"
        for directory in [work, out] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false) }
        let images = PlatformImages(raw: raw, layout: layout,
                                    bootArguments: PlatformBootArguments(bootContent: boot, bootOffset: layout.bootOffset),
                                    name: "tiny", compression: .zstd, scratch: work)
        let artifacts = try images.write(Platform.allCases, into: out)
        #expect(Set(artifacts.keys) == Set(Platform.allCases))
        for (platform, artifact) in artifacts {
            #expect(try Digest.sha256(file: out + "/" + artifact.path) == artifact.sha256, "\(platform)")
            #expect(try FileTree.size(of: out + "/" + artifact.path) == artifact.size)
            if platform == .gcp {
                #expect(artifact.path == "tiny-gcp.tar.gz" && artifact.uncompressedSHA256 == nil)
            } else {
                #expect(artifact.path == "tiny-\(platform.rawValue).\(platform.fileExtension).zst" && artifact.uncompressedSize != nil, "\(platform)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "each platform's work directory is gone")
        // The metal artifact, uncompressed, has its own arguments in its boot entry, and its digest.
        try Program.check(["zstd", "-q", "-d", out + "/tiny-metal.raw.zst", "-o", scratch.path + "/metal.raw"])
        #expect(try Digest.sha256(file: scratch.path + "/metal.raw") == artifacts[.metal]?.uncompressedSHA256)
        let entry = try Program.check(["debugfs", "-R", "cat /loader.1/entries/ostree-1-harness.conf",
                                       scratch.path + "/metal.raw?offset=\(layout.bootOffset)"]).stdout
        #expect(entry == "title t\noptions root=LABEL=root rw harness.platform=metal\n")
    }

    /// A small hybrid disk whose /boot holds an ostree-like entry, and that /boot staged.
    func tinyHybridDisk(in scratch: String) throws -> (raw: String, boot: String, layout: DiskLayout) {
        let layout = DiskLayout(diskSize: 700 << 20, firmware: .uefi)
        let raw = scratch + "/disk.raw"
        try Program.check(["truncate", "-s", "\(layout.diskSize)", raw])
        try Program.check(["sh", "-c", "printf '%s' \"$1\" | sfdisk --quiet \"$2\"", "sfdisk", layout.sfdiskScript, raw])
        let boot = scratch + "/boot"
        try FileManager.default.createDirectory(atPath: boot + "/loader.1/entries", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: boot + "/loader", withDestinationPath: "loader.1")
        try "title t\noptions root=LABEL=root rw\n".write(toFile: boot + "/loader.1/entries/ostree-1-harness.conf", atomically: true, encoding: .utf8)
        try "LABEL t\n\tAPPEND root=LABEL=root rw\n".write(toFile: boot + "/loader.1/syslinux.cfg", atomically: true, encoding: .utf8)
        try Program.check(["mkfs.ext4", "-q", "-F", "-L", "boot", "-O", "^64bit", "-d", boot, "-E", "offset=\(layout.bootOffset)",
                           raw, "\(DiskLayout.bootSize >> 10)k"])
        return (raw, boot, layout)
    }

    /// `image extend` on a build of the small disk's metal artifact: each platform's entry has
    /// its own arguments where metal's were (not both), meta.json gains the artifacts, the metal
    /// disk is only read. Refused before any work: metal itself, live-iso, a compressed metal,
    /// an output directory of another commit, a build directory without meta.json.
    @Test func extendingAMetalBuildWritesOtherPlatformsInMetalsPlace() throws {
        let scratch = try TemporaryDirectory(prefix: "platform-extend-")
        defer { scratch.remove() }
        let (raw, boot, layout) = try tinyHybridDisk(in: scratch.path)
        let build = scratch.path + "/build", work = scratch.path + "/work"
        for directory in [build, work] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false) }
        let metal = try PlatformImages(raw: raw, layout: layout,
                                       bootArguments: PlatformBootArguments(bootContent: boot, bootOffset: layout.bootOffset),
                                       name: "tiny", compression: nil, scratch: work).write([.metal], into: build)
        let metadata = BuildMetadata(name: "tiny", ref: "r/tiny", commit: "c0ffee", diskSize: layout.diskSize,
                                     images: ["metal": try #require(metal[.metal])])
        try metadata.encoded().write(to: URL(fileURLWithPath: build + "/meta.json"))

        let extend = try Program.run([HarnessExecutable.path, "image", "extend", build, "--platform", "qemu", "--platform", "aws"])
        #expect(extend.status == 0, "\(extend.stderr)")
        let extended = try BuildMetadata.read(directory: build)
        #expect(Set(extended.images.keys) == ["metal", "qemu", "aws"] && extended.commit == "c0ffee")
        #expect(extended.images["metal"] == metadata.images["metal"])
        #expect(try Digest.sha256(file: build + "/tiny-metal.raw") == metadata.images["metal"]?.sha256, "metal was only read")
        #expect(try Digest.sha256(file: build + "/tiny-aws.vmdk") == extended.images["aws"]?.sha256)
        try Program.check(["qemu-img", "convert", "-O", "raw", build + "/tiny-qemu.qcow2", scratch.path + "/qemu.raw"])
        for path in ["/loader.1/entries/ostree-1-harness.conf", "/loader.1/syslinux.cfg"] {
            let text = try Program.check(["debugfs", "-R", "cat \(path)", scratch.path + "/qemu.raw?offset=\(layout.bootOffset)"]).stdout
            #expect(text.contains("root=LABEL=root rw harness.platform=qemu\n") && !text.contains("metal"), "\(path): \(text)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: build).sorted()
                == ["meta.json", "tiny-aws.vmdk", "tiny-metal.raw", "tiny-qemu.qcow2"], "no staging left")

        func refused(_ arguments: [String], _ message: String) throws {
            let result = try Program.run([HarnessExecutable.path, "image", "extend"] + arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        try refused([build, "--platform", "metal"], "the metal artifact is what \(build)/meta.json is extended from")
        try refused([build, "--platform", "live-iso"], "--platform live-iso is cut from the sysroot")
        try refused([scratch.path, "--platform", "gcp"], "\(scratch.path)/meta.json: cannot be read")
        var other = metadata
        other.commit = "decaf"
        let otherDirectory = scratch.path + "/other"
        try FileManager.default.createDirectory(atPath: otherDirectory, withIntermediateDirectories: false)
        try other.encoded().write(to: URL(fileURLWithPath: otherDirectory + "/meta.json"))
        try refused([build, "--platform", "gcp", "-o", otherDirectory], "artifacts of commit decaf, not c0ffee")
        var compressed = metadata
        compressed.images["metal"]?.uncompressedSHA256 = "aa"
        try compressed.encoded().write(to: URL(fileURLWithPath: otherDirectory + "/meta.json"))
        try refused([otherDirectory, "--platform", "gcp"], "no uncompressed metal artifact to extend from")
        #expect(try FileManager.default.contentsOfDirectory(atPath: otherDirectory) == ["meta.json"], "nothing written")
    }

    @Test func metaJSONUsesCoreOSAssemblersKeys() throws {
        var artifact = BuildMetadata.Artifact(path: "os-aws.vmdk.xz", sha256: "aa", size: 10)
        artifact.uncompressedSHA256 = "bb"
        artifact.uncompressedSize = 20
        let metadata = BuildMetadata(name: "os", ref: "r/x", commit: "c0ffee", diskSize: 8 << 30, images: ["aws": artifact])
        let json = String(decoding: try metadata.encoded(), as: UTF8.self)
        #expect(json.contains("\"ostree-commit\" : \"c0ffee\""))
        #expect(json.contains("\"uncompressed-sha256\" : \"bb\"") && json.contains("\"uncompressed-size\" : 20"))
        #expect(try JSONDecoder().decode(BuildMetadata.self, from: metadata.encoded()) == metadata)
    }

    @Test func platformBuildInputErrorsComeBeforeAnyWork() throws {
        let repository = try OneCommitRepository(prefix: "platform-errors-", branch: "test/tree")
        defer { repository.remove() }
        func build(_ arguments: [String]) throws -> ProgramResult {
            try Program.run([HarnessExecutable.path, "image", "build", "--repo", repository.path, "--ref", "test/tree"] + arguments)
        }
        let output = repository.scratch.path + "/images"
        let unknown = try build(["-o", output, "--platform", "qemu", "--platform", "ibmcloud"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--platform 'ibmcloud' is not a platform"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let file = repository.scratch.path + "/a-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let notADirectory = try build(["-o", file, "--platform", "metal"])
        #expect(notADirectory.status == 1 && notADirectory.stderr.contains("-o names a directory"), "\(notADirectory.stderr)")
        let oddSize = try build(["-o", output, "--platform", "azure", "--size", "4000001K"])
        #expect(oddSize.status == 1 && oddSize.stderr.contains("whole number of MiB"), "\(oddSize.stderr)")
        let badCompression = try build(["-o", output, "--platform", "azure", "--compress", "lz4"])
        #expect(badCompression.status != 0 && badCompression.stderr.contains("--compress must be one of: xz, zstd, gzip"))
    }
}
