import Foundation
import ImageBuild
import Machine
import OSTree
import ToolSupport

/// `harness run --repo REPO --image REF|COMMIT [--update REF|COMMIT]`: a team's own commits,
/// checked before anything boots and copied into the state's repository, where the image is
/// built from them and update disks are written.
///
/// REPO is a local repository, copied from directly, or the `http(s)://` URL of an archive
/// repository. A URL, or any REPO with `gpgKey`, is pulled through a remote of the state's
/// repository (`harness-run-` and a digest of the URL and key), with `gpg-verify` on and the
/// key imported when there is one: a commit not signed by it fails the pull.
public struct CommitSource: Sendable {
    public var repository: String
    public var image: String
    public var update: String?
    /// An OpenPGP public key (armored or binary) every commit must be signed with.
    public var gpgKey: String?

    public init(repository: String, image: String, update: String?, gpgKey: String? = nil) {
        self.repository = repository
        self.image = image
        self.update = update
        self.gpgKey = gpgKey
    }

    var isURL: Bool { repository.hasPrefix("http://") || repository.hasPrefix("https://") }
    /// Whether the commits come through a remote (and are pulled by ref) rather than copied.
    var throughRemote: Bool { isURL || gpgKey != nil }

    /// The image under test (not built yet) and the update's commit: each commit resolved and
    /// required to carry what a guest needs (`requireGuestPieces`), copied into `STATE/repo`,
    /// the image's ref pointed at it.
    public func resolve(stateDirectory: String, channel: ChannelKind = .agent,
                        authorizedKeys: [String]) throws -> (image: TestImage, update: String?) {
        let state = try OSTreeRepository.openOrCreate(at: stateDirectory + "/repo", mode: .archive)
        let source = try sourceRepository(state: state)
        let imageCommit = try commit(of: image, option: "--image", in: source)
        let updateCommit = try update.map { try commit(of: $0, option: "--update", in: source) }
        let refs = try source.refs()
        guard let ref = [image, update].compactMap({ $0 }).first(where: { refs[$0] != nil }) else {
            throw ScenarioError("--image \(image): a commit alone names no ref for the image to follow; give --image REF or --update REF")
        }
        var commits = [("--image \(image)", imageCommit)]
        if let update, let updateCommit { commits.append(("--update \(update)", updateCommit)) }
        if !throughRemote {
            Console.progress("Copying \(commits.map { $0.1.prefix(12) }.joined(separator: " and ")) from \(repository)")
            try state.pullLocal(from: source, commits: commits.map(\.1))
        }
        for (what, commit) in commits {
            try Self.requireGuestPieces(commit, of: what, channel: channel, in: state.path)
        }
        if let update, let updateCommit {
            try Self.requireBinding(of: updateCommit, as: "--update \(update)", to: ref, in: state)
        }
        // Only commits fit to boot move the ref the image is built from.
        try state.setRefImmediately(ref, to: imageCommit)
        let osName = try Self.osName(of: imageCommit, in: state.path) ?? ImageOptions.defaultOSName
        return (TestImage(ref: ref, commit: imageCommit, osName: osName, authorizedKeys: authorizedKeys), updateCommit)
    }

    /// The repository to resolve in: REPO itself, or the state's repository after pulling the
    /// refs named through a remote.
    private func sourceRepository(state: OSTreeRepository) throws -> OSTreeRepository {
        if !isURL {
            guard FileManager.default.fileExists(atPath: repository + "/config") else {
                throw ScenarioError("--repo \(repository): not an OSTree repository (no config file)")
            }
        }
        guard throughRemote else {
            do { return try OSTreeRepository.open(at: repository) } catch {
                throw ScenarioError("--repo \(repository): not an OSTree repository: \(error)")
            }
        }
        let url = isURL ? repository : "file://" + repository
        let keyDigest = try gpgKey.map { key -> String in
            do { return try Digest.sha256(file: key) } catch {
                throw ScenarioError("--repo-gpg-key \(key): cannot read it: \(error)")
            }
        }
        let remote = "harness-run-" + Digest.sha256(url + "\n" + (keyDigest ?? "")).prefix(12)
        var state = state
        if !state.remotes().contains(remote) {
            let ostree = ["ostree", "--repo=" + state.path, "remote"]
            try Program.check(ostree + ["add", gpgKey == nil ? "--no-gpg-verify" : "--set=gpg-verify=true", remote, url])
            if let gpgKey {
                do { try Program.check(ostree + ["gpg-import", "--keyring=" + gpgKey, remote]) } catch {
                    _ = try? Program.run(ostree + ["delete", remote])
                    throw ScenarioError("--repo-gpg-key \(gpgKey): not an OpenPGP key ostree can import: \(error)")
                }
            }
            // libostree reads the configuration when it opens a repository.
            state = try OSTreeRepository.open(at: state.path)
        }
        for name in [image, update].compactMap({ $0 }) {
            guard !Self.isChecksum(name) else {
                throw ScenarioError("\(name): with a repository URL or a GPG key, name refs (a commit cannot be pulled by itself)")
            }
            Console.progress("Pulling \(name) from \(repository)")
            do {
                try state.pull(remote: remote, OSTreeRepository.PullRequest(ref: name))
            } catch {
                throw ScenarioError("--repo \(repository): pulling \(name) failed: \(error)")
            }
            try state.setRefImmediately(name, to: try state.resolve(remote + ":" + name))
        }
        return state
    }

    private func commit(of name: String, option: String, in source: OSTreeRepository) throws -> String {
        guard let commit = try? source.resolve(name), source.hasCommit(commit) else {
            let refs = ((try? source.refs()) ?? [:]).keys.sorted()
            throw ScenarioError("\(option) \(name): no such ref or commit in \(repository)"
                                + (refs.isEmpty ? " (it has no refs)" : " (refs: \(refs.prefix(8).joined(separator: ", ")))"))
        }
        return commit
    }

    static func isChecksum(_ name: String) -> Bool {
        name.count == 64 && name.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The commit must carry what ostree deploys and harness drives: a kernel in
    /// `/usr/lib/modules/$kver/vmlinuz`, systemd, and the channel's other end (qemu-ga or sshd).
    static func requireGuestPieces(_ commit: String, of what: String, channel: ChannelKind, in repository: String) throws {
        func exists(_ path: String) throws -> Bool {
            try Program.run(["ostree", "--repo=" + repository, "ls", commit, path]).succeeded
        }
        func missing(_ reason: String) -> ScenarioError {
            ScenarioError("\(what) (commit \(commit.prefix(12))): \(reason)")
        }
        let modules = try Program.run(["ostree", "--repo=" + repository, "ls", "--nul-filenames-only", commit, "/usr/lib/modules"])
        let directories = modules.succeeded ? modules.stdout.split(separator: "\0").map(String.init) : []
        guard try directories.contains(where: { try exists($0 + "/vmlinuz") }) else {
            throw missing("no kernel in /usr/lib/modules/*/vmlinuz, so ostree cannot deploy it")
        }
        guard try exists("/usr/lib/systemd/systemd") else { throw missing("no systemd (/usr/lib/systemd/systemd)") }
        switch channel {
        case .agent:
            guard try exists("/usr/sbin/qemu-ga") || exists("/usr/bin/qemu-ga") else {
                throw missing("no QEMU guest agent (qemu-ga) for the default channel; a guest with sshd runs with --channel ssh")
            }
        case .ssh:
            guard try exists("/usr/sbin/sshd") else { throw missing("no sshd (/usr/sbin/sshd), which --channel ssh needs") }
        }
    }

    /// The update reaches the guest on `ref`, the ref the image follows. A commit bound to
    /// other refs (`ostree.ref-binding`, which `ostree commit --branch` writes) is refused
    /// there by the guest's ostree, as a commit served under a ref it was not made for.
    static func requireBinding(of commit: String, as what: String, to ref: String, in repository: OSTreeRepository) throws {
        guard let bound = try repository.commit(commit).metadata["ostree.ref-binding"]?.stringsValue, !bound.contains(ref) else { return }
        throw ScenarioError("\(what) (commit \(commit.prefix(12))) is bound to \(bound.joined(separator: ", ")) (ostree.ref-binding), "
            + "so the guest's ostree refuses it on \(ref), the ref the image follows; commit it with --bind-ref=\(ref) too")
    }

    /// The `ID` of the commit's os-release: the stateroot of its deployment.
    static func osName(of commit: String, in repository: String) throws -> String? {
        for path in ["/usr/lib/os-release", "/usr/etc/os-release"] {
            let result = try Program.run(["ostree", "--repo=" + repository, "cat", commit, path])
            guard result.succeeded else { continue }
            for line in result.stdout.split(separator: "\n") where line.hasPrefix("ID=") {
                let value = line.dropFirst(3).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                if !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) { return value }
            }
        }
        return nil
    }
}
