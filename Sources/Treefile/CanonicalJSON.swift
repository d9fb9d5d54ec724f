/// The one JSON spelling of a value: keys sorted, two-space indentation, no trailing spaces.
/// `flattenedJSON()` feeds an input hash, so the same treefile must always print the same bytes.
enum CanonicalJSON {
    static func render(_ value: TreefileValue) -> String {
        var output = ""
        write(value, indent: "", to: &output)
        output.append("\n")
        return output
    }

    private static func write(_ value: TreefileValue, indent: String, to output: inout String) {
        switch value {
        case .null:
            output += "null"
        case .bool(let bool):
            output += bool ? "true" : "false"
        case .integer(let integer):
            output += String(integer)
        case .float(let float):
            // JSON has no infinity or NaN; serde_json writes them as null too.
            output += float.isFinite ? String(float) : "null"
        case .string(let string):
            writeString(string, to: &output)
        case .list(let list):
            guard !list.isEmpty else { output += "[]"; return }
            let inner = indent + "  "
            output += "[\n"
            for (index, element) in list.enumerated() {
                output += inner
                write(element, indent: inner, to: &output)
                output += index == list.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case .map(let map):
            guard !map.isEmpty else { output += "{}"; return }
            let inner = indent + "  "
            output += "{\n"
            let keys = map.keys.sorted()
            for (index, key) in keys.enumerated() {
                output += inner
                writeString(key, to: &output)
                output += ": "
                write(map[key]!, indent: inner, to: &output)
                output += index == keys.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
