import Foundation
import TestSupport
import Testing
import ToolSupport

/// A second OS that `harness compose` did not make (`images/fixtures/plain-debian`: Debian
/// committed with plain `ostree commit`, sshd, no treectl, no guest agent, its own stateroot
/// and ref), proven as a team would prove theirs: `harness run --repo --image --update` over
/// SSH. The repository is built once per state directory and script.
@Suite(.tags(.boot), .serialized)
struct AnyOSBootTests {
    static var stateDirectory: String { DefaultImageBootTests.stateDirectory }
    static let script = TestPaths.packageRoot + "/images/fixtures/plain-debian/build-commits.sh"
    static let ref = "plain-debian/x86_64/stable"

    /// `STATE/plain-debian-HASH/repo`, built by the fixture's script when missing.
    static func repository() throws -> String {
        let digest = Digest.sha256(try String(contentsOfFile: script, encoding: .utf8)).prefix(12)
        let directory = stateDirectory + "/plain-debian-\(digest)"
        if !FileManager.default.fileExists(atPath: directory + "/repo/summary") {
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let build = try Program.run([script, directory + "/repo"])
            guard build.succeeded else {
                try? FileManager.default.removeItem(atPath: directory)
                throw FixtureError.script(path: script, output: String(build.stderr.suffix(2000)))
            }
        }
        return directory + "/repo"
    }

    /// `harness run`, from a directory outside the checkout: it finds its scenarios beside
    /// its executable.
    func harness(_ arguments: [String], output: String) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "run", "--state-dir", Self.stateDirectory, "--output", output] + arguments,
                        environment: ProcessInfo.processInfo.environment.merging(["LIBVIRT_LOG_OUTPUTS": "4:stderr"]) { $1 },
                        currentDirectory: "/var/tmp")
    }

    /// v1 boots, takes v2 with `ostree admin upgrade`, rolls back, takes a kernel argument
    /// through a new deployment: over SSH, from a directory outside the checkout. The scenario
    /// that needs the default image is skipped, saying why.
    @Test func anotherOSPassesTheGenericScenariosOverSSH() throws {
        let repository = try Self.repository()
        let output = Self.stateDirectory + "/any-os-run"
        try? FileManager.default.removeItem(atPath: output)
        let run = try harness(["--repo", repository, "--image", Self.ref + "^", "--update", Self.ref, "--channel", "ssh",
                               "upgrade-rollback", "kargs", "layering"], output: output)
        #expect(run.status == 0, "harness run failed: \(run.stderr.suffix(4000))")
        #expect(run.stderr.contains("SSH to 127.0.0.1:") && run.stderr.contains("answered after"))
        #expect(run.stderr.contains("SKIP layering: needs the default image"))
        let transcript = try String(contentsOfFile: output + "/upgrade-rollback/transcript.txt", encoding: .utf8)
        #expect(transcript.contains("the guest's client: ostree"))
        #expect(transcript.contains("$ ostree admin upgrade"))
        #expect(!transcript.contains("treectl"), "plain ostree all the way")
    }

    /// An update whose tree has a unit failing at boot fails the run, and the failure quotes
    /// the unit's own journal lines.
    @Test func anUpdateWhoseUnitFailsAtBootFailsTheRun() throws {
        let repository = try Self.repository()
        let output = Self.stateDirectory + "/any-os-broken-run"
        try? FileManager.default.removeItem(atPath: output)
        let run = try harness(["--repo", repository, "--image", Self.ref, "--update", "plain-debian/x86_64/broken",
                               "--channel", "ssh", "upgrade-rollback"], output: output)
        #expect(run.status == 1)
        #expect(run.stderr.contains("failed units: plain-debian-broken.service"), "\(run.stderr.suffix(3000))")
        #expect(run.stderr.contains("plain-debian-broken: failing on purpose"), "the unit's journal is quoted")
    }
}
