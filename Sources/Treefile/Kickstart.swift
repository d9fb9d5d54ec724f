import Foundation

/// The part of the kickstart format rpm-ostree reads as a treefile: `%packages` sections
/// (`-name` excludes a package, `--exclude-weakdeps` turns recommends off) and `%include` of
/// further kickstarts, relative to the first kickstart's directory. Anything else is an error.
struct Kickstart {
    var packages: [String] = []
    var excludedPackages: [String] = []
    var excludesWeakDependencies = false
    /// Absolute paths of the kickstarts read, the first one included.
    var filesRead: [String] = []

    /// Reads the kickstart at `path` (absolute) and every kickstart it includes.
    init(path: String, displayName: (String) -> String) throws {
        var seen = Set<FileIdentity>()
        try read(path, directory: TreefilePaths.directory(of: path), seen: &seen, displayName: displayName)
    }

    /// rpm-ostree's cap on `%include`s, against runaway recursion.
    private static let maximumFiles = 256

    private mutating func read(_ path: String, directory: String, seen: inout Set<FileIdentity>,
                               displayName: (String) -> String) throws {
        let name = displayName(path)
        guard let identity = TreefilePaths.identity(path),
              let data = TreefilePaths.contents(path) else {
            throw TreefileError(.missingFile, file: name, "kickstart file not found")
        }
        guard seen.insert(identity).inserted else {
            throw TreefileError(.includeLoop, file: name, "kickstart %include loop: already included")
        }
        guard seen.count < Self.maximumFiles else {
            throw TreefileError(.includeDepth, file: name, "more than \(Self.maximumFiles) kickstart files")
        }
        filesRead.append(path)
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("#") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var includes: [String] = []
        var index = 0
        while index < lines.count {
            let words = lines[index].split(whereSeparator: \.isWhitespace).map(String.init)
            index += 1
            switch words[0] {
            case "%packages":
                for option in words.dropFirst() {
                    guard option == "--exclude-weakdeps" else {
                        throw TreefileError(.unsupported, file: name, "unsupported %packages option '\(option)'")
                    }
                    excludesWeakDependencies = true
                }
                var ended = false
                while index < lines.count {
                    let line = lines[index]
                    index += 1
                    if line == "%end" { ended = true; break }
                    if line.hasPrefix("-") {
                        excludedPackages.append(String(line.dropFirst()))
                    } else {
                        packages.append(line)
                    }
                }
                guard ended else { throw TreefileError(.syntax, file: name, "%packages without %end") }
            case "%include":
                guard words.count == 2 else {
                    throw TreefileError(.syntax, file: name, "%include takes exactly one path")
                }
                includes.append(words[1])
            default:
                throw TreefileError(.unsupported, file: name,
                                    "unsupported kickstart command '\(words[0])' (only %packages and %include are read)")
            }
        }
        for include in includes {
            let includePath = include.hasPrefix("/") ? include : directory + "/" + include
            guard TreefilePaths.isFile(includePath) else {
                throw TreefileError(.missingFile, file: name, "%include '\(include)' not found")
            }
            try read(TreefilePaths.absolute(includePath), directory: directory, seen: &seen, displayName: displayName)
        }
    }
}
