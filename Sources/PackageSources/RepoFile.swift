import Foundation

/// One `[id]` section of a yum/dnf `.repo` file.
public struct RepoDefinition: Sendable, Equatable {
    public var id: String
    public var name: String
    public var baseURLs: [String]
    public var enabled: Bool
    /// Packages must be signed by one of `gpgKeys` (`gpgcheck=1`).
    public var gpgCheck: Bool
    /// `repomd.xml` must be signed by one of `gpgKeys` (`repo_gpgcheck=1`).
    public var repoGPGCheck: Bool
    /// The `gpgkey=` URLs: `file://` or `http(s)://`.
    public var gpgKeys: [String]
    /// Where `file://` keys are read: nil for the host, or a tree whose paths they name (the
    /// deployment whose `/etc/yum.repos.d` this came from).
    public var keyRoot: String?
    /// The file it came from.
    public var file: String
    /// `mirrorlist=` and `metalink=`: where librepo finds the base URLs when `baseurl` is
    /// not given.
    public var mirrorlist: String?
    public var metalink: String?
    /// `metadata_expire=`: how old downloaded metadata may be before it is fetched again; nil
    /// for never (`-1`, `never`). dnf's default is 48 hours.
    public var metadataExpire: TimeInterval? = RepoFile.defaultMetadataExpire

    public init(id: String, name: String, baseURLs: [String], enabled: Bool, gpgCheck: Bool,
                repoGPGCheck: Bool = false, gpgKeys: [String] = [], keyRoot: String? = nil, file: String) {
        self.id = id
        self.name = name
        self.baseURLs = baseURLs
        self.enabled = enabled
        self.gpgCheck = gpgCheck
        self.repoGPGCheck = repoGPGCheck
        self.gpgKeys = gpgKeys
        self.keyRoot = keyRoot
        self.file = file
    }
}

/// Reads `.repo` files the way dnf does for the keys a compose needs (`baseurl`, `mirrorlist`,
/// `metalink`, `enabled`, `gpgcheck`, `repo_gpgcheck`, `gpgkey`, `metadata_expire`, with
/// `$basearch` and `$releasever` expanded).
public enum RepoFile {
    /// dnf's `metadata_expire` default: 48 hours.
    public static let defaultMetadataExpire: TimeInterval = 48 * 3600

    /// Every repository defined by the `.repo` files in `directory`, by id; `keyRoot` is where
    /// their `file://` keys are read (nil: the host).
    public static func definitions(in directory: String, variables: [String: String],
                                   keyRoot: String? = nil) throws -> [String: RepoDefinition] {
        var result: [String: RepoDefinition] = [:]
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".repo") }.sorted()
        for file in files {
            let path = directory + "/" + file
            for var definition in try parse(path: path, variables: variables) {
                definition.keyRoot = keyRoot
                if let earlier = result[definition.id] {
                    throw PackageSourceError("\(path): repository '\(definition.id)' is also defined in \(earlier.file)")
                }
                result[definition.id] = definition
            }
        }
        return result
    }

    /// The repositories of one `.repo` file.
    public static func parse(path: String, variables: [String: String]) throws -> [RepoDefinition] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PackageSourceError("\(path): cannot read repository file")
        }
        var sections: [(String, [String: String])] = []
        var lastKey: String?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                sections.append((String(line.dropFirst().dropLast()), [:]))
                lastKey = nil
            } else if rawLine.first == " " || rawLine.first == "\t", let key = lastKey, !sections.isEmpty {
                // A continuation line: more URLs for the key above.
                sections[sections.count - 1].1[key, default: ""] += " " + line
            } else if let equals = line.firstIndex(of: "="), !sections.isEmpty {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                sections[sections.count - 1].1[key] = value
                lastKey = key
            } else {
                throw PackageSourceError("\(path):\(number + 1): cannot parse '\(line)'")
            }
        }
        return try sections.map { id, keys in
            let urls = (keys["baseurl"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," })
                .map { expand(String($0), variables) }
            let mirrorlist = keys["mirrorlist"].map { expand($0, variables) }
            let metalink = keys["metalink"].map { expand($0, variables) }
            if urls.isEmpty && mirrorlist == nil && metalink == nil {
                throw PackageSourceError("\(path): repository '\(id)' has no baseurl, mirrorlist or metalink")
            }
            let gpgKeys = (keys["gpgkey"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," })
                .map { expand(String($0), variables) }
            var definition = RepoDefinition(
                id: id, name: keys["name"].map { expand($0, variables) } ?? id, baseURLs: urls,
                enabled: isTrue(keys["enabled"] ?? "1"), gpgCheck: isTrue(keys["gpgcheck"] ?? "0"),
                repoGPGCheck: isTrue(keys["repo_gpgcheck"] ?? "0"), gpgKeys: gpgKeys, file: path)
            definition.mirrorlist = mirrorlist
            definition.metalink = metalink
            if let expire = keys["metadata_expire"] {
                guard let seconds = metadataExpire(expire) else {
                    throw PackageSourceError("\(path): repository '\(id)': metadata_expire '\(expire)' is not a duration "
                                             + "(seconds, or a number with s, m, h or d; -1 or never)")
                }
                definition.metadataExpire = seconds
            }
            if (definition.gpgCheck || definition.repoGPGCheck) && gpgKeys.isEmpty {
                throw PackageSourceError("\(path): repository '\(id)' requires signatures (gpgcheck or repo_gpgcheck) but names no gpgkey",
                                         kind: .signature)
            }
            return definition
        }
    }

    /// dnf's spelling of a duration: `3600`, `90m`, `6h`, `2d`; `-1` or `never` (nil).
    static func metadataExpire(_ value: String) -> TimeInterval?? {
        let text = value.lowercased()
        if text == "-1" || text == "never" { return .some(nil) }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let unit = text.last.flatMap { units[$0] }
        guard let number = Double(unit == nil ? text : String(text.dropLast())), number >= 0 else { return nil }
        return .some(number * (unit ?? 1))
    }

    private static func isTrue(_ value: String) -> Bool {
        ["1", "yes", "true", "on"].contains(value.lowercased())
    }

    private static func expand(_ value: String, _ variables: [String: String]) -> String {
        var result = value
        for (key, replacement) in variables.sorted(by: { $0.key.count > $1.key.count }) {
            result = result.replacingOccurrences(of: "${\(key)}", with: replacement)
                .replacingOccurrences(of: "$\(key)", with: replacement)
        }
        return result
    }
}
