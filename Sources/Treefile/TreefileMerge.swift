/// rpm-ostree's merge of an included treefile into the one including it (treefile-includes.md
/// §2). With `include: [A, B]` in F, scalars resolve F > A > B and lists come out B, A, F.
extension TreefileFragment {
    /// Folds `included` into this fragment, which is the including one.
    mutating func merge(included: TreefileFragment) {
        for (name, incoming) in included.values {
            guard let rule = TreefileKeys.key(name)?.merge else { continue }
            let own = values[name]
            switch rule {
            case .includerWins:
                if own == nil { values[name] = incoming }
            case .concatenate:
                values[name] = .list((incoming.listValue ?? []) + (own?.listValue ?? []))
            case .concatenateLastPackageWins:
                values[name] = Self.keepingLastEntryPerPackage((incoming.listValue ?? []) + (own?.listValue ?? []))
            case .union:
                let names = Set((incoming.stringListValue ?? []) + (own?.stringListValue ?? []))
                values[name] = .list(names.sorted().map(TreefileValue.string))
            case .mapUnion:
                let merged = (incoming.mapValue ?? [:]).merging(own?.mapValue ?? [:]) { _, including in including }
                values[name] = .map(merged)
            case .rootOnly, .consumed:
                break
            }
        }
        externals.merge(included: included.externals)
    }

    /// `repo-packages`: a package named in several entries stays only in the last one, and
    /// entries left without packages are dropped.
    private static func keepingLastEntryPerPackage(_ entries: [TreefileValue]) -> TreefileValue {
        var seen = Set<String>()
        var kept: [TreefileValue] = []
        for entry in entries.reversed() {
            guard var map = entry.mapValue else { continue }
            let packages = (map["packages"]?.stringListValue ?? []).filter { seen.insert($0).inserted }
            guard !packages.isEmpty else { continue }
            map["packages"] = .list(packages.map(TreefileValue.string))
            kept.append(.map(map))
        }
        return .list(kept.reversed())
    }
}

extension TreefileExternals {
    /// The same rules as the keys that name the files: the including file's script, check files
    /// and base win; add-files are concatenated, the included file's first.
    mutating func merge(included: TreefileExternals) {
        postprocessScript = postprocessScript ?? included.postprocessScript
        addFiles = included.addFiles + addFiles
        passwdFile = passwdFile ?? included.passwdFile
        groupFile = groupFile ?? included.groupFile
        base = base ?? included.base
        localRepos.merge(included.localRepos) { including, _ in including }
    }
}
