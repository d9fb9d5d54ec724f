/// The depth-first walk over a treefile and its includes (treefile-includes.md §1): each file
/// is read, its variables folded into the shared map, its conditions checked, then its includes
/// read and merged into it, in order: `include`, `arch-include`, matching `conditional-include`.
struct IncludeWalk {
    /// rpm-ostree's include depth limit.
    static let maximumDepth = 50

    let rootPath: String
    let basearch: String
    /// The shared variable map; a variable keeps the first value it is given.
    private(set) var variables: [String: TreefileVariable]
    /// Every file read, in reading order.
    private(set) var filesRead: [String] = []
    /// The treefiles and kickstarts among them, whose content the merged treefile holds.
    private(set) var documentsRead: [String] = []
    /// Files already read, by identity, so a file reached twice (a loop, a diamond, a second
    /// name through a symlink) is an error as in rpm-ostree.
    private var seen = Set<FileIdentity>()

    init(rootPath: String, basearch: String, variables: [String: TreefileVariable]) {
        self.rootPath = rootPath
        self.basearch = basearch
        self.variables = variables
    }

    /// How a file is named in errors: relative to the root treefile's directory when under it.
    func displayName(_ path: String) -> String {
        let rootDirectory = TreefilePaths.directory(of: rootPath)
        let prefix = rootDirectory == "/" ? "/" : rootDirectory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Reads the treefile at `path` (absolute, existing) with everything it includes merged in.
    mutating func read(_ path: String, depth: Int) throws -> TreefileFragment {
        let name = displayName(path)
        guard let identity = TreefilePaths.identity(path) else {
            throw TreefileError(.missingFile, file: name, "cannot open the file")
        }
        guard seen.insert(identity).inserted else {
            throw TreefileError(.includeLoop, file: nil, "Include loop detected; \(name) was already included")
        }
        var fragment = try readOne(path, name: name)
        record(fragment.externals.paths)

        for (variable, value) in fragment.variables where variables[variable] == nil {
            variables[variable] = value
        }
        var includes = fragment.includes + (fragment.archIncludes[basearch] ?? [])
        for conditional in fragment.conditionalIncludes where try holds(conditional.conditions, in: name) {
            switch conditional.target {
            case .files(let files): includes += files
            case .inline(let inline): fragment.merge(included: inline)
            }
        }
        for include in includes {
            guard depth < Self.maximumDepth else {
                throw TreefileError(.includeDepth, file: name, "includes nest deeper than \(Self.maximumDepth) levels")
            }
            let includePath = TreefilePaths.resolve(include, besideFile: path)
            guard TreefilePaths.isFile(includePath) else {
                throw TreefileError(.missingFile, file: name, "include '\(include)' not found")
            }
            fragment.merge(included: try read(includePath, depth: depth + 1))
        }
        return fragment
    }

    /// One file, parsed and through the per-file steps, without its includes.
    private mutating func readOne(_ path: String, name: String) throws -> TreefileFragment {
        let format = TreefileFormat(path: path)
        guard let syntax = format.documentSyntax else {
            let kickstart = try Kickstart(path: path, displayName: displayName)
            record(kickstart.filesRead)
            documentsRead += kickstart.filesRead
            return TreefileFragment(kickstart: kickstart)
        }
        record([path])
        documentsRead.append(path)
        let document = try TreefileDocument.read(path: path, syntax: syntax, displayName: name)
        let reader = TreefileFragmentReader(path: path, displayName: name, format: format, basearch: basearch)
        return try reader.readFile(document)
    }

    /// Adds files to `filesRead`, each once.
    private mutating func record(_ paths: [String]) {
        filesRead += paths.filter { !filesRead.contains($0) }
    }

    /// Whether every condition holds. All are checked, even after one fails, so an undefined
    /// variable or a type mismatch is always reported.
    private func holds(_ conditions: [IncludeCondition], in name: String) throws -> Bool {
        var holds = true
        for condition in conditions {
            do {
                holds = try condition.evaluate(variables) && holds
            } catch {
                throw TreefileError(error.kind, file: name, "conditional-include: " + error.message)
            }
        }
        return holds
    }
}
