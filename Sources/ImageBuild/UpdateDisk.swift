import Foundation
import OSTree
import ToolSupport

/// A disk that carries updates to a machine without a network: an ext4 filesystem labelled
/// `harness-updates` holding `repo/`, an archive-mode OSTree repository with the given refs
/// (what an image's `harness` remote, `file:///run/harness/updates/repo`, pulls from once
/// the disk is mounted there), and optionally `rpms/`, an rpm-md repository for layering and
/// overrides. Attach it read-only (`harness spawn --disk`).
public struct UpdateDisk {
    /// The filesystem label the guest mounts it by.
    public static let label = "harness-updates"

    public var repository: String
    public var refs: [String]
    public var rpmRepository: String?
    public var output: String

    public init(repository: String, refs: [String], rpmRepository: String? = nil, output: String) {
        self.repository = repository
        self.refs = refs
        self.rpmRepository = rpmRepository
        self.output = output
    }

    /// Writes the disk image (raw), replacing `output`.
    public func write() throws {
        let source = try OSTreeRepository.open(at: repository)
        for ref in refs where try source.resolve(ref) == nil {
            throw ImageError("\(repository): no ref '\(ref)' to put on the update disk")
        }
        if let rpmRepository, !FileManager.default.fileExists(atPath: rpmRepository + "/repodata/repomd.xml") {
            throw ImageError("\(rpmRepository): not an rpm-md repository (no repodata/repomd.xml)")
        }
        let staging = try TemporaryDirectory(prefix: "harness-updates-")
        defer { staging.remove() }
        Console.progress("Copying \(refs.joined(separator: ", ")) into the update disk's repository")
        let target = try OSTreeRepository.openOrCreate(at: staging.path + "/repo", mode: .archive)
        try target.pullLocal(from: source, commits: refs)
        if let rpmRepository {
            try Program.check(["cp", "-a", rpmRepository, staging.path + "/rpms"])
        }
        let content = UInt64(try Program.check(["du", "-sb", staging.path]).stdout.split(separator: "\t").first ?? "0") ?? 0
        let size = (content + content / 4 + (64 << 20)) / (1 << 20) * (1 << 20)
        Console.progress("Writing \(output) (\(ByteCount.format(size)))")
        let partial = output + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try Program.check(["truncate", "-s", String(size), partial])
        try Program.check(["mkfs.ext4", "-q", "-F", "-L", Self.label, "-d", staging.path, partial])
        try? FileManager.default.removeItem(atPath: output)
        try FileManager.default.moveItem(atPath: partial, toPath: output)
    }
}
