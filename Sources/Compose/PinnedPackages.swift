import Foundation
import OSTree
import RPM
import Solver
import ToolSupport
import Treefile
import TreeAssembly

/// A package set given exactly rather than resolved from a treefile: each package taken from
/// the package cache, the whole set checked by the solver to hold together on the base.
enum PinnedPackages {
    /// The cached package of each NEVRA; an error names the first the cache does not have.
    static func cached(_ nevras: [String], cache: PackageCache, cacheDirectory: String) throws -> [CachedPackage] {
        try nevras.map { nevra in
            guard let package = InstalledPackage(nevra: nevra) else {
                throw ComposeError("package set: '\(nevra)' is not of the form name-[epoch:]version-release.arch")
            }
            guard let cached = try cache.lookup(package) else {
                throw ComposeError("package set: \(nevra) is not in the package cache of \(cacheDirectory) "
                                   + "(compose a tree that has it with this cache first)")
            }
            return cached
        }
    }

    /// What the solver finds wrong with installing exactly `packages` on the base at `root`
    /// (a requirement nothing in the set or the base provides, a conflict), or nil.
    static func problem(_ packages: [CachedPackage], root: String, base: Composer.Base, options: ComposeOptions,
                        scratch: String) throws -> String? {
        let solver = try PackageSolver(arch: options.basearch, cacheDirectory: options.cacheDirectory + "/solv",
                                       installRoot: root)
        if base.hasDatabase { try solver.loadInstalled() }
        let headers = scratch + "/headers"
        try FileManager.default.createDirectory(atPath: headers, withIntermediateDirectories: true)
        for package in packages { try solver.addLocalPackage(package.header, scratchDirectory: headers) }
        do {
            _ = try solver.resolve(install: packages.map(\.header.nevra), exclude: [], weakDependencies: false)
            return nil
        } catch let error as SolverError {
            return "\(error)"
        }
    }

    /// The package as the input hash and the commit's package list name it.
    static func resolved(_ package: CachedPackage) -> ResolvedPackage {
        let header = package.header
        return ResolvedPackage(name: header.name, epoch: header.epoch ?? 0, version: header.version, release: header.release,
                               arch: header.arch, repository: "@cache", location: "", checksumType: "sha256",
                               checksum: package.fileSHA256 ?? "", downloadSize: 0)
    }
}

/// Checks package sets against one treefile's base without composing them: the base checked
/// out once, each set then depsolved in milliseconds (`harness bisect` orders its changes
/// with it). `close()` removes the checkout.
public final class PackageSetCheck {
    private let composer: Composer
    private let workspace: Composer.Workspace
    private let base: Composer.Base

    init(composer: Composer, workspace: Composer.Workspace, base: Composer.Base) {
        self.composer = composer
        self.workspace = workspace
        self.base = base
    }

    /// What keeps exactly `nevras` from being installed together on the base, or nil.
    public func problem(with nevras: [String]) throws -> String? {
        let packages = try PinnedPackages.cached(nevras, cache: workspace.cache, cacheDirectory: composer.options.cacheDirectory)
        return try Composer.processLock.withLock {
            try PinnedPackages.problem(packages, root: workspace.root, base: base, options: composer.options,
                                       scratch: workspace.scratch.path)
        }
    }

    public func close() { workspace.scratch.remove() }
}

extension Composer {
    /// A check of package sets on `treefilePath`'s base (imported into the cache if needed).
    public func packageSetCheck(treefilePath: String) throws -> PackageSetCheck {
        try Self.processLock.withLock {
            let lock = try DirectoryLock(directory: options.cacheDirectory, purpose: "compose")
            defer { withExtendedLifetime(lock) {} }
            let treefile = try TreefileLoader(basearch: options.basearch, variables: options.variables).load(treefilePath)
            let target = try OSTreeRepository.openOrCreate(at: options.repository, mode: .archive)
            let workspace = try Workspace(options: options)
            do {
                return PackageSetCheck(composer: self, workspace: workspace,
                                       base: try prepareBase(treefile, target: target, in: workspace))
            } catch {
                workspace.scratch.remove()
                throw error
            }
        }
    }
}
