import Foundation

/// Machine-readable output: `document` as pretty-printed JSON with sorted keys on stdout.
func printJSON(_ document: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
