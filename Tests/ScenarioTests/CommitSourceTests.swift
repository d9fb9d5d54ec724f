import Foundation
import TestSupport
import Testing
import Machine
import ToolSupport
@testable import Scenarios

/// `harness run --repo R --image X --update Y`: commits checked and copied before any boot.
@Suite struct CommitSourceTests {
    /// A repository with `v1` and `v2` of an OS (text files for a kernel, systemd, qemu-ga, and
    /// in v2 sshd, as ostree's own tests fake a kernel) and `nokernel`, a tree with only /usr.
    final class TeamRepository {
        let repository: OneCommitRepository
        let state: TemporaryDirectory
        var path: String { repository.path }
        private(set) var v1 = "", v2 = ""

        init() throws {
            repository = try OneCommitRepository(prefix: "commit-source-", branch: "nokernel")
            state = try TemporaryDirectory(prefix: "commit-source-state-", in: ProcessScratchDirectory.path())
            v1 = try commit(version: "1", ref: "otheros/x86_64/stable")
            v2 = try commit(version: "2", ref: "otheros/x86_64/stable")
        }

        deinit {
            repository.remove()
            state.remove()
        }

        private func commit(version: String, ref: String) throws -> String {
            let tree = repository.scratch.path + "/tree-\(version)"
            try FileManager.default.createDirectory(atPath: tree + "/usr/lib/modules/6.1.0-test", withIntermediateDirectories: true)
            try "not a kernel\n".write(toFile: tree + "/usr/lib/modules/6.1.0-test/vmlinuz", atomically: true, encoding: .utf8)
            for program in ["/usr/lib/systemd/systemd", "/usr/sbin/qemu-ga"] + (version == "1" ? [] : ["/usr/sbin/sshd"]) {
                try FileManager.default.createDirectory(atPath: tree + (program as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try "#!/bin/sh\n".write(toFile: tree + program, atomically: true, encoding: .utf8)
            }
            try "ID=otheros\nVERSION_ID=\(version)\n".write(toFile: tree + "/usr/lib/os-release", atomically: true, encoding: .utf8)
            return try Program.check(["ostree", "commit", "--repo=" + path, "--branch=" + ref, "--tree=dir=" + tree])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func resolve(image: String, update: String? = nil) throws -> (image: TestImage, update: String?) {
            try CommitSource(repository: path, image: image, update: update).resolve(stateDirectory: state.path, authorizedKeys: ["ssh-ed25519 AAAA k"])
        }

        func error(image: String, update: String? = nil, repository: String? = nil, channel: ChannelKind = .agent,
                   gpgKey: String? = nil) -> String {
            do {
                _ = try CommitSource(repository: repository ?? path, image: image, update: update, gpgKey: gpgKey)
                    .resolve(stateDirectory: state.path, channel: channel, authorizedKeys: [])
                return "resolved"
            } catch {
                return String(describing: error)
            }
        }
    }

    @Test func aRefAndAnUpdateCommitAreCopiedIntoTheState() throws {
        let team = try TeamRepository()
        let (image, update) = try team.resolve(image: "otheros/x86_64/stable", update: team.v2)
        // The ref's head is v2; an image of the update ref and an older commit as the image:
        #expect(image.commit == team.v2 && update == team.v2)
        let (older, _) = try team.resolve(image: team.v1, update: "otheros/x86_64/stable")
        #expect(older.commit == team.v1 && older.ref == "otheros/x86_64/stable", "a commit follows the update's ref")
        #expect(older.osName == "otheros", "the stateroot is the os-release ID")
        #expect(older.authorizedKeys == ["ssh-ed25519 AAAA k"])
        let (parent, _) = try team.resolve(image: "otheros/x86_64/stable^", update: "otheros/x86_64/stable")
        #expect(parent.commit == team.v1 && parent.ref == "otheros/x86_64/stable", "REF^ is a commit, not a ref to follow")
        let ref = try Program.check(["ostree", "--repo=" + team.state.path + "/repo", "rev-parse", "otheros/x86_64/stable"])
        #expect(ref.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == team.v1, "the state's ref is the image's commit")
    }

    @Test func badInputIsNamedBeforeAnyBoot() throws {
        let team = try TeamRepository()
        #expect(team.error(image: "x", repository: team.state.path + "/none").contains("/none: not an OSTree repository"))
        let missing = team.error(image: "otheros/x86_64/testing")
        #expect(missing.contains("--image otheros/x86_64/testing: no such ref or commit in \(team.path)"), "\(missing)")
        #expect(missing.contains("refs: nokernel, otheros/x86_64/stable"), "\(missing)")
        let noKernel = team.error(image: "nokernel")
        #expect(noKernel.contains("--image nokernel (commit \(team.repository.commit.prefix(12))): no kernel in /usr/lib/modules/*/vmlinuz"), "\(noKernel)")
        let noRef = team.error(image: team.v1)
        #expect(noRef.contains("a commit alone names no ref"), "\(noRef)")
        let badUpdate = team.error(image: "otheros/x86_64/stable", update: "nokernel")
        #expect(badUpdate.contains("--update nokernel"), "\(badUpdate)")
        let noSSHD = team.error(image: team.v1, update: "otheros/x86_64/stable", channel: .ssh(identity: "/k"))
        #expect(noSSHD.contains("--image \(team.v1) (commit \(team.v1.prefix(12))): no sshd (/usr/sbin/sshd), which --channel ssh needs"), "\(noSSHD)")
        #expect(team.error(image: "otheros/x86_64/stable", channel: .ssh(identity: "/k")) == "resolved", "v2 has sshd")

        // `ostree commit --branch` binds the commit to its branch: the guest would refuse it on
        // the ref the image follows, unless it is bound to that ref too.
        for (branch, extra) in [("candidate", [String]()), ("release", ["--bind-ref=otheros/x86_64/stable"])] {
            try Program.check(["ostree", "commit", "--repo=" + team.path, "--branch=otheros/x86_64/" + branch,
                               "--tree=ref=otheros/x86_64/stable"] + extra)
        }
        let unbound = team.error(image: "otheros/x86_64/stable", update: "otheros/x86_64/candidate")
        #expect(unbound.contains("--update otheros/x86_64/candidate (commit ") && unbound.contains(
            "is bound to otheros/x86_64/candidate (ostree.ref-binding), so the guest's ostree refuses it on otheros/x86_64/stable"),
                "\(unbound)")
        #expect(team.error(image: "otheros/x86_64/stable", update: "otheros/x86_64/release") == "resolved")
    }

    /// An archive repository served over HTTP on loopback: refs pulled into the state.
    @Test func aRepositoryURLIsPulledIntoTheState() throws {
        let team = try TeamRepository()
        let server = try LoopbackHTTPServer(directory: team.path)
        let (image, update) = try CommitSource(repository: server.url, image: "otheros/x86_64/stable", update: "otheros/x86_64/stable")
            .resolve(stateDirectory: team.state.path, authorizedKeys: [])
        #expect(image.commit == team.v2 && update == team.v2 && image.osName == "otheros")
        let commitByURL = team.error(image: team.v1, repository: server.url)
        #expect(commitByURL.contains("with a repository URL or a GPG key, name refs"), "\(commitByURL)")
    }

    /// With a key, every commit must carry its signature: a signed ref passes, an unsigned one
    /// fails the pull naming the ref, and a key that is no key is named.
    @Test func withAKeyOnlySignedCommitsComeIn() throws {
        let team = try TeamRepository()
        let key = try TestSigningKey(name: "release")
        try key.sign(commit: team.v2, in: team.path)
        let signed = try CommitSource(repository: team.path, image: "otheros/x86_64/stable", update: nil, gpgKey: key.publicKeyPath)
            .resolve(stateDirectory: team.state.path, authorizedKeys: [])
        #expect(signed.image.commit == team.v2)
        try Program.check(["ostree", "commit", "--repo=" + team.path, "--branch=otheros/x86_64/unsigned", "--tree=ref=otheros/x86_64/stable"])
        let unsigned = team.error(image: "otheros/x86_64/unsigned", gpgKey: key.publicKeyPath)
        #expect(unsigned.contains("pulling otheros/x86_64/unsigned failed") && unsigned.lowercased().contains("signature"), "\(unsigned)")
        let notAKey = team.error(image: "otheros/x86_64/stable", gpgKey: team.path + "/config")
        #expect(notAKey.contains("--repo-gpg-key \(team.path)/config: not an OpenPGP key"), "\(notAKey)")
    }

    @Test func anUnreachableURLIsNamed() throws {
        let team = try TeamRepository()
        let failure = team.error(image: "otheros/x86_64/stable", repository: "http://127.0.0.1:9/repo")
        #expect(failure.contains("--repo http://127.0.0.1:9/repo: pulling otheros/x86_64/stable failed"), "\(failure)")
    }
}
