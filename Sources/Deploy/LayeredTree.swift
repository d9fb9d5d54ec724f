import Foundation
import OSTree
import RPM
import ToolSupport
import TreeAssembly

/// What a layered commit changes relative to its base.
struct Change {
    /// Base packages removed or replaced.
    var taken: [RPMHeader]
    /// Base packages that stay.
    var kept: [RPMHeader]
    /// Packages added (layered, or replacing taken ones).
    var added: [CachedPackage]

    /// Paths of `packages` (taken ones) that no kept package also owns, deepest first.
    func removablePaths(of packages: [RPMHeader]) -> [String] {
        let stillOwned = Set(kept.flatMap { $0.files.map(\.path) })
        return Set(packages.flatMap { $0.files.map(\.path) }).subtracting(stillOwned).sorted { $0.count > $1.count }
    }

    var removablePaths: [String] { removablePaths(of: taken) }

    /// Taken packages that nothing added replaces: erased, as `rpm -e` erases them.
    var erased: [RPMHeader] {
        let addedNames = Set(added.map(\.header.name))
        return taken.filter { !addedNames.contains($0.name) }
    }
}

/// The two ways to make the tree of a layered commit. Both take the rpmdb already prepared
/// for the depsolve (taken packages erased from it) in `database` + `/usr/share/rpm`.
enum LayeredTree {
    /// Writes the tree within the commit's transaction.
    typealias Builder = (Transaction) throws -> MutableTree

    /// Whether the added packages can be merged into the base tree without checking it out:
    /// no scriptlet or trigger to run (on what comes or goes), no owner to look up, and files only where the base's
    /// layout already puts them (`/usr`, and `/etc`, which the tree keeps as `/usr/etc`), no
    /// kernel.
    static func canMerge(_ change: Change) -> Bool {
        !TriggerSchedule.anyFire(installed: change.kept, packages: change.added.map(\.header))
            && !TriggerSchedule.anyEraseScript(installed: change.kept + change.taken, packages: change.erased)
            && change.added.allSatisfy { package in
            package.header.scriptlets([.pre, .post, .posttrans]).isEmpty && package.foreignOwners.isEmpty
                && package.header.files.allSatisfy { TreeMerge.isMergeable($0.path) }
        }
    }

    /// The fast way, whose cost grows with the change and not with the base: the base commit's
    /// tree loaded lazily, the taken packages' files removed from it, the added packages'
    /// trees merged in (a path that both have with different content is a file conflict), and
    /// the new rpmdb written over the old.
    static func merged(base: String, change: Change, database: String, cache: PackageCache) throws -> Builder {
        try TreeAssembler(cache: cache).writeDatabase(change.added.map(\.header), root: database, append: true)
        return { transaction in
            let tree = try MutableTree(commit: base, in: cache.repository)
            for path in change.removablePaths { try TreeMerge.removeIfUnused(path, from: tree) }
            var owners: [String: String] = [:]
            for package in change.added {
                let packageTree = try MutableTree(commit: package.commit, in: cache.repository)
                try TreeMerge.merge(packageTree, into: tree, package: package.header.nevra, owners: &owners)
            }
            guard let databaseTree = try TreeMerge.subtree(TreeMerge.components(ofPathInTree: RPMDatabase.pathInTree), of: tree) else {
                throw DeployError("\(base): the base has no \(RPMDatabase.pathInTree)")
            }
            for name in try databaseTree.files().keys { try databaseTree.remove(name) }
            try transaction.writeDirectory(database + RPMDatabase.pathInTree, into: databaseTree)
            return tree
        }
    }

    /// The general way: the base checked out by hard links, the taken packages' files
    /// deleted, the added packages checked out over it, their scriptlets run under bubblewrap,
    /// the layout redone for what they brought (`/etc`, `/var`).
    static func assembled(base: String, change: Change, database: String, cache: PackageCache,
                          scratch: String) throws -> Builder {
        let assembler = TreeAssembler(cache: cache)
        let root = scratch + "/root"
        Console.progress("Checking out base \(base)")
        try assembler.checkoutBase(base, into: root)
        let tree = try RootedTree(root)
        // Packages install into /etc; the base keeps it as /usr/etc until the layout is redone.
        if try tree.status("/usr/etc") != nil { try tree.move("/usr/etc", to: "/etc") }
        try erase(change, in: tree, root: root)
        try tree.remove(RPMDatabase.pathInTree)
        try tree.moveIn(fromHost: database + RPMDatabase.pathInTree, to: RPMDatabase.pathInTree)
        try assembler.checkoutPackages(change.added, into: root, options: AssemblyOptions())
        try assembler.runScriptlets(change.added, in: root, installed: change.kept)
        try assembler.writeDatabase(change.added.map(\.header), root: root, append: true)
        try TreeLayout(root: root, stage: .clientLayer).apply()
        return { transaction in
            let tree = MutableTree()
            try transaction.writeDirectory(root, into: tree, devinoCache: assembler.devinoCache)
            return tree
        }
    }

    /// Takes the taken packages' files out of the checked-out base. Those erased (not
    /// replaced) go as `rpm -e` erases them: the `%transfiletriggerun`s first, then for each its
    /// `%filetriggerun`s and `%triggerun`s, its `%preun`, its files, the `%filetriggerpostun`s,
    /// its `%postun`, the `%triggerpostun`s; the `%transfiletriggerpostun`s last
    /// (`TriggerSchedule`). A replaced package's files just make way for the new version's.
    private static func erase(_ change: Change, in tree: RootedTree, root: String) throws {
        let runner = ScriptletRunner(root: root)
        var schedule = TriggerSchedule(installed: change.kept + change.taken)
        let erased = change.erased
        for firing in schedule.beforeErasing(erased) { try runner.run(firing) }
        for package in erased {
            for firing in schedule.beforeErase(package) { try runner.run(firing) }
            try runner.run(.preun, of: package, arguments: ["0"])
            for path in change.removablePaths(of: [package]) { try tree.removeIfUnused(path) }
            for firing in schedule.afterFilesErased(package) { try runner.run(firing) }
            try runner.run(.postun, of: package, arguments: ["0"])
            for firing in schedule.afterErase(package) { try runner.run(firing) }
        }
        for firing in schedule.afterErasing(erased) { try runner.run(firing) }
        for path in change.removablePaths { try tree.removeIfUnused(path) }
    }
}
