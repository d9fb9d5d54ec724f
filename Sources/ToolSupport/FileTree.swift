import Foundation

/// File-tree helpers that the standard library lacks.
public enum FileTree {
    /// A file's size in bytes (its apparent size: a sparse file's holes count).
    public static func size(of path: String) throws -> UInt64 {
        var status = stat()
        try SystemCallError.check("stat", path) { stat(path, &status) }
        return UInt64(status.st_size)
    }

    /// Removes `path` and everything below it, clearing the immutable flag ostree puts on
    /// deployment roots. Missing paths are fine.
    public static func removeRecursively(_ path: String) {
        guard FileManager.default.fileExists(atPath: path) || isSymlink(path) else { return }
        if !removeTree(AT_FDCWD, path) {
            _ = try? Program.run(["chattr", "-R", "-i", path])
            _ = removeTree(AT_FDCWD, path)
        }
    }

    /// Removes `name` (relative to the directory `parent`) and everything below it without
    /// following symlinks, as `rm -rf` does; false if anything stayed.
    static func removeTree(_ parent: Int32, _ name: String) -> Bool {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return true }
        guard errno == EISDIR || errno == EPERM else { return false }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let directory = fdopendir(fd) else { return false }
        var removedAll = true
        while let entry = readdir(directory) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if child == "." || child == ".." { continue }
            removedAll = removeTree(dirfd(directory), child) && removedAll
        }
        closedir(directory)
        return removedAll && unlinkat(parent, name, AT_REMOVEDIR) == 0
    }

    /// Copies a regular file's content, mode and ownership to a new file `destination`.
    public static func copyRegularFile(from source: String, to destination: String) throws {
        var st = stat()
        try SystemCallError.check("lstat", source) { lstat(source, &st) }
        let input = try SystemCallError.check("open", source) { open(source, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let output = try SystemCallError.check("create", destination) {
            open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0o7777)
        }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try SystemCallError.check("read", source) {
                buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            }
            if count == 0 { break }
            let written = try SystemCallError.check("write", destination) {
                buffer.withUnsafeBytes { write(output, $0.baseAddress, count) }
            }
            guard written == count else { throw SystemCallError("write (short)", path: destination, errno: .noSpace) }
        }
        // Set after writing: chown clears setuid bits, so the mode goes last.
        try SystemCallError.check("chown", destination) { fchown(output, st.st_uid, st.st_gid) }
        try SystemCallError.check("chmod", destination) { fchmod(output, st.st_mode & 0o7777) }
    }

    /// Whether `path` is a symbolic link (dangling or not).
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }
}
