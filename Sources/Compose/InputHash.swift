import Foundation
import Solver
import ToolSupport

/// rpm-ostree's `rpmostree.inputhash`: one digest over everything a compose reads, so that an
/// unchanged input set is recognised without building anything. A rebuilt RPM with the same
/// NEVRA changes it too, because each package enters with its file checksum.
public struct InputHash {
    /// The flattened treefile (canonical JSON).
    public var treefileJSON: String
    /// Files the treefile names (includes, scripts, add-files): path → SHA-256. Paths are
    /// taken relative to `directory`, so that a checkout elsewhere hashes the same.
    public var externalFiles: [String: String]
    /// The treefile's directory.
    public var directory: String
    /// The base archive's SHA-256 or the base commit, if there is a base.
    public var base: String?
    /// The resolved package set.
    public var packages: [ResolvedPackage]
    /// The signature checks of each repository that has any (`gpgcheck`, `repo_gpgcheck`, the
    /// keys): turning them on must compose again, so that what was never checked is checked.
    public var signaturePolicies: [String] = []

    /// Bumped whenever the way harness builds a tree changes what a commit holds.
    static let formatVersion = "harness-compose-5"

    public var value: String {
        var text = Self.formatVersion + "\n" + treefileJSON + "\n"
        let relative = Dictionary(externalFiles.map { (Self.path($0.key, relativeTo: directory), $0.value) },
                                  uniquingKeysWith: { a, _ in a })
        for path in relative.keys.sorted() { text += "file \(path) \(relative[path]!)\n" }
        if let base { text += "base \(base)\n" }
        for package in packages.sorted(by: { $0.nevra < $1.nevra }) {
            text += "package \(package.nevra) \(package.checksumType):\(package.checksum)\n"
        }
        for policy in signaturePolicies.sorted() { text += "signatures \(policy)\n" }
        return Digest.sha256(text)
    }

    /// `path` from `directory` (both absolute), with `..` where it lies outside.
    static func path(_ path: String, relativeTo directory: String) -> String {
        let target = path.split(separator: "/"), base = directory.split(separator: "/")
        let shared = zip(target, base).prefix { $0 == $1 }.count
        return (Array(repeating: "..", count: base.count - shared) + target.dropFirst(shared).map(String.init))
            .joined(separator: "/")
    }
}
