import Foundation
import PackageSources
import ToolSupport

/// A `local-repos:` entry: a script that builds an rpm-md repository (packages made from
/// this very checkout, say) into a directory of the cache, run on every compose; it is
/// expected to be incremental, and the repository's checksums tell the compose what changed.
struct LocalRepository {
    let id: String
    /// The script, absolute.
    let script: String
    let cacheDirectory: String

    /// Runs the script and returns the repository it built as a `file://` definition.
    func build() throws -> RepoDefinition {
        let directory = cacheDirectory + "/local-repos/" + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        Console.progress("Building local repository '\(id)' with \(script); its output follows")
        let status = try Program.runShowingOutput([script, directory],
                                                  currentDirectory: (script as NSString).deletingLastPathComponent)
        guard status == 0 else {
            throw ComposeError("local-repos: \(script) failed with exit status \(status)")
        }
        guard FileManager.default.fileExists(atPath: directory + "/repodata/repomd.xml") else {
            throw ComposeError("local-repos: \(script) exited 0 but left no rpm-md repository in \(directory)")
        }
        return RepoDefinition(id: id, name: id, baseURLs: ["file://" + directory], enabled: true, gpgCheck: false,
                              file: script)
    }
}
