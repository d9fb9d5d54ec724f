/// Loads an rpm-ostree treefile (YAML, JSON or kickstart) with rpm-ostree's include, merge and
/// variable rules (see shared/notes/treefile-includes.md).
public struct TreefileLoader: Sendable {
    /// The architecture composed for: picks `packages-<arch>` and `arch-include` entries and is
    /// the `basearch` variable.
    public var basearch: String
    /// Variables given on the command line (`--var K=V`); they win over every file's.
    public var variables: [String: String]

    /// A loader composing for `basearch`, with `--var` variables (always strings).
    public init(basearch: String = "x86_64", variables: [String: String] = [:]) {
        self.basearch = basearch
        self.variables = variables
    }

    /// Reads the treefile at `path` and everything it includes, merges them, substitutes
    /// `${var}` and validates the result. Throws `TreefileError`.
    public func load(_ path: String) throws -> Treefile {
        let rootPath = TreefilePaths.absolute(path)
        var walk = IncludeWalk(rootPath: rootPath, basearch: basearch,
                               variables: variables.mapValues(TreefileVariable.string))
        guard TreefilePaths.isFile(rootPath) else {
            throw TreefileError(.missingFile, file: path, "treefile not found")
        }
        let merged = try walk.read(rootPath, depth: 0)
        return try Treefile(path: rootPath, merged: merged, variables: walk.variables,
                            externalFiles: walk.filesRead, documentFiles: walk.documentsRead, rootDisplayName: walk.displayName(rootPath))
    }
}
