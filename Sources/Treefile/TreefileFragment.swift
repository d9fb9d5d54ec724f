/// What one treefile, or one inline treefile, contributes to the merge: its keys after the
/// per-file steps, the includes it asks for, its variables and the external files it names.
struct TreefileFragment {
    /// Keys that merge, with typed values (`packages` already split and sorted).
    var values: [String: TreefileValue] = [:]
    /// `include:` entries, in order.
    var includes: [String] = []
    /// `arch-include:` entries by basearch.
    var archIncludes: [String: [String]] = [:]
    var conditionalIncludes: [ConditionalInclude] = []
    /// This file's `variables:`, plus `basearch` and its own `releasever`.
    var variables: [String: TreefileVariable] = [:]
    var externals = TreefileExternals()

    /// A kickstart read as a treefile: its packages, exclusions and weak-dependency choice.
    init(kickstart: Kickstart) {
        values["packages"] = .list(Set(kickstart.packages).sorted().map(TreefileValue.string))
        values["exclude-packages"] = .list(kickstart.excludedPackages.map(TreefileValue.string))
        if kickstart.excludesWeakDependencies {
            values["recommends"] = .bool(false)
        }
    }

    init() {}
}

/// One `conditional-include` entry: all its conditions must hold.
struct ConditionalInclude {
    indirect enum Target {
        /// Files, processed after `include` and `arch-include`.
        case files([String])
        /// A treefile written in place, merged at once into the file holding it.
        case inline(TreefileFragment)
    }

    var conditions: [IncludeCondition]
    var target: Target
}

/// Files outside the treefiles that a treefile names, resolved to absolute paths relative to
/// the file that names them.
struct TreefileExternals {
    var postprocessScript: String?
    var addFiles: [AddFile] = []
    var passwdFile: String?
    var groupFile: String?
    var base: TreefileBase?
    /// `local-repos:` repository id → the script that builds it.
    var localRepos: [String: String] = [:]

    /// Every external file named, for `Treefile.externalFiles`.
    var paths: [String] {
        var paths: [String] = []
        if let postprocessScript { paths.append(postprocessScript) }
        paths += addFiles.map(\.source)
        if let passwdFile { paths.append(passwdFile) }
        if let groupFile { paths.append(groupFile) }
        switch base {
        case .archive(let path), .recipe(let path): paths.append(path)
        default: break
        }
        paths += localRepos.keys.sorted().map { localRepos[$0]! }
        return paths
    }
}
