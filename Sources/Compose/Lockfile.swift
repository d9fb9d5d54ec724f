import Foundation
import Solver

/// rpm-ostree's lockfile (`--ex-lockfile`, `--ex-write-lockfile-to`): the packages a compose
/// must take, by name, each at one `evra` (or `evr`, any architecture) with the digest of its
/// file, so that a compose of the same treefile takes the same packages after the
/// repositories moved on. Several lockfiles merge, later ones winning.
///
///     {"metadata": {"generated": "2026-12-07T03:00:00Z"},
///      "packages": {"bash": {"evra": "5.2.15-3.x86_64", "digest": "sha256:…"}}}
public struct Lockfile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// `[epoch:]version-release`, without a zero epoch.
        public var evr: String
        /// nil when the lockfile gave `evr` alone.
        public var arch: String?
        /// `sha256:HEX`, as the repository's metadata names the file.
        public var digest: String?
        /// The lockfile the entry came from.
        public var file: String
    }

    public var packages: [String: Entry] = [:]

    public init(packages: [String: Entry] = [:]) { self.packages = packages }

    /// Reads and merges `paths`; an error names the file and the key at fault.
    public static func read(_ paths: [String]) throws -> Lockfile {
        var lockfile = Lockfile()
        for path in paths {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ComposeError("\(path): not a readable JSON lockfile: \(error.localizedDescription)")
            }
            guard let top = object as? [String: Any] else { throw ComposeError("\(path): a lockfile is a JSON object") }
            if let unknown = top.keys.sorted().first(where: { !["packages", "source-packages", "metadata"].contains($0) }) {
                throw ComposeError("\(path): unknown key '\(unknown)' (a lockfile has packages, source-packages, metadata)")
            }
            guard top["packages"] != nil || top["source-packages"] != nil else {
                throw ComposeError("\(path): neither 'packages' nor 'source-packages' found")
            }
            guard let packages = (top["packages"] ?? [String: Any]()) as? [String: Any] else {
                throw ComposeError("\(path): 'packages' must map package names to {evra, digest}")
            }
            for (name, value) in packages {
                lockfile.packages[name] = try entry(value, name: name, file: path)
            }
        }
        return lockfile
    }

    private static func entry(_ value: Any, name: String, file: String) throws -> Entry {
        let key = "packages.\(name)"
        guard let fields = value as? [String: Any] else { throw ComposeError("\(file): \(key): expected {evra, digest}") }
        if let unknown = fields.keys.sorted().first(where: { !["evra", "evr", "digest", "metadata"].contains($0) }) {
            throw ComposeError("\(file): \(key): unknown key '\(unknown)'")
        }
        let digest = fields["digest"] as? String
        if fields["digest"] != nil, digest == nil { throw ComposeError("\(file): \(key).digest: expected a string") }
        if let evra = fields["evra"] as? String {
            guard let dot = evra.lastIndex(of: "."), dot != evra.startIndex, evra.index(after: dot) != evra.endIndex else {
                throw ComposeError("\(file): \(key).evra: '\(evra)' is not EVR.ARCH")
            }
            return Entry(evr: normalized(String(evra[..<dot])), arch: String(evra[evra.index(after: dot)...]), digest: digest, file: file)
        }
        if let evr = fields["evr"] as? String {
            return Entry(evr: normalized(evr), arch: nil, digest: digest, file: file)
        }
        throw ComposeError("\(file): \(key): needs 'evra' or 'evr'")
    }

    /// An EVR without a zero epoch, as libdnf spells it.
    private static func normalized(_ evr: String) -> String {
        evr.hasPrefix("0:") ? String(evr.dropFirst(2)) : evr
    }

    /// Writes the lockfile of `packages` to `path` (atomically), `generated` at that time.
    public static func write(_ packages: [ResolvedPackage], to path: String, generated: Date) throws {
        var entries: [String: Any] = [:]
        for package in packages {
            let evr = (package.epoch > 0 ? "\(package.epoch):" : "") + "\(package.version)-\(package.release)"
            entries[package.name] = ["evra": "\(evr).\(package.arch)", "digest": "\(package.checksumType):\(package.checksum)"]
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let document: [String: Any] = ["metadata": ["generated": formatter.string(from: generated)], "packages": entries]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        do {
            try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ComposeError("\(path): cannot write the lockfile: \(error.localizedDescription)")
        }
    }

    /// Checks the resolved set against the lockfile: every locked package that was resolved
    /// has the locked digest, and with `strict` every resolved package is locked.
    func check(_ resolved: [ResolvedPackage], strict: Bool) throws {
        for package in resolved {
            guard let entry = packages[package.name] else {
                if strict {
                    throw ComposeError("\(package.nevra) is in no lockfile (--ex-lockfile-strict takes only locked packages)")
                }
                continue
            }
            let digest = "\(package.checksumType):\(package.checksum)"
            if let locked = entry.digest, locked != digest {
                throw ComposeError("\(entry.file): \(package.name): the repositories' \(package.nevra) has digest \(digest), "
                                   + "the lockfile says \(locked): the package changed")
            }
        }
    }
}
