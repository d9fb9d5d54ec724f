import Foundation
import OSTree
import ToolSupport

/// A disk that carries updates to a machine without a network: an ext4 filesystem labelled
/// `harness-updates` holding `repo/`, an archive-mode OSTree repository with the given refs
/// (what an image's `harness` remote, `file:///run/harness/updates/repo`, pulls from once
/// the disk is mounted there), and optionally `rpms/`, one rpm-md repository for layering and
/// overrides made of the packages of several. Attach it read-only (`harness spawn --disk`).
public struct UpdateDisk {
    /// The filesystem label the guest mounts it by.
    public static let label = "harness-updates"

    /// A ref on the disk and the commit it points to in the source repository.
    public struct Ref: Sendable {
        /// The ref's name on the disk.
        public var name: String
        /// A ref or checksum in the source repository.
        public var source: String

        /// The ref `name` as it is in the source repository.
        public init(_ name: String) { self.init(name, from: name) }

        /// The ref `name` pointing to what `source` (a ref or a checksum) is in the source
        /// repository: how a commit composed on another branch is offered as the next version
        /// of the branch a machine follows.
        public init(_ name: String, from source: String) {
            self.name = name
            self.source = source
        }
    }

    public var repository: String
    public var refs: [Ref]
    /// rpm-md repositories whose packages go into `rpms/`.
    public var rpmRepositories: [String]
    public var output: String

    public init(repository: String, refs: [Ref], rpmRepositories: [String] = [], output: String) {
        self.repository = repository
        self.refs = refs
        self.rpmRepositories = rpmRepositories
        self.output = output
    }

    /// Writes the disk image (raw), replacing `output`.
    public func write() throws {
        let source = try OSTreeRepository.open(at: repository)
        var commits: [String: String] = [:]
        for ref in refs {
            guard let commit = try source.resolve(ref.source) else {
                throw ImageError("\(repository): no ref '\(ref.source)' to put on the update disk")
            }
            commits[ref.name] = commit
        }
        for rpmRepository in rpmRepositories where !FileManager.default.fileExists(atPath: rpmRepository + "/repodata/repomd.xml") {
            throw ImageError("\(rpmRepository): not an rpm-md repository (no repodata/repomd.xml)")
        }
        let staging = try TemporaryDirectory(prefix: "harness-updates-")
        defer { staging.remove() }
        Console.progress("Copying \(refs.map(\.name).joined(separator: ", ")) into the update disk's repository")
        let target = try OSTreeRepository.openOrCreate(at: staging.path + "/repo", mode: .archive)
        try target.pullLocal(from: source, commits: Array(Set(commits.values)))
        for (name, commit) in commits.sorted(by: { $0.key < $1.key }) {
            try target.setRefImmediately(name, to: commit)
        }
        if !rpmRepositories.isEmpty {
            try writeRPMRepository(at: staging.path + "/rpms")
        }
        try DataDisk.write(from: staging.path, label: Self.label, to: output)
    }

    /// Every package of `rpmRepositories` in one rpm-md repository at `path`.
    private func writeRPMRepository(at path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for rpmRepository in rpmRepositories {
            let packages = try FileManager.default.contentsOfDirectory(atPath: rpmRepository).filter { $0.hasSuffix(".rpm") }
            for package in packages where !FileManager.default.fileExists(atPath: path + "/" + package) {
                try FileManager.default.copyItem(atPath: rpmRepository + "/" + package, toPath: path + "/" + package)
            }
        }
        try Program.check(["createrepo_c", "--quiet", path])
    }
}
