import CLinux
import Foundation
import ToolSupport

/// The directory a web server or CDN serves, replaced whole in one step.
///
/// `DIR` is a symbolic link to one generation, `.NAME.publish/<n>` beside it: a complete
/// archive repository. A publish makes generation n+1 as hard links of generation n
/// (objects and deltas are never written in place, so the two share them safely), changes
/// the copy, and then renames a new link over `DIR`: a client sees the old repository or the
/// new one, never a summary naming objects that are not there yet. Older generations are
/// removed afterwards; one a killed publish left half-made is removed by the next.
struct PublishedDirectory {
    /// The served path (the link).
    let path: String
    /// `.NAME.publish` beside it.
    let store: String

    init(path: String) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        store = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".publish"
    }

    /// The generation `DIR` points at now, nil before the first publish. A real directory (or
    /// a link elsewhere) at `DIR` is refused: it is not ours to replace.
    func current() throws -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw SystemCallError("lstat", path: path) }
            return nil
        }
        guard (info.st_mode & S_IFMT) == S_IFLNK, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
              target.hasPrefix(URL(fileURLWithPath: store).lastPathComponent + "/"),
              let generation = Int(target.split(separator: "/").last ?? "") else {
            throw PublishError("\(path) exists and is not a directory harness publish made (a link into \(store)): refusing to replace it")
        }
        return generation
    }

    func generationPath(_ generation: Int) -> String { store + "/\(generation)" }

    /// Removes every generation but `keep`: older ones, and newer ones a killed publish left.
    func removeGenerations(except keep: Int?) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
        for name in names where Int(name) != nil && Int(name) != keep {
            FileTree.removeRecursively(store + "/" + name)
        }
    }

    /// Makes generation `generation` as a copy of `previous` whose files are hard links
    /// (the lock file and scratch space left out).
    func makeGeneration(_ generation: Int, from previous: Int) throws {
        let source = generationPath(previous), destination = generationPath(generation)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        let top = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0 != "tmp" && $0 != ".lock" }
        for name in top { try linkTree(source + "/" + name, destination + "/" + name) }
        try FileManager.default.createDirectory(atPath: destination + "/tmp", withIntermediateDirectories: false)
    }

    private func linkTree(_ source: String, _ destination: String) throws {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw SystemCallError("lstat", path: source) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard mkdir(destination, info.st_mode & 0o7777) == 0 else { throw SystemCallError("mkdir", path: destination) }
            for name in try FileManager.default.contentsOfDirectory(atPath: source) {
                try linkTree(source + "/" + name, destination + "/" + name)
            }
        case S_IFREG:
            guard link(source, destination) == 0 else { throw SystemCallError("link", path: destination) }
        default:
            // An archive repository holds only directories and files; anything else is not ours.
            throw PublishError("\(source): neither a file nor a directory in a published repository")
        }
    }

    /// Flushes the generation to disk, then points `DIR` at it in one rename.
    func switchTo(_ generation: Int) throws {
        let directory = generationPath(generation)
        let descriptor = try SystemCallError.check("open", directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(descriptor) }
        try SystemCallError.check("syncfs", directory) { harness_syncfs(descriptor) }
        let link = path + ".harness-new-\(getpid())"
        unlink(link)
        let target = URL(fileURLWithPath: store).lastPathComponent + "/\(generation)"
        try SystemCallError.check("symlink", link) { symlink(target, link) }
        do {
            try SystemCallError.check("rename", path) { rename(link, path) }
        } catch {
            unlink(link)
            throw error
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let parentDescriptor = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parentDescriptor >= 0 { fsync(parentDescriptor); close(parentDescriptor) }
    }
}
