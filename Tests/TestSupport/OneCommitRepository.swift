import Foundation
import ToolSupport

/// An archive OSTree repository, in a scratch directory of its own, with one commit of a tree
/// that holds only `/usr`: for commands that need a ref and no boot. Call `remove()` when done.
public struct OneCommitRepository {
    public let scratch: TemporaryDirectory
    public let path: String
    public let commit: String

    public init(prefix: String, branch: String) throws {
        scratch = try TemporaryDirectory(prefix: prefix, in: ProcessScratchDirectory.path())
        path = scratch.path + "/repo"
        try Program.check(["ostree", "init", "--repo=" + path, "--mode=archive"])
        try FileManager.default.createDirectory(atPath: scratch.path + "/tree/usr", withIntermediateDirectories: true)
        commit = try Program.check(["ostree", "commit", "--repo=" + path, "--branch=" + branch,
                                    "--tree=dir=" + scratch.path + "/tree"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func remove() { scratch.remove() }
}
