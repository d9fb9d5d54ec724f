import OSTree
import Treefile

extension TreefileValue {
    /// `add-commit-metadata` values as commit metadata: strings, booleans, non-negative
    /// integers and string lists keep their type; anything else is stored as its text.
    var metadataValue: MetadataValue {
        switch self {
        case .string(let string): .string(string)
        case .bool(let bool): .bool(bool)
        case .integer(let number) where number >= 0: .uint64(UInt64(number))
        case .list(let items) where items.allSatisfy({ $0.stringValue != nil }): .strings(items.compactMap(\.stringValue))
        default: .string("\(self)")
        }
    }
}
