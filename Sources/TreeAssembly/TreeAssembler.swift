import Foundation
import OSTree
import RPM
import ToolSupport

/// Choices that change what an assembled tree holds.
public struct AssemblyOptions: Sendable {
    /// Keep files the packages mark as documentation.
    public var documentation = true
    public init(documentation: Bool = true) { self.documentation = documentation }
}

/// Builds a root filesystem from a base and cached packages: hard-link checkouts, then the
/// scriptlets under bubblewrap, then the rpmdb, the way rpm-ostree's unified core does.
public struct TreeAssembler {
    public let cache: PackageCache
    /// Filled by the checkouts: lets the commit of the result skip re-hashing linked files.
    public let devinoCache = DevInoCache()

    /// Scriptlets' scratch and rofiles-fuse mounts go to $TMPDIR: what a killed run left there
    /// goes now, also when this run itself needs none there (no scriptlet to run).
    public init(cache: PackageCache) {
        self.cache = cache
        AbandonedScratch.sweepOnce(TemporaryDirectory.defaultParent)
    }

    /// Checks the base commit (of the cache repository) out into a new directory `root`.
    public func checkoutBase(_ commit: String, into root: String) throws {
        try cache.repository.checkout(commit, to: root, options: CheckoutOptions(devinoCache: devinoCache))
    }

    /// Lays the packages' files over `root` in install order (a package after those it
    /// requires, as rpm orders them); two packages shipping different content at one path is
    /// a file conflict naming both.
    ///
    /// A directory of a package that the tree already has as a symlink (package A ships
    /// `/usr/share/x -> /opt/x`, package B ships `/usr/share/x/file`) is followed inside the
    /// tree, as rpm does inside its chroot: B's files land in the tree's `/opt/x`, never in
    /// the host's.
    public func checkoutPackages(_ packages: [CachedPackage], into root: String, options: AssemblyOptions) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let tree = try RootedTree(root)
        var owner: [String: String] = [:]
        for (index, package) in InstallOrder.sorted(packages).enumerated() {
            Console.progress("Assembling \(index + 1)/\(packages.count) \(package.header.nevra)")
            do {
                try checkout(package, subpath: "/", into: "/", of: tree)
            } catch let error as OSTreeError {
                let other = package.header.files.lazy.compactMap { owner[$0.path] }.first
                throw AssemblyError.fileConflict(package: package.header.nevra, other: other, detail: error.reason)
            }
            let files = package.header.files
            for file in files where !file.isGhost { owner[file.path] = package.header.nevra }
            if !options.documentation {
                for file in files where file.isDocumentation { try tree.remove(file.path) }
            }
        }
    }

    /// Checks the package's `subpath` out at the tree path `location` (a real directory). The
    /// directories that the tree has as symlinks are skipped, then checked out again where
    /// their symlink leads inside the tree.
    private func checkout(_ package: CachedPackage, subpath: String, into location: String, of tree: RootedTree) throws {
        var symlinked: [String] = []
        try tree.withDirectory(location) { directory in
            var options = CheckoutOptions(overwrite: .identicalFilesOnly, subpath: subpath, devinoCache: devinoCache)
            // libostree opens existing directories following symlinks, so none may reach it.
            // Its parents were checked on the way down: only the last component can be one.
            // Directory paths come with a trailing slash, which would make fstatat follow.
            options.filter = { path, mode in
                let relative = path.split(separator: "/").joined(separator: "/")
                guard FileMode.type(mode) == FileMode.directory, !relative.isEmpty else { return true }
                var st = stat()
                guard fstatat(directory, relative, &st, AT_SYMLINK_NOFOLLOW) == 0,
                      FileMode.type(st.st_mode) == FileMode.symlink else { return true }
                symlinked.append("/" + relative)
                return false
            }
            try cache.repository.checkout(package.commit, directory: directory, options: options)
        }
        for path in symlinked {
            let link = (location == "/" ? "" : location) + path
            guard let target = try tree.resolvedPath(link), try tree.isDirectory(target) else {
                throw AssemblyError.symlinkedDirectory(package: package.header.nevra, path: link)
            }
            try checkout(package, subpath: (subpath == "/" ? "" : subpath) + path, into: target, of: tree)
        }
    }

    /// Runs `%pre`, fixes ownership of files owned by users the scriptlets created, then
    /// package by package in dependency order the file triggers it fires, its `%post` and the
    /// `%triggerin`s it fires; then `%posttrans` and the `%transfiletriggerin`s
    /// (`TriggerSchedule`, rpm's order). `installed` are the packages the tree had before,
    /// whose triggers fire too. The scriptlets see the tree through `rofiles-fuse`, so they
    /// cannot write through to the package cache.
    public func runScriptlets(_ packages: [CachedPackage], in root: String, installed: [RPMHeader] = []) throws {
        let ordered = InstallOrder.sorted(packages)
        let withScripts = ordered.filter { !$0.header.scriptlets([.pre, .post, .posttrans]).isEmpty }
        if !withScripts.isEmpty {
            Console.progress("Running scriptlets of \(withScripts.count) packages")
        }
        if ordered.contains(where: { !$0.header.scriptlets([.pre]).isEmpty }) {
            try ScriptletRunner.withMountedRoot(root) { runner in
                for package in ordered { try runner.run(.pre, of: package.header) }
            }
        }
        // Outside the mount: the owners are set in the root itself.
        try applyForeignOwnership(ordered, root: root)
        var triggers = TriggerSchedule(installed: installed)
        var fired = 0
        var triggerSeconds = 0.0
        // Each package's file triggers, %post and %triggerin, then the %posttrans and the
        // transaction file triggers, through one mount.
        var steps: [(ScriptletRunner) throws -> Void] = []
        func fire(_ firings: [TriggerFiring]) {
            guard !firings.isEmpty else { return }
            steps.append { runner in
                let started = Date()
                for firing in firings { try runner.run(firing) }
                fired += firings.count
                triggerSeconds += Date().timeIntervalSince(started)
            }
        }
        for package in ordered {
            fire(triggers.beforePost(package.header))
            if !package.header.scriptlets([.post]).isEmpty { steps.append { try $0.run(.post, of: package.header) } }
            fire(triggers.afterPost(package.header))
        }
        for package in ordered where !package.header.scriptlets([.posttrans]).isEmpty {
            steps.append { try $0.run(.posttrans, of: package.header) }
        }
        fire(triggers.atEnd())
        if !steps.isEmpty {
            try ScriptletRunner.withMountedRoot(root) { runner in
                for step in steps { try step(runner) }
            }
        }
        if fired > 0 { Console.progress(String(format: "Ran %d trigger scripts in %.3f s", fired, triggerSeconds)) }
    }

    /// Writes the rpmdb: `installed` headers already recorded are kept when `append` is set.
    /// The database directory must be a real directory of regular files: librpm opens it by
    /// path, following whatever symlinks a package or a script left there.
    public func writeDatabase(_ headers: [RPMHeader], root: String, append: Bool) throws {
        let tree = try RootedTree(root)
        try Self.checkDatabaseDirectory(in: tree)
        if append { try tree.breakHardLinks(under: RPMDatabase.pathInTree) }
        try RPMDatabase.write(headers: headers, root: root, replacing: !append)
    }

    /// Refuses a database path that goes through a symlink or holds anything but regular files.
    public static func checkDatabaseDirectory(in tree: RootedTree) throws {
        let path = RPMDatabase.pathInTree
        if let link = try tree.firstSymlink(along: path) {
            throw AssemblyError.unsafeDatabase(path: tree.displayPath(path), reason: "\(link) is a symlink")
        }
        for entry in try tree.walk(path) where FileMode.type(entry.status.st_mode) != FileMode.regular {
            throw AssemblyError.unsafeDatabase(path: tree.displayPath(path), reason: "\(entry.path) is not a regular file")
        }
    }

    private func applyForeignOwnership(_ packages: [CachedPackage], root: String) throws {
        let owned = packages.flatMap { package in package.foreignOwners.map { (package.header.nevra, $0) } }
        guard !owned.isEmpty else { return }
        let tree = try RootedTree(root)
        let accounts = try Accounts(tree: tree)
        for (nevra, ownership) in owned {
            guard let uid = accounts.users[ownership.user] else {
                throw AssemblyError.unknownOwner(package: nevra, path: ownership.path, name: ownership.user, kind: "user")
            }
            guard let gid = accounts.groups[ownership.group] else {
                throw AssemblyError.unknownOwner(package: nevra, path: ownership.path, name: ownership.group, kind: "group")
            }
            try tree.setOwner(ownership.path, uid: uid, gid: gid)
        }
    }
}

/// Why a tree could not be assembled.
public enum AssemblyError: Error, CustomStringConvertible {
    case fileConflict(package: String, other: String?, detail: String)
    case unknownOwner(package: String, path: String, name: String, kind: String)
    /// A package's directory is a symlink in the tree that leads to no directory.
    case symlinkedDirectory(package: String, path: String)
    /// The rpm database directory is not a plain directory of files.
    case unsafeDatabase(path: String, reason: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .fileConflict(let package, let other, let detail):
            "file conflict: \(package) ships a file that differs from " + (other ?? "the base") + " (\(detail))"
        case .unknownOwner(let package, let path, let name, let kind):
            "\(package): \(path) is owned by \(kind) '\(name)', which no scriptlet created and the tree does not have"
        case .symlinkedDirectory(let package, let path):
            "\(package): ships files under \(path), which the tree has as a symlink that leads to no directory inside the tree"
        case .unsafeDatabase(let path, let reason):
            "\(path): refusing to write the rpm database there: \(reason)"
        case .io(let path, let message):
            "\(path): \(message)"
        }
    }
}

/// User and group names of a tree, from its passwd and group files.
struct Accounts {
    var users: [String: uid_t] = [:]
    var groups: [String: gid_t] = [:]

    init(tree: RootedTree) throws {
        for directory in ["/usr/lib", "/usr/etc", "/etc"] {
            users.merge(Self.read(directory + "/passwd", in: tree)) { $1 }
            groups.merge(Self.read(directory + "/group", in: tree)) { $1 }
        }
    }

    private static func read(_ path: String, in tree: RootedTree) -> [String: UInt32] {
        guard let bytes = (try? tree.readFile(path)) ?? nil else { return [:] }
        var result: [String: UInt32] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, let id = UInt32(fields[2]) { result[String(fields[0])] = id }
        }
        return result
    }
}
