/// The type a treefile key's value must have, checked strictly on the typed value (a YAML
/// `ref: 40` is an integer, not a string, exactly as rpm-ostree sees it).
enum ValueShape: Sendable {
    case string
    case bool
    case unsignedInteger
    case stringList
    case stringOrStringList
    /// `releasever`.
    case stringOrUnsignedInteger
    /// A string enum; `aliases` maps an accepted spelling to the canonical one.
    case oneOf([String], aliases: [String: String] = [:])
    case stringMap
    case anyMap
    /// `remove-from-packages`: `[package, regex...]` entries.
    case stringListList
    /// `add-files`: `[source, destination]` entries.
    case sourceDestinationPairs
    /// `check-passwd` (users may map to `uid`, `[uid]` or `[uid, gid]`) or `check-groups`.
    case accountCheck(users: Bool)
    case rojig
    case repoPackages
    case archInclude
    case conditionalInclude
    case variables

    /// What the value must be, completing "key 'x' must be ...".
    var requirement: String {
        switch self {
        case .string: return "a string"
        case .bool: return "a boolean"
        case .unsignedInteger: return "a non-negative integer"
        case .stringList: return "a list of strings"
        case .stringOrStringList: return "a string or a list of strings"
        case .stringOrUnsignedInteger: return "a string or a non-negative integer"
        case .oneOf(let names, _): return "one of " + names.map { "'\($0)'" }.joined(separator: ", ")
        case .stringMap: return "a mapping of strings to strings"
        case .anyMap: return "a mapping"
        case .stringListList: return "a list of lists of strings"
        case .sourceDestinationPairs: return "a list of [source, destination] pairs of strings"
        case .accountCheck:
            return "a mapping whose 'type' is none, previous, file (with a 'filename') or data (with 'entries' of ids)"
        case .rojig: return "a mapping with string 'name', 'summary', 'license' and an optional 'description'"
        case .repoPackages: return "a list of mappings with 'repo' (a string) and 'packages' (a list of strings)"
        case .archInclude: return "a mapping of architectures to a file or a list of files"
        case .conditionalInclude:
            return "a list of mappings with 'if' (a condition or a list of them) and 'include' (a file, a list of files or an inline treefile)"
        case .variables: return "a mapping of names to booleans, non-negative integers or strings"
        }
    }

    /// The value in canonical form (an enum alias replaced by its canonical spelling), or nil
    /// when it does not have this shape.
    func canonical(_ value: TreefileValue) -> TreefileValue? {
        switch self {
        case .oneOf(let names, let aliases):
            guard let name = value.stringValue else { return nil }
            if names.contains(name) { return value }
            return aliases[name].map(TreefileValue.string)
        default:
            return accepts(value) ? value : nil
        }
    }

    private func accepts(_ value: TreefileValue) -> Bool {
        switch self {
        case .string: return value.stringValue != nil
        case .bool: if case .bool = value { return true } else { return false }
        case .unsignedInteger: return value.unsignedValue.map { $0 <= UInt32.max } ?? false
        case .stringList: return value.stringListValue != nil
        case .stringOrStringList: return value.stringValue != nil || value.stringListValue != nil
        case .stringOrUnsignedInteger: return value.stringValue != nil || value.unsignedValue != nil
        case .oneOf: return canonical(value) != nil
        case .stringMap: return value.mapValue?.values.allSatisfy { $0.stringValue != nil } ?? false
        case .anyMap: return value.mapValue != nil
        case .stringListList: return value.listValue?.allSatisfy { $0.stringListValue != nil } ?? false
        case .sourceDestinationPairs: return value.listValue?.allSatisfy { $0.stringListValue?.count == 2 } ?? false
        case .accountCheck(let users): return Self.isAccountCheck(value, users: users)
        case .rojig: return Self.isRojig(value)
        case .repoPackages:
            return value.listValue?.allSatisfy { entry in
                entry.mapValue?["repo"]?.stringValue != nil && entry.mapValue?["packages"]?.stringListValue != nil
            } ?? false
        case .archInclude:
            return value.mapValue?.values.allSatisfy(ValueShape.stringOrStringList.accepts) ?? false
        case .conditionalInclude:
            return value.listValue?.allSatisfy(Self.isConditionalInclude) ?? false
        case .variables:
            return value.mapValue?.values.allSatisfy { TreefileVariable($0) != nil } ?? false
        }
    }

    private static func isAccountCheck(_ value: TreefileValue, users: Bool) -> Bool {
        guard let map = value.mapValue, let type = map["type"]?.stringValue else { return false }
        switch type {
        case "none", "previous":
            return true
        case "file":
            return map["filename"]?.stringValue != nil
        case "data":
            guard let entries = map["entries"]?.mapValue else { return false }
            return entries.values.allSatisfy { id in
                if id.unsignedValue != nil { return true }
                guard users, let ids = id.listValue, ids.count == 1 || ids.count == 2 else { return false }
                return ids.allSatisfy { $0.unsignedValue != nil }
            }
        default:
            return false
        }
    }

    private static func isRojig(_ value: TreefileValue) -> Bool {
        guard let map = value.mapValue else { return false }
        let required = ["name", "summary", "license"].allSatisfy { map[$0]?.stringValue != nil }
        let description = map["description"].map { $0 == .null || $0.stringValue != nil } ?? true
        return required && description
    }

    private static func isConditionalInclude(_ entry: TreefileValue) -> Bool {
        guard let map = entry.mapValue, let condition = map["if"], let include = map["include"] else { return false }
        return ValueShape.stringOrStringList.accepts(condition)
            && (ValueShape.stringOrStringList.accepts(include) || include.mapValue != nil)
    }
}
