import Foundation

/// Path arithmetic for treefiles. Like rpm-ostree, a path named in a treefile is taken relative
/// to the directory of the path the treefile was opened by; symlinks are not resolved first.
enum TreefilePaths {
    /// `path` made absolute against the current directory, with `.` and empty components
    /// dropped (`..` is kept: it may cross a symlink).
    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let components = joined.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }

    /// The directory holding `path`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `name` (absolute, or relative to the directory of `file`) as an absolute path.
    static func resolve(_ name: String, besideFile file: String) -> String {
        name.hasPrefix("/") ? absolute(name) : absolute(directory(of: file) + "/" + name)
    }

    /// What `path` names (following symlinks): nothing, a regular file, or something else (a
    /// directory, or a device such as /dev/zero, which would never end being read).
    enum Kind { case missing, regularFile, other }

    static func kind(_ path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        return status.st_mode & S_IFMT == S_IFREG ? .regularFile : .other
    }

    /// Whether `path` names a regular file (following symlinks).
    static func isFile(_ path: String) -> Bool { kind(path) == .regularFile }

    /// Treefiles, kickstarts and scripts are text people write: none is near this size.
    static let maximumFileSize = 16 << 20

    /// The content of the regular file `path`, at most `maximumFileSize` bytes; nil when it
    /// cannot be read, is not a regular file, or is larger.
    static func contents(_ path: String) -> Data? {
        guard isFile(path), let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        // nil from read means end of file at once: an empty file.
        guard let data = try? handle.read(upToCount: maximumFileSize + 1) ?? Data(), data.count <= maximumFileSize else { return nil }
        return data
    }

    /// The device and inode of the file `path` leads to, which identify it however it is named.
    static func identity(_ path: String) -> FileIdentity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}

/// A file's device and inode numbers.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
}
