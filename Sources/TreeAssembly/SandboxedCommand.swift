import Foundation
import ToolSupport

/// Runs a program inside an assembled root with bubblewrap: the root is `/`, with fresh
/// `/dev`, `/proc` and `/tmp`, no network, and nothing of the host visible.
public struct SandboxedCommand {
    /// The tree the program sees as `/`.
    public var root: String
    /// Host files bound read-only into the sandbox (host path, sandbox path).
    public var readOnlyBinds: [(String, String)] = []
    public var environment: [String: String] = [
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
    ]

    public init(root: String) { self.root = root }

    /// Runs `arguments` inside the root; returns status and output.
    public func run(_ arguments: [String]) throws -> ProgramResult {
        var command = ["bwrap", "--bind", root, "/", "--dev", "/dev", "--proc", "/proc",
                       "--tmpfs", "/tmp", "--tmpfs", "/run",
                       "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                       "--die-with-parent", "--chdir", "/", "--clearenv"]
        for (host, inside) in readOnlyBinds { command += ["--ro-bind", host, inside] }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { command += ["--setenv", key, value] }
        return try Program.run(command + ["--"] + arguments)
    }

    /// Whether `path` (absolute inside the root) exists there, following symlinks as the
    /// sandbox would.
    public func exists(_ path: String) -> Bool {
        var current = path
        for _ in 0..<16 {
            let hostPath = root + current
            guard FileTree.isSymlink(hostPath) else { return FileManager.default.fileExists(atPath: hostPath) }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: hostPath) else { return false }
            current = target.hasPrefix("/") ? target
                : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
            current = (current as NSString).standardizingPath
        }
        return false
    }
}
