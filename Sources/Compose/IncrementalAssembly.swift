import Foundation
import OSTree
import RPM
import ToolSupport
import TreeAssembly
import Treefile

/// A warm compose's tree made from the previous commit's at the cost of what changed: the
/// files of the packages that went (`taken`) taken out, those of the packages that came
/// (`added`) merged in, the rpmdb written again. Nothing is checked out, no scriptlet runs,
/// and the commit writes only the new objects.
///
/// Taken only where the result is the tree a cold compose of the same inputs gives, else it is
/// `Unsuitable` and the compose assembles every package:
/// - the previous commit was composed with this package cache from the same inputs but the
///   packages (`AssemblyRecord`), the treefile has no postprocessing and keeps documentation,
///   and the tree has no kernel (its initramfs is made from the whole tree);
/// - no package that comes or goes has a scriptlet, files owned by other users than root, or a
///   file where the OSTree layout moves it (`TreeMerge.isMergeable`), and no trigger fires on
///   it or of it;
/// - checked in the previous tree while building: every file of a taken package is as its
///   package shipped it (no scriptlet changed it), no file of an added package is there without
///   a package having shipped it (no scriptlet made it), and every directory the change touches
///   has the one mode its packages give it.
///
/// Like rpm updating a package, it takes scriptlets to depend on other packages' files only
/// through triggers: a `%post` that reads another package's files without a trigger on them is
/// not run again when that package changes.
struct IncrementalAssembly {
    let previous: String
    let taken: [CachedPackage]
    let added: [CachedPackage]
    /// The packages that stay.
    let kept: [RPMHeader]
    /// The new package set in the compose's order, which is the rpmdb's.
    let packages: [CachedPackage]
    let cache: PackageCache

    /// Why a compose assembles every package instead.
    struct Unsuitable: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The assembly from `previous` to `packages`; `installed` are the base's packages.
    init(previous: String, record: AssemblyRecord?, inputs: String, packages: [CachedPackage], installed: [RPMHeader],
         treefile: Treefile, cache: PackageCache) throws {
        guard let record, cache.repository.hasCommit(previous) else {
            throw Unsuitable("the previous commit was not composed with this package cache")
        }
        guard record.inputs == inputs else { throw Unsuitable("the treefile, a file it reads or the base changed") }
        guard treefile.postprocess.isEmpty, treefile.postprocessScript == nil, treefile.removeFiles.isEmpty,
              treefile.addFiles.isEmpty, treefile.units.isEmpty, treefile.documentation ?? true else {
            throw Unsuitable("the treefile changes the tree after the packages (postprocessing, add-files, units, remove-files, documentation)")
        }
        let current = Dictionary(packages.map { ($0.header.nevra, $0.commit) }, uniquingKeysWith: { first, _ in first })
        added = packages.filter { record.packages[$0.header.nevra] != $0.commit }
        taken = try record.packages.filter { current[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { nevra, commit in
            guard cache.repository.hasCommit(commit) else { throw Unsuitable("\(nevra) is no longer in the package cache") }
            return try cache.package(commit: commit)
        }
        for package in taken + added {
            let header = package.header
            if !header.scriptlets().isEmpty { throw Unsuitable("\(header.nevra) has scriptlets") }
            if !package.foreignOwners.isEmpty { throw Unsuitable("\(header.nevra) has files owned by other users than root") }
            if let file = header.files.first(where: { !TreeMerge.isMergeable($0.path) }) {
                throw Unsuitable("\(header.nevra) ships \(file.path), which the OSTree layout changes")
            }
        }
        kept = packages.filter { record.packages[$0.header.nevra] == $0.commit }.map(\.header)
        for (change, headers) in [("come", added.map(\.header)), ("go", taken.map(\.header))]
        where TriggerSchedule.anyFire(installed: installed + kept, packages: headers) {
            throw Unsuitable("a trigger fires on packages that \(change)")
        }
        self.previous = previous
        self.packages = packages
        self.cache = cache
    }

    /// The new tree, within the commit's transaction. `root` holds the base as the compose
    /// prepared it (the rpmdb is written there, as a cold compose writes it).
    func tree(in transaction: Transaction, root: String, assembler: TreeAssembler) throws -> MutableTree {
        Console.progress("Assembling from the previous tree \(previous.prefix(12)): \(taken.count) packages out, \(added.count) in")
        let tree = try MutableTree(commit: previous, in: cache.repository)
        if let modules = try TreeMerge.subtree(["usr", "lib", "modules"], of: tree) {
            for name in try modules.subdirectoryNames() {
                if case .directory(let kernel)? = try modules.entry(name), try kernel.files()["vmlinuz"] != nil {
                    throw Unsuitable("the tree has a kernel, whose initramfs is made from the whole tree")
                }
            }
        }
        let takenFiles = taken.map { ($0, $0.header.files) }, addedFiles = added.map { ($0, $0.header.files) }
        let keptFiles = kept.map(\.files)
        let keptPaths = Self.filePaths(keptFiles)
        let oldFiles = keptPaths.union(Self.filePaths(takenFiles.map(\.1)))

        // What the previous tree holds of the change is what the packages shipped.
        for (package, files) in takenFiles {
            let shipped = try MutableTree(commit: package.commit, in: cache.repository)
            for file in files where Self.isShipped(file) {
                guard case .file(let checksum)? = try TreeMerge.entry(Self.components(file.path), of: shipped) else { continue }
                guard case .file(checksum)? = try TreeMerge.entry(atPathInTree: file.path, of: tree) else {
                    throw Unsuitable("\(file.path) of \(package.header.nevra) is not as the package shipped it (a scriptlet changed it)")
                }
            }
        }
        for (package, files) in addedFiles {
            for file in files where Self.isShipped(file) && !oldFiles.contains(file.path) {
                guard try TreeMerge.entry(atPathInTree: file.path, of: tree) != nil else { continue }
                throw Unsuitable("\(file.path), which \(package.header.nevra) ships, is in the previous tree though no package shipped it (a scriptlet made it)")
            }
        }
        let directories = Self.directories(of: (takenFiles + addedFiles).map(\.1))
        let base = try RootedTree(root)
        let ownDirectories = try Set(directories.filter { directory in
            try base.status(directory) == nil && base.status("/" + TreeMerge.components(ofPathInTree: directory).joined(separator: "/")) == nil
        })
        let oldModes = try Self.directoryModes(keptFiles + takenFiles.map(\.1), among: ownDirectories)
        let newModes = try Self.directoryModes(keptFiles + addedFiles.map(\.1), among: ownDirectories)
        var metadata: [UInt32: String] = [:]
        func directoryMetadata(_ mode: UInt32) throws -> String {
            if let known = metadata[mode] { return known }
            let checksum = try transaction.writeDirectoryMetadata(FileAttributes(mode: FileMode.directory | mode))
            metadata[mode] = checksum
            return checksum
        }
        for directory in ownDirectories {
            if let modes = newModes[directory], modes.count > 1 { throw Unsuitable("packages give \(directory) different modes") }
            let old = oldModes[directory]
            switch try TreeMerge.entry(atPathInTree: directory, of: tree) {
            case .directory(let existing)?:
                guard let old, old.count == 1, try existing.metadataChecksum == directoryMetadata(old.first!) else {
                    throw Unsuitable("\(directory) does not have the mode its packages give it (a scriptlet changed it)")
                }
            case .file?:
                throw Unsuitable("\(directory) is a file or a symlink in the previous tree")
            case nil:
                if old != nil { throw Unsuitable("\(directory) is missing from the previous tree (a scriptlet removed it)") }
            }
        }

        // The change: the taken packages' files go unless a kept package has them too, then the
        // added packages' come (a file a kept package has with other content is a conflict).
        for (_, files) in takenFiles {
            for file in files where Self.isShipped(file) && !keptPaths.contains(file.path) {
                try TreeMerge.removeIfUnused(file.path, from: tree)
            }
        }
        var owners: [String: String] = [:]
        for package in added {
            try TreeMerge.merge(try MutableTree(commit: package.commit, in: cache.repository), into: tree,
                                package: package.header.nevra, owners: &owners)
        }
        for directory in ownDirectories.sorted(by: { $0.count > $1.count }) {
            let components = TreeMerge.components(ofPathInTree: directory)
            guard let parent = try TreeMerge.subtree(components.dropLast(), of: tree),
                  case .directory(let existing)? = try parent.entry(components.last!) else { continue }
            if let mode = newModes[directory]?.first {
                existing.setMetadata(try directoryMetadata(mode))
            } else if try existing.files().isEmpty && existing.subdirectoryNames().isEmpty {
                try parent.remove(components.last!)
            } else {
                throw Unsuitable("\(directory) holds entries that no package ships")
            }
        }

        Console.progress("Writing the rpm database")
        try assembler.writeDatabase(packages.map(\.header), root: root, append: true)
        guard let database = try TreeMerge.subtree(TreeMerge.components(ofPathInTree: RPMDatabase.pathInTree), of: tree) else {
            throw ComposeError("\(previous): the previous tree has no \(RPMDatabase.pathInTree)")
        }
        for name in try database.files().keys { try database.remove(name) }
        try transaction.writeDirectory(root + RPMDatabase.pathInTree, into: database)
        Console.progress("Committing the tree")
        return tree
    }

    private static func components(_ path: String) -> [String] { path.split(separator: "/").map(String.init) }

    /// Whether a header's entry is a file the payload carries: not a directory, not a ghost.
    private static func isShipped(_ file: RPMFile) -> Bool {
        !file.isGhost && FileMode.type(file.mode) != FileMode.directory
    }

    /// The paths of shipped files in any of the file lists.
    private static func filePaths(_ lists: [[RPMFile]]) -> Set<String> {
        var paths = Set<String>()
        for files in lists {
            for file in files where isShipped(file) { paths.insert(file.path) }
        }
        return paths
    }

    /// The directories the file lists have, as entries or as the parents of their entries.
    private static func directories(of lists: [[RPMFile]]) -> Set<String> {
        var directories = Set<String>()
        for files in lists {
            for file in files where !file.isGhost {
                if FileMode.type(file.mode) == FileMode.directory { directories.insert(file.path) }
                insertParents(of: file.path, into: &directories)
            }
        }
        return directories
    }

    /// Adds the directories above `path` (not `/`), up to the first one `set` has already.
    /// Header paths are absolute and normalized: cut at each `/` from the end (Foundation's
    /// path functions, which normalize again, took half a second at 2,000 packages).
    private static func insertParents(of path: String, into set: inout Set<String>) {
        let bytes = path.utf8
        var end = bytes.endIndex
        while let slash = bytes[..<end].lastIndex(of: UInt8(ascii: "/")), slash != bytes.startIndex,
              set.insert(String(path[..<slash])).inserted {
            end = slash
        }
    }

    /// For each of `directories`, the modes the packages of the file lists give it: its own
    /// for a package listing it, 0755 for one with entries below it (the importer makes such
    /// parents). A directory listed with other owners than root is taken as unsuitable (its
    /// owner is set after `%pre`).
    private static func directoryModes(_ lists: [[RPMFile]], among directories: Set<String>) throws -> [String: Set<UInt32>] {
        guard !directories.isEmpty else { return [:] }
        var modes: [String: Set<UInt32>] = [:]
        for files in lists {
            var listed: [String: UInt32] = [:]
            var implied = Set<String>()
            for file in files where !file.isGhost {
                if FileMode.type(file.mode) == FileMode.directory && directories.contains(file.path) {
                    guard file.user == "root" && file.group == "root" else {
                        throw Unsuitable("\(file.path) is owned by \(file.user):\(file.group)")
                    }
                    listed[file.path] = file.mode & FileMode.permissionMask
                }
                insertParents(of: file.path, into: &implied)
            }
            for (directory, mode) in listed { modes[directory, default: []].insert(mode) }
            for directory in implied where directories.contains(directory) && listed[directory] == nil {
                modes[directory, default: []].insert(0o755)
            }
        }
        return modes
    }
}
