import CLinux
import Foundation
import SystemPackage

/// A directory tree handled as a root filesystem: every path given to it is resolved inside
/// it, as the kernel resolves paths in a chroot (openat2's `RESOLVE_IN_ROOT`): a symlink to
/// `/`, or `..` at the top, means the tree's own root, never the host's.
///
/// Trees are built from packages, scripts and treefiles nobody vouched for, so every host-side
/// change to one goes through here. Besides resolving inside the tree, changes never follow a
/// symlink at the last component, and never write a regular file in place: files are replaced
/// (a new inode renamed over the old), so a hard link shared with the package cache or with
/// another deployment keeps its content, mode and owner.
///
/// Paths are absolute inside the tree (`/usr/etc/passwd`). Not for concurrent use while
/// untrusted code runs in the tree: the sandbox's processes are gone before host-side changes
/// start (its PID namespace ends with it), so a check followed by a change is not a race.
public final class RootedTree {
    /// The tree's root as given.
    public let path: String
    /// The root's canonical host path, to turn resolved descriptors back into tree paths.
    private let canonicalPath: String
    private let root: Int32

    private static let resolution = UInt64(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

    public init(_ path: String) throws {
        self.path = path
        root = try SystemCallError.check("open", path) { open(path, harness_O_PATH | O_DIRECTORY | O_CLOEXEC) }
        canonicalPath = (try? Self.hostPath(of: root)) ?? path
    }

    deinit { close(root) }

    /// Where `path` would be on the host if no symlink were involved, for messages.
    public func displayPath(_ path: String) -> String {
        self.path + "/" + Self.components(path).joined(separator: "/")
    }

    // MARK: Reading

    /// The entry at `path` itself (a symlink is not followed); nil when there is none.
    public func status(_ path: String) throws -> stat? {
        try withExistingParent(of: path) { parent, name in
            var st = stat()
            guard fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT || errno == ENOTDIR { return nil }
                throw SystemCallError("stat", path: displayPath(path))
            }
            return st
        } ?? (Self.components(path).isEmpty ? descriptorStatus(root, path) : nil)
    }

    /// What `path` resolves to, symlinks followed inside the tree; nil when nothing.
    public func resolvedStatus(_ path: String) throws -> stat? {
        guard let fd = try openInTree(path, harness_O_PATH) else { return nil }
        defer { close(fd) }
        return try descriptorStatus(fd, path)
    }

    /// Whether `path` resolves to a directory, symlinks followed inside the tree.
    public func isDirectory(_ path: String) throws -> Bool {
        guard let st = try resolvedStatus(path) else { return false }
        return FileMode.type(st.st_mode) == FileMode.directory
    }

    /// The tree path `path` resolves to (symlinks followed inside the tree); nil when nothing.
    public func resolvedPath(_ path: String) throws -> String? {
        guard let fd = try openInTree(path, harness_O_PATH) else { return nil }
        defer { close(fd) }
        let host = try Self.hostPath(of: fd)
        guard host == canonicalPath || host.hasPrefix(canonicalPath + "/") else {
            throw SystemCallError("resolve", path: displayPath(path), errno: .improperLink)
        }
        let inside = String(host.dropFirst(canonicalPath.count))
        return inside.isEmpty ? "/" : inside
    }

    /// The first component of `path` that is a symlink (`/usr/share` for `/usr/share/rpm`
    /// when `/usr/share` is one); nil when none is, or when the path stops existing first.
    public func firstSymlink(along path: String) throws -> String? {
        var prefix = ""
        for component in Self.components(path) {
            prefix += "/" + component
            guard let st = try status(prefix) else { return nil }
            if FileMode.type(st.st_mode) == FileMode.symlink { return prefix }
        }
        return nil
    }

    /// The target of the symlink `path`; nil when `path` is not a symlink.
    public func symlinkTarget(_ path: String) throws -> String? {
        try withExistingParent(of: path) { parent, name in
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(parent, name, &buffer, buffer.count - 1)
            guard count >= 0 else {
                if errno == EINVAL || errno == ENOENT { return nil }
                throw SystemCallError("readlink", path: displayPath(path))
            }
            return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The names in the directory `path` resolves to, sorted; nil when there is none.
    public func contentsOfDirectory(_ path: String) throws -> [String]? {
        guard let fd = try openInTree(path, O_RDONLY | O_DIRECTORY) else { return nil }
        return try Self.names(inDirectory: fd, displayPath(path)).sorted()
    }

    /// The content of the regular file `path` resolves to; nil when there is none. A file
    /// larger than `limit` bytes, or anything but a regular file, is an error.
    public func readFile(_ path: String, limit: Int = 16 << 20) throws -> [UInt8]? {
        guard let fd = try openInTree(path, O_RDONLY | O_NONBLOCK) else { return nil }
        defer { close(fd) }
        let st = try descriptorStatus(fd, path)
        guard FileMode.type(st.st_mode) == FileMode.regular else {
            throw SystemCallError("read", path: displayPath(path), errno: .invalidArgument)
        }
        guard st.st_size <= limit else { throw SystemCallError("read", path: displayPath(path), errno: .fileTooLarge) }
        return try Self.readAll(fd, displayPath(path), limit: limit)
    }

    /// Every entry below the directory `path` (which is not followed if it is a symlink), as
    /// paths relative to it with their status, parents before children; symlinks are listed,
    /// never followed. Empty when `path` is missing or not a directory.
    public func walk(_ path: String) throws -> [(path: String, status: stat)] {
        guard let st = try status(path), FileMode.type(st.st_mode) == FileMode.directory,
              let fd = try openInTree(path, O_RDONLY | O_DIRECTORY) else { return [] }
        var result: [(String, stat)] = []
        try Self.walk(fd, prefix: "", display: displayPath(path), into: &result)
        return result
    }

    // MARK: Changing

    /// Creates `path` and its missing parents (like `mkdir -p`, symlinks followed inside the
    /// tree); an existing non-directory in the way is an error.
    public func createDirectory(_ path: String, mode: mode_t = 0o755) throws {
        var prefix = ""
        for component in Self.components(path) {
            prefix += "/" + component
            if let fd = try openInTree(prefix, harness_O_PATH | O_DIRECTORY) {
                close(fd)
                continue
            }
            try withParent(of: prefix) { parent, name in
                guard mkdirat(parent, name, mode) == 0 || errno == EEXIST else {
                    throw SystemCallError("mkdir", path: displayPath(prefix))
                }
            }
            guard let fd = try openInTree(prefix, harness_O_PATH | O_DIRECTORY) else {
                throw SystemCallError("mkdir", path: displayPath(prefix), errno: .noSuchFileOrDirectory)
            }
            close(fd)
        }
    }

    /// Writes `bytes` as a new regular file at `path` (parents created), replacing a file or
    /// symlink there in one rename.
    public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        try replace(path) { fd in
            try bytes.withUnsafeBytes { try Self.writeAll(fd, $0, displayPath(path)) }
            try SystemCallError.check("chmod", displayPath(path)) { fchmod(fd, mode) }
        }
    }

    /// Copies the host's regular file `source` to `path` (parents created, whatever is there
    /// replaced), with the source's mode unless `mode` is given. `source` must be a regular
    /// file: a device or FIFO would never end.
    public func copyFile(fromHost source: String, to path: String, mode: mode_t? = nil) throws {
        let input = try SystemCallError.check("open", source) { open(source, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        defer { close(input) }
        var st = stat()
        try SystemCallError.check("stat", source) { fstat(input, &st) }
        guard FileMode.type(st.st_mode) == FileMode.regular else {
            throw SystemCallError("copy", path: source, errno: .invalidArgument)
        }
        try replace(path) { fd in
            try Self.copyContent(from: input, to: fd, displayPath(path))
            try SystemCallError.check("chmod", displayPath(path)) { fchmod(fd, mode ?? (st.st_mode & 0o7777)) }
        }
    }

    /// Makes `path` a symlink to `target` (parents created), replacing a file or symlink there.
    public func createSymlink(_ path: String, target: String) throws {
        try withParent(of: path, creatingParents: true) { parent, name in
            let temporary = Self.temporaryName(for: name)
            try SystemCallError.check("symlink", displayPath(path)) { symlinkat(target, parent, temporary) }
            guard renameat(parent, temporary, parent, name) == 0 else {
                let failure = Errno(rawValue: errno)
                unlinkat(parent, temporary, 0)
                throw SystemCallError("rename", path: displayPath(path), errno: failure)
            }
        }
    }

    /// Removes `path` and everything below it without following symlinks; missing is fine.
    public func remove(_ path: String) throws {
        guard !Self.components(path).isEmpty else {
            throw SystemCallError("remove", path: displayPath(path), errno: .invalidArgument)
        }
        try withExistingParent(of: path) { parent, name in
            guard FileTree.removeTree(parent, name) else { throw SystemCallError("remove", path: displayPath(path)) }
        }
    }

    /// Removes `path` if it is a file, a symlink or an empty directory; anything else stays.
    public func removeIfUnused(_ path: String) throws {
        try withExistingParent(of: path) { parent, name in
            if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return }
            guard errno == EISDIR || errno == EPERM else { throw SystemCallError("remove", path: displayPath(path)) }
            unlinkat(parent, name, AT_REMOVEDIR)
        }
    }

    /// Renames `source` to `destination` (its parents created); neither last component is
    /// followed if it is a symlink.
    public func move(_ source: String, to destination: String) throws {
        try withParent(of: source) { sourceParent, sourceName in
            try withParent(of: destination, creatingParents: true) { parent, name in
                try SystemCallError.check("rename to \(destination)", displayPath(source)) {
                    renameat(sourceParent, sourceName, parent, name)
                }
            }
        }
    }

    /// Renames the host's `source` (outside the tree, on its filesystem) to `path`.
    public func moveIn(fromHost source: String, to path: String) throws {
        try withParent(of: path, creatingParents: true) { parent, name in
            try SystemCallError.check("rename to \(displayPath(path))", source) { renameat(AT_FDCWD, source, parent, name) }
        }
    }

    /// Sets the owner of `path` itself (a symlink's own owner); a regular file shared by hard
    /// links gets a copy of its own first.
    public func setOwner(_ path: String, uid: uid_t, gid: gid_t) throws {
        try breakHardLink(path)
        try withParent(of: path) { parent, name in
            try SystemCallError.check("chown", displayPath(path)) { fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Sets the mode of the file or directory `path`; a symlink is left alone (it has none),
    /// a regular file shared by hard links gets a copy of its own first.
    public func setMode(_ path: String, _ mode: mode_t) throws {
        guard let st = try status(path), FileMode.type(st.st_mode) != FileMode.symlink else { return }
        try breakHardLink(path)
        try withParent(of: path) { parent, name in
            try SystemCallError.check("chmod", displayPath(path)) { fchmodat(parent, name, mode, 0) }
        }
    }

    /// Replaces the regular file `path`, when other hard links share it, by a copy of its own
    /// (content, owner, mode and extended attributes), so that it can be changed in place.
    public func breakHardLink(_ path: String) throws {
        guard let st = try status(path), FileMode.type(st.st_mode) == FileMode.regular, st.st_nlink > 1 else { return }
        try withParent(of: path) { parent, name in
            let input = try SystemCallError.check("open", displayPath(path)) {
                openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            }
            defer { close(input) }
            try replace(path, parent: parent, name: name) { fd in
                try Self.copyContent(from: input, to: fd, displayPath(path))
                try Self.copyExtendedAttributes(from: input, to: fd, displayPath(path))
                try SystemCallError.check("chown", displayPath(path)) { fchown(fd, st.st_uid, st.st_gid) }
                // After chown, which clears setuid bits.
                try SystemCallError.check("chmod", displayPath(path)) { fchmod(fd, st.st_mode & 0o7777) }
                try Self.copyExtendedAttributes(from: input, to: fd, displayPath(path), only: "security.capability")
            }
        }
    }

    /// Breaks the hard links of every regular file below `path`.
    public func breakHardLinks(under path: String) throws {
        let base = Self.components(path).joined(separator: "/")
        for entry in try walk(path) where FileMode.type(entry.status.st_mode) == FileMode.regular && entry.status.st_nlink > 1 {
            try breakHardLink("/" + base + "/" + entry.path)
        }
    }

    /// Runs `body` with a descriptor of the directory `path` resolves to (created when missing).
    public func withDirectory<Result>(_ path: String, _ body: (Int32) throws -> Result) throws -> Result {
        try createDirectory(path)
        guard let fd = try openInTree(path, O_RDONLY | O_DIRECTORY) else {
            throw SystemCallError("open", path: displayPath(path), errno: .noSuchFileOrDirectory)
        }
        defer { close(fd) }
        return try body(fd)
    }

    // MARK: Resolution

    /// Opens `path` resolved inside the tree; nil when it (or a parent) does not exist.
    private func openInTree(_ path: String, _ flags: Int32) throws -> Int32? {
        let relative = Self.components(path).joined(separator: "/")
        while true {
            let fd = harness_openat2(root, relative.isEmpty ? "." : relative, UInt64(flags | O_CLOEXEC), 0, Self.resolution)
            if fd >= 0 { return fd }
            switch errno {
            case EINTR, EAGAIN: continue
            case ENOENT: return nil
            default: throw SystemCallError("open", path: displayPath(path))
            }
        }
    }

    /// Runs `body` with the directory holding `path` (resolved inside the tree) and its last
    /// component; the parent must exist unless `creatingParents`.
    @discardableResult
    private func withParent<Result>(of path: String, creatingParents: Bool = false,
                                    _ body: (Int32, String) throws -> Result) throws -> Result {
        var parts = Self.components(path)
        guard let name = parts.popLast(), name != ".", name != ".." else {
            throw SystemCallError("resolve", path: displayPath(path), errno: .invalidArgument)
        }
        let parentPath = "/" + parts.joined(separator: "/")
        if creatingParents { try createDirectory(parentPath) }
        guard let fd = try openInTree(parentPath, harness_O_PATH | O_DIRECTORY) else {
            throw SystemCallError("open", path: displayPath(parentPath), errno: .noSuchFileOrDirectory)
        }
        defer { close(fd) }
        return try body(fd, name)
    }

    /// Like `withParent`, but nil when the parent does not exist or `path` is the root.
    private func withExistingParent<Result>(of path: String, _ body: (Int32, String) throws -> Result?) throws -> Result? {
        var parts = Self.components(path)
        guard let name = parts.popLast() else { return nil }
        guard name != ".", name != ".." else {
            throw SystemCallError("resolve", path: displayPath(path), errno: .invalidArgument)
        }
        let parentPath = "/" + parts.joined(separator: "/")
        let fd: Int32?
        do {
            fd = try openInTree(parentPath, harness_O_PATH | O_DIRECTORY)
        } catch let error as SystemCallError where error.errno == .notDirectory {
            return nil
        }
        guard let fd else { return nil }
        defer { close(fd) }
        return try body(fd, name)
    }

    /// Writes a new file next to `path` through `fill`, then renames it over `path`.
    private func replace(_ path: String, _ fill: (Int32) throws -> Void) throws {
        try withParent(of: path, creatingParents: true) { parent, name in
            try replace(path, parent: parent, name: name, fill)
        }
    }

    private func replace(_ path: String, parent: Int32, name: String, _ fill: (Int32) throws -> Void) throws {
        let temporary = Self.temporaryName(for: name)
        let fd = try SystemCallError.check("create", displayPath(path)) {
            openat(parent, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        do {
            defer { close(fd) }
            try fill(fd)
            try SystemCallError.check("rename", displayPath(path)) { renameat(parent, temporary, parent, name) }
        } catch {
            unlinkat(parent, temporary, 0)
            throw error
        }
    }

    private func descriptorStatus(_ fd: Int32, _ path: String) throws -> stat {
        var st = stat()
        try SystemCallError.check("stat", displayPath(path)) { fstat(fd, &st) }
        return st
    }

    /// The components of a tree path, empty ones and `.` dropped.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    private static func temporaryName(for name: String) -> String {
        ".\(name.prefix(200)).harness-\(UInt32.random(in: 0...UInt32.max))"
    }

    private static func hostPath(of fd: Int32) throws -> String {
        let link = "/proc/self/fd/\(fd)"
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = try SystemCallError.check("readlink", link) { readlink(link, &buffer, buffer.count - 1) }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Descriptor helpers

    /// The names in an open directory (closed afterwards), `.` and `..` left out.
    static func names(inDirectory fd: Int32, _ display: String) throws -> [String] {
        guard let directory = fdopendir(fd) else {
            close(fd)
            throw SystemCallError("opendir", path: display)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Walks the open directory `fd`, which it closes.
    private static func walk(_ fd: Int32, prefix: String, display: String, into result: inout [(String, stat)]) throws {
        defer { close(fd) }
        let names = try Self.names(inDirectory: try SystemCallError.check("dup", display) { dup(fd) }, display).sorted()
        for name in names {
            var st = stat()
            try SystemCallError.check("stat", display + "/" + name) { fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) }
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            result.append((relative, st))
            if FileMode.type(st.st_mode) == FileMode.directory {
                let child = try SystemCallError.check("open", display + "/" + name) {
                    openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                try walk(child, prefix: relative, display: display + "/" + name, into: &result)
            }
        }
    }

    static func readAll(_ fd: Int32, _ display: String, limit: Int) throws -> [UInt8] {
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try SystemCallError.check("read", display) { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            if count == 0 { return content }
            content += buffer.prefix(count)
            guard content.count <= limit else { throw SystemCallError("read", path: display, errno: .fileTooLarge) }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ display: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = try SystemCallError.check("write", display) {
                write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }
            offset += written
        }
    }

    static func copyContent(from input: Int32, to output: Int32, _ display: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try SystemCallError.check("read", display) { buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) } }
            if count == 0 { return }
            try buffer.withUnsafeBytes { try writeAll(output, UnsafeRawBufferPointer(rebasing: $0.prefix(count)), display) }
        }
    }

    /// Copies every extended attribute (or only `only`) of one open file to another.
    static func copyExtendedAttributes(from input: Int32, to output: Int32, _ display: String, only: String? = nil) throws {
        let size = flistxattr(input, nil, 0)
        guard size > 0 else { return }
        var list = [CChar](repeating: 0, count: size)
        let listed = flistxattr(input, &list, size)
        guard listed > 0 else { return }
        let names = list.prefix(listed).split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        for name in names where only == nil || name == only {
            let length = fgetxattr(input, name, nil, 0)
            guard length >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: length)
            guard fgetxattr(input, name, &value, length) == length else { continue }
            try SystemCallError.check("setxattr \(name)", display) { fsetxattr(output, name, value, length, 0) }
        }
    }
}
