import Foundation
@testable import ImageBuild
import TestSupport
import Testing
import ToolSupport

/// The default image end to end, as a user runs it: compose, image build, boot, commands in
/// the guest. The state directory persists across runs (`HARNESS_BOOT_TEST_STATE`, default
/// /var/tmp/harness-boot-tests) so that the Debian base is built once per machine. One
/// suite, serialized: the tests share that state and boot one VM at a time.
@Suite(.tags(.boot), .serialized)
struct DefaultImageBootTests {
    static var stateDirectory: String {
        ProcessInfo.processInfo.environment["HARNESS_BOOT_TEST_STATE"] ?? "/var/tmp/harness-boot-tests"
    }

    /// Runs harness as a user would: without the `LIBVIRT_LOG_OUTPUTS` that scripts/test.sh sets.
    func harness(_ arguments: [String]) throws -> ProgramResult {
        var environment = ProcessInfo.processInfo.environment
        environment["LIBVIRT_LOG_OUTPUTS"] = nil
        return try Program.run([HarnessExecutable.path] + arguments, environment: environment)
    }

    static let ref = "harness/x86_64/debian-bookworm"

    /// The default image's qemu and metal artifacts and its installer, from one `image build
    /// --platform qemu --platform live-iso`: composed and built once per commit (kept under
    /// STATE/platforms, rebuilt when the commit moved), looked at once per process. Checks what
    /// the anchors' formats require of each file on the way. The other platforms are extended
    /// from the metal artifact one at a time (`platformArtifact`): one disk at a time on disk.
    static func platformImages() throws -> (directory: String, metadata: BuildMetadata) {
        try cacheLock.withLock {
            if let cachedImages { return cachedImages }
            cachedImages = try buildPlatformImages()
            return cachedImages!
        }
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cachedImages: (directory: String, metadata: BuildMetadata)?
    static let liveKeys = ["live-iso", "live-kernel", "live-initramfs", "live-rootfs"]
    static let builtKeys = [Platform.qemu.rawValue, Platform.metal.rawValue] + liveKeys

    private static func buildPlatformImages() throws -> (directory: String, metadata: BuildMetadata) {
        let state = stateDirectory
        let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
        let compose = try Program.run([HarnessExecutable.path, "compose", "tree", "--state-dir", state, treefile])
        try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")
        let commit = try Program.check(["ostree", "rev-parse", "--repo=" + state + "/repo", ref]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let directory = state + "/platforms"
        if let built = try? BuildMetadata.read(directory: directory), built.commit == commit, Set(built.images.keys) == Set(builtKeys) {
            return (directory, built)
        }
        // What an earlier layout left (every platform at once) goes before the new build.
        FileTree.removeRecursively(directory)
        let build = try Program.run([HarnessExecutable.path, "image", "build", "--state-dir", state, "--ref", ref,
                                     "-o", directory, "--karg", "harness.test=1", "--platform", "qemu", "--platform", "live-iso"])
        try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")
        let metadata = try BuildMetadata.read(directory: directory)
        #expect(metadata.commit == commit && metadata.ref == ref)
        #expect(Set(metadata.images.keys) == Set(builtKeys))
        for (key, artifact) in metadata.images {
            let path = directory + "/" + artifact.path
            #expect(try Digest.sha256(file: path) == artifact.sha256, "\(key): meta.json's sha256")
            if let platform = Platform(rawValue: key) { try checkFormat(platform, path, diskSize: metadata.diskSize) }
        }
        // The ISO: El Torito for the BIOS and UEFI, an MBR and a GPT for sticks.
        let iso = directory + "/" + (try #require(metadata.images["live-iso"])).path
        let boot = try Program.check(["xorriso", "-indev", iso, "-report_el_torito", "plain"])
        let report = boot.stdout + boot.stderr
        #expect(report.contains("BIOS") && report.contains("UEFI"), "\(report)")
        #expect(try Program.check(["fdisk", "-l", iso]).stdout.contains("Disklabel type: dos"), "isohybrid MBR")
        return (directory, metadata)
    }

    /// `platform`'s artifact: the build's own, or `harness image extend`ed from its metal
    /// artifact into `scratch` (the caller removes it), its meta.json entry and format checked.
    static func platformArtifact(_ platform: Platform, scratch: String) throws -> String {
        let (directory, metadata) = try platformImages()
        if let built = metadata.images[platform.rawValue] { return directory + "/" + built.path }
        let extend = try Program.run([HarnessExecutable.path, "image", "extend", directory, "--platform", platform.rawValue, "-o", scratch])
        try #require(extend.status == 0, "image extend failed: \(extend.stderr.suffix(2000))")
        let extended = try BuildMetadata.read(directory: scratch)
        #expect(extended.commit == metadata.commit && extended.diskSize == metadata.diskSize)
        let artifact = try #require(extended.images[platform.rawValue])
        #expect(Set(extended.images.keys) == [platform.rawValue], "only what was extended is in the other directory")
        let path = scratch + "/" + artifact.path
        #expect(try Digest.sha256(file: path) == artifact.sha256, "\(platform): meta.json's sha256")
        try checkFormat(platform, path, diskSize: metadata.diskSize)
        return path
    }

    /// The container each anchor writes, as `qemu-img info` and the files' own bytes show it.
    static func checkFormat(_ platform: Platform, _ path: String, diskSize: UInt64) throws {
        func info(_ file: String, format: String? = nil) throws -> [String: Any] {
            let json = try Program.check(["qemu-img", "info", "--output=json"] + (format.map { ["-f", $0] } ?? []) + [file]).stdout
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        }
        func bytes(_ file: String, at offset: UInt64, count: Int) throws -> [UInt8] {
            let handle = try #require(FileHandle(forReadingAtPath: file))
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            return Array(try handle.read(upToCount: count) ?? Data())
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).uint64Value
        switch platform {
        case .qemu, .openstack:
            let details = try info(path)
            #expect(details["format"] as? String == "qcow2")
            let specific = (details["format-specific"] as? [String: Any])?["data"] as? [String: Any]
            #expect(specific?["compat"] as? String == "1.1", "\(platform): qcow2 compat 1.1")
            #expect(try Program.run(["qemu-img", "check", "-q", path]).status == 0)
        case .metal, .metal4k:
            #expect(size == diskSize)
            let table = try Program.check(["fdisk", "-b", "\(platform.sectorSize)", "-l", path]).stdout
            #expect(table.contains("Disklabel type: gpt") && table.contains("Sector size (logical/physical): \(platform.sectorSize) bytes"),
                    "\(platform): \(table)")
        case .aws:
            try checkStreamOptimizedVMDK(path, info: info(path), bytes: bytes)
        case .vmware:
            let members = try Program.check(["tar", "-tvf", path]).stdout.split(separator: "\n")
            #expect(members.count == 2 && members[0].hasSuffix(".ovf") && members[1].hasSuffix(".vmdk"), "the .ovf first: \(members)")
            #expect(try bytes(path, at: 257, count: 8) == Array("ustar\u{0}00".utf8), "ustar")
            let scratch = try TemporaryDirectory(prefix: "ova-check-")
            defer { scratch.remove() }
            try Program.check(["tar", "-xf", path, "-C", scratch.path])
            let vmdk = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path).first { $0.hasSuffix(".vmdk") })
            try checkStreamOptimizedVMDK(scratch.path + "/" + vmdk, info: info(scratch.path + "/" + vmdk), bytes: bytes)
        case .azure:
            // A fixed VHD has its footer only at the end: qemu-img cannot probe it, it is told.
            #expect((try info(path, format: "vpc")["virtual-size"] as? NSNumber)?.uint64Value == diskSize)
            #expect(size == diskSize + 512 && diskSize % (1 << 20) == 0, "a fixed VHD of whole MiB and its footer")
            let footer = try bytes(path, at: size - 512, count: 512)
            #expect(Array(footer[0..<8]) == Array("conectix".utf8))
            #expect(Array(footer[60..<64]) == [0, 0, 0, 2], "disk type 2: fixed")
        case .gcp:
            #expect(try Program.check(["tar", "-tzf", path]).stdout == "disk.raw\n")
            // GNU's old format: "ustar  \0" at byte 257 of the first header (POSIX's is "ustar\000").
            let magic = try Program.check(["sh", "-c", "gzip -dc \"$1\" | head -c 265 | tail -c 8 | od -An -tx1", "sh", path]).stdout
            #expect(magic.split(separator: " ").joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)
                    == "75 73 74 61 72 20 20 00", "oldgnu magic: \(magic)")
        case .hyperv:
            #expect(try info(path)["format"] as? String == "vhdx")
            #expect(try Program.run(["qemu-img", "check", "-q", path]).status == 0)
        }
    }

    static func checkStreamOptimizedVMDK(_ path: String, info: [String: Any], bytes: (String, UInt64, Int) throws -> [UInt8]) throws {
        #expect(info["format"] as? String == "vmdk")
        let specific = (info["format-specific"] as? [String: Any])?["data"] as? [String: Any]
        #expect(specific?["create-type"] as? String == "streamOptimized")
        // The embedded descriptor (sector 1 of a streamOptimized file).
        let descriptor = String(decoding: try bytes(path, 512, 1024), as: UTF8.self)
        #expect(descriptor.contains("ddb.adapterType = \"lsilogic\""), "\(descriptor)")
        #expect(descriptor.contains("ddb.virtualHWVersion = \"6\""), "compat6: \(descriptor)")
        #expect(try Program.run(["qemu-img", "check", "-q", path]).status == 0)
    }

    /// Compose, image build and boot, as a user runs them; then treectl on the booted system:
    /// an override builds a new deployment beside the booted one, and `--reboot` comes up in
    /// it, with an rpmdb that tells the truth. (An override applied again on an upgraded base
    /// is the `override-replace` scenario, which CI runs.)
    @Test func composeBuildAndBootTheDefaultImageThenChangeItWithTreectl() throws {
        let state = Self.stateDirectory
        let (directory, metadata) = try Self.platformImages()
        let image = directory + "/" + (try #require(metadata.images["qemu"])).path

        let console = state + "/default-console.txt"
        // Every --exec runs on the first boot and again after the reboot.
        let spawn = try harness(["spawn", "--state-dir", state, image, "--console", console, "--reboot", "--profile",
                                 "--exec", "ostree admin status", "--exec", "rpm -q treectl",
                                 "--exec", "cat /proc/cmdline", "--exec", "echo boot-id $(cat /proc/sys/kernel/random/boot_id)",
                                 "--exec", "treectl status",
                                 "--exec", "treectl override remove fixture-post",
                                 "--exec", "rpm -q fixture-post || echo fixture-post-absent",
                                 "--exec", "treectl status --json",
                                 "--exec", "treectl kargs"])
        #expect(spawn.status == 0, "spawn failed: \(spawn.stderr.suffix(3000))")
        #expect(spawn.stdout.contains("* harness "), "the booted deployment is listed")
        #expect(spawn.stdout.contains("origin refspec: harness:harness/x86_64/debian-bookworm"))
        #expect(spawn.stdout.range(of: #"treectl-[0-9.]+-\S+\.x86_64"#, options: .regularExpression) != nil)
        #expect(spawn.stdout.contains("● harness:harness/x86_64/debian-bookworm"), "treectl status marks the booted deployment")
        #expect(spawn.stderr.contains("Guest agent answered after"))
        #expect(!spawn.stderr.contains("tainted") && !spawn.stderr.contains("/dev/mapper/control"),
                "libvirt's warnings reach the user: \(spawn.stderr.prefix(2000))")
        // --profile: the boot and the reboot, each split into its phases.
        let profiles = spawn.stderr.split(separator: "\n").filter { $0.contains("Boot profile: ") }
        #expect(profiles.count == 2 && profiles.allSatisfy {
            $0.contains("firmware and boot loader ") && $0.contains(", initramfs ") && $0.contains("(ostree-prepare-root ")
                && $0.contains("userspace to qemu-guest-agent ")
        }, "\(profiles)")
        #expect(profiles.first?.hasSuffix("after power-on") == true && profiles.last?.hasSuffix("after the reboot request") == true,
                "\(profiles)")
        #expect(FileManager.default.fileExists(atPath: console), "the console was kept")
        let answers = spawn.stdout.split(separator: "\n")
        let bootIDs = answers.filter { $0.hasPrefix("boot-id ") }
        #expect(bootIDs.count == 2 && bootIDs[0] != bootIDs[1], "--reboot came back with a new boot id: \(bootIDs)")
        #expect(answers.contains { $0.hasPrefix("BOOT_IMAGE=") && $0.contains(" harness.test=1 ") },
                "--karg reached the kernel command line")
        #expect(answers.filter { $0 == "root=LABEL=root rw console=ttyS0,115200 harness.test=1 harness.platform=qemu" }.count == 2,
                "treectl kargs shows the booted deployment's arguments, without ostree's own")

        #expect(spawn.stdout.contains("- fixture-post-1.0-1.noarch"), "the first boot built the override")
        #expect(spawn.stdout.contains("Run \"systemctl reboot\""))
        #expect(answers.contains { $0.hasPrefix("fixture-post-1.0-1") }, "still installed before the reboot")
        #expect(answers.contains("fixture-post-absent"), "gone after the reboot")
        let afterReboot = try #require(spawn.stdout.components(separatedBy: "No change.").dropFirst().last,
                                       "after the reboot the booted deployment already has the override")
        #expect(afterReboot.contains("\"base-removals\" : [\n        \"fixture-post\""), "the booted deployment has the override")
        // The overlay and the domain are gone: the image itself never changed.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp"))?
            .filter { $0.hasPrefix("harness-machine-") } ?? []
        #expect(leftovers.isEmpty, "no machine scratch left: \(leftovers)")
    }

    /// `image extend` gives what `image build` gives: the qemu disk extended from the metal
    /// artifact differs from the built one only in a few blocks of /boot's metadata (the
    /// rewritten files' inode times), its boot entries identical; the build's files unchanged.
    @Test func anExtendedPlatformIsTheBuiltOne() throws {
        let (directory, metadata) = try Self.platformImages()
        let scratch = try TemporaryDirectory(prefix: "platform-extend-")
        defer { scratch.remove() }
        let extend = try harness(["image", "extend", directory, "--platform", "qemu", "-o", scratch.path + "/out"])
        try #require(extend.status == 0, "\(extend.stderr.suffix(2000))")
        let built = scratch.path + "/built.raw", extended = scratch.path + "/extended.raw"
        try Program.check(["qemu-img", "convert", "-O", "raw", directory + "/" + (try #require(metadata.images["qemu"])).path, built])
        try Program.check(["qemu-img", "convert", "-O", "raw", scratch.path + "/out/debian-bookworm-qemu.qcow2", extended])
        // `cmp -l` prints 1-based offsets of differing bytes: as 4 KiB blocks, each once.
        let differences = try Program.check(["sh", "-c", "cmp -l \"$1\" \"$2\" | awk '{ b = int(($1 - 1) / 4096); if (b != last) print b; last = b }'",
                                             "sh", built, extended]).stdout.split(separator: "\n").compactMap { UInt64($0) }
        let bootStart = DiskLayout(diskSize: metadata.diskSize, firmware: .uefi).bootOffset, bootEnd = bootStart + DiskLayout.bootSize
        #expect(!differences.isEmpty && differences.count <= 8, "a few blocks differ: \(differences)")
        #expect(differences.allSatisfy { $0 * 4096 >= bootStart && $0 * 4096 < bootEnd }, "only inside /boot: \(differences)")
        for disk in [built, extended] {
            let entries = try Program.check(["debugfs", "-R", "ls -p /loader/entries", "\(disk)?offset=\(bootStart)"]).stdout
            let name = try #require(entries.split(separator: "/").first { $0.hasSuffix(".conf") })
            let entry = try Program.check(["debugfs", "-R", "cat /loader/entries/\(name)", "\(disk)?offset=\(bootStart)"]).stdout
            #expect(entry.contains(" harness.test=1 ") && entry.contains(" harness.platform=qemu\n") && !entry.contains("platform=metal"),
                    "\(entry)")
        }
        let metal = try #require(metadata.images["metal"])
        #expect(try Digest.sha256(file: directory + "/" + metal.path) == metal.sha256, "the metal artifact was only read")
    }

    /// Every other platform's artifact boots to a ready guest, as `spawn` opens it (OVA and gcp
    /// tar unpacked, VMDK/VHD/VHDX as backing files), through UEFI where the platform's machines
    /// boot so (metal4k on a 4096-byte disk) and the BIOS elsewhere: the same hybrid disk. The
    /// platform's kernel arguments are on the command line, cloud-init found no seed and
    /// disabled itself, harness-growfs ran. The metal image boots on a 20 GiB disk with a NoCloud
    /// seed: the root grows to the disk, the seed's user, key and host name are there.
    @Test(arguments: Platform.allCases.filter { $0 != .qemu })
    func everyPlatformsImageBootsToAReadyGuest(platform: Platform) throws {
        let state = Self.stateDirectory
        let scratch = try TemporaryDirectory(prefix: "platform-boot-")
        defer { scratch.remove() }
        let image = try Self.platformArtifact(platform, scratch: scratch.path)
        let diskSize = try Self.platformImages().metadata.diskSize
        var arguments = ["spawn", "--state-dir", state, image, "--firmware", platform.bootsUEFI ? "uefi" : "bios",
                         "--sector-size", "\(platform.sectorSize)",
                         "--exec", "cat /proc/cmdline",
                         // A oneshot still running when the agent answers: start waits for its job.
                         "--exec", "systemctl start harness-growfs && systemctl is-active harness-growfs",
                         "--exec", "cloud-init status --wait || true",
                         "--exec", "echo sysroot-bytes $(findmnt -n -b -o SIZE /sysroot)"]
        let seeded = platform == .metal
        if seeded {
            try Program.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "seed-test", "-f", scratch.path + "/key"])
            let seed = scratch.path + "/seed.iso"
            let made = try harness(["image", "seed", "-o", seed, "--ssh-key", scratch.path + "/key.pub", "--hostname", "seeded-metal"])
            try #require(made.status == 0, "\(made.stderr)")
            arguments += ["--disk", seed, "--disk-size", "20G",
                          "--exec", "hostname", "--exec", "id core", "--exec", "cat /home/core/.ssh/authorized_keys"]
        }
        let spawn = try harness(arguments)
        #expect(spawn.status == 0, "\(platform) boot failed: \(spawn.stderr.suffix(3000))")
        let lines = spawn.stdout.split(separator: "\n").map(String.init)
        let commandLine = try #require(lines.first { $0.hasPrefix("BOOT_IMAGE=") }, "\(spawn.stdout)")
        for argument in platform.kernelArguments + ["harness.test=1"] {
            #expect(commandLine.split(separator: " ").contains(Substring(argument)), "\(platform): \(argument) in \(commandLine)")
        }
        #expect(lines.contains("active"), "harness-growfs ran: \(spawn.stdout)")
        let sysroot = try #require(lines.first { $0.hasPrefix("sysroot-bytes ") }.flatMap { UInt64($0.dropFirst("sysroot-bytes ".count)) })
        if seeded {
            #expect(lines.contains("status: done"), "cloud-init read the seed: \(spawn.stdout)")
            #expect(sysroot > 19 << 30, "the root grew to the 20 GiB disk: \(sysroot) bytes")
            #expect(lines.contains("seeded-metal"))
            #expect(lines.contains { $0.hasPrefix("uid=") && $0.contains("(core)") })
            let publicKey = try String(contentsOfFile: scratch.path + "/key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(lines.contains(publicKey), "the seed's key is core's")
        } else {
            #expect(lines.contains("status: disabled"), "cloud-init disabled itself without a seed: \(spawn.stdout)")
            #expect(sysroot > 6 << 30 && sysroot < diskSize, "the root fills its disk: \(sysroot)")
        }
    }

    /// `harness run` on a tree that must not pass: a package whose %post breaks the boot
    /// fails the scenario at the first boot, with the console's evidence in the output and in
    /// every report, and nothing left behind.
    @Test func aTreeThatDoesNotBootFailsTheScenarioQuotingTheConsole() throws {
        let output = try ProcessScratchDirectory.path() + "/broken-run"
        let run = try Program.run([HarnessExecutable.path, "run", "--state-dir", Self.stateDirectory,
                                   "--project", TestPaths.packageRoot, "--output", output,
                                   "--treefile", TestPaths.packageRoot + "/scenarios/treefiles/broken-boot.yaml",
                                   "upgrade-rollback"])
        #expect(run.status == 1, "the run fails: \(run.stderr.suffix(2000))")
        #expect(run.stderr.contains("FAIL upgrade-rollback"))
        #expect(run.stderr.contains("emergency"), "the console's emergency-mode line is quoted: \(run.stderr.suffix(3000))")
        let junit = try String(contentsOfFile: output + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("failures=\"1\"") && junit.contains("emergency"))
        let report = try String(contentsOfFile: output + "/report.html", encoding: .utf8)
        #expect(report.contains("Console at the failure") && report.contains("emergency"))
        let console = try String(contentsOfFile: output + "/upgrade-rollback/console.txt", encoding: .utf8)
        #expect(console.contains("You are in emergency mode"), "the console artifact shows the emergency shell")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp"))?
            .filter { $0.hasPrefix("harness-machine-") || $0.hasPrefix("harness-run-") } ?? []
        #expect(leftovers.isEmpty, "no overlay or update disk left: \(leftovers)")
    }

    /// A guest whose channel never answers (here a blank disk: nothing boots) is given up
    /// after `--boot-timeout`, naming the channel and what the console shows last.
    @Test func aGuestThatNeverAnswersIsNamedWithItsChannelAndConsole() throws {
        let scratch = try TemporaryDirectory(prefix: "harness-blank-", in: ProcessScratchDirectory.path())
        defer { scratch.remove() }
        let blank = scratch.path + "/blank.qcow2"
        try Program.check(["qemu-img", "create", "-q", "-f", "qcow2", blank, "64M"])
        let spawn = try Program.run([HarnessExecutable.path, "spawn", "--state-dir", Self.stateDirectory, blank,
                                     "--boot-timeout", "15", "--exec", "true"])
        #expect(spawn.status != 0)
        #expect(spawn.stderr.contains("Guest agent did not answer within 15 s; the console's last lines:\n"), "\(spawn.stderr)")
        #expect(spawn.stderr.contains("(nothing: no boot loader or kernel wrote to the serial console)"), "\(spawn.stderr)")
    }
}
