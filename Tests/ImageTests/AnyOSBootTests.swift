import Foundation
import Machine
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// A second OS that `harness compose` did not make (`images/fixtures/plain-debian`: Debian
    /// committed with plain `ostree commit`, sshd, no treectl, no guest agent, its own stateroot
    /// and ref), proven as a team would prove theirs: `harness run --repo --image --update` over
    /// SSH. The repository is built once per state directory and script. Nested in the boot
    /// suite, so that it too boots one machine at a time.
    @Suite struct AnyOSBootTests {
        static var stateDirectory: String { DefaultImageBootTests.stateDirectory }
        static let ref = "plain-debian/x86_64/stable"

        /// `STATE/plain-debian-HASH/repo`, built by the fixture's script when missing
        /// (`build-cached.sh`, which scripts/test.sh starts beside the Swift build), once per
        /// process: a static is initialised once, its other readers wait.
        static func repository() throws -> String { try built.get() }

        private static let built = Result { () throws -> String in
            let cached = TestPaths.packageRoot + "/images/fixtures/plain-debian/build-cached.sh"
            let build = try Program.run([cached, stateDirectory])
            guard build.succeeded else { throw FixtureError.script(path: cached, output: String(build.stderr.suffix(2000))) }
            return build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// `harness run`, from a directory outside the checkout: it finds its scenarios beside
        /// its executable.
        func harness(_ arguments: [String], output: String) throws -> ProgramResult {
            try Program.run([HarnessExecutable.path, "run", "--state-dir", Self.stateDirectory, "--output", output] + arguments,
                            environment: ProcessInfo.processInfo.environment.merging(["LIBVIRT_LOG_OUTPUTS": "4:stderr"]) { $1 },
                            currentDirectory: "/var/tmp")
        }

        /// The second OS as its script makes it: plain `ostree commit`s, two on its stable ref and
        /// a candidate beside, bound to stable too, each with a kernel and sshd and without
        /// treectl or the guest agent.
        @Test func theFixtureOSIsPlainOSTreeCommitsWithSSHDAndNoTreectlOrGuestAgent() throws {
            let repository = try Self.repository()
            let refs = try Program.check(["ostree", "--repo=" + repository, "refs"]).stdout.split(separator: "\n")
            #expect(Set(refs) == [Substring(Self.ref), "plain-debian/x86_64/broken"])
            let history = try Program.check(["ostree", "--repo=" + repository, "log", Self.ref]).stdout
            #expect(history.components(separatedBy: "\ncommit ").count == 2 && history.contains("plain-debian 1"),
                    "v1 and v2 on the stable ref: \(history)")
            for ref in [Self.ref + "^", Self.ref, "plain-debian/x86_64/broken"] {
                func exists(_ path: String) -> Bool {
                    (try? Program.run(["ostree", "--repo=" + repository, "ls", ref, path]))?.succeeded ?? false
                }
                let modules = try Program.check(["ostree", "--repo=" + repository, "ls", "-R", ref, "/usr/lib/modules"]).stdout
                #expect(modules.contains("/vmlinuz") && modules.contains("/initramfs.img"), "\(ref): kernel and initramfs")
                #expect(exists("/usr/sbin/sshd") && exists("/usr/bin/ostree"), "\(ref): sshd and ostree")
                #expect(!exists("/usr/bin/treectl") && !exists("/usr/sbin/qemu-ga"), "\(ref): neither treectl nor the guest agent")
            }
            let binding = try Program.check(["ostree", "--repo=" + repository, "show", "--print-metadata-key=ostree.ref-binding",
                                             "plain-debian/x86_64/broken"]).stdout
            #expect(binding.contains("'\(Self.ref)'"), "the candidate may be delivered on stable: \(binding)")
        }

        /// The SSH channel against the fixture OS's own sshd, run in a sandbox on the host (its
        /// tree checked out, loopback shared): commands, exit statuses and both streams, detached
        /// jobs with their environment, large output, and a refused key named at once.
        @Test func theSSHChannelDrivesARealSSHD() throws {
            let repository = try Self.repository()
            let scratch = try TemporaryDirectory(prefix: "harness-sshd-", in: "/var/tmp")
            defer { scratch.remove() }
            let root = scratch.path + "/root"
            try Program.check(["ostree", "--repo=" + repository, "checkout", Self.ref, root])
            let key = try SSHKey.ofState(scratch.path + "/state")
            let home = try RootedTree(root)
            try home.createDirectory("/var/roothome/.ssh", mode: 0o700)
            try home.writeFile("/var/roothome/.ssh/authorized_keys", Array((key.publicKey + "\n").utf8), mode: 0o600)
            let port = Int.random(in: 30000..<60000)
            let sshd = Process()
            sshd.executableURL = URL(fileURLWithPath: "/usr/bin/bwrap")
            sshd.arguments = ["--bind", root, "/", "--bind", root + "/usr/etc", "/etc", "--dev", "/dev", "--proc", "/proc",
                              "--tmpfs", "/run", "--dir", "/run/sshd", "--tmpfs", "/tmp", "--unshare-pid", "--unshare-ipc",
                              "--die-with-parent", "/usr/sbin/sshd", "-D", "-e", "-p", String(port), "-o", "ListenAddress=127.0.0.1"]
            sshd.standardOutput = FileHandle.nullDevice
            sshd.standardError = FileHandle.nullDevice
            try sshd.run()
            defer {
                kill(sshd.processIdentifier, SIGKILL)
                sshd.waitUntilExit()
            }
            let channel = SSHChannel(port: port, identity: key.privateKeyPath)
            var answered = false
            for _ in 0..<50 where !answered {
                answered = try channel.ping()
                if !answered { Thread.sleep(forTimeInterval: 0.2) }
            }
            try #require(answered, "sshd on 127.0.0.1:\(port) never answered")

            let result = try channel.run("echo \"$0\" out; echo err >&2; exit 3", timeout: 30)
            #expect(result == GuestCommandResult(exitCode: 3, stdout: "/bin/sh out\n", stderr: "err\n"), "run under /bin/sh whatever root's shell")
            let large = try channel.run("head -c 300000 /dev/zero | tr '\\0' a", timeout: 30)
            #expect(large.stdout.count == 300_000)

            let job = try channel.start("sleep 2; echo \"$GREETING\"; echo late >&2; exit 4", environment: ["GREETING=hello there"])
            #expect(try channel.status(of: job) == nil, "the job runs detached")
            var status: GuestCommandResult?
            for _ in 0..<50 where status == nil {
                Thread.sleep(forTimeInterval: 0.2)
                status = try channel.status(of: job)
            }
            #expect(status == GuestCommandResult(exitCode: 4, stdout: "hello there\n", stderr: "late\n"))

            let stranger = try SSHKey.ofState(scratch.path + "/other-state")
            #expect(throws: MachineError.self) { _ = try SSHChannel(port: port, identity: stranger.privateKeyPath).ping() }
            do { _ = try SSHChannel(port: port, identity: stranger.privateKeyPath).ping() } catch {
                #expect(String(describing: error).contains("refuses root with \(stranger.privateKeyPath)"), "\(error)")
            }
        }

        /// The team's release boots over SSH, from a directory outside the checkout, and takes
        /// its candidate with plain `ostree admin upgrade`; the candidate has a unit that fails at
        /// boot, which fails the run, quoting the unit's journal. The scenario that needs the
        /// default image is skipped, saying why. (The passing scenarios, `upgrade-rollback`,
        /// `kargs` and `power-cut`, take 22 minutes on this OS: benchmarks/any-os runs them.)
        @Test func anUpdateWhoseUnitFailsAtBootFailsTheRun() throws {
            let repository = try Self.repository()
            let output = Self.stateDirectory + "/any-os-broken-run"
            try? FileManager.default.removeItem(atPath: output)
            let run = try harness(["--repo", repository, "--image", Self.ref, "--update", "plain-debian/x86_64/broken",
                                   "--channel", "ssh", "upgrade-rollback", "layering"], output: output)
            #expect(run.status == 1, "\(run.stderr.suffix(3000))")
            #expect(run.stderr.contains("SSH to 127.0.0.1:") && run.stderr.contains("answered after"))
            #expect(run.stderr.contains("SKIP layering: needs the default image"))
            #expect(run.stderr.contains("failed units: plain-debian-broken.service"), "\(run.stderr.suffix(3000))")
            #expect(run.stderr.contains("plain-debian-broken: failing on purpose"), "the unit's journal is quoted")
            let transcript = try String(contentsOfFile: output + "/upgrade-rollback/transcript.txt", encoding: .utf8)
            #expect(transcript.contains("the guest's client: ostree") && transcript.contains("booted into image"))
            #expect(transcript.contains("$ ostree admin upgrade") && !transcript.contains("$ treectl"), "plain ostree all the way")
        }
    }
}
