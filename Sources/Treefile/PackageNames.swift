/// How a `packages` entry is read: several names separated by whitespace, where a part in single
/// quotes stays whole, so `'podman >= 4.1' skopeo` is `podman >= 4.1` and `skopeo`.
enum PackageNames {
    struct UnterminatedQuote: Error {
        let entry: String
    }

    static func split(_ entry: String) throws(UnterminatedQuote) -> [String] {
        var names: [String] = []
        var unquoted = ""
        var quoted: String?
        for character in entry {
            if character == "'" {
                if let whole = quoted {
                    names.append(whole)
                    quoted = nil
                } else {
                    names += unquoted.split(whereSeparator: \.isWhitespace).map(String.init)
                    unquoted = ""
                    quoted = ""
                }
            } else if quoted != nil {
                quoted!.append(character)
            } else {
                unquoted.append(character)
            }
        }
        guard quoted == nil else { throw UnterminatedQuote(entry: entry) }
        names += unquoted.split(whereSeparator: \.isWhitespace).map(String.init)
        return names
    }

    /// Every entry split, as a sorted set.
    static func splitAll(_ entries: [String]) throws(UnterminatedQuote) -> [String] {
        var names = Set<String>()
        for entry in entries {
            names.formUnion(try split(entry))
        }
        return names.sorted()
    }
}
