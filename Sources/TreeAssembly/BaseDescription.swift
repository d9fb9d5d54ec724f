import Foundation
import RPM
import ToolSupport

/// Describes a base tree that did not come from RPMs (a Debian rootfs) as one installed
/// pseudo-package, so that the automatic requirements rpmbuild gives every package
/// (`libc.so.6()(64bit)`, `/bin/sh`) resolve against what the base really holds.
public enum BaseDescription {
    /// Directories whose files are offered as file provides.
    static let executableDirectories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/libexec"]
    /// Directories searched for shared libraries.
    static let libraryDirectories = ["/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"]

    /// The pseudo-package for the tree at `root`: named after its os-release (`debian-base`,
    /// version `12`), providing the sonames of its shared libraries in rpm's form (via rpm's
    /// own `elfdeps`) and the paths of its executables.
    public static func header(forTreeAt root: String, arch: String) throws -> RPMHeader {
        let tree = try RootedTree(root)
        let osRelease = OSRelease(tree: tree)
        var provides = Set<String>()
        for directory in executableDirectories {
            for entry in (try? tree.contentsOfDirectory(directory)).flatMap({ $0 }) ?? [] { provides.insert(directory + "/" + entry) }
        }
        var libraries = Set<String>()
        for directory in libraryDirectories {
            // Resolved inside the tree (`/lib -> usr/lib`); elfdeps then reads real files only.
            guard let resolved = try? tree.resolvedPath(directory), let entries = try? tree.contentsOfDirectory(resolved) else { continue }
            for entry in entries where entry.contains(".so") {
                let path = (resolved == "/" ? "" : resolved) + "/" + entry
                if let st = try? tree.status(path), FileMode.type(st.st_mode) == FileMode.regular {
                    libraries.insert(root + path)
                }
                if entry.hasPrefix("ld-linux") { provides.insert("rtld(GNU_HASH)") }
            }
        }
        if !libraries.isEmpty {
            let input = libraries.sorted().joined(separator: "\n") + "\n"
            let result = try Program.run(["/usr/lib/rpm/elfdeps", "--provides"], input: Data(input.utf8))
            for line in result.stdout.split(whereSeparator: \.isNewline) { provides.insert(String(line)) }
        }
        return try RPMHeader.virtualPackage(
            name: "\(osRelease.id)-base", version: osRelease.versionID, release: "0.harness", arch: arch,
            summary: "The \(osRelease.name) base tree", provides: provides.sorted())
    }
}

/// The identity fields of a tree's os-release.
public struct OSRelease {
    public var id = "linux"
    public var versionID = "0"
    public var name = "Linux"

    /// Reads `etc/os-release` or `usr/lib/os-release` (also under `usr/etc`) of `tree`.
    public init(tree: RootedTree) {
        for candidate in ["/etc/os-release", "/usr/etc/os-release", "/usr/lib/os-release"] {
            guard let bytes = (try? tree.readFile(candidate, limit: 1 << 20)) ?? nil else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                switch parts[0] {
                case "ID": id = value
                case "VERSION_ID": versionID = value
                case "NAME": name = value
                default: break
                }
            }
            return
        }
    }
}
