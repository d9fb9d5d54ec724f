/// `${name}` substitution, done once on the merged treefile with the final variables, in the
/// fields rpm-ostree substitutes and no others (not packages, repos or postprocess).
enum VariableSubstitution {
    /// Keys whose string value is substituted.
    private static let stringKeys = ["ref", "automatic-version-prefix", "mutate-os-release", "platform-module"]
    /// Keys whose top-level string values are substituted.
    private static let mapKeys = ["metadata", "add-commit-metadata"]
    /// `rojig` fields that are substituted.
    private static let rojigFields = ["name", "summary", "description"]

    static func apply(to values: inout [String: TreefileValue], variables: [String: TreefileVariable],
                      rootDisplayName: String) throws {
        let replacements = try checkedReplacements(variables, rootDisplayName: rootDisplayName)
        func substitute(_ value: TreefileValue) -> TreefileValue {
            guard case .string(var text) = value, text.contains("${") else { return value }
            for (placeholder, replacement) in replacements {
                text = text.replacingOccurrences(of: placeholder, with: replacement)
            }
            return .string(text)
        }
        for key in stringKeys {
            values[key] = values[key].map(substitute)
        }
        for key in mapKeys {
            values[key] = values[key]?.mapValue.map { .map($0.mapValues(substitute)) } ?? values[key]
        }
        if var rojig = values["rojig"]?.mapValue {
            for field in rojigFields {
                rojig[field] = rojig[field].map(substitute)
            }
            values["rojig"] = .map(rojig)
        }
    }

    /// `${name}` → value for every variable. Like rpm-ostree, a name or value holding `$`, `{`
    /// or `}` is an error, so one substitution can never produce another placeholder.
    private static func checkedReplacements(_ variables: [String: TreefileVariable],
                                            rootDisplayName: String) throws -> [(String, String)] {
        var replacements: [(String, String)] = []
        for (name, variable) in variables.sorted(by: { $0.key < $1.key }) {
            let value = variable.description
            for (what, text) in [("name", name), ("value", value)] {
                if let forbidden = text.first(where: { "${}".contains($0) }) {
                    throw TreefileError(.invalidValue, file: rootDisplayName,
                                        "variable \(what) '\(text)' contains the forbidden character '\(forbidden)'")
                }
            }
            replacements.append(("${\(name)}", value))
        }
        return replacements
    }
}
