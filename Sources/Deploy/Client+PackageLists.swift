import Foundation
import OSTree
import RPM
import ToolSupport

extension Client {
    /// The packages in a commit's rpmdb (read from a copy of its `/usr/share/rpm`).
    public func packages(inCommit commit: String) throws -> [InstalledPackage] {
        let scratch = try TemporaryDirectory(prefix: "treectl-rpmdb-", in: sysroot.repositoryPath + "/tmp")
        defer { scratch.remove() }
        try checkoutDatabase(of: commit, into: scratch.path)
        return try RPMDatabase.installedPackages(root: scratch.path)
    }

    /// Copies a commit's rpmdb (`/usr/share/rpm`) into `root` + `/usr/share/rpm`. A copy:
    /// librpm must never write into a file hard-linked to a repository object.
    func checkoutDatabase(of commit: String, into root: String) throws {
        let destination = root + RPMDatabase.pathInTree
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try repository.checkout(commit, to: destination, options: CheckoutOptions(copy: true, subpath: RPMDatabase.pathInTree))
    }

    /// The package list a composed commit carries in its metadata (`harness.packages`): what
    /// `upgrade --preview` compares when only commit objects were fetched.
    func commitPackageList(_ commit: String) throws -> [InstalledPackage] {
        let nevras = try repository.commit(commit).metadata["harness.packages"]?.stringsValue ?? []
        return nevras.compactMap { InstalledPackage(nevra: $0) }.sorted()
    }

    /// Resolves a revision for `db`: a deployment index (`0` is the default), a checksum or
    /// a prefix of one of a deployment, a ref or `remote:ref`.
    public func resolveRevision(_ revision: String) throws -> String {
        let list = deployments
        if let index = Int(revision), revision.count < 4 {
            guard list.indices.contains(index) else { throw DeployError("db: there is no deployment \(index)") }
            return list[index].checksum
        }
        if let deployment = list.first(where: { $0.checksum.hasPrefix(revision) }) { return deployment.checksum }
        do {
            if let commit = try repository.resolve(revision) { return commit }
        } catch {}
        throw DeployError("db: '\(revision)' is neither a deployment, a commit nor a ref of \(sysroot.repositoryPath)")
    }
}
