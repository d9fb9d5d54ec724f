import Foundation

/// JSON to `TreefileValue` through Foundation's decoder: plain JSON, no comments (unlike
/// rpm-ostree's serde_json it lets a trailing comma pass).
enum JSONDocument {
    static func parse(_ data: Data, displayName: String) throws -> TreefileValue {
        do {
            return try JSONDecoder().decode(DecodedValue.self, from: data).value
        } catch let error as DecodingError {
            throw TreefileError(.syntax, file: displayName, "invalid JSON: \(reason(error))")
        }
    }

    private static func reason(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c):
            context = c
        @unknown default:
            return "unreadable"
        }
        var text = context.debugDescription
        if let underlying = context.underlyingError {
            let detail = String(describing: underlying)
            if !detail.isEmpty { text += " (\(detail))" }
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The decoding of one JSON value; bool before number, so `true` never becomes 1.
    private struct DecodedValue: Decodable {
        let value: TreefileValue

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = .null
            } else if let bool = try? container.decode(Bool.self) {
                value = .bool(bool)
            } else if let integer = try? container.decode(Int64.self) {
                value = .integer(integer)
            } else if let float = try? container.decode(Double.self) {
                value = .float(float)
            } else if let string = try? container.decode(String.self) {
                value = .string(string)
            } else if let list = try? container.decode([DecodedValue].self) {
                value = .list(list.map(\.value))
            } else {
                value = .map(try container.decode([String: DecodedValue].self).mapValues(\.value))
            }
        }
    }
}
