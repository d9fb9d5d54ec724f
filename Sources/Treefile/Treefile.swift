/// An rpm-ostree treefile after its includes are walked and merged, `${var}` is substituted and
/// the result is checked: what a compose needs, plus the whole merged treefile for printing and
/// hashing. Made by `TreefileLoader.load(_:)`.
public struct Treefile: Sendable {
    /// Absolute path of the root treefile.
    public var path: String
    /// Directory of the root treefile, where the `.repo` files of `repos` are looked up.
    public var directory: String
    /// The OSTree branch to commit to, `${var}` substituted.
    public var ref: String?
    /// Names of the yum repos to install from.
    public var repos: [String]
    /// Packages to install: a sorted set, `packages-<basearch>` folded in, entries split on
    /// whitespace unless single-quoted (`'podman >= 4.1'` is one entry).
    public var packages: [String]
    /// Packages that must not be installed.
    public var excludePackages: [String]
    /// Paths to delete from the tree.
    public var removeFiles: [String]
    /// Files copied from beside the treefile that names them into the tree.
    public var addFiles: [AddFile]
    /// Inline postprocess scripts in the order rpm-ostree runs them (included files' first;
    /// of several includes, the later one's first).
    public var postprocess: [String]
    /// Absolute path of the postprocess script, run after the inline ones.
    public var postprocessScript: String?
    /// Prefix of automatic commit versions (`40.<date:%Y%m%d>`), `${var}` substituted.
    public var automaticVersionPrefix: String?
    /// The one ASCII character between the prefix and the counter of automatic versions.
    public var automaticVersionSuffix: String?
    /// `new`, `modules` or `kernel-install`.
    public var bootLocation: String?
    /// The GPG key that signs each commit (rpm-ostree's `gpg-key`).
    public var gpgKey: String?
    /// systemd units to enable.
    public var units: [String]
    /// Extra dracut arguments.
    public var initramfsArgs: [String]
    /// Groups kept in /etc/group rather than /usr/lib/group.
    public var etcGroupMembers: [String]
    /// The `releasever` (string or number in the file) as text.
    public var releasever: String?
    /// Whether weak dependencies are installed; nil means the default, true.
    public var recommends: Bool?
    /// Whether documentation is installed; nil means the default, true.
    public var documentation: Bool?
    /// The tree to build on, from our `base:` key.
    public var base: TreefileBase?
    /// Our `local-repos:` key: repository id → absolute path of a script that builds an rpm-md
    /// repository into the directory it is given; the id can then be used in `repos`.
    public var localRepos: [String: String]
    /// Free-form metadata for other tools (`${var}` substituted in top-level strings).
    public var metadata: [String: TreefileValue]
    /// Extra commit metadata (`${var}` substituted in top-level strings).
    public var addCommitMetadata: [String: TreefileValue]
    /// The final variables: `--var`, then the root file's, then those of files read earlier;
    /// with `basearch` and `releasever`.
    public var variables: [String: TreefileVariable]
    /// Absolute paths of every file read: treefiles, kickstarts, the postprocess script,
    /// add-files sources, check-passwd/check-groups files, a base archive. In reading order.
    public var externalFiles: [String]
    /// The treefiles and kickstarts among `externalFiles`: their content is the merged treefile.
    public var documentFiles: [String]
    /// Keys this treefile sets that rpm-ostree knows but our compose does not act on yet, sorted.
    public var unimplementedKeys: [String]

    /// Every merged key, those we do not act on included.
    private var values: [String: TreefileValue]

    /// The whole merged treefile as JSON with sorted keys, pretty printed; the same treefile
    /// always gives the same text (it is used for `--print-only` and for an input hash).
    public func flattenedJSON() throws -> String {
        CanonicalJSON.render(.map(values))
    }

    /// The flattened treefile without the keys that only choose the packages (`packages`,
    /// `packages-<arch>`, `exclude-packages`, `repos`, `recommends`): what else decides how a
    /// tree is made of its packages.
    public func flattenedJSONWithoutPackageSelection() -> String {
        let selecting: Set<String> = ["packages", "exclude-packages", "repos", "recommends"]
        return CanonicalJSON.render(.map(values.filter { !selecting.contains($0.key) && !$0.key.hasPrefix("packages-") }))
    }

    /// Builds the model from the walk's merged fragment: substitutes, validates, then reads the
    /// keys we act on.
    init(path: String, merged: TreefileFragment, variables: [String: TreefileVariable],
         externalFiles: [String], documentFiles: [String], rootDisplayName: String) throws {
        var values = merged.values
        if !variables.isEmpty {
            values["variables"] = .map(variables.mapValues(\.treefileValue))
        }
        try VariableSubstitution.apply(to: &values, variables: variables, rootDisplayName: rootDisplayName)
        try TreefileValidation.check(values, rootDisplayName: rootDisplayName)

        func string(_ key: String) -> String? { values[key]?.stringValue }
        func strings(_ key: String) -> [String] { values[key]?.stringListValue ?? [] }
        func bool(_ key: String) -> Bool? {
            if case .bool(let bool) = values[key] { return bool }
            return nil
        }

        self.path = path
        self.directory = TreefilePaths.directory(of: path)
        self.ref = string("ref")
        self.repos = strings("repos")
        self.packages = strings("packages")
        self.excludePackages = strings("exclude-packages")
        self.removeFiles = strings("remove-files")
        self.addFiles = merged.externals.addFiles
        self.postprocess = strings("postprocess")
        self.postprocessScript = merged.externals.postprocessScript
        self.automaticVersionPrefix = string("automatic-version-prefix")
        self.automaticVersionSuffix = string("automatic-version-suffix")
        self.bootLocation = string("boot-location")
        self.gpgKey = string("gpg-key")
        self.units = strings("units")
        self.initramfsArgs = strings("initramfs-args")
        self.etcGroupMembers = strings("etc-group-members")
        self.releasever = values["releasever"].flatMap(TreefileVariable.init)?.description
        self.recommends = bool("recommends")
        self.documentation = bool("documentation")
        self.base = merged.externals.base
        self.localRepos = merged.externals.localRepos
        self.metadata = values["metadata"]?.mapValue ?? [:]
        self.addCommitMetadata = values["add-commit-metadata"]?.mapValue ?? [:]
        self.variables = variables
        self.externalFiles = externalFiles
        self.documentFiles = documentFiles
        self.unimplementedKeys = values.keys.filter { TreefileKeys.key($0)?.isImplemented == false }.sorted()
        self.values = values
    }
}

/// A file copied into the tree (`add-files: [[source, destination]]`).
public struct AddFile: Sendable, Hashable {
    /// Absolute path, resolved beside the treefile that names it.
    public var source: String
    /// Where it goes in the tree (under /usr or /etc).
    public var destination: String

    /// A file to copy from `source` (absolute) to `destination` in the tree.
    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }
}

/// The tree a compose starts from (our `base:` key, which rpm-ostree lacks).
public enum TreefileBase: Sendable, Equatable {
    /// A root filesystem archive (`.tar`, `.tar.gz`, `.tgz`, `.tar.xz`, `.tar.zst`, `.tar.bz2`);
    /// absolute path, resolved beside the treefile that names it.
    case archive(path: String)
    /// An OSTree ref in the target repo.
    case ostreeRef(String)
    /// A script (`.sh`) that writes a root filesystem archive to the path it is given;
    /// absolute path. The compose runs it and caches the archive by the script's hash.
    case recipe(path: String)
}
