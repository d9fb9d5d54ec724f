import Foundation
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

    func harness(_ arguments: [String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path] + arguments)
    }

    @Test func composeBuildAndBootTheDefaultImage() throws {
        let state = Self.stateDirectory
        let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
        let compose = try harness(["compose", "tree", "--state-dir", state, treefile])
        try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")

        let image = state + "/default.qcow2"
        let build = try harness(["image", "build", "--state-dir", state, "--ref", "harness/x86_64/debian-bookworm",
                                 "-o", image, "--karg", "harness.test=1"])
        try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")

        let console = state + "/default-console.txt"
        let spawn = try harness(["spawn", "--state-dir", state, image, "--console", console, "--reboot",
                                 "--exec", "ostree admin status", "--exec", "rpm -q treectl",
                                 "--exec", "cat /proc/cmdline", "--exec", "echo boot-id $(cat /proc/sys/kernel/random/boot_id)",
                                 "--exec", "treectl status"])
        #expect(spawn.status == 0, "spawn failed: \(spawn.stderr.suffix(3000))")
        #expect(spawn.stdout.contains("* harness "), "the booted deployment is listed")
        #expect(spawn.stdout.contains("origin refspec: harness:harness/x86_64/debian-bookworm"))
        #expect(spawn.stdout.range(of: #"treectl-[0-9.]+-\S+\.x86_64"#, options: .regularExpression) != nil)
        #expect(spawn.stdout.contains("harness.test=1"), "--karg reached the kernel command line")
        #expect(spawn.stdout.contains("● harness:harness/x86_64/debian-bookworm"), "treectl status marks the booted deployment")
        #expect(spawn.stderr.contains("Guest agent answered after"))
        #expect(FileManager.default.fileExists(atPath: console), "the console was kept")
        let bootIDs = spawn.stdout.split(separator: "\n").filter { $0.hasPrefix("boot-id ") }
        #expect(bootIDs.count == 2 && bootIDs[0] != bootIDs[1], "--reboot came back with a new boot id: \(bootIDs)")
        // The overlay and the domain are gone: the image itself never changed.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp"))?
            .filter { $0.hasPrefix("harness-machine-") } ?? []
        #expect(leftovers.isEmpty, "no machine scratch left: \(leftovers)")
    }

    /// treectl on the booted system: an override builds a new deployment beside the booted
    /// one, and the reboot comes up in it, with an rpmdb that tells the truth.
    @Test func treectlChangesTheBootedSystemAcrossAReboot() throws {
        let state = Self.stateDirectory
        let image = state + "/default.qcow2"
        if !FileManager.default.fileExists(atPath: image) {
            let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
            let compose = try harness(["compose", "tree", "--state-dir", state, treefile])
            try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")
            let build = try harness(["image", "build", "--state-dir", state, "--ref", "harness/x86_64/debian-bookworm",
                                     "-o", image, "--karg", "harness.test=1"])
            try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")
        }
        let spawn = try harness(["spawn", "--state-dir", state, image, "--reboot",
                                 "--exec", "treectl override remove fixture-post",
                                 "--exec", "rpm -q fixture-post || echo fixture-post-absent",
                                 "--exec", "treectl status --json",
                                 "--exec", "treectl kargs"])
        #expect(spawn.status == 0, "spawn failed: \(spawn.stderr.suffix(3000))")
        #expect(spawn.stdout.contains("- fixture-post-1.0-1.noarch"), "the first boot built the override")
        #expect(spawn.stdout.contains("Run \"systemctl reboot\""))
        #expect(spawn.stdout.contains("No change."), "after the reboot the booted deployment already has it")
        let answers = spawn.stdout.split(whereSeparator: \.isNewline)
        #expect(answers.contains { $0.hasPrefix("fixture-post-1.0-1") }, "still installed before the reboot")
        #expect(answers.contains("fixture-post-absent"), "gone after the reboot")
        #expect(answers.filter { $0 == "root=LABEL=root rw console=ttyS0,115200 harness.test=1" }.count == 2,
                "treectl kargs shows the booted deployment's arguments, without ostree's own")
        let afterReboot = try #require(spawn.stdout.components(separatedBy: "No change.").last)
        #expect(afterReboot.contains("\"base-removals\" : [\n        \"fixture-post\""), "the booted deployment has the override")
    }

    /// `treectl upgrade` on the booted system from an update disk (no network): an override
    /// made first is applied again on the new base, and the reboot comes up in the result.
    @Test func upgradeFromAnUpdateDiskKeepsTheOverrideAcrossAReboot() throws {
        let state = Self.stateDirectory
        let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
        let ref = "harness/x86_64/debian-bookworm"
        let compose = try harness(["compose", "tree", "--state-dir", state, treefile])
        try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")
        let image = state + "/upgrade.qcow2"
        let build = try harness(["image", "build", "--state-dir", state, "--ref", ref, "-o", image])
        try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")
        // The next version of the same tree: a new commit on the ref.
        let next = try harness(["compose", "tree", "--state-dir", state, "--force-nocache", treefile])
        try #require(next.status == 0, "second compose failed: \(next.stderr.suffix(2000))")
        let nextCommit = next.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let disk = state + "/updates.img"
        let updates = try harness(["image", "update-disk", "--state-dir", state, "--ref", ref,
                                   "--rpms", state + "/cache/local-repos/harness-local", "-o", disk])
        try #require(updates.status == 0, "update disk failed: \(updates.stderr.suffix(2000))")

        let spawn = try harness(["spawn", "--state-dir", state, image, "--disk", disk, "--reboot",
                                 "--exec", "mkdir -p /run/harness/updates && (mountpoint -q /run/harness/updates || "
                                     + "mount -o ro,noload LABEL=harness-updates /run/harness/updates)",
                                 "--exec", "treectl override replace /run/harness/updates/rpms/fixture-app-1.0-1.noarch.rpm",
                                 "--exec", "treectl upgrade",
                                 "--exec", "echo app-version $(cat /usr/share/fixture/app-version)",
                                 "--exec", "treectl status --json"])
        #expect(spawn.status == 0, "spawn failed: \(spawn.stderr.suffix(3000))")
        #expect(spawn.stdout.contains("~ fixture-app-2.0-1.noarch -> fixture-app-1.0-1.noarch"), "the override was built")
        let answers = spawn.stdout.split(whereSeparator: \.isNewline)
        #expect(answers.firstIndex(of: "app-version 2.0") ?? .max < answers.firstIndex(of: "app-version 1.0") ?? -1,
                "the base's version before the reboot, the override's after")
        let afterReboot = try #require(spawn.stdout.components(separatedBy: "No upgrade available.").dropFirst().last,
                                       "after the reboot there is nothing newer")
        #expect(afterReboot.contains("\"base-checksum\" : \"\(nextCommit)\""), "booted on the new base")
        #expect(afterReboot.contains("\"base-local-replacements\" : [\n        \"fixture-app-1.0-1.noarch\""))
        #expect(spawn.stdout.contains("No change."), "the override was already there after the reboot")
    }

    /// One hybrid disk (GPT, an ESP with GRUB reading ostree's syslinux.cfg, extlinux on
    /// /boot) boots under both firmwares.
    @Test func theUEFIImageBootsThroughOVMFAndTheBIOS() throws {
        let state = Self.stateDirectory
        let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
        let compose = try Program.run([HarnessExecutable.path, "compose", "tree", "--state-dir", state, treefile])
        try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")
        let image = state + "/hybrid.qcow2"
        let build = try Program.run([HarnessExecutable.path, "image", "build", "--state-dir", state,
                                     "--ref", "harness/x86_64/debian-bookworm", "-o", image, "--firmware", "uefi"])
        try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")
        for firmware in ["uefi", "bios"] {
            let spawn = try Program.run([HarnessExecutable.path, "spawn", "--state-dir", state, image, "--firmware", firmware,
                                         "--exec", "ostree admin status",
                                         "--exec", "if test -d /sys/firmware/efi; then echo firmware=uefi; else echo firmware=bios; fi"])
            #expect(spawn.status == 0, "\(firmware) boot failed: \(spawn.stderr.suffix(3000))")
            #expect(spawn.stdout.contains("* harness "))
            #expect(spawn.stdout.contains("firmware=\(firmware)"))
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
}
