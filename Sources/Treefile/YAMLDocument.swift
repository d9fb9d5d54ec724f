import Yams

/// YAML to `TreefileValue`, typing plain scalars the way serde_yaml 0.9 (rpm-ostree's reader)
/// does: YAML 1.2 core schema, so `yes` and `on` stay strings and `0755` is a string.
enum YAMLDocument {
    static func parse(_ text: String, displayName: String) throws -> TreefileValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw TreefileError(.syntax, file: displayName, "invalid YAML: \(oneLine(error))")
        }
        guard let node else { return .null }
        var budget = maximumValues
        return try value(of: node, displayName: displayName, budget: &budget)
    }

    /// The most values one document may expand to. Aliases make a few lines stand for a tree
    /// of any size (nine levels of nine aliases: 387 million values); real treefiles hold a few
    /// thousand.
    static let maximumValues = 500_000

    private static func value(of node: Node, displayName: String, budget: inout Int) throws -> TreefileValue {
        budget -= 1
        guard budget >= 0 else {
            throw TreefileError(.invalidValue, file: displayName,
                                "the YAML expands to more than \(maximumValues) values (aliases repeating aliases?)")
        }
        switch node {
        case .scalar(let scalar):
            return scalar.style == .plain ? plainScalar(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            return .list(try sequence.map { try value(of: $0, displayName: displayName, budget: &budget) })
        case .mapping(let mapping):
            var map: [String: TreefileValue] = [:]
            for (key, entry) in mapping {
                guard let name = key.scalar?.string else {
                    throw TreefileError(.syntax, file: displayName, "mapping keys must be strings")
                }
                map[name] = try value(of: entry, displayName: displayName, budget: &budget)
            }
            return .map(map)
        case .alias:
            throw TreefileError(.syntax, file: displayName, "unresolved YAML alias")
        }
    }

    /// Types an unquoted scalar: null, boolean, integer (decimal, 0x, 0o, 0b), float, or string.
    static func plainScalar(_ text: String) -> TreefileValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        if let integer = integer(text) { return .integer(integer) }
        if !hasLeadingZeroDigits(text), let float = float(text) { return .float(float) }
        return .string(text)
    }

    private static func integer(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard let first = body.first, first != "+", first != "-" else { return nil }
        let radix: Int
        if body.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if body.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        else if body.hasPrefix("0b") { radix = 2; body = body.dropFirst(2) }
        else {
            if hasLeadingZeroDigits(text) { return nil }
            radix = 10
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let magnitude = UInt64(body, radix: radix) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Decimal floats only (`1.5`, `.5`, `1e3`); the spellings Swift also accepts (`inf`, `nan`,
    /// hexadecimal) are strings in YAML.
    private static func float(_ text: String) -> Double? {
        let allowed = Set("0123456789.eE+-")
        guard text.contains(where: \.isNumber), text.allSatisfy(allowed.contains),
              let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `0123`, `-007`: digits with a leading zero are a string in YAML 1.2.
    private static func hasLeadingZeroDigits(_ text: String) -> Bool {
        let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        return digits.count > 1 && digits.first == "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private static func oneLine(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .reader(let problem, _, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return "line \(context.mark.line): duplicate key \(names)"
        default:
            return String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "unreadable"
        }
    }
}
