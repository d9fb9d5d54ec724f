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
        let osRelease = OSRelease(root: root)
        var provides = Set<String>()
        for directory in executableDirectories {
            let resolved = resolveInTree(root: root, path: directory)
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root + resolved) else { continue }
            for entry in entries { provides.insert(directory + "/" + entry) }
        }
        var libraries = Set<String>()
        for directory in libraryDirectories {
            let resolved = resolveInTree(root: root, path: directory)
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root + resolved) else { continue }
            for entry in entries where entry.contains(".so") {
                let path = root + resolved + "/" + entry
                if !FileTree.isSymlink(path) { libraries.insert(path) }
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

    /// Follows a symlinked top-level directory (`/bin -> usr/bin`) inside the tree.
    static func resolveInTree(root: String, path: String) -> String {
        var components = path.split(separator: "/").map(String.init)
        var resolved = ""
        while !components.isEmpty {
            let next = resolved + "/" + components.removeFirst()
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: root + next) {
                resolved = target.hasPrefix("/") ? target
                    : ((resolved.isEmpty ? "/" : resolved) as NSString).appendingPathComponent(target)
                resolved = (resolved as NSString).standardizingPath
                if resolved == "/" { resolved = "" }
            } else {
                resolved = next
            }
        }
        return resolved.isEmpty ? "/" : resolved
    }
}

/// The identity fields of a tree's os-release.
public struct OSRelease {
    public var id = "linux"
    public var versionID = "0"
    public var name = "Linux"

    /// Reads `etc/os-release` or `usr/lib/os-release` (also under `usr/etc`) of the tree at `root`.
    public init(root: String) {
        for candidate in ["/etc/os-release", "/usr/etc/os-release", "/usr/lib/os-release"] {
            guard let text = try? String(contentsOfFile: root + candidate, encoding: .utf8) else { continue }
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
