/// A treefile variable (`variables:`, `releasever`, `basearch`, `--var`): used by
/// `conditional-include` conditions and substituted for `${name}`.
public enum TreefileVariable: Sendable, Hashable, CustomStringConvertible {
    /// `prod: false`; compared with `true` / `false`.
    case bool(Bool)
    /// `releasever: 40`; compared with unquoted digits, and the only kind `<`, `>=`... order.
    case number(UInt64)
    /// `stream: testing-devel`, and every `--var`; compared with `"double-quoted"` text.
    case string(String)

    /// The variable as a treefile value: a boolean, a non-negative integer or a string; nil for
    /// anything else (a negative or fractional number, a list, null).
    init?(_ value: TreefileValue) {
        switch value {
        case .bool(let bool): self = .bool(bool)
        case .string(let string): self = .string(string)
        case .integer(let integer) where integer >= 0: self = .number(UInt64(integer))
        default: return nil
        }
    }

    /// The text substituted for `${name}`: `true`, `40`, `testing-devel`.
    public var description: String {
        switch self {
        case .bool(let bool): return String(bool)
        case .number(let number): return String(number)
        case .string(let string): return string
        }
    }

    /// The variable as a treefile value, for the flattened treefile.
    var treefileValue: TreefileValue {
        switch self {
        case .bool(let bool): return .bool(bool)
        case .number(let number): return number <= UInt64(Int64.max) ? .integer(Int64(number)) : .string(String(number))
        case .string(let string): return .string(string)
        }
    }

    /// The kind of value, for error messages.
    var kindDescription: String {
        switch self {
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        }
    }
}
