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

    public init(cache: PackageCache) { self.cache = cache }

    /// Checks the base commit (of the cache repository) out into a new directory `root`.
    public func checkoutBase(_ commit: String, into root: String) throws {
        try cache.repository.checkout(commit, to: root, options: CheckoutOptions(devinoCache: devinoCache))
    }

    /// Lays the packages' files over `root`; two packages shipping different content at one
    /// path is a file conflict naming both.
    public func checkoutPackages(_ packages: [CachedPackage], into root: String, options: AssemblyOptions) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var owner: [String: String] = [:]
        for (index, package) in packages.enumerated() {
            Console.progress("Assembling \(index + 1)/\(packages.count) \(package.header.nevra)")
            do {
                try cache.repository.checkout(package.commit, to: root,
                                              options: CheckoutOptions(overwrite: .identicalFilesOnly, devinoCache: devinoCache))
            } catch let error as OSTreeError {
                let other = package.header.files.lazy.compactMap { owner[$0.path] }.first
                throw AssemblyError.fileConflict(package: package.header.nevra, other: other, detail: error.message)
            }
            for file in package.header.files where !file.isGhost { owner[file.path] = package.header.nevra }
            if !options.documentation {
                for file in package.header.files where file.isDocumentation {
                    try? FileManager.default.removeItem(atPath: root + file.path)
                }
            }
        }
    }

    /// Runs `%pre`, fixes ownership of files owned by users the scriptlets created, then
    /// `%post` and `%posttrans`, package by package in dependency order.
    public func runScriptlets(_ packages: [CachedPackage], in root: String) throws {
        let ordered = InstallOrder.sorted(packages)
        let withScripts = ordered.filter { !$0.header.scriptlets([.pre, .post, .posttrans]).isEmpty }
        if !withScripts.isEmpty {
            Console.progress("Running scriptlets of \(withScripts.count) packages")
            // Scriptlets edit /etc in place (passwd, group): never through a link into the cache.
            for directory in ["/etc", "/usr/etc"] { try HardLinks.breakAll(under: root + directory) }
        }
        let runner = ScriptletRunner(root: root)
        for package in ordered { try runner.run(.pre, of: package.header) }
        try applyForeignOwnership(ordered, root: root)
        for package in ordered { try runner.run(.post, of: package.header) }
        for package in ordered { try runner.run(.posttrans, of: package.header) }
    }

    /// Writes the rpmdb: `installed` headers already recorded are kept when `append` is set.
    public func writeDatabase(_ headers: [RPMHeader], root: String, append: Bool) throws {
        let dbPath = root + RPMDatabase.pathInTree
        if append { try HardLinks.breakAll(under: dbPath) }
        try RPMDatabase.write(headers: headers, root: root, replacing: !append)
    }

    private func applyForeignOwnership(_ packages: [CachedPackage], root: String) throws {
        let owned = packages.flatMap { package in package.foreignOwners.map { (package.header.nevra, $0) } }
        guard !owned.isEmpty else { return }
        let accounts = try Accounts(root: root)
        for (nevra, ownership) in owned {
            guard let uid = accounts.users[ownership.user] else {
                throw AssemblyError.unknownOwner(package: nevra, path: ownership.path, name: ownership.user, kind: "user")
            }
            guard let gid = accounts.groups[ownership.group] else {
                throw AssemblyError.unknownOwner(package: nevra, path: ownership.path, name: ownership.group, kind: "group")
            }
            let path = root + ownership.path
            try HardLinks.breakLink(path)
            guard lchown(path, uid, gid) == 0 else {
                throw AssemblyError.io(path: path, message: String(cString: strerror(errno)))
            }
        }
    }
}

/// Why a tree could not be assembled.
public enum AssemblyError: Error, CustomStringConvertible {
    case fileConflict(package: String, other: String?, detail: String)
    case unknownOwner(package: String, path: String, name: String, kind: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .fileConflict(let package, let other, let detail):
            "file conflict: \(package) ships a file that differs from " + (other ?? "the base") + " (\(detail))"
        case .unknownOwner(let package, let path, let name, let kind):
            "\(package): \(path) is owned by \(kind) '\(name)', which no scriptlet created and the tree does not have"
        case .io(let path, let message):
            "\(path): \(message)"
        }
    }
}

/// User and group names of a tree, from its passwd and group files.
struct Accounts {
    var users: [String: uid_t] = [:]
    var groups: [String: gid_t] = [:]

    init(root: String) throws {
        for directory in ["/usr/lib", "/usr/etc", "/etc"] {
            users.merge(Self.read(root + directory + "/passwd")) { $1 }
            groups.merge(Self.read(root + directory + "/group")) { $1 }
        }
    }

    private static func read(_ path: String) -> [String: UInt32] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: UInt32] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, let id = UInt32(fields[2]) { result[String(fields[0])] = id }
        }
        return result
    }
}

/// Turning hard links to cache objects into private copies before anything edits a file.
enum HardLinks {
    /// Replaces `path` by a copy of itself when it has other links.
    static func breakLink(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0, FileMode.type(st.st_mode) == FileMode.regular, st.st_nlink > 1 else { return }
        let temporary = path + ".harness-copy"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileTree.copyRegularFile(from: path, to: temporary)
        } catch {
            throw AssemblyError.io(path: path, message: "\(error)")
        }
        guard rename(temporary, path) == 0 else {
            throw AssemblyError.io(path: path, message: String(cString: strerror(errno)))
        }
    }

    /// Breaks the links of every regular file below `directory` (which may be missing).
    static func breakAll(under directory: String) throws {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return }
        for case let relative as String in enumerator {
            try breakLink(directory + "/" + relative)
        }
    }
}
