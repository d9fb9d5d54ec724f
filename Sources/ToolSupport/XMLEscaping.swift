extension String {
    /// The string as XML (or HTML) text or a quoted attribute value: `&`, `<`, `>`, `"` and `'`
    /// escaped, so that a path or a message with any of them stays one value.
    public var xmlEscaped: String {
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
