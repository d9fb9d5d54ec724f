import RPM

/// A package file the user handed over (`install FILE.rpm`, `override replace FILE.rpm`),
/// recorded by the SHA-256 of the file and its NEVRA, as rpm-ostree's origin does
/// (`SHA256:NEVRA`). The file itself lives on in the package cache.
public struct LocalPackage: Sendable, Hashable {
    public var sha256: String
    public var name: String
    /// `[epoch:]version-release`.
    public var evr: String
    public var arch: String

    public init(sha256: String, name: String, evr: String, arch: String) {
        self.sha256 = sha256
        self.name = name
        self.evr = evr
        self.arch = arch
    }

    public var nevra: String { "\(name)-\(evr).\(arch)" }

    /// The origin file's form, `SHA256:NEVRA`.
    public var originEntry: String { "\(sha256):\(nevra)" }

    /// Parses `SHA256:NEVRA`; nil when it is not of that shape.
    public init?(originEntry: String) {
        guard let colon = originEntry.firstIndex(of: ":"),
              let package = InstalledPackage(nevra: originEntry[originEntry.index(after: colon)...]) else { return nil }
        self.init(sha256: String(originEntry[..<colon]), name: package.name, evr: package.evr, arch: package.arch)
    }
}

/// A deployment's origin file: what it tracks (`[origin] refspec`) and what the user changed
/// on top of that base (`[packages]`, `[overrides]`), in rpm-ostree's keys, so that an upgrade
/// can pull the new base and apply the same changes again.
public struct Origin: Sendable, Equatable {
    /// `remote:ref`, or a bare ref of the local repository.
    public var refspec: String
    /// `[origin] override-commit`: a commit chosen by `deploy`, held until the next upgrade.
    public var overrideCommit: String?
    /// `[packages] requested`: packages layered from rpm-md repositories, as the user named them.
    public var requestedPackages: [String] = []
    /// `[packages] requested-local`: layered package files.
    public var requestedLocalPackages: [LocalPackage] = []
    /// `[overrides] remove`: base packages taken out.
    public var removedBasePackages: [String] = []
    /// `[overrides] replace-local`: base packages replaced by package files.
    public var replacedBasePackages: [LocalPackage] = []
    /// Keys this program does not act on, kept as they were: `(group, key, value)`.
    private var otherKeys: [(String, String, String)] = []

    public init(refspec: String) {
        self.refspec = refspec
    }

    /// Whether the deployment differs from its base commit.
    public var hasLayers: Bool {
        !requestedPackages.isEmpty || !requestedLocalPackages.isEmpty
            || !removedBasePackages.isEmpty || !replacedBasePackages.isEmpty
    }

    /// The remote part of the refspec (`harness` of `harness:os/x86_64`), nil for a local ref.
    public var remote: String? {
        refspec.firstIndex(of: ":").map { String(refspec[..<$0]) }
    }

    /// The branch part of the refspec.
    public var ref: String {
        refspec.firstIndex(of: ":").map { String(refspec[refspec.index(after: $0)...]) } ?? refspec
    }

    /// Parses the text of an origin file; `source` names it in errors.
    public init(keyFileText text: String, source: String) throws {
        var group = ""
        var refspec: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                group = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw DeployError("\(source): cannot parse origin line '\(line)'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let list = value.split(separator: ";").map(String.init).filter { !$0.isEmpty }
            func locals() throws -> [LocalPackage] {
                try list.map {
                    guard let package = LocalPackage(originEntry: $0) else {
                        throw DeployError("\(source): [\(group)] \(key): '\($0)' is not SHA256:NEVRA")
                    }
                    return package
                }
            }
            switch (group, key) {
            case ("origin", "refspec"): refspec = value
            case ("origin", "override-commit"): overrideCommit = value
            case ("packages", "requested"): requestedPackages = list
            case ("packages", "requested-local"): requestedLocalPackages = try locals()
            case ("overrides", "remove"): removedBasePackages = list
            case ("overrides", "replace-local"): replacedBasePackages = try locals()
            default: otherKeys.append((group, key, value))
            }
        }
        guard let refspec else { throw DeployError("\(source): origin has no [origin] refspec") }
        self.refspec = refspec
    }

    /// The origin file's text.
    public var keyFileText: String {
        var groups: [(String, [(String, String)])] = []
        func add(_ group: String, _ key: String, _ value: String) {
            if let index = groups.firstIndex(where: { $0.0 == group }) {
                groups[index].1.append((key, value))
            } else {
                groups.append((group, [(key, value)]))
            }
        }
        func list(_ items: [String]) -> String { items.map { $0 + ";" }.joined() }
        add("origin", "refspec", refspec)
        if let overrideCommit { add("origin", "override-commit", overrideCommit) }
        if !requestedPackages.isEmpty { add("packages", "requested", list(requestedPackages)) }
        if !requestedLocalPackages.isEmpty {
            add("packages", "requested-local", list(requestedLocalPackages.map(\.originEntry)))
        }
        if !removedBasePackages.isEmpty { add("overrides", "remove", list(removedBasePackages)) }
        if !replacedBasePackages.isEmpty {
            add("overrides", "replace-local", list(replacedBasePackages.map(\.originEntry)))
        }
        for (group, key, value) in otherKeys { add(group, key, value) }
        return groups.map { group, keys in
            "[\(group)]\n" + keys.map { "\($0.0)=\($0.1)\n" }.joined()
        }.joined(separator: "\n")
    }

    public static func == (lhs: Origin, rhs: Origin) -> Bool { lhs.keyFileText == rhs.keyFileText }
}

/// A client operation that cannot go on, with a message naming the package, deployment, ref
/// or file at fault. The deployment list was not changed.
public struct DeployError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
