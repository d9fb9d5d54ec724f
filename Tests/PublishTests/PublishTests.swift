import Foundation
import OSTree
import Publish
import TestSupport
import Testing
import ToolSupport

/// `harness publish` into a directory served by a real HTTP server on loopback, pulled by a
/// fresh `ostree` client that verifies commits and the summary.
@Suite struct PublishTests {
    @Test func aFreshClientPullsTheUpdateThroughTheStaticDelta() throws {
        let bed = try PublishTestbed()
        var options = PublishOptions(source: bed.source, destination: bed.served, refs: [PublishTestbed.ref])
        options.signer = bed.signer
        let result = try Publisher(options: options).publish()
        #expect(result.refs == [PublishTestbed.ref: bed.commits[1]])
        #expect(result.deltas == ["\(bed.commits[0])-\(bed.commits[1])"])
        #expect(FileManager.default.fileExists(atPath: bed.served + "/summary.sig"))

        let server = try LoopbackHTTPServer(directory: bed.scratch.path + "/www")
        let client = try bed.client(url: server.url + "/repo")
        let first = try bed.pull(client, ["r", "\(PublishTestbed.ref)@\(bed.commits[0])"])
        #expect(first.succeeded, "\(first.stderr)")
        let update = try bed.pull(client, ["--require-static-deltas", "r", PublishTestbed.ref])
        #expect(update.succeeded, "\(update.stderr)")
        #expect(update.stdout.contains("1 delta parts"), "\(update.stdout)")
        let head = try Program.check(["ostree", "--repo=" + client, "rev-parse", "r:" + PublishTestbed.ref]).stdout
        #expect(head.trimmingCharacters(in: .whitespacesAndNewlines) == bed.commits[1])
    }

    @Test func theSummaryVerifiesWithThePublishingKeyOnly() throws {
        let bed = try PublishTestbed(commits: 1)
        var options = PublishOptions(source: bed.source, destination: bed.served, refs: [PublishTestbed.ref])
        options.signer = bed.signer
        _ = try Publisher(options: options).publish()
        let server = try LoopbackHTTPServer(directory: bed.scratch.path + "/www")
        let trusting = try bed.client(url: server.url + "/repo")
        let listed = try Program.run(["ostree", "--repo=" + trusting, "remote", "summary", "r"])
        #expect(listed.succeeded, "\(listed.stderr)")
        #expect(listed.stdout.contains("Verification enabled, found 1 signature"), "\(listed.stdout)")
        #expect(listed.stdout.contains("Good signature"), "\(listed.stdout)")

        let other = try TestSigningKey(name: "other")
        let distrusting = try bed.client(url: server.url + "/repo", keyFile: other.publicKeyPath)
        let refused = try bed.pull(distrusting, ["r", PublishTestbed.ref])
        #expect(!refused.succeeded)
        #expect(refused.stderr.contains("public key not found"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: distrusting + "/refs/remotes/r"))
    }

    @Test func anInterruptedPublishKeepsServingThePreviousState() throws {
        let bed = try PublishTestbed(commits: 1)
        let arguments = [HarnessExecutable.path, "publish", "--repo", bed.source, "--to", bed.served,
                         "--gpg-sign", bed.key.email, "--gpg-homedir", bed.key.homedir, PublishTestbed.ref]
        try Program.check(arguments)
        let before = try bed.servedGeneration()
        try bed.commit()
        var environment = ProcessInfo.processInfo.environment
        environment["HARNESS_FAILPOINTS"] = "publish-before-switch=kill"
        let killed = try Program.run(arguments, environment: environment)
        #expect(killed.status == 128 + SIGKILL)
        #expect(try bed.servedGeneration() == before)

        // The half-made generation is complete on disk but not served: a client gets v1,
        // with a summary that verifies and names only objects that are there.
        let server = try LoopbackHTTPServer(directory: bed.scratch.path + "/www")
        let client = try bed.client(url: server.url + "/repo")
        let pulled = try bed.pull(client, ["r", PublishTestbed.ref])
        #expect(pulled.succeeded, "\(pulled.stderr)")
        let head = try Program.check(["ostree", "--repo=" + client, "rev-parse", "r:" + PublishTestbed.ref]).stdout
        #expect(head.trimmingCharacters(in: .whitespacesAndNewlines) == bed.commits[0])
        try Program.check(["ostree", "--repo=" + client, "fsck"])

        // The next publish removes the leftover and serves v2.
        try Program.check(arguments)
        let store = bed.scratch.path + "/www/.repo.publish"
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).filter { Int($0) != nil }.count == 1)
        let again = try bed.pull(client, ["--require-static-deltas", "r", PublishTestbed.ref])
        #expect(again.succeeded, "\(again.stderr)")
    }

    @Test func publishingAgainWritesNothingAndHistoryBeyondTheDepthIsPruned() throws {
        let bed = try PublishTestbed(commits: 3)
        var options = PublishOptions(source: bed.source, destination: bed.served, refs: [PublishTestbed.ref])
        options.signer = bed.signer
        options.depth = 1
        options.deltas = 2
        let first = try Publisher(options: options).publish()
        #expect(first.changed)
        #expect(Set(first.deltas) == ["\(bed.commits[0])-\(bed.commits[2])", "\(bed.commits[1])-\(bed.commits[2])"])
        let again = try Publisher(options: options).publish()
        #expect(!again.changed)
        #expect(again.generation == first.generation)

        let served = try OSTreeRepository.open(at: bed.served)
        #expect(served.hasCommit(bed.commits[2]) && served.hasCommit(bed.commits[1]))
        #expect(!served.hasCommit(bed.commits[0]))

        // A new head: the deltas to the old one go, the history moves on.
        try bed.commit()
        let next = try Publisher(options: options).publish()
        #expect(Set(next.deltas) == ["\(bed.commits[1])-\(bed.commits[3])", "\(bed.commits[2])-\(bed.commits[3])"])
        let republished = try OSTreeRepository.open(at: bed.served)
        #expect(!republished.hasCommit(bed.commits[1]))
        try Program.check(["ostree", "--repo=" + bed.served, "fsck"])
    }

    @Test func badInputIsRefusedBeforeAnythingIsWritten() throws {
        let bed = try PublishTestbed(commits: 1)
        var options = PublishOptions(source: bed.source, destination: bed.served, refs: ["os/missing"])
        #expect(throws: PublishError("os/missing: no such ref in \(bed.source)")) { try Publisher(options: options).publish() }

        options.refs = [PublishTestbed.ref]
        options.deltaFrom = ["os/older"]
        #expect(throws: PublishError("--delta-from os/older: no such commit in \(bed.source)")) { try Publisher(options: options).publish() }
        options.deltaFrom = []
        options.signer = GPGSigner(keyID: "nobody@harness.invalid", homedir: bed.key.homedir)
        let error = #expect(throws: (any Error).self) { try Publisher(options: options).publish() }
        #expect("\(error!)".contains("GPG key 'nobody@harness.invalid' has no secret key in the keyring \(bed.key.homedir)"))
        #expect(!FileManager.default.fileExists(atPath: bed.scratch.path + "/www"))

        // A directory that harness did not make is never replaced.
        try FileManager.default.createDirectory(atPath: bed.served, withIntermediateDirectories: true)
        options.signer = bed.signer
        let refused = #expect(throws: PublishError.self) { try Publisher(options: options).publish() }
        #expect(refused?.description.contains("is not a directory harness publish made") == true)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskLeavesThePreviousStateServed() throws {
        let bed = try PublishTestbed(commits: 1)
        let mountPoint = bed.scratch.path + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try Program.check(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint])
        defer { _ = try? Program.run(["umount", "-l", mountPoint]) }
        var options = PublishOptions(source: bed.source, destination: mountPoint + "/repo", refs: [PublishTestbed.ref])
        options.signer = bed.signer
        _ = try Publisher(options: options).publish()
        let before = try FileManager.default.destinationOfSymbolicLink(atPath: mountPoint + "/repo")

        // 4 MB more does not fit beside the 3 MB already there.
        try Data((0..<(4 << 20)).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: bed.tree + "/usr/bin/another"))
        try bed.commit()
        let error = #expect(throws: (any Error).self) { try Publisher(options: options).publish() }
        #expect("\(error!)".contains("No space left on device"), "\(error!)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: mountPoint + "/repo") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/.repo.publish").filter { Int($0) != nil } == ["1"])
        try Program.check(["ostree", "--repo=" + mountPoint + "/repo", "fsck"])
    }
}
