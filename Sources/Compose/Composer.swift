import Foundation
import OSTree
import PackageSources
import RPM
import RepoFetch
import Solver
import ToolSupport
import TreeAssembly
import Treefile

/// `harness compose tree`: a treefile and RPM repositories in, one OSTree commit out.
///
/// The target repository is written only at the very end, in one transaction: a compose that
/// fails at any step moves no ref and leaves the repository valid.
public struct Composer {
    public let options: ComposeOptions

    public init(options: ComposeOptions) { self.options = options }

    /// Metadata keys of a composed commit.
    public enum Key {
        public static let inputHash = "rpmostree.inputhash"
        public static let version = "version"
        public static let packages = "harness.packages"
    }

    /// librpm and libdnf keep process-wide state (rpm's macros, among them the database
    /// path), so composes within one process take turns.
    static let processLock = NSLock()

    /// Runs the compose of `treefilePath`.
    public func compose(treefilePath: String) throws -> ComposeResult {
        try Self.processLock.withLock {
            // Other processes composing with the same cache take turns too.
            let lock = try DirectoryLock(directory: options.cacheDirectory, purpose: "compose")
            defer { withExtendedLifetime(lock) {} }
            return try composeLocked(treefilePath: treefilePath)
        }
    }

    /// The steps of a compose: the treefile, the base, the package set and the input hash;
    /// then, unless nothing changed, the packages into a tree and the tree into a commit.
    private func composeLocked(treefilePath: String) throws -> ComposeResult {
        let (treefile, ref, signer) = try load(treefilePath)
        let target = try OSTreeRepository.openOrCreate(at: options.repository, mode: .archive)
        let workspace = try Workspace(options: options)
        defer { workspace.scratch.remove() }
        let base = try prepareBase(treefile, target: target, in: workspace)
        let selection = try options.packageSet.map { try pinnedPackages($0, base: base, in: workspace) }
            ?? resolvePackages(treefile, base: base, in: workspace)
        // Each file the treefile reads (a base archive among them) is read once for both hashes.
        var externalFiles: [String: String] = [:]
        for path in treefile.externalFiles { externalFiles[path] = try Digest.sha256(file: path) }
        let inputHash = try inputHash(of: treefile, externalFiles: externalFiles, base: base, selection: selection)
        let nevras = selection.resolved.map(\.nevra).sorted()
        let previous = try target.resolve(ref)
        let previousInfo = try previous.map { try target.commit($0) }
        if let unchanged = try unchangedResult(ref: ref, inputHash: inputHash, nevras: nevras, previous: previous,
                                               previousInfo: previousInfo) {
            try writeLockfile(selection)
            return unchanged
        }

        // Packages: from the cache where the same file was imported before, else fetched.
        let (fetched, imported) = try selection.cached.map { ($0, []) }
            ?? PackageFetcher(cache: workspace.cache, cacheDirectory: options.cacheDirectory,
                              repositories: selection.repositories, keys: selection.keys)
                .cachedPackages(for: selection.resolved)
        // One order whatever order the solver found them in: install order and the rpmdb's
        // rows break ties by it, and a tree must not depend on it.
        let packages = fetched.sorted { $0.header.nevra < $1.header.nevra }
        let version = treefile.automaticVersionPrefix.map {
            AutomaticVersion.next(prefix: $0, suffix: treefile.automaticVersionSuffix ?? ".",
                                  previous: previousInfo?.metadata[Key.version]?.stringValue)
        }
        try writeLockfile(selection)
        let record = AssemblyRecord(inputs: assemblyInputs(of: treefile, externalFiles: externalFiles, base: base), packages: packages,
                                    place: AssemblyRecord.Place(repository: ComposedTreeRetention.identity(of: target), ref: ref))
        let commitTree = { (build: (Transaction) throws -> MutableTree) in
            try self.commitTree(build, in: workspace, to: target, ref: ref, parent: previous,
                                subject: version.map { "\(ref) \($0)" } ?? ref,
                                metadata: commitMetadata(treefile, inputHash: inputHash, nevras: nevras, version: version),
                                record: record, signer: signer)
        }
        if let previous, !options.forceNoCache {
            do {
                let incremental = try IncrementalAssembly(
                    previous: previous, record: try AssemblyRecord(of: previous, in: workspace.cache), inputs: record.inputs,
                    packages: packages, installed: try baseHeaders(in: workspace.root), treefile: treefile, cache: workspace.cache)
                let commit = try commitTree { try incremental.tree(in: $0, root: workspace.root, assembler: workspace.assembler) }
                return ComposeResult(ref: ref, commit: commit, version: version, inputhash: inputHash,
                                     packages: nevras, changed: true, imported: imported)
            } catch let unsuitable as IncrementalAssembly.Unsuitable {
                Console.progress("Assembling every package instead: \(unsuitable)")
            }
        }
        try assemble(packages, treefile: treefile, in: workspace)
        let commit = try commitTree { transaction in
            Console.progress("Committing the tree")
            let tree = MutableTree()
            try transaction.writeDirectory(workspace.root, into: tree, devinoCache: workspace.assembler.devinoCache)
            return tree
        }
        return ComposeResult(ref: ref, commit: commit, version: version, inputhash: inputHash,
                             packages: nevras, changed: true, imported: imported)
    }

    /// The treefile, its ref and the key to sign with, checked before any work.
    private func load(_ treefilePath: String) throws -> (Treefile, ref: String, signer: GPGSigner?) {
        let treefile = try TreefileLoader(basearch: options.basearch, variables: options.variables).load(treefilePath)
        guard let ref = options.ref ?? treefile.ref, !ref.isEmpty else {
            throw ComposeError("\(treefilePath): key 'ref' is required")
        }
        try Self.checkCommitMetadataSize(treefile)
        let signer = options.signer ?? treefile.gpgKey.map { GPGSigner(keyID: $0) }
        if let signer, !options.dryRun { try signer.checkSecretKey() }
        if !treefile.unimplementedKeys.isEmpty {
            Console.warning("\(treefilePath): keys not implemented yet, ignored: \(treefile.unimplementedKeys.joined(separator: ", "))")
        }
        return (treefile, ref, signer)
    }

    /// What decides how the packages are made into a tree: the treefile without its package
    /// selection, the files it reads but the treefiles themselves (their content is in it), the
    /// base (`AssemblyRecord.inputs`). `externalFiles`: each file the treefile reads → SHA-256.
    private func assemblyInputs(of treefile: Treefile, externalFiles: [String: String], base: Base) -> String {
        InputHash(treefileJSON: treefile.flattenedJSONWithoutPackageSelection(),
                  externalFiles: externalFiles.filter { !treefile.documentFiles.contains($0.key) },
                  directory: treefile.directory, base: base.identity, packages: []).value
    }

    /// What decides the tree: the flattened treefile, the files it reads (path → SHA-256), the
    /// base, the packages and the signature policies they were checked under.
    private func inputHash(of treefile: Treefile, externalFiles: [String: String], base: Base,
                           selection: PackageSelection) throws -> String {
        InputHash(treefileJSON: try treefile.flattenedJSON(), externalFiles: externalFiles,
                         directory: treefile.directory, base: base.identity, packages: selection.resolved,
                         signaturePolicies: selection.signaturePolicies).value
    }

    /// The answer when no commit is to be written: a dry run, or inputs the ref's commit was
    /// composed from already (unless `--force-nocache`).
    private func unchangedResult(ref: String, inputHash: String, nevras: [String], previous: String?,
                                 previousInfo: CommitInfo?) throws -> ComposeResult? {
        if options.dryRun {
            return ComposeResult(ref: ref, commit: previous ?? "", version: nil, inputhash: inputHash, packages: nevras, changed: false)
        }
        guard let previous, let previousInfo, !options.forceNoCache,
              previousInfo.metadata[Key.inputHash]?.stringValue == inputHash else { return nil }
        Console.progress("No apparent changes since previous commit; use --force-nocache to override")
        return ComposeResult(ref: ref, commit: previous, version: previousInfo.metadata[Key.version]?.stringValue,
                             inputhash: inputHash, packages: nevras, changed: false)
    }

    /// `--write-lockfile-to`, written however the compose ends once the package set is known:
    /// a dry run, no change, or a commit.
    private func writeLockfile(_ selection: PackageSelection) throws {
        guard let path = options.writeLockfileTo else { return }
        try Lockfile.write(selection.resolved, to: path,
                           generated: options.sourceDateEpoch.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date())
    }

    /// The commit's metadata: the input hash, the package list, the version, and the
    /// treefile's `add-commit-metadata`.
    private func commitMetadata(_ treefile: Treefile, inputHash: String, nevras: [String],
                                version: String?) -> [String: MetadataValue] {
        var metadata: [String: MetadataValue] = [
            Key.inputHash: .string(inputHash),
            Key.packages: .strings(nevras),
        ]
        if let version { metadata[Key.version] = .string(version) }
        for (key, value) in treefile.addCommitMetadata { metadata[key] = value.metadataValue }
        return metadata
    }

    /// Where one compose works: the package cache, and a scratch directory beside it (the same
    /// filesystem, so that checkouts hard-link) whose `root` becomes the tree.
    struct Workspace {
        let cache: PackageCache
        let assembler: TreeAssembler
        let scratch: TemporaryDirectory
        var root: String { scratch.path + "/root" }

        init(options: ComposeOptions) throws {
            cache = try PackageCache(path: options.cacheDirectory + "/pkgcache-repo")
            assembler = TreeAssembler(cache: cache)
            let parent = options.cacheDirectory + "/tmp"
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            scratch = try TemporaryDirectory(prefix: "compose-", in: parent)
        }
    }

    /// The base a tree starts from, as checked out into the workspace's root.
    struct Base {
        /// The base archive's SHA-256 or the base commit (`InputHash.base`); nil without a base.
        var identity: String?
        /// Whether the root has an rpmdb the solver must see (the base's own, or one holding
        /// the pseudo-package that describes a base not made from RPMs).
        var hasDatabase: Bool
    }

    /// Checks the treefile's `base:` out into the root (so that the solver sees what it
    /// already holds), with an rpmdb describing it when it has none.
    func prepareBase(_ treefile: Treefile, target: OSTreeRepository, in workspace: Workspace) throws -> Base {
        let root = workspace.root
        let cache = workspace.cache
        var identity: String?
        switch treefile.base {
        case .archive(let path), .recipe(let path):
            let archive = if case .recipe = treefile.base {
                try BaseRecipe(path: path, cacheDirectory: options.cacheDirectory).archive()
            } else {
                path
            }
            let commit = try cache.importBaseArchive(at: archive)
            identity = "archive:" + (try cache.repository.commit(commit).metadata["harness.base.archive-sha256"]?.stringValue ?? commit)
            try workspace.assembler.checkoutBase(commit, into: root)
        case .ostreeRef(let baseRef):
            guard let commit = try target.resolve(baseRef) else {
                throw ComposeError("\(treefile.path): base: ref '\(baseRef)' not found in \(options.repository)")
            }
            try cache.repository.pullLocal(from: target, commits: [commit])
            identity = "commit:" + commit
            try workspace.assembler.checkoutBase(commit, into: root)
        case nil:
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            return Base(identity: nil, hasDatabase: false)
        }
        if !FileManager.default.fileExists(atPath: root + RPMDatabase.pathInTree + "/rpmdb.sqlite") {
            let header = try BaseDescription.header(forTreeAt: root, arch: options.basearch)
            try workspace.assembler.writeDatabase([header], root: root, append: false)
        }
        return Base(identity: identity, hasDatabase: true)
    }

    /// The packages a compose installs: resolved from the treefile's repositories, or given
    /// exactly (`packageSet`) and taken from the cache.
    struct PackageSelection {
        var resolved: [ResolvedPackage]
        /// The packages themselves when they all come from the cache already.
        var cached: [CachedPackage]?
        var repositories: [String: RepoDefinition] = [:]
        var keys = RepositoryKeys()
        var signaturePolicies: [String] = []
    }

    /// Depsolves the treefile's packages against its repositories.
    func resolvePackages(_ treefile: Treefile, base: Base, in workspace: Workspace) throws -> PackageSelection {
        let solver = try PackageSolver(arch: options.basearch, cacheDirectory: options.cacheDirectory + "/solv",
                                       installRoot: workspace.root)
        if base.hasDatabase { try solver.loadInstalled() }
        let keys = RepositoryKeys()
        let repositories = try loadRepositories(treefile, into: solver, keys: keys)
        if let lockfile = options.lockfile {
            let locks = lockfile.packages.sorted { $0.key < $1.key }.map { PackageSolver.Lock(name: $0.key, evr: $0.value.evr, arch: $0.value.arch) }
            if let missing = solver.lock(locks).first {
                throw ComposeError("\(lockfile.packages[missing.name]!.file): \(missing.name) \(missing.evr)\(missing.arch.map { ".\($0)" } ?? ""): "
                                   + "no enabled repository has the locked version")
            }
        }
        let resolved: [ResolvedPackage]
        do {
            resolved = try solver.resolve(install: treefile.packages, exclude: treefile.excludePackages,
                                          weakDependencies: treefile.recommends ?? true)
        } catch let error as SolverError {
            throw ComposeError("\(treefile.path): \(error)")
        }
        Console.progress("Resolved \(resolved.count) packages")
        try options.lockfile?.check(resolved, strict: options.lockfileStrict)
        let policies = try repositories.values.filter { $0.gpgCheck || $0.repoGPGCheck }.map { repository in
            "\(repository.id) gpgcheck=\(repository.gpgCheck) repo_gpgcheck=\(repository.repoGPGCheck) keys="
                + Digest.sha256(try keys.armoredKeys(of: repository).map(\.text).joined(separator: "\n"))
        }
        return PackageSelection(resolved: resolved, repositories: repositories, keys: keys, signaturePolicies: policies)
    }

    /// `packageSet`'s packages from the cache, checked by the solver to hold together on the
    /// base with nothing added.
    func pinnedPackages(_ nevras: [String], base: Base, in workspace: Workspace) throws -> PackageSelection {
        let packages = try PinnedPackages.cached(nevras, cache: workspace.cache, cacheDirectory: options.cacheDirectory)
        if let problem = try PinnedPackages.problem(packages, root: workspace.root, base: base, options: options,
                                                    scratch: workspace.scratch.path) {
            throw ComposeError("the package set does not hold together: \(problem)")
        }
        Console.progress("Taking \(packages.count) packages as given, from the package cache")
        return PackageSelection(resolved: packages.map(PinnedPackages.resolved), cached: packages)
    }

    /// Installs the packages into the root, runs their scriptlets and the treefile's
    /// postprocessing, and converts the root to the OSTree layout.
    func assemble(_ packages: [CachedPackage], treefile: Treefile, in workspace: Workspace) throws {
        let root = workspace.root
        let assembler = workspace.assembler
        try assembler.checkoutPackages(packages, into: root, options: AssemblyOptions(documentation: treefile.documentation ?? true))
        try assembler.runScriptlets(packages, in: root, installed: try baseHeaders(in: root))
        Console.progress("Writing the rpm database")
        try assembler.writeDatabase(packages.map(\.header), root: root, append: true)
        try ComposePostprocess(treefile: treefile, root: root).apply()
        Console.progress("Converting to the OSTree layout")
        try TreeLayout(root: root).apply()
    }

    /// The packages the base brings (a base from a composed commit has its own, whose triggers
    /// fire too), from the rpmdb in the root `prepareBase` made.
    private func baseHeaders(in root: String) throws -> [RPMHeader] {
        FileManager.default.fileExists(atPath: root + RPMDatabase.pathInTree + "/rpmdb.sqlite")
            ? try RPMDatabase.installedHeaders(root: root) : []
    }

    /// Commits the tree `build` makes into the cache repository (where the hard-linked files
    /// of a checkout already are) with its `AssemblyRecord`, signs it, then copies it into the
    /// target with the ref moved in one transaction; then prunes the cache of old trees.
    func commitTree(_ build: (Transaction) throws -> MutableTree, in workspace: Workspace, to target: OSTreeRepository,
                    ref: String, parent: String?, subject: String, metadata: [String: MetadataValue],
                    record: AssemblyRecord, signer: GPGSigner?) throws -> String {
        let cache = workspace.cache
        let commit = try cache.repository.withTransaction { transaction -> String in
            let tree = try build(transaction)
            let commit = try transaction.writeCommit(tree: tree, parent: parent, subject: subject,
                                                     metadata: metadata, timestamp: options.sourceDateEpoch)
            try record.write(for: commit, tree: tree, in: transaction, cache: cache)
            return commit
        }
        if let signer {
            Console.progress("Signing \(commit.prefix(12)) with \(signer.description)")
            try cache.repository.signCommit(commit, with: signer)
        }
        // The tree is in the cache repository now: its scratch copy goes while it is copied.
        let removal = DispatchGroup(), root = workspace.root
        DispatchQueue.global().async(group: removal) { FileTree.removeRecursively(root) }
        defer { removal.wait() }
        Console.progress("Copying \(commit.prefix(12)) into \(options.repository)")
        try target.pullLocal(from: cache.repository, commits: [commit])
        try target.withTransaction { $0.setRef(ref, to: commit) }
        Console.progress("Wrote commit \(commit) to \(ref)")
        ComposedTreeRetention.prune(cache, target: target)
        return commit
    }

    /// Refuses `add-commit-metadata` that would not fit in a commit libostree can load, before
    /// any work: clients would fail to pull it.
    static func checkCommitMetadataSize(_ treefile: Treefile) throws {
        let metadata = treefile.addCommitMetadata.mapValues(\.metadataValue)
        // Room for harness's own keys (the package list) and the rest of the commit object.
        let limit = MetadataValue.maximumCommitSize - (1 << 20)
        guard MetadataValue.serializedSize(metadata) > limit else { return }
        let largest = metadata.max { MetadataValue.serializedSize([$0.key: $0.value]) < MetadataValue.serializedSize([$1.key: $1.value]) }!
        let size = MetadataValue.serializedSize([largest.key: largest.value])
        throw ComposeError("\(treefile.path): add-commit-metadata: '\(largest.key)' alone takes \(ByteCount.format(UInt64(size))); "
                           + "a commit's metadata must stay under libostree's limit of 10 MiB")
    }

    /// Fetches the metadata of the treefile's repositories and adds them to the solver.
    private func loadRepositories(_ treefile: Treefile, into solver: PackageSolver,
                                  keys: RepositoryKeys) throws -> [String: RepoDefinition] {
        var variables = ["basearch": options.basearch, "arch": options.basearch]
        if let releasever = treefile.releasever { variables["releasever"] = releasever }
        var definitions = try RepoFile.definitions(in: treefile.directory, variables: variables)
        for (id, script) in treefile.localRepos.sorted(by: { $0.key < $1.key }) {
            if let clash = definitions[id] {
                throw ComposeError("\(treefile.path): local-repos: '\(id)' is also defined in \(clash.file)")
            }
            definitions[id] = try LocalRepository(id: id, script: script, cacheDirectory: options.cacheDirectory).build()
        }
        var used: [String: RepoDefinition] = [:]
        for id in treefile.repos {
            guard let definition = definitions[id] else {
                throw ComposeError("\(treefile.path): repos: no repository '\(id)' in the .repo files of \(treefile.directory)")
            }
            used[id] = definition
        }
        let loaded = try RepositoryLoader.load(treefile.repos.compactMap { used[$0] }, into: solver,
                                               cacheDirectory: options.cacheDirectory, keys: keys)
        return Dictionary(uniqueKeysWithValues: loaded.map { ($0.id, $0) })
    }
}
