/// The per-file steps rpm-ostree takes on one treefile before any merging (treefile-includes.md
/// §1): type checks, `packages-<arch>` folding, the unknown-key rule, legacy spellings,
/// `container`/`edition` defaults, package splitting and external files.
struct TreefileFragmentReader {
    /// Absolute path the file was opened by; what it names is relative to its directory.
    let path: String
    /// How the file is shown in errors.
    let displayName: String
    let format: TreefileFormat
    let basearch: String

    /// Reads a whole treefile's top-level mapping.
    func readFile(_ document: [String: TreefileValue]) throws -> TreefileFragment {
        var entries = document
        let archPackages = try takeArchPackages(from: &entries)
        try removeUnknownKeys(from: &entries, rejecting: format.rejectsUnknownKeys)
        entries = try checkedTypes(entries, context: "")
        try renameLegacyKeys(in: &entries)

        if let declared = entries["basearch"]?.stringValue, declared != basearch {
            throw error(.invalidValue, "basearch '\(declared)' is not the compose architecture '\(basearch)': cross-composes are not supported")
        }
        entries["basearch"] = .string(basearch)

        var fragment = TreefileFragment()
        fragment.variables = try variables(entries.removeValue(forKey: "variables"))
        fragment.variables["basearch"] = .string(basearch)
        if let releasever = entries["releasever"].flatMap(TreefileVariable.init) {
            fragment.variables["releasever"] = releasever
        }

        applyImpliedDefaults(to: &entries)

        let packageEntries = (entries["packages"]?.stringListValue ?? [])
            + (entries.removeValue(forKey: "bootstrap-packages")?.stringListValue ?? [])
            + archPackages
        entries["packages"] = .list(try splitPackages(packageEntries, key: "packages").map(TreefileValue.string))
        if let repoPackages = entries["repo-packages"] {
            entries["repo-packages"] = try canonicalRepoPackages(repoPackages, splitting: true)
        }

        try takeIncludes(from: &entries, into: &fragment)
        fragment.externals = try externals(of: entries)
        fragment.values = entries
        return fragment
    }

    /// Reads an inline treefile (a mapping under a conditional-include's `include:`). Like
    /// rpm-ostree it skips the per-file steps: unknown keys are ignored even in YAML, packages
    /// are not split, legacy spellings and `packages-<arch>` are dropped, and its own includes
    /// and variables are not used. It may not name external files.
    func readInline(_ document: [String: TreefileValue]) throws -> TreefileFragment {
        let context = "conditional-include: inline treefile: "
        var entries = document
        try removeUnknownKeys(from: &entries, rejecting: false, context: context)
        entries = try checkedTypes(entries, context: context)
        for name in Array(entries.keys) {
            let key = TreefileKeys.key(name)
            if key == nil || key?.merge == .consumed {
                entries[name] = nil
            }
        }
        if let packages = entries["packages"]?.stringListValue {
            entries["packages"] = .list(Set(packages).sorted().map(TreefileValue.string))
        }
        if let repoPackages = entries["repo-packages"] {
            entries["repo-packages"] = try canonicalRepoPackages(repoPackages, splitting: false)
        }
        for name in ["postprocess-script", "add-files"] where entries[name] != nil {
            throw error(.invalidValue, context + "'\(name)' names an external file, which an inline treefile cannot do")
        }
        for name in ["check-passwd", "check-groups"] where entries[name]?.mapValue?["type"] == .string("file") {
            throw error(.invalidValue, context + "'\(name)' of type file names an external file, which an inline treefile cannot do")
        }
        var fragment = TreefileFragment()
        if entries["local-repos"] != nil {
            throw error(.invalidValue, context + "'local-repos' names scripts, which an inline treefile cannot do")
        }
        if let base = entries["base"]?.stringValue {
            guard !Self.isArchive(base), !Self.isRecipe(base) else {
                throw error(.invalidValue, context + "'base' names a file, which an inline treefile cannot do")
            }
            fragment.externals.base = .ostreeRef(base)
        }
        fragment.values = entries
        return fragment
    }

    /// Whether a `base:` value names an archive rather than an OSTree ref.
    static func isArchive(_ base: String) -> Bool {
        TreefileKeys.archiveSuffixes.contains { base.hasSuffix($0) }
    }

    /// Whether a `base:` value names a script that builds the base archive.
    static func isRecipe(_ base: String) -> Bool {
        TreefileKeys.recipeSuffixes.contains { base.hasSuffix($0) }
    }

    // MARK: - Steps

    /// Removes every `packages-<arch>` key, returning the entries of the compose arch's.
    private func takeArchPackages(from entries: inout [String: TreefileValue]) throws -> [String] {
        var packages: [String] = []
        for name in entries.keys.sorted() where name.hasPrefix(TreefileKeys.archPackagesPrefix)
            && TreefileKeys.key(name) == nil && !TreefileKeys.clientSideOnly.contains(name) {
            guard let list = entries.removeValue(forKey: name)?.stringListValue else {
                throw error(.wrongType, "key '\(name)' must be a list of strings")
            }
            if name.dropFirst(TreefileKeys.archPackagesPrefix.count) == basearch {
                packages = list
            }
        }
        return packages
    }

    private func removeUnknownKeys(from entries: inout [String: TreefileValue], rejecting: Bool,
                                   context: String = "") throws {
        let unknown = entries.keys.filter {
            TreefileKeys.key($0) == nil && TreefileKeys.legacySpellings[$0] == nil && !TreefileKeys.clientSideOnly.contains($0)
        }.sorted()
        if rejecting, !unknown.isEmpty {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw error(.unknownKey, context + (unknown.count == 1 ? "unknown key \(names)" : "unknown keys \(names)"))
        }
        for name in unknown { entries[name] = nil }
        if let clientSide = entries.keys.filter(TreefileKeys.clientSideOnly.contains).sorted().first {
            throw error(.unsupported, context + "key '\(clientSide)' belongs to client-side treefiles; a compose cannot use it")
        }
    }

    /// Every value checked against its key's type and put in canonical form; null values are
    /// dropped, as an unset key.
    private func checkedTypes(_ entries: [String: TreefileValue], context: String) throws -> [String: TreefileValue] {
        var checked: [String: TreefileValue] = [:]
        for (name, value) in entries where value != .null {
            guard let key = TreefileKeys.key(TreefileKeys.legacySpellings[name] ?? name) else { continue }
            guard let canonical = key.shape.canonical(value) else {
                throw error(.wrongType, context + "key '\(name)' must be \(key.shape.requirement)")
            }
            checked[name] = canonical
        }
        return checked
    }

    private func renameLegacyKeys(in entries: inout [String: TreefileValue]) throws {
        for (legacy, modern) in TreefileKeys.legacySpellings.sorted(by: { $0.key < $1.key }) {
            guard let value = entries.removeValue(forKey: legacy) else { continue }
            guard entries[modern] == nil else {
                throw error(.invalidValue, "both '\(legacy)' and '\(modern)' are set; keep only '\(modern)'")
            }
            entries[modern] = value
        }
    }

    private func variables(_ value: TreefileValue?) throws -> [String: TreefileVariable] {
        guard let map = value?.mapValue else { return [:] }
        for reserved in ["basearch", "releasever"] where map[reserved] != nil {
            throw error(.invalidValue, "key 'variables': cannot define reserved variable '\(reserved)'")
        }
        return map.compactMapValues(TreefileVariable.init)
    }

    /// `container: true` forces the settings of a non-bootable tree; `edition: "2024"` changes
    /// two defaults. Both apply to this file only, before merging.
    private func applyImpliedDefaults(to entries: inout [String: TreefileValue]) {
        if entries["container"] == .bool(true) {
            entries["boot-location"] = .string("modules")
            entries["selinux"] = .bool(false)
            entries["tmp-is-dir"] = .bool(true)
            entries["preserve-passwd"] = .bool(false)
            entries["check-passwd"] = .map(["type": .string("none")])
            entries["check-groups"] = .map(["type": .string("none")])
        }
        if entries["edition"] == .string("2024") {
            entries["boot-location"] = entries["boot-location"] ?? .string("modules")
            entries["tmp-is-dir"] = entries["tmp-is-dir"] ?? .bool(true)
        }
    }

    private func splitPackages(_ entries: [String], key: String) throws -> [String] {
        do {
            return try PackageNames.splitAll(entries)
        } catch {
            throw self.error(.invalidValue, "key '\(key)': missing terminating quote in '\(error.entry)'")
        }
    }

    /// `repo-packages` entries reduced to `repo` and the package set.
    private func canonicalRepoPackages(_ value: TreefileValue, splitting: Bool) throws -> TreefileValue {
        var entries: [TreefileValue] = []
        for entry in value.listValue ?? [] {
            guard let map = entry.mapValue, let repo = map["repo"], let packages = map["packages"]?.stringListValue else { continue }
            let names = splitting ? try splitPackages(packages, key: "repo-packages") : Set(packages).sorted()
            entries.append(.map(["repo": repo, "packages": .list(names.map(TreefileValue.string))]))
        }
        return .list(entries)
    }

    private func takeIncludes(from entries: inout [String: TreefileValue], into fragment: inout TreefileFragment) throws {
        if let include = entries.removeValue(forKey: "include") {
            fragment.includes = Self.fileList(include)
        }
        if let archInclude = entries.removeValue(forKey: "arch-include")?.mapValue {
            fragment.archIncludes = archInclude.mapValues(Self.fileList)
        }
        for entry in entries.removeValue(forKey: "conditional-include")?.listValue ?? [] {
            guard let map = entry.mapValue, let condition = map["if"], let include = map["include"] else { continue }
            var conditions: [IncludeCondition] = []
            for text in Self.fileList(condition) {
                do {
                    conditions.append(try IncludeCondition(parsing: text))
                } catch {
                    throw self.error(error.kind, "conditional-include: " + error.message)
                }
            }
            let target: ConditionalInclude.Target
            if let inline = include.mapValue {
                target = .inline(try readInline(inline))
            } else {
                target = .files(Self.fileList(include))
            }
            fragment.conditionalIncludes.append(ConditionalInclude(conditions: conditions, target: target))
        }
    }

    /// A string-or-list value as a list.
    private static func fileList(_ value: TreefileValue) -> [String] {
        value.stringValue.map { [$0] } ?? value.stringListValue ?? []
    }

    /// Resolves and checks the files this treefile names.
    private func externals(of entries: [String: TreefileValue]) throws -> TreefileExternals {
        var externals = TreefileExternals()
        if let script = entries["postprocess-script"]?.stringValue {
            externals.postprocessScript = try existing(script, named: "postprocess-script")
        }
        for pair in entries["add-files"]?.listValue ?? [] {
            guard let names = pair.stringListValue, names.count == 2 else { continue }
            let source = try existing(names[0], named: "add-files source")
            externals.addFiles.append(AddFile(source: source, destination: names[1]))
        }
        for (name, keyPath) in [("check-passwd", \TreefileExternals.passwdFile), ("check-groups", \.groupFile)] {
            guard let check = entries[name]?.mapValue, check["type"] == .string("file"),
                  let filename = check["filename"]?.stringValue else { continue }
            externals[keyPath: keyPath] = try existing(filename, named: "\(name) file")
        }
        if let base = entries["base"]?.stringValue {
            if Self.isArchive(base) {
                externals.base = .archive(path: try existing(base, named: "base archive"))
            } else if Self.isRecipe(base) {
                externals.base = .recipe(path: try existing(base, named: "base recipe"))
            } else {
                externals.base = .ostreeRef(base)
            }
        }
        for (id, script) in entries["local-repos"]?.mapValue ?? [:] {
            guard let script = script.stringValue else { continue }
            externals.localRepos[id] = try existing(script, named: "local-repos script")
        }
        return externals
    }

    private func existing(_ name: String, named what: String) throws -> String {
        let resolved = TreefilePaths.resolve(name, besideFile: path)
        switch TreefilePaths.kind(resolved) {
        case .regularFile: return resolved
        case .missing: throw error(.missingFile, "\(what) '\(name)' not found")
        case .other: throw error(.invalidValue, "\(what) '\(name)' is not a regular file")
        }
    }

    private func error(_ kind: TreefileError.Kind, _ message: String) -> TreefileError {
        TreefileError(kind, file: displayName, message)
    }
}
