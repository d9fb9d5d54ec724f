import Foundation

/// Reads one YAML or JSON treefile into its top-level key→value mapping.
enum TreefileDocument {
    enum Syntax {
        case yaml
        case json
    }

    /// The top-level mapping of the file at `path`. A YAML file with nothing but comments (or
    /// nothing at all) is an empty mapping, as rpm-ostree reads it.
    static func read(path: String, syntax: Syntax, displayName: String) throws -> [String: TreefileValue] {
        guard let data = TreefilePaths.contents(path) else {
            throw TreefileError(.missingFile, file: displayName,
                                "cannot read the file (it must be a regular file of at most \(TreefilePaths.maximumFileSize >> 20) MiB)")
        }
        let root: TreefileValue
        switch syntax {
        case .yaml:
            guard let text = String(data: data, encoding: .utf8) else {
                throw TreefileError(.syntax, file: displayName, "not valid UTF-8")
            }
            root = try YAMLDocument.parse(text, displayName: displayName)
        case .json:
            root = try JSONDocument.parse(data, displayName: displayName)
        }
        switch root {
        case .map(let map):
            return map
        case .null where syntax == .yaml:
            return [:]
        default:
            throw TreefileError(.syntax, file: displayName,
                                "a treefile must be a mapping of keys to values, not \(root.kindDescription)")
        }
    }
}
