import Foundation
import ToolSupport

/// A `base:` script: run once, its archive cached under the cache directory by the script's
/// SHA-256, so the (slow) base build happens again only when the recipe changes.
struct BaseRecipe {
    /// The script, absolute.
    let path: String
    let cacheDirectory: String

    /// The archive the recipe builds: the cached one, or a fresh build.
    func archive() throws -> String {
        let hash = try Digest.sha256(file: path)
        let bases = cacheDirectory + "/bases"
        let archive = "\(bases)/\(hash).tar"
        if FileManager.default.fileExists(atPath: archive) {
            Console.progress("Base from \((path as NSString).lastPathComponent): cached (\(hash.prefix(12)))")
            return archive
        }
        try FileManager.default.createDirectory(atPath: bases, withIntermediateDirectories: true)
        let partial = archive + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        defer { try? FileManager.default.removeItem(atPath: partial) }
        Console.progress("Building the base with \(path); its output follows")
        let status = try Program.runShowingOutput([path, partial],
                                                  currentDirectory: (path as NSString).deletingLastPathComponent)
        guard status == 0 else {
            throw ComposeError("base: recipe \(path) failed with exit status \(status)")
        }
        guard FileManager.default.fileExists(atPath: partial) else {
            throw ComposeError("base: recipe \(path) exited 0 but wrote no archive to the path it was given")
        }
        try FileManager.default.moveItem(atPath: partial, toPath: archive)
        return archive
    }
}
