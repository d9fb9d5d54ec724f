import Foundation

/// A directory that exists for one job and is removed with everything in it afterwards.
public final class TemporaryDirectory {
    public let path: String

    /// Creates `<parent>/<prefix>XXXXXX`; the parent defaults to `$TMPDIR` or `/var/tmp`.
    public init(prefix: String, in parent: String? = nil) throws {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/var/tmp"
        var template = Array("\(base)/\(prefix)XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
        InterruptCleanup.shared.register(path)
    }

    /// Removes the directory now; also done on deinit.
    public func remove() {
        FileTree.removeRecursively(path)
        InterruptCleanup.shared.unregister(path)
    }

    deinit { remove() }
}

/// File-tree helpers that the standard library lacks.
public enum FileTree {
    /// Removes `path` and everything below it, clearing the immutable flag ostree puts on
    /// deployment roots. Missing paths are fine.
    public static func removeRecursively(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) || isSymlink(path) else { return }
        if (try? FileManager.default.removeItem(atPath: path)) == nil {
            _ = try? Program.run(["chattr", "-R", "-i", path])
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Whether `path` is a symbolic link (dangling or not).
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }
}
