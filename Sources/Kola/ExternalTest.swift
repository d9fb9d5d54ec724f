import Foundation
import Glibc
import ToolSupport
import Yams

/// A kola-format file (a test, a `kola.json`, a denylist) that cannot be used, in one line
/// that names the file: `tests/kola/foo/kola.json: unknown key 'timeout'`.
public struct KolaFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file at fault.
    public var file: String
    /// What is wrong, without the file name.
    public var message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// A test's kola metadata: from an inline `# kola:` (JSON) or `## kola:` (YAML) block in the
/// test itself, else from the `kola.json` next to it, else the defaults. Inline metadata
/// replaces `kola.json` as a whole; nothing is merged. (That is kola's documented behaviour;
/// kola itself currently never falls back to `kola.json`, coreos-assembler issue #4392.)
public struct ExternalTestMetadata: Sendable, Equatable {
    /// `tags`: kola's whitespace-separated string, split.
    public var tags: [String]
    /// `timeoutMin`; nil when absent or 0 (kola's default timeout).
    public var timeoutMinutes: Int?
    /// `minMemory`, in MiB; nil when absent or 0.
    public var minMemoryMiB: Int?
    /// `additionalDisks`, as written (`"5G"`, kola's `--add-disk` syntax).
    public var additionalDisks: [String]
    /// `appendKernelArgs`; nil when absent or empty.
    public var appendKernelArgs: String?
    /// `exclusive`: the test needs a machine of its own. kola's default is true.
    public var exclusive: Bool
    /// `description`; nil when absent or empty.
    public var description: String?
    /// `minDisk`, in GiB: the boot disk's size at least; nil when absent or 0.
    public var minDiskGiB: Int?
    /// `architectures`, `platforms` and `distros`: where kola runs the test; nil when absent.
    public var architectures: KolaScope?
    public var platforms: KolaScope?
    public var distros: KolaScope?
    /// `requiredTag`: the test runs only when the run asks for this tag (or names the test).
    public var requiredTag: String?
    /// Keys kola knows that were given but that `harness run` does not act on
    /// (`additionalNics`, `injectContainer`, ...), sorted, so the runner can warn about them.
    public var ignoredKeys: [String]

    public init(
        tags: [String] = [], timeoutMinutes: Int? = nil, minMemoryMiB: Int? = nil,
        additionalDisks: [String] = [], appendKernelArgs: String? = nil, exclusive: Bool = true,
        description: String? = nil, minDiskGiB: Int? = nil, architectures: KolaScope? = nil, platforms: KolaScope? = nil,
        distros: KolaScope? = nil, requiredTag: String? = nil, ignoredKeys: [String] = []
    ) {
        self.tags = tags
        self.timeoutMinutes = timeoutMinutes
        self.minMemoryMiB = minMemoryMiB
        self.additionalDisks = additionalDisks
        self.appendKernelArgs = appendKernelArgs
        self.exclusive = exclusive
        self.description = description
        self.minDiskGiB = minDiskGiB
        self.architectures = architectures
        self.platforms = platforms
        self.distros = distros
        self.requiredTag = requiredTag
        self.ignoredKeys = ignoredKeys
    }

    /// How long the test may run: `timeoutMin`, else kola's defaults, 10 minutes for a test
    /// with a machine of its own and 1 for one sharing a machine (`exclusive: false`).
    public var timeout: TimeInterval {
        TimeInterval((timeoutMinutes ?? (exclusive ? 10 : 1)) * 60)
    }
}

/// kola's `architectures`, `platforms` or `distros` value: a whitespace-separated list of the
/// names the test runs on, or, written with a leading `!`, of those it never runs on.
public struct KolaScope: Sendable, Equatable, CustomStringConvertible {
    public var names: [String]
    /// The list names exclusions (`"!s390x ppc64le"`).
    public var excludes: Bool

    public init(names: [String], excludes: Bool = false) {
        self.names = names
        self.excludes = excludes
    }

    /// Reads kola's string form; nil for an empty one (no restriction).
    init?(_ text: String) {
        let excludes = text.hasPrefix("!")
        let names = text.dropFirst(excludes ? 1 : 0).split(whereSeparator: \.isWhitespace).map(String.init)
        guard excludes || !names.isEmpty else { return nil }
        self.init(names: names, excludes: excludes)
    }

    /// Whether a run on `name` is in scope; an unknown name (nil) is in scope only of an
    /// exclusion list, as kola compares its empty default with the list.
    public func admits(_ name: String?) -> Bool {
        guard let name else { return excludes }
        return names.contains(name) != excludes
    }

    public var description: String { (excludes ? "!" : "") + names.joined(separator: " ") }
}

/// One in-guest test in kola's external-test form: an executable, run as a systemd unit in
/// the booted guest, with its optional `data` directory.
public struct ExternalTest: Sendable {
    /// kola's name: `ext.<project>.<directories>.<executable>`, or `ext.<project>.<directories>`
    /// for a directory whose only executable is `test.sh`.
    public var name: String
    /// Absolute path of the executable; kola installs it as `/usr/local/bin/kola-runext-<basename>`.
    public var executable: String
    /// Absolute path of the directory holding the executable.
    public var directory: String
    /// The `data` directory next to the executable, if any; kola copies it into the guest
    /// (`/var/opt/kola/extdata`) and points `KOLA_EXT_DATA` at it. Nothing else of the
    /// directory is copied.
    public var dataDirectory: String?
    /// The `config.ign` or `config.bu` next to the executable, if any: kola boots the test's
    /// machine with that Ignition config.
    public var ignitionConfig: String?
    public var metadata: ExternalTestMetadata

    /// Its tags; kola tags every external test `external`, before the test's own.
    public var tags: [String] { [Self.externalTag] + metadata.tags.filter { $0 != Self.externalTag } }

    /// The tag kola gives every external test.
    public static let externalTag = "external"
    /// The tag that turns kola's checks of the console (and harness's) off: for tests that
    /// panic or warn on purpose.
    public static let skipBaseChecksTag = "skip-base-checks"
}

/// Finds external tests the way `kola run -E DIR` does.
public enum ExternalTestDiscovery {
    /// Where the tests of a directory are.
    public enum Layout: Sendable {
        /// An upstream project's (`kola run -E DIR`): in `DIR/tests/kola`; none without it.
        case project
        /// The directory is the tests' own (this checkout's `kola-like/`).
        case testsDirectory
    }

    /// What a directory holds: its tests, and what kola would warn about while finding them.
    public struct Found: Sendable {
        public var tests: [ExternalTest]
        public var warnings: [String]
    }

    /// The tests under `directory` (see `Layout`). Every directory below is searched; an
    /// executable file (executable by others, as kola checks) is a test, except inside `data`
    /// directories. Names start with `ext.<projectName>`, the project name defaulting to the
    /// basename of `directory`. Sorted by name.
    /// - Throws: `KolaFileError` for unreadable or invalid metadata, `config.fcc`, or two tests
    ///   with one name.
    public static func discover(in directory: String, projectName: String? = nil, layout: Layout = .project) throws -> Found {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        var found = Found(tests: [], warnings: [])
        let testsDirectory: String
        switch layout {
        case .testsDirectory:
            testsDirectory = root.path
        case .project:
            testsDirectory = root.appendingPathComponent("tests/kola").path
            guard isDirectory(testsDirectory) else {
                found.warnings.append("\(root.path): no tests/kola directory, so no tests (kola run -E looks only there)")
                return found
            }
        }
        try collect(in: testsDirectory, prefix: "ext.\(projectName ?? root.lastPathComponent)", into: &found)
        found.tests.sort { $0.name < $1.name }
        try requireDistinctNames(found.tests)
        return found
    }

    /// kola registers every test under its name once: a second is an error naming both.
    public static func requireDistinctNames(_ tests: [ExternalTest]) throws {
        var seen: [String: String] = [:]
        for test in tests {
            if let other = seen[test.name] {
                throw KolaFileError(file: test.executable, "test name '\(test.name)' is also the name of \(other)")
            }
            seen[test.name] = test.executable
        }
    }

    /// One directory, as kola's `registerTestDir`: its executables are tests, `kola.json` is
    /// their metadata, `data` is their data, other directories are searched with the prefix
    /// extended by their name. `kola.json` does not reach into subdirectories. A file that is
    /// not executable but starts with `#!` is warned about, as kola does.
    private static func collect(in directory: String, prefix: String, into found: inout Found) throws {
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw KolaFileError(file: directory, "cannot read directory: \(error.localizedDescription)")
        }
        var executables: [String] = []
        var directoryMetadata: ExternalTestMetadata?
        var dataDirectory: String?
        var ignitionConfig: String?
        for entry in entries {
            let path = "\(directory)/\(entry)"
            var status = stat()
            try SystemCallError.check("stat", path) { stat(path, &status) }
            let isRegular = status.st_mode & S_IFMT == S_IFREG
            let isDirectory = status.st_mode & S_IFMT == S_IFDIR
            if isRegular && status.st_mode & S_IXOTH != 0 {
                executables.append(path)
            } else if isRegular && entry == "kola.json" {
                directoryMetadata = try MetadataParser.json(contentsOf: path)
            } else if isRegular && (entry == "config.ign" || entry == "config.bu") {
                ignitionConfig = path
            } else if isRegular && entry == "config.fcc" {
                throw KolaFileError(file: path, "config.fcc is not supported any more; rename it to config.bu")
            } else if isDirectory && entry == "data" {
                dataDirectory = path
            } else if isDirectory {
                try collect(in: path, prefix: "\(prefix).\(entry)", into: &found)
            } else if isRegular && startsWithShebang(path) {
                found.warnings.append("\(path): starts with #! but is not executable by others (chmod a+x to make it a test)")
            }
        }
        for executable in executables {
            let base = (executable as NSString).lastPathComponent
            let name = executables.count == 1 && base == "test.sh" ? prefix : "\(prefix).\(base)"
            let metadata = try MetadataParser.inline(in: executable) ?? directoryMetadata ?? ExternalTestMetadata()
            found.tests.append(ExternalTest(
                name: name, executable: executable, directory: directory,
                dataDirectory: dataDirectory, ignitionConfig: ignitionConfig, metadata: metadata))
        }
    }

    private static func startsWithShebang(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 2)) == Data("#!".utf8)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// Reads kola metadata: `kola.json`, and the inline blocks kola's `metadataFromTestBinary` finds.
enum MetadataParser {
    /// kola reads only this much of an executable when looking for inline metadata.
    static let inlineSearchLimit = 8192

    /// The metadata in a `kola.json`.
    static func json(contentsOf path: String) throws -> ExternalTestMetadata {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KolaFileError(file: path, "cannot read: \(error.localizedDescription)")
        }
        return try json(data, file: path)
    }

    /// The inline metadata in the first 8 KiB of an executable, or nil when there is none.
    /// A line starting `# kola:` holds JSON on the rest of that line. A line starting `## kola:`
    /// opens YAML on the following lines that start `## ` (those three characters removed); the
    /// first other line closes it. The first block found wins; a `# kola:` line right after a
    /// YAML block, or a second `## kola:` inside one, is an error. Unlike kola, a YAML block
    /// still open at the end of the searched text is read rather than dropped.
    static func inline(in executable: String) throws -> ExternalTestMetadata? {
        guard let handle = FileHandle(forReadingAtPath: executable) else {
            throw KolaFileError(file: executable, "cannot open for reading")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: inlineSearchLimit)) ?? Data()
        // As kola's line reader: the text after the last newline is not a line.
        let lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .dropLast()
            .map { String(decoding: $0, as: UTF8.self) }

        var yaml: String?
        for line in lines {
            if line.hasPrefix("# kola:") {
                guard yaml == nil else {
                    throw KolaFileError(file: executable, "both '## kola:' (YAML) and '# kola:' (JSON) metadata")
                }
                let text = line.dropFirst("# kola:".count).trimmingCharacters(in: .whitespacesAndNewlines)
                return try json(Data(text.utf8), file: executable)
            }
            if line.hasPrefix("## kola:") {
                guard yaml == nil else {
                    throw KolaFileError(file: executable, "more than one '## kola:' block")
                }
                yaml = ""
            } else if let block = yaml {
                guard line.hasPrefix("## ") else { break }
                yaml = block + line.dropFirst(3) + "\n"
            }
        }
        guard let yaml else { return nil }
        return try decode(file: executable) {
            guard let node = try Yams.compose(yaml: yaml) else { return ExternalTestMetadata() }
            return try YAMLDecoder().decode(MetadataDocument.self, from: node).metadata
        }
    }

    /// Metadata from JSON text. Syntax is checked first, as only `JSONSerialization` says where
    /// the text goes wrong.
    private static func json(_ data: Data, file: String) throws -> ExternalTestMetadata {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw KolaFileError(file: file, "invalid JSON: \(detail ?? "\(error)")")
        }
        return try decode(file: file) { try JSONDecoder().decode(MetadataDocument.self, from: data).metadata }
    }

    /// Runs a decode, turning its failures into one-line errors naming `file`.
    private static func decode(file: String, _ body: () throws -> ExternalTestMetadata) throws -> ExternalTestMetadata {
        do {
            return try body()
        } catch let problem as MetadataProblem {
            throw KolaFileError(file: file, problem.message)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw KolaFileError(file: file, "kola metadata must be a mapping of keys to values")
        } catch let error as YamlError {
            throw KolaFileError(file: file, "invalid YAML: \(oneLine(error))")
        } catch {
            throw KolaFileError(file: file, oneLine(error))
        }
    }

    private static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A problem found while decoding metadata, before the file name is known.
private struct MetadataProblem: Error {
    var message: String
}

/// Every key of kola's `externalTestMeta`, with the type kola decodes it as.
private enum MetadataKey: String, CodingKey {
    // Acted on.
    case tags, timeoutMin, minMemory, additionalDisks, appendKernelArgs, exclusive, description
    case architectures, platforms, distros, requiredTag, minDisk
    // Accepted, type-checked, and listed in `ignoredKeys`.
    case primaryDisk, injectContainer, numaNodes
    case additionalNics, appendFirstbootKernelArgs, conflicts, allowConfigWarnings
    case noInstanceCreds, instanceType, bindMountHostRO, creationDate, bootFrom, requiredHostPorts

    enum Shape: String {
        case string = "a string"
        case integer = "an integer"
        case boolean = "a boolean"
        case strings = "a list of strings"
        case integers = "a list of integers"
    }

    var shape: Shape {
        switch self {
        case .timeoutMin, .minMemory, .minDisk, .additionalNics: .integer
        case .exclusive, .injectContainer, .numaNodes, .allowConfigWarnings, .noInstanceCreds: .boolean
        case .additionalDisks, .conflicts, .bindMountHostRO: .strings
        case .requiredHostPorts: .integers
        default: .string
        }
    }

    var isActedOn: Bool {
        switch self {
        case .tags, .timeoutMin, .minMemory, .additionalDisks, .appendKernelArgs, .exclusive, .description,
             .architectures, .platforms, .distros, .requiredTag, .minDisk: true
        default: false
        }
    }
}

/// Any key, to find the ones kola does not know.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One metadata mapping, decoded as kola does: unknown keys are errors, types are strict.
private struct MetadataDocument: Decodable {
    var metadata: ExternalTestMetadata

    init(from decoder: any Decoder) throws {
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys
            .map(\.stringValue)
            .filter { MetadataKey(rawValue: $0) == nil }
            .sorted()
        if let key = unknown.first {
            throw MetadataProblem(message: "unknown key '\(key)'")
        }
        let container = try decoder.container(keyedBy: MetadataKey.self)
        func value<T: Decodable>(_ key: MetadataKey, as type: T.Type = T.self) throws -> T? {
            do {
                return try container.decodeIfPresent(T.self, forKey: key)
            } catch is DecodingError {
                throw MetadataProblem(message: "'\(key.rawValue)' must be \(key.shape.rawValue)")
            }
        }
        for key in container.allKeys where !key.isActedOn {
            switch key.shape {
            case .string: _ = try value(key, as: String.self)
            case .integer: _ = try value(key, as: Int.self)
            case .boolean: _ = try value(key, as: Bool.self)
            case .strings: _ = try value(key, as: [String].self)
            case .integers: _ = try value(key, as: [Int].self)
            }
        }
        func positive(_ key: MetadataKey) throws -> Int? {
            guard let number: Int = try value(key), number != 0 else { return nil }
            guard number > 0 else { throw MetadataProblem(message: "'\(key.rawValue)' must be positive") }
            return number
        }
        func nonEmpty(_ key: MetadataKey) throws -> String? {
            guard let text: String = try value(key), !text.isEmpty else { return nil }
            return text
        }
        metadata = ExternalTestMetadata(
            tags: (try value(.tags, as: String.self) ?? "").split(whereSeparator: \.isWhitespace).map(String.init),
            timeoutMinutes: try positive(.timeoutMin),
            minMemoryMiB: try positive(.minMemory),
            additionalDisks: try value(.additionalDisks) ?? [],
            appendKernelArgs: try nonEmpty(.appendKernelArgs),
            exclusive: try value(.exclusive) ?? true,
            description: try nonEmpty(.description),
            minDiskGiB: try positive(.minDisk),
            architectures: try value(.architectures, as: String.self).flatMap(KolaScope.init),
            platforms: try value(.platforms, as: String.self).flatMap(KolaScope.init),
            distros: try value(.distros, as: String.self).flatMap(KolaScope.init),
            requiredTag: try nonEmpty(.requiredTag),
            ignoredKeys: container.allKeys.filter { !$0.isActedOn }.map(\.rawValue).sorted())
    }
}
