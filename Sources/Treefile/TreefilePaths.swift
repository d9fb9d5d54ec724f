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

    /// Whether `path` names something that is not a directory (following symlinks).
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
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
