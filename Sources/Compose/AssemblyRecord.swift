import OSTree
import ToolSupport
import TreeAssembly

/// What a compose leaves in the package cache beside each commit it writes, for the next
/// compose to build on (`IncrementalAssembly`): a digest of every input but the package set,
/// the package cache commit of each package in the tree, and where the commit went. Lives
/// under `harness/composed/<commit>` as a commit of its own: the commit's tree, the commit as
/// its parent and this metadata, so that what a ref reaches one parent deep (`ostree prune
/// --refs-only --depth=1`) holds the tree and commit the next compose reads. Clients pulling
/// the tree never see it.
struct AssemblyRecord: Equatable {
    /// `InputHash` of the treefile without its package selection, the files it reads and the
    /// base: what decides how the packages are made into a tree.
    var inputs: String
    /// NEVRA → the package cache commit it was checked out from.
    var packages: [String: String]
    /// Where composes wrote the commit (a reproducible compose writes the same commit
    /// wherever its inputs are the same); empty in records written before they were kept.
    var places: Set<Place>

    /// A repository (its path, symbolic links resolved) and a ref in it.
    struct Place: Hashable {
        var repository: String
        var ref: String
    }

    enum Key {
        static let inputs = "harness.assembly.inputs"
        static let packages = "harness.assembly.packages"
        /// Each place as "<ref> <repository>": a ref has no spaces, a path may.
        static let places = "harness.assembly.places"
    }

    /// The refs of records, as `OSTreeRepository.refs(prefix:)` takes it.
    static let refPrefix = "harness/composed"
    static func ref(for commit: String) -> String { refPrefix + "/" + commit }

    init(inputs: String, packages: [CachedPackage], place: Place) {
        self.inputs = inputs
        self.packages = Dictionary(packages.map { ($0.header.nevra, $0.commit) }, uniquingKeysWith: { first, _ in first })
        places = [place]
    }

    /// The record of `commit`, if it was composed with this package cache.
    init?(of commit: String, in cache: PackageCache) throws {
        guard let record = try cache.repository.resolve(Self.ref(for: commit)) else { return nil }
        let metadata = try cache.repository.commit(record).metadata
        guard let inputs = metadata[Key.inputs]?.stringValue, let lines = metadata[Key.packages]?.stringsValue else { return nil }
        self.inputs = inputs
        packages = [:]
        for line in lines {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { return nil }
            packages[String(parts[0])] = String(parts[1])
        }
        places = Set((metadata[Key.places]?.stringsValue ?? []).compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return parts.count == 2 ? Place(repository: String(parts[1]), ref: String(parts[0])) : nil
        })
    }

    /// Writes the record of `commit`, whose tree is `tree`, within the transaction that
    /// writes the commit; the places of a record the commit had already stay in it.
    func write(for commit: String, tree: MutableTree, in transaction: Transaction, cache: PackageCache) throws {
        let earlier = (try? Self(of: commit, in: cache))??.places ?? []
        let lines = packages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let places = places.union(earlier).map { "\($0.ref) \($0.repository)" }.sorted()
        let record = try transaction.writeCommit(tree: tree, parent: commit, subject: "assembly of \(commit)",
                                                 metadata: [Key.inputs: .string(inputs), Key.packages: .strings(lines),
                                                            Key.places: .strings(places)],
                                                 timestamp: 0)
        transaction.setRef(Self.ref(for: commit), to: record)
    }
}
