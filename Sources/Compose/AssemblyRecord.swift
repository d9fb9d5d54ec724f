import OSTree
import ToolSupport
import TreeAssembly

/// What a compose leaves in the package cache beside each commit it writes, for the next
/// compose to build on (`IncrementalAssembly`): a digest of every input but the package set,
/// and the package cache commit of each package in the tree. Lives under
/// `harness/composed/<commit>` as a commit of its own (an empty tree and this metadata), so
/// that clients pulling the tree never see it.
struct AssemblyRecord: Equatable {
    /// `InputHash` of the treefile without its package selection, the files it reads and the
    /// base: what decides how the packages are made into a tree.
    var inputs: String
    /// NEVRA → the package cache commit it was checked out from.
    var packages: [String: String]

    enum Key {
        static let inputs = "harness.assembly.inputs"
        static let packages = "harness.assembly.packages"
    }

    static func ref(for commit: String) -> String { "harness/composed/" + commit }

    init(inputs: String, packages: [CachedPackage]) {
        self.inputs = inputs
        self.packages = Dictionary(packages.map { ($0.header.nevra, $0.commit) }, uniquingKeysWith: { first, _ in first })
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
    }

    /// Writes the record of `commit` within the transaction that writes the commit.
    func write(for commit: String, in transaction: Transaction) throws {
        let tree = MutableTree()
        tree.setMetadata(try transaction.writeDirectoryMetadata(FileAttributes(mode: FileMode.directory | 0o755)))
        let lines = packages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let record = try transaction.writeCommit(tree: tree, parent: nil, subject: "assembly of \(commit)",
                                                 metadata: [Key.inputs: .string(inputs), Key.packages: .strings(lines)],
                                                 timestamp: 0)
        transaction.setRef(Self.ref(for: commit), to: record)
    }
}
