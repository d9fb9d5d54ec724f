import Foundation

/// The one JSON form the tools write, on stdout (`--json`) and into files (`results.json`,
/// `bisect.json`): pretty-printed, keys sorted, dates in ISO 8601, slashes as they are.
public enum JSONOutput {
    /// `value` as JSON; one line when not `pretty` (a line of a history file).
    public static func encode<Value: Encodable>(_ value: Value, pretty: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    /// Prints `value` as JSON on stdout, with a final newline.
    public static func print<Value: Encodable>(_ value: Value) throws {
        FileHandle.standardOutput.write(try encode(value) + Data("\n".utf8))
    }

    /// Writes `value` as JSON to `path`, atomically.
    public static func write<Value: Encodable>(_ value: Value, to path: String) throws {
        try encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
