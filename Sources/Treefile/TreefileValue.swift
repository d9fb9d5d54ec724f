/// One value of a treefile key, typed the way rpm-ostree's YAML and JSON readers type it.
///
/// Keys whose meaning this module does not model (`metadata`, `add-commit-metadata`,
/// `check-passwd`, ...) keep their values in this form, so nothing a treefile says is lost.
public enum TreefileValue: Sendable, Hashable {
    /// `null`, `~` or nothing: the same as leaving the key out.
    case null
    /// `true` / `false` (YAML 1.2 spellings only: `yes` is a string).
    case bool(Bool)
    /// A whole number (YAML also accepts `0x`, `0o` and `0b` forms).
    case integer(Int64)
    /// A number with a fraction or an exponent.
    case float(Double)
    /// Text, quoted or not.
    case string(String)
    /// A sequence.
    case list([TreefileValue])
    /// A mapping with string keys.
    case map([String: TreefileValue])

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The elements, when this is a list.
    public var listValue: [TreefileValue]? {
        if case .list(let list) = self { return list }
        return nil
    }

    /// The entries, when this is a mapping.
    public var mapValue: [String: TreefileValue]? {
        if case .map(let map) = self { return map }
        return nil
    }

    /// The strings, when this is a list whose every element is a string.
    public var stringListValue: [String]? {
        guard let list = listValue else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(list.count)
        for element in list {
            guard let string = element.stringValue else { return nil }
            strings.append(string)
        }
        return strings
    }

    /// The number, when this is an integer that is not negative.
    var unsignedValue: UInt64? {
        if case .integer(let integer) = self, integer >= 0 { return UInt64(integer) }
        return nil
    }

    /// What kind of value this is, for error messages ("a string", "a list").
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer: return "an integer"
        case .float: return "a floating-point number"
        case .string: return "a string"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }
}
