import OSTree
import RPM

/// A deployment, as the client's changes return it.
public typealias Deployment = OSTreeDeployment

/// The packages added, removed and changed between two commits: what `treectl db diff`
/// prints and what a change says it did.
public struct PackageDiff: Encodable, Equatable, Sendable {
    /// A package in both commits, at another version.
    public struct Change: Encodable, Equatable, Sendable {
        public var from: String
        public var to: String
    }

    public var from: String
    public var to: String
    /// NEVRAs.
    public var added: [String]
    public var removed: [String]
    public var changed: [Change]
    /// Each change as `rpm-ostree db diff` lists it (`+ nevra`, `- nevra`, `~ old -> new`).
    public let lines: [String]

    enum CodingKeys: String, CodingKey { case from, to, added, removed, changed }

    /// The diff of two package lists, of the commits `from` and `to`.
    public init(from: String, _ old: [InstalledPackage], to: String, _ new: [InstalledPackage]) {
        let changes = PackageChange.between(old, new)
        self.from = from
        self.to = to
        added = changes.compactMap { if case .added(let package) = $0 { package.nevra } else { nil } }
        removed = changes.compactMap { if case .removed(let package) = $0 { package.nevra } else { nil } }
        changed = changes.compactMap { if case .changed(let a, let b) = $0 { Change(from: a.nevra, to: b.nevra) } else { nil } }
        lines = changes.map(\.diffLine)
    }
}

extension Client {
    /// The package changes from commit `from` to commit `to`, read from their rpmdbs.
    public func packageDiff(from: String, to: String) throws -> PackageDiff {
        PackageDiff(from: from, try packages(inCommit: from), to: to, try packages(inCommit: to))
    }
}
