import Crypto
import Foundation
import ToolSupport

/// A directory on the host, outside every tree, that hostile packages and treefiles aim at
/// (symlinks to it, files written or removed through it). It holds one file, `victim`; the
/// test checks afterwards that nothing in it changed.
public final class HostCanary {
    private let scratch: TemporaryDirectory
    /// Absolute host path of the directory.
    public var path: String { scratch.path }
    private let before: String

    public init() throws {
        scratch = try TemporaryDirectory(prefix: "harness-canary-")
        try "the host's own file\n".write(toFile: scratch.path + "/victim", atomically: true, encoding: .utf8)
        before = try TreeSnapshot.digest(of: scratch.path)
    }

    deinit { scratch.remove() }

    /// Whether the directory still holds exactly `victim`, unchanged.
    public func isUntouched() throws -> Bool {
        try TreeSnapshot.digest(of: path) == before
    }
}

/// Everything about a directory tree that a change to it would show: each entry's path,
/// type, mode, owner, size, content digest and link target. Two equal digests mean nothing
/// was written, added, removed, chmod'ed or chowned.
public enum TreeSnapshot {
    public static func digest(of directory: String) throws -> String {
        var lines: [String] = []
        let base = URL(fileURLWithPath: directory)
        let entries = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for relative in [""] + entries {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            var line = "\(relative) \(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_size)"
            switch FileMode.type(st.st_mode) {
            case FileMode.regular:
                let data = try Data(contentsOf: base.appendingPathComponent(relative))
                line += " " + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            case FileMode.symlink:
                line += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            default:
                break
            }
            lines.append(line)
        }
        return SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
