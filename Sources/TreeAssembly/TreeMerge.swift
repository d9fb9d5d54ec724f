import OSTree
import RPM

/// Trees made without a checkout: a package's committed tree merged into another tree in
/// memory, and paths taken out of one. Where packages put `/etc`, the committed layout has
/// `/usr/etc` (`TreeLayout`); paths here are package paths and are mapped that way.
///
/// Used by treectl's merged layering and by a compose's incremental assembly, both of which
/// build a new tree from an earlier commit's and pay for what changed, not for the whole tree.
public enum TreeMerge {
    /// Whether a package path lands in the committed tree exactly where the package puts it
    /// (or under `/usr/etc` for `/etc`), untouched by `TreeLayout`: `/usr` and `/etc`, but not
    /// the kernel's `/usr/lib/modules`, the rpm database, the layout's own `/usr/etc`,
    /// `/etc/machine-id` and `/etc/rpm`.
    public static func isMergeable(_ path: String) -> Bool {
        if path == "/usr" || path == "/etc" { return true }
        if path.hasPrefix("/usr/") {
            return !["/usr/lib/modules", RPMDatabase.pathInTree, "/usr/etc", "/usr/share/factory"].contains { path == $0 || path.hasPrefix($0 + "/") }
        }
        if path.hasPrefix("/etc/") {
            return path != "/etc/machine-id" && path != "/etc/rpm" && !path.hasPrefix("/etc/rpm/")
        }
        return false
    }

    /// A package path as components of the committed tree, where `/etc` is `/usr/etc`.
    public static func components(ofPathInTree path: String) -> [String] {
        let parts = path.split(separator: "/").map(String.init)
        return parts.first == "etc" ? ["usr"] + parts : parts
    }

    /// The directory at `components` of `tree`, if there is one.
    public static func subtree(_ components: some Sequence<String>, of tree: MutableTree) throws -> MutableTree? {
        var current = tree
        for component in components {
            guard case .directory(let next)? = try current.entry(component) else { return nil }
            current = next
        }
        return current
    }

    /// The entry at `components` of `tree`, if any.
    public static func entry(_ components: [String], of tree: MutableTree) throws -> MutableTree.Entry? {
        guard let name = components.last, let parent = try subtree(components.dropLast(), of: tree) else { return nil }
        return try parent.entry(name)
    }

    /// The entry at a package path of `tree` (`/etc/x` at `usr/etc/x`), if any.
    public static func entry(atPathInTree path: String, of tree: MutableTree) throws -> MutableTree.Entry? {
        try entry(components(ofPathInTree: path), of: tree)
    }

    /// Removes a file, or a directory that has nothing left in it, at a package path.
    public static func removeIfUnused(_ path: String, from tree: MutableTree) throws {
        let components = components(ofPathInTree: path)
        guard let name = components.last, let parent = try subtree(components.dropLast(), of: tree) else { return }
        switch try parent.entry(name) {
        case .file?:
            try parent.remove(name)
        case .directory(let directory)?:
            if try directory.files().isEmpty && directory.subdirectoryNames().isEmpty { try parent.remove(name) }
        case nil:
            break
        }
    }

    /// Merges a package's tree (`source`) into `target`: its files replace what is there unless
    /// another file with other content or a directory is (a file conflict naming `owners`'
    /// package of that path); directories that `target` lacks come with the package's metadata.
    /// A package's top-level `etc` goes to `usr/etc`. Records the package as owner of its files.
    public static func merge(_ source: MutableTree, into target: MutableTree, package: String,
                             owners: inout [String: String]) throws {
        try merge(source, into: target, path: "", package: package, owners: &owners)
    }

    private static func merge(_ source: MutableTree, into target: MutableTree, path: String, package: String,
                              owners: inout [String: String]) throws {
        for (name, checksum) in try source.files() {
            let full = path + "/" + name
            switch try target.entry(name) {
            case .file(let existing)? where existing != checksum:
                throw AssemblyError.fileConflict(package: package, other: owners[full], detail: "\(full) has other content")
            case .directory?:
                throw AssemblyError.fileConflict(package: package, other: owners[full], detail: "\(full) is a directory")
            default:
                try target.replaceFile(name, checksum: checksum)
            }
            owners[full] = package
        }
        for name in try source.subdirectoryNames() {
            guard case .directory(let directory)? = try source.entry(name), let metadata = directory.metadataChecksum else { continue }
            let full = path + "/" + name
            var destination = target
            if path.isEmpty && name == "etc" {
                destination = try target.directory("usr", metadata: metadata)
            } else if case .file? = try target.entry(name) {
                throw AssemblyError.fileConflict(package: package, other: owners[full], detail: "\(full) is a file")
            }
            try merge(directory, into: try destination.directory(name, metadata: metadata), path: full, package: package,
                      owners: &owners)
        }
    }
}
