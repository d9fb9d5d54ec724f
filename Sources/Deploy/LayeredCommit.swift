import Foundation
import OSTree
import PackageSources
import RPM
import Solver
import ToolSupport
import TreeAssembly

/// Builds the commit of a layered deployment: the base commit with the origin's packages
/// added, removed and replaced, the way rpm-ostree's client does, on the tree-assembly core
/// that compose uses too.
///
/// A copy of the base's rpmdb comes first: base packages taken out are erased from it, and
/// the new packages are depsolved with libdnf against what remains and the rpm-md
/// repositories of the current deployment's `/etc/yum.repos.d` (package files from the
/// sysroot repository, which doubles as the package cache). The tree is then made by
/// `LayeredTree`: merged into the base tree in memory when no scriptlet has to run, otherwise
/// assembled from hard-link checkouts with the scriptlets under bubblewrap. Either way the
/// rpmdb records exactly what the tree holds.
struct LayeredCommit {
    /// Metadata key of a layered commit naming its base commit.
    static let baseKey = "harness.base-commit"
    /// Metadata key rpm-ostree puts on commits it built on a client.
    static let clientLayerKey = "rpmostree.clientlayer"
    /// Refs that keep the base commits of layered deployments.
    static let baseRefPrefix = "treectl/base"

    let client: Client
    /// The deployment whose `/etc/yum.repos.d` names the repositories.
    let configuration: OSTreeDeployment
    let arch: String

    /// Where rpm-md metadata and downloads are cached: the stateroot's `/var/cache/treectl`.
    var cacheDirectory: String {
        client.sysroot.hostPath("ostree/deploy/\(client.osName)/var/cache/treectl")
    }

    /// Builds (or, when nothing is layered, returns) the commit for `origin` on `base`.
    func build(base: String, origin: Origin) throws -> String {
        guard origin.hasLayers else { return base }
        let cache = try PackageCache(path: client.sysroot.repositoryPath)
        // Scratch inside the repository: the same filesystem, so checkouts can hard-link.
        let scratch = try TemporaryDirectory(prefix: "treectl-", in: client.sysroot.repositoryPath + "/tmp")
        defer { scratch.remove() }

        // The base's rpmdb alone is enough to check the request and to depsolve.
        let databaseRoot = scratch.path + "/database"
        try client.checkoutDatabase(of: base, into: databaseRoot)
        let baseHeaders = try RPMDatabase.installedHeaders(root: databaseRoot)
        let baseNames = Set(baseHeaders.map(\.name))
        let locals = try localPackages(origin, cache: cache, baseNames: baseNames)
        try checkRequests(origin, baseNames: baseNames)
        let takenNames = Set(origin.removedBasePackages + origin.replacedBasePackages.map(\.name))
        let taken = baseHeaders.filter { takenNames.contains($0.name) }
        if !taken.isEmpty {
            Console.progress("Removing \(taken.map(\.nevra).sorted().joined(separator: ", "))")
            try RPMDatabase.erase(names: taken.map(\.name), root: databaseRoot)
        }

        let keys = RepositoryKeys()
        let resolved = try resolve(origin, locals: locals, root: databaseRoot, scratch: scratch.path, keys: keys)
        let localByNevra = Dictionary(locals.map { ($0.header.nevra, $0) }, uniquingKeysWith: { a, _ in a })
        let fromRepositories = resolved.packages.filter { localByNevra[$0.nevra] == nil }
        let fetched = try PackageFetcher(cache: cache, cacheDirectory: cacheDirectory, repositories: resolved.repositories,
                                         keys: keys)
            .cachedPackages(for: fromRepositories).packages
        let change = Change(taken: taken, kept: baseHeaders.filter { !takenNames.contains($0.name) },
                            added: resolved.packages.compactMap { localByNevra[$0.nevra] } + fetched)
        Console.progress("Layering \(change.added.map(\.header.nevra).sorted().joined(separator: ", "))")

        let tree = try LayeredTree.canMerge(change)
            ? LayeredTree.merged(base: base, change: change, database: databaseRoot, cache: cache)
            : LayeredTree.assembled(base: base, change: change, database: databaseRoot, cache: cache,
                                    scratch: scratch.path)
        Failpoint.hit("layering-before-commit")
        Console.progress("Committing the layered tree")
        let baseInfo = try client.repository.commit(base)
        var metadata: [String: MetadataValue] = [Self.baseKey: .string(base), Self.clientLayerKey: .bool(true)]
        if let version = baseInfo.metadata["version"] { metadata["version"] = version }
        return try cache.repository.withTransaction { transaction in
            try transaction.writeCommit(tree: tree(transaction), parent: base, subject: "treectl layer on \(base)",
                                        metadata: metadata)
        }
    }

    /// The cached package of every package file in the origin; replacing a package the base
    /// does not have, or layering a file of one it has, is an error.
    private func localPackages(_ origin: Origin, cache: PackageCache, baseNames: Set<String>) throws -> [CachedPackage] {
        for package in origin.replacedBasePackages where !baseNames.contains(package.name) {
            throw DeployError("override replace: package '\(package.name)' is not in the base; use install to add it")
        }
        for package in origin.requestedLocalPackages where baseNames.contains(package.name) {
            throw DeployError("install: package '\(package.name)' is already in the base; use override replace")
        }
        return try (origin.requestedLocalPackages + origin.replacedBasePackages).map { local in
            guard let cached = try cache.lookup(name: local.name, evr: local.evr, arch: local.arch, fileSHA256: local.sha256) else {
                throw DeployError("\(local.nevra): the package file (sha256 \(local.sha256)) is no longer in the package cache; install it again")
            }
            return cached
        }
    }

    /// Requests that make no sense against this base.
    private func checkRequests(_ origin: Origin, baseNames: Set<String>) throws {
        for name in origin.removedBasePackages where !baseNames.contains(name) {
            throw DeployError("override remove: package '\(name)' is not in the base")
        }
        for name in origin.requestedPackages where baseNames.contains(name) {
            throw DeployError("install: package '\(name)' is already in the base")
        }
    }

    /// What depsolving the origin's packages against the tree gave, and where they come from.
    private struct Resolution {
        var packages: [ResolvedPackage]
        var repositories: [String: RepoDefinition]
    }

    private func resolve(_ origin: Origin, locals: [CachedPackage], root: String, scratch: String,
                         keys: RepositoryKeys) throws -> Resolution {
        let solver = try PackageSolver(arch: arch, cacheDirectory: cacheDirectory + "/solv", installRoot: root)
        try solver.loadInstalled()
        var repositories: [String: RepoDefinition] = [:]
        if !origin.requestedPackages.isEmpty {
            let deployment = client.sysroot.directory(of: configuration)
            let repoDirectory = deployment + "/etc/yum.repos.d"
            let osRelease = OSRelease(tree: try RootedTree(deployment))
            let variables = ["basearch": arch, "arch": arch, "releasever": osRelease.versionID]
            // Its file:// keys are the deployment's own, as dnf on the booted system reads them.
            let enabled = try RepoFile.definitions(in: repoDirectory, variables: variables, keyRoot: deployment).values
                .filter(\.enabled).sorted { $0.id < $1.id }
            guard !enabled.isEmpty else {
                throw DeployError("install: no enabled rpm-md repository in \(repoDirectory) to find \(origin.requestedPackages.joined(separator: ", ")) in")
            }
            let loaded = try RepositoryLoader.load(enabled, into: solver, cacheDirectory: cacheDirectory, keys: keys)
            repositories = Dictionary(uniqueKeysWithValues: loaded.map { ($0.id, $0) })
        }
        let headerDirectory = scratch + "/local-headers"
        try FileManager.default.createDirectory(atPath: headerDirectory, withIntermediateDirectories: true)
        for package in locals { try solver.addLocalPackage(package.header, scratchDirectory: headerDirectory) }
        do {
            let packages = try solver.resolve(install: origin.requestedPackages + locals.map(\.header.nevra), exclude: [],
                                              verifyInstalled: true)
            return Resolution(packages: packages, repositories: repositories)
        } catch let error as SolverError {
            throw DeployError("\(error)")
        }
    }
}
