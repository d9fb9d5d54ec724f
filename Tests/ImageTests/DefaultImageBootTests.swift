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

    /// Compose, image build and boot, as a user runs them; then treectl on the booted system:
    /// an override builds a new deployment beside the booted one, and `--reboot` comes up in
    /// it, with an rpmdb that tells the truth. (An override applied again on an upgraded base
    /// is the `override-replace` scenario, which CI runs.)
    @Test func composeBuildAndBootTheDefaultImageThenChangeItWithTreectl() throws {
        let state = Self.stateDirectory
        let treefile = TestPaths.packageRoot + "/images/debian-bookworm/treefile.yaml"
        let compose = try harness(["compose", "tree", "--state-dir", state, treefile])
        try #require(compose.status == 0, "compose failed: \(compose.stderr.suffix(2000))")

        let image = state + "/default.qcow2"
        let build = try harness(["image", "build", "--state-dir", state, "--ref", "harness/x86_64/debian-bookworm",
                                 "-o", image, "--karg", "harness.test=1"])
        try #require(build.status == 0, "image build failed: \(build.stderr.suffix(2000))")

        let console = state + "/default-console.txt"
        // Every --exec runs on the first boot and again after the reboot.
        let spawn = try harness(["spawn", "--state-dir", state, image, "--console", console, "--reboot",
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
        #expect(FileManager.default.fileExists(atPath: console), "the console was kept")
        let answers = spawn.stdout.split(separator: "\n")
        let bootIDs = answers.filter { $0.hasPrefix("boot-id ") }
        #expect(bootIDs.count == 2 && bootIDs[0] != bootIDs[1], "--reboot came back with a new boot id: \(bootIDs)")
        #expect(answers.contains { $0.hasPrefix("BOOT_IMAGE=") && $0.contains(" harness.test=1 ") },
                "--karg reached the kernel command line")
        #expect(answers.filter { $0 == "root=LABEL=root rw console=ttyS0,115200 harness.test=1" }.count == 2,
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
